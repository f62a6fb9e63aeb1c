"""POST /api/v1/overrides: a user dismissed a finding in the add-in. The
admin page's audit reads these (backend/storage/overrides.py)."""

from __future__ import annotations

import json
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import jsonify, request

from backend import analysis, db
from backend.api import bp
from backend.api.sent import MAX_MESSAGE_ID
from backend.auth import current_caller
from backend.clock import app_clock
from backend.errors import ApiError, BadRequest
from backend.storage import overrides

# A code, a reason and two short strings: anything larger is not a dismissal.
MAX_BODY_BYTES = 16 * 1024


@bp.post("/overrides")
def record_override():
    """Record that the caller dismissed a finding.

    Body (`Content-Type: application/json`): `{"code": "<finding code>",
    "reason": "<why, 1-500 characters>", "message_id": "<...>"?, "user":
    "<mailbox address>"?}`. `user` is the mailbox the add-in runs in, as
    the add-in reports it; the authenticated caller is recorded apart.
    Stored: organisation, caller, user, code, reason, message id and the
    server's time; never any text of the mail.

    201: `{"override": {...}}`. 400: invalid_request (unknown code, empty
    or long reason, ...), and the body errors of every POST. 401: unauthorized.
    403: overrides_not_allowed (the organisation's policy says `on_send.override: never`).
    """
    from nlp import policy as P

    payload = _json_object()
    caller = current_caller()
    stored, _ = P.effective(caller.org.policy)
    if P.on_send(stored)["override"] == "never":
        raise ApiError(
            403, "overrides_not_allowed", "your organisation does not allow dismissing findings: correct the email"
        )
    code = _code(payload.get("code"))
    reason = _reason(payload.get("reason"))
    message_id = _optional_text(payload.get("message_id"), "message_id", MAX_MESSAGE_ID)
    user = _user(payload.get("user"))
    session = db.session()
    row = overrides.record(
        session,
        caller.org,
        at=app_clock().now(),
        actor=caller.actor,
        code=code,
        reason=reason,
        user_email=user,
        message_id=message_id,
    )
    session.commit()
    return jsonify({"override": overrides.describe(row)}), 201


def _json_object() -> dict[str, Any]:
    """The body as a JSON object (not an analysis request: no draft here)."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise ApiError(413, "request_too_large", f"a dismissal is at most {MAX_BODY_BYTES} bytes")
    data = request.get_data(cache=False)[: MAX_BODY_BYTES + 1]
    if len(data) > MAX_BODY_BYTES:
        raise ApiError(413, "request_too_large", f"a dismissal is at most {MAX_BODY_BYTES} bytes")
    current_caller()  # credentials before content, as for every POST
    if request.mimetype != "application/json":
        raise BadRequest(
            f"Content-Type must be application/json, not {request.mimetype or 'missing'}", "unsupported_content_type"
        )
    try:
        payload = json.loads(data.decode("utf-8-sig"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BadRequest("body is not a JSON object", "invalid_json") from None
    if not isinstance(payload, dict):
        raise BadRequest("body must be a JSON object with 'code' and 'reason'")
    return payload


def _no_constant(name: str) -> Any:
    raise ValueError(name)


def _code(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadRequest("'code' must be a finding code such as 'mass.exposed_recipients'")
    code = value.strip()
    try:
        known = analysis.engine().CODES
    except analysis.EngineUnavailable:
        known = None  # without the engine the shape is all that can be checked
    if (known is not None and code not in known) or len(code) > 64:
        raise BadRequest(f"unknown finding code {code[:64]!r}")
    return code


def _reason(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadRequest("'reason' must say in a few words why the finding does not apply")
    reason = " ".join(value.split())  # one line in the audit table
    if len(reason) > overrides.MAX_REASON:
        raise BadRequest(f"'reason' is longer than {overrides.MAX_REASON} characters")
    return reason


def _optional_text(value: Any, name: str, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"'{name}' must be a non-empty string")
    if len(value.strip()) > limit:
        raise BadRequest(f"'{name}' is longer than {limit} characters")
    return value.strip()


def _user(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRequest("'user' must be an email address")
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise BadRequest("'user' is not a valid email address") from None
