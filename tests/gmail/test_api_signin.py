"""Google ID tokens on the API, checked as the Gmail add-on checks its
user's token, and mapped to an organisation the same way (the email's
domain); the user is created on first use, by the API and the add-on alike."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from backend.storage.models import User
from tests.conftest import ORG_DOMAIN, Http, serving
from tests.gmail.conftest import CLIENT_ID, USER, claims, compose_event


@pytest.fixture
def api(gmail_app) -> Iterator[Http]:
    with serving(gmail_app) as base:
        yield Http(base)


def call(api: Http, token: str):
    return api.get("/api/v1/contacts/nobody@example.com", headers={"Authorization": f"Bearer {token}"})


def emails(database) -> list[tuple[str, str]]:
    with database.session() as session:
        return sorted(tuple(r) for r in session.execute(select(User.email, User.role)))


def test_a_google_user_of_a_known_domain_is_signed_in_as_a_member(api, google_key, database):
    assert call(api, google_key.sign(claims(USER, CLIENT_ID))).status == 404
    assert emails(database) == [(USER, "member")]


def test_a_google_user_of_an_unknown_domain_is_403_with_the_reason(api, google_key, database):
    reply = call(api, google_key.sign(claims("ana@elsewhere.example", CLIENT_ID)))
    assert reply.status == 403
    error = reply.json()["error"]
    assert error["code"] == "not_set_up"
    assert "sendwise is not set up for your organisation (domain elsewhere.example)" in error["message"]
    assert emails(database) == []


@pytest.mark.parametrize(
    "overrides, reason",
    [({"aud": "someone-else"}, "audience"), ({"email_verified": False}, "not verified"), ({"exp": 1}, "expired")],
)
def test_invalid_google_tokens_are_401(api, google_key, overrides, reason):
    reply = call(api, google_key.sign(claims(USER, CLIENT_ID, **overrides)))
    assert reply.status == 401 and reason in reply.json()["error"]["message"]


def test_the_gmail_add_on_creates_its_user_as_a_member_too(google, database):
    reply = google.post("/gmail/homepage", compose_event())
    assert reply.status_code == 200, reply.data[:300]
    assert emails(database) == [(USER, "member")]
    assert ORG_DOMAIN in USER
