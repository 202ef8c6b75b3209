#!/usr/bin/env bash
# Load test of the decision API on loopback: POST /api/v1/authz/check and /authz/check-batch
# against the trivial GET /healthz of the same server, in the same run. Seeds a business of
# USERS users (default 100k; 500 groups, 200 tenants), starts `gatehouse serve` on SQLite,
# creates an authz.check key, and drives each endpoint with wrk (installed if missing).
#
#   scripts/load-authz.sh              # defaults: 100k users, 10 s per endpoint, 32 connections
#   USERS=10000 DURATION=5s scripts/load-authz.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

USERS=${USERS:-100000}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}

if ! command -v wrk >/dev/null; then
    apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi
cargo build --release -q -p gatehouse
cargo build --release -q -p gatehouse-store --features testing --example seed
BIN="${CARGO_TARGET_DIR:-target}/release"

DATA=$(mktemp -d)
SERVER=""
cleanup() {
    [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null || true
    rm -rf "$DATA"
}
trap cleanup EXIT

URL="sqlite://$DATA/gatehouse.db"
SEEDED=$("$BIN/examples/seed" "$URL" "$USERS")
BUSINESS=$(sed -n 's/^business=\([^ ]*\).*/\1/p' <<<"$SEEDED")
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
OPERATOR="gho_load$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"

GATEHOUSE__OPERATOR__TOKEN="$OPERATOR" "$BIN/gatehouse" serve \
    --listen "127.0.0.1:$PORT" --data-dir "$DATA" --database-url "$URL" >"$DATA/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done
curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null || { cat "$DATA/serve.log"; exit 1; }

KEY=$(curl -fs -X POST "http://127.0.0.1:$PORT/api/v1/businesses/$BUSINESS/api-keys" \
    -H "authorization: Bearer $OPERATOR" -H 'content-type: application/json' \
    -d '{"name":"load test","permissions":{"business":["authz.check"]}}' |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
export KEY USERS LUA_DIR="$PWD/scripts/load"

run() {
    local key=$1 label=$2
    shift 2
    local out
    out=$(wrk --latency -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" "$@")
    local rps p50 p99 errors
    rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    errors=$(grep -E 'Non-2xx|Socket errors' <<<"$out" || true)
    printf '%-28s %10s req/s   p50 %8s   p99 %8s   %s\n' "$label" "$rps" "$p50" "$p99" "$errors"
    echo "$rps" >"$DATA/$key.rps"
}

echo "Gatehouse $("$BIN/gatehouse" --version 2>/dev/null | awk '{print $2}') on SQLite, $USERS users, wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $(nproc) cores"
run trivial "GET /healthz (trivial)" "http://127.0.0.1:$PORT/healthz"
run check "POST /authz/check" -s scripts/load/check.lua "http://127.0.0.1:$PORT"
run batch "POST /authz/check-batch" -s scripts/load/batch.lua "http://127.0.0.1:$PORT"
python3 - "$DATA" <<'PY'
import sys, pathlib
d = pathlib.Path(sys.argv[1])
rps = lambda name: float((d / f"{name}.rps").read_text())
trivial = rps("trivial")
print(f"check: {rps('check') / trivial:.0%} of the trivial endpoint's throughput; "
      f"check-batch: {rps('batch') * 100:,.0f} decisions/s")
PY
