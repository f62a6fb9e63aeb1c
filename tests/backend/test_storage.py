"""Schema, migrations, types and the demo seed."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, inspect, select

from backend import demo
from backend.storage import Database, open_database, overrides, queries, sent
from backend.storage.errors import DatabaseUnavailable, InvalidValue, StorageError
from backend.storage.migrate import current_revision, upgrade
from backend.storage.models import Base, Contact, Organisation, SentMessage, User
from tests.conftest import NOW


def test_migrations_build_exactly_the_models(database):
    upgrade(database)  # second run is a no-op
    assert current_revision(database) is not None
    with database.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def test_migrations_run_on_an_empty_database(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'nested' / 'fresh.db'}")
    try:
        upgrade(database)
        tables = set(inspect(database.engine).get_table_names())
    finally:
        database.dispose()
    assert {"organisations", "users", "contacts", "interactions", "sent_messages", "audit_events"} <= tables


def test_open_database_raises_its_own_error_with_one_line_reasons(tmp_path):
    with pytest.raises(DatabaseUnavailable, match=r"^cannot open database: "), open_database("nosuchdriver://nowhere"):
        pass
    not_migrated = r"^database error: no such table: .*\(run `sendwise db upgrade`\)$"
    with (
        pytest.raises(DatabaseUnavailable, match=not_migrated),
        open_database(f"sqlite:///{tmp_path / 'empty.db'}") as database,
        database.session() as session,
    ):
        queries.org_by_slug(session, "acme")


def test_going_down_and_up_every_migration_since_0003_keeps_every_row(database, demo_org):
    """On SQLite a migration that copies a table (Alembic batch mode) would
    cascade-delete the rows that reference it: none may."""
    from alembic import command

    from backend.storage.migrate import alembic_config

    with database.session() as session:
        org = session.get(Organisation, demo_org)
        queries.upsert_user(session, org, "tom.li@brightway-lighting.cn")
        queries.upsert_contact(
            session,
            org,
            "anna@mueller.de",
            name="Anna",
            company="Müller GmbH",
            interactions=[{"date": datetime(2026, 11, 2).date(), "direction": "in"}],
        )
        sent.record(
            session,
            org,
            sender="tom.li@brightway-lighting.cn",
            recipients=["anna@mueller.de"],
            sent_at=datetime(2026, 11, 20, tzinfo=UTC),
            fingerprint=b"\x01" * 64,
        )
    tables = ("organisations", "users", "contacts", "interactions", "sent_messages")

    def counts() -> dict[str, int]:
        with database.engine.connect() as conn:
            return {t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar() for t in tables}

    before = counts()
    assert all(before.values())
    with database.engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0003")
    assert counts() == before
    upgrade(database)
    assert counts() == before


def test_sent_messages_never_store_text(database):
    columns = {c["name"] for c in inspect(database.engine).get_columns("sent_messages")}
    # codes: finding codes only (tests/backend/test_sent.py checks what lands there)
    assert columns == {"id", "org_id", "sender", "sent_at", "message_id", "fingerprint", "codes"}


def test_timestamps_come_back_timezone_aware(database, demo_org):
    beijing = timezone(timedelta(hours=8))
    with database.session() as session:
        org = session.get(Organisation, demo_org)
        sent.record(
            session,
            org,
            sender="a@b.cn",
            recipients=["c@d.de"],
            sent_at=datetime(2026, 11, 27, 9, 0, tzinfo=beijing),
            fingerprint=b"\x01" * 64,
        )
    with database.session() as session:
        sent_at = session.scalar(select(SentMessage.sent_at))
    assert sent_at == datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
    assert sent_at.tzinfo is not None


def test_naive_timestamps_are_refused(database, demo_org):
    with pytest.raises(Exception, match="naive datetime"), database.session() as session:
        org = session.get(Organisation, demo_org)
        sent.record(
            session,
            org,
            sender="a@b.cn",
            recipients=["c@d.de"],
            sent_at=datetime(2026, 11, 27, 9, 0),
            fingerprint=b"\x01" * 64,
        )


def test_deleting_an_organisation_cascades(database, demo_org):
    with database.session() as session:
        org = session.get(Organisation, demo_org)
        queries.upsert_contact(
            session,
            org,
            "x@y.de",
            interactions=[dict(date=datetime(2026, 1, 1).date(), direction="in", subject="Hi", summary=None)],
        )
    with database.session() as session:
        session.delete(session.get(Organisation, demo_org))
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Contact)) == 0


def test_demo_seed_is_idempotent_and_realistic(database):
    now = NOW
    for _ in range(2):
        with database.session() as session:
            demo.seed(session, now)

    with database.session() as session:
        org = queries.org_by_slug(session, "demo")
        assert org.name == "Ningbo Brightway Lighting Co., Ltd."
        assert org.domains == ["brightway-lighting.cn"] and "Ningbo" in org.postal_address
        contacts = session.scalars(select(Contact).where(Contact.org_id == org.id)).all()
        users = session.scalars(select(User).where(User.org_id == org.id)).all()
        history = sent.history(session, org, now - timedelta(days=14))

        assert session.scalar(select(func.count()).select_from(Organisation)) == 1
        assert len(users) == 3
        assert 7 <= len(contacts) <= 10
        assert {"DE", "NL", "FR", "GB", "US", "CA", "IT"} <= {c.country for c in contacts}
        assert [c.email for c in contacts if c.unsubscribed] == ["m.rossi@rossi-illuminazione.it"]
        assert all(c.consent_status for c in contacts)

        # The cold template: same fingerprint to >= 5 external prospects by 2 colleagues.
        by_fp = Counter(s.fingerprint for s in history)
        template_fp, count = by_fp.most_common(1)[0]
        reused = [s for s in history if s.fingerprint == template_fp]
        assert count >= 5 and len({r for s in reused for r in s.addresses}) >= 5
        assert len({s.sender for s in reused}) == 2
        assert not any(r.endswith("@brightway-lighting.cn") for s in reused for r in s.addresses)


def test_padded_lists_round_up_to_a_power_of_two_with_the_last_value():
    from backend.storage.statements import padded

    assert padded(["a"], "k") == (8, {f"k{i}": "a" for i in range(8)})
    size, params = padded(list(range(9)), "i")
    assert size == 16 and [params[f"i{j}"] for j in range(16)] == list(range(9)) + [8] * 7


def test_fetch_applies_column_and_parameter_types_like_the_orm(database, demo_org):
    from sqlalchemy import bindparam

    from backend.storage.statements import fetch, in_list, padded

    beijing = timezone(timedelta(hours=8))
    with database.session() as session:
        org = session.get(Organisation, demo_org)
        for hour in (8, 9, 10):
            sent.record(
                session,
                org,
                sender="a@b.cn",
                recipients=["c@d.de"],
                sent_at=datetime(2026, 11, 27, hour, tzinfo=beijing),
                fingerprint=bytes([hour]) * 64,
            )
    statement = (
        select(SentMessage.sent_at, SentMessage.fingerprint, SentMessage.sender)
        .where(
            SentMessage.sent_at >= bindparam("since", type_=SentMessage.sent_at.type),
            in_list(SentMessage.sender, 8, "s"),
        )
        .order_by(SentMessage.sent_at)
    )
    with database.session() as session:
        orm = session.execute(
            statement, {"since": datetime(2026, 11, 27, 1, 0, tzinfo=UTC), **padded(["a@b.cn"], "s")[1]}
        ).all()
        raw = fetch(
            session,
            statement,
            {"since": datetime(2026, 11, 27, 1, 0, tzinfo=UTC), **padded(["a@b.cn"], "s")[1]},
        )
    assert raw == [tuple(row) for row in orm]
    assert [r[0] for r in raw] == [datetime(2026, 11, 27, h, tzinfo=UTC) for h in (1, 2)]
    assert raw[0][1] == bytes([9]) * 64 and isinstance(raw[0][1], bytes)


@pytest.fixture
def open_umask():
    """The umask of many desktop accounts (0002 on Debian-style user groups
    is also common): files 0644, directories 0755, unless the code asks."""
    import os

    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_sqlite_file_and_directory_are_private(tmp_path, open_umask):
    path = tmp_path / "instance" / "sendwise.db"
    database = Database(f"sqlite:///{path}")
    try:
        upgrade(database)
    finally:
        database.dispose()
    # Contacts and API key hashes are in it: no other account may read it.
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700


def test_an_existing_readable_sqlite_file_is_made_private(tmp_path, open_umask):
    path = tmp_path / "sendwise.db"
    path.touch(mode=0o644)
    path.chmod(0o644)
    Database(f"sqlite:///{path}").dispose()
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_directory_anyone_can_write_to_is_refused(tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o777)  # anyone could swap the database for their own
    with pytest.raises(InvalidValue, match="writable by other users"):
        Database(f"sqlite:///{folder / 'sendwise.db'}")
    assert not (folder / "sendwise.db").exists()


def test_storage_refuses_values_with_its_own_error_which_the_api_answers_with_400(database, demo_org, make_app):
    with database.session() as session:
        org = session.get(Organisation, demo_org)
        with pytest.raises(InvalidValue, match="reason is longer than 500 characters"):
            overrides.record(session, org, at=NOW, actor="test", code="mass.bulk_bcc", reason="x" * 501)
    assert issubclass(InvalidValue, ValueError) and issubclass(InvalidValue, StorageError)

    app = make_app()

    @app.get("/refused")
    def refused():
        raise InvalidValue("reason is longer than 500 characters")

    response = app.test_client().get("/refused")
    assert response.status_code == 400
    assert response.get_json() == {
        "error": {"code": "invalid_request", "message": "reason is longer than 500 characters"}
    }
