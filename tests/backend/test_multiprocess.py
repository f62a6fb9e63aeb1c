"""Several `sendwise serve` processes on one database, as in a deployment
with more than one worker: real processes, real HTTP, SQLite and PostgreSQL.
Nothing is cached per process, so what one server records the other sees
at once."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

from sqlalchemy import func, select, text

from backend.storage import Database
from backend.storage.migrate import current_revision
from backend.storage.models import SentMessage
from tests.backend.test_sent import ANNA, COLLEAGUES, draft
from tests.conftest import ORG_DOMAIN, serve_subprocess


def servers(stack: ExitStack, database_url: str, tmp_path, n: int = 2) -> list:
    env = {**os.environ, "DATABASE_URL": database_url, "SENDWISE_DEMO": "0", "PYTHONIOENCODING": "utf-8"}
    return [stack.enter_context(serve_subprocess(env, tmp_path / f"server{i}.log", "--no-demo")) for i in range(n)]


def test_servers_starting_together_migrate_a_fresh_database_once(empty_database_url, tmp_path):
    env = {**os.environ, "DATABASE_URL": empty_database_url, "PYTHONIOENCODING": "utf-8"}
    with ExitStack() as stack, ThreadPoolExecutor(3) as pool:
        started = [
            pool.submit(stack.enter_context, serve_subprocess(env, tmp_path / f"s{i}.log", "--no-demo"))
            for i in range(3)
        ]
        for http in (f.result() for f in started):
            assert http.get("/api/v1/health").json()["database"] is True
    database = Database(empty_database_url)
    try:
        with database.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
        assert current_revision(database) is not None
    finally:
        database.dispose()


def test_mail_recorded_on_one_server_counts_on_the_other(database_url, database, make_tenant, tmp_path):
    acme = make_tenant("acme", domains=[ORG_DOMAIN])
    with ExitStack() as stack:
        a, b = servers(stack, database_url, tmp_path)
        for i, who in enumerate(COLLEAGUES[:6]):
            reply = (a, b)[i % 2].post_json(
                "/api/v1/sent", {"draft": draft(f"buyer{i}@customer{i}.de", who=who)}, acme.auth
            )
            assert reply.status == 201, reply.body

        for server in (a, b):
            report = server.post_json("/api/v1/analyze", {"draft": draft(ANNA)}, acme.auth).json()
            reuse = [f for f in report["findings"] if f["code"] == "mass.template_reuse"]
            assert len(reuse) == 1 and "6 other recipients from 6 sender" in reuse[0]["message"], report["findings"]

        # The same message reported by two servers at once is stored once.
        body = {"draft": draft("late@customer.fr"), "message_id": "<race@brightway-lighting.cn>"}
        with ThreadPoolExecutor(2) as pool:
            replies = list(pool.map(lambda s: s.post_json("/api/v1/sent", body, acme.auth), (a, b)))
        assert sorted(r.status for r in replies) == [200, 201]
        assert replies[0].json()["sent"]["id"] == replies[1].json()["sent"]["id"]
        with database.session() as session:
            assert session.scalar(select(func.count()).select_from(SentMessage)) == 7
