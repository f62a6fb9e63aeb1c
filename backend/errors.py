"""Every error the backend reports, and the one JSON shape it takes:
`{"error": {"code": "<machine code>", "message": "<one-line reason>"}}`.

Error codes (stable, for clients to branch on):
  400 invalid_json, invalid_request (or the engine's own `InvalidRequest.code`),
      unsupported_content_type; invalid_eml (CLI input)
  401 unauthorized · 403 not_set_up (a valid Microsoft/Google identity whose
      tenant or domain no organisation claims), overrides_not_allowed
  404 not_found · 405 method_not_allowed
  413 request_too_large · 429 rate_limited (with Retry-After)
  500 internal_error · 503 engine_unavailable, demo_not_seeded, database_unavailable, not_ready,
      identity_provider_unavailable, google_certs_unavailable
"""

from __future__ import annotations

import logging
import traceback

from flask import Flask, Response, jsonify
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

log = logging.getLogger("sendwise")


class BadRequest(ValueError):
    """Invalid input found outside the engine (body, JSON, eml, context).

    Same shape as `nlp.InvalidRequest`: `.code` plus a one-line `str()`, so
    the API turns both into a 400 and the CLI into exit 2 the same way.
    """

    def __init__(self, message: str, code: str = "invalid_request"):
        super().__init__(message)
        self.code = code


class ApiError(Exception):
    """Raise anywhere in a request to answer with `error_response(...)`."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_response(status: int, code: str, message: str) -> Response:
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response


def describe_exception(exc: BaseException) -> str:
    """Exception type and where it was raised, without `str(exc)`: messages
    can quote the draft, and bodies must never reach the logs."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}" for f in reversed(frames[-5:]))
    return f"{type(exc).__module__}.{type(exc).__qualname__} at {where or '?'}"


def register_error_handlers(app: Flask) -> None:
    """JSON for every error, so no request ever gets an HTML page or a
    traceback. (An HTML admin page will negotiate on `Accept` here later.)"""

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return error_response(exc.status, exc.code, exc.message)

    @app.errorhandler(BadRequest)
    def _bad_request(exc: BadRequest):
        return error_response(400, exc.code, str(exc))

    from backend.storage.errors import InvalidValue  # storage's own error: a value it refuses to keep

    @app.errorhandler(InvalidValue)
    def _invalid_value(exc: InvalidValue):
        return error_response(400, "invalid_request", str(exc))

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(exc: RequestEntityTooLarge):
        return error_response(413, "request_too_large", "request body is larger than the server accepts")

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_")
        response = error_response(exc.code or 500, code, exc.description or exc.name)
        response.headers.extend((k, v) for k, v in exc.get_headers() if k.lower() != "content-type")  # e.g. Allow
        return response

    from sqlalchemy.exc import DBAPIError

    @app.errorhandler(DBAPIError)
    def _database_error(exc: DBAPIError):
        # Lost or refused connections (database restarting, failover) are the
        # server's state, not a bug: answer at once, the client retries.
        # Anything else from the database is a bug and stays a 500.
        if exc.connection_invalidated or isinstance(exc, OperationalError):
            log.warning("database unavailable: %s", describe_exception(exc))
            response = error_response(503, "database_unavailable", "the database is unavailable; try again shortly")
            response.headers["Retry-After"] = "1"
            return response
        log.error("database error: %s", describe_exception(exc))
        return error_response(500, "internal_error", "internal error; the request was not analysed")

    try:
        from psycopg import OperationalError as PsycopgOperationalError
    except ImportError:  # pragma: no cover - psycopg is a dependency
        pass
    else:
        # Raised as is by the queries that use the driver's cursor directly (storage/statements.py).
        @app.errorhandler(PsycopgOperationalError)
        def _driver_connection_error(exc: PsycopgOperationalError):
            log.warning("database unavailable: %s", describe_exception(exc))
            response = error_response(503, "database_unavailable", "the database is unavailable; try again shortly")
            response.headers["Retry-After"] = "1"
            return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.error("unhandled error: %s", describe_exception(exc))
        return error_response(500, "internal_error", "internal error; the request was not analysed")
