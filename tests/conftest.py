"""Shared fixtures: a migrated SQLite database per test, apps built by the
factory, and a real HTTP server (werkzeug, 127.0.0.1, free port)."""
from __future__ import annotations

import json
import shutil
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from backend import create_app
from backend.auth import DEMO_ORG_SLUG
from backend.storage import Database, queries
from backend.storage.migrate import upgrade

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ORG_DOMAIN = "brightway-lighting.cn"


@pytest.fixture(scope="session")
def migrated_db_file(tmp_path_factory) -> Path:
    """Migrations run once; each test gets a copy of the result."""
    path = tmp_path_factory.mktemp("template") / "sendwise.db"
    database = Database(f"sqlite:///{path}")
    upgrade(database)
    database.dispose()
    return path


@pytest.fixture
def database_url(migrated_db_file, tmp_path) -> str:
    path = tmp_path / "sendwise.db"
    shutil.copy(migrated_db_file, path)
    return f"sqlite:///{path}"


@pytest.fixture
def database(database_url) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


@pytest.fixture
def demo_org(database) -> int:
    """A minimal organisation under the demo slug (the full demo data set
    needs the engine's fingerprints; see test_demo_seed)."""
    with database.session() as session:
        org = queries.upsert_org(session, DEMO_ORG_SLUG, name="Demo Lighting", domains=[ORG_DOMAIN],
                                 postal_address="1 Demo Road, Ningbo, China", default_locale="en", policy={})
        return org.id


@pytest.fixture
def make_app(database_url) -> Iterator:
    """Build apps on the test database; `make_app(DEMO_MODE=False)` etc."""
    apps: list[Flask] = []

    def factory(**config: Any) -> Flask:
        app = create_app({"DATABASE_URL": database_url, "DEMO_MODE": True, "TESTING": True, **config})
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
        "body": {"text": f"Dear {first},\n\nour new track lights are ready; may I send you the price list?\n\n"
                         "Best regards,\nTom Li\nBrightway Lighting", "html": None},
    }
