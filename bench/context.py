"""Context benchmark: POST /api/v1/analyze for an organisation with 100,000
contacts and 1,000,000 stored sent fingerprints, on SQLite and PostgreSQL.

    python bench/context.py                     # full size (SQLite, and PostgreSQL when configured)
    python bench/context.py --quick             # 10k contacts, 100k fingerprints: a couple of minutes
    python bench/context.py --pg-url postgresql+psycopg://user@127.0.0.1:5432/postgres
    python bench/context.py --only sqlite       # or --only postgresql

PostgreSQL comes from --pg-url or SENDWISE_TEST_POSTGRES_URL (any database on
the server; the role needs CREATEDB): a throw-away database is created there
and dropped at the end. Without either, PostgreSQL is reported as skipped.

Per database it loads synthetic data with bulk inserts (through the real
migrations, so the schema is the product's), then measures:

* bytes per stored message: sent_messages (the 64-byte fingerprint and the
  rest of the row), sent_recipients and the sent_bands LSH index, each as
  table + indexes (PostgreSQL: pg_relation_size / pg_indexes_size; SQLite:
  the dbstat table). The band index is loaded as `sent.prune_bands` keeps
  it: rows only for the last 15 days (window + margin);
* `sent.lookup` alone (the template-reuse query) and `sent.count_sent`;
* `backend.analysis.analyze` in-process (context assembly + engine);
* POST /api/v1/analyze over loopback HTTP to a server in a subprocess
  (waitress, threads=1, one keep-alive connection), p50 and p99 over
  --requests requests, median over --runs runs; each timed pass follows an
  untimed one over the same requests (a server that has been running);
* recording more mail through `sent.record` on the full database, and one
  `sent.prune_bands` batch as POST /api/v1/sent runs it.

The data: contacts with 0-4 interactions each; sent messages spread over
the last --days days (default 28, so about half are inside the 14-day
window), 1-5 recipients each, from 40 senders. Their fingerprints: for each
of --templates probe templates (synthetic texts, bench/corpus.py) some
hundred edited copies, fingerprinted for real, sent in the last 14 days; the
rest derived cheaply from the fingerprints of a few thousand real texts by
re-drawing a random share of their 128 nibbles (30 % lightly, as template
families of their own, 70 % heavily, as other mail of the same sales team).
Drafts: half are edited copies of a probe template (template reuse fires,
so the lookup returns and verifies a few hundred messages), half fresh
texts; each to three stored contacts.

Only prints figures; never exits non-zero because of a measurement.
Message texts exist only in memory.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from sqlalchemy import create_engine, insert, make_url, select, text  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

from bench.analyze import machine  # noqa: E402
from bench.corpus import FIRST_NAMES, LAST_NAMES, make_email, near_duplicate  # noqa: E402

ORG_DOMAIN = "brightway-lighting.cn"
N_SENDERS = 40
TLDS = [
    ("de", "DE"),
    ("fr", "FR"),
    ("it", "IT"),
    ("nl", "NL"),
    ("co.uk", "GB"),
    ("com", "US"),
    ("es", "ES"),
    ("pl", "PL"),
    ("ca", "CA"),
    ("com.au", "AU"),
    ("se", "SE"),
    ("at", "AT"),
    ("be", "BE"),
]
ROLES = ["purchasing", "owner", "technical", "sales", "project manager", "managing director", "buyer", ""]
INDUSTRIES = ["lighting wholesale", "electrical installation", "retail", "hardware", "construction", "hospitality"]
STAGES = ["prospect", "sample", "negotiation", "customer", "repeat", None]
CONSENT = ["opt_in", "soft_opt_in", "none", "unknown", None]
SUBJECTS = [
    "Samples received",
    "Quotation",
    "Order confirmation",
    "Visit at the trade fair",
    "Price list request",
    "Shipment update",
    "Catalogue",
    "Payment received",
    "Question about certificates",
]


@dataclass
class Sizes:
    contacts: int
    messages: int
    templates: int
    copies: int
    bases: int
    requests: int


FULL = Sizes(contacts=100_000, messages=1_000_000, templates=30, copies=300, bases=4000, requests=300)
QUICK = Sizes(contacts=10_000, messages=100_000, templates=10, copies=100, bases=1000, requests=150)


# ---------------------------------------------------------------------------
# Synthetic data (in memory, shared by both databases)


@dataclass
class Data:
    now: datetime
    contacts: list[dict]
    interactions: list[dict]
    sent_ids: np.ndarray  # int64 (N,)
    senders: np.ndarray  # int32 index into sender_emails
    sent_us: np.ndarray  # int64 microseconds since the epoch (UTC)
    fps: np.ndarray  # uint8 (N, 64)
    rcpt_msg: np.ndarray  # int64 sent id per recipient row
    rcpt_addr: list[str]
    sender_emails: list[str]
    probes: list[str]  # probe template texts
    requests: list[dict] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.sent_ids)


def _domain(rng: random.Random, i: int) -> tuple[str, str]:
    tld, country = TLDS[i % len(TLDS)]
    stem = rng.choice(["licht", "lumen", "elektro", "bau", "home", "trade", "supply", "light", "tech", "handel"])
    return f"{stem}-{i}.{tld}", country


def make_data(size: Sizes, seed: int = 1) -> Data:
    from nlp.fingerprint import fingerprint

    t0 = time.perf_counter()
    rng = random.Random(seed)
    np_rng = np.random.default_rng(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    today = now.date()

    # -- contacts and their CRM history
    n_domains = max(1000, size.contacts // 3)
    domains = [_domain(rng, i) for i in range(n_domains)]
    contacts, interactions = [], []
    for cid in range(1, size.contacts + 1):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        dom, country = domains[rng.randrange(n_domains)]
        consent = rng.choice(CONSENT)
        contacts.append(
            dict(
                id=cid,
                email=f"{first.lower()}.{last.lower().replace(' ', '')}.{cid}@{dom}",
                name=f"{first} {last}",
                company=dom.split(".")[0].replace("-", " ").title(),
                country=country,
                kind="b2b" if rng.random() < 0.9 else "b2c",
                role=rng.choice(ROLES) or None,
                industry=rng.choice(INDUSTRIES),
                stage=rng.choice(STAGES),
                consent_status=consent,
                consent_source="trade fair form" if consent == "opt_in" else None,
                consent_date=today - timedelta(days=rng.randrange(1, 700)) if consent else None,
                unsubscribed=rng.random() < 0.01,
            )
        )
        for _ in range(rng.choice((0, 1, 1, 2, 2, 3, 4))):
            interactions.append(
                dict(
                    contact_id=cid,
                    date=today - timedelta(days=rng.randrange(1, 700)),
                    direction=rng.choice(("in", "out")),
                    subject=rng.choice(SUBJECTS),
                    summary=rng.choice(
                        (
                            None,
                            "Asked for a price for 2,000 pcs",
                            "Wants the 4000K version",
                            "Comparing with another supplier",
                            "Reorder expected in spring",
                        )
                    ),
                )
            )
    sender_emails = [f"sales{i}@{ORG_DOMAIN}" for i in range(N_SENDERS)]

    # -- probe templates and their edited copies: real fingerprints
    probes = [make_email(rng, greeting=False, min_words=80, max_words=250) for _ in range(size.templates)]
    copy_fps = [fingerprint(near_duplicate(p, rng)) for p in probes for _ in range(size.copies)]
    n_copies = len(copy_fps)

    # -- everything else: derived from real texts' fingerprints
    n_bg = size.messages - n_copies
    fps = np.empty((size.messages, 64), dtype=np.uint8)
    fps[:n_copies] = np.frombuffer(b"".join(copy_fps), dtype=np.uint8).reshape(-1, 64)
    n_bases = size.bases if ARGS.background == "mixed" else max(size.bases, n_bg // 10)
    bases = np.frombuffer(b"".join(fingerprint(make_email(rng)) for _ in range(n_bases)), dtype=np.uint8).reshape(
        -1, 64
    )
    for start in range(0, n_bg, 100_000):
        m = min(100_000, n_bg - start)
        base = bases[np_rng.integers(0, len(bases), m)]
        nib = np.empty((m, 128), dtype=np.uint8)
        nib[:, 0::2], nib[:, 1::2] = base & 0xF, base >> 4
        if ARGS.background == "mixed":
            # 30 %: light edits (template families of their own); 70 %: most nibbles re-drawn.
            light = np_rng.random(m) < 0.3
            rate = np.where(light, np_rng.uniform(0.03, 0.3, m), np_rng.uniform(0.65, 1.0, m))
        else:
            # "team": every message a light edit of one of n_bg/10 real texts, so it is as alike to the
            # drafts as bench/corpus.py's texts are to each other.
            rate = np_rng.uniform(0.0, 0.25, m)
        redraw = np_rng.random((m, 128), dtype=np.float32) < rate.astype(np.float32)[:, None]
        nib = np.where(redraw, np_rng.integers(0, 16, (m, 128), dtype=np.uint8), nib)
        fps[n_copies + start : n_copies + start + m] = nib[:, 0::2] | (nib[:, 1::2] << 4)

    n = size.messages
    now_us = int(now.timestamp() * 1_000_000)
    day_us = 86_400 * 1_000_000
    sent_us = np.empty(n, dtype=np.int64)
    sent_us[:n_copies] = now_us - np_rng.integers(60_000_000, int(min(13.5, ARGS.days) * day_us), n_copies)
    sent_us[n_copies:] = now_us - np_rng.integers(60_000_000, int(ARGS.days * day_us), n - n_copies)
    order = np.argsort(sent_us, kind="stable")  # ids in sending order, like a real table
    fps, sent_us = fps[order], sent_us[order]
    sent_ids = np.arange(1, n + 1, dtype=np.int64)
    senders = np_rng.integers(0, N_SENDERS, n).astype(np.int32)

    counts = np_rng.choice([1, 2, 3, 4, 5], size=n, p=[0.8, 0.12, 0.05, 0.02, 0.01])
    rcpt_msg = np.repeat(sent_ids, counts)
    contact_emails = [c["email"] for c in contacts]
    rcpt_addr = []
    for i in range(len(rcpt_msg)):
        if rng.random() < 0.7:
            rcpt_addr.append(contact_emails[rng.randrange(len(contact_emails))])
        else:
            rcpt_addr.append(f"info{i}@{domains[rng.randrange(n_domains)][0]}")
    # De-duplicate (sent_id, address): it is the primary key.
    pairs = sorted(set(zip(rcpt_msg.tolist(), rcpt_addr)))
    data = Data(
        now=now,
        contacts=contacts,
        interactions=interactions,
        sent_ids=sent_ids,
        senders=senders,
        sent_us=sent_us,
        fps=fps,
        rcpt_msg=np.array([p[0] for p in pairs], dtype=np.int64),
        rcpt_addr=[p[1] for p in pairs],
        sender_emails=sender_emails,
        probes=probes,
    )
    data.requests = make_requests(data, size.requests, rng)
    print(
        f"synthetic data: {len(contacts):,} contacts, {len(interactions):,} interactions, {n:,} sent messages "
        f"({n_copies:,} edited copies of {len(probes)} probe templates), {len(pairs):,} recipient rows; "
        f"built in {time.perf_counter() - t0:.0f} s"
    )
    return data


def make_requests(data: Data, n: int, rng: random.Random) -> list[dict]:
    """Analysis requests: half edited copies of a probe template, half fresh
    texts, each from one of the senders to three stored contacts."""
    with_history = sorted({i["contact_id"] for i in data.interactions})
    out = []
    for i in range(n):
        people = [data.contacts[cid - 1] for cid in rng.sample(with_history, 3)]
        text = near_duplicate(rng.choice(data.probes), rng) if i % 2 == 0 else make_email(rng, greeting=False)
        first = people[0]["name"].split()[0]
        sender = rng.randrange(N_SENDERS)
        out.append(
            {
                "draft": {
                    "from": {"name": "Tom Li", "email": data.sender_emails[sender]},
                    "to": [{"name": p["name"], "email": p["email"]} for p in people],
                    "subject": "LED panels for your spring range",
                    "body": {
                        "text": f"Dear {first},\n\n{text}\n\nBest regards,\nTom Li\nSales Manager\n"
                        "Ningbo Brightway Lighting Co., Ltd.",
                        "html": None,
                    },
                    "attachments": [
                        {"name": "catalogue-2027.pdf", "size": 2_400_000, "content_type": "application/pdf"}
                    ],
                }
            }
        )
    return out


def band_cutoff(data: Data) -> datetime:
    """Where `sent.prune_bands` leaves the band index: the default 14-day
    template-reuse window plus its margin."""
    from backend.storage.sent import BAND_MARGIN

    return data.now - timedelta(days=14) - BAND_MARGIN


def band_rows(data: Data) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(band_key, sent_minute, sent_id) for every message since
    `band_cutoff` (the pruned steady state), sorted in primary-key order
    (org_id is constant), as `nlp.fingerprint.band_keys` computes them
    (checked against it for a sample)."""
    from nlp.fingerprint import N_BANDS, SCHEME_VERSION, band_keys

    keep = data.sent_us >= int(band_cutoff(data).timestamp() * 1_000_000)
    fps, sent_us, sent_ids = data.fps[keep], data.sent_us[keep], data.sent_ids[keep]
    values = fps.view("<u2").astype(np.int64)  # (n, 32)
    keys = (SCHEME_VERSION << 32) | (np.arange(N_BANDS, dtype=np.int64) << 16) | values
    for i in (0, len(keys) // 2, len(keys) - 1):
        assert keys[i].tolist() == band_keys(fps[i].tobytes())
    minutes = np.repeat((sent_us // 60_000_000).astype(np.int64), N_BANDS)
    ids = np.repeat(sent_ids, N_BANDS)
    keys = keys.ravel()
    order = np.lexsort((ids, minutes, keys))
    return keys[order], minutes[order], ids[order]


# ---------------------------------------------------------------------------
# Loading


def _ts(us: int) -> datetime:
    return datetime.fromtimestamp(us / 1_000_000, tz=UTC)


def _message_id(i: int) -> str:
    return f"<{i}.{(i * 2654435761) % 10**10:010d}@mail.{ORG_DOMAIN}>"


def create_org(database, data: Data) -> int:
    from backend.auth import DEMO_ORG_SLUG
    from backend.storage import queries

    with database.session() as session:
        org = queries.upsert_org(
            session,
            DEMO_ORG_SLUG,
            data.now,
            name="Ningbo Brightway Lighting Co., Ltd.",
            domains=[ORG_DOMAIN],
            postal_address="No. 218 Jinhui Road, Ningbo, China",
            default_locale="en",
            policy={},
            bands_pruned_before=band_cutoff(data),
        )
        for email in (f"sales{i}@{ORG_DOMAIN}" for i in range(N_SENDERS)):
            queries.upsert_user(session, org, email)
        return org.id


CONTACT_COLUMNS = [
    "id",
    "org_id",
    "email",
    "name",
    "company",
    "country",
    "kind",
    "role",
    "industry",
    "stage",
    "consent_status",
    "consent_source",
    "consent_date",
    "unsubscribed",
]
INTERACTION_COLUMNS = ["contact_id", "date", "direction", "subject", "summary"]


def load_sqlite(database, data: Data, org_id: int) -> None:
    from backend.storage.models import Contact, Interaction, SentMessage

    t0 = time.perf_counter()
    raw = database.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("PRAGMA synchronous=OFF")
        cur.execute("PRAGMA cache_size=-2000000")
        contacts = [{**c, "org_id": org_id} for c in data.contacts]
        with database.engine.begin() as conn:  # through SQLAlchemy: its date/bool storage formats
            for start in range(0, len(contacts), 20_000):
                conn.execute(insert(Contact.__table__), contacts[start : start + 20_000])
            for start in range(0, len(data.interactions), 20_000):
                conn.execute(insert(Interaction.__table__), data.interactions[start : start + 20_000])
        # sent_at exactly as SQLAlchemy stores it on SQLite (UTCDateTime's bind processor).
        stamp = SentMessage.__table__.c.sent_at.type.bind_processor(database.engine.dialect)
        cur.executemany(
            "INSERT INTO sent_messages (id, org_id, sender, sent_at, message_id, fingerprint) VALUES (?,?,?,?,?,?)",
            (
                (int(i), org_id, data.sender_emails[s], stamp(_ts(int(us))), _message_id(int(i)), fp.tobytes())
                for i, s, us, fp in zip(data.sent_ids, data.senders, data.sent_us, data.fps)
            ),
        )
        cur.executemany(
            "INSERT INTO sent_recipients (sent_id, address) VALUES (?,?)", zip(data.rcpt_msg.tolist(), data.rcpt_addr)
        )
        raw.commit()
        t1 = time.perf_counter()
        keys, minutes, ids = band_rows(data)
        for start in range(0, len(keys), 2_000_000):
            end = start + 2_000_000
            cur.executemany(
                "INSERT INTO sent_bands (org_id, band_key, sent_minute, sent_id) VALUES (?,?,?,?)",
                zip(
                    [org_id] * len(keys[start:end]),
                    keys[start:end].tolist(),
                    minutes[start:end].tolist(),
                    ids[start:end].tolist(),
                ),
            )
        raw.commit()
        t2 = time.perf_counter()
        cur.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    print(
        f"  loaded in {time.perf_counter() - t0:.0f} s (messages, recipients, contacts {t1 - t0:.0f} s; "
        f"{len(keys):,} band rows in primary-key order {t2 - t1:.0f} s; then ANALYZE)"
    )


def load_postgres(database, data: Data, org_id: int) -> None:
    import struct

    t0 = time.perf_counter()
    raw = database.engine.raw_connection()
    try:
        driver = raw.driver_connection
        with driver.cursor() as cur:
            with cur.copy(f"COPY contacts ({', '.join(CONTACT_COLUMNS)}) FROM STDIN") as copy:
                for c in data.contacts:
                    copy.write_row([org_id if k == "org_id" else c[k] for k in CONTACT_COLUMNS])
            with cur.copy(f"COPY interactions ({', '.join(INTERACTION_COLUMNS)}) FROM STDIN") as copy:
                for i in data.interactions:
                    copy.write_row([i[k] for k in INTERACTION_COLUMNS])
            with cur.copy(
                "COPY sent_messages (id, org_id, sender, sent_at, message_id, fingerprint) FROM STDIN"
            ) as copy:
                for i, s, us, fp in zip(data.sent_ids.tolist(), data.senders.tolist(), data.sent_us.tolist(), data.fps):
                    copy.write_row((i, org_id, data.sender_emails[s], _ts(us), _message_id(i), fp.tobytes()))
            with cur.copy("COPY sent_recipients (sent_id, address) FROM STDIN") as copy:
                for row in zip(data.rcpt_msg.tolist(), data.rcpt_addr):
                    copy.write_row(row)
            for table in ("contacts", "interactions", "sent_messages"):
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            driver.commit()
            t1 = time.perf_counter()
            # The organisation foreign key would fire a trigger per band row: drop it for the load and
            # re-add it (validated in one pass) afterwards; the primary key stays and is filled in order.
            cur.execute("SELECT conname FROM pg_constraint WHERE conrelid = 'sent_bands'::regclass AND contype = 'f'")
            fks = [r[0] for r in cur.fetchall()]
            for fk in fks:
                cur.execute(f'ALTER TABLE sent_bands DROP CONSTRAINT "{fk}"')
            keys, minutes, ids = band_rows(data)
            # Binary COPY rows: (band_key int8, sent_id int8, org_id int4, sent_minute int4).
            row = np.dtype(
                [
                    ("n", ">i2"),
                    ("l1", ">i4"),
                    ("k", ">i8"),
                    ("l2", ">i4"),
                    ("s", ">i8"),
                    ("l3", ">i4"),
                    ("o", ">i4"),
                    ("l4", ">i4"),
                    ("m", ">i4"),
                ]
            )
            with cur.copy(
                "COPY sent_bands (band_key, sent_id, org_id, sent_minute) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.write(b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0))
                for start in range(0, len(keys), 1_000_000):
                    part = np.zeros(len(keys[start : start + 1_000_000]), dtype=row)
                    part["n"], part["l1"], part["l2"], part["l3"], part["l4"] = 4, 8, 8, 4, 4
                    part["k"], part["s"] = keys[start : start + 1_000_000], ids[start : start + 1_000_000]
                    part["o"], part["m"] = org_id, minutes[start : start + 1_000_000]
                    copy.write(part.tobytes())
                copy.write(struct.pack(">h", -1))
            for fk in fks:
                cur.execute(
                    f'ALTER TABLE sent_bands ADD CONSTRAINT "{fk}" FOREIGN KEY (org_id) '
                    "REFERENCES organisations (id) ON DELETE CASCADE"
                )
            driver.commit()
            t2 = time.perf_counter()
        driver.autocommit = True
        with driver.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
            # Index-only scans of the bands need an all-visible map; a first VACUUM sometimes leaves
            # part of it unset here (while the server is busy with other databases), so check.
            for attempt in range(4):
                cur.execute("SELECT relpages, relallvisible FROM pg_class WHERE relname = 'sent_bands'")
                pages, visible = cur.fetchone()
                if visible >= pages or attempt == 3:
                    break
                cur.execute("VACUUM sent_bands")
            print(f"  sent_bands: {visible:,} of {pages:,} pages all-visible after VACUUM")
        driver.autocommit = False
    finally:
        raw.close()
    print(
        f"  loaded in {time.perf_counter() - t0:.0f} s (contacts, messages, recipients {t1 - t0:.0f} s; "
        f"{len(keys):,} band rows in primary-key order by COPY {t2 - t1:.0f} s; then VACUUM ANALYZE)"
    )


# ---------------------------------------------------------------------------
# Sizes


TABLES = ("sent_messages", "sent_recipients", "sent_bands")


def sizes(database) -> dict[str, tuple[int, int]]:
    """{table: (table bytes, index bytes)}"""
    out = {}
    with database.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            for t in TABLES:
                out[t] = tuple(
                    conn.execute(
                        text("SELECT pg_total_relation_size(:t) - pg_indexes_size(:t), pg_indexes_size(:t)"), {"t": t}
                    ).one()
                )
        else:
            pages = dict(conn.execute(text("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name")).all())
            indexes = conn.execute(text("SELECT name, tbl_name FROM sqlite_master WHERE type = 'index'")).all()
            for t in TABLES:
                idx = sum(pages.get(name, 0) for name, tbl in indexes if tbl == t)
                out[t] = (pages.get(t, 0), idx)
    return out


def report_sizes(database, n: int, indexed: int, dialect: str) -> None:
    s = sizes(database)
    print(f"  storage per stored message ({n:,} messages, {indexed:,} of them in the band index; table + indexes):")
    total = 0
    for t in TABLES:
        table, idx = s[t]
        total += table + idx
        note = {
            "sent_messages": "64-byte fingerprint + sender, time, Message-ID, ids",
            "sent_recipients": "addresses, indexed for erasure",
            "sent_bands": "LSH index, 32 rows per message of the last 15 days",
        }[t]
        print(f"    {t:16s} {table / n:7.0f} + {idx / n:6.0f} = {(table + idx) / n:7.0f} B   ({note})")
    print(f"    {'total':16s} {total / n:25.0f} B   ({total / 2**20:,.0f} MiB)")
    bands = sum(s["sent_bands"])
    print(
        f"  fingerprint index: 64 B per stored fingerprint, plus band rows only for the {indexed:,} messages of "
        f"the last 15 days: {bands / max(indexed, 1):.0f} B each ({bands / max(indexed, 1) / 32:.1f} B per band "
        f"row), {bands / n:.0f} B averaged over all stored fingerprints, on {dialect}"
    )


# ---------------------------------------------------------------------------
# Measurements


def percentiles(ms: list[float]) -> tuple[float, float]:
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 99))


def timed(fn, items, warmup: int | None = None) -> list[float]:
    """Milliseconds per call of `fn` on each item, after an untimed pass
    over `warmup` items (default: all of them, so the pages they need are
    cached, as in a server that has been running)."""
    for item in items[:warmup]:
        fn(item)
    out = []
    for item in items:
        t0 = time.perf_counter()
        fn(item)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def bench_lookups(database, data: Data) -> None:
    from sqlalchemy import func

    from backend.storage import queries, sent
    from backend.storage.models import SentBand
    from nlp import sent_fingerprint
    from nlp.fingerprint import band_keys

    rng = random.Random(5)
    probes = [sent_fingerprint(r["draft"]).fingerprint for r in data.requests]
    since = data.now - timedelta(days=14)
    with database.sessions() as session:
        org = queries.org_by_slug(session, "demo")
        found, cand, verified = [], [], []
        for fp in probes[:60]:
            found.append(len(sent.lookup(session, org, fp, since, 0.85)))
            shared = (
                session.execute(
                    select(func.count())
                    .where(
                        SentBand.org_id == org.id,
                        SentBand.band_key.in_(band_keys(fp)),
                        SentBand.sent_minute >= sent.sent_minute(since),
                    )
                    .group_by(SentBand.sent_id)
                )
                .scalars()
                .all()
            )
            cand.append(len(shared))
            verified.append(sum(n >= sent.MIN_SHARED_BANDS for n in shared))
        p50s, p99s = [], []
        for _ in range(ARGS.runs):
            ms = timed(lambda fp: sent.lookup(session, org, fp, since, 0.85), probes)
            p50, p99 = percentiles(ms)
            p50s.append(p50)
            p99s.append(p99)
        print(
            f"  sent.lookup alone           p50 {statistics.median(p50s):6.2f} ms   p99 {statistics.median(p99s):6.2f} ms"
            f"   (messages sharing a band: mean {np.mean(cand):.0f}, max {max(cand)}; sharing "
            f"{sent.MIN_SHARED_BANDS}, so verified: mean {np.mean(verified):.0f}; matches: template drafts "
            f"mean {np.mean(found[0::2]):.0f}, fresh drafts mean {np.mean(found[1::2]):.1f})"
        )
        senders = [rng.choice(data.sender_emails) for _ in probes]
        hour = data.now - timedelta(hours=1)
        ms = timed(lambda s: sent.count_sent(session, org, s, hour), senders)
        p50, p99 = percentiles(ms)
        print(f"  sent.count_sent alone       p50 {p50:6.2f} ms   p99 {p99:6.2f} ms")


def bench_in_process(database, data: Data) -> tuple[float, float]:
    from backend import analysis
    from backend.storage import queries

    def one(request):
        with database.sessions() as session:
            org = queries.org_by_slug(session, "demo")
            analysis.analyze(request, now=data.now, session=session, org=org)

    p50s, p99s, fired = [], [], 0
    with database.sessions() as session:
        org = queries.org_by_slug(session, "demo")
        for r in data.requests[:20]:
            report = analysis.analyze(r, now=data.now, session=session, org=org)
            fired += any(f["code"] == "mass.template_reuse" for f in report["findings"])
    for _ in range(ARGS.runs):
        p50, p99 = percentiles(timed(one, data.requests))
        p50s.append(p50)
        p99s.append(p99)
    p50, p99 = statistics.median(p50s), statistics.median(p99s)
    print(
        f"  analyze in-process          p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   (context assembly + engine, a "
        f"session per request; template reuse fired on {fired}/20 sample drafts)"
    )
    return p50, p99


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SERVER = """
import sys, waitress
from backend import create_app
waitress.serve(create_app({"DEMO_MODE": True}), host="127.0.0.1", port=int(sys.argv[1]), threads=1, _quiet=True)
"""


def bench_http(url: str, data: Data) -> tuple[float, float] | None:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SENDWISE_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port)], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for _ in range(600):
            if proc.poll() is not None:
                break
            try:
                conn.request("GET", "/api/v1/health")
                conn.getresponse().read()
                break
            except OSError:
                conn.close()
                time.sleep(0.1)
        if proc.poll() is not None:
            print("  HTTP: the server did not start:", proc.stderr.read().decode(errors="replace")[-500:])
            return None
        bodies = [json.dumps(r).encode() for r in data.requests]
        headers = {"Content-Type": "application/json"}

        def post(body: bytes) -> None:
            conn.request("POST", "/api/v1/analyze", body, headers)
            resp = conn.getresponse()
            payload = resp.read()
            if resp.status != 200:
                proc.terminate()
                log = proc.communicate(timeout=10)[1].decode(errors="replace")  # types and places, no texts
                raise RuntimeError(f"HTTP {resp.status}: {payload[:200]!r}; server log: {log[-1500:]}")

        p50s, p99s = [], []
        for _ in range(ARGS.runs):
            p50, p99 = percentiles(timed(post, bodies))
            p50s.append(p50)
            p99s.append(p99)
        p50, p99 = statistics.median(p50s), statistics.median(p99s)
        print(
            f"  POST /api/v1/analyze (HTTP) p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   ({len(bodies)} requests x "
            f"{ARGS.runs} runs, runs' p50 {', '.join(f'{v:.1f}' for v in p50s)}, "
            f"p99 {', '.join(f'{v:.1f}' for v in p99s)})"
        )
        return p50, p99
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def bench_record(database, data: Data) -> None:
    from backend.storage import queries, sent
    from nlp.fingerprint import fingerprint

    rng = random.Random(9)
    fps = [fingerprint(near_duplicate(rng.choice(data.probes), rng)) for _ in range(200)]
    ms = []
    for i, fp in enumerate(fps):
        t0 = time.perf_counter()
        with database.session() as session:
            org = queries.org_by_slug(session, "demo")
            sent.record(
                session,
                org,
                sender=data.sender_emails[i % N_SENDERS],
                recipients=[f"new{i}@example-shop.de"],
                sent_at=data.now,
                fingerprint=fp,
                message_id=f"<bench-{i}-{time.time_ns()}@x>",
            )
        ms.append((time.perf_counter() - t0) * 1000)
    p50, p99 = percentiles(ms)
    print(
        f"  sent.record + commit        p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   (200 new messages with 32 band "
        f"rows each, on the full database)"
    )


def bench_prune(database, data: Data) -> None:
    """One `prune_bands` batch as POST /sent runs it, an hour after the
    data's `now`, rolled back after each run (so every run prunes the same
    messages)."""
    from backend.storage import queries, sent

    ms, pruned = [], 0
    for _ in range(ARGS.runs):
        with database.sessions() as session:
            org = queries.org_by_slug(session, "demo")
            t0 = time.perf_counter()
            pruned = sent.prune_bands(session, org, data.now + timedelta(hours=1))
            ms.append((time.perf_counter() - t0) * 1000)
            session.rollback()
    print(
        f"  sent.prune_bands batch      median {statistics.median(ms):6.1f} ms   (band rows of {pruned} messages "
        f"deleted, the batch POST /api/v1/sent runs at most once an hour)"
    )


# ---------------------------------------------------------------------------


def run_backend(name: str, url: str, data: Data) -> dict:
    from backend.storage import Database
    from backend.storage.migrate import upgrade

    print(f"\n== {name} ==")
    database = Database(url)
    results: dict = {}
    try:
        upgrade(database)
        org_id = create_org(database, data)
        (load_sqlite if name == "SQLite" else load_postgres)(database, data, org_id)
        indexed = int((data.sent_us >= int(band_cutoff(data).timestamp() * 1_000_000)).sum())
        for step in (
            lambda: report_sizes(database, data.n, indexed, name),
            lambda: bench_lookups(database, data),
            lambda: results.__setitem__("in_process", bench_in_process(database, data)),
            lambda: results.__setitem__("http", bench_http(url, data)),
            lambda: bench_record(database, data),
            lambda: bench_prune(database, data),
        ):
            try:
                step()
            except Exception:
                print("  FAILED:")
                traceback.print_exc(file=sys.stdout)
    except Exception:
        print("  FAILED:")
        traceback.print_exc(file=sys.stdout)
    finally:
        database.dispose()
    return results


def postgres_database(admin_url: str):
    """Create a throw-away database on the server; return (url, drop())."""
    admin = create_engine(make_url(admin_url), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    name = f"sendwise_bench_{os.getpid()}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), drop


def main() -> None:
    size = QUICK if ARGS.quick else FULL
    if ARGS.requests:
        size = Sizes(**{**size.__dict__, "requests": ARGS.requests})
    print(
        f"sendwise context benchmark ({'quick' if ARGS.quick else 'full'}): {size.contacts:,} contacts, "
        f"{size.messages:,} sent fingerprints in one organisation, sent over the last {ARGS.days:g} days "
        f"(about {min(1.0, 14 / ARGS.days):.0%} inside the 14-day window), background {ARGS.background!r}"
    )
    print(f"machine: {machine()}, {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB RAM")
    print("targets: POST /api/v1/analyze p50 <= 15 ms, p99 <= 50 ms; <= 64 B per stored fingerprint")
    data = make_data(size)
    summary = {}
    if ARGS.only in (None, "sqlite"):
        if ARGS.keep:
            Path(ARGS.keep).mkdir(parents=True, exist_ok=True)
            path = Path(ARGS.keep) / "bench.db"
            path.unlink(missing_ok=True)
            summary["SQLite"] = run_backend("SQLite", f"sqlite:///{path}", data)
            print(f"  kept {path}")
        else:
            with tempfile.TemporaryDirectory(prefix="sendwise-bench-") as tmp:
                summary["SQLite"] = run_backend("SQLite", f"sqlite:///{tmp}/bench.db", data)
    if ARGS.only in (None, "postgresql"):
        pg = ARGS.pg_url or os.environ.get("SENDWISE_TEST_POSTGRES_URL")
        if not pg:
            print("\n== PostgreSQL ==\n  SKIPPED: no --pg-url and SENDWISE_TEST_POSTGRES_URL is not set")
        else:
            try:
                url, drop = postgres_database(pg)
            except Exception as exc:
                print(
                    f"\n== PostgreSQL ==\n  SKIPPED: cannot create a database on {make_url(pg)!r}: {type(exc).__name__}"
                )
            else:
                try:
                    with create_engine(url, poolclass=NullPool).connect() as conn:
                        version = conn.execute(text("SHOW server_version")).scalar()
                    summary[f"PostgreSQL {version}"] = run_backend("PostgreSQL", url, data)
                finally:
                    if ARGS.keep:
                        print(f"  kept {make_url(url)!r}")
                    else:
                        drop()
    print("\n== summary (median of runs) ==")
    for name, res in summary.items():
        http_ = res.get("http")
        inproc = res.get("in_process")
        print(
            f"  {name:18s} HTTP p50 {http_[0] if http_ else float('nan'):6.2f} ms  p99 "
            f"{http_[1] if http_ else float('nan'):6.2f} ms   in-process p50 "
            f"{inproc[0] if inproc else float('nan'):6.2f} ms  p99 {inproc[1] if inproc else float('nan'):6.2f} ms"
        )


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="10k contacts, 100k fingerprints")
    p.add_argument("--pg-url", help="PostgreSQL server URL (else SENDWISE_TEST_POSTGRES_URL)")
    p.add_argument("--only", choices=("sqlite", "postgresql"))
    p.add_argument("--requests", type=int, help="analysis requests per run")
    p.add_argument("--runs", type=int, default=3, help="runs per measurement; the median is reported")
    p.add_argument(
        "--days",
        type=float,
        default=28,
        help="the sent history spans this many days (default 28: half of it in the 14-day window)",
    )
    p.add_argument(
        "--keep",
        metavar="DIR",
        help="keep the databases (SQLite file in DIR; PostgreSQL database) for inspection instead of dropping them",
    )
    p.add_argument(
        "--background",
        choices=("mixed", "team"),
        default="mixed",
        help="how alike the other stored messages are to the drafts (see the module docstring)",
    )
    return p.parse_args(argv)


ARGS = parse_args([])

if __name__ == "__main__":
    ARGS = parse_args()
    try:
        main()
    except Exception:
        traceback.print_exc(file=sys.stdout)
    sys.exit(0)
