"""sendwise backend: the Flask app around the analysis engine.

`create_app(config=None)` builds an app from the environment
(backend/config.py), with `config` (a mapping of the same keys) applied on
top — tests pass their own database and mode this way, and a `CLOCK`
(backend/clock.py) to pin the time.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from importlib import metadata
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from backend.config import INSTANCE_DIR, load_config


class _JSON(DefaultJSONProvider):
    sort_keys = False  # keep the report in the contract's order
    ensure_ascii = False  # zh-CN messages stay readable


def version() -> str:
    try:
        return metadata.version("sendwise")
    except metadata.PackageNotFoundError:  # running from a plain checkout
        return "0+unknown"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    from backend import addin, admin, api, clock, cors, db, gmail, home, observability, ratelimit, security_headers
    from backend.errors import register_error_handlers
    from backend.storage import Database

    app = Flask(__name__, instance_path=str(INSTANCE_DIR))
    app.config.update(load_config())
    app.config.update(config or {})
    app.json = _JSON(app)
    logging.getLogger("sendwise").setLevel(app.config["LOG_LEVEL"])

    clock.install(app, app.config.get("CLOCK") or clock.default_clock())
    db.init_app(app, Database(app.config["DATABASE_URL"]))
    register_error_handlers(app)
    observability.init_app(app)
    app.register_blueprint(api.bp, url_prefix="/api/v1")
    app.register_blueprint(home.bp)
    app.register_blueprint(addin.bp)
    app.register_blueprint(gmail.bp)
    admin.init_app(app)
    cors.init_app(app)
    ratelimit.init_app(app)
    security_headers.init_app(app, home_styles=(home.STYLE,))
    # Any request, admin uploads included; the API's own cap is MAX_REQUEST_BYTES.
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        from backend.contacts_file import MAX_FILE_BYTES

        app.config["MAX_CONTENT_LENGTH"] = MAX_FILE_BYTES + 1024 * 1024
    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Believe exactly that many hops of X-Forwarded-*: the client address,
        # scheme and host the outermost trusted proxy saw. Demo mode stays
        # safe: auth.is_local refuses any request carrying those headers.
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops)  # type: ignore[method-assign]
    return app
