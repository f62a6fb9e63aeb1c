"""Named queries. Views, the CLI and the seed call these; nobody else
builds SQL (sent mail has its own module, backend/storage/sent.py). Every
function takes the caller's session and leaves committing to the caller."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from backend.storage.models import Contact, CrmSync, Interaction, Organisation, User


def org_by_slug(session: Session, slug: str) -> Organisation | None:
    return session.scalar(select(Organisation).where(Organisation.slug == slug))


def upsert_org(session: Session, slug: str, **fields: Any) -> Organisation:
    """Create the organisation `slug` or update the given fields."""
    org = org_by_slug(session, slug)
    if org is None:
        org = Organisation(slug=slug, **fields)
        session.add(org)
    else:
        for key, value in fields.items():
            setattr(org, key, value)
    session.flush()
    return org


def upsert_user(session: Session, org: Organisation, email: str, role: str = "member") -> User:
    email = email.lower()
    user = session.scalar(select(User).where(User.org_id == org.id, User.email == email))
    if user is None:
        user = User(org_id=org.id, email=email, role=role)
        session.add(user)
    user.role = role
    session.flush()
    return user


def contacts_by_email(session: Session, org: Organisation, emails: Iterable[str]) -> list[Contact]:
    """The organisation's contacts among `emails` (case-insensitive), with
    their interactions loaded."""
    wanted = sorted({e.lower() for e in emails})
    if not wanted:
        return []
    return list(
        session.scalars(
            select(Contact)
            .where(Contact.org_id == org.id, Contact.email.in_(wanted))
            .options(selectinload(Contact.interactions))
            .order_by(Contact.email)
        )
    )


def contacts_by_company_keys(session: Session, org: Organisation, keys: Iterable[str], limit: int = 50) -> list[Contact]:
    """Contacts of the organisation whose company has one of `keys` (see models.company_key)."""
    wanted = sorted(set(keys))
    if not wanted:
        return []
    return list(session.scalars(
        select(Contact).where(Contact.org_id == org.id, Contact.company_key.in_(wanted))
        .order_by(Contact.company_key, Contact.email).limit(limit)))


def upsert_contact(
    session: Session,
    org: Organisation,
    email: str,
    interactions: Sequence[dict[str, Any]] = (),
    **fields: Any,
) -> Contact:
    """Create or update a contact; `interactions` ({date, direction, subject,
    summary}) replace the stored ones."""
    email = email.lower()
    contact = session.scalar(select(Contact).where(Contact.org_id == org.id, Contact.email == email))
    if contact is None:
        contact = Contact(org_id=org.id, email=email)
        session.add(contact)
    for key, value in fields.items():
        setattr(contact, key, value)
    contact.interactions = [Interaction(**item) for item in interactions]
    session.flush()
    return contact


# --- CRM connectors (backend/connectors) ------------------------------------

def upsert_synced_contact(
    session: Session,
    org: Organisation,
    email: str,
    source: str,
    interactions: Sequence[dict[str, Any]] = (),
    **fields: Any,
) -> Contact:
    """Create or update a contact from the CRM `source`. Unlike
    `upsert_contact`, only the interactions `source` wrote before are
    replaced by `interactions`; those entered by people stay."""
    email = email.lower()
    contact = session.scalar(
        select(Contact).where(Contact.org_id == org.id, Contact.email == email)
        .options(selectinload(Contact.interactions))
    )
    if contact is None:
        contact = Contact(org_id=org.id, email=email)
        session.add(contact)
    for key, value in fields.items():
        setattr(contact, key, value)
    fields_ = ("date", "direction", "subject", "summary")
    stored = Counter(tuple(getattr(i, k) for k in fields_) for i in contact.interactions if i.source == source)
    if stored != Counter(tuple(item.get(k) for k in fields_) for item in interactions):  # else leave them be
        kept = [i for i in contact.interactions if i.source != source]
        contact.interactions = kept + [Interaction(source=source, **item) for item in interactions]
    session.flush()
    return contact


def crm_syncs(session: Session, org: Organisation) -> list[CrmSync]:
    """The organisation's CRM connectors, the most recently started first."""
    return list(session.scalars(
        select(CrmSync).where(CrmSync.org_id == org.id).order_by(CrmSync.started_at.desc(), CrmSync.id.desc())
    ))


def start_crm_sync(session: Session, org: Organisation, source: str, at: datetime) -> CrmSync:
    """Mark a sync from `source` as running (creating the connector's row)."""
    row = session.scalar(select(CrmSync).where(CrmSync.org_id == org.id, CrmSync.source == source))
    if row is None:
        row = CrmSync(org_id=org.id, source=source)
        session.add(row)
    row.status, row.started_at, row.finished_at, row.error, row.stats = "running", at, None, None, {}
    session.flush()
    return row


def finish_crm_sync(
    session: Session, org: Organisation, source: str, at: datetime, *, error: str | None, stats: dict[str, Any]
) -> CrmSync:
    """Record how the running sync from `source` ended: ok without `error`,
    failed with it (one line, kept to 500 characters)."""
    row = session.scalar(select(CrmSync).where(CrmSync.org_id == org.id, CrmSync.source == source))
    if row is None:  # the row was removed meanwhile; the outcome still counts
        row = CrmSync(org_id=org.id, source=source, started_at=at)
        session.add(row)
    row.finished_at, row.stats = at, dict(stats)
    if error is None:
        row.status, row.error, row.last_success_at = "ok", None, at
    else:
        row.status, row.error = "failed", error[:500]
    session.flush()
    return row
