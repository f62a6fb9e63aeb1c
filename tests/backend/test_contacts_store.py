"""backend/storage/contacts.py in-process: duplicates within one file, and
the erased list (keyed hashes, per organisation) with its migration."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import MetaData, func, inspect, select

from backend.storage import contacts as store
from backend.storage import queries
from backend.storage.migrate import alembic_config, upgrade
from backend.storage.models import Contact, ErasedAddress, ErasureKey
from tests.conftest import NOW


def test_repeated_emails_merge_in_file_order():
    rows = [
        {"email": "a@b.de", "name": "Anna", "stage": "prospect", "unsubscribed": True},
        {"email": "c@d.de", "name": "Carl", "stage": None, "unsubscribed": None},
        {"email": "a@b.de", "name": None, "stage": "sample", "unsubscribed": False},
    ]
    merged, repeats = store.merge_duplicates(rows)
    assert repeats == 1
    assert merged == [
        {"email": "a@b.de", "name": "Anna", "stage": "sample", "unsubscribed": True},
        {"email": "c@d.de", "name": "Carl", "stage": None, "unsubscribed": None},
    ]


def erase(database, slug: str, email: str) -> None:
    with database.session() as session:
        store.erase(session, queries.org_by_slug(session, slug), email, "test", NOW)


def test_the_erased_list_keeps_a_keyed_hash_per_organisation(database, make_tenant):
    make_tenant("acme")
    make_tenant("other")
    for slug in ("acme", "other"):
        erase(database, slug, "Anna@Mueller.de")
    with database.session() as session:
        acme, other = (queries.org_by_slug(session, s) for s in ("acme", "other"))
        keys = {org.id: session.get(ErasureKey, org.id).salt for org in (acme, other)}
        assert len(set(keys.values())) == 2 and all(len(k) == 32 for k in keys.values())
        rows = session.execute(select(ErasedAddress.org_id, ErasedAddress.address_hash)).all()
        assert sorted(rows) == sorted(
            (org_id, store.address_hash(key, "anna@mueller.de")) for org_id, key in keys.items()
        )
        assert rows[0][1] != rows[1][1], "the same address must not hash alike in two organisations"
        assert all(len(h) == 64 and "anna" not in h for _, h in rows)

        found = store.erased_on(session, acme, ["anna@mueller.de", " ANNA@mueller.DE", "hanna@mueller.de"])
        assert set(found) == {"anna@mueller.de", " ANNA@mueller.DE"}
        assert store.erased_on(session, acme, []) == {}


def test_erasing_again_keeps_one_entry_with_the_later_time(database, make_tenant):
    make_tenant("acme")
    erase(database, "acme", "anna@mueller.de")
    with database.session() as session:
        session.execute(ErasedAddress.__table__.update().values(erased_at=datetime(2026, 1, 1).astimezone()))
    erase(database, "acme", "anna@mueller.de")
    with database.session() as session:
        [at] = session.scalars(select(ErasedAddress.erased_at)).all()
        assert at > datetime(2026, 1, 1).astimezone() + timedelta(days=1)


def test_readmitting_takes_only_those_addresses_off_the_list(database, make_tenant):
    make_tenant("acme")
    make_tenant("other")
    for slug, email in (("acme", "anna@mueller.de"), ("acme", "bob@x.com"), ("other", "anna@mueller.de")):
        erase(database, slug, email)
    with database.session() as session:
        acme = queries.org_by_slug(session, "acme")
        assert store.readmit(session, acme, ["anna@mueller.de", "never@erased.de"]) == 1
        assert set(store.erased_on(session, acme, ["anna@mueller.de", "bob@x.com"])) == {"bob@x.com"}
        other = queries.org_by_slug(session, "other")
        assert set(store.erased_on(session, other, ["anna@mueller.de"])) == {"anna@mueller.de"}


def test_migration_0006_goes_down_and_up_keeping_the_data_around_it(database, make_tenant):
    from alembic import command

    org_id = make_tenant("acme").id
    with database.engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0006")
    with database.engine.begin() as conn:  # rows as of 0006, written without the models of later revisions
        tables = MetaData()
        tables.reflect(conn, only=["contacts", "erasure_keys", "erased_addresses"])
        conn.execute(tables.tables["contacts"].insert().values(org_id=org_id, email="bob@x.com", unsubscribed=False))
        conn.execute(tables.tables["erasure_keys"].insert().values(org_id=org_id, salt=b"k" * 32))
        conn.execute(
            tables.tables["erased_addresses"]
            .insert()
            .values(org_id=org_id, address_hash=store.address_hash(b"k" * 32, "anna@mueller.de"), erased_at=NOW)
        )
    with database.engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0005")
    with database.engine.begin() as conn:
        tables = inspect(conn).get_table_names()
        assert "erased_addresses" not in tables and "erasure_keys" not in tables
        assert "run_id" not in {c["name"] for c in inspect(conn).get_columns("crm_syncs")}
    upgrade(database)
    with database.session() as session:
        assert session.scalars(select(Contact.email)).all() == ["bob@x.com"]  # nothing else went
        assert session.scalar(select(func.count()).select_from(ErasedAddress)) == 0  # the list went with 0005
    erase(database, "acme", "anna@mueller.de")
    with database.session() as session:
        assert set(store.erased_on(session, queries.org_by_slug(session, "acme"), ["anna@mueller.de"]))
