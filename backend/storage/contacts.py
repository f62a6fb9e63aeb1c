"""The CRM store in bulk: importing many contacts at once, exporting them,
and erasing one person (GDPR). Single-contact reads are in queries.py.

Imports are written with one `INSERT … ON CONFLICT (org_id, email) DO
UPDATE` statement per chunk, executed for many rows at once (SQLite and
PostgreSQL both have it; SQLAlchemy's dialect `insert()` builds it), never
one ORM object per row: 100,000 rows take seconds, not minutes.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session, selectinload

from backend.storage.models import AuditEvent, Contact, Interaction, Organisation, company_key

CHUNK = 2000
# Stored as given: everything the import can set except the key.
UPSERT_FIELDS = ("name", "company", "company_key", "country", "kind", "role", "industry", "stage",
                 "consent_status", "consent_source", "consent_date")


@dataclass(frozen=True)
class UpsertCounts:
    created: int
    updated: int


def merge_duplicates(rows: Iterable[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """One row per email, later rows filling in or overriding earlier ones
    (as if applied in order). Returns (rows, how many rows were merged
    into an earlier one)."""
    merged: dict[str, dict[str, Any]] = {}
    repeats = 0
    for row in rows:
        earlier = merged.get(row["email"])
        if earlier is None:
            merged[row["email"]] = dict(row)
            continue
        repeats += 1
        for key, value in row.items():
            if key == "unsubscribed":
                earlier[key] = bool(earlier.get(key)) or bool(value)
            elif value is not None:
                earlier[key] = value
    return list(merged.values()), repeats


def bulk_upsert(
    session: Session,
    org: Organisation,
    rows: list[dict[str, Any]],
    progress: Callable[[int], None] | None = None,
) -> UpsertCounts:
    """Create or update the organisation's contacts from `rows` (one per
    email, lower-case; see merge_duplicates).

    Update rules: a None value keeps what is stored (an empty cell never
    erases data), and `unsubscribed` only ever goes from false to true —
    an import cannot re-subscribe someone who opted out.
    """
    table = Contact.__table__
    insert = _dialect_insert(session)
    stmt = insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.org_id, table.c.email],
        set_={
            **{name: func.coalesce(getattr(stmt.excluded, name), table.c[name]) for name in UPSERT_FIELDS},
            "unsubscribed": or_(table.c.unsubscribed, stmt.excluded.unsubscribed),
        },
    )
    # Each (unique) row inserts or updates exactly one contact, so the growth
    # of the organisation's count is the number created. (Asking per chunk
    # which emails exist costs more than the upsert itself: while a big
    # import fills an empty table, PostgreSQL's statistics still say "tiny"
    # and it scans.) A concurrent import into the same organisation would
    # shift the split between created and updated, never the data.
    before = count(session, org)
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        params = [
            {"org_id": org.id, "email": r["email"], **{n: r.get(n) for n in UPSERT_FIELDS},
             "company_key": company_key(r.get("company")), "unsubscribed": bool(r.get("unsubscribed"))}
            for r in chunk
        ]
        session.execute(stmt, params)
        if progress:
            progress(len(chunk))
    created = count(session, org) - before
    return UpsertCounts(created=created, updated=len(rows) - created)


def count(session: Session, org: Organisation) -> int:
    return session.scalar(select(func.count()).select_from(Contact).where(Contact.org_id == org.id)) or 0


def _dialect_insert(session: Session):
    name = session.get_bind().dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        raise RuntimeError(f"bulk contact import supports SQLite and PostgreSQL, not {name}")
    return insert


def iter_contacts(session: Session, org: Organisation, *, with_interactions: bool = False) -> Iterator[Contact]:
    """The organisation's contacts by email, streamed in batches."""
    stmt = select(Contact).where(Contact.org_id == org.id).order_by(Contact.email)
    if with_interactions:
        stmt = stmt.options(selectinload(Contact.interactions))
    yield from session.scalars(stmt.execution_options(yield_per=1000))


@dataclass(frozen=True)
class Erased:
    contacts: int
    interactions: int
    sent_messages: int


def erase(session: Session, org: Organisation, email: str, actor: str) -> Erased:
    """GDPR erasure of one address in one organisation: the contact, its
    interactions, and every stored sent message (fingerprint, recipients)
    that names the address; then an audit event.

    The audit event records a sha256 of the address and the counts, not the
    address itself, so the log proves the erasure without undoing it.
    """
    email = email.strip().lower()
    contact_ids = select(Contact.id).where(Contact.org_id == org.id, Contact.email == email)
    interactions = session.execute(delete(Interaction).where(Interaction.contact_id.in_(contact_ids))).rowcount
    contacts = session.execute(delete(Contact).where(Contact.org_id == org.id, Contact.email == email)).rowcount
    sent_messages = _erase_sent(session, org, email)
    erased = Erased(contacts=contacts or 0, interactions=interactions or 0, sent_messages=sent_messages)
    audit(session, org, actor, "contact.erase", {
        "email_sha256": hashlib.sha256(email.encode("utf-8")).hexdigest(),
        "contacts": erased.contacts, "interactions": erased.interactions, "sent_messages": erased.sent_messages,
    })
    session.flush()
    return erased


def _erase_sent(session: Session, org: Organisation, email: str) -> int:
    try:
        from backend.storage.sent import erase_address
    except ImportError:  # sent history kept as a JSON list of recipients (schema 0002)
        return _erase_sent_json(session, org, email)
    return erase_address(session, org, email)


def _erase_sent_json(session: Session, org: Organisation, email: str) -> int:
    """Delete the organisation's sent_messages rows whose `recipients` JSON
    list or sender names `email`. LIKE narrows the candidates in SQL; the
    decoded list decides."""
    from sqlalchemy import JSON, BigInteger, String, cast, column, table

    sent = table("sent_messages", column("id", BigInteger), column("org_id"), column("sender", String),
                 column("recipients", JSON))
    candidates = session.execute(
        select(sent.c.id, sent.c.sender, sent.c.recipients).where(
            sent.c.org_id == org.id,
            or_(sent.c.sender == email, cast(sent.c.recipients, String).contains(email, autoescape=True)),
        )
    )
    ids = [row.id for row in candidates
           if row.sender == email or email in [str(r).lower() for r in (row.recipients or [])]]
    for start in range(0, len(ids), 500):
        session.execute(delete(sent).where(sent.c.id.in_(ids[start:start + 500])))
    return len(ids)


def audit(session: Session, org: Organisation, actor: str, action: str, detail: dict[str, Any]) -> AuditEvent:
    event = AuditEvent(org_id=org.id, actor=actor, action=action, detail=detail)
    session.add(event)
    session.flush()
    return event
