"""Named queries. Views, the CLI and the seed call these; nobody else
builds SQL. Every function takes the caller's session and leaves committing
to the caller."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from backend.storage.models import Contact, Interaction, Organisation, SentMessage, User


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


def sent_since(session: Session, org: Organisation, since: datetime) -> list[SentMessage]:
    """The organisation's sent-message fingerprints at or after `since`."""
    return list(
        session.scalars(
            select(SentMessage)
            .where(SentMessage.org_id == org.id, SentMessage.sent_at >= since)
            .order_by(SentMessage.sent_at)
        )
    )


def replace_sent_messages(session: Session, org: Organisation, rows: Iterable[dict[str, Any]]) -> None:
    """Drop the organisation's sent history and store `rows` ({sender,
    recipients, sent_at, fingerprint, message_id?}). Used by the demo seed."""
    session.execute(delete(SentMessage).where(SentMessage.org_id == org.id))
    session.add_all(SentMessage(org_id=org.id, **row) for row in rows)
    session.flush()


def record_sent(
    session: Session,
    org: Organisation,
    *,
    sender: str,
    recipients: Sequence[str],
    sent_at: datetime,
    fingerprint: bytes,
    message_id: str | None = None,
) -> SentMessage:
    """Remember that a message was sent: who, when and its fingerprint.
    Never the subject or body."""
    row = SentMessage(
        org_id=org.id,
        sender=sender.lower(),
        recipients=[r.lower() for r in recipients],
        sent_at=sent_at,
        fingerprint=fingerprint,
        message_id=message_id,
    )
    session.add(row)
    session.flush()
    return row
