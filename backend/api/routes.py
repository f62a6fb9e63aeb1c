"""/api/v1 views. Each error is `{"error": {"code", "message"}}` (backend/errors.py)."""

from __future__ import annotations

import logging

from flask import current_app, jsonify, request

from backend import analysis, db, observability, version
from backend.adapters.json_request import parse_request
from backend.api import bp
from backend.auth import Caller, current_caller
from backend.clock import app_clock
from backend.errors import ApiError

log = logging.getLogger("sendwise")
# Oversized bodies up to this size are read to the end before the 413 (see _read_body).
DRAIN_LIMIT = 32 * 1024 * 1024


@bp.post("/analyze")
def analyze():
    """Analyse a draft for the caller's organisation.

    Body: an analysis request (contract.md), `Content-Type: application/json`.
    200: the report, with the organisation's stored context merged in.
    400: unsupported_content_type, invalid_json, invalid_request. 413: request_too_large.
    401: unauthorized. 429: rate_limited. 503: engine_unavailable, demo_not_seeded. 500: internal_error.
    """
    caller, analysis_request = caller_and_json()
    try:
        report = analysis.analyze(analysis_request, now=app_clock().now(), session=db.session(), org=caller.org)
    except analysis.EngineUnavailable as exc:
        raise ApiError(503, "engine_unavailable", str(exc)) from None
    observability.record_report(report)
    return jsonify(report)


@bp.get("/health")
def health():
    """200 when the database and the engine are usable, else 503. Body:
    `{"status": "ok"|"degraded", "version", "database": bool, "engine": bool}`."""
    database_ok = db.database().reachable()
    engine_ok = analysis.engine_loaded()
    ok = database_ok and engine_ok
    body = {"status": "ok" if ok else "degraded", "version": version(), "database": database_ok, "engine": engine_ok}
    return jsonify(body), 200 if ok else 503


@bp.get("/ready")
def ready():
    """Readiness, for a load balancer: 200 `{"status": "ready"}` when this
    worker can reach the database (one trivial query), else 503
    `not_ready` with the reason. Liveness is /health."""
    problem = db.database().problem()
    if problem is not None:
        # The driver's words name hosts and ports: for the log, not for anyone who asks.
        log.warning("not ready: database unreachable: %s", problem)
        raise ApiError(503, "not_ready", f"database unreachable ({problem.split(':', 1)[0]})")
    return jsonify({"status": "ready", "version": version()})


def caller_and_json() -> tuple[Caller, dict]:
    """The caller and the JSON object body of a POST, checked in this
    order: size (413 request_too_large), credentials (401), media type
    (400 unsupported_content_type), JSON (400 invalid_json)."""
    body = _read_body(current_app.config["MAX_REQUEST_BYTES"])
    caller = current_caller()
    if request.mimetype != "application/json":
        raise ApiError(
            400,
            "unsupported_content_type",
            f"Content-Type must be application/json, not {request.mimetype or 'missing'}",
        )
    return caller, parse_request(body, max_string=current_app.config["MAX_JSON_STRING"])


def _read_body(limit: int) -> bytes:
    """The request body, or 413 request_too_large.

    Most HTTP clients send the whole body before reading the answer. waitress
    and werkzeug read an unread rest themselves; gunicorn closes the
    connection, and the client gets a broken pipe instead of the reason. So
    a declared body up to `DRAIN_LIMIT` is read and thrown away first."""
    declared = request.content_length
    if declared is not None and declared > limit:
        if declared <= DRAIN_LIMIT:
            while request.stream.read(65536):
                pass
        raise ApiError(413, "request_too_large", f"request body is {declared} bytes; the limit is {limit}")
    chunks, total = [], 0
    while chunk := request.stream.read(65536):
        total += len(chunk)
        if total > limit:  # chunked upload without a declared length
            raise ApiError(413, "request_too_large", f"request body is over the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
