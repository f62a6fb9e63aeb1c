"""CORS on /api/: the add-in's pages and its on-send script call the API
with an Authorization header and JSON, which browsers (and classic
Outlook's JavaScript-only runtime) send only after a preflight.

Allowed origins: this server's own (where it serves the add-in) and those
named in SENDWISE_ADDIN_ORIGINS. No cookies are involved (credentials are
bearer API keys), so no Allow-Credentials either. Other origins get no CORS
headers, and their preflights a 403: a web page the user happens to have
open cannot use the loopback demo mode through the user's browser.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request

from backend.errors import error_response

ALLOW_METHODS = "GET, POST, OPTIONS"
ALLOW_HEADERS = "Authorization, Content-Type"
PREFLIGHT_MAX_AGE = "600"


def allowed_origins() -> set[str]:
    own = current_app.config.get("PUBLIC_URL") or request.host_url.rstrip("/")
    return {_origin(own), *map(_origin, current_app.config.get("ADDIN_ORIGINS") or [])}


def init_app(app: Flask) -> None:
    @app.before_request
    def _preflight():
        if request.method != "OPTIONS" or not request.path.startswith("/api/"):
            return None
        origin = request.headers.get("Origin")
        if origin is None or "Access-Control-Request-Method" not in request.headers:
            return None  # a plain OPTIONS: Flask answers it with Allow
        if origin.rstrip("/").lower() not in allowed_origins():
            return error_response(403, "origin_not_allowed", f"origin {origin[:100]!r} may not call this API")
        response = Response(status=204)
        response.headers["Access-Control-Allow-Methods"] = ALLOW_METHODS
        response.headers["Access-Control-Allow-Headers"] = ALLOW_HEADERS
        response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
        return response

    @app.after_request
    def _cors_headers(response: Response) -> Response:
        if not request.path.startswith("/api/"):
            return response
        response.vary.add("Origin")
        origin = request.headers.get("Origin")
        if origin is not None and origin.rstrip("/").lower() in allowed_origins():
            response.headers["Access-Control-Allow-Origin"] = origin.rstrip("/")
        return response


def _origin(url: str) -> str:
    """scheme://host[:port] of a URL (a base URL may carry a path)."""
    scheme, _, rest = url.partition("://")
    return f"{scheme.lower()}://{rest.split('/', 1)[0].lower()}"
