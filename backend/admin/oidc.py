"""Signing in to the admin page with Microsoft or Google (OpenID Connect),
off unless configured.

Authlib runs the authorization code flow (state, nonce, PKCE, the token
request, the ID token's signature against the provider's published keys,
its audience and expiry). It signs in an account that already exists:
the provider vouches for the address, the organisation's administrators
decide who has an account. The address must be verified by the provider
and belong to one of the organisation's mail domains, so an identity from
some other tenant or a consumer account cannot take over an account.

Configured from the environment (backend/config.py, `SENDWISE_OIDC_*`).
Microsoft's default metadata is the work-and-school accounts' multi-tenant
document, whose issuer holds `{tenantid}`: each token's issuer is checked
against it with the token's own `tid`. The redirect URI to register with
the provider is `<server>/admin/sign-in/<provider>/callback`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app

log = logging.getLogger("sendwise")


@dataclass(frozen=True)
class Provider:
    name: str
    label: str


PROVIDERS = {"microsoft": Provider("microsoft", "Microsoft"), "google": Provider("google", "Google")}
TIMEOUT_SECONDS = 10  # every call to the provider: metadata, keys, token


class SignInFailed(Exception):
    """The provider's answer does not sign anyone in; `str()` says why."""


def init_app(app: Flask) -> None:
    oauth = OAuth(app)
    for name, conf in (app.config.get("OIDC") or {}).items():
        oauth.register(
            name,
            client_id=conf["client_id"],
            client_secret=conf["client_secret"],
            server_metadata_url=conf["metadata_url"],
            client_kwargs={
                "scope": "openid email profile",
                "code_challenge_method": "S256",
                "timeout": TIMEOUT_SECONDS,
            },
        )
    app.extensions["sendwise_oidc"] = oauth


def configured() -> list[Provider]:
    """The providers this server offers, for the sign-in page."""
    return [PROVIDERS[name] for name in current_app.config.get("OIDC") or {} if name in PROVIDERS]


def client(name: str) -> Any:
    """The Authlib client of provider `name`, or None if it is not configured."""
    if name not in (current_app.config.get("OIDC") or {}):
        return None
    return current_app.extensions["sendwise_oidc"].create_client(name)


def verified_email(name: str) -> str:
    """Finish the flow on the provider's redirect back: the address the
    provider vouches for. Raises `SignInFailed`."""
    remote = client(name)
    try:
        token = remote.authorize_access_token(claims_options=_claims_options(name, remote))
    except OAuthError as exc:
        raise SignInFailed(exc.description or exc.error or "refused") from None
    except Exception as exc:  # network, a malformed answer, a bad signature or claim: all refuse the sign-in
        log.warning("sign-in with %s failed: %s", name, type(exc).__name__)
        # Authlib's and joserfc's descriptions name the claim, never its value.
        raise SignInFailed(getattr(exc, "description", None) or type(exc).__name__) from None
    claims = token.get("userinfo")
    if not claims:
        raise SignInFailed("no ID token")
    if name == "google":
        if claims.get("email_verified") is not True or not claims.get("email"):
            raise SignInFailed("the address is not verified by Google")
        return str(claims["email"]).strip().lower()
    # Microsoft: `email` is optional and not always verified; the sign-in
    # name of a work account is an address in a domain its tenant verified.
    email = claims.get("preferred_username") or ""
    if "@" not in email:
        raise SignInFailed("no address in the token")
    return str(email).strip().lower()


def _claims_options(name: str, remote: Any) -> dict[str, Any]:
    issuer = remote.load_server_metadata().get("issuer", "")
    if "{tenantid}" not in issuer:
        return {"iss": {"essential": True, "value": issuer}}

    def from_the_tokens_tenant(claims: Any, value: Any) -> bool:
        tenant = claims.get("tid")
        return isinstance(tenant, str) and bool(tenant) and value == issuer.replace("{tenantid}", tenant)

    return {"iss": {"essential": True, "validate": from_the_tokens_tenant}}
