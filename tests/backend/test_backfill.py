"""Sent Items backfill: Graph and the token endpoint served over TLS on
loopback (a test CA that msal and Graph calls trust through
REQUESTS_CA_BUNDLE), paging and 429s, the CLI with client credentials, the
on-behalf-of run a sign-in starts, and what is (not) kept."""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from backend import backfill
from backend.clock import SystemClock
from backend.storage.models import Contact, Interaction, MailboxBackfill, SentMessage
from tests.conftest import PROJECT_ROOT, Http, serving
from tests.graph import SECRET, GraphState, graph_service, message
from tests.microsoft import CLIENT_ID, TENANT, identity_platform

TOM = "tom.li@contoso.example"
ANA = "ana.silva@contoso.example"
CUSTOMER = "buyer@nordlicht-elektro.example"
# Words that exist only in the messages: none may be stored or logged.
SECRET_WORDS = ("Zephyrine", "Halvorsen", "Marigold", "Quillfeather")
TEMPLATE = (
    "Our Zephyrine quartz luminaires ship from Ningbo within twelve days of your order. The Halvorsen "
    "catalogue lists forty finishes for hotels and offices, and samples of the Marigold series are free "
    "for distributors this spring. Shall I send the price list and two samples for your testing?"
)
SUBJECT = "Quillfeather offer for spring"


@pytest.fixture
def graph(tmp_path, monkeypatch) -> Iterator[GraphState]:
    with graph_service(tmp_path, CLIENT_ID) as state:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(state.ca_file))
        yield state


@pytest.fixture
def contoso(make_tenant, database):
    tenant = make_tenant("contoso", microsoft_tenant=TENANT, domains=["contoso.example"])
    with database.session() as session:
        session.add(Contact(org_id=tenant.id, email=CUSTOMER, name="Lena Berger", unsubscribed=False))
    return tenant


def pitches(start: int, sender: str, when, count: int, days_apart: float = 1.0) -> list[dict]:
    return [
        message(
            start + i,
            sender,
            [CUSTOMER if i == 0 else f"buyer{start + i}@prospect-{start + i}.example"],
            when - timedelta(days=days_apart * i),
            f"Dear Sir or Madam,\n\n{TEMPLATE}\n\nBest regards,\n{sender.split('@')[0]}",
            SUBJECT,
        )
        for i in range(count)
    ]


def settings(graph: GraphState) -> backfill.Settings:
    return backfill.Settings(CLIENT_ID, SECRET, graph_url=graph.graph_url, authority_host=graph.base)


def app_graph(graph: GraphState) -> tuple[backfill.Graph, backfill.requests.Session]:
    http = backfill.http_session()
    client = backfill.confidential_client(settings(graph), TENANT, http)
    return backfill.Graph(graph.graph_url, backfill.application_token(client), http), http


def counts(database) -> tuple[int, int]:
    with database.session() as session:
        return (
            session.scalar(select(func.count()).select_from(SentMessage)),
            session.scalar(select(func.count()).select_from(Interaction)),
        )


def test_pages_are_followed_and_429s_waited_out(graph, contoso, database, clock):
    graph.mailboxes[TOM] = pitches(0, TOM, clock.now(), 250, days_apart=0.3)  # 250 within 90 days: 3 pages
    graph.throttle_every, graph.retry_after = 3, "1"
    client, http = app_graph(graph)
    with http:
        outcome = backfill.backfill_mailbox(database, contoso.id, TOM, client, clock.now())
    assert (outcome.seen, outcome.recorded, outcome.skipped) == (250, 250, 0)
    assert graph.throttled() >= 1 and client.waited >= graph.throttled()
    # After each 429 the next request came at least Retry-After later.
    for (at, path), (next_at, _) in zip(graph.requests, graph.requests[1:]):
        if path == "429":
            assert next_at - at >= 0.95
    assert counts(database) == (250, 1)  # one contact among the recipients: one interaction
    with database.session() as session:
        interaction = session.scalars(select(Interaction)).one()
        assert (interaction.direction, interaction.subject) == ("out", None)
        state = session.scalars(select(MailboxBackfill)).one()
        assert state.messages == 250 and state.error is None
        assert state.high_water == clock.now()


def test_a_second_run_reads_only_what_is_new_and_records_nothing_twice(graph, contoso, database, clock):
    graph.mailboxes[TOM] = pitches(0, TOM, clock.now(), 30)
    client, http = app_graph(graph)
    with http:
        first = backfill.backfill_mailbox(database, contoso.id, TOM, client, clock.now())
        graph.mailboxes[TOM] += pitches(100, TOM, clock.now() + timedelta(hours=2), 3, days_apart=0.01)
        clock.set(clock.now() + timedelta(hours=3))
        second = backfill.backfill_mailbox(database, contoso.id, TOM, client, clock.now())
    assert (first.seen, first.recorded) == (30, 30)
    assert second.seen == 4 and second.recorded == 3  # from the high-water mark: the newest old one, again
    assert counts(database)[0] == 33


def test_an_interrupted_run_resumes_from_the_last_page(graph, contoso, database, clock):
    graph.mailboxes[TOM] = pitches(0, TOM, clock.now(), 150, days_apart=0.5)
    client, http = app_graph(graph)
    original = client._get
    calls = []

    def failing_second_page(url, params, headers):
        calls.append(url)
        if len(calls) == 2:
            raise backfill.BackfillError("Graph answered 500 (InternalServerError)")
        return original(url, params, headers)

    client._get = failing_second_page  # type: ignore[method-assign]
    with http, pytest.raises(backfill.BackfillError):
        backfill.backfill_mailbox(database, contoso.id, TOM, client, clock.now())
    assert counts(database)[0] == 100
    with database.session() as session:
        assert "500" in session.scalars(select(MailboxBackfill.error)).one()
    client, http = app_graph(graph)
    with http:
        again = backfill.backfill_mailbox(database, contoso.id, TOM, client, clock.now())
    assert again.recorded == 50 and counts(database)[0] == 150


def test_backfilled_mail_makes_a_matching_draft_a_reused_template(graph, contoso, database, make_app, clock):
    graph.mailboxes[TOM] = pitches(0, TOM, clock.now() - timedelta(days=1), 8)
    client, http = app_graph(graph)
    with http:
        backfill.backfill_mailbox(database, contoso.id, TOM, client, clock.now())
    draft = contoso.draft_to("einkauf@nordlicht.example", body=TEMPLATE)
    draft["from"]["email"] = ANA
    with serving(make_app(DEMO_MODE=False)) as base:
        report = Http(base).post_json("/api/v1/analyze", {"draft": draft}, headers=contoso.auth).json()
    reuse = [f for f in report["findings"] if f["code"] == "mass.template_reuse"]
    assert len(reuse) == 1, report["findings"]
    assert "8 other recipients" in reuse[0]["message"]


def sendwise(database_url: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """The real command in a subprocess, with `env` on top of this one's."""
    return subprocess.run(
        [sys.executable, "-m", "backend.cli", *args],
        capture_output=True,
        cwd=PROJECT_ROOT,
        env={**os.environ, "DATABASE_URL": database_url, "PYTHONIOENCODING": "utf-8", **env},
        timeout=300,
    )


def test_the_cli_reads_every_mailbox_of_the_tenant_and_keeps_no_text(graph, contoso, database, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("the byte scan reads the SQLite file")
    now = SystemClock().now()  # the command runs on the real clock
    graph.mailboxes[TOM] = pitches(0, TOM, now - timedelta(minutes=5), 120, days_apart=0.5)
    graph.mailboxes[ANA] = pitches(500, ANA, now - timedelta(minutes=5), 5)
    graph.mailboxes[ANA].append(message(999, ANA, [], now - timedelta(hours=1), TEMPLATE))  # no recipient
    graph.throttle_every, graph.retry_after = 5, "1"
    env = {
        "SENDWISE_MS_CLIENT_ID": CLIENT_ID,
        "SENDWISE_MS_CLIENT_SECRET": SECRET,
        "SENDWISE_MS_GRAPH_URL": graph.graph_url,
        "SENDWISE_MS_AUTHORITY_HOST": graph.base,
        "SENDWISE_LOG_LEVEL": "DEBUG",
    }
    first = sendwise(database_url, env, "mailbox", "backfill", "--org", "contoso", "--microsoft")
    again = sendwise(database_url, env, "mailbox", "backfill", "--org", "contoso", "--microsoft")
    assert first.returncode == 0, first.stderr.decode()
    # 120 messages half a day apart: 90 days hold 180 half-days, so all; Ana's 5 and one without recipients.
    assert "2 mailbox(es), 126 sent message(s) read, 125 new" in first.stdout.decode()
    assert again.returncode == 0, again.stderr.decode()
    assert ", 0 new" in again.stdout.decode()
    assert "client_credentials" in graph.grants and graph.throttled() >= 1
    assert counts(database) == (125, 2)

    path = Path(database_url.removeprefix("sqlite:///"))
    stored = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        rows = repr([conn.execute(f'SELECT * FROM "{t}"').fetchall() for t in tables])
    said = first.stdout + first.stderr + again.stdout + again.stderr
    for word in SECRET_WORDS:
        assert word.encode() not in stored and word not in rows
        assert word.encode() not in said
    assert TOM in rows  # the scan does read what is stored


def test_the_cli_says_what_is_missing(database_url, contoso, make_tenant):
    make_tenant("plain")
    unconfigured = sendwise(database_url, {}, "mailbox", "backfill", "--org", "contoso", "--microsoft")
    assert unconfigured.returncode == 2 and "SENDWISE_MS_CLIENT_ID" in unconfigured.stderr.decode()
    no_tenant = sendwise(database_url, {}, "mailbox", "backfill", "--org", "plain", "--microsoft")
    assert no_tenant.returncode == 2 and "--microsoft-tenant" in no_tenant.stderr.decode()


def test_a_wrong_secret_stops_with_microsofts_reason(graph, contoso, database, clock):
    http = backfill.http_session()
    bad = backfill.Settings(CLIENT_ID, "wrong", graph_url=graph.graph_url, authority_host=graph.base)
    client = backfill.Graph(
        graph.graph_url, backfill.application_token(backfill.confidential_client(bad, TENANT, http)), http
    )
    graph.mailboxes[TOM] = pitches(0, TOM, clock.now(), 2)
    with http, pytest.raises(backfill.BackfillError, match="invalid_client"):
        backfill.backfill_mailbox(database, contoso.id, TOM, client, clock.now())


def test_a_sign_in_starts_the_users_backfill_on_their_behalf_once(graph, contoso, database, make_app, clock, caplog):
    graph.mailboxes[TOM] = pitches(0, TOM, clock.now(), 12)
    with identity_platform() as platform:
        app = make_app(
            DEMO_MODE=False,
            MS_CLIENT_ID=CLIENT_ID,
            MS_CLIENT_SECRET=SECRET,
            MS_OPENID_CONFIG_URL=platform.openid_config_url,
            MS_GRAPH_URL=graph.graph_url,
            MS_AUTHORITY_HOST=graph.base,
        )
        token = platform.token(clock.now(), email=TOM)
        caplog.set_level(logging.DEBUG)
        with serving(app) as base:
            api = Http(base)
            headers = {"Authorization": f"Bearer {token}"}
            assert api.get("/api/v1/contacts/nobody@example.com", headers=headers).status == 404
            runner = app.extensions["sendwise.backfills"]
            runner.wait()
            assert api.get("/api/v1/contacts/nobody@example.com", headers=headers).status == 404
            runner.wait()
        runner.shutdown()
    assert graph.assertions == [token]  # exchanged once: the second sign-in came within the hour
    assert "urn:ietf:params:oauth:grant-type:jwt-bearer" in graph.grants
    assert [p for _, p in graph.requests if p != "429"] == ["/v1.0/me/mailFolders/sentitems/messages"]
    assert counts(database) == (12, 1)
    logged = caplog.text
    assert "12 messages read, 12 new" in logged  # the log is captured, and names no address or word
    assert token not in logged and TOM not in logged and not any(word in logged for word in SECRET_WORDS)
