"""One sync per organisation and CRM at a time: the crm_syncs row is the
lock, across processes and on SQLite and PostgreSQL; a crashed sync's lock
expires, and a sync that lost its lock stops."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import update

from backend.auth import DEMO_ORG_SLUG
from backend.clock import SystemClock
from backend.connectors.base import ConnectorError
from backend.connectors.sync import LOCK_EXPIRES, _claim
from backend.storage import queries
from backend.storage.models import CrmSync
from tests.conftest import PROJECT_ROOT
from tests.connectors.fake_hubspot import CONTACTS_PATH, TOKEN, FakeHubSpot
from tests.connectors.test_hubspot_sync import ANNA, ROSSI, run_sync, stored, sync_row

SYNC = ["crm", "sync", "hubspot", "--org", DEMO_ORG_SLUG, "--token-env", "HUBSPOT_TOKEN"]


def cli(database_url: str, base: str) -> tuple[list[str], dict[str, str]]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PYTHONIOENCODING": "utf-8",
        "HUBSPOT_TOKEN": TOKEN,
        "SENDWISE_HUBSPOT_BASE_URL": base,
    }
    return [sys.executable, "-m", "backend.cli", *SYNC], env


def set_row(database, **values) -> None:
    with database.session() as session:
        session.execute(update(CrmSync).values(**values))


def test_a_second_sync_while_one_runs_is_refused(database_url, database, demo_org):
    fake = FakeHubSpot()
    paused = fake.pause(CONTACTS_PATH, after="c2")  # the first sync stops in the middle, page one stored
    with fake as base:
        command, env = cli(database_url, base)
        first = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        try:
            assert paused.arrived.wait(60), "the first sync never asked for page two"
            holder = sync_row(database)
            second = subprocess.run(command, cwd=PROJECT_ROOT, env=env, text=True, capture_output=True, timeout=60)
        finally:
            paused.release()
            out, err = first.communicate(timeout=60)

    assert second.returncode == 2 and second.stdout == ""
    [line] = second.stderr.splitlines()
    assert line.startswith("sendwise: error: another hubspot sync of 'demo' is running (started ")
    assert line.endswith("wait for it to finish (a sync without progress for 10 minutes is taken over)")
    assert TOKEN not in second.stderr

    assert first.returncode == 0, err
    assert out.startswith("hubspot: 6 contacts fetched in 3 pages for demo: 5 created")
    row = sync_row(database)
    assert (holder.status, row.status, row.run_id) == ("running", "ok", None)
    assert row.started_at == holder.started_at  # the refused sync left the running one's record alone
    assert len(fake.seen(CONTACTS_PATH)) == 3  # the refused sync asked HubSpot nothing

    again = subprocess.run(command, cwd=PROJECT_ROOT, env=env, text=True, capture_output=True, timeout=60)
    assert again.returncode == 2 and "cannot reach HubSpot" in again.stderr  # the lock is free; HubSpot is gone


def test_of_many_syncs_starting_at_once_exactly_one_gets_the_lock(database, demo_org):
    attempts = 6
    start = threading.Barrier(attempts)

    def claim(n: int) -> str:
        start.wait()
        try:
            with database.session() as session:
                _claim(session, queries.org_by_slug(session, DEMO_ORG_SLUG), "hubspot", f"run{n}", SystemClock().now())
            return "claimed"
        except ConnectorError as exc:
            assert exc.kind == "busy"
            return "refused"

    for _ in range(2):  # once creating the row, once updating it
        with ThreadPoolExecutor(attempts) as pool:
            outcomes = list(pool.map(claim, range(attempts)))
        assert sorted(outcomes) == ["claimed"] + ["refused"] * (attempts - 1)
        assert sync_row(database).run_id in {f"run{n}" for n in range(attempts)}
        set_row(database, status="ok", run_id=None)


@pytest.mark.parametrize(
    ("idle", "taken_over"),
    [
        pytest.param(LOCK_EXPIRES + timedelta(minutes=1), True, id="crashed-sync-is-taken-over"),
        pytest.param(LOCK_EXPIRES - timedelta(minutes=1), False, id="slow-sync-is-not"),
    ],
)
def test_the_lock_of_a_sync_without_progress_expires(database, demo_org, idle, taken_over):
    with FakeHubSpot() as base:
        run_sync(database, base)
        long_ago = SystemClock().now() - idle
        set_row(database, status="running", run_id="crashed", started_at=long_ago, heartbeat_at=long_ago)
        if taken_over:
            result = run_sync(database, base)
            assert result.finished_at is not None
            assert (sync_row(database).status, sync_row(database).run_id) == ("ok", None)
        else:
            with pytest.raises(ConnectorError) as caught:
                run_sync(database, base)
            assert caught.value.kind == "busy"
            assert (sync_row(database).status, sync_row(database).run_id) == ("running", "crashed")


def test_a_sync_that_lost_its_lock_stops_without_storing_or_recording(database, demo_org):
    fake = FakeHubSpot()
    paused = fake.pause(CONTACTS_PATH, after="c2")
    failure: list[BaseException] = []

    def sync() -> None:
        try:
            run_sync(database, base, full=True)
        except BaseException as exc:
            failure.append(exc)

    with fake as base:
        worker = threading.Thread(target=sync)
        worker.start()
        assert paused.arrived.wait(30)
        set_row(database, run_id="newcomer")  # as a sync that took the lock over would
        paused.release()
        worker.join(30)

    [exc] = failure
    assert isinstance(exc, ConnectorError) and exc.kind == "superseded"
    assert "another hubspot sync took over" in str(exc)
    assert sorted(stored(database)) == [ANNA, ROSSI]  # page one only: page two was not stored
    row = sync_row(database)
    assert (row.status, row.run_id, row.error) == ("running", "newcomer", None)  # the newcomer's record
