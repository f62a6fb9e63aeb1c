"""How long the slowest requests anyone can send take, and whether the server
keeps answering while one runs.

    python bench/hostile.py            # every shape at 100 KB and 1 MB, then the health check under load
    python bench/hostile.py --size 100000 --only digits

Each shape is a request a caller could send (a pasted spreadsheet, a body
of one repeated character, a huge inline contact...). Part 1 times
`nlp.analyze` on each, median of several runs, each run in a child process
with a deadline so that a shape that stalls is reported as such instead of
stalling the benchmark. Part 2 starts `sendwise serve` on loopback, sends
the slowest shape found to /api/v1/analyze from one thread and measures
GET /api/v1/health latency from another while it runs.

Only prints figures; never exits non-zero because of a measurement.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SENDER = {"name": "Tom Li", "email": "tom@brightway-lighting.cn"}
ANNA = {"name": "Anna Schmidt", "email": "anna.schmidt@mueller-leuchten.de"}


def _fill(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def _body(text: str) -> dict:
    return {
        "draft": {"from": SENDER, "to": [ANNA], "subject": "Offer", "body": {"text": text}},
        "context": {"now": "2026-11-27T10:00:00Z"},
    }


def _html(html: str) -> dict:
    req = _body("")
    req["draft"]["body"] = {"html": html}
    return req


def _company(size: int) -> dict:
    req = _body("Dear Anna,\n\nPlease find our offer attached.\n\nBest regards,\nTom")
    # Inline contacts are capped like stored ones now; many of them carry the length instead.
    company = _fill("a b ", 200)
    req["context"]["contacts"] = [
        {"email": f"p{i}@firm{i}.de", "name": "A B", "company": company} for i in range(max(size // 250, 1))
    ][:20_000]
    return req


SHAPES: dict[str, Callable[[int], dict]] = {
    "digits": lambda n: _body(_fill("7", n)),
    "letters": lambda n: _body(_fill("a", n)),
    "capitals": lambda n: _body(_fill("A", n)),
    "spaces": lambda n: _body("Dear Anna,\n" + _fill(" ", n)),
    "newlines": lambda n: _body(_fill("\n", n)),
    "words": lambda n: _body(_fill("a b ", n)),
    "shouting": lambda n: _body(_fill("FREE!!!??? ", n)),
    "percent-placeholders": lambda n: _body(_fill("%A", n)),
    "braces": lambda n: _body(_fill("{{", n)),
    "brackets": lambda n: _body(_fill("[a", n)),
    "angles": lambda n: _body(_fill("<<a", n)),
    "dots": lambda n: _body(_fill("a.", n)),
    "at-signs": lambda n: _body(_fill("a@", n)),
    "dashes": lambda n: _body(_fill("-", n)),
    "urls": lambda n: _body(_fill("see https://example.com/a?b=c ", n)),
    "emails": lambda n: _body(_fill("a.b@c-d.de ", n)),
    "phone-like": lambda n: _body(_fill("+86 574 8776 ", n)),
    "one-line-sentences": lambda n: _body(_fill("We are a manufacturer of LED panels. ", n)),
    "short-lines": lambda n: _body(_fill("Tom Li\n", n)),
    "greeting-lines": lambda n: _body(_fill("Dear Anna,\n", n)),
    "signoff-lines": lambda n: _body(_fill("Best regards,\n", n)),
    "quote-lines": lambda n: _body(_fill("> On Monday Anna wrote:\n", n)),
    "cjk": lambda n: _body(_fill("您好，我们是LED面板制造商。", n)),
    "html-tags": lambda n: _html(_fill("<b>", n)),
    "html-links": lambda n: _html(_fill('<a href="https://t.co/x">example.com</a> ', n)),
    "html-images": lambda n: _html(_fill('<img src="cid:x">', n)),
    "inline-companies": _company,
}


def _child(shape: str, size: int, runs: int) -> None:
    """In a child process: warm up, then time `runs` analyses; print JSON."""
    from nlp import InvalidRequest, analyze, warm_up

    warm_up()
    request = SHAPES[shape](size)
    times = []
    outcome = "ok"
    for _ in range(runs):
        started = time.perf_counter()
        try:
            analyze(request)
        except InvalidRequest as exc:
            outcome = f"refused: {exc}"
        times.append(time.perf_counter() - started)
    print(json.dumps({"median_s": statistics.median(times), "outcome": outcome}))


def time_shape(shape: str, size: int, runs: int, deadline: float) -> tuple[float | None, str]:
    command = [sys.executable, __file__, "--child", shape, "--size", str(size), "--runs", str(runs)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=deadline, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return None, f"still running after {deadline:.0f} s"
    if done.returncode != 0:
        return None, "failed: " + (done.stderr.strip().splitlines() or ["?"])[-1]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["median_s"], result["outcome"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def health_under_load(shape: str, size: int) -> None:
    port = _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp}/bench.db", "SENDWISE_DEMO": "1"}
        subprocess.run(
            [sys.executable, "-m", "backend.cli", "demo", "seed"], env=env, cwd=ROOT, check=True, capture_output=True
        )
        server = subprocess.Popen(
            [sys.executable, "-m", "backend.cli", "serve", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(base + "/api/v1/health", timeout=1).read()
                    break
                except OSError:
                    time.sleep(0.1)
            body = json.dumps(SHAPES[shape](size)).encode()
            analysed: list[float] = []

            def post() -> None:
                started = time.perf_counter()
                request = urllib.request.Request(
                    base + "/api/v1/analyze", body, {"Content-Type": "application/json"}, method="POST"
                )
                with contextlib.suppress(OSError):
                    urllib.request.urlopen(request, timeout=600).read()
                analysed.append(time.perf_counter() - started)

            worker = threading.Thread(target=post)
            worker.start()
            latencies = []
            while worker.is_alive() and len(latencies) < 200:
                started = time.perf_counter()
                urllib.request.urlopen(base + "/api/v1/health", timeout=600).read()
                latencies.append(time.perf_counter() - started)
                time.sleep(0.01)
            worker.join()
            if latencies:
                print(
                    f"  POST /api/v1/analyze ({shape}, {size:,} B body) took {analysed[0] * 1000:.0f} ms; "
                    f"GET /api/v1/health meanwhile: {len(latencies)} calls, median {statistics.median(latencies) * 1000:.1f} ms, "
                    f"max {max(latencies) * 1000:.1f} ms"
                )
            else:
                print(f"  POST /api/v1/analyze ({shape}) finished before a health check could be sent")
        finally:
            server.terminate()
            server.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, action="append", help="body size in characters (repeatable)")
    parser.add_argument("--only", action="append", choices=sorted(SHAPES), help="one shape (repeatable)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--deadline", type=float, default=120.0, help="seconds before a shape is reported as stalled")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = args.size or [100_000, 1_000_000]
    if args.child:
        _child(args.child, sizes[0], args.runs)
        return

    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, load average {load}")
    print(f"Part 1: nlp.analyze per shape, median of {args.runs} runs (after warm-up), each shape in its own process")
    worst: tuple[float, str, int] = (0.0, "", 0)
    for size in sizes:
        for shape in args.only or SHAPES:
            seconds, outcome = time_shape(shape, size, args.runs, args.deadline)
            shown = f"{seconds * 1000:9.1f} ms" if seconds is not None else "    stalled"
            print(f"  {size:>9,} B  {shape:<22} {shown}  {outcome if outcome != 'ok' else ''}", flush=True)
            if seconds is None:
                seconds = args.deadline
            if seconds > worst[0]:
                worst = (seconds, shape, size)
    print(f"slowest: {worst[1]} at {worst[2]:,} B, {worst[0] * 1000:.0f} ms")
    print("Part 2: health checks while the slowest request runs")
    health_under_load(worst[1], worst[2])


if __name__ == "__main__":
    main()
