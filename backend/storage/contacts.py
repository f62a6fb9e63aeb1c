"""The CRM store in bulk: importing many contacts at once, exporting them,
erasing one person (GDPR) and keeping them erased. Single-contact reads are
in queries.py.

Imports are written with one `INSERT … ON CONFLICT (org_id, email) DO
UPDATE` statement per chunk, executed for many rows at once (SQLite and
PostgreSQL both have it; SQLAlchemy's dialect `insert()` builds it), never
one ORM object per row: 100,000 rows take seconds, not minutes.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, overload

from sqlalchemy import Table, delete, func, or_, select
from sqlalchemy.orm import Session, selectinload

from backend.storage.models import (
    AuditEvent,
    Contact,
    ErasedAddress,
    ErasureKey,
    Interaction,
    Organisation,
    company_key,
)
from backend.storage.sent import erase_address
from backend.storage.statements import rowcount

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql, sqlite

CHUNK = 2000
# Stored as given: everything the import can set except the key.
UPSERT_FIELDS = (
    "name",
    "company",
    "company_key",
    "country",
    "kind",
    "role",
    "industry",
    "stage",
    "consent_status",
    "consent_source",
    "consent_date",
)


@dataclass(frozen=True)
class UpsertCounts:
    """How many contacts an import created and updated."""

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
    insert = dialect_insert(session)
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
        chunk = rows[start : start + CHUNK]
        params = [
            {
                "org_id": org.id,
                "email": r["email"],
                **{n: r.get(n) for n in UPSERT_FIELDS},
                "company_key": company_key(r.get("company")),
                "unsubscribed": bool(r.get("unsubscribed")),
            }
            for r in chunk
        ]
        session.execute(stmt, params)
        if progress:
            progress(len(chunk))
    created = count(session, org) - before
    return UpsertCounts(created=created, updated=len(rows) - created)


def count(session: Session, org: Organisation) -> int:
    """How many contacts the organisation has."""
    return session.scalar(select(func.count()).select_from(Contact).where(Contact.org_id == org.id)) or 0


def dialect_insert(session: Session) -> Callable[[Table], postgresql.Insert | sqlite.Insert]:
    """`insert()` of the session's dialect, which has `on_conflict_do_…`."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert
    if name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert
    raise RuntimeError(f"sendwise stores data in SQLite or PostgreSQL, not {name}")


def iter_contacts(session: Session, org: Organisation, *, with_interactions: bool = False) -> Iterator[Contact]:
    """The organisation's contacts by email, streamed in batches."""
    stmt = select(Contact).where(Contact.org_id == org.id).order_by(Contact.email)
    if with_interactions:
        stmt = stmt.options(selectinload(Contact.interactions))
    yield from session.scalars(stmt.execution_options(yield_per=1000))


@dataclass(frozen=True)
class Erased:
    """What an erasure deleted."""

    contacts: int
    interactions: int
    sent_messages: int


def erase(session: Session, org: Organisation, email: str, actor: str, now: datetime) -> Erased:
    """GDPR erasure of one address in one organisation: the contact, its
    interactions, and every stored sent message (fingerprint, recipients)
    that names the address; then the address goes on the organisation's
    erased list, so that CRM syncs and imports do not bring it back, and an
    audit event records the erasure.

    The list and the audit event hold a keyed hash of the address
    (`address_hash`) and the counts, not the address itself, so they prove
    and enforce the erasure without undoing it.
    """
    email = email.strip().lower()
    contact_ids = select(Contact.id).where(Contact.org_id == org.id, Contact.email == email)
    interactions = rowcount(session.execute(delete(Interaction).where(Interaction.contact_id.in_(contact_ids))))
    contacts = rowcount(session.execute(delete(Contact).where(Contact.org_id == org.id, Contact.email == email)))
    sent_messages = erase_address(session, org, email)
    hashed = address_hash(_erasure_key(session, org, create=True), email)
    table = ErasedAddress.__table__
    stmt = dialect_insert(session)(table).values(org_id=org.id, address_hash=hashed, erased_at=now)
    # Erased again: the later date is the one to quote.
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=[table.c.org_id, table.c.address_hash], set_={"erased_at": stmt.excluded.erased_at}
        )
    )
    erased = Erased(contacts=contacts or 0, interactions=interactions or 0, sent_messages=sent_messages)
    audit(
        session,
        org,
        actor,
        now,
        "contact.erase",
        {
            "address_hash": hashed,
            "contacts": erased.contacts,
            "interactions": erased.interactions,
            "sent_messages": erased.sent_messages,
        },
    )
    session.flush()
    return erased


def address_hash(key: bytes, email: str) -> str:
    """The hash an erased address is known by: HMAC-SHA256 of the lower-cased
    address under the organisation's key (ErasureKey), in hex."""
    return hmac.new(key, email.strip().lower().encode("utf-8"), hashlib.sha256).hexdigest()


@overload
def _erasure_key(session: Session, org: Organisation, *, create: Literal[True]) -> bytes: ...
@overload
def _erasure_key(session: Session, org: Organisation, *, create: bool = False) -> bytes | None: ...
def _erasure_key(session: Session, org: Organisation, *, create: bool = False) -> bytes | None:
    """The organisation's key for address hashes; None before its first
    erasure, unless `create`."""
    stored = select(ErasureKey.salt).where(ErasureKey.org_id == org.id)
    secret = session.scalar(stored)
    if secret is None and create:
        # Two first erasures at once: one key wins, and both use it.
        session.execute(
            dialect_insert(session)(ErasureKey.__table__)
            .values(org_id=org.id, salt=os.urandom(32))
            .on_conflict_do_nothing(index_elements=[ErasureKey.__table__.c.org_id])
        )
        secret = session.scalar(stored)
    return secret


def erased_on(session: Session, org: Organisation, emails: Iterable[str]) -> dict[str, datetime]:
    """Which of `emails` are on the organisation's erased list: email -> when
    it was erased."""
    emails = list(emails)
    secret = _erasure_key(session, org) if emails else None  # analysis asks for none when all are contacts
    if secret is None:  # nothing was ever erased here
        return {}
    hashes = {email: address_hash(secret, email) for email in emails}
    wanted = sorted(set(hashes.values()))
    found: dict[str, datetime] = {}
    for start in range(0, len(wanted), CHUNK):
        found.update(
            session.execute(
                select(ErasedAddress.address_hash, ErasedAddress.erased_at).where(
                    ErasedAddress.org_id == org.id, ErasedAddress.address_hash.in_(wanted[start : start + CHUNK])
                )
            ).all()
        )
    return {email: found[hashed] for email, hashed in hashes.items() if hashed in found}


def readmit(session: Session, org: Organisation, emails: Iterable[str]) -> int:
    """Take `emails` off the organisation's erased list (the people came back
    and consented again); returns how many were on it."""
    secret = _erasure_key(session, org)
    wanted = sorted({address_hash(secret, email) for email in emails}) if secret else []
    removed = 0
    for start in range(0, len(wanted), CHUNK):
        removed += (
            rowcount(
                session.execute(
                    delete(ErasedAddress).where(
                        ErasedAddress.org_id == org.id, ErasedAddress.address_hash.in_(wanted[start : start + CHUNK])
                    )
                )
            )
            or 0
        )
    return removed


def audit(
    session: Session, org: Organisation, actor: str, at: datetime, action: str, detail: dict[str, Any]
) -> AuditEvent:
    """Record that `actor` did `action` in the organisation at `at`; `detail` must hold no message text."""
    event = AuditEvent(org_id=org.id, actor=actor, at=at, action=action, detail=detail)
    session.add(event)
    session.flush()
    return event
