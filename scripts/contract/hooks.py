"""Schemathesis hooks of the contract test (scripts/contract-test.sh).

They add what a schema cannot say, and nothing that would hide a disagreement:

- a check that every error answer carries a code of the registry (`x-error-codes` of
  `ErrorDetail.code`) with the registry's status;
- positive cases drop a made-up `cursor` (a cursor is only ever one the list issued; negative
  cases keep theirs, which the server must refuse with `invalid_cursor`);
- positive cases of rules that join parameters or depend on the clock get what the
  description asks for: `who-can` with an environment permission names a tenant and an
  environment; an API key's `expires_at` lies in the future;
- the API key the test authenticates with is never revoked (that would end the run's access).
"""

import datetime
import os

import schemathesis
from schemathesis.core.parameters import ParameterLocation

OWN_KEY_ID = os.environ["GH_CONTRACT_KEY_ID"]
TENANT_ID = os.environ["GH_CONTRACT_TENANT_ID"]


def _raw(case):
    return case.operation.schema.raw_schema


def _registry(case):
    code = _raw(case)["components"]["schemas"]["ErrorDetail"]["properties"]["code"]
    return {entry["code"]: entry["status"] for entry in code["x-error-codes"]}


def _environment_keys(case):
    grants = _raw(case)["components"]["schemas"]["Grants"]["properties"]
    return set(grants["live"]["items"]["enum"])


def _positive(case, location):
    meta = case.meta
    return meta is None or not meta.is_negative_at(location)


@schemathesis.check
def registered_error_code(ctx, response, case):
    """An error answer's `code` is registered, with the status it is answered with."""
    if response.status_code < 400 or not response.content:
        return None
    try:
        body = response.json()
    except ValueError:
        raise AssertionError(f"an error answer that is not JSON: {response.text[:200]!r}")
    code = (body.get("error") or {}).get("code") if isinstance(body, dict) else None
    registry = _registry(case)
    if code not in registry:
        raise AssertionError(f"error code {code!r} is not in x-error-codes")
    if registry[code] != response.status_code:
        raise AssertionError(
            f"error code {code!r} answered with {response.status_code}, registered as {registry[code]}"
        )
    return None


@schemathesis.hook
def filter_path_parameters(context, path_parameters):
    return not path_parameters or path_parameters.get("api_key_id") != OWN_KEY_ID


@schemathesis.hook
def map_case(context, case):
    path = case.operation.path
    if case.query and "cursor" in case.query and _positive(case, ParameterLocation.QUERY):
        case.query = {k: v for k, v in case.query.items() if k != "cursor"}
    if (
        path == "/api/v1/authz/who-can"
        and isinstance(case.query, dict)
        and _positive(case, ParameterLocation.QUERY)
        and case.query.get("permission") in _environment_keys(case)
    ):
        query = dict(case.query)
        query.setdefault("tenant", TENANT_ID)
        query.setdefault("environment", "live")
        case.query = query
    if (
        path.endswith("/api-keys")
        and case.operation.method.lower() == "post"
        and isinstance(case.body, dict)
        and isinstance(case.body.get("expires_at"), str)
        and _positive(case, ParameterLocation.BODY)
    ):
        body = dict(case.body)
        try:
            expires = datetime.datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
        except ValueError:
            expires = None
        now = datetime.datetime.now(datetime.timezone.utc)
        if expires is None or expires.tzinfo is None or expires <= now:
            body["expires_at"] = (now + datetime.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
            case.body = body
    return case
