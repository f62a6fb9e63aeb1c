"""Google-signed ID tokens: is this request from Google, and for which user?

An HTTP Workspace add-on is called by Google with `Authorization: Bearer
<ID token>`, signed by Google for the add-on's per-project service
account (`service-<number>@gcp-sa-gsuiteaddons.iam.gserviceaccount.com`).
The event also carries the user's own ID token
(`authorizationEventObject.userIdToken`), which says who the user is.

Both are checked the same way: an RS256 signature by one of Google's
certificates (fetched from `certs_url`, `SENDWISE_GOOGLE_CERTS_URL`, and
kept for an hour; fetched again when a token names a key not seen yet),
Google as issuer, the expected audience, and the time window `iat`..`exp`
against the app's clock. Then the system token must name the configured
service account, and the user token a verified email address.

google-auth does the cryptography (`google.auth.crypt.verify_signature`);
the claims are checked here so that "now" is the app's injected clock.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from google.auth import crypt

GOOGLE_CERTS_URL = "https://www.googleapis.com/oauth2/v1/certs"
ISSUERS = ("accounts.google.com", "https://accounts.google.com")
CLOCK_SKEW_SECONDS = 30
CERTS_TTL_SECONDS = 3600
REFETCH_AFTER_SECONDS = 60  # an unknown key id fetches again, at most this often
MAX_TOKEN_CHARS = 20_000


class TokenRejected(Exception):
    """The token is not a valid Google ID token for us; `str()` says why."""


class CertsUnavailable(TokenRejected):
    """Google's certificates could not be fetched."""


@dataclass(frozen=True)
class Claims:
    email: str
    subject: str
    audience: str
    raw: dict[str, Any]


Fetch = Callable[[str], bytes]


def _urllib_fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


class GoogleCerts:
    """Google's signing certificates ({key id: PEM}), cached per URL."""

    def __init__(self, url: str = GOOGLE_CERTS_URL, fetch: Fetch = _urllib_fetch):
        self.url = url
        self._fetch = fetch
        self._lock = threading.Lock()
        self._certs: dict[str, str] = {}
        self._fetched_at = -1e18

    def get(self, key_id: str) -> str | None:
        with self._lock:
            age = time.monotonic() - self._fetched_at
            if age > CERTS_TTL_SECONDS or (key_id not in self._certs and age > REFETCH_AFTER_SECONDS):
                self._refresh()
            return self._certs.get(key_id)

    def _refresh(self) -> None:
        try:
            data = json.loads(self._fetch(self.url))
        except (OSError, urllib.error.URLError, ValueError) as exc:
            raise CertsUnavailable(f"Google's certificates could not be fetched ({type(exc).__name__})") from None
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise CertsUnavailable("Google's certificates URL did not return {key id: certificate}")
        self._certs = data
        self._fetched_at = time.monotonic()


def verify_id_token(token: str, *, certs: GoogleCerts, audiences: Iterable[str], now: datetime) -> Claims:
    """The claims of a valid Google ID token addressed to one of `audiences`."""
    if len(token) > MAX_TOKEN_CHARS:
        raise TokenRejected("token is too long")
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenRejected("not a JWT (expected three dot-separated parts)")
    header = _json_part(parts[0], "header")
    payload = _json_part(parts[1], "payload")
    if header.get("alg") != "RS256":
        raise TokenRejected(f"unexpected signing algorithm {header.get('alg')!r}; Google signs with RS256")
    key_id = header.get("kid")
    if not isinstance(key_id, str):
        raise TokenRejected("token names no signing key (kid)")
    cert = certs.get(key_id)
    if cert is None:
        raise TokenRejected("token is signed with a key that is not among Google's certificates")
    try:
        signature = _b64decode(parts[2])
        valid = crypt.verify_signature(f"{parts[0]}.{parts[1]}".encode("ascii"), signature, cert)
    except (ValueError, TypeError, binascii.Error):
        valid = False
    if not valid:
        raise TokenRejected("signature does not verify against Google's certificate")
    if payload.get("iss") not in ISSUERS:
        raise TokenRejected(f"issuer {payload.get('iss')!r} is not Google")
    wanted = [a for a in audiences if a]
    if payload.get("aud") not in wanted:
        raise TokenRejected(f"token is for audience {payload.get('aud')!r}, not this add-on")
    _check_time(payload, now)
    email = payload.get("email")
    if not isinstance(email, str) or not email:
        raise TokenRejected("token carries no email address")
    if payload.get("email_verified") is not True:
        raise TokenRejected("token's email address is not verified")
    return Claims(email=email.lower(), subject=str(payload.get("sub", "")), audience=payload["aud"], raw=payload)


def _check_time(payload: dict[str, Any], now: datetime) -> None:
    at = now.timestamp()
    exp, iat = payload.get("exp"), payload.get("iat")
    if not isinstance(exp, int | float) or not isinstance(iat, int | float):
        raise TokenRejected("token lacks its issue or expiry time")
    if at > exp + CLOCK_SKEW_SECONDS:
        raise TokenRejected("token has expired")
    if iat > at + CLOCK_SKEW_SECONDS:
        raise TokenRejected("token is issued in the future")


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _json_part(part: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(_b64decode(part))
    except (ValueError, binascii.Error):
        raise TokenRejected(f"token {what} is not base64url JSON") from None
    if not isinstance(value, dict):
        raise TokenRejected(f"token {what} is not a JSON object")
    return value
