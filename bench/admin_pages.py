"""Server time of the admin page's heaviest pages, on SQLite:

- the dashboard of an organisation with 1,000,000 recorded sends over a
  year (per-day counters for all of them; the last 15 days, ~41,000
  messages, also in the sent band index with their recipients, as pruning
  leaves it), plus 2,000 overrides and 100,000 contacts;
- the policy page's simulation over the last 30 days of those sends
  (~82,000, each with the finding codes it raised);
- the contacts list with 100,000 contacts: first page, a deep page, a
  search and a filter.

    python bench/admin_pages.py [--sends 1000000] [--contacts 100000] [--runs 7]

Requests go through the Flask app in-process (test client), so the figure
is the server's time to build the page; the median of the runs is printed.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from backend import create_app  # noqa: E402
from backend.clock import FixedClock  # noqa: E402
from backend.storage import Database, queries, users  # noqa: E402
from backend.storage.contacts import bulk_upsert  # noqa: E402
from backend.storage.migrate import upgrade  # noqa: E402
from backend.storage.models import ActivityDaily, Override, SentBand, SentMessage, SentRecipient  # noqa: E402
from backend.storage.sent import sent_minute  # noqa: E402
from nlp.checks import CODES  # noqa: E402

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
PASSWORD = "benchmark password"


def fill(database: Database, sends: int, contacts: int) -> None:
    rng = random.Random(7)
    with database.session() as session:
        org = queries.upsert_org(session, "bench", NOW, name="Bench", domains=["bench.cn"], policy={})
        users.create(session, org, "admin@bench.cn", "admin", PASSWORD, NOW)
        rows = [
            {
                "email": f"buyer{i}@customer{i % 5000}.com",
                "name": f"Buyer {i}",
                "company": f"Customer {i % 5000} GmbH",
                "country": rng.choice(["DE", "FR", "IT", "US", "GB", "ES", "NL", "PL"]),
                "stage": rng.choice(["prospect", "sample", "negotiation", "customer", "repeat"]),
                "role": rng.choice(["Purchasing", "CEO", "Engineer"]),
                "consent_status": rng.choice([None, "opt_in", "soft_opt_in", "unknown"]),
            }
            for i in range(contacts)
        ]
        bulk_upsert(session, org, rows)
        org_id = org.id
    per_day = sends / 365
    start = NOW - timedelta(days=365)
    band_from = NOW - timedelta(days=15)
    with database.session() as session:
        # Per-day counters as recording leaves them: every send counted once, codes by share.
        counters = []
        for d in range(366):
            day = (start + timedelta(days=d)).date()
            n = int(per_day)
            counters += [
                {"org_id": org_id, "day": day, "kind": "verdict", "key": v, "count": int(n * s)}
                for v, s in (("ok", 0.5), ("review", 0.4), ("block", 0.1))
            ]
            counters += [
                {"org_id": org_id, "day": day, "kind": "code", "key": c, "count": rng.randint(0, n // 4)} for c in CODES
            ]
        session.execute(insert(ActivityDaily), counters)
        session.execute(
            insert(Override),
            [
                {
                    "org_id": org_id,
                    "at": NOW - timedelta(minutes=rng.randint(0, 60 * 24 * 60)),
                    "actor": "apikey:sw_bench",
                    "user_email": f"sales{i % 9}@bench.cn",
                    "code": rng.choice(CODES),
                    "reason": "the customer asked for the catalogue",
                }
                for i in range(2000)
            ],
        )
        batch: list[dict] = []
        templates = [bytes(rng.randrange(256) for _ in range(64)) for _ in range(200)]
        # Sends share few sets of codes: a handful of checks fire, in a few combinations.
        code_sets = ["", *(" ".join(sorted(rng.sample(CODES, rng.randint(1, 4)))) for _ in range(60))]
        next_id = 1
        for i in range(sends):
            sent_at = start + timedelta(seconds=i * 365 * 86400 / sends)
            fp = templates[i % 200] if i % 3 else bytes(rng.randrange(256) for _ in range(64))
            batch.append(
                {
                    "id": next_id,
                    "org_id": org_id,
                    "sender": f"sales{i % 9}@bench.cn",
                    "sent_at": sent_at,
                    "fingerprint": fp,
                    "codes": rng.choice(code_sets),
                }
            )
            next_id += 1
            if len(batch) == 20000:
                _flush(session, batch, band_from)
                batch = []
        if batch:
            _flush(session, batch, band_from)


def _flush(session, batch: list[dict], band_from: datetime) -> None:
    from nlp.fingerprint import band_keys

    session.execute(insert(SentMessage), batch)
    recent = [m for m in batch if m["sent_at"] >= band_from]
    if recent:
        session.execute(
            insert(SentRecipient), [{"sent_id": m["id"], "address": f"buyer{m['id'] % 100000}@x.com"} for m in recent]
        )
        session.execute(
            insert(SentBand),
            [
                {"org_id": m["org_id"], "band_key": k, "sent_minute": sent_minute(m["sent_at"]), "sent_id": m["id"]}
                for m in recent
                for k in band_keys(m["fingerprint"])
            ],
        )


def timed(client, path: str, runs: int, form: dict[str, str] | None = None) -> tuple[float, list[float]]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        response = client.get(path) if form is None else client.post(path, data=form)
        times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return statistics.median(times), times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sends", type=int, default=1_000_000)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        database = Database(url)
        upgrade(database)
        t0 = time.perf_counter()
        fill(database, args.sends, args.contacts)
        print(f"filled {args.sends:,} sends and {args.contacts:,} contacts in {time.perf_counter() - t0:.0f} s")
        database.dispose()
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "CLOCK": FixedClock(NOW), "TESTING": True})
        client = app.test_client()
        page = client.get("/admin/sign-in").get_data(as_text=True)
        token = page.split('name="csrf_token" value="')[1].split('"')[0]
        signed = client.post(
            "/admin/sign-in", data={"email": "admin@bench.cn", "password": PASSWORD, "csrf_token": token}
        )
        assert signed.status_code == 302
        for label, path in (
            ("dashboard", "/admin/"),
            ("contacts, first page", "/admin/contacts"),
            ("contacts, page 1,000", "/admin/contacts?page=1000"),
            ("contacts, search 'buyer4242'", "/admin/contacts?q=buyer4242"),
            ("contacts, country DE + no consent", "/admin/contacts?country=DE&consent=none"),
            ("audit log", "/admin/audit"),
        ):
            median, runs = timed(client, path, args.runs)
            print(f"{label:40s} median {median:7.1f} ms  (runs: {', '.join(f'{t:.0f}' for t in runs)})")
        form = _policy_form(client.get("/admin/policy").get_data(as_text=True))
        form["personalization.generic_greeting.severity"] = "block"
        form["on_send.review"] = "hold_once"
        median, runs = timed(client, "/admin/policy/simulate", args.runs, form)
        print(
            f"{'policy simulation, 30 days':40s} median {median:7.1f} ms  (runs: {', '.join(f'{t:.0f}' for t in runs)})"
        )


def _policy_form(page: str) -> dict[str, str]:
    """The policy form's fields as the page fills them in (inputs and the selected options)."""
    import re

    form = dict(re.findall(r'<input[^>]* name="([^"]+)" value="([^"]*)"', page))
    form |= {
        m[0]: m[1] for m in re.findall(r'<select[^>]* name="([^"]+)".*?<option value="([^"]+)" selected', page, re.S)
    }
    form["domains"] = "bench.cn"
    return form


if __name__ == "__main__":
    main()
