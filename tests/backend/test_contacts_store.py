"""backend/storage/contacts.py in-process: duplicates within one file, and
erasure of sent history kept in the 0002 schema (recipients as JSON), which
`erase` falls back to when backend.storage.sent is not installed."""
from __future__ import annotations

import sys
from datetime import datetime, timezone

from sqlalchemy import text

from backend.storage import Database, queries
from backend.storage import contacts as store
from backend.storage.migrate import upgrade


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


def test_erase_falls_back_to_json_recipients_without_the_sent_module(tmp_path, monkeypatch):
    database = Database(f"sqlite:///{tmp_path / 'v0002.db'}")
    try:
        upgrade(database, "0002")
        with database.session() as session:
            org = queries.upsert_org(session, "acme", name="Acme", domains=["acme.cn"], default_locale="en", policy={})
            other = queries.upsert_org(session, "other", name="Other", domains=["o.cn"], default_locale="en",
                                       policy={})
            insert = text("INSERT INTO sent_messages (org_id, sender, recipients, sent_at, message_id, fingerprint) "
                          "VALUES (:org, :sender, :recipients, :at, :mid, :fp)")
            at = datetime(2026, 11, 20, tzinfo=timezone.utc)
            for org_id, sender, recipients, mid in [
                (org.id, "tom@acme.cn", '["anna@mueller.de", "bob@x.com"]', "m1"),
                (org.id, "tom@acme.cn", '["bob@x.com"]', "m2"),
                (org.id, "tom@acme.cn", '["hanna@mueller.de.example"]', "m3"),  # contains it, is not it
                (org.id, "anna@mueller.de", '["tom@acme.cn"]', "m4"),     # she is the sender (a forwarded note)
                (other.id, "eve@o.cn", '["anna@mueller.de"]', "m5"),      # another organisation's history
            ]:
                session.execute(insert, {"org": org_id, "sender": sender, "recipients": recipients, "at": at,
                                         "mid": mid, "fp": b"\x01" * 64})
        monkeypatch.setitem(sys.modules, "backend.storage.sent", None)  # import fails: the 0002 world
        with database.session() as session:
            erased = store.erase(session, queries.org_by_slug(session, "acme"), "Anna@Mueller.de", "test")
        assert erased.sent_messages == 2
        with database.session() as session:
            left = session.execute(text("SELECT message_id FROM sent_messages ORDER BY message_id")).scalars().all()
        assert left == ["m2", "m3", "m5"]
    finally:
        database.dispose()
