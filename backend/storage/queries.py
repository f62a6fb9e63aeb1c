"""Named queries. Views, the CLI and the seed call these; nobody else
builds SQL (sent mail has its own module, backend/storage/sent.py). Every
function takes the caller's session and leaves committing to the caller."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, bindparam, case, false, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from backend.storage.models import Contact, CrmSync, Interaction, Organisation, User


def in_values(column: ColumnElement, values: Sequence[Any], name: str) -> tuple[ColumnElement, dict[str, Any]]:
    """`column IN values` as (condition, parameters) with a fixed number of
    named parameters: the count is rounded up to a power of two (at least
    8) by repeating the last value. Analysis runs the same few statements
    for every draft, so they compile once and PostgreSQL prepares them,
    instead of planning a new IN list each time (~1 ms for 50 values).
    `values` must not be empty."""
    size = max(8, 1 << (len(values) - 1).bit_length())
    padded = list(values) + [values[-1]] * (size - len(values))
    names = [f"{name}{i}" for i in range(size)]
    return column.in_([bindparam(n) for n in names]), dict(zip(names, padded))


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


def contacts_for_draft(session: Session, org: Organisation, emails: Iterable[str], company_keys: Iterable[str],
                       company_limit: int = 50) -> tuple[list[Contact], list[Contact]]:
    """(the organisation's contacts among `emails`, with their interactions;
    up to `company_limit` others whose company has one of `company_keys`,
    see models.company_key), in one round trip: analysis needs both for
    every draft."""
    emails = sorted({e.lower() for e in emails})
    keys = sorted(set(company_keys))
    if not emails and not keys:
        return [], []
    addressed, params = in_values(Contact.email, emails, "e") if emails else (false(), {})
    named, more = in_values(Contact.company_key, keys, "k") if keys else (false(), {})
    rows = session.scalars(
        select(Contact)
        .where(Contact.org_id == org.id, or_(addressed, named))
        # Recipients first, so the limit only ever cuts company matches.
        .order_by(case((addressed, 0), else_=1), Contact.company_key, Contact.email)
        .limit(len(emails) + company_limit)
        .options(joinedload(Contact.interactions)),
        {**params, **more},
    ).unique().all()
    wanted = set(emails)
    return [c for c in rows if c.email in wanted], [c for c in rows if c.email not in wanted]


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
