"""The Gmail add-on's HTTP endpoints (a Google Workspace add-on on an HTTP
runtime). Cards and event parsing live in `gmail_addon`; this module
verifies the caller, finds the user's organisation, runs the analysis and
returns the cards.

    POST /gmail/homepage        homepage trigger: what sendwise does, for whom
    POST /gmail/compose         compose trigger (draftAccess METADATA): recipient checks
    POST /gmail/contextual      an opened message: what the CRM knows about its sender
    POST /gmail/actions/<name>  check_draft | check_pasted | insert

Who may call: Google, with `Authorization: Bearer <ID token>` for the
add-on's service account (backend/gmail_auth.py); the user is the one
named by the verified `userIdToken` in the event, and the organisation the
one that lists the user's email domain. An unknown domain gets a card that
says sendwise is not set up for it. In demo mode (as for the API) a
loopback request without a token acts as a user of the demo organisation,
so the cards can be tried with curl.

Errors: 401 `unauthorized` with the reason for anything but a valid token;
400 for a body that is not an add-on event; 503 when the add-on is not
configured (audience, service account, client id) or the engine is down.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import select

from backend import analysis, db, identity
from backend.adapters.gmail_event import to_request
from backend.addin import public_base
from backend.auth import DEMO_ORG_SLUG, addressed_to_loopback, google_certs, is_local
from backend.clock import app_clock
from backend.connectors import gmail_api
from backend.errors import ApiError, BadRequest
from backend.gmail_auth import CertsUnavailable, TokenRejected, verify_id_token
from backend.storage import queries
from backend.storage.models import Organisation, User
from gmail_addon import cards, responses
from gmail_addon.event import AddonEvent, EventError, parse_event
from gmail_addon.text import t

log = logging.getLogger("sendwise")
bp = Blueprint("gmail", __name__, url_prefix="/gmail")
ACTIONS = ("check_draft", "check_pasted", "insert")


@dataclass(frozen=True)
class GmailUser:
    email: str
    org: Organisation | None
    method: str  # "google" | "demo"

    @property
    def domain(self) -> str:
        return self.email.rpartition("@")[2]


@bp.post("/homepage")
def homepage():
    event, user = _event_and_user()
    if user.org is None:
        return jsonify(responses.push_card(cards.not_set_up_card(locale=event.locale, domain=user.domain)))
    return jsonify(responses.push_card(cards.homepage_card(locale=event.locale, org_name=user.org.name)))


@bp.post("/compose")
def compose():
    event, user = _event_and_user()
    if user.org is None:
        return jsonify(responses.push_card(cards.not_set_up_card(locale=event.locale, domain=user.domain)))
    draft = cards.Draft(event.to, event.cc, event.bcc)
    return jsonify(responses.push_card(_compose_card(event, user, draft, source="recipients")))


@bp.post("/contextual")
def contextual():
    event, user = _event_and_user()
    if user.org is None:
        return jsonify(responses.push_card(cards.not_set_up_card(locale=event.locale, domain=user.domain)))
    sender = _opened_message_sender(event, user)
    if sender is None or sender.lower() == user.email:
        return jsonify(responses.push_card(cards.contextual_card(None, locale=event.locale, sender=None)))
    report = _analyze(
        to_request(sender=user.email, draft=cards.Draft(to=(sender,)), locale=event.locale, is_reply=True), user
    )
    return jsonify(responses.push_card(cards.contextual_card(report, locale=event.locale, sender=sender)))


@bp.post("/actions/<name>")
def action(name: str):
    event, user = _event_and_user()  # credentials first: an anonymous caller learns nothing, not even the names
    if name not in ACTIONS:
        raise ApiError(404, "not_found", f"no such add-on action; expected one of {', '.join(ACTIONS)}")
    if user.org is None:
        return jsonify(responses.update_card(cards.not_set_up_card(locale=event.locale, domain=user.domain)))
    draft = cards.Draft(event.to, event.cc, event.bcc) if event.has_recipients else None
    draft = draft or cards.Draft.from_parameters(event.parameters)
    if name == "insert":
        return jsonify(_insert(event, user))
    if name == "check_pasted":
        text = event.form_text("draft_text")
        if text is None:
            return jsonify(responses.notification(t(event.locale, "draft.paste_empty")))
        found = gmail_api.DraftText(body=text)
        return jsonify(responses.update_card(_compose_card(event, user, draft, source="pasted", text=found)))
    return jsonify(_check_draft(event, user, draft))


# --- actions ---------------------------------------------------------------


def _check_draft(event: AddonEvent, user: GmailUser, draft: cards.Draft) -> dict:
    actions = _actions()
    if not event.user_oauth_token:
        paste = cards.paste_card(
            locale=event.locale, actions=actions, draft=draft, reason_key="draft.error", reason="no Gmail access"
        )
        return responses.update_card(paste)
    try:
        gmail = gmail_api.connect(event.user_oauth_token, access_token=event.gmail_access_token, http=_gmail_http())
        found = gmail_api.find_draft(gmail, thread_id=event.thread_id, recipients={*draft.to, *draft.cc, *draft.bcc})
    except gmail_api.GmailUnavailable as exc:
        key = "draft.expired" if exc.expired else "draft.error"
        log.info("gmail: draft not read: %s", exc)
        paste = cards.paste_card(locale=event.locale, actions=actions, draft=draft, reason_key=key, reason=str(exc))
        return responses.update_card(paste)
    if found is None:
        paste = cards.paste_card(locale=event.locale, actions=actions, draft=draft, reason_key="draft.not_found")
        return responses.update_card(paste)
    return responses.update_card(_compose_card(event, user, draft, source="draft", text=found))


def _insert(event: AddonEvent, user: GmailUser) -> dict:
    kind = event.parameters.get("kind")
    assert user.org is not None
    if kind == "line":
        line = (event.parameters.get("text") or "").strip()
        if not line or len(line) > cards.MAX_LINE:
            raise BadRequest(f"'text' must be 1 to {cards.MAX_LINE} characters")
        return responses.insert_into_draft(line + "\n", "IN_PLACE_INSERT")
    if kind == "opt_out":
        return responses.insert_into_draft("\n" + t(event.locale, "opt_out_line") + "\n", "INSERT_AT_END")
    if kind == "postal":
        if not user.org.postal_address:
            return responses.notification(t(event.locale, "fix.postal"))
        return responses.insert_into_draft("\n" + user.org.postal_address + "\n", "INSERT_AT_END")
    raise BadRequest("parameter 'kind' must be line, opt_out or postal")


# --- helpers -----------------------------------------------------------------


def _compose_card(
    event: AddonEvent,
    user: GmailUser,
    draft: cards.Draft,
    *,
    source: str,
    text: gmail_api.DraftText | None = None,
) -> dict:
    assert user.org is not None
    if draft.empty:
        report: dict[str, Any] = {"verdict": "ok", "findings": [], "recipients": []}
    else:
        report = _analyze(to_request(sender=user.email, draft=draft, locale=event.locale, text=text), user)
    return cards.compose_card(
        report,
        locale=event.locale,
        actions=_actions(),
        draft=draft,
        source=source,
        postal_address=user.org.postal_address,
    )


def _analyze(analysis_request: dict, user: GmailUser) -> dict:
    try:
        return analysis.analyze(analysis_request, now=app_clock().now(), session=db.session(), org=user.org)
    except analysis.EngineUnavailable as exc:
        raise ApiError(503, "engine_unavailable", str(exc)) from None


def _actions() -> cards.Actions:
    return cards.Actions(f"{public_base()}/gmail/actions")


def _gmail_http() -> Any:
    """A transport for the Gmail client: tests set GMAIL_HTTP (a callable)."""
    factory = current_app.config.get("GMAIL_HTTP")
    return factory() if factory else None


def _opened_message_sender(event: AddonEvent, user: GmailUser) -> str | None:
    if user.method == "demo" and not event.user_oauth_token:
        # Demo without Google: the sender to look up may be given directly.
        return (event.parameters.get("sender") or "").strip().lower() or None
    if not event.message_id or not event.user_oauth_token:
        return None
    try:
        gmail = gmail_api.connect(event.user_oauth_token, access_token=event.gmail_access_token, http=_gmail_http())
        return gmail_api.message_sender(gmail, event.message_id)
    except gmail_api.GmailUnavailable as exc:
        log.info("gmail: opened message not read: %s", exc)
        return None


def _event_and_user() -> tuple[AddonEvent, GmailUser]:
    """The verified caller, then the event, then the user it names."""
    header = request.headers.get("Authorization")
    demo = header is None and _demo_allowed()
    if not demo:
        _verify_google(header)
    event = _read_event()
    if demo:
        return event, _demo_user()
    return event, _verified_user(event)


def _demo_allowed() -> bool:
    return bool(current_app.config["DEMO_MODE"]) and is_local(request) and addressed_to_loopback(request)


def _demo_user() -> GmailUser:
    session = db.session()
    org = queries.org_by_slug(session, DEMO_ORG_SLUG)
    if org is None:
        raise ApiError(503, "demo_not_seeded", "demo organisation missing: run `sendwise demo seed`")
    first = session.scalar(select(User.email).where(User.org_id == org.id).order_by(User.id).limit(1))
    email = first or f"demo@{(org.domains or ['demo.invalid'])[0]}"
    return GmailUser(email=email.lower(), org=org, method="demo")


def _config(key: str, variable: str) -> str:
    value = current_app.config.get(key)
    if not value:
        raise ApiError(503, "gmail_not_configured", f"the Gmail add-on is not configured: set {variable}")
    return value


def _verify_google(header: str | None) -> None:
    if header is None:
        raise ApiError(401, "unauthorized", "Google ID token required: 'Authorization: Bearer <token>'")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "Authorization header must be 'Bearer <Google ID token>'")
    audience = _config("GMAIL_AUDIENCE", "SENDWISE_GMAIL_AUDIENCE")
    account = _config("GMAIL_SERVICE_ACCOUNT", "SENDWISE_GMAIL_SERVICE_ACCOUNT")
    # Google addresses the token to the URL it calls: the base, or the base and this endpoint's path.
    audiences = [audience, audience + request.path]
    try:
        claims = verify_id_token(token.strip(), certs=google_certs(), audiences=audiences, now=app_clock().now())
    except CertsUnavailable as exc:
        raise ApiError(503, "google_certs_unavailable", str(exc)) from None
    except TokenRejected as exc:
        raise ApiError(401, "unauthorized", f"Google ID token rejected: {exc}") from None
    if claims.email != account:
        raise ApiError(401, "unauthorized", "Google ID token is not for this add-on's service account")


def _read_event() -> AddonEvent:
    limit = current_app.config["MAX_REQUEST_BYTES"]
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(
            413, "request_too_large", f"request body is {request.content_length} bytes; the limit is {limit}"
        )
    data = request.get_data(cache=False)
    if len(data) > limit:
        raise ApiError(413, "request_too_large", f"request body is over the limit of {limit} bytes")
    try:
        payload = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BadRequest("body is not a JSON add-on event", "invalid_json") from None
    try:
        return parse_event(payload)
    except EventError as exc:
        raise BadRequest(f"invalid add-on event: {exc}") from None


def _verified_user(event: AddonEvent) -> GmailUser:
    if not event.user_id_token:
        raise ApiError(401, "unauthorized", "the event carries no user identity (authorizationEventObject.userIdToken)")
    client_id = _config("GMAIL_CLIENT_ID", "SENDWISE_GMAIL_CLIENT_ID")
    try:
        claims = verify_id_token(
            event.user_id_token, certs=google_certs(), audiences=[client_id], now=app_clock().now()
        )
    except CertsUnavailable as exc:
        raise ApiError(503, "google_certs_unavailable", str(exc)) from None
    except TokenRejected as exc:
        raise ApiError(401, "unauthorized", f"user ID token rejected: {exc}") from None
    session = db.session()
    now = app_clock().now()
    member = identity.committed(session, lambda: identity.google_member(session, claims, now))
    return GmailUser(email=member.email, org=member.org, method="google")
