"""Load and fault benchmark: `sendwise serve --workers N` on PostgreSQL with
stored context, concurrent clients mixing POST /api/v1/analyze and
POST /api/v1/sent over loopback.

    scripts/pg-test-env .venv/bin/python bench/load.py            # 100k contacts, 1M fingerprints
    scripts/pg-test-env .venv/bin/python bench/load.py --quick    # 10k / 100k, minutes less loading
    ... bench/load.py --offered-rate 600      # open loop: requests start at this rate, whatever the answers
    ... bench/load.py --fault pg-restart      # PostgreSQL stopped for 3 s in the middle of each run
    ... bench/load.py --fault worker-kill     # one gunicorn worker SIGKILLed in the middle of each run
    ... bench/load.py --fault crm-hang        # a HubSpot sync against a stand-in that never answers

PostgreSQL comes from --pg-url or SENDWISE_TEST_POSTGRES_URL (the role
needs CREATEDB); a throw-away database is created there, filled with the
synthetic organisation of bench/context.py, and dropped at the end.
`--fault pg-restart` stops and starts that server with pg_ctl, so it needs
a cluster of its own (scripts/pg-test-env makes one; its data folder is
found from the URL's socket folder).

Bounded: --runs runs of --duration seconds each (default 3 x 10 s), one
server, loopback only. Closed loop by default: --clients threads, each
with a keep-alive connection, send the next request when the answer to the
last one arrives; 80 % analyses (drafts from bench/context.py: half edited
copies of stored templates, to three stored contacts), 20 % sent records,
each with a new Message-ID. The load generator runs on the same machine
and takes CPU from the server: figures are for server and clients together.

Prints, per run and as the median of the runs: requests per second,
analyses per second, p50/p99 latency of analyses and of sents, answers by
status (connection errors counted as status 0), and the CPU time per
request of the server, of PostgreSQL (every `postgres` process on the
machine) and of the clients (this process), from /proc. After each
run: whether every `sent` answered 2xx is in the database. Only prints;
never exits non-zero because of a measurement.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import make_url, text  # noqa: E402

from bench import context as ctx  # noqa: E402
from bench.analyze import machine  # noqa: E402


@dataclass
class Result:
    started: float
    kind: str  # "analyze" | "sent"
    status: int  # 0: no answer (connection error)
    ms: float
    message_id: str | None = None


@dataclass
class Run:
    results: list[Result] = field(default_factory=list)
    seconds: float = 0.0
    events: list[str] = field(default_factory=list)
    crm_statuses: Counter = field(default_factory=Counter)
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds by part, during the run


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`sendwise serve --workers N` in a process group of its own."""

    def __init__(self, url: str, workers: int, log: Path):
        self.port = free_port()
        self.log = log
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "SENDWISE_DEMO": "0",
            "SENDWISE_LOG_LEVEL": "WARNING",
            # The limiter runs (its database upsert is part of the cost) but never refuses here.
            "SENDWISE_RATE_LIMIT_ORG": ARGS.rate_limit,
            "SENDWISE_RATE_LIMIT_KEY": ARGS.rate_limit,
        }
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "backend.cli", "serve", "--port", str(self.port), "--workers", str(workers)],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=out,
                start_new_session=True,
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/api/v1/ready")
                if conn.getresponse().status == 200:
                    conn.close()
                    break
            except OSError:
                time.sleep(0.3)
        else:
            raise RuntimeError(f"server did not start: {log.read_text()[-1500:]}")
        time.sleep(1.0)  # the other workers finish booting

    def workers(self) -> list[int]:
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(p) for p in path.read_text().split()] if path.exists() else []

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def client_loop(port: int, key: str, bodies: list[bytes], drafts: list[dict], stop_at: float, out: list, seed: int):
    rng = random.Random(seed)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    conn: http.client.HTTPConnection | None = None
    n = 0
    interval = ARGS.clients / ARGS.offered_rate if ARGS.offered_rate else 0.0
    next_start = time.monotonic() + rng.random() * interval
    while True:
        if interval:
            now = time.monotonic()
            if next_start > now:
                time.sleep(next_start - now)
            next_start += interval
        started = time.monotonic()
        if started >= stop_at:
            break
        n += 1
        if rng.random() < 0.2:
            message_id = f"<load-{seed}-{n}-{rng.getrandbits(40):x}@brightway-lighting.cn>"
            kind, path = "sent", "/api/v1/sent"
            body = json.dumps({"draft": rng.choice(drafts)["draft"], "message_id": message_id}).encode()
        else:
            message_id, kind, path, body = None, "analyze", "/api/v1/analyze", rng.choice(bodies)
        status, crm = 0, None
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("POST", path, body, headers)
            response = conn.getresponse()
            payload = response.read()
            status = response.status
            if kind == "analyze" and status == 200 and ARGS.fault == "crm-hang":
                crm = (json.loads(payload).get("crm") or {}).get("status", "none")
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException):
            if conn is not None:
                conn.close()
            conn = None
        out.append(Result(started, kind, status, (time.monotonic() - started) * 1000, message_id))
        if crm is not None:
            out.append(Result(started, f"crm:{crm}", 200, 0.0))
    if conn is not None:
        conn.close()


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu(pid: int) -> float:
    """User + system CPU seconds of one process (0 once it has gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def cpu_by_part(server: Server) -> dict[str, float]:
    """CPU seconds so far of the server (master and workers), of every
    PostgreSQL process on the machine, and of this process (the clients)."""
    postgres = 0.0
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == "postgres":
                postgres += _cpu(int(comm.parent.name))
        except OSError:
            continue
    return {
        "server": _cpu(server.proc.pid) + sum(_cpu(w) for w in server.workers()),
        "PostgreSQL": postgres,
        "clients": time.process_time(),
    }


def pg_ctl(url: str, action: str) -> None:
    """Stop or start the PostgreSQL cluster behind `url` (a pg-test-env one:
    its data folder is `<socket folder>/data`)."""
    folder = make_url(url).query.get("host")
    if not folder or not Path(folder, "data").is_dir():
        raise RuntimeError("--fault pg-restart needs a scripts/pg-test-env cluster (socket folder with data/)")
    bin_dir = os.environ.get("PG_BIN") or next(
        (str(p.parent) for p in sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))), ""
    )
    pg_ctl_path = str(Path(bin_dir, "pg_ctl")) if bin_dir else "pg_ctl"
    as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    command = [*as_owner, pg_ctl_path, "-D", str(Path(folder, "data")), "-w", "-t", "60"]
    if action == "stop":
        command += ["-m", "fast", "stop"]
    else:
        command += ["-l", str(Path(folder, "server.log")), "start", "-o", _pg_options(folder)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


def _pg_options(folder: str) -> str:
    # What scripts/pg-test-env starts the server with.
    return (
        f"-c listen_addresses='' -k {folder} -p 5432 -c fsync=off -c synchronous_commit=off "
        "-c full_page_writes=off -c max_connections=200"
    )


SYNC = [sys.executable, "-m", "backend.cli", "crm", "sync", "hubspot", "--org", "demo"]


def hanging_crm() -> tuple[socket.socket, str]:
    """A HubSpot stand-in that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    return listener, f"http://127.0.0.1:{listener.getsockname()[1]}"


def run_once(server: Server, url: str, key: str, bodies: list[bytes], drafts: list[dict], index: int) -> Run:
    run = Run()
    cpu_before = cpu_by_part(server)
    out: list[Result] = []
    start = time.monotonic()
    stop_at = start + ARGS.duration
    threads = [
        threading.Thread(target=client_loop, args=(server.port, key, bodies, drafts, stop_at, out, index * 1000 + i))
        for i in range(ARGS.clients)
    ]
    for t in threads:
        t.start()
    time.sleep(ARGS.duration / 3)
    fault_at = back_at = time.monotonic()
    if ARGS.fault == "pg-restart":
        pg_ctl(url, "stop")
        run.events.append(f"PostgreSQL stopped at {fault_at - start:.1f} s")
        time.sleep(3)
        pg_ctl(url, "start")
        back_at = time.monotonic()
        run.events.append(f"PostgreSQL started at {back_at - start:.1f} s")
    elif ARGS.fault == "worker-kill":
        victims = server.workers()
        if victims:
            os.kill(victims[0], signal.SIGKILL)
            run.events.append(f"worker {victims[0]} killed at {fault_at - start:.1f} s (of {len(victims)})")
    elif ARGS.fault == "crm-hang":
        listener, crm_url = hanging_crm()
        env = {**os.environ, "DATABASE_URL": url, "HUBSPOT_LOAD_TOKEN": "pat-na1-load-test"}
        t0 = time.monotonic()
        sync = subprocess.run(
            [*SYNC, "--token-env", "HUBSPOT_LOAD_TOKEN", "--base-url", crm_url, "--timeout", "2", "-q"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        listener.close()
        last = (sync.stderr.strip().splitlines() or ["(no output)"])[-1]
        run.events.append(
            f"HubSpot sync against a silent stand-in: exit {sync.returncode} after {time.monotonic() - t0:.1f} s: {last[:160]}"
        )
    for t in threads:
        t.join()
    run.seconds = time.monotonic() - start
    run.cpu = {part: seconds - cpu_before[part] for part, seconds in cpu_by_part(server).items()}
    run.results = [r for r in out if not r.kind.startswith("crm:")]
    run.crm_statuses = Counter(r.kind[4:] for r in out if r.kind.startswith("crm:"))
    if ARGS.fault in ("pg-restart", "worker-kill"):
        # Recovered: requests started a second after PostgreSQL is back (pg_ctl -w), or after the kill.
        after = [r for r in run.results if r.started > (back_at if ARGS.fault == "pg-restart" else fault_at) + 1]
        ok_after = sum(1 for r in after if r.status in (200, 201))
        failed = [r for r in run.results if r.status not in (200, 201)]
        slowest_failure = max((r.ms for r in failed), default=0.0)
        run.events.append(
            f"answers after recovery: {ok_after}/{len(after)} 2xx; failures {len(failed)}, "
            f"slowest failure {slowest_failure:.0f} ms"
        )
    return run


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def summarise(run: Run) -> dict:
    analyses = [r.ms for r in run.results if r.kind == "analyze" and r.status == 200]
    sents = [r.ms for r in run.results if r.kind == "sent" and r.status in (200, 201)]
    statuses = Counter(r.status for r in run.results)
    return {
        "rps": len(run.results) / run.seconds,
        "analyses_ps": len(analyses) / run.seconds,
        "a50": pct(analyses, 0.5),
        "a99": pct(analyses, 0.99),
        "s50": pct(sents, 0.5),
        "s99": pct(sents, 0.99),
        "statuses": statuses,
        "errors": sum(n for s, n in statuses.items() if s not in (200, 201)),
        "cpu_ms": {part: sec / max(1, len(run.results)) * 1000 for part, sec in run.cpu.items()},
        "busy": sum(run.cpu.values()) / (run.seconds * (os.cpu_count() or 1)),
    }


def cpu_line(s: dict) -> str:
    parts = ", ".join(f"{part} {ms:.1f} ms" for part, ms in s["cpu_ms"].items())
    return (
        f"CPU per request: {parts} (total {sum(s['cpu_ms'].values()):.1f} ms); "
        f"{s['busy']:.0%} of {os.cpu_count()} cores busy"
    )


def check_sents(database, run: Run) -> str:
    ids = [r.message_id for r in run.results if r.kind == "sent" and r.status in (200, 201)]
    found = 0
    with database.engine.connect() as conn:
        for i in range(0, len(ids), 1000):
            chunk = ids[i : i + 1000]
            found += conn.execute(
                text("SELECT count(*) FROM sent_messages WHERE message_id = ANY(:ids)"), {"ids": chunk}
            ).scalar_one()
    return f"{found}/{len(ids)} sents answered 2xx are in the database" + ("" if found == len(ids) else "  <-- LOST")


def main() -> None:
    from backend.storage import Database, apikeys, queries
    from backend.storage.migrate import upgrade

    admin_url = ARGS.pg_url or os.environ.get("SENDWISE_TEST_POSTGRES_URL")
    if not admin_url:
        print("needs PostgreSQL: --pg-url, or run under scripts/pg-test-env")
        return
    size = ctx.QUICK if ARGS.quick else ctx.FULL
    print(
        f"sendwise load benchmark: {size.contacts:,} contacts, {size.messages:,} sent fingerprints; "
        f"{ARGS.workers} workers, {ARGS.clients} clients, {ARGS.runs} x {ARGS.duration:g} s, "
        f"{'offered ' + str(ARGS.offered_rate) + ' req/s' if ARGS.offered_rate else 'closed loop'}, "
        f"fault: {ARGS.fault}"
    )
    print(f"machine: {machine()}; clients and server share it")
    data = ctx.make_data(size)
    url, drop = ctx.postgres_database(admin_url)
    database = Database(url)
    server = None
    try:
        upgrade(database)
        org_id = ctx.create_org(database, data)
        ctx.load_postgres(database, data, org_id)
        with database.session() as session:
            org = queries.org_by_slug(session, "demo")
            _, key = apikeys.create(session, org, data.now)
        bodies = [json.dumps(r).encode() for r in data.requests]
        log = Path(os.environ.get("TMPDIR", "/tmp")) / f"sendwise-load-{os.getpid()}.log"
        server = Server(url, ARGS.workers, log)
        # Warm-up: every worker has loaded what it caches, the pool is full.
        warm: list[Result] = []
        client_loop(server.port, key, bodies, data.requests, time.monotonic() + 3, warm, 999)
        summaries = []
        for i in range(ARGS.runs):
            run = run_once(server, url, key, bodies, data.requests, i + 1)
            s = summarise(run)
            summaries.append(s)
            print(
                f"run {i + 1}: {s['rps']:6.1f} req/s, {s['analyses_ps']:6.1f} analyses/s; analyze p50 {s['a50']:5.1f} ms "
                f"p99 {s['a99']:6.1f} ms; sent p50 {s['s50']:5.1f} ms p99 {s['s99']:6.1f} ms; "
                f"statuses {dict(sorted(s['statuses'].items()))}"
            )
            print(f"       {cpu_line(s)}")
            for event in run.events:
                print(f"       {event}")
            if run.crm_statuses:
                print(f"       crm.status in the analyses: {dict(run.crm_statuses)}")
            if server.proc.poll() is not None:
                print("       the server exited:", log.read_text()[-800:])
                break
            print(f"       {check_sents(database, run)}")
        med = {
            k: statistics.median(s[k] for s in summaries) for k in ("rps", "analyses_ps", "a50", "a99", "s50", "s99")
        }
        errors = sum(s["errors"] for s in summaries)
        print(
            f"median of {len(summaries)}: {med['rps']:.1f} req/s, {med['analyses_ps']:.1f} analyses/s, "
            f"analyze p50 {med['a50']:.1f} ms p99 {med['a99']:.1f} ms, sent p50 {med['s50']:.1f} ms "
            f"p99 {med['s99']:.1f} ms; non-2xx answers over all runs: {errors}"
        )
        print(
            "median "
            + cpu_line(
                {
                    "cpu_ms": {p: statistics.median(s["cpu_ms"][p] for s in summaries) for p in summaries[0]["cpu_ms"]},
                    "busy": statistics.median(s["busy"] for s in summaries),
                }
            )
        )
        print("target: >= 300 analyses/s, p99 <= 50 ms, 0 errors (2 cores, stored context)")
        # 300 analyses are 80 % of the mix: 375 requests a second share the machine's cores.
        print(
            f"       that is at most {(os.cpu_count() or 1) / 375 * 1000:.1f} ms of CPU per request, all parts together"
        )
    except Exception:
        traceback.print_exc(file=sys.stdout)
    finally:
        if server is not None:
            server.stop()
        database.dispose()
        try:
            drop()
        except Exception:
            traceback.print_exc(file=sys.stdout)


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="10k contacts, 100k fingerprints")
    p.add_argument("--pg-url", help="PostgreSQL server URL (else SENDWISE_TEST_POSTGRES_URL)")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--clients", type=int, default=8, help="concurrent client threads (keep-alive connections)")
    p.add_argument("--duration", type=float, default=10.0, help="seconds per run")
    p.add_argument("--runs", type=int, default=3, help="runs; the median is reported")
    p.add_argument("--offered-rate", type=float, help="open loop: start this many requests per second in all")
    p.add_argument("--fault", choices=("none", "pg-restart", "worker-kill", "crm-hang"), default="none")
    p.add_argument("--rate-limit", default="1000000/minute", help="the server's per-org and per-key limit")
    return p.parse_args(argv)


ARGS = parse_args([])

if __name__ == "__main__":
    ARGS = parse_args()
    try:
        main()
    except Exception:
        traceback.print_exc(file=sys.stdout)
    sys.exit(0)
