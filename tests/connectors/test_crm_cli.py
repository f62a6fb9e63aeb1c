"""`sendwise crm …` through real subprocesses against the local fake HubSpot."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import PROJECT_ROOT
from tests.connectors.fake_hubspot import TOKEN, FakeHubSpot
from tests.connectors.test_hubspot_sync import free_port, stored, sync_row


@pytest.fixture
def run(database_url, demo_org):
    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        full_env = {**os.environ, "DATABASE_URL": database_url, "PYTHONIOENCODING": "utf-8", "HUBSPOT_TOKEN": TOKEN}
        full_env.pop("SENDWISE_HUBSPOT_BASE_URL", None)
        full_env.update(env or {})
        return subprocess.run(
            [sys.executable, "-m", "backend.cli", *args],
            capture_output=True,
            cwd=PROJECT_ROOT,
            env=full_env,
            timeout=60,
            text=True,
        )

    return run


def one_line_error(result) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("sendwise: error: ")
    assert TOKEN not in result.stderr
    return lines[0]


def test_sync_prints_progress_on_stderr_and_a_summary_on_stdout(run, database):
    with FakeHubSpot() as base:
        # The base URL from the environment, as documented.
        result = run(
            "crm",
            "sync",
            "hubspot",
            "--org",
            "demo",
            "--token-env",
            "HUBSPOT_TOKEN",
            env={"SENDWISE_HUBSPOT_BASE_URL": base},
        )
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "hubspot: 6 contacts fetched in 3 pages for demo: 5 created, 0 updated, 0 unchanged, "
        "1 skipped (1 without email)\n"
    )
    assert result.stderr.splitlines() == [f"hubspot: page {n}: 2 contacts ({2 * n} so far)" for n in (1, 2, 3)]
    assert TOKEN not in result.stdout + result.stderr
    assert len(stored(database)) == 5

    status = run("crm", "status", "--org", "demo")
    assert status.returncode == 0, status.stderr
    assert status.stdout.startswith("hubspot: ok: synced at ")
    assert "(6 fetched, 5 created, 0 updated, 0 unchanged)" in status.stdout


def test_a_refused_token_is_one_line_and_exit_2(run, database):
    with FakeHubSpot() as base:
        result = run(
            "crm",
            "sync",
            "hubspot",
            "--org",
            "demo",
            "--token-env",
            "HUBSPOT_TOKEN",
            "--base-url",
            base,
            env={"HUBSPOT_TOKEN": "pat-eu1-wrong"},
        )
    line = one_line_error(result)
    assert line == (
        "sendwise: error: hubspot sync failed: HubSpot rejected $HUBSPOT_TOKEN (401 Unauthorized) "
        "while reading contacts: check the private-app token"
    )
    assert "pat-eu1-wrong" not in result.stderr
    assert sync_row(database).status == "failed"


def test_hubspot_down_is_one_line_and_exit_2(run, database):
    base = f"http://127.0.0.1:{free_port()}"
    line = one_line_error(
        run("crm", "sync", "hubspot", "--org", "demo", "--token-env", "HUBSPOT_TOKEN", "--base-url", base)
    )
    assert line == f"sendwise: error: hubspot sync failed: cannot reach HubSpot at {base}: connection refused"
    row = sync_row(database)
    assert (row.status, row.error) == ("failed", f"cannot reach HubSpot at {base}: connection refused")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param(
            ["--token-env", "NO_SUCH_VARIABLE"],
            "hubspot sync failed: environment variable NO_SUCH_VARIABLE is not set",
            id="missing-env-var",
        ),
        pytest.param(["--token-env", TOKEN], "not the token itself", id="token-instead-of-variable-name"),
        pytest.param(["--org", "nope", "--token-env", "HUBSPOT_TOKEN"], "no organisation 'nope'", id="unknown-org"),
    ],
)
def test_configuration_errors_are_one_line_and_exit_2(run, database, args, expected):
    if "--org" not in args:
        args = ["--org", "demo", *args]
    line = one_line_error(run("crm", "sync", "hubspot", *args))
    assert expected in line
    row = sync_row(database)  # recorded for the demo organisation, never with the token
    assert row is None if "nope" in args else (row.status == "failed" and TOKEN not in row.error)


def test_the_next_sync_is_incremental_and_full_reads_everything(run, database):
    with FakeHubSpot() as base:
        sync = ["crm", "sync", "hubspot", "--org", "demo", "--token-env", "HUBSPOT_TOKEN", "--base-url", base]
        assert run(*sync).returncode == 0
        again = run(*sync)
        full = run(*sync, "--full", "--quiet")
    assert again.returncode == 0, again.stderr
    assert again.stderr.splitlines()[0].startswith("hubspot: reading contacts modified since ")
    assert " contacts modified since " in again.stdout and "0 created, 0 updated, 0 unchanged" in again.stdout
    assert full.returncode == 0 and full.stderr == ""
    assert full.stdout.startswith("hubspot: 6 contacts fetched in 3 pages for demo: 0 created, 0 updated, 5 unchanged")


def test_an_erased_address_stays_erased_through_syncs(run, database):
    # Before the first sync brings her in: not a contact yet.
    erased = run("contacts", "erase", "Anna.Schmidt@Mueller-Leuchten.de", "--org", "demo", "--force")
    assert erased.returncode == 0, erased.stderr
    assert erased.stdout.rstrip().endswith("CRM syncs and imports will skip it")
    with FakeHubSpot() as base:
        result = run("crm", "sync", "hubspot", "--org", "demo", "--token-env", "HUBSPOT_TOKEN", "--base-url", base)
    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip().endswith("2 skipped (1 erased at the person's request, 1 without email)")
    assert "anna.schmidt@mueller-leuchten.de" not in stored(database)
