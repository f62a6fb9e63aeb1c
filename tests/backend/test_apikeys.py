"""API keys: created by the CLI, used over HTTP, stored only as a hash."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from flask import g
from sqlalchemy import select

from backend import auth
from backend.storage import apikeys
from backend.storage.models import ApiKey, AuditEvent, Organisation
from tests.conftest import Http, serving


@pytest.fixture
def api(make_app):
    """A server that requires credentials (no demo mode)."""
    with serving(make_app(DEMO_MODE=False)) as base:
        yield Http(base)


def lookup(api: Http, headers: dict[str, str] | None = None):
    # Any contact address will do: 404 means "authenticated, not found".
    return api.get("/api/v1/contacts/nobody@example.com", headers=headers or {})


def assert_401(reply, reason: str) -> None:
    assert reply.status == 401, reply.body[:300]
    error = reply.json()["error"]
    assert error["code"] == "unauthorized"
    assert reason in error["message"]


def test_key_created_by_the_cli_works_over_http(sendwise_cli, api, database):
    created = sendwise_cli("org", "create", "acme", "--domain", "acme-export.cn")
    assert created.returncode == 0, created.stderr.decode()
    result = sendwise_cli("apikey", "create", "--org", "acme")
    assert result.returncode == 0, result.stderr.decode()
    key = result.stdout.decode()
    assert key.endswith("\n") and key.count("\n") == 1, "stdout must hold the key and nothing else"
    key = key.strip()
    assert key.startswith("sw_") and len(key) == 46 and key[3:].isalnum()

    assert lookup(api, {"Authorization": f"Bearer {key}"}).status == 404
    assert_401(lookup(api), "credentials required")

    with database.session() as session:
        row = session.scalar(select(ApiKey))
        assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
        assert row.prefix == key[:11]
        assert key not in (row.prefix, row.key_hash, row.label)
        assert row.last_used_at is not None and row.revoked_at is None
        actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert actions == ["org.create", "apikey.create"]


def test_each_key_is_new(make_tenant):
    keys = {make_tenant(f"org{i}").key for i in range(3)}
    assert len(keys) == 3


@pytest.mark.parametrize(
    "header, reason",
    [
        pytest.param("Bearer sw_" + "A" * 43, "unknown API key", id="unknown-key"),
        pytest.param("Bearer sw_", "unknown API key", id="prefix-only"),
        pytest.param(
            "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", "Microsoft sign-in is not configured", id="jwt"
        ),
        pytest.param("Bearer some-token", "unrecognised bearer token", id="not-a-key"),
        pytest.param("Basic dXNlcjpwdw==", "Bearer <token>", id="basic-auth"),
    ],
)
def test_wrong_credentials_are_401_with_a_reason(api, make_tenant, header, reason):
    make_tenant("acme")
    assert_401(lookup(api, {"Authorization": header}), reason)


def test_a_key_with_one_character_changed_is_refused(api, make_tenant):
    key = make_tenant("acme").key
    tampered = key[:-1] + ("a" if key[-1] != "a" else "b")
    assert lookup(api, {"Authorization": f"Bearer {key}"}).status == 404
    assert_401(lookup(api, {"Authorization": f"Bearer {tampered}"}), "unknown API key")


def test_revoked_key_is_refused(api, make_tenant, sendwise_cli):
    tenant = make_tenant("acme")
    other = make_tenant("acme2")
    assert lookup(api, tenant.auth).status == 404

    result = sendwise_cli("apikey", "revoke", tenant.key[:11], "--org", "acme")
    assert result.returncode == 0, result.stderr.decode()
    assert tenant.key[:11] in result.stdout.decode()

    assert_401(lookup(api, tenant.auth), "revoked")
    assert lookup(api, other.auth).status == 404, "revoking one key must not touch another"
    listed = sendwise_cli("apikey", "list", "--org", "acme").stdout.decode()
    assert "revoked" in listed and tenant.key[:11] in listed


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(("sw_",), id="too-short"),
        pytest.param(("sw_00000000",), id="no-such-key"),
    ],
)
def test_revoke_refuses_what_names_no_single_key(sendwise_cli, make_tenant, database, args):
    make_tenant("acme")
    result = sendwise_cli("apikey", "revoke", *args, "--org", "acme")
    assert result.returncode == 2
    assert result.stderr.decode().startswith("sendwise: error: ") and result.stderr.decode().count("\n") == 1
    with database.session() as session:
        assert session.scalar(select(ApiKey.revoked_at)) is None


def test_a_key_cannot_be_revoked_through_another_organisation(sendwise_cli, make_tenant, api):
    victim = make_tenant("victim")
    make_tenant("attacker")
    result = sendwise_cli("apikey", "revoke", victim.key[:11], "--org", "attacker")
    assert result.returncode == 2
    assert lookup(api, victim.auth).status == 404


def test_last_used_is_written_at_most_once_a_minute(database, make_tenant, clock):
    tenant = make_tenant("acme")
    with database.session() as session:
        key = session.scalar(select(ApiKey).where(ApiKey.org_id == tenant.id))
        now = clock.now()
        assert apikeys.touch(session, key, now) is True
        session.refresh(key)
        assert key.last_used_at == now
        assert apikeys.touch(session, key, now + timedelta(seconds=30)) is False
        assert apikeys.touch(session, key, now + timedelta(seconds=61)) is True
        session.refresh(key)
        assert key.last_used_at > now


def test_the_caller_is_resolved_once_per_request(make_app, make_tenant):
    tenant = make_tenant("acme")
    app = make_app(DEMO_MODE=False)
    with app.test_request_context("/api/v1/analyze", headers=tenant.auth):
        first = auth.current_caller()
        assert first is auth.current_caller()
        assert (first.org.slug, first.method) == ("acme", "api_key")
        assert first.actor == f"apikey:{tenant.key[:11]}"
        assert g.sendwise_caller is first


def test_keys_of_a_deleted_organisation_stop_working(api, make_tenant, database):
    tenant = make_tenant("acme")
    with database.session() as session:
        session.delete(session.get(Organisation, tenant.id))
    assert_401(lookup(api, tenant.auth), "unknown API key")
