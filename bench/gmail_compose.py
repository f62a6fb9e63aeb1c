"""Gmail compose card benchmark: POST /gmail/compose for drafts to 10 and
50 recipients, the organisation holding 100,000 contacts (with their
interactions) and a sent history, on SQLite.

    python bench/gmail_compose.py                 # 100k contacts, 200k sent messages
    python bench/gmail_compose.py --quick         # 10k contacts, 20k sent messages

Data and loading come from bench/context.py (same synthetic contacts,
interactions and fingerprints, loaded through the real migrations). Each
request is a compose event as Google sends it (recipients only, so the
text checks are skipped and listed as not checked), served by the app in
demo mode through Flask's WSGI test client: token verification aside, the
whole request (event parsing, stored context, engine, card) is timed.
Recipients are stored contacts picked at random. Prints p50/p99 per
recipient count after an untimed pass, and the response sizes: the largest
compose card seen, and the worst case the card builder allows (50
recipients, all 23 finding codes).

Only prints figures; never exits non-zero because of a measurement.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.context import Sizes, create_org, load_sqlite, make_data, percentiles  # noqa: E402


def main() -> None:
    args = parse_args()
    size = Sizes(
        contacts=10_000 if args.quick else 100_000,
        messages=20_000 if args.quick else 200_000,
        templates=5,
        copies=50,
        bases=500,
        requests=0,
    )
    from backend import create_app
    from backend.clock import FixedClock
    from backend.storage import Database
    from backend.storage.migrate import upgrade

    print(f"gmail compose benchmark: {size.contacts:,} contacts, {size.messages:,} sent messages (SQLite)")
    data = make_data(size)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        database = Database(url)
        upgrade(database)
        org_id = create_org(database, data)
        load_sqlite(database, data, org_id)
        database.dispose()
        app = create_app({"DATABASE_URL": url, "DEMO_MODE": True, "CLOCK": FixedClock(data.now)})
        client = app.test_client()
        rng = random.Random(7)
        emails = [c["email"] for c in data.contacts]
        largest = 0
        for n in args.recipients:
            events = [
                {
                    "commonEventObject": {"hostApp": "GMAIL", "userLocale": "en"},
                    "gmail": {"toRecipients": rng.sample(emails, n), "accessToken": "x"},
                }
                for _ in range(args.requests)
            ]

            def post(event: dict) -> int:
                response = client.post("/gmail/compose", json=event)
                assert response.status_code == 200, response.get_data(as_text=True)[:300]
                return len(response.get_data())

            for event in events:  # untimed pass: caches warm, engine loaded
                largest = max(largest, post(event))
            times = []
            for event in events:
                t0 = time.perf_counter()
                post(event)
                times.append((time.perf_counter() - t0) * 1000)
            p50, p99 = percentiles(times)
            print(f"  {n:3d} recipients   p50 {p50:7.1f} ms   p99 {p99:7.1f} ms   ({args.requests} requests)")
        app.extensions["sendwise.db"].dispose()
    print(f"  largest compose response seen: {largest:,} bytes")
    print(f"  worst case (50 recipients, 23 findings, en / zh-CN): {worst_case_bytes()}")


def worst_case_bytes() -> str:
    from gmail_addon import cards, responses
    from tests.gmail.test_cards import ACTIONS, worst_report

    sizes = []
    for locale in ("en", "zh-CN"):
        report = worst_report(locale)
        draft = cards.Draft(tuple(r["email"] for r in report["recipients"]))
        card = cards.compose_card(report, locale=locale, actions=ACTIONS, draft=draft, source="recipients")
        body = json.dumps(responses.push_card(card), ensure_ascii=False).encode()
        sizes.append(f"{len(body):,} bytes, {cards.widget_count(card)} widgets")
    return " / ".join(sizes)


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--requests", type=int, default=100)
    p.add_argument("--recipients", type=int, nargs="+", default=[10, 50])
    return p.parse_args(argv)


if __name__ == "__main__":
    main()
