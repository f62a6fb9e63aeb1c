"""Who is calling: the one place that maps a request to an organisation.

Ways in:
- `Authorization: Bearer sw_…`: an API key (backend/storage/apikeys.py),
  looked up by its hash; unknown or revoked keys get a 401 with the reason.
- Demo mode (`sendwise serve --demo`, which `make run` asks for; served on
  loopback addresses only): a request without credentials from this machine
  (loopback peer, not relayed by a proxy, addressed to a loopback `Host`)
  acts as the demo organisation.
- `Authorization: Bearer <JWT>`: a Microsoft identity platform access token
  for sendwise's API (the Outlook add-in signed in; backend/microsoft_auth.py)
  or a Google ID token for the Gmail add-on's client (backend/gmail_auth.py).
  The tenant or the email's domain names the organisation and the user is
  created on first use (backend/identity.py); a valid token of an
  organisation sendwise does not serve gets 403 `not_set_up`, whose
  message the add-in shows.

Views call `current_caller()`, which resolves the caller once per request.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass

import jwt
from flask import Request, current_app, g, request
from sqlalchemy.orm import Session

from backend import db, gmail_auth, identity, microsoft_auth
from backend.clock import app_clock
from backend.errors import ApiError
from backend.storage import apikeys, queries
from backend.storage.models import Organisation

DEMO_ORG_SLUG = "demo"
# A proxy on the same host would make every outside caller look local.
_PROXY_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP")
# `Host`: a name or IPv4 address, or an IPv6 address in brackets; then a port.
_HOST = re.compile(r"(?:\[(?P<ipv6>[0-9a-f:.]+)\]|(?P<name>[^:\[\]]+))(?::\d{1,5})?")
_GOOGLE_CERTS = "sendwise.google_certs"
_MICROSOFT_KEYS = "sendwise.microsoft_keys"
_BACKFILLS = "sendwise.backfills"


@dataclass(frozen=True)
class Caller:
    org: Organisation
    actor: str  # who to name in audit events
    method: str  # "demo" | "api_key" | "microsoft" | "google"
    api_key_id: int | None = None
    user_id: int | None = None  # the signed-in user (Microsoft or Google)


def current_caller() -> Caller:
    """The caller of the current request, resolved on first use and kept
    on `g`, so every view and helper of one request sees the same one."""
    if "sendwise_caller" not in g:
        g.sendwise_caller = resolve_caller(request, db.session(), demo_mode=current_app.config["DEMO_MODE"])
    return g.sendwise_caller


def resolve_caller(request: Request, session: Session, *, demo_mode: bool) -> Caller:
    """The caller's organisation.

    Raises `ApiError` 401 `unauthorized` (with the reason) for missing,
    malformed or unverifiable credentials, and 503 `demo_not_seeded` when
    demo mode is on but the demo organisation does not exist.
    """
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "unauthorized", "Authorization header must be 'Bearer <token>'")
        return _caller_from_token(token.strip(), session)
    if not demo_mode:
        raise ApiError(401, "unauthorized", "credentials required: send 'Authorization: Bearer <token>'")
    if not is_local(request):
        raise ApiError(401, "unauthorized", "demo mode serves only requests from this machine; send credentials")
    if not addressed_to_loopback(request):
        raise ApiError(
            401,
            "unauthorized",
            "demo mode serves only requests addressed to this machine (Host localhost, 127.0.0.1 or [::1]); "
            "send credentials",
        )
    org = queries.org_by_slug(session, DEMO_ORG_SLUG)
    if org is None:
        raise ApiError(503, "demo_not_seeded", "demo organisation missing: run `sendwise demo seed`")
    return Caller(org=org, actor=f"demo@{request.remote_addr}", method="demo")


def is_local(request: Request) -> bool:
    """True for a loopback peer that did not come through a proxy."""
    if any(h in request.headers for h in _PROXY_HEADERS):
        return False
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_loopback


def addressed_to_loopback(request: Request) -> bool:
    """True when the `Host` header names this machine: localhost or a
    loopback address, with any port. A web page that rebinds its own domain
    to 127.0.0.1 still sends its domain here, and so does a browser reaching
    a forwarder on another address, so neither gets the demo organisation."""
    match = _HOST.fullmatch(request.headers.get("Host", "").strip().lower())
    if match is None:
        return False
    name = match["ipv6"] or match["name"]
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _caller_from_token(token: str, session: Session) -> Caller:
    for matches, verify in _BEARER_VERIFIERS:
        if matches(token):
            return verify(token, session)
    raise ApiError(
        401, "unauthorized", "unrecognised bearer token: expected an API key (sw_…) or a Microsoft/Google token"
    )


def _caller_from_api_key(token: str, session: Session) -> Caller:
    try:
        found = apikeys.verify(session, token)
    except apikeys.KeyRejected as exc:
        raise ApiError(401, "unauthorized", str(exc)) from None
    if apikeys.touch(session, found.key, app_clock().now()):
        session.commit()  # nothing else is pending this early in a request
    return Caller(org=found.org, actor=f"apikey:{found.key.prefix}", method="api_key", api_key_id=found.key.id)


def _looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2 and token.startswith("eyJ")


def _caller_from_identity_token(token: str, session: Session) -> Caller:
    try:
        # Only to choose the verifier; each verifier checks the signature.
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise ApiError(401, "unauthorized", "bearer token is not a readable JWT") from None
    now = app_clock().now()
    verify = _google_member if unverified.get("iss") in gmail_auth.ISSUERS else _microsoft_member
    # Commits the user created on first use; nothing else is pending this early.
    member = identity.committed(session, lambda: verify(token, session, now))
    if member.org is None or member.user is None:
        raise ApiError(403, "not_set_up", member.refusal)
    if member.method == "microsoft":
        _backfill_on_sign_in(member.org, member.email, token)
    return Caller(org=member.org, actor=f"{member.method}:{member.email}", method=member.method, user_id=member.user.id)


def _microsoft_member(token: str, session: Session, now) -> identity.Member:
    config = current_app.config
    client_id = config.get("MS_CLIENT_ID")
    if not client_id:
        raise ApiError(
            401,
            "unauthorized",
            "Microsoft sign-in is not configured on this server (SENDWISE_MS_CLIENT_ID); use an API key",
        )
    audiences = [config.get("MS_AUDIENCE") or f"api://{client_id}", client_id]
    try:
        claims = microsoft_auth.verify_access_token(token, keys=microsoft_keys(), audiences=audiences, now=now)
    except microsoft_auth.KeysUnavailable as exc:
        raise ApiError(503, "identity_provider_unavailable", str(exc)) from None
    except microsoft_auth.TokenRejected as exc:
        raise ApiError(401, "unauthorized", f"Microsoft access token rejected: {exc}") from None
    return identity.microsoft_member(session, claims, now)


def _google_member(token: str, session: Session, now) -> identity.Member:
    client_id = current_app.config.get("GMAIL_CLIENT_ID")
    if not client_id:
        raise ApiError(
            401,
            "unauthorized",
            "Google sign-in is not configured on this server (SENDWISE_GMAIL_CLIENT_ID); use an API key",
        )
    try:
        claims = gmail_auth.verify_id_token(token, certs=google_certs(), audiences=[client_id], now=now)
    except gmail_auth.CertsUnavailable as exc:
        raise ApiError(503, "google_certs_unavailable", str(exc)) from None
    except gmail_auth.TokenRejected as exc:
        raise ApiError(401, "unauthorized", f"Google ID token rejected: {exc}") from None
    return identity.google_member(session, claims, now)


def _backfill_on_sign_in(org: Organisation, email: str, token: str) -> None:
    """Read the user's Sent Items in the background: on the first sign-in,
    then now and again (backend/backfill.py). Needs the app's secret for
    the on-behalf-of exchange; without it there is simply no backfill."""
    runner = current_app.extensions.get(_BACKFILLS)
    if runner is None:
        from backend import backfill  # msal and requests only where they are used

        settings = backfill.Settings.from_config(current_app.config)
        if settings is None or not current_app.config.get("MS_BACKFILL", True):
            return
        runner = current_app.extensions.setdefault(
            _BACKFILLS, backfill.Backfills(current_app.extensions["sendwise.db"], settings, app_clock())
        )
    if org.microsoft_tenant:
        runner.on_sign_in(org.id, org.microsoft_tenant, email, token)


def microsoft_keys() -> microsoft_auth.MicrosoftKeys:
    """The app's cache of the identity platform's metadata and keys."""
    url = current_app.config.get("MS_OPENID_CONFIG_URL") or microsoft_auth.DEFAULT_OPENID_CONFIG_URL
    cached = current_app.extensions.get(_MICROSOFT_KEYS)
    if cached is None or cached.url != url:
        cached = current_app.extensions[_MICROSOFT_KEYS] = microsoft_auth.MicrosoftKeys(url)
    return cached


def google_certs() -> gmail_auth.GoogleCerts:
    """The app's cache of Google's certificates (the API and the Gmail add-on share it)."""
    url = current_app.config["GOOGLE_CERTS_URL"]
    cached = current_app.extensions.get(_GOOGLE_CERTS)
    if cached is None or cached.url != url:
        cached = current_app.extensions[_GOOGLE_CERTS] = gmail_auth.GoogleCerts(url)
    return cached


# (does this token look like mine?, verify it) — first match wins.
_BEARER_VERIFIERS: list[tuple[Callable[[str], bool], Callable[[str, Session], Caller]]] = [
    (apikeys.looks_like_key, _caller_from_api_key),
    (_looks_like_jwt, _caller_from_identity_token),
]
