"""POST /api/v1/sent: the add-ins report each message once it has been sent,
so template reuse and send bursts see the whole organisation's mail."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import jsonify
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from backend import analysis, db
from backend.api import bp
from backend.api.routes import caller_and_json
from backend.clock import app_clock
from backend.errors import ApiError, BadRequest
from backend.storage import activity, sent
from backend.storage.models import Organisation, SentMessage

log = logging.getLogger("sendwise")

MAX_MESSAGE_ID = 998  # RFC 5322 line limit; the column's size


@bp.post("/sent")
def record_sent():
    """Record a message the caller's organisation has sent.

    Body (`Content-Type: application/json`): `{"draft": {...}, "message_id":
    "<...>", "sent_at": "2026-11-27T10:00:00Z"}`: `draft` as in an analysis
    request (from, to/cc/bcc, subject, body); `message_id` and `sent_at`
    optional (`sent_at` defaults to the server's clock; without an offset
    it is UTC).
    Stored: sender, recipients, time, Message-ID and the fingerprint of the
    body without greeting and signature, never the subject or text; plus an
    interaction (date, "out", subject) for each recipient who is a contact.

    201: `{"sent": {...}, "created": true}`. 200: the same for a
    `message_id` already recorded for the organisation, with nothing new
    written (`created: false`). 413: request_too_large; 400:
    unsupported_content_type, invalid_json, invalid_request. 401:
    unauthorized. 503: engine_unavailable, demo_not_seeded.
    """
    caller, payload = caller_and_json()
    session = db.session()
    now = app_clock().now()
    message_id = _message_id(payload.get("message_id"))
    sent_at = _sent_at(payload.get("sent_at"), now)
    draft = payload["draft"]
    try:
        nlp = analysis.engine()  # the fingerprint must be the engine's
    except analysis.EngineUnavailable as exc:
        raise ApiError(503, "engine_unavailable", str(exc)) from None
    try:
        message = nlp.sent_fingerprint(draft)
    except nlp.InvalidRequest as exc:  # the same one-line reasons as /analyze
        raise BadRequest(str(exc), getattr(exc, "code", "invalid_request")) from None
    fields = dict(
        sender=message.sender,
        recipients=message.recipients,
        sent_at=sent_at,
        fingerprint=message.fingerprint,
        message_id=message_id,
        indexed=sent.indexable(message),
        subject=draft.get("subject") if isinstance(draft.get("subject"), str) else "",
    )
    org_id = caller.org.id
    outcome = _outcome(draft, session, caller.org, now)  # before recording: the message is not its own template
    try:
        row, created = sent.record(session, caller.org, **fields, codes=outcome.codes if outcome else None)
        if created and outcome is not None:
            activity.count_send(session, caller.org, row.sent_at.date(), outcome.verdict, outcome.counted)
        session.commit()
    except IntegrityError:
        if message_id is None:
            raise
        # Another request recorded this message_id since our check: answer with theirs.
        session.rollback()
        row, created = sent.record(session, session.get(Organisation, org_id), **fields)
    response = jsonify({"sent": _describe(row), "created": created}), 201 if created else 200
    _prune_bands(session, org_id, now)
    return response


@dataclass(frozen=True)
class _Outcome:
    verdict: str
    codes: list[str]  # every code raised with every check on, for the policy preview
    counted: list[str]  # those the policy does not switch off, for the dashboard


def _outcome(draft: dict[str, Any], session: Session, org: Organisation, now: datetime) -> _Outcome | None:
    """The verdict of the sent message under the organisation's policy and
    the codes it raises with every check on (the checks switched off run at
    "info", which never changes a verdict), for the dashboard's counts and
    the policy simulation, never its text; None when it cannot be analysed,
    which never stops the recording."""
    from nlp import policy as P

    stored, _ = P.effective(org.policy)
    request = {"draft": draft, "context": {"org": {"policy": P.probe(stored)}}}
    try:
        report = analysis.analyze(request, now=now, session=session, org=org)
    except (BadRequest, analysis.EngineUnavailable):
        return None
    codes = [f["code"] for f in report["findings"]]
    return _Outcome(report["verdict"], codes, [c for c in codes if P.severity(stored, c) != "off"])


def _prune_bands(session: Session, org_id: int, now: datetime) -> None:
    """Keep the band index to the lookup window, a batch at a time, on the
    side of recording (the add-ins post after sending: nobody waits). A
    failure is logged and left for the next call or `sendwise sent prune`."""
    org = session.get(Organisation, org_id)
    if org is None or not sent.prune_due(org, now):  # None: deleted since the message was recorded
        return
    try:
        sent.prune_bands(session, org, now)
        session.commit()
    except SQLAlchemyError as exc:
        session.rollback()
        log.warning("pruning the sent band index of org %s failed: %s", org_id, type(exc).__name__)


def _message_id(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise BadRequest("'message_id' must be a non-empty string")
    if not value.isascii():  # RFC 5322 Message-IDs are ASCII; this also refuses lone surrogates
        raise BadRequest("'message_id' must be ASCII, as in the message's Message-ID header")
    value = value.strip()
    if len(value) > MAX_MESSAGE_ID:
        raise BadRequest(f"'message_id' is longer than {MAX_MESSAGE_ID} characters")
    return value


EARLIEST_SENT_AT = datetime(1990, 1, 1, tzinfo=UTC)
MAX_SENT_AT_AHEAD = timedelta(days=1)


def _sent_at(value: Any, now: datetime) -> datetime:
    if value is None:
        return now
    if not isinstance(value, str):
        raise BadRequest("'sent_at' must be an ISO 8601 date-time string")
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        when = (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        raise BadRequest(f"'sent_at' is not an ISO 8601 date-time: {value[:40]!r}") from None
    # A send dated in the future would count towards template reuse for
    # years and never be pruned; one in the distant past is a broken clock.
    if when < EARLIEST_SENT_AT:
        raise BadRequest(f"'sent_at' {value[:40]!r} is before {EARLIEST_SENT_AT.year}")
    if when > now + MAX_SENT_AT_AHEAD:
        raise BadRequest(f"'sent_at' {value[:40]!r} is more than a day ahead of the server's clock")
    return when


def _describe(row: SentMessage) -> dict[str, Any]:
    return {
        "id": row.id,
        "message_id": row.message_id,
        "sender": row.sender,
        "recipients": sorted(row.addresses),
        "sent_at": row.sent_at.isoformat().replace("+00:00", "Z"),
    }
