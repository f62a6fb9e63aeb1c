"""Limits on the API: body size (413), JSON string length (400), and rate
limits per organisation and per API key (429 with Retry-After), counted in
the database so that several worker processes share one count."""

from __future__ import annotations

import os
import sys
from contextlib import ExitStack

import pytest

from tests.conftest import Http, internal_draft, serve_subprocess, serving


def assert_error(reply, status: int, code: str) -> dict:
    assert reply.status == status, reply.body
    error = reply.json()["error"]
    assert error["code"] == code and error["message"]
    return error


def test_an_11_mb_body_is_413_with_the_limit(http):
    error = assert_error(http.post_json("/api/v1/analyze", b" " * (11 * 1024 * 1024)), 413, "request_too_large")
    assert "limit is 2097152" in error["message"]


@pytest.mark.skipif(sys.platform == "win32", reason="gunicorn runs on POSIX only")
def test_gunicorn_answers_an_11_mb_body_with_413_not_a_broken_pipe(database_url, tmp_path):
    env = {**os.environ, "DATABASE_URL": database_url, "SENDWISE_DEMO": "0"}
    with serve_subprocess(env, tmp_path / "serve.log", "--workers", "2") as http:
        reply = http.post_json("/api/v1/analyze", b" " * (11 * 1024 * 1024))
    assert_error(reply, 413, "request_too_large")


def test_sent_and_overrides_are_capped_too(http):
    assert_error(http.post_json("/api/v1/sent", b" " * (3 * 1024 * 1024)), 413, "request_too_large")
    assert_error(http.post_json("/api/v1/overrides", b" " * (64 * 1024)), 413, "request_too_large")


def test_a_long_string_is_refused_with_its_length(make_app, demo_org):
    draft = internal_draft()
    draft["subject"] = "x" * 5000
    with serving(make_app(MAX_JSON_STRING=4096)) as base:
        error = assert_error(Http(base).post_json("/api/v1/analyze", {"draft": draft}), 400, "invalid_json")
    assert "5000 characters" in error["message"] and "limit is 4096" in error["message"]


def test_per_key_limit_answers_429_with_retry_after(make_app, make_tenant):
    acme = make_tenant("acme")
    other_key = make_tenant("other")
    app = make_app(DEMO_MODE=False, RATE_LIMIT_KEY="3/minute", RATE_LIMIT_ORG="off")
    with serving(app) as base:
        http = Http(base)
        body = {"draft": acme.draft_to("buyer@customer.de")}
        for _ in range(3):
            assert http.post_json("/api/v1/analyze", body, acme.auth).status == 200
        reply = http.post_json("/api/v1/analyze", body, acme.auth)
        error = assert_error(reply, 429, "rate_limited")
        assert "3 per 1 minute" in error["message"]
        assert 1 <= int(reply.headers["Retry-After"]) <= 61
        # Another key has its own count; health and readiness are never limited.
        assert http.post_json("/api/v1/analyze", {"draft": other_key.draft_to("a@b.de")}, other_key.auth).status == 200
        for _ in range(5):
            assert http.get("/api/v1/health", headers=acme.auth).status == 200
            assert http.get("/api/v1/ready").status == 200


def test_per_org_limit_counts_every_key_of_the_organisation(make_app, make_tenant, database, clock):
    from backend.storage import apikeys, queries

    acme = make_tenant("acme")
    with database.session() as session:
        _, second_key = apikeys.create(session, queries.org_by_slug(session, "acme"), clock.now())
    app = make_app(DEMO_MODE=False, RATE_LIMIT_ORG="4/hour", RATE_LIMIT_KEY="off")
    with serving(app) as base:
        http = Http(base)
        keys = [acme.auth, {"Authorization": f"Bearer {second_key}"}]
        statuses = [http.get("/api/v1/org", headers=keys[i % 2]).status for i in range(6)]
    assert statuses == [200, 200, 200, 200, 429, 429]


def test_unauthenticated_requests_get_401_not_429(make_app, make_tenant):
    make_tenant("acme")
    app = make_app(DEMO_MODE=False, RATE_LIMIT_ORG="1/hour", RATE_LIMIT_KEY="1/hour")
    with serving(app) as base:
        for _ in range(3):
            assert Http(base).get("/api/v1/org").status == 401


@pytest.mark.skipif(sys.platform == "win32", reason="gunicorn runs on POSIX only")
def test_two_workers_and_two_servers_share_one_count(database_url, make_tenant, tmp_path):
    if database_url.startswith("sqlite"):
        pytest.skip("on SQLite the counts stay in each process (backend/ratelimit.py)")
    """Two `sendwise serve --workers 2` servers on one database (four
    processes): ten requests spread over them, with a limit of six, give
    exactly six answers and four 429s."""
    acme = make_tenant("acme")
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SENDWISE_DEMO": "0",
        "SENDWISE_RATE_LIMIT_KEY": "6/hour",
        "SENDWISE_RATE_LIMIT_ORG": "off",
    }
    with ExitStack() as stack:
        servers = [
            stack.enter_context(serve_subprocess(env, tmp_path / f"s{i}.log", "--workers", "2")) for i in range(2)
        ]
        statuses = [servers[i % 2].get("/api/v1/org", headers=acme.auth).status for i in range(10)]
        pids_seen = {(tmp_path / f"s{i}.log").read_text().count("Booting worker") for i in range(2)}
    assert sorted(statuses) == [200] * 6 + [429] * 4, statuses
    assert pids_seen == {2}


def test_bad_limit_settings_stop_start_up():
    from backend.config import load_config

    with pytest.raises(ValueError, match="SENDWISE_RATE_LIMIT_KEY"):
        load_config({"SENDWISE_RATE_LIMIT_KEY": "lots"})
    assert load_config({"SENDWISE_RATE_LIMIT_ORG": "OFF"})["RATE_LIMIT_ORG"] == "off"


class _Seconds:
    """The limiter's system-clock reading, pinned for the storage tests."""

    def __init__(self, monkeypatch):
        self.now = 1_900_000_000.0
        monkeypatch.setattr("backend.ratelimit.counter_seconds", lambda: self.now)


def _stored(database, key: str) -> int:
    from sqlalchemy import select

    from backend.storage.models import RateCounter

    with database.engine.connect() as conn:
        return conn.execute(select(RateCounter.count).where(RateCounter.key == key)).scalar() or 0


def test_a_large_limit_is_written_in_batches_and_counted_exactly_after(database, monkeypatch):
    from backend.ratelimit import HOLD_SECONDS, DatabaseStorage

    seconds = _Seconds(monkeypatch)
    storage = DatabaseStorage(engine=database.engine)
    key = "LIMITER/sendwise/org:1/org/30000/1/minute"  # holds back up to 300
    assert [storage.incr(key, 60) for _ in range(250)] == list(range(1, 251))
    assert _stored(database, key) == 1  # only the first hit was written
    assert storage.get(key) == 250
    seconds.now += HOLD_SECONDS
    assert storage.incr(key, 60) == 251
    assert _stored(database, key) == 251  # the batch and this hit, in one write
    seconds.now += 60
    assert storage.incr(key, 60) == 1  # a new window: nothing held over from the old one


def test_a_small_limit_is_written_at_every_hit(database, monkeypatch):
    from backend.ratelimit import DatabaseStorage

    _Seconds(monkeypatch)
    storage = DatabaseStorage(engine=database.engine)
    key = "LIMITER/sendwise/key:7/key/6/1/hour"
    for n in range(1, 9):
        assert storage.incr(key, 3600) == n
        assert _stored(database, key) == n


def test_processes_holding_back_admit_at_most_their_share_more(database, monkeypatch):
    """Four processes (four storages) hitting one key of 400/minute in turn:
    each may hold back 1 % (4 hits) unseen by the others, so at most 16
    more than the limit are admitted, and the table is exact once they write."""
    from backend.ratelimit import HOLD_SECONDS, DatabaseStorage

    seconds = _Seconds(monkeypatch)
    processes = [DatabaseStorage(engine=database.engine) for _ in range(4)]
    key = "LIMITER/sendwise/org:3/org/400/1/minute"
    admitted = sum(processes[i % 4].incr(key, 60) <= 400 for i in range(600))
    assert 400 <= admitted <= 416
    seconds.now += HOLD_SECONDS
    for p in processes:
        p.incr(key, 60)
    assert _stored(database, key) == 604
