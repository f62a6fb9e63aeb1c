"""Named queries. Views, the CLI and the seed call these; nobody else
builds SQL (sent mail has its own module, backend/storage/sent.py). Every
function takes the caller's session and leaves committing to the caller."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session, joinedload, selectinload

from backend.storage import statements
from backend.storage.models import Contact, CrmSync, Interaction, Organisation, User


def org_by_slug(session: Session, slug: str) -> Organisation | None:
    return session.scalar(select(Organisation).where(Organisation.slug == slug))


def org_by_domain(session: Session, domain: str) -> Organisation | None:
    """The organisation that lists `domain` (case-insensitive) among its
    mail domains. Organisations are few, so they are read and matched here
    rather than by a JSON query that differs between SQLite and PostgreSQL."""
    wanted = domain.strip().lower()
    for org in session.scalars(select(Organisation).order_by(Organisation.id)):
        if wanted in {d.lower() for d in org.domains or []}:
            return org
    return None


def org_by_microsoft_tenant(session: Session, tenant_id: str) -> Organisation | None:
    return session.scalar(select(Organisation).where(Organisation.microsoft_tenant == tenant_id.strip().lower()))


def upsert_org(session: Session, slug: str, now: datetime, **fields: Any) -> Organisation:
    """Create the organisation `slug` (created at `now`) or update the given fields."""
    org = org_by_slug(session, slug)
    if org is None:
        org = Organisation(slug=slug, created_at=now, **fields)
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
    their interactions loaded, ordered by email."""
    wanted = sorted({e.lower() for e in emails})
    if not wanted:
        return []
    size, params = statements.padded(wanted, "e")
    return list(session.scalars(_by_email_query(size), {"org": org.id, **params}).unique())


class InteractionFacts(NamedTuple):
    date: date
    direction: str
    subject: str | None
    summary: str | None


class ContactFacts(NamedTuple):
    """What analysis reads of a stored contact (`context.contact_to_contract`)."""

    email: str
    name: str | None
    company: str | None
    country: str | None
    kind: str | None
    role: str | None
    industry: str | None
    stage: str | None
    consent_status: str | None
    consent_source: str | None
    consent_date: date | None
    unsubscribed: bool
    interactions: list[InteractionFacts]


def contacts_for_draft(
    session: Session, org: Organisation, emails: Iterable[str], company_keys: Iterable[str], company_limit: int = 50
) -> tuple[list[ContactFacts], list[tuple[str, str | None, str | None]]]:
    """What analysis reads about the people around a draft: the
    organisation's contacts among `emails`, with their interactions (oldest
    first), ordered by email, and (email, name, company) of up to
    `company_limit` others whose company has one of `company_keys` (see
    models.company_key).

    Two plain index lookups, as plain values rather than ORM objects (which
    cost about a millisecond of every analysis): one query with OR over
    both lists and the limit makes SQLite scan every contact of the
    organisation.
    """
    emails = sorted({e.lower() for e in emails})
    keys = sorted(set(company_keys))
    recipients: list[ContactFacts] = []
    if emails:
        size, params = statements.padded(emails, "e")
        for *fields, i_date, direction, subject, summary in statements.fetch(
            session, _facts_query(size), {"org": org.id, **params}
        ):
            if not recipients or recipients[-1].email != fields[0]:
                recipients.append(ContactFacts._make([*fields, []]))
            if i_date is not None:
                recipients[-1].interactions.append(InteractionFacts(i_date, direction, subject, summary))
    named: list[tuple[str, str | None, str | None]] = []
    if keys:
        size, params = statements.padded(keys, "k")
        rows = statements.fetch(
            session, _named_query(size), {"org": org.id, "limit": company_limit + len(emails), **params}
        )
        named = [row for row in rows if row[0] not in emails][:company_limit]
    return recipients, named


@functools.cache
def _facts_query(size: int) -> Select:
    contact = [getattr(Contact, name) for name in ContactFacts._fields if name != "interactions"]
    return (
        select(*contact, Interaction.date, Interaction.direction, Interaction.subject, Interaction.summary)
        .outerjoin(Interaction, Interaction.contact_id == Contact.id)
        .where(Contact.org_id == bindparam("org"), statements.in_list(Contact.email, size, "e"))
        .order_by(Contact.email, Interaction.date, Interaction.id)
    )


@functools.cache
def _by_email_query(size: int) -> Select:
    return (
        select(Contact)
        .where(Contact.org_id == bindparam("org"), statements.in_list(Contact.email, size, "e"))
        .options(joinedload(Contact.interactions))
        .order_by(Contact.email)
    )


@functools.cache
def _named_query(size: int) -> Select:
    return (
        select(Contact.email, Contact.name, Contact.company)
        .where(Contact.org_id == bindparam("org"), statements.in_list(Contact.company_key, size, "k"))
        .order_by(Contact.company_key, Contact.email)
        .limit(bindparam("limit"))
    )


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
        select(Contact)
        .where(Contact.org_id == org.id, Contact.email == email)
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


class SyncState(NamedTuple):
    """What analysis reads of a CRM sync (`connectors.status.describe`)."""

    source: str
    status: str
    started_at: datetime | None
    finished_at: datetime | None
    last_success_at: datetime | None
    error: str | None


_LATEST_SYNC = (
    select(*(getattr(CrmSync, name) for name in SyncState._fields))
    .where(CrmSync.org_id == bindparam("org"))
    .order_by(CrmSync.started_at.desc(), CrmSync.id.desc())
    .limit(1)
)


def latest_crm_sync(session: Session, org: Organisation) -> SyncState | None:
    """The organisation's most recently started CRM sync, None without one.
    Read for every analysis: one row as plain values, not an ORM object."""
    rows = statements.fetch(session, _LATEST_SYNC, {"org": org.id})
    return SyncState(*rows[0]) if rows else None


def crm_syncs(session: Session, org: Organisation) -> list[CrmSync]:
    """The organisation's CRM connectors, the most recently started first."""
    return list(
        session.scalars(
            select(CrmSync).where(CrmSync.org_id == org.id).order_by(CrmSync.started_at.desc(), CrmSync.id.desc())
        )
    )
