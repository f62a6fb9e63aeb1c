"""The slowest analysis request a search can find, and how long the server
takes to answer it.

    python bench/slowest.py                  # 400 searched requests, then 5 timed runs
    python bench/slowest.py --examples 3000 --runs 7

Part 1 searches: hypothesis generates requests that keep the contract
(the property tests' strategies, tests/nlp/strategies.py: many recipients,
mixed scripts, HTML, merge fields, long runs, inline contacts and history)
and, with `target()`, steers the generation toward the requests
`nlp.analyze` takes longest on. Part 2 times the slowest one found again,
in this process (median of --runs) and as `POST /api/v1/analyze` to a
`sendwise serve` started on loopback with an organisation and an API key
in a throwaway SQLite database (median of --runs, wall time seen by the
client). The target is under one second. bench/hostile.py times the
hand-made hostile shapes; tests/backend/test_fuzz_api.py prints the
slowest answer schemathesis met.

Only prints figures; never exits non-zero because of a measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, Phase, given, settings, target  # noqa: E402

import nlp  # noqa: E402
from tests.nlp.strategies import requests as contract_requests  # noqa: E402


def search(examples: int) -> tuple[float, dict[str, Any]]:
    found: dict[str, Any] = {"seconds": 0.0, "request": None}

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.generate, Phase.target],
        suppress_health_check=list(HealthCheck),
    )
    @given(contract_requests())
    def probe(request: dict[str, Any]) -> None:
        seconds = float("inf")
        for _ in range(2):  # the faster of two: a pause of the machine is not a slow request
            started = time.perf_counter()
            nlp.analyze(request)
            seconds = min(seconds, time.perf_counter() - started)
        target(seconds, label="analysis seconds")
        if seconds > found["seconds"]:
            found.update(seconds=seconds, request=request)

    probe()
    return found["seconds"], found["request"]


def describe(request: dict[str, Any]) -> str:
    draft = request["draft"]
    body = draft.get("body")
    parts = {"text": body} if isinstance(body, str) else (body or {})
    sizes = ", ".join(f"{k} {len(v or ''):,} chars" for k, v in parts.items()) or "no body"
    recipients = sum(len(draft.get(f) or ()) for f in ("to", "cc", "bcc"))
    context = request.get("context", {})
    return (
        f"{recipients} recipients, {sizes}, subject {len(draft.get('subject') or ''):,} chars, "
        f"{len(context.get('contacts') or ())} contacts, {len(context.get('history') or ())} history messages"
    )


def in_process(request: dict[str, Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        nlp.analyze(request)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def over_http(request: dict[str, Any], runs: int) -> tuple[float, int]:
    from backend.storage import Database, apikeys, queries
    from backend.storage.migrate import upgrade

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/sendwise.db"
        database = Database(url)
        upgrade(database)
        now = datetime.now(UTC)
        with database.session() as session:
            org = queries.upsert_org(
                session,
                "bench",
                now,
                name="Brightway Lighting",
                domains=["brightway-lighting.cn"],
                default_locale="en",
                policy={},
            )
            _, key = apikeys.create(session, org, now)
            session.commit()
        database.dispose()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        env = {**os.environ, "DATABASE_URL": url, "SENDWISE_DEMO": "0"}
        server = subprocess.Popen(
            [sys.executable, "-m", "backend.cli", "serve", "--port", str(port), "--no-demo"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(base + "/api/v1/health", timeout=5).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit("sendwise serve did not start") from None
                    time.sleep(0.2)
            body = json.dumps(request).encode()
            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
            times, status = [], 0
            for _ in range(runs + 1):  # the first call loads the engine in the server
                req = urllib.request.Request(base + "/api/v1/analyze", data=body, headers=headers, method="POST")
                started = time.perf_counter()
                try:
                    with urllib.request.urlopen(req, timeout=60) as reply:
                        reply.read()
                        status = reply.status
                except urllib.error.HTTPError as err:
                    status = err.code
                times.append(time.perf_counter() - started)
            return statistics.median(times[1:]), status
        finally:
            server.terminate()
            server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=400, help="requests the search generates")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of the slowest one (median)")
    args = parser.parse_args()

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    nlp.warm_up()
    started = time.perf_counter()
    seconds, request = search(args.examples)
    print(f"search: {args.examples} generated requests in {time.perf_counter() - started:.0f} s")
    print(f"slowest found: {seconds * 1000:.0f} ms (faster of two runs); {describe(request)}")
    median = in_process(request, args.runs)
    print(f"nlp.analyze on it: median {median * 1000:.0f} ms of {args.runs} runs")
    http_median, status = over_http(request, args.runs)
    print(f"POST /api/v1/analyze on it: HTTP {status}, median {http_median * 1000:.0f} ms of {args.runs} runs")
    verdict = "under" if max(median, http_median) < 1 else "OVER"
    print(f"target: under 1 s -> {verdict}")


if __name__ == "__main__":
    main()
