"""What the admin page's dashboard shows, read from recorded data: per-day
counts of verdicts and finding codes of sent mail (kept up to date as mail
is recorded, so the charts read a few hundred rows whatever the volume),
overrides, the largest template clusters (from the sent band index: counts
of messages, recipients and senders, never text) and the countries of
contacts without consent on record."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from backend.storage.contacts import dialect_insert
from backend.storage.models import ActivityDaily, Contact, Organisation, Override, SentBand, SentMessage, SentRecipient
from backend.storage.sent import sent_minute

# Band 0 of fingerprint scheme 1 (nlp.fingerprint.band_keys: version << 32 | band << 16 | value):
# two messages in one band-0 bucket have the same first eighth of their signature.
_BAND0_LOW, _BAND0_HIGH = 1 << 32, (1 << 32) | 0xFFFF


def count_send(session: Session, org: Organisation, day: date, verdict: str, codes: Iterable[str]) -> None:
    """Add one recorded send with `verdict` and finding `codes` to `day`'s counts."""
    table = ActivityDaily.__table__
    insert = dialect_insert(session)
    rows = [{"org_id": org.id, "day": day, "kind": "verdict", "key": verdict, "count": 1}]
    rows += [{"org_id": org.id, "day": day, "kind": "code", "key": code, "count": 1} for code in sorted(set(codes))]
    stmt = insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.org_id, table.c.day, table.c.kind, table.c.key],
        set_={"count": table.c.count + 1},
    )
    session.execute(stmt, rows)


def daily(session: Session, org: Organisation, kind: str, since: date) -> list[tuple[date, str, int]]:
    """(day, key, count) of `kind` from `since` on, by day."""
    rows = session.execute(
        select(ActivityDaily.day, ActivityDaily.key, ActivityDaily.count)
        .where(ActivityDaily.org_id == org.id, ActivityDaily.kind == kind, ActivityDaily.day >= since)
        .order_by(ActivityDaily.day, ActivityDaily.key)
    )
    return [(d, k, c) for d, k, c in rows]


def overrides_by_code(session: Session, org: Organisation, since: datetime) -> list[tuple[str, int]]:
    rows = session.execute(
        select(Override.code, func.count())
        .where(Override.org_id == org.id, Override.at >= since)
        .group_by(Override.code)
        .order_by(func.count().desc(), Override.code)
    )
    return [(c, n) for c, n in rows]


@dataclass(frozen=True)
class Cluster:
    messages: int
    recipients: int
    senders: int


def template_clusters(session: Session, org: Organisation, since: datetime, limit: int = 5) -> list[Cluster]:
    """The largest groups of near-identical messages sent since `since`:
    messages sharing their first band key (the index's own buckets), with
    how many distinct recipients and senders each reached."""
    groups = session.execute(
        select(SentBand.band_key, func.count())
        .where(
            SentBand.org_id == org.id,
            SentBand.band_key.between(_BAND0_LOW, _BAND0_HIGH),
            SentBand.sent_minute >= sent_minute(since),
        )
        .group_by(SentBand.band_key)
        .having(func.count() > 1)
        .order_by(func.count().desc())
        .limit(limit)
    ).all()
    clusters = []
    for band_key, _ in groups:
        in_bucket = (
            SentBand.org_id == org.id,
            SentBand.band_key == band_key,
            SentBand.sent_minute >= sent_minute(since),
        )
        # Joined from the bucket's band rows, so the messages are read by
        # primary key; a filter on sent_messages.org_id would make the
        # planner walk the organisation's whole history instead.
        messages, senders = session.execute(
            select(func.count(), func.count(func.distinct(SentMessage.sender)))
            .select_from(SentBand)
            .join(SentMessage, SentMessage.id == SentBand.sent_id)
            .where(*in_bucket)
        ).one()
        recipients = session.scalar(
            select(func.count(func.distinct(SentRecipient.address)))
            .select_from(SentBand)
            .join(SentRecipient, SentRecipient.sent_id == SentBand.sent_id)
            .where(*in_bucket)
        )
        clusters.append(Cluster(messages, recipients or 0, senders))
    clusters.sort(key=lambda c: (c.recipients, c.messages), reverse=True)
    return clusters


def countries_without_consent(session: Session, org: Organisation, limit: int = 15) -> list[tuple[str, int]]:
    """Countries of the organisation's contacts with no consent on record
    (none, or "unknown"), most first."""
    no_consent = or_(Contact.consent_status.is_(None), Contact.consent_status == "unknown")
    # Grouped by the column itself: PostgreSQL binds a literal in SELECT and in
    # GROUP BY as two parameters and then refuses coalesce(country, literal).
    rows = session.execute(
        select(Contact.country, func.count())
        .where(Contact.org_id == org.id, and_(no_consent, Contact.unsubscribed.is_(False)))
        .group_by(Contact.country)
        .order_by(func.count().desc(), Contact.country)
        .limit(limit)
    )
    return [(c or "??", n) for c, n in rows]


def window_start(now: datetime, days: int) -> date:
    return (now - timedelta(days=days - 1)).date()
