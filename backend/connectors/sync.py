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

Each page is committed on its own, so an interrupted sync leaves complete
contacts from the pages before, and the `crm_syncs` row says it failed.
"""
from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from backend.connectors.base import ConnectorError, CrmConnector, CrmContact, Page, Progress
from backend.errors import BadRequest, describe_exception
from backend.storage import Database, queries
from backend.storage.context import contact_to_contract
from backend.storage.models import Organisation, utcnow

log = logging.getLogger("sendwise")


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
    finished_at: datetime | None = None

    def stats(self) -> dict[str, Any]:
        return {"pages": self.pages, "fetched": self.fetched, "created": self.created, "updated": self.updated,
                "unchanged": self.unchanged, "skipped": dict(self.skipped), "kept_opt_outs": self.kept_opt_outs}

    def summary(self) -> str:
        """One line: what was fetched and what became of it."""
        skipped = sum(self.skipped.values())
        reasons = ", ".join(f"{n} {reason}" for reason, n in sorted(self.skipped.items()))
        line = (f"{self.source}: {self.fetched} contacts fetched in {self.pages} "
                f"page{'s' if self.pages != 1 else ''} for {self.org}: {self.created} created, "
                f"{self.updated} updated, {self.unchanged} unchanged, {skipped} skipped")
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
    progress: Progress | None = None,
) -> SyncResult:
    """Copy the contacts of `connect()` (a connector for CRM `source`) into
    the organisation `org_slug`, and record the outcome in `crm_syncs`.

    Raises `BadRequest` for an unknown organisation (nothing recorded), and
    re-raises `ConnectorError` (from `connect()` too) and anything else after
    recording the sync as failed.
    """
    say = progress or (lambda line: None)
    with database.session() as session:
        org = queries.org_by_slug(session, org_slug)
        if org is None:
            raise BadRequest(f"no organisation {org_slug!r}")
        org_id = org.id
        queries.start_crm_sync(session, org, source, utcnow())

    result = SyncResult(source=source, org=org_slug)
    seen: set[str] = set()
    connector: CrmConnector | None = None
    error: str | None = "internal error"
    try:
        connector = connect()
        for page in connector.pages():
            with database.session() as session:
                _store_page(session, session.get(Organisation, org_id), source, page, result, seen)
            result.pages += 1
            say(f"{source}: page {result.pages}: {len(page.contacts) + len(page.skipped)} contacts "
                f"({result.fetched} so far)")
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
        result.finished_at = _record(database, org_id, source, error, result)
    return result


def _store_page(session, org: Organisation, source: str, page: Page, result: SyncResult, seen: set[str]) -> None:
    result.fetched += len(page.contacts) + len(page.skipped)
    for _record_id, reason in page.skipped:
        result.skipped[reason] += 1
    stored = {c.email: contact_to_contract(c)
              for c in queries.contacts_by_email(session, org, [c.email for c in page.contacts])}
    for contact in page.contacts:
        if contact.email in seen:  # HubSpot allows one address on two records (additional emails)
            result.skipped["duplicate email"] += 1
            continue
        seen.add(contact.email)
        before = stored.get(contact.email)
        fields = _fields(contact, before)
        if before and before["unsubscribed"] and not contact.unsubscribed:
            result.kept_opt_outs += 1
        interactions = [{"date": i.date, "direction": i.direction, "subject": i.subject, "summary": i.summary}
                        for i in contact.interactions]
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
        fields.update(consent_status=contact.consent_status, consent_source=contact.consent_source,
                      consent_date=contact.consent_date)
    if contact.unsubscribed:
        fields["unsubscribed"] = True
    elif before is None:
        fields["unsubscribed"] = False
    return fields


def _record(database: Database, org_id: int, source: str, error: str | None, result: SyncResult) -> datetime | None:
    """Write the outcome; never raises (it runs while another error may be on its way)."""
    at = utcnow()
    try:
        with database.session() as session:
            org = session.get(Organisation, org_id)
            if org is not None:
                queries.finish_crm_sync(session, org, source, at, error=error, stats=result.stats())
        return at
    except Exception as exc:  # noqa: BLE001 - e.g. the database went away too
        log.error("could not record the %s sync outcome: %s", source, describe_exception(exc))
        return None
