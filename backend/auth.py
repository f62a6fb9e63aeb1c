"""Who is calling: the one function that maps a request to an organisation.

Today there is one way in, demo mode: with `SENDWISE_DEMO=1`, a request from
this machine (loopback, not relayed by a proxy) without credentials acts as
the demo organisation. Everything else needs credentials; the
`Authorization: Bearer <token>` branch is where API keys and Microsoft/Google
identity tokens will be verified.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from flask import Request
from sqlalchemy.orm import Session

from backend.errors import ApiError
from backend.storage import queries
from backend.storage.models import Organisation

DEMO_ORG_SLUG = "demo"
# A proxy on the same host would make every outside caller look local.
_PROXY_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP")


@dataclass(frozen=True)
class Caller:
    org: Organisation
    actor: str  # who to name in audit events
    method: str  # "demo" | "bearer"


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


def _caller_from_token(token: str, session: Session) -> Caller:
    # API keys (hashed, per organisation) and Microsoft/Google ID tokens
    # will be verified here and mapped to their organisation and user.
    raise ApiError(401, "unauthorized", "bearer tokens are not accepted yet: no API keys or identity providers are configured")
