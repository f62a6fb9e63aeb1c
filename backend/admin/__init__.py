"""The admin page at /admin/: server-rendered pages (Jinja) for an
organisation's administrator: dashboard, policy, contacts, audit log.

Accounts are `users` rows with a password hash (`sendwise user create`);
roles admin (may change things) and viewer (may look). The session is
Flask's signed cookie under `SECRET_KEY` (from the environment; `sendwise
serve --demo` makes one up): HttpOnly, SameSite=Lax, Secure unless
`SENDWISE_COOKIE_SECURE=0`, and it expires `SESSION_HOURS` after sign-in
or `IDLE_MINUTES` after the last request. Every POST carries the session's
CSRF token (`csrf_token` form field, or the `X-CSRF-Token` header).
Times come from the app's clock.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from backend import db
from backend.admin import i18n, oidc
from backend.clock import app_clock
from backend.storage.models import Organisation, User

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates", static_folder="static")

SESSION_HOURS = 8
IDLE_MINUTES = 60
OPEN_ENDPOINTS = {
    "admin.sign_in",
    "admin.oidc_start",
    "admin.oidc_callback",
    "admin.static",
    "admin.vendor",
    "admin.language",
}


def init_app(app: Flask) -> None:
    app.config.update(
        SESSION_COOKIE_NAME="sendwise_admin",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=app.config.get("COOKIE_SECURE", True),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS),
    )
    app.register_blueprint(bp)
    oidc.init_app(app)


def _t(msgid: str, **params: Any) -> str:
    text = i18n.gettext(msgid, g.locale)
    return text.format(**params) if params else text


def page(template: str, status: int = 200, **context: Any) -> Response:
    response = Response(render_template(template, **context), status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"
    )
    return response


def refuse(status: int, message: str) -> Response:
    return page("admin/error.html", status, message=message)


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def current_user() -> User | None:
    return g.get("admin_user")


def current_org() -> Organisation:
    return g.admin_org


def actor() -> str:
    user = current_user()
    return f"user:{user.email}" if user else "user:?"


def admin_only(view):
    """Views that change something: admins only (viewers get a 403)."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        user = current_user()
        if user is None or user.role != "admin":
            return refuse(403, _t("Only an administrator can change this."))
        return view(*args, **kwargs)

    return wrapped


@bp.before_request
def _before() -> ResponseReturnValue | None:
    g.locale = i18n.current_locale()
    if not current_app.config.get("SECRET_KEY"):
        return refuse(503, _t("The admin page needs SECRET_KEY in the environment."))
    if request.method == "POST":
        sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
        expected = session.get("csrf") or ""
        if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
            return refuse(400, _t("The form has expired or did not come from this page. Reload it and try again."))
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    user = _session_user(app_clock().now())
    if user is None:
        return redirect(url_for("admin.sign_in", next=request.full_path if request.method == "GET" else None))
    g.admin_user = user
    g.admin_org = db.session().get(Organisation, user.org_id)
    return None


def _session_user(now: datetime) -> User | None:
    uid, signed_in, seen = session.get("uid"), session.get("at"), session.get("seen")
    if uid is None or signed_in is None or seen is None:
        return None
    try:
        signed_in_at, seen_at = datetime.fromisoformat(signed_in), datetime.fromisoformat(seen)
    except (TypeError, ValueError):
        session.clear()
        return None
    if now - signed_in_at > timedelta(hours=SESSION_HOURS) or now - seen_at > timedelta(minutes=IDLE_MINUTES):
        session.clear()
        return None
    user = db.session().get(User, uid)
    # A changed password (or role) ends the sessions begun before it.
    if user is None or user.password_hash is None or session.get("pw") != user.password_hash[-12:]:
        session.clear()
        return None
    session["seen"] = now.isoformat()
    return user


def start_session(user: User, now: datetime) -> None:
    lang = session.get("lang")
    session.clear()  # a fresh session (and CSRF token) at each sign-in
    session.permanent = True
    session.update(uid=user.id, at=now.isoformat(), seen=now.isoformat(), pw=(user.password_hash or "")[-12:])
    if lang:
        session["lang"] = lang


@bp.app_context_processor
def _template_helpers() -> dict[str, Any]:
    if request.blueprint != "admin":
        return {}
    locale = g.get("locale", "en")
    return {
        "_": lambda msgid, **kw: i18n.gettext(msgid, locale).format(**kw) if kw else i18n.gettext(msgid, locale),
        "locale": locale,
        "csrf_token": csrf_token,
        "user": current_user(),
        "org": g.get("admin_org"),
        "fmt_number": lambda v: i18n.number(v, locale),
        "fmt_when": lambda v: i18n.when(v, locale),
        "oidc_providers": oidc.configured,
    }


from backend.admin import views  # noqa: E402,F401 - registers the views on bp
