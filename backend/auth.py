"""Who is calling: the one place that maps a request to an organisation.

Ways in:
- `Authorization: Bearer sw_…`: an API key (backend/storage/apikeys.py),
  looked up by its hash; unknown or revoked keys get a 401 with the reason.
- Demo mode (`sendwise serve --demo`, which `make run` asks for; served on
  loopback addresses only): a request without credentials from this machine
  (loopback peer, not relayed by a proxy, addressed to a loopback `Host`)
  acts as the demo organisation.
- Microsoft/Google identity tokens (JWTs) are recognised and refused for now;
  their verifiers go into `_BEARER_VERIFIERS` next to the API key one.

Views call `current_caller()`, which resolves the caller once per request.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass

from flask import Request, current_app, g, request
from sqlalchemy.orm import Session

from backend import db
from backend.clock import app_clock
from backend.errors import ApiError
from backend.storage import apikeys, queries
from backend.storage.models import Organisation

DEMO_ORG_SLUG = "demo"
# A proxy on the same host would make every outside caller look local.
_PROXY_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP")
# `Host`: a name or IPv4 address, or an IPv6 address in brackets; then a port.
_HOST = re.compile(r"(?:\[(?P<ipv6>[0-9a-f:.]+)\]|(?P<name>[^:\[\]]+))(?::\d{1,5})?")


@dataclass(frozen=True)
class Caller:
    org: Organisation
    actor: str  # who to name in audit events
    method: str  # "demo" | "api_key" (later "microsoft" | "google")
    api_key_id: int | None = None


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
    raise ApiError(401, "unauthorized", "unrecognised bearer token: expected an API key (sw_…)")


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


def _refuse_identity_token(token: str, session: Session) -> Caller:
    # Microsoft (msal/JWKS) and Google ID token verification lands here.
    raise ApiError(401, "unauthorized", "identity tokens (Microsoft/Google) are not accepted yet; use an API key")


# (does this token look like mine?, verify it) — first match wins.
_BEARER_VERIFIERS: list[tuple[Callable[[str], bool], Callable[[str, Session], Caller]]] = [
    (apikeys.looks_like_key, _caller_from_api_key),
    (_looks_like_jwt, _refuse_identity_token),
]
