"""Microsoft identity platform access tokens: is this a signed-in Outlook
user of an organisation we serve, and who?

The Outlook add-in gets an access token for sendwise's own API (nested app
authentication or Office SSO) and sends it as `Authorization: Bearer`.
It is checked here:

- signature: RS256 by a key of the identity platform, from the JWKS named
  by the OpenID metadata (`SENDWISE_MS_OPENID_CONFIG_URL`). Metadata and
  keys are kept for an hour; a token naming a key not seen yet fetches
  them again (Microsoft rotates keys without notice), but at most once a
  minute, so tokens with made-up key ids cannot make us hammer the
  identity platform.
- issuer: the metadata's `issuer` with `{tenantid}` replaced by the token's
  own `tid` claim (the multi-tenant metadata names a template, not one
  issuer).
- audience: the API's app ID URI (`SENDWISE_MS_AUDIENCE`) or its client id
  (v2.0 tokens carry the client id).
- scope: `access_as_user` among the delegated scopes (`scp`); an app-only
  token has no user and is refused.
- time: `exp` and `nbf` against the app's clock, with a small skew.

PyJWT does the cryptography and the audience check; time is checked here
so that "now" is the app's injected clock, and the cache's own ages come
from that clock too.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jwt

DEFAULT_OPENID_CONFIG_URL = "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration"
SCOPE = "access_as_user"
CLOCK_SKEW_SECONDS = 60
KEYS_TTL_SECONDS = 3600
REFETCH_AFTER_SECONDS = 60  # an unknown key id fetches again, at most this often
MAX_TOKEN_CHARS = 20_000
TENANT_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class TokenRejected(Exception):
    """Not a valid access token for sendwise; `str()` says why."""


class KeysUnavailable(TokenRejected):
    """The identity platform's metadata or keys could not be fetched."""


@dataclass(frozen=True)
class Claims:
    tenant_id: str
    object_id: str
    email: str
    raw: dict[str, Any]


Fetch = Callable[[str], bytes]


def _urllib_fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


class MicrosoftKeys:
    """The issuer template and signing keys named by one OpenID metadata URL."""

    def __init__(self, openid_config_url: str = DEFAULT_OPENID_CONFIG_URL, fetch: Fetch = _urllib_fetch):
        self.url = openid_config_url
        self._fetch = fetch
        self._lock = threading.Lock()
        self._issuer = ""
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None

    def issuer(self, now: datetime) -> str:
        with self._lock:
            if self._stale(now, missing_key=False):
                self._refresh(now)
            return self._issuer

    def key(self, key_id: str, now: datetime) -> jwt.PyJWK | None:
        with self._lock:
            if self._stale(now, missing_key=key_id not in self._keys):
                self._refresh(now)
            return self._keys.get(key_id)

    def _stale(self, now: datetime, *, missing_key: bool) -> bool:
        if self._fetched_at is None:
            return True
        age = now.timestamp() - self._fetched_at
        # A clock moved backwards counts as stale as well.
        return age < 0 or age > KEYS_TTL_SECONDS or (missing_key and age > REFETCH_AFTER_SECONDS)

    def _refresh(self, now: datetime) -> None:
        metadata = self._json(self.url, "OpenID metadata")
        issuer, jwks_uri = metadata.get("issuer"), metadata.get("jwks_uri")
        if not isinstance(issuer, str) or not isinstance(jwks_uri, str):
            raise KeysUnavailable("the OpenID metadata names no issuer or jwks_uri")
        document = self._json(jwks_uri, "signing keys")
        keys: dict[str, jwt.PyJWK] = {}
        for entry in document.get("keys") or []:
            if not isinstance(entry, dict) or entry.get("kty") != "RSA" or not isinstance(entry.get("kid"), str):
                continue
            if entry.get("use", "sig") != "sig":
                continue
            try:
                keys[entry["kid"]] = jwt.PyJWK(entry, algorithm="RS256")
            except jwt.PyJWTError:
                continue  # one malformed key must not hide the others
        if not keys:
            raise KeysUnavailable("the identity platform's key set holds no usable RSA signing key")
        self._issuer, self._keys, self._fetched_at = issuer, keys, now.timestamp()

    def _json(self, url: str, what: str) -> dict[str, Any]:
        try:
            data = json.loads(self._fetch(url))
        except (OSError, urllib.error.URLError, ValueError) as exc:
            raise KeysUnavailable(
                f"the identity platform's {what} could not be fetched ({type(exc).__name__})"
            ) from None
        if not isinstance(data, dict):
            raise KeysUnavailable(f"the identity platform's {what} is not a JSON object")
        return data


def looks_like_microsoft(payload: dict[str, Any]) -> bool:
    """Unverified peek: a token that names a tenant is Microsoft's to judge."""
    return "tid" in payload


def verify_access_token(token: str, *, keys: MicrosoftKeys, audiences: Iterable[str], now: datetime) -> Claims:
    """The claims of a valid access token for sendwise's API."""
    if len(token) > MAX_TOKEN_CHARS:
        raise TokenRejected("token is too long")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise TokenRejected("not a JWT (expected base64url JSON header, payload and signature)") from None
    if header.get("alg") != "RS256":
        raise TokenRejected(f"unexpected signing algorithm {header.get('alg')!r}; Microsoft signs with RS256")
    key_id = header.get("kid")
    if not isinstance(key_id, str):
        raise TokenRejected("token names no signing key (kid)")
    key = keys.key(key_id, now)
    if key is None:
        raise TokenRejected("token is signed with a key that is not among the identity platform's keys")
    wanted = [a for a in audiences if a]
    try:
        payload = jwt.decode(
            token,
            key=key,
            algorithms=["RS256"],
            audience=wanted,
            # Time is checked below against the app's clock; the issuer
            # depends on the tenant, known only once the signature holds.
            options={"verify_exp": False, "verify_nbf": False, "verify_iat": False, "verify_iss": False},
        )
    except jwt.InvalidAudienceError:
        raise TokenRejected("token is for another application (audience), not sendwise's API") from None
    except jwt.MissingRequiredClaimError as exc:
        raise TokenRejected(f"token lacks the {exc.claim!r} claim") from None
    except jwt.InvalidSignatureError:
        raise TokenRejected("signature does not verify against the identity platform's key") from None
    except jwt.PyJWTError:
        raise TokenRejected("token cannot be decoded") from None
    tenant = payload.get("tid")
    if not isinstance(tenant, str) or not TENANT_ID.match(tenant.lower()):
        raise TokenRejected("token names no tenant (tid)")
    tenant = tenant.lower()
    issuer = keys.issuer(now).replace("{tenantid}", tenant)
    if payload.get("iss") != issuer:
        raise TokenRejected(f"issuer {payload.get('iss')!r} is not the identity platform of tenant {tenant}")
    if SCOPE not in str(payload.get("scp") or "").split():
        raise TokenRejected(f"token does not grant the {SCOPE!r} scope")
    _check_time(payload, now)
    email = next((payload[c] for c in ("preferred_username", "upn", "email") if isinstance(payload.get(c), str)), "")
    if "@" not in email:
        raise TokenRejected("token names no user (preferred_username)")
    return Claims(tenant_id=tenant, object_id=str(payload.get("oid") or ""), email=email.strip().lower(), raw=payload)


def _check_time(payload: dict[str, Any], now: datetime) -> None:
    at = now.timestamp()
    exp, nbf = payload.get("exp"), payload.get("nbf", payload.get("iat"))
    if not isinstance(exp, int | float):
        raise TokenRejected("token has no expiry time")
    if at > exp + CLOCK_SKEW_SECONDS:
        raise TokenRejected("token has expired")
    if isinstance(nbf, int | float) and nbf > at + CLOCK_SKEW_SECONDS:
        raise TokenRejected("token is not valid yet")
