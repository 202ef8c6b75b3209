#!/usr/bin/env bash
# Three nodes on one PostgreSQL database under a mixed load, with failures (issue 14): builds
# the release `gatehouse`, seeds a business of USERS users into a new database, then
# scripts/load/nodes.py starts the nodes, sends decision checks round-robin (CHECK_RATE/s) and
# write trials (grant, then deactivate, each probed on every node until it shows), kills one
# node with SIGKILL and starts it again, restarts PostgreSQL, and checks afterwards that every
# acknowledged write is there and every node shows it. Prints acknowledged writes vs found,
# propagation p50/p99/max (the staleness of each node), errors; exits 1 on a lost write, an
# error from a node that was up, or a node that never caught up.
#
#   scripts/nodes.sh                                    # 300 s, 3 nodes, NOTIFY on
#   DURATION=120 PROFILE=dev scripts/nodes.sh           # the CI version (the debug build)
#   NODE_ENV="GATEHOUSE__AUTHZ__NOTIFICATIONS=false" scripts/nodes.sh   # polling only
#   CHAOS=0 scripts/nodes.sh                            # no failures
#   PG_RESTART="…" scripts/nodes.sh                     # how to restart PostgreSQL here
#
# PostgreSQL restarts with `pg_ctlcluster` when it is installed and this runs as root (the
# cluster serving POSTGRES_URL); otherwise set PG_RESTART, or that step is skipped and said so.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

POSTGRES_URL=${POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}
NODES=${NODES:-3}
USERS=${USERS:-20000}
export DURATION=${DURATION:-300}
export CHECK_RATE=${CHECK_RATE:-1000}
export CHAOS=${CHAOS:-1}
export BOUND_MS=${BOUND_MS:-100}
export FAIL_ON_BOUND=${FAIL_ON_BOUND:-0}
export WARMUP=${WARMUP:-20}
export NODE_ENV=${NODE_ENV:-}

# PROFILE=dev reuses the test build (CI); figures worth recording come from release.
PROFILE=${PROFILE:-release}
cargo build --profile "$PROFILE" -q -p gatehouse
cargo build --profile "$PROFILE" -q -p gatehouse-store --features testing --example seed
case "$PROFILE" in dev | debug) DIR=debug ;; *) DIR="$PROFILE" ;; esac
BIN="${CARGO_TARGET_DIR:-target}/$DIR"

if [ -z "${PG_RESTART:-}" ] && [ "$(id -u)" = 0 ] && command -v pg_lsclusters >/dev/null; then
    port=$(sed -E 's#.*:([0-9]+)(/.*)?$#\1#' <<<"$POSTGRES_URL")
    cluster=$(pg_lsclusters -h | awk -v p="$port" '$3 == p && $4 == "online" {print $1 " " $2; exit}')
    if [ -n "$cluster" ]; then
        PG_RESTART="pg_ctlcluster --skip-systemctl-redirect $cluster restart"
    fi
fi
export PG_RESTART=${PG_RESTART:-}

DATA=$(mktemp -d)
DB_NAME="gatehouse_nodes_$$"
cleanup() {
    psql -q "$POSTGRES_URL/postgres" -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" >/dev/null 2>&1 || true
    if [ -n "${KEEP:-}" ]; then echo "kept $DATA"; else rm -rf "$DATA"; fi
}
trap cleanup EXIT
psql -q "$POSTGRES_URL/postgres" -c "CREATE DATABASE $DB_NAME" >/dev/null
export DATABASE_URL="$POSTGRES_URL/$DB_NAME"

SEEDED=$("$BIN/examples/seed" "$DATABASE_URL" "$USERS")
export BUSINESS=$(sed -n 's/^business=\([^ ]*\).*/\1/p' <<<"$SEEDED")
export TENANT=$(sed -n 's/.*tenant=\([^ ]*\).*/\1/p' <<<"$SEEDED")
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PORTS=""
for _ in $(seq 1 "$NODES"); do PORTS="$PORTS${PORTS:+,}$(free_port)"; done
export PORTS DATA
export BIN="$BIN/gatehouse"
export OPERATOR="gho_nodes$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
# Every node seals and opens secrets (TOTP, signing keys) with the same key.
export TOTP_KEY=$(head -c 32 /dev/urandom | base64)

echo "Gatehouse $("$BIN" --version 2>/dev/null | awk '{print $2}'): $NODES nodes on PostgreSQL, $USERS users, ${DURATION} s, $(nproc) cores; chaos: $CHAOS; PostgreSQL restart: ${PG_RESTART:-none}${NODE_ENV:+; node env: $NODE_ENV}; load: $(uptime | sed 's/.*load average: //')"
status=0
python3 scripts/load/nodes.py || status=$?
if [ "$status" != 0 ]; then
    for log in "$DATA"/node*.log; do
        echo "--- last lines of $log"
        tail -n 20 "$log"
    done
fi
exit "$status"
