"""`sendwise mailbox backfill --google`: a service account acting as each
user (domain-wide delegation) reads their SENT mail through the Gmail API,
served on loopback with the token endpoint that checks its assertions."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from backend import backfill, gmail_backfill
from backend.clock import SystemClock
from backend.storage.models import Contact, Interaction, MailboxBackfill, SentMessage
from tests.backend.test_backfill import CUSTOMER, SECRET_WORDS, TEMPLATE, sendwise
from tests.google_mail import GoogleState, gmail_message, google_service

TOM = "tom.li@acme.example"


@pytest.fixture
def google() -> Iterator[GoogleState]:
    with google_service() as state:
        state.delegated = {TOM}
        yield state


@pytest.fixture
def acme(make_tenant, database):
    tenant = make_tenant("acme", domains=["acme.example"])
    with database.session() as session:
        session.add(Contact(org_id=tenant.id, email=CUSTOMER, name="Lena Berger", unsubscribed=False))
    return tenant


def sent_mail(when, count: int, days_apart: float = 0.3) -> list[dict]:
    return [
        gmail_message(
            i,
            TOM,
            [CUSTOMER if i == 0 else f"buyer{i}@prospect-{i}.example"],
            when - timedelta(days=days_apart * i),
            f"Dear Sir or Madam,\n\n{TEMPLATE}\n\nBest regards,\nTom",
            "Quillfeather offer",
        )
        for i in range(count)
    ]


def counts(database) -> tuple[int, int]:
    with database.session() as session:
        return (
            session.scalar(select(func.count()).select_from(SentMessage)),
            session.scalar(select(func.count()).select_from(Interaction)),
        )


def test_sent_mail_of_the_last_90_days_is_read_oldest_first(google, acme, database, clock):
    google.mailboxes[TOM] = sent_mail(clock.now(), 320)  # 0.3 days apart: 300 within 90 days
    google.throttle_every = 60
    source = gmail_backfill.Gmail(google.service_account_info(), TOM, google.base)
    outcome = backfill.backfill_mailbox(database, acme.id, TOM, source, clock.now())
    assert (outcome.seen, outcome.recorded) == (300, 300)
    assert source.waited >= 1  # a 429 was waited out
    assert counts(database) == (300, 1)
    with database.session() as session:
        state = session.scalars(select(MailboxBackfill)).one()
        assert (state.provider, state.messages, state.error) == ("google", 300, None)
        assert state.high_water == clock.now()
        first = session.scalars(select(SentMessage).order_by(SentMessage.sent_at)).first()
        assert first.message_id.startswith("<CA") and first.sender == TOM
    again = backfill.backfill_mailbox(database, acme.id, TOM, source, clock.now())
    assert again.recorded == 0 and again.seen <= 1


def test_a_mailbox_not_delegated_stops_with_googles_reason(google, acme, database, clock):
    other = "ana@acme.example"
    google.mailboxes[other] = sent_mail(clock.now(), 2)
    source = gmail_backfill.Gmail(google.service_account_info(), other, google.base)
    with pytest.raises(backfill.BackfillError, match="unauthorized_client"):
        backfill.backfill_mailbox(database, acme.id, other, source, clock.now())


def test_the_cli_reads_the_named_mailboxes_and_keeps_no_text(google, acme, database, database_url, tmp_path):
    if not database_url.startswith("sqlite"):
        pytest.skip("the byte scan reads the SQLite file")
    google.mailboxes[TOM] = sent_mail(SystemClock().now() - timedelta(minutes=5), 40, days_apart=1)
    key = tmp_path / "service-account.json"
    key.write_text(json.dumps(google.service_account_info()))
    env = {"SENDWISE_GOOGLE_SERVICE_ACCOUNT_FILE": str(key), "SENDWISE_GMAIL_API_URL": google.base}
    first = sendwise(database_url, env, "mailbox", "backfill", "--org", "acme", "--google", "--mailbox", TOM)
    assert first.returncode == 0, first.stderr.decode()
    assert "1 mailbox(es), 40 sent message(s) read, 40 new" in first.stdout.decode()
    missing = sendwise(database_url, {}, "mailbox", "backfill", "--org", "acme", "--google", "--mailbox", TOM)
    assert missing.returncode == 2 and "SENDWISE_GOOGLE_SERVICE_ACCOUNT_FILE" in missing.stderr.decode()
    both = sendwise(database_url, env, "mailbox", "backfill", "--org", "acme", "--google", "--microsoft")
    assert both.returncode == 2 and "--microsoft or --google" in both.stderr.decode()

    path = Path(database_url.removeprefix("sqlite:///"))
    stored = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        rows = repr([conn.execute(f'SELECT * FROM "{t}"').fetchall() for t in tables])
    for word in SECRET_WORDS:
        assert word.encode() not in stored and word not in rows
        assert word.encode() not in first.stdout + first.stderr
    assert TOM in rows
