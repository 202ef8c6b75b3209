#!/usr/bin/env bash
# SCIM conformance: scim2-tester (https://scim2-tester.readthedocs.io, pinned below), an
# external checker of RFC 7643/7644, against a real `gatehouse serve`. Starts the built binary
# on SQLite in a temporary data directory, makes a business and an API key holding
# `scim.provision` through the CLI, then runs every check scim2-tester has (discovery
# endpoints, create/read/replace/delete of Users and Groups with generated values, random
# URLs) and prints one line per check. Exit status 1 if any check fails.
#
# Needs python3 (with venv) and network access to PyPI the first time: scim2-tester is
# installed, pinned, into a virtual environment under ~/.cache/gatehouse.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

SCIM2_TESTER_VERSION=0.5.2
SCIM2_CLIENT_VERSION=0.13.2
VENV="${XDG_CACHE_HOME:-$HOME/.cache}/gatehouse/scim2-tester-$SCIM2_TESTER_VERSION"
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import scim2_tester, httpx2' 2>/dev/null; then
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check \
        "scim2-tester==$SCIM2_TESTER_VERSION" "scim2-client[httpx2]==$SCIM2_CLIENT_VERSION"
fi

cargo build -q -p gatehouse
BIN="${CARGO_TARGET_DIR:-target}/debug/gatehouse"

DATA=$(mktemp -d)
SERVER=""
cleanup() {
    if [ -n "$SERVER" ]; then
        kill "$SERVER" 2>/dev/null || true
        wait "$SERVER" 2>/dev/null || true
    fi
    rm -rf "$DATA"
}
trap cleanup EXIT

# Only this script's configuration: none of the caller's GATEHOUSE__* variables.
while read -r name; do unset "$name"; done < <(env | sed -n 's/^\(GATEHOUSE__[^=]*\)=.*/\1/p')
export GATEHOUSE__OPERATOR__TOKEN="gho_scim$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"

field() { python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
cli() { "$BIN" --data-dir "$DATA" --json "$@" 2>>"$DATA/cli.log"; }

cli business create --name "Conformance Co" --slug conformance >/dev/null
KEY=$(cli api-key create --business conformance --name "scim2-tester" \
    --permissions '{"business":["scim.provision"]}' --acknowledge-sensitive | field token)

# A fixed port, so that the public URL (meta.location, $ref) is the one the tester calls.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
"$BIN" --data-dir "$DATA" serve --listen "127.0.0.1:$PORT" >"$DATA/serve.out" 2>"$DATA/serve.log" &
SERVER=$!
for _ in $(seq 1 100); do
    curl -fs "$BASE/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done
curl -fs "$BASE/healthz" >/dev/null || { cat "$DATA/serve.log"; exit 1; }

echo "scim2-tester $SCIM2_TESTER_VERSION against $BASE/scim/v2"
"$VENV/bin/python" "$ROOT/scripts/scim-conformance/run.py" "$BASE/scim/v2" "$KEY"
