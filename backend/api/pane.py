"""What the add-in's task pane needs besides the report: the explanation
of each finding code (its "Why?"), the caller's organisation (the postal
address its "Add postal address" fix inserts), and how to sign in."""

from __future__ import annotations

from flask import current_app, jsonify, request

from backend import analysis
from backend.api import bp
from backend.auth import current_caller
from backend.errors import ApiError

SUPPORTED_LOCALES = ("en", "zh-CN")


@bp.get("/codes")
def codes():
    """Every finding code with its default severity, title and what/why/
    instead in `?locale=` (en, zh-CN; default en). Public, like health:
    it is the product's documentation, not anyone's data.

    200: `{"locale", "codes": [{"code", "severity", "title", "what", "why", "instead"}]}`.
    400: invalid_request (unknown locale). 503: engine_unavailable.
    """
    locale = request.args.get("locale", "en")
    if locale not in SUPPORTED_LOCALES:
        raise ApiError(400, "invalid_request", f"locale must be one of {', '.join(SUPPORTED_LOCALES)}")
    try:
        nlp = analysis.engine()
    except analysis.EngineUnavailable as exc:
        raise ApiError(503, "engine_unavailable", str(exc)) from None
    response = jsonify({"locale": locale, "codes": [nlp.explain(code, locale) for code in nlp.CODES]})
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/org")
def org():
    """The caller's organisation as the add-in shows and uses it.

    200: `{"slug", "name", "domains", "postal_address"}`. 401: unauthorized.
    """
    caller = current_caller()
    o = caller.org
    return jsonify({"slug": o.slug, "name": o.name, "domains": list(o.domains), "postal_address": o.postal_address})


@bp.get("/signin")
def signin():
    """How the add-in gets a Microsoft token for this server, if it can: the
    Entra app's client id and the scope to ask for (nested app
    authentication needs both; Office SSO finds them in the manifest).
    Public, like health: the add-in asks before it has any credential, and
    a client id is not a secret.

    200: `{"microsoft": {"client_id", "scopes", "authority"}}`, or
    `{"microsoft": null}` without an app registration (API keys only).
    """
    client_id = current_app.config.get("MS_CLIENT_ID")
    microsoft = None
    if client_id:
        audience = current_app.config.get("MS_AUDIENCE") or f"api://{client_id}"
        microsoft = {
            "client_id": client_id,
            "scopes": [f"{audience}/access_as_user"],
            "authority": "https://login.microsoftonline.com/organizations",
        }
    response = jsonify({"microsoft": microsoft})
    response.headers["Cache-Control"] = "no-cache"
    return response
