"""The Outlook add-in's files: the built task pane and on-send script under
/addin/, its manifest for this server, and the well-known file that lets
classic Outlook's JavaScript-only runtime call the API.

Built files come from addin/dist (`make run` builds them). Vite gives every
asset a content hash in its name (/addin/assets/...), so those are cached
for a year; the entry points Outlook loads by a fixed URL (the HTML pages,
onsend.js, the manifest, the icons) must be revalidated, or a deployment
would keep running yesterday's code.
"""

from __future__ import annotations

import json
from pathlib import Path

from flask import Blueprint, Response, current_app, redirect, request, send_from_directory

from backend import manifest
from backend.config import PROJECT_ROOT
from backend.errors import ApiError

bp = Blueprint("addin", __name__)

DIST = PROJECT_ROOT / "addin" / "dist"
HASHED_DIR = "assets/"
LONG_CACHE = "public, max-age=31536000, immutable"
# Replaced by this server's address in onsend.js: classic Outlook's runtime
# has no page address to resolve relative URLs against.
ORIGIN_PLACEHOLDER = "__SENDWISE_ORIGIN__"


def public_base() -> str:
    """This server's address as clients reach it: SENDWISE_PUBLIC_URL, else
    the scheme and host of the current request."""
    return current_app.config.get("PUBLIC_URL") or request.host_url.rstrip("/")


def dist_dir() -> Path:
    return Path(current_app.config.get("ADDIN_DIST") or DIST)


@bp.get("/addin/")
@bp.get("/addin")
def index():
    return redirect("/addin/taskpane.html", code=302)


@bp.get("/addin/manifest.xml")
def manifest_xml():
    """The manifest for this server: sideload it, or hand it to the admin centre."""
    config = current_app.config
    body = manifest.render(
        public_base(), microsoft_client_id=config.get("MS_CLIENT_ID"), microsoft_audience=config.get("MS_AUDIENCE")
    )
    response = Response(body, mimetype="application/xml")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/addin/onsend.js")
def onsend_js():
    path = _built_file("onsend.js")
    script = path.read_text(encoding="utf-8").replace(ORIGIN_PLACEHOLDER, public_base())
    response = Response(script, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/addin/<path:name>")
def built_file(name: str):
    path = _built_file(name)
    long_lived = name.startswith(HASHED_DIR)
    response = send_from_directory(path.parent, path.name, max_age=None if long_lived else 0, conditional=True)
    response.headers["Cache-Control"] = LONG_CACHE if long_lived else "no-cache"
    return response


@bp.get("/.well-known/microsoft-officeaddins-allowed.json")
def officeaddins_allowed():
    """Classic Outlook on Windows lets the on-send script call an API only
    when the script's own origin lists it here."""
    body = {"allowed": [f"{public_base()}/addin/onsend.js"]}
    response = Response(json.dumps(body), mimetype="application/json")
    response.headers["Cache-Control"] = "no-cache"
    return response


def _built_file(name: str) -> Path:
    root = dist_dir().resolve()
    path = (root / name).resolve()
    if not path.is_relative_to(root) or name.startswith(".") or "/." in name:
        raise ApiError(404, "not_found", "no such add-in file")
    if not path.is_file():
        if not (root / "taskpane.html").is_file():
            raise ApiError(
                404, "addin_not_built", "the Outlook add-in is not built: run `make run` (npm ci, vite build)"
            )
        raise ApiError(404, "not_found", "no such add-in file")
    return path
