"""`sendwise user create` in a subprocess: the password from stdin, stored
hashed; refusals with exit 2 and the reason."""

from __future__ import annotations

from sqlalchemy import select

from backend.storage import queries
from backend.storage.models import AuditEvent, User


def test_user_create_stores_a_hash_and_audits(sendwise_cli, database, make_tenant):
    make_tenant("acme")
    result = sendwise_cli(
        "user",
        "create",
        "--org",
        "acme",
        "--email",
        "Anna@Acme.cn",
        "--role",
        "viewer",
        "--password-stdin",
        stdin=b"a long enough password\n",
    )
    assert result.returncode == 0, result.stderr
    assert b"anna@acme.cn can sign in to 'acme' as viewer" in result.stdout
    with database.session() as session:
        user = session.scalar(select(User).where(User.email == "anna@acme.cn"))
        assert user.role == "viewer" and user.password_hash.startswith("scrypt$")
        assert b"a long enough password" not in user.password_hash.encode()
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "user.create"))
        assert event.detail == {"email": "anna@acme.cn", "role": "viewer"}


def test_a_short_password_or_an_address_of_another_org_is_refused(sendwise_cli, database, make_tenant):
    make_tenant("acme")
    make_tenant("other")
    short = sendwise_cli(
        "user",
        "create",
        "--org",
        "acme",
        "--email",
        "anna@acme.cn",
        "--role",
        "admin",
        "--password-stdin",
        stdin=b"short\n",
    )
    assert short.returncode == 2 and b"at least 10 characters" in short.stderr
    ok = sendwise_cli(
        "user",
        "create",
        "--org",
        "acme",
        "--email",
        "anna@acme.cn",
        "--role",
        "admin",
        "--password-stdin",
        stdin=b"a long enough password\n",
    )
    assert ok.returncode == 0, ok.stderr
    taken = sendwise_cli(
        "user",
        "create",
        "--org",
        "other",
        "--email",
        "anna@acme.cn",
        "--role",
        "admin",
        "--password-stdin",
        stdin=b"a long enough password\n",
    )
    assert taken.returncode == 2 and b"already signs in to another organisation" in taken.stderr
    with database.session() as session:
        assert queries.org_by_slug(session, "other") is not None
        assert (
            session.scalar(select(User.org_id).where(User.email == "anna@acme.cn"))
            != queries.org_by_slug(session, "other").id
        )
