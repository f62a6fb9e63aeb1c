"""Faults under a real multi-worker server (`sendwise serve --workers 2`):
a worker killed mid-request, and PostgreSQL stopped and started while
requests keep coming. bench/load.py runs the same faults under load."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import make_url, text

from tests.conftest import POSTGRES_ENV, serve_subprocess

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="needs gunicorn and Linux /proc")


def _workers(log: Path) -> list[int]:
    for line in log.read_text().splitlines():
        if "Starting gunicorn" in line:
            master = int(line.split("[")[2].split("]")[0])
            return [int(p) for p in Path(f"/proc/{master}/task/{master}/children").read_text().split()]
    raise AssertionError(log.read_text())


def test_the_other_worker_keeps_serving_when_one_is_killed(database_url, make_tenant, tmp_path):
    acme = make_tenant("acme")
    env = {**os.environ, "DATABASE_URL": database_url, "SENDWISE_DEMO": "0"}
    log = tmp_path / "serve.log"
    with serve_subprocess(env, log, "--workers", "2") as http:
        deadline = time.monotonic() + 20
        while len(_workers(log)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        victim = _workers(log)[0]
        body = {"draft": acme.draft_to("buyer@customer.de")}
        with ThreadPoolExecutor(4) as pool:
            during = [pool.submit(http.post_json, "/api/v1/analyze", body, acme.auth) for _ in range(8)]
            os.kill(victim, signal.SIGKILL)
            outcomes = []
            for future in during:
                try:
                    outcomes.append(future.result().status)
                except OSError:
                    outcomes.append(0)  # the killed worker's connection
        assert set(outcomes) <= {0, 200} and outcomes.count(200) >= 1, outcomes
        # Right after: every request is answered (by the survivor, then by the replacement too).
        statuses = [http.post_json("/api/v1/analyze", body, acme.auth).status for _ in range(10)]
        assert statuses == [200] * 10
        deadline = time.monotonic() + 30
        while (len(_workers(log)) < 2 or victim in _workers(log)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(_workers(log)) == 2 and victim not in _workers(log)


def _cluster(url: str) -> tuple[list[str], str] | None:
    """(how to run pg_ctl, data folder) for a scripts/pg-test-env server; None otherwise."""
    folder = make_url(url).query.get("host")
    if not isinstance(folder, str) or not Path(folder, "data", "PG_VERSION").is_file():
        return None
    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    pg_ctl = os.environ.get("PG_BIN", "") and str(Path(os.environ["PG_BIN"], "pg_ctl"))
    pg_ctl = pg_ctl or (str(bins[-1]) if bins else "pg_ctl")
    as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return [*as_owner, pg_ctl], folder


@pytest.mark.skipif(not os.environ.get(POSTGRES_ENV), reason=f"{POSTGRES_ENV} is not set")
def test_postgres_restart_fails_fast_with_503_and_recovers(postgres_template, clock, tmp_path):
    """PostgreSQL stopped under a running two-worker server: requests get
    503 at once (not a hang, not a 500); once it is back, they succeed
    again without restarting sendwise, and every sent answered 2xx is stored."""
    from backend.storage import Database, apikeys, queries

    cluster = _cluster(postgres_template.url_for("postgres"))
    if cluster is None:
        pytest.skip("restarting PostgreSQL needs a scripts/pg-test-env server (its data folder)")
    pg_ctl, folder = cluster
    postgres_template._next.result()  # no database being cloned while the server is down
    name = postgres_template.clone()
    url = postgres_template.url_for(name)
    database = Database(url)
    try:
        with database.session() as session:
            org = queries.upsert_org(
                session, "acme", clock.now(), name="Acme", domains=["acme.example.cn"], default_locale="en", policy={}
            )
            _, key = apikeys.create(session, org, clock.now())
        auth = {"Authorization": f"Bearer {key}"}
        env = {**os.environ, "DATABASE_URL": url, "SENDWISE_DEMO": "0"}

        def sent(i: int) -> dict:
            return {
                "draft": {
                    "from": {"email": "tom@acme.example.cn"},
                    "to": [{"email": f"buyer{i}@customer.de"}],
                    "subject": "Samples",
                    "body": {"text": f"Dear buyer, sample lot {i} ships today."},
                },
                "message_id": f"<fault-{i}@acme.example.cn>",
            }

        stored_ok: list[str] = []
        with serve_subprocess(env, tmp_path / "serve.log", "--workers", "2") as http:
            for i in range(3):
                reply = http.post_json("/api/v1/sent", sent(i), auth)
                assert reply.status == 201, reply.body
                stored_ok.append(f"<fault-{i}@acme.example.cn>")
            subprocess.run([*pg_ctl, "-D", f"{folder}/data", "-m", "fast", "-w", "stop"], check=True)
            try:
                for i in range(3, 6):
                    started = time.monotonic()
                    reply = http.post_json("/api/v1/sent", sent(i), auth)
                    assert reply.status == 503, reply.body
                    assert reply.json()["error"]["code"] == "database_unavailable"
                    assert time.monotonic() - started < 5
                assert http.get("/api/v1/ready").status == 503
            finally:
                subprocess.run(
                    [
                        *pg_ctl,
                        "-D",
                        f"{folder}/data",
                        "-l",
                        f"{folder}/server.log",
                        "-w",
                        "start",
                        "-o",
                        _options(folder),
                    ],
                    check=True,
                    stdout=subprocess.DEVNULL,
                )
            assert http.get("/api/v1/ready").status == 200
            for i in range(6, 12):
                reply = http.post_json("/api/v1/sent", sent(i), auth)
                assert reply.status == 201, reply.body
                stored_ok.append(f"<fault-{i}@acme.example.cn>")
        with database.engine.connect() as conn:
            stored = conn.execute(text("SELECT message_id FROM sent_messages")).scalars().all()
        assert sorted(stored) == sorted(stored_ok)
    finally:
        database.dispose()
        postgres_template.drop(name)


def _options(folder: str) -> str:
    # As scripts/pg-test-env starts it.
    return (
        f"-c listen_addresses='' -k {folder} -p 5432 -c fsync=off -c synchronous_commit=off "
        "-c full_page_writes=off -c max_connections=200"
    )
