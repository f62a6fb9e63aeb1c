"""Benchmark the Sent Items backfill: 10,000 sent messages of one mailbox
read from the Graph stand-in (tests/graph.py: TLS on loopback, a test CA,
pages of 100, msal's client-credentials token) into fingerprints on SQLite.

    python bench/backfill.py                    # 10,000 messages, 3 runs
    python bench/backfill.py --messages 2000 --runs 1

Two figures:
- throughput: `backfill.backfill_mailbox` in this process, a fresh
  database per run (fingerprint, band index, recipients, interactions,
  one commit per page); messages per second, median over the runs. The
  stand-in runs in this process too, so its JSON encoding is counted.
- memory: peak resident set size of `sendwise mailbox backfill` (the real
  command, a subprocess) for 100 and for the full count of messages: the
  difference is what the messages cost, since each page is dropped once
  committed.

Message bodies are 80 to 200 words drawn from a few templates with
substitutions (as sales mail is), recipients 1 to 3 of 2,000 addresses,
spread over 90 days. Only prints figures.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.analyze import machine  # noqa: E402

WORDS = (
    "lighting panel downlight catalogue price list sample warranty shipment container order quotation "
    "factory certificate delivery lead time stock packaging distributor project hotel office warehouse "
    "linear highbay driver lumen efficiency dimmable aluminium housing finish colour temperature"
).split()
MAILBOX = "tom.li@contoso.example"


def messages(count: int, now, seed: int = 7) -> list[dict]:
    from tests.graph import message

    rng = random.Random(seed)
    templates = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(80, 200))) for _ in range(20)]
    out = []
    for i in range(count):
        words = rng.choice(templates).split()
        for _ in range(rng.randint(0, 6)):
            words[rng.randrange(len(words))] = rng.choice(WORDS)
        to = [f"buyer{rng.randrange(2000)}@customer{rng.randrange(400)}.example" for _ in range(rng.randint(1, 3))]
        sent_at = now - timedelta(seconds=rng.randrange(89 * 86400))
        out.append(
            message(i, MAILBOX, to, sent_at, "Dear Sir or Madam,\n\n" + " ".join(words) + "\n\nBest regards,\nTom")
        )
    return out


def fresh_database(tmp: Path, name: str, now) -> tuple[str, int]:
    from backend.storage import Database, queries
    from backend.storage.migrate import upgrade
    from tests.microsoft import TENANT

    url = f"sqlite:///{tmp / name}"
    database = Database(url)
    upgrade(database)
    with database.session() as session:
        org = queries.upsert_org(
            session, "contoso", now, name="Contoso", domains=["contoso.example"], default_locale="en",
            policy={}, microsoft_tenant=TENANT,
        )  # fmt: skip
        org_id = org.id
    database.dispose()
    return url, org_id


def peak_rss_of_cli(url: str, graph, count: int) -> tuple[float, float]:
    """(MB peak RSS, seconds) of `sendwise mailbox backfill` reading `count` messages."""
    from tests.graph import SECRET
    from tests.microsoft import CLIENT_ID

    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SENDWISE_MS_CLIENT_ID": CLIENT_ID,
        "SENDWISE_MS_CLIENT_SECRET": SECRET,
        "SENDWISE_MS_GRAPH_URL": graph.graph_url,
        "SENDWISE_MS_AUTHORITY_HOST": graph.base,
        "REQUESTS_CA_BUNDLE": str(graph.ca_file),
    }
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "backend.cli", "mailbox", "backfill", "--org", "contoso", "--microsoft", "-q",
             "--mailbox", MAILBOX],
            cwd=ROOT, env=env, stdout=out, stderr=err,
        )  # fmt: skip
        # wait4, not wait: the child's own resource usage, peak RSS included.
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        said, complained = out.read().decode(), err.read().decode()
    if proc.returncode != 0:
        raise SystemExit(f"backfill failed: {complained[-500:]}")
    if f"{count} sent message(s) read" not in said:
        raise SystemExit(f"unexpected summary: {said}")
    return usage.ru_maxrss / 1024, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    from backend import backfill
    from backend.clock import SystemClock
    from backend.storage import Database
    from tests.graph import SECRET, graph_service
    from tests.microsoft import CLIENT_ID, TENANT

    now = SystemClock().now()
    print(machine())
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        with graph_service(tmp, CLIENT_ID) as graph:
            os.environ["REQUESTS_CA_BUNDLE"] = str(graph.ca_file)
            settings = backfill.Settings(CLIENT_ID, SECRET, graph_url=graph.graph_url, authority_host=graph.base)
            every = messages(args.messages, now)
            import nlp

            nlp.warm_up()
            rates = []
            for run in range(args.runs):
                graph.mailboxes = {MAILBOX: every}
                url, org_id = fresh_database(tmp, f"run{run}.db", now)
                database = Database(url)
                http = backfill.http_session()
                client = backfill.confidential_client(settings, TENANT, http)
                source = backfill.Graph(graph.graph_url, backfill.application_token(client), http)
                started = time.perf_counter()
                outcome = backfill.backfill_mailbox(database, org_id, MAILBOX, source, now)
                seconds = time.perf_counter() - started
                http.close()
                database.dispose()
                assert outcome.recorded == args.messages, outcome
                rates.append(args.messages / seconds)
                print(f"  run {run + 1}: {args.messages} messages in {seconds:.1f} s ({args.messages / seconds:.0f}/s)")
            print(f"throughput: median {statistics.median(rates):.0f} messages/s over {args.runs} runs")

            small = every[:100]
            for label, batch in (("100", small), (str(args.messages), every)):
                graph.mailboxes = {MAILBOX: batch}
                url, _ = fresh_database(tmp, f"cli{label}.db", now)
                rss, seconds = peak_rss_of_cli(url, graph, len(batch))
                print(
                    f"memory: `sendwise mailbox backfill` for {label} messages: peak RSS {rss:.0f} MB ({seconds:.1f} s)"
                )


if __name__ == "__main__":
    main()
