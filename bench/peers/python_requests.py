"""Python `requests` (the official Python SDK's transport) doing B1's calls on one Session.

`python3 python_requests.py b1 '<job JSON>'` prints {"rounds": [calls/s, ...]}.
"""
import json
import os
import sys
import time
import urllib.parse

import requests


def main() -> None:
    kind, job = sys.argv[1], json.loads(sys.argv[2])
    if kind != "b1":
        raise SystemExit(f"unknown kind {kind}")
    url = job["url"]
    s = requests.Session()
    # The environment's REQUESTS_CA_BUNDLE would override Session.verify (a requests quirk).
    s.trust_env = False
    s.verify = job["caFile"]
    r = s.post(f"{url}/appmesh/login", auth=(
        os.environ.get("APPMESH_BENCH_USER") or "admin",
        os.environ.get("APPMESH_BENCH_PASSWORD") or "admin123",
    ))
    r.raise_for_status()
    s.headers["Authorization"] = "Bearer " + r.json()["access_token"]
    app_url = f"{url}/appmesh/app/{urllib.parse.quote(job['app'], safe='')}"
    labels_url = f"{url}/appmesh/labels"

    def call(i: int) -> None:
        res = s.get(labels_url if i % 2 else app_url)
        res.raise_for_status()
        res.json()

    def round_(n: int) -> float:
        t0 = time.perf_counter()
        for i in range(n):
            call(i)
        return n / (time.perf_counter() - t0)

    round_(job["warmup"])
    rounds = [round_(job["calls"]) for _ in range(job["rounds"])]
    print(json.dumps({"rounds": rounds}))


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # reported to the bench as JSON
        print(json.dumps({"error": f"{type(e).__name__}: {e}"}))
        sys.exit(1)
