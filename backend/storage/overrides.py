"""Dismissed findings ("overrides"): recorded by POST /api/v1/overrides
when a user dismisses a finding in the add-in, listed for the admin page's
audit. Never any mail text: code, reason, who and when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.storage.errors import InvalidValue
from backend.storage.models import Organisation, Override

MAX_REASON = 500


def record(
    session: Session,
    org: Organisation,
    *,
    at: datetime,
    actor: str,
    code: str,
    reason: str,
    user_email: str | None = None,
    message_id: str | None = None,
) -> Override:
    """Store one dismissal of `code` in `org` at `at` (the caller's clock).
    Raises `InvalidValue` for a reason longer than `MAX_REASON`."""
    if len(reason) > MAX_REASON:
        raise InvalidValue(f"reason is longer than {MAX_REASON} characters")
    row = Override(
        org_id=org.id, at=at, actor=actor, user_email=user_email, code=code, reason=reason, message_id=message_id
    )
    session.add(row)
    session.flush()
    return row


def list_for_org(
    session: Session,
    org: Organisation,
    *,
    since: datetime | None = None,
    code: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[Override], int]:
    """A page of `org`'s overrides, newest first, and how many match in
    all (the admin page paginates on the server)."""
    where = [Override.org_id == org.id]
    if since is not None:
        where.append(Override.at >= since)
    if code is not None:
        where.append(Override.code == code)
    total = session.scalar(select(func.count()).select_from(Override).where(*where)) or 0
    rows = session.scalars(
        select(Override).where(*where).order_by(Override.at.desc(), Override.id.desc()).limit(limit).offset(offset)
    )
    return list(rows), total


def describe(row: Override) -> dict:
    return {
        "id": row.id,
        "at": row.at.isoformat().replace("+00:00", "Z"),
        "actor": row.actor,
        "user": row.user_email,
        "code": row.code,
        "reason": row.reason,
        "message_id": row.message_id,
    }
