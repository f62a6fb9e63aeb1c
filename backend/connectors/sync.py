"""A connector's contacts into an organisation's store, and a record of how
the sync went (`crm_syncs`), for any CRM.

Merge rules, per contact (upsert by email, case-insensitive):
- A value the CRM has replaces the stored one; a field the CRM leaves empty
  keeps what is stored (someone may have entered it in sendwise).
- Consent: the CRM's opt_in, soft_opt_in or opt_out replaces the stored
  consent; its "unknown" only fills a contact that has none.
- An opt-out is never undone by a sync: `unsubscribed` stays true once set,
  whoever set it, with its consent. Sending to someone who unsubscribed is
  the one mistake sendwise must not help make.
- Interactions the CRM wrote at the last sync are replaced; those entered
  by people stay (`interactions.source`).
- An address erased at the person's request (`sendwise contacts erase`) is
  not stored again: it is skipped and counted as such.

Each page is committed on its own, so an interrupted sync leaves complete
contacts from the pages before, and the `crm_syncs` row says it failed.

One sync per organisation and CRM at a time: the `crm_syncs` row is the
lock, taken by a conditional UPDATE (or the INSERT of the row), so it holds
across processes on SQLite and PostgreSQL alike. Each page renews it
(`heartbeat_at`) in the transaction that stores the page; a sync that made
no progress for LOCK_EXPIRES has crashed or hangs, and the next one takes
over. The sync that lost its lock stops at its next page without storing
it or recording an outcome.

After a successful sync the next one is incremental: it asks the CRM only
for contacts modified since the last successful sync started, less
INCREMENTAL_OVERLAP (clocks differ, and CRMs index changes with a delay).
`full=True` reads everything again.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from backend.clock import Clock
from backend.connectors.base import ConnectorError, CrmConnector, CrmContact, Page, Progress
from backend.connectors.status import iso, utc_minute
from backend.errors import BadRequest, describe_exception
from backend.storage import Database, queries
from backend.storage.contacts import dialect_insert, erased_on
from backend.storage.context import contact_to_contract
from backend.storage.models import CrmSync, Organisation
from backend.storage.statements import rowcount

log = logging.getLogger("sendwise")

# Far longer than a page takes (each time-out or rate-limit wait is at most a
# minute, see hubspot.py); and a live sync taken over by mistake only stops.
LOCK_EXPIRES_MINUTES = 10
LOCK_EXPIRES = timedelta(minutes=LOCK_EXPIRES_MINUTES)
INCREMENTAL_OVERLAP = timedelta(minutes=10)
ERASED = "erased at the person's request"


@dataclass
class SyncResult:
    """What a sync did. `skipped` counts records by reason."""

    source: str
    org: str
    pages: int = 0
    fetched: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept_opt_outs: int = 0
    skipped: Counter = field(default_factory=Counter)
    since: datetime | None = None  # an incremental sync: contacts modified since then
    finished_at: datetime | None = None

    def stats(self) -> dict[str, Any]:
        """The counts kept in `crm_syncs.stats`."""
        return {
            "pages": self.pages,
            "fetched": self.fetched,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": dict(self.skipped),
            "kept_opt_outs": self.kept_opt_outs,
            "since": iso(self.since),
        }

    def summary(self) -> str:
        """One line: what was fetched and what became of it."""
        skipped = sum(self.skipped.values())
        reasons = ", ".join(f"{n} {reason}" for reason, n in sorted(self.skipped.items()))
        modified = f" modified since {utc_minute(self.since)}" if self.since else ""
        line = (
            f"{self.source}: {self.fetched} contacts{modified} fetched in {self.pages} "
            f"page{'s' if self.pages != 1 else ''} for {self.org}: {self.created} created, "
            f"{self.updated} updated, {self.unchanged} unchanged, {skipped} skipped"
        )
        if reasons:
            line += f" ({reasons})"
        if self.kept_opt_outs:
            line += f"; kept {self.kept_opt_outs} opt-out{'s' if self.kept_opt_outs != 1 else ''} recorded earlier"
        return line


def sync_contacts(
    database: Database,
    org_slug: str,
    source: str,
    connect: Callable[[], CrmConnector],
    *,
    clock: Clock,
    full: bool = False,
    progress: Progress | None = None,
) -> SyncResult:
    """Copy the contacts of `connect()` (a connector for CRM `source`) into
    the organisation `org_slug`, and record the outcome in `crm_syncs`:
    only those modified since the last successful sync, unless `full` or
    there was none. Lock times and the recorded outcome come from `clock`.

    Raises `BadRequest` for an unknown organisation and `ConnectorError`
    (kind "busy") when another sync of the same CRM into the organisation
    is running, recording nothing in either case, and `ConnectorError`
    (kind "superseded") when another sync took over the lock; re-raises
    `ConnectorError` (from `connect()` too) and anything else after
    recording the sync as failed.
    """
    say = progress or (lambda line: None)
    run_id = uuid.uuid4().hex
    started = clock.now()
    with database.session() as session:
        org = queries.org_by_slug(session, org_slug)
        if org is None:
            raise BadRequest(f"no organisation {org_slug!r}")
        org_id = org.id
        last_start = _claim(session, org, source, run_id, started).last_success_started_at
    since = last_start - INCREMENTAL_OVERLAP if last_start and not full else None

    result = SyncResult(source=source, org=org_slug, since=since)
    if since:
        say(f"{source}: reading contacts modified since {utc_minute(since)} (--full reads all)")
    seen: set[str] = set()
    connector: CrmConnector | None = None
    error: str | None = "internal error"
    try:
        connector = connect()
        for page in connector.pages(since=since):
            with database.session() as session:
                _renew(session, org_id, source, run_id, clock.now())
                org = session.get(Organisation, org_id)
                if org is None:
                    raise RuntimeError("the organisation was deleted during the sync")
                _store_page(session, org, source, page, result, seen)
            result.pages += 1
            say(
                f"{source}: page {result.pages}: {len(page.contacts) + len(page.skipped)} contacts "
                f"({result.fetched} so far)"
            )
        error = None
    except ConnectorError as exc:
        error = str(exc)
        raise
    except KeyboardInterrupt:
        error = "interrupted"
        raise
    except Exception as exc:
        # Type and place only: messages of database errors can quote contact data.
        error = f"internal error ({type(exc).__name__})"
        log.error("%s sync failed: %s", source, describe_exception(exc))
        raise
    finally:
        if connector is not None:
            connector.close()
        result.finished_at = _record(database, org_id, source, run_id, started, clock.now(), error, result)
    return result


def _claim(session: Session, org: Organisation, source: str, run_id: str, now: datetime) -> CrmSync:
    """Take the lock of `source` in `org` for the sync `run_id` and return
    its row; raise ConnectorError "busy" if another sync holds it."""
    running = {
        "status": "running",
        "run_id": run_id,
        "started_at": now,
        "heartbeat_at": now,
        "finished_at": None,
        "error": None,
        "stats": {},
    }
    this = (CrmSync.org_id == org.id, CrmSync.source == source)
    table = CrmSync.__table__
    # RETURNING, not rowcount: an INSERT run through the ORM session does not
    # keep its rowcount on PostgreSQL (SQLAlchemy 2.1 reports -1).
    created = session.execute(
        dialect_insert(session)(table)
        .values(org_id=org.id, source=source, **running)
        .on_conflict_do_nothing(index_elements=[table.c.org_id, table.c.source])
        .returning(table.c.id)
    ).first()
    if created is None:
        free = or_(
            CrmSync.status != "running", CrmSync.heartbeat_at.is_(None), CrmSync.heartbeat_at < now - LOCK_EXPIRES
        )
        if not rowcount(session.execute(update(CrmSync).where(*this, free).values(**running))):
            holder = session.scalars(select(CrmSync).where(*this)).one()
            raise ConnectorError(
                f"another {source} sync of {org.slug!r} is running (started {utc_minute(holder.started_at)}, "
                f"last progress {utc_minute(holder.heartbeat_at)}); wait for it to finish (a sync without progress "
                f"for {LOCK_EXPIRES_MINUTES} minutes is taken over)",
                "busy",
            )
    return session.scalars(select(CrmSync).where(*this).execution_options(populate_existing=True)).one()


def _renew(session: Session, org_id: int, source: str, run_id: str, now: datetime) -> None:
    """Renew the lock of the sync `run_id`, in the transaction that stores
    its next page; raise ConnectorError "superseded" if another sync took
    it over."""
    renewed = session.execute(
        update(CrmSync)
        .where(CrmSync.org_id == org_id, CrmSync.source == source, CrmSync.run_id == run_id)
        .values(heartbeat_at=now)
    )
    if not rowcount(renewed):
        raise ConnectorError(
            f"another {source} sync took over after this one made no progress for "
            f"{LOCK_EXPIRES_MINUTES} minutes; this one stopped",
            "superseded",
        )


def _store_page(session, org: Organisation, source: str, page: Page, result: SyncResult, seen: set[str]) -> None:
    result.fetched += len(page.contacts) + len(page.skipped)
    for _record_id, reason in page.skipped:
        result.skipped[reason] += 1
    erased = erased_on(session, org, [c.email for c in page.contacts])
    stored = {
        c.email: contact_to_contract(c)
        for c in queries.contacts_by_email(session, org, [c.email for c in page.contacts])
    }
    for contact in page.contacts:
        if contact.email in erased:
            result.skipped[ERASED] += 1
            continue
        if contact.email in seen:  # HubSpot allows one address on two records (additional emails)
            result.skipped["duplicate email"] += 1
            continue
        seen.add(contact.email)
        before = stored.get(contact.email)
        fields = _fields(contact, before)
        if before and before["unsubscribed"] and not contact.unsubscribed:
            result.kept_opt_outs += 1
        interactions = [
            {"date": i.date, "direction": i.direction, "subject": i.subject, "summary": i.summary}
            for i in contact.interactions
        ]
        row = queries.upsert_synced_contact(session, org, contact.email, source, interactions, **fields)
        if before is None:
            result.created += 1
        elif contact_to_contract(row) == before:
            result.unchanged += 1
        else:
            result.updated += 1


def _fields(contact: CrmContact, before: dict[str, Any] | None) -> dict[str, Any]:
    """The columns to write for `contact`, following the merge rules above."""
    fields = {name: getattr(contact, name) for name in ("name", "company", "country", "role", "industry", "stage")}
    fields = {k: v for k, v in fields.items() if v is not None}
    known = contact.consent_status not in (None, "unknown")
    sticky = before is not None and before["unsubscribed"] and not contact.unsubscribed
    if not sticky and (before is None or contact.unsubscribed or known or "consent" not in before):
        fields.update(
            consent_status=contact.consent_status,
            consent_source=contact.consent_source,
            consent_date=contact.consent_date,
        )
    if contact.unsubscribed:
        fields["unsubscribed"] = True
    elif before is None:
        fields["unsubscribed"] = False
    return fields


def _record(
    database: Database,
    org_id: int,
    source: str,
    run_id: str,
    started: datetime,
    at: datetime,
    error: str | None,
    result: SyncResult,
) -> datetime | None:
    """Write the outcome and release the lock, unless another sync took it
    over; never raises (it runs while another error may be on its way)."""
    outcome: dict[str, Any] = {"finished_at": at, "stats": result.stats(), "run_id": None, "heartbeat_at": None}
    if error is None:
        outcome.update(status="ok", error=None, last_success_at=at, last_success_started_at=started)
    else:
        outcome.update(status="failed", error=error[:500])
    try:
        with database.session() as session:
            written = session.execute(
                update(CrmSync)
                .where(CrmSync.org_id == org_id, CrmSync.source == source, CrmSync.run_id == run_id)
                .values(**outcome)
            )
        return at if rowcount(written) else None
    except Exception as exc:
        log.error("could not record the %s sync outcome: %s", source, describe_exception(exc))
        return None
