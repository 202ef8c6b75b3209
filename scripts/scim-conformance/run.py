"""Runs scim2-tester's checks against a Gatehouse SCIM endpoint and prints one line per check.

Usage: run.py BASE_URL TOKEN
Exit status 0 when every check succeeds (or is skipped), 1 otherwise.
"""

import sys
import uuid

import scim2_tester.filling as filling
from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server


_examples = filling.get_random_example_value


def _example(path):
    """Gatehouse's userName is the user's email address (unique per business): the tester
    would otherwise send random UUIDs, which no email check accepts."""
    if str(path).split(":")[-1].lower() == "username":
        return f"{uuid.uuid4()}@example.com"
    return _examples(path)


filling.get_random_example_value = _example


def main() -> int:
    base, token = sys.argv[1], sys.argv[2]
    http = Client(base_url=base, headers={"Authorization": f"Bearer {token}"})
    client = SyncSCIMClient(http)
    results = check_server(client, raise_exceptions=False)
    failed = 0
    for r in results:
        status = r.status.name
        name = r.title
        if r.resource_type:
            name = f"{name} [{r.resource_type}]"
        reason = f" — {r.reason}" if r.reason else ""
        print(f"{status:8} {name}{reason}")
        if r.status not in (Status.SUCCESS, Status.SKIPPED):
            failed += 1
    ok = sum(1 for r in results if r.status == Status.SUCCESS)
    print(f"\n{ok} succeeded, {failed} failed, {len(results) - ok - failed} skipped, of {len(results)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
