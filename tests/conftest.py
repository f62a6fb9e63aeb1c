"""Shared fixtures: a migrated database per test (SQLite, and PostgreSQL when
SENDWISE_TEST_POSTGRES_URL names a server: see scripts/pg-test-env), apps
built by the factory with a pinned clock, and a real HTTP server (werkzeug,
127.0.0.1, free port)."""

from __future__ import annotations

import json
import os
import shutil
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool
from werkzeug.serving import make_server

from backend import create_app
from backend.auth import DEMO_ORG_SLUG
from backend.clock import FixedClock
from backend.storage import Database, queries
from backend.storage.migrate import upgrade

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ORG_DOMAIN = "brightway-lighting.cn"
# What the apps of in-process tests take for "now" (the `clock` fixture).
# Subprocess tests run on the real clock and use relative times.
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
# A PostgreSQL URL (any database on the server; the role needs CREATEDB).
POSTGRES_ENV = "SENDWISE_TEST_POSTGRES_URL"
POSTGRES_SKIP = f"{POSTGRES_ENV} is not set, so PostgreSQL is not tested (run `make test-pg`)"


@pytest.fixture(scope="session")
def migrated_db_file(tmp_path_factory) -> Path:
    """Migrations run once; each test gets a copy of the result."""
    path = tmp_path_factory.mktemp("template") / "sendwise.db"
    database = Database(f"sqlite:///{path}")
    upgrade(database)
    database.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[PostgresTemplate]:
    """A migrated PostgreSQL database that each test clones (CREATE DATABASE
    ... TEMPLATE), on the server named by SENDWISE_TEST_POSTGRES_URL."""
    admin_url = os.environ.get(POSTGRES_ENV)
    if not admin_url:
        pytest.skip(POSTGRES_SKIP)
    template = PostgresTemplate(admin_url)
    try:
        yield template
    finally:
        template.close()


def pytest_report_header(config) -> str:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        return f"databases: SQLite only ({POSTGRES_SKIP})"
    return f"databases: SQLite and PostgreSQL ({make_url(url).render_as_string(hide_password=True)})"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    # Report every "PostgreSQL not configured" skip at one place, so the
    # summary shows one line with a count instead of one line per test.
    outcome = yield
    report = outcome.get_result()
    if report.skipped and isinstance(report.longrepr, tuple) and POSTGRES_SKIP in str(report.longrepr[2]):
        report.longrepr = ("tests/conftest.py", 0, report.longrepr[2])


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, migrated_db_file, tmp_path) -> Iterator[str]:
    """A freshly migrated, empty database for this test, on SQLite and on
    PostgreSQL (skipped only when SENDWISE_TEST_POSTGRES_URL is unset)."""
    if request.param == "sqlite":
        path = tmp_path / "sendwise.db"
        shutil.copy(migrated_db_file, path)
        yield f"sqlite:///{path}"
        return
    yield from _postgres_database(request, migrated=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request, tmp_path) -> Iterator[str]:
    """A database nobody has migrated yet, on SQLite and PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    yield from _postgres_database(request, migrated=False)


def _postgres_database(request, *, migrated: bool) -> Iterator[str]:
    """The URL of a new database on the test server (a clone of the migrated
    template, or empty), dropped afterwards."""
    template = request.getfixturevalue("postgres_template")
    name = template.clone() if migrated else template.empty()
    try:
        yield template.url_for(name)
    finally:
        template.drop(name)


class PostgresTemplate:
    """Databases for tests on one PostgreSQL server: one migrated template,
    cloned per test and dropped afterwards (WITH (FORCE) ends connections a
    test left open, e.g. a server thread's pool).

    A clone takes about a quarter of a second, so the next one is made in a
    background thread while the current test runs."""

    def __init__(self, admin_url: str):
        self.admin_url = make_url(admin_url)
        self.admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        self.prefix = f"sw_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.template = f"{self.prefix}_template"
        self.count = 0
        self._execute(f'CREATE DATABASE "{self.template}"')
        database = Database(self.url_for(self.template))
        try:
            upgrade(database)
        finally:
            database.dispose()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-clone")
        self._next: Future[str] = self._worker.submit(self._create)

    def url_for(self, name: str) -> str:
        return self.admin_url.set(database=name).render_as_string(hide_password=False)

    def clone(self) -> str:
        name = self._next.result()
        self._next = self._worker.submit(self._create)
        return name

    def _create(self) -> str:
        self.count += 1  # only the worker thread counts
        name = f"{self.prefix}_{self.count}"
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return name

    def empty(self) -> str:
        """A new database without any schema (drop it like a clone)."""
        name = f"{self.prefix}_empty_{uuid.uuid4().hex[:8]}"
        self._execute(f'CREATE DATABASE "{name}"')
        return name

    def drop(self, name: str) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        try:
            self.drop(self._next.result())
            self._worker.shutdown()
            self.drop(self.template)
        finally:
            self.admin.dispose()

    def _execute(self, sql: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(sql))


@pytest.fixture
def clock() -> FixedClock:
    """The clock of every app `make_app` builds, standing at `NOW` until a
    test moves it: dates in tests never depend on the day they run."""
    return FixedClock(NOW)


@pytest.fixture
def database(database_url) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


@pytest.fixture
def demo_org(database, clock) -> int:
    """A minimal organisation under the demo slug (the full demo data set
    needs the engine's fingerprints; see test_demo_seed)."""
    with database.session() as session:
        org = queries.upsert_org(
            session,
            DEMO_ORG_SLUG,
            clock.now(),
            name="Demo Lighting",
            domains=[ORG_DOMAIN],
            postal_address="1 Demo Road, Ningbo, China",
            default_locale="en",
            policy={},
        )
        return org.id


@pytest.fixture
def make_app(database_url, clock) -> Iterator:
    """Build apps on the test database, on the test's `clock`; `make_app(DEMO_MODE=False)` etc."""
    apps: list[Flask] = []

    def factory(**config: Any) -> Flask:
        app = create_app({"DATABASE_URL": database_url, "DEMO_MODE": True, "TESTING": True, "CLOCK": clock, **config})
        apps.append(app)
        return app

    yield factory
    for app in apps:
        app.extensions["sendwise.db"].dispose()


@pytest.fixture
def app(make_app, demo_org) -> Flask:
    return make_app()


@pytest.fixture
def client(app):
    """Flask's in-process client, for what real HTTP cannot fake (peer address)."""
    return app.test_client()


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # A short poll interval keeps shutdown (once per test) fast.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


@dataclass
class Reply:
    status: int
    headers: Any
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Http:
    """Tiny urllib client that returns error replies instead of raising."""

    def __init__(self, base: str):
        self.base = base

    def request(self, method: str, path: str, data: Any = None, headers: dict[str, str] | None = None) -> Reply:
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return Reply(resp.status, resp.headers, resp.read())
        except urllib.error.HTTPError as err:
            with err:
                return Reply(err.code, err.headers, err.read())

    def get(self, path: str, **kw) -> Reply:
        return self.request("GET", path, **kw)

    def post_json(self, path: str, payload: Any, headers: dict[str, str] | None = None) -> Reply:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        return self.request("POST", path, body, {"Content-Type": "application/json", **(headers or {})})


@pytest.fixture
def http(app) -> Iterator[Http]:
    with serving(app) as base:
        yield Http(base)


def internal_draft() -> dict[str, Any]:
    """A colleague-to-colleague note: per the contract, verdict ok and no findings."""
    return {
        "from": {"name": "Tom Li", "email": f"tom.li@{ORG_DOMAIN}"},
        "to": [{"name": "Lucy Wang", "email": f"lucy.wang@{ORG_DOMAIN}"}],
        "subject": "Sample room schedule",
        "body": {"text": "Hi Lucy,\n\nthe sample room is free on Thursday afternoon.\n\nTom", "html": None},
    }


def draft_to(email: str, name: str = "Marco Rossi") -> dict[str, Any]:
    """A short follow-up from the demo sender to one external address."""
    first = name.split()[0]
    return {
        "from": {"name": "Tom Li", "email": f"tom.li@{ORG_DOMAIN}"},
        "to": [{"name": name, "email": email}],
        "subject": "Track lights for your spring catalogue",
        "body": {
            "text": f"Dear {first},\n\nour new track lights are ready; may I send you the price list?\n\n"
            "Best regards,\nTom Li\nBrightway Lighting",
            "html": None,
        },
    }


# --- organisations, keys and the CLI on the test database ----------------


@dataclass
class Tenant:
    """An organisation with an API key, for tests that call the API as it."""

    id: int
    slug: str
    domain: str
    key: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def draft_to(self, email: str, name: str = "Marco Rossi", body: str | None = None) -> dict[str, Any]:
        """A short pitch from this organisation's salesperson to `email`."""
        first = name.split()[0]
        text = body or "our new track lights are ready; may I send you the price list?"
        return {
            "from": {"name": "Tom Li", "email": f"tom.li@{self.domain}"},
            "to": [{"name": name, "email": email}],
            "subject": "Track lights for your spring catalogue",
            "body": {"text": f"Dear {first},\n\n{text}\n\nBest regards,\nTom Li", "html": None},
        }


@pytest.fixture
def make_tenant(database, clock) -> Any:
    """`make_tenant("acme")`: an organisation (domain acme.example.cn) and a
    fresh API key for it, written straight to the test database."""
    from backend.storage import apikeys

    def make(slug: str, **fields: Any) -> Tenant:
        domain = f"{slug}.example.cn"
        with database.session() as session:
            org = queries.upsert_org(
                session,
                slug,
                clock.now(),
                **{"name": slug.title(), "domains": [domain], "default_locale": "en", "policy": {}, **fields},
            )
            _, key = apikeys.create(session, org, clock.now())
            return Tenant(org.id, slug, domain, key)

    return make


@contextmanager
def serve_subprocess(env: dict[str, str], log: Path, *args: str) -> Iterator[Http]:
    """`sendwise serve` in its own process on a free loopback port, with
    `env` (DATABASE_URL, ...): yields an Http client for it once
    /api/v1/health answers, and stops it afterwards. Its output goes to
    `log`."""
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "backend.cli", "serve", "--port", str(port), *args],
            cwd=PROJECT_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
        )
    try:
        http = Http(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 60
        while True:
            try:
                http.get("/api/v1/health")
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        yield http
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture
def sendwise_cli(database_url) -> Any:
    """`sendwise_cli("contacts", "export", "--org", "acme")`: the real
    command in a subprocess, on this test's database."""
    import subprocess
    import sys

    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONIOENCODING": "utf-8"}

    def run(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "backend.cli", *args],
            input=stdin,
            capture_output=True,
            cwd=PROJECT_ROOT,
            env=env,
            timeout=120,
        )

    return run


def drain(leader: int) -> bytes:
    """Everything written to a pseudo-terminal whose other end has been closed."""
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the other end is closed
            break
        if not chunk:
            break
        shown += chunk
    return shown


# Debian's Chromium, driven by Playwright (no browser download), for the
# Outlook task pane's and the admin page's browser tests.
CHROMIUM = os.environ.get("SENDWISE_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="module")
def browser() -> Iterator:
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium (CI does this in .ci/run)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield chromium
        chromium.close()
