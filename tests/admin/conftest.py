"""Fixtures of the admin page's tests: an app with a SECRET_KEY on the test
database, accounts, and a signed-in test client."""

from __future__ import annotations

import re
from typing import Any

import pytest

from backend.auth import DEMO_ORG_SLUG
from backend.storage import queries, users

ADMIN = "anna.admin@brightway-lighting.cn"
VIEWER = "victor.viewer@brightway-lighting.cn"
PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def admin_app(make_app, demo_org, database, clock, tmp_path):
    with database.session() as session:
        org = queries.org_by_slug(session, DEMO_ORG_SLUG)
        users.create(session, org, ADMIN, "admin", PASSWORD, clock.now())
        users.create(session, org, VIEWER, "viewer", PASSWORD, clock.now())
    return make_app(SECRET_KEY="test-secret", ADMIN_UPLOAD_DIR=str(tmp_path / "uploads"))


def csrf(response: Any) -> str:
    found = _CSRF.search(response.get_data(as_text=True))
    assert found, "the page has no CSRF field"
    return found.group(1)


def sign_in(client, email: str = ADMIN, password: str = PASSWORD):
    token = csrf(client.get("/admin/sign-in"))
    return client.post("/admin/sign-in", data={"email": email, "password": password, "csrf_token": token})


@pytest.fixture
def admin_client(admin_app):
    client = admin_app.test_client()
    assert sign_in(client).status_code == 302
    return client


@pytest.fixture
def viewer_client(admin_app):
    client = admin_app.test_client()
    assert sign_in(client, VIEWER).status_code == 302
    return client
