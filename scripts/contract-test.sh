#!/usr/bin/env bash
# Contract test: the API description (`/api/v1/openapi.json`, as served) against the server.
# Starts the built `gatehouse serve` on SQLite in a temporary data directory with the operator
# token set by configuration, seeds a business (tenants and an all-rights API key through the
# CLI; groups, users and a spare key through the API), then runs Schemathesis, a
# property-based API tester, over every operation of the served document: examples, coverage,
# fuzzing (positive and negative data) and stateful phases, with every check it has but the
# ones left off below (each with its reason), plus `registered_error_code` from
# scripts/contract/hooks.py. Deterministic (fixed seed, derandomized) and bounded by
# MAX_EXAMPLES per operation. Fails on any failure or error.
#
#   scripts/contract-test.sh                 # MAX_EXAMPLES=100, about a minute once built
#   MAX_EXAMPLES=300 scripts/contract-test.sh  # deeper, about three minutes
#
# Needs python3 (with venv) and network access to PyPI the first time: Schemathesis is
# installed, pinned, into a virtual environment under ~/.cache/gatehouse.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

SCHEMATHESIS_VERSION=4.32.5
MAX_EXAMPLES=${MAX_EXAMPLES:-100}
SEED=20261201

VENV="${XDG_CACHE_HOME:-$HOME/.cache}/gatehouse/schemathesis-$SCHEMATHESIS_VERSION"
if [ ! -x "$VENV/bin/st" ]; then
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
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
OPERATOR="gho_contract$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export GATEHOUSE__OPERATOR__TOKEN="$OPERATOR"

field() { python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
cli() { "$BIN" --data-dir "$DATA" --json "$@" 2>>"$DATA/cli.log"; }

BUSINESS=$(cli business create --name "Contract Co" --slug contract | field id)
TENANT=$(cli tenant create --business contract --name "Europe" --slug eu | field id)
TENANT_2=$(cli tenant create --business contract --name "Americas" --slug us | field id)
KEY_JSON=$(cli api-key create --business contract --name "contract test" --all)
KEY=$(field token <<<"$KEY_JSON")
KEY_ID=$(field id <<<"$KEY_JSON")

"$BIN" --data-dir "$DATA" serve --listen 127.0.0.1:0 >"$DATA/serve.out" 2>"$DATA/serve.log" &
SERVER=$!
BASE=""
for _ in $(seq 1 100); do
    BASE=$(sed -n 's/.*listening on: *\(http:\/\/[0-9.]*:[0-9]*\).*/\1/p' "$DATA/serve.log" "$DATA/serve.out" | head -n1)
    [ -n "$BASE" ] && curl -fs "$BASE/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done
curl -fs "$BASE/healthz" >/dev/null || { cat "$DATA/serve.log"; exit 1; }

api() {
    local method=$1 path=$2 body=$3
    curl -fsS -X "$method" "$BASE$path" -H "authorization: Bearer $KEY" \
        -H 'content-type: application/json' -d "$body"
}
ADMINS=$(api POST /api/v1/groups '{"name":"Seed admins","type":"business","permissions":{"business":["users.view","users.manage"]},"acknowledge_sensitive":true}' | field id)
ANALYSTS=$(api POST /api/v1/groups "{\"name\":\"Seed analysts\",\"type\":\"tenants\",\"tenant_ids\":[\"$TENANT\"],\"permissions\":{\"live\":[\"verification.view\"],\"sandbox\":[\"analytics\"]}}" | field id)
EMPTY=$(api POST /api/v1/groups '{"name":"Seed empty","type":"business"}' | field id)
USER_1=$(api POST /api/v1/users "{\"email\":\"dana@example.com\",\"display_name\":\"Dana\",\"group_ids\":[\"$ADMINS\",\"$ANALYSTS\"]}" | field id)
USER_2=$(api POST /api/v1/users "{\"email\":\"eli@example.com\",\"display_name\":\"Eli\",\"group_ids\":[\"$ANALYSTS\"]}" | field id)
USER_3=$(api POST /api/v1/users '{"email":"fay@example.com"}' | field id)
SPARE_KEY=$(api POST /api/v1/api-keys '{"name":"spare","permissions":{"live":["analytics"]}}' | field id)
APPLICATION=$(api POST /api/v1/applications '{"name":"Seed portal","client_type":"confidential","redirect_uris":["https://portal.example.com/callback"]}' | field id)

# Real ids half of the time, so that operations reach their logic beyond "not found".
cat >"$DATA/schemathesis.toml" <<TOML
seed = $SEED
workers = 1
hooks = "$ROOT/scripts/contract/hooks.py"

[generation]
mode = "all"
max-examples = $MAX_EXAMPLES
deterministic = true
database = "none"

# A stale If-Match (412) is a precondition on the object's state, not invalid data.
[checks.positive_data_acceptance]
expected-statuses = ["2xx", 401, 403, 404, 409, 412, 429]

# What a group change may be depends on the group it changes (a tenants group keeps at least
# one tenant and no business permission; sensitive grants the change adds need
# acknowledge_sensitive): the schema can state it for new groups, not for changes, so valid
# changes may meet these 422s.
[[operations]]
include-path = "/api/v1/groups/{group_id}"
include-method = "PATCH"
checks.positive_data_acceptance.expected-statuses = ["2xx", 401, 403, 404, 409, 412, 422, 429]

# Likewise for an application: its grant types must fit its stored client type and redirect
# URIs, and new service rights need the client_credentials grant it may not have.
[[operations]]
include-path = "/api/v1/applications/{application_id}"
include-method = "PATCH"
checks.positive_data_acceptance.expected-statuses = ["2xx", 401, 403, 404, 409, 412, 422, 429]

# A membership's end must lie ahead of the server's clock (and be given one way, not both):
# the schema cannot state "in the future".
[[operations]]
include-path = "/api/v1/groups/{group_id}/members"
include-method = "POST"
checks.positive_data_acceptance.expected-statuses = ["2xx", 401, 403, 404, 409, 412, 422, 429]

# An import's body is a CSV or JSON Lines file: its header and rows are checked as a file
# (the schema describes a string).
[[operations]]
include-path = "/api/v1/user-imports"
include-method = "POST"
checks.positive_data_acceptance.expected-statuses = ["2xx", 401, 403, 404, 409, 412, 422, 429]

# A webhook URL must be absolute https and, after DNS, not on a private or loopback address
# (SSRF): decided by resolving the name, which no schema can state.
[[operations]]
include-path = "/api/v1/webhooks"
include-method = "POST"
checks.positive_data_acceptance.expected-statuses = ["2xx", 401, 403, 404, 409, 412, 422, 429]

[[operations]]
include-path = "/api/v1/webhooks/{webhook_id}"
include-method = "PATCH"
checks.positive_data_acceptance.expected-statuses = ["2xx", 401, 403, 404, 409, 412, 422, 429]

# An access review's due date (and a schedule's first start) must lie ahead of the server's
# clock, its named reviewers must be active users, every membership in scope needs a reviewer
# other than the member, and a schedule's review_days may not exceed its every_days: the
# clock, stored state and a join of fields, which the schema cannot state.
[[operations]]
include-path = "/api/v1/access-reviews"
include-method = "POST"
checks.positive_data_acceptance.expected-statuses = ["2xx", 401, 403, 404, 409, 412, 422, 429]

[[operations]]
include-path = "/api/v1/access-review-schedules"
include-method = "POST"
checks.positive_data_acceptance.expected-statuses = ["2xx", 401, 403, 404, 409, 412, 422, 429]

# A removal needs a comment (a join of two fields), and a deactivated user owns no group
# (stored state).
[[operations]]
include-path = "/api/v1/access-reviews/{access_review_id}/items/{review_item_id}/decision"
include-method = "POST"
checks.positive_data_acceptance.expected-statuses = ["2xx", 401, 403, 404, 409, 412, 422, 429]

[[operations]]
include-path = "/api/v1/groups/{group_id}/owners/{user_id}"
include-method = "PUT"
checks.positive_data_acceptance.expected-statuses = ["2xx", 401, 403, 404, 409, 412, 422, 429]

[auth.openapi.api_key]
bearer = "\${GH_CONTRACT_KEY}"

[auth.openapi.operator]
bearer = "\${GH_CONTRACT_OPERATOR}"

[dictionaries.business_ids]
values = ["$BUSINESS"]
[dictionaries.tenant_ids]
values = ["$TENANT", "$TENANT_2"]
[dictionaries.group_ids]
values = ["$ADMINS", "$ANALYSTS", "$EMPTY"]
[dictionaries.user_ids]
values = ["$USER_1", "$USER_2", "$USER_3"]
[dictionaries.api_key_ids]
values = ["$SPARE_KEY"]
[dictionaries.application_ids]
values = ["$APPLICATION"]

[parameters]
"path.business_id" = { dictionary = "business_ids", probability = 0.5 }
"path.tenant_id" = { dictionary = "tenant_ids", probability = 0.5 }
"path.group_id" = { dictionary = "group_ids", probability = 0.5 }
"path.user_id" = { dictionary = "user_ids", probability = 0.5 }
"path.api_key_id" = { dictionary = "api_key_ids", probability = 0.5 }
"path.application_id" = { dictionary = "application_ids", probability = 0.5 }
TOML

export GH_CONTRACT_KEY="$KEY" GH_CONTRACT_OPERATOR="$OPERATOR"
export GH_CONTRACT_KEY_ID="$KEY_ID" GH_CONTRACT_TENANT_ID="$TENANT"

# Checks left off:
# - object_level_authorization needs a second principal of another business configured per
#   operation; tenant isolation is covered by crates/web/tests/api/isolation.rs.
status=0
# From the data directory, where Schemathesis leaves its cache.
(cd "$DATA" && "$VENV/bin/st" --no-color --config-file "$DATA/schemathesis.toml" run "$BASE/api/v1/openapi.json" \
    --checks all --exclude-checks object_level_authorization) || status=$?
if [ "$status" -ne 0 ]; then
    echo "contract test failed; the server log follows" >&2
    grep -v ' INFO ' "$DATA/serve.log" | tail -n 50 >&2
fi
exit "$status"
