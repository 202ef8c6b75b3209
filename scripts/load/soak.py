#!/usr/bin/env python3
"""Mixed soak against a running `gatehouse serve` (started by scripts/soak.sh).

Invites SIGNERS users (their invitations are read from the server's log, as an operator
without SMTP would) and has each set a password; then, for DURATION seconds, WORKERS threads
send a mix of decision checks, list reads and writes (group membership changes, new users
invited), while SIGN_IN_THREADS threads sign those users in with their passwords. The server's
RSS is read from /proc/<pid>/status every SAMPLE seconds. Prints every sample, then RSS at the
start, after 1,000 sign-ins and at the end, and the least-squares slope in MB/min.

Every answer is checked: a status other than the one expected, or a decision that is not a
boolean, counts as an error. Standard library only.
"""

import http.client
import json
import os
import random
import re
import sys
import threading
import time
import urllib.parse

BASE = os.environ["BASE"]  # http://127.0.0.1:PORT
KEY = os.environ["KEY"]
PID = int(os.environ["PID"])
LOG = os.environ["LOG"]
USERS = int(os.environ.get("USERS", "5000"))
DURATION = float(os.environ.get("DURATION", "600"))
SAMPLE = float(os.environ.get("SAMPLE", "10"))
SIGNERS = int(os.environ.get("SIGNERS", "120"))
WORKERS = int(os.environ.get("WORKERS", "4"))
SIGN_IN_THREADS = int(os.environ.get("SIGN_IN_THREADS", "2"))
SLUG = os.environ.get("SLUG", "bench")
PASSWORD = "Soak-{n}-violet kettle marches north"
PERMISSIONS = ["verification.view", "analytics", "flow_builder", "verification.perform",
               "developer_area", "theme_designer"]
HOST = urllib.parse.urlsplit(BASE)


def seed_id(kind, n):
    """gatehouse_store::testing::seed_id"""
    return f"01900000-0000-7000-8000-{kind:02x}00{n:08x}"


def rss_kib():
    with open(f"/proc/{PID}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


class Client:
    """One keep-alive connection."""

    def __init__(self):
        self.conn = http.client.HTTPConnection(HOST.hostname, HOST.port, timeout=60)

    def request(self, method, path, body=None, headers=None, form=None):
        headers = dict(headers or {})
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["content-type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            body = json.dumps(body)
            headers["content-type"] = "application/json"
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                res = self.conn.getresponse()
                return res.status, res.getheaders(), res.read()
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(HOST.hostname, HOST.port, timeout=60)
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def api(self, method, path, body=None):
        return self.request(method, path, body, {"authorization": f"Bearer {KEY}"})


def cookies(headers):
    jar = []
    for name, value in headers:
        if name.lower() == "set-cookie":
            jar.append(value.split(";", 1)[0])
    return "; ".join(jar)


def csrf_of(html):
    m = re.search(rb'name="csrf" value="([^"]+)"', html)
    if not m:
        raise RuntimeError("no csrf field")
    return m.group(1).decode()


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}
        self.errors = {}
        self.sign_ins = 0

    def add(self, kind, ok, detail=""):
        with self.lock:
            self.counts[kind] = self.counts.get(kind, 0) + 1
            if not ok:
                key = f"{kind}: {detail}"
                self.errors[key] = self.errors.get(key, 0) + 1
            if kind == "sign-in" and ok:
                self.sign_ins += 1


def invite(client, n):
    email = f"soak{n}-{os.getpid()}@example.com"
    status, _, body = client.api("POST", "/api/v1/users",
                                 {"email": email, "display_name": f"Soak {n}"})
    if status != 201:
        raise RuntimeError(f"inviting {email}: {status} {body[:200]!r}")
    return email


def invitation_links():
    """email -> invitation path, from the server's log (the outbox's notice of each mail)."""
    links = {}
    with open(LOG, errors="replace") as f:
        for line in f:
            if "invitation" not in line or "outbox" not in line:
                continue
            email = re.search(r"[\w.+-]+@example\.com", line)
            link = re.search(r"/b/[\w-]+/invitation/[\w-]+", line)
            if email and link:
                links[email.group(0)] = link.group(0)
    return links


def set_up_signers(client):
    emails = [invite(client, n) for n in range(SIGNERS)]
    deadline = time.time() + 60
    while True:
        links = invitation_links()
        if all(e in links for e in emails):
            break
        if time.time() > deadline:
            raise RuntimeError("invitations not in the log after 60 s")
        time.sleep(0.5)
    for n, email in enumerate(emails):
        status, headers, html = client.request("GET", links[email])
        if status != 200:
            raise RuntimeError(f"invitation page for {email}: {status}")
        status, _, body = client.request(
            "POST", links[email], headers={"cookie": cookies(headers)},
            form={"csrf": csrf_of(html), "password": PASSWORD.format(n=n)})
        if status != 303:
            raise RuntimeError(f"accepting {email}: {status} {body[:300]!r}")
    return emails


def signer(stats, stop, emails, seed):
    rng = random.Random(seed)
    client = Client()
    status, headers, html = client.request("GET", f"/b/{SLUG}/sign-in")
    jar, csrf = cookies(headers), csrf_of(html)
    while not stop.is_set():
        n = rng.randrange(len(emails))
        status, _, _ = client.request(
            "POST", f"/b/{SLUG}/sign-in", headers={"cookie": jar},
            form={"csrf": csrf, "email": emails[n], "password": PASSWORD.format(n=n)})
        stats.add("sign-in", status == 303, status)


def worker(stats, stop, seed):
    rng = random.Random(seed)
    client = Client()
    invited = 0
    while not stop.is_set():
        roll = rng.random()
        if roll < 0.70:
            q = {"user_id": seed_id(3, rng.randrange(USERS)),
                 "permission": rng.choice(PERMISSIONS),
                 "tenant_id": seed_id(1, rng.randrange(200)),
                 "environment": rng.choice(["live", "sandbox"])}
            status, _, body = client.api("POST", "/api/v1/authz/check", q)
            ok = status == 200 and isinstance(json.loads(body).get("allowed"), bool)
            stats.add("check", ok, status)
        elif roll < 0.80:
            letters = "abcdefghijklmnopqrstuvwxyz"
            status, _, _ = client.api("GET", f"/api/v1/users?limit=50&q={rng.choice(letters)}")
            stats.add("list users", status == 200, status)
        elif roll < 0.85:
            status, _, _ = client.api("GET", "/api/v1/groups")
            stats.add("list groups", status == 200, status)
        elif roll < 0.92:
            group = seed_id(2, rng.randrange(500))
            user = seed_id(3, rng.randrange(USERS))
            status, _, _ = client.api("POST", f"/api/v1/groups/{group}/members",
                                      {"user_ids": [user]})
            stats.add("add member", status in (200, 201, 204), status)
        elif roll < 0.99:
            group = seed_id(2, rng.randrange(500))
            user = seed_id(3, rng.randrange(USERS))
            status, _, _ = client.api("DELETE", f"/api/v1/groups/{group}/members/{user}")
            stats.add("remove member", status in (200, 204, 404), status)
        else:
            invited += 1
            email = f"grow{seed}-{invited}-{os.getpid()}@example.com"
            status, _, _ = client.api("POST", "/api/v1/users",
                                      {"email": email, "display_name": "Grow"})
            stats.add("invite", status == 201, status)


def slope_mb_per_min(points):
    """Least-squares slope of (seconds, KiB) points, in MB (10^6 bytes) per minute."""
    if len(points) < 2:
        return float("nan")
    n = len(points)
    mx = sum(t for t, _ in points) / n
    my = sum(k for _, k in points) / n
    sxx = sum((t - mx) ** 2 for t, _ in points)
    sxy = sum((t - mx) * (k - my) for t, k in points)
    return sxy / sxx * 1024 * 60 / 1e6


def mb(kib):
    return kib * 1024 / 1e6


def main():
    client = Client()
    print(f"RSS before any request: {mb(rss_kib()):.1f} MB", flush=True)
    emails = set_up_signers(client)
    print(f"{len(emails)} users set a password; RSS {mb(rss_kib()):.1f} MB", flush=True)

    stats, stop = Stats(), threading.Event()
    threads = [threading.Thread(target=worker, args=(stats, stop, i)) for i in range(WORKERS)]
    threads += [threading.Thread(target=signer, args=(stats, stop, emails, 1000 + i))
                for i in range(SIGN_IN_THREADS)]
    start = time.time()
    samples = [(0.0, rss_kib(), 0, 0)]
    after_1000 = None
    for t in threads:
        t.start()
    print(f"{'s':>5} {'RSS MB':>8} {'sign-ins':>9} {'requests':>9}", flush=True)
    print(f"{0:5.0f} {mb(samples[0][1]):8.1f} {0:9d} {0:9d}", flush=True)
    next_sample = start + SAMPLE
    while time.time() - start < DURATION:
        time.sleep(max(0.0, min(next_sample, start + DURATION) - time.time()))
        with stats.lock:
            signed, total = stats.sign_ins, sum(stats.counts.values())
        if after_1000 is None and signed >= 1000:
            after_1000 = (time.time() - start, rss_kib(), signed)
        if time.time() >= next_sample:
            samples.append((time.time() - start, rss_kib(), signed, total))
            s = samples[-1]
            print(f"{s[0]:5.0f} {mb(s[1]):8.1f} {s[2]:9d} {s[3]:9d}", flush=True)
            next_sample += SAMPLE
    stop.set()
    for t in threads:
        t.join()
    elapsed = time.time() - start
    end = (elapsed, rss_kib(), stats.sign_ins, sum(stats.counts.values()))
    samples.append(end)

    total = sum(stats.counts.values())
    print()
    print(f"requests: {total:,} in {elapsed:.0f} s ({total / elapsed:,.0f}/s); "
          + ", ".join(f"{k} {v:,}" for k, v in sorted(stats.counts.items())))
    errors = sum(stats.errors.values())
    print(f"errors: {errors}" + ("" if not errors else " " + json.dumps(stats.errors)))
    print(f"RSS at start:            {mb(samples[0][1]):8.1f} MB")
    if after_1000:
        print(f"RSS after 1,000 sign-ins: {mb(after_1000[1]):7.1f} MB (at {after_1000[0]:.0f} s)")
    else:
        print(f"RSS after 1,000 sign-ins: not reached ({stats.sign_ins} sign-ins)")
    print(f"RSS at the end:          {mb(end[1]):8.1f} MB ({stats.sign_ins:,} sign-ins)")
    points = [(t, k) for t, k, _, _ in samples]
    print(f"slope, whole run:        {slope_mb_per_min(points):+8.2f} MB/min")
    if after_1000:
        steady = [(t, k) for t, k in points if t >= after_1000[0]]
        print(f"slope after 1,000 sign-ins: {slope_mb_per_min(steady):+5.2f} MB/min "
              f"({len(steady)} samples)")
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
