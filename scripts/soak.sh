#!/usr/bin/env bash
# Memory soak: starts the release `gatehouse serve` (SQLite, or PostgreSQL with
# BACKEND=postgres), seeds a business of USERS users, has SIGNERS invited users set a password,
# then runs a mixed load for DURATION seconds (decision checks, user and group lists, group
# membership changes and new invitations, and sign-ins with passwords) while sampling the
# server's RSS every SAMPLE seconds (scripts/load/soak.py). Prints RSS at the start, after 1,000
# sign-ins and at the end, and the least-squares slope in MB/min. The access snapshots are
# loaded before the server answers, so the RSS of a fresh server (after one decision) on the
# seeded database and again on the grown one at the end measures what grows with the data,
# told apart from what a long run adds.
#
#   scripts/soak.sh                                   # 600 s on SQLite, 5,000 users
#   DURATION=120 scripts/soak.sh
#   BACKEND=postgres POSTGRES_URL=postgres://postgres@127.0.0.1:5432 scripts/soak.sh
#   EXTRA_ENV="MALLOC_ARENA_MAX=2" scripts/soak.sh    # anything else for the server's environment
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

USERS=${USERS:-5000}
DURATION=${DURATION:-600}
SAMPLE=${SAMPLE:-10}
SIGNERS=${SIGNERS:-120}
BACKEND=${BACKEND:-sqlite}
POSTGRES_URL=${POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}
EXTRA_ENV=${EXTRA_ENV:-}

cargo build --release -q -p gatehouse
cargo build --release -q -p gatehouse-store --features testing --example seed
BIN="${CARGO_TARGET_DIR:-target}/release"

DATA=$(mktemp -d)
SERVER=""
DB_NAME=""
stop_server() {
    if [ -n "$SERVER" ]; then
        kill "$SERVER" 2>/dev/null || true
        wait "$SERVER" 2>/dev/null || true
        SERVER=""
    fi
}
cleanup() {
    stop_server
    if [ -n "$DB_NAME" ]; then
        psql -q "$POSTGRES_URL/postgres" -c "DROP DATABASE IF EXISTS $DB_NAME" >/dev/null 2>&1 || true
    fi
    rm -rf "$DATA"
}
trap cleanup EXIT

case "$BACKEND" in
sqlite) URL="sqlite://$DATA/gatehouse.db" ;;
postgres)
    DB_NAME="gatehouse_soak_$$"
    psql -q "$POSTGRES_URL/postgres" -c "CREATE DATABASE $DB_NAME" >/dev/null
    URL="$POSTGRES_URL/$DB_NAME"
    ;;
*) echo "BACKEND is sqlite or postgres" >&2 && exit 2 ;;
esac

SEEDED=$("$BIN/examples/seed" "$URL" "$USERS")
BUSINESS=$(sed -n 's/^business=\([^ ]*\).*/\1/p' <<<"$SEEDED")
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
OPERATOR="gho_soak$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
BASE="http://127.0.0.1:$PORT"

start_server() {
    # Sign-ins all come from one address: the per-address limits would refuse most of them.
    # shellcheck disable=SC2086
    env $EXTRA_ENV \
        GATEHOUSE__OPERATOR__TOKEN="$OPERATOR" \
        GATEHOUSE__AUTH__PUBLIC_URL="$BASE" \
        GATEHOUSE__AUTH__COOKIE_SECURE=false \
        GATEHOUSE__AUTH__RATE_LIMIT_SIGN_IN=1000000000 \
        "$BIN/gatehouse" serve --listen "127.0.0.1:$PORT" --data-dir "$DATA" \
        --database-url "$URL" >>"$DATA/serve.log" 2>&1 &
    SERVER=$!
    for _ in $(seq 1 300); do
        curl -fs "$BASE/healthz" >/dev/null 2>&1 && break
        sleep 0.1
    done
    curl -fs "$BASE/healthz" >/dev/null || { cat "$DATA/serve.log"; exit 1; }
}
rss_mb() { awk '/^VmRSS:/ {printf "%.1f", $2 * 1024 / 1e6}' "/proc/$SERVER/status"; }
first_check() {
    curl -fs -X POST "$BASE/api/v1/authz/check" -H "authorization: Bearer $KEY" \
        -H 'content-type: application/json' \
        -d "{\"user_id\":\"01900000-0000-7000-8000-030000000001\",\"permission\":\"analytics\",\"tenant_id\":\"01900000-0000-7000-8000-010000000000\",\"environment\":\"live\"}" >/dev/null
}
user_count() {
    case "$BACKEND" in
    sqlite) python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM users").fetchone()[0])' "$DATA/gatehouse.db" ;;
    postgres) psql -tA "$URL" -c 'SELECT count(*) FROM users' ;;
    esac
}

start_server
KEY=$(curl -fs -X POST "$BASE/api/v1/businesses/$BUSINESS/api-keys" \
    -H "authorization: Bearer $OPERATOR" -H 'content-type: application/json' \
    -d '{"name":"soak","permissions":{"business":["authz.check","users.view","users.manage","groups.manage"]}}' |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')

echo "Gatehouse $("$BIN/gatehouse" --version 2>/dev/null | awk '{print $2}') on $BACKEND, $USERS users, $SIGNERS signers, ${DURATION} s, $(nproc) cores; load: $(uptime | sed 's/.*load average: //')${EXTRA_ENV:+; server env: $EXTRA_ENV}"
first_check
echo "fresh server on the seeded database ($(user_count) users): RSS $(rss_mb) MB"

status=0
BASE="$BASE" KEY="$KEY" PID="$SERVER" LOG="$DATA/serve.log" USERS="$USERS" DURATION="$DURATION" \
    SAMPLE="$SAMPLE" SIGNERS="$SIGNERS" python3 scripts/load/soak.py || status=$?

echo "load at the end: $(uptime | sed 's/.*load average: //')"
stop_server
start_server
first_check
echo "fresh server on the grown database ($(user_count) users): RSS $(rss_mb) MB"
exit "$status"
