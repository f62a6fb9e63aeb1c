"""The report's `crm` key: is the CRM context behind this analysis usable?

    {"status": "ok", "source": "hubspot", "synced_at": "2026-11-27T10:00:00Z"}
    {"status": "unavailable", "source": "hubspot", "message": "<why, since when>",
     "synced_at": "<last good sync, if any>"}

None (no key) when the organisation has no CRM connector. A sync that
failed makes the context unavailable even if an older sync succeeded: the
stored contacts are then stale, and the writer should know. A sync still
running shows the last good one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from backend.storage import queries
from backend.storage.models import CrmSync, Organisation

NAMES = {"hubspot": "HubSpot"}


def crm_status(session: Session, org: Organisation) -> dict[str, Any] | None:
    """The `crm` key for the organisation's most recent CRM sync; None without one."""
    row = queries.latest_crm_sync(session, org)
    return describe(row) if row else None


def describe(row: CrmSync | queries.SyncState) -> dict[str, Any]:
    """The `crm` key for one connector's sync record."""
    name = NAMES.get(row.source, row.source)
    synced = iso(row.last_success_at)
    if row.status == "ok" or (row.status == "running" and synced):
        return {"status": "ok", "source": row.source, "synced_at": synced}
    if row.status == "running":
        message = f"the first {name} sync, started {_human(row.started_at)}, has not finished"
    else:
        message = f"{name} sync failed {_human(row.finished_at or row.started_at)}: {row.error or 'unknown error'}"
    message += f"; contacts are from the sync {_human(row.last_success_at)}" if synced else f"; no {name} contacts yet"
    out = {"status": "unavailable", "source": row.source, "message": message}
    if synced:
        out["synced_at"] = synced
    return out


def iso(moment: datetime | None) -> str | None:
    """A UTC time as the report writes it: 2026-11-27T10:00:00Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def utc_minute(moment: datetime | None) -> str:
    """A UTC time for people: 2026-11-27 10:00 UTC."""
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "an unknown time"


def _human(moment: datetime | None) -> str:
    return f"on {utc_minute(moment)}" if moment else "at an unknown time"
