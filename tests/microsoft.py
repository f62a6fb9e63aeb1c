"""The Microsoft identity platform, played on loopback over real HTTP: OpenID
metadata with the multi-tenant `{tenantid}` issuer template, a JWKS of RSA
keys made here (rotatable), and access tokens signed with them as Entra ID
signs them for an API (v2.0: `aud` the app, `scp`, `tid`, `oid`,
`preferred_username`). Used by the tests and by bench/tokens.py."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tests.stand_in import JsonHandler, loopback_server

CLIENT_ID = "6f1c2a3b-0000-4000-8000-00000000a11d"
AUDIENCE = f"api://{CLIENT_ID}"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
OTHER_TENANT = "0b1c2d3e-4f50-4617-8899-aabbccddeeff"


@dataclass
class SigningKey:
    key_id: str
    private: rsa.RSAPrivateKey = field(repr=False)

    @classmethod
    def new(cls, key_id: str | None = None) -> SigningKey:
        return cls(key_id or uuid.uuid4().hex, rsa.generate_private_key(public_exponent=65537, key_size=2048))

    def jwk(self) -> dict[str, Any]:
        public = RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        return {**public, "kid": self.key_id, "use": "sig"}

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.private, algorithm="RS256", headers={"kid": self.key_id, "typ": "JWT"})


class IdentityPlatform:
    """The stand-in's state: which keys it publishes, and how often it was asked."""

    def __init__(self, base: str, keys: list[SigningKey]):
        self.base = base
        self.keys = list(keys)
        self.key_fetches = 0
        self.metadata_fetches = 0

    @property
    def openid_config_url(self) -> str:
        return f"{self.base}/common/v2.0/.well-known/openid-configuration"

    def issuer(self, tenant: str) -> str:
        return f"{self.base}/{tenant}/v2.0"

    def rotate(self, new: SigningKey) -> None:
        """Publish `new` only, as after a key rollover."""
        self.keys = [new]

    def claims(self, now: datetime, *, tenant: str = TENANT, email: str = "tom.li@contoso.example", **extra: Any):
        at = int(now.timestamp())
        return {
            "aud": CLIENT_ID,
            "iss": self.issuer(tenant),
            "iat": at - 60,
            "nbf": at - 60,
            "exp": at + 3600,
            "tid": tenant,
            "oid": str(uuid.uuid5(uuid.NAMESPACE_URL, email)),
            "sub": uuid.uuid5(uuid.NAMESPACE_DNS, email).hex,
            "preferred_username": email,
            "name": "Tom Li",
            "scp": "access_as_user",
            "azp": "bc59ab01-8403-45c6-8796-ac3ef710b3e3",
            "ver": "2.0",
            **extra,
        }

    def token(self, now: datetime, key: SigningKey | None = None, **claims: Any) -> str:
        return (key or self.keys[0]).sign(self.claims(now, **claims))


@contextmanager
def identity_platform(*keys: SigningKey) -> Iterator[IdentityPlatform]:
    """Serve the metadata and the key set on 127.0.0.1 until the block ends."""
    platform = IdentityPlatform("", list(keys) or [SigningKey.new()])

    class Handler(JsonHandler):
        def do_GET(self):
            if self.path.endswith("/v2.0/.well-known/openid-configuration"):
                platform.metadata_fetches += 1
                body = {
                    "issuer": f"{platform.base}/{{tenantid}}/v2.0",
                    "jwks_uri": f"{platform.base}/common/discovery/v2.0/keys",
                    "authorization_endpoint": f"{platform.base}/common/oauth2/v2.0/authorize",
                    "token_endpoint": f"{platform.base}/common/oauth2/v2.0/token",
                    "id_token_signing_alg_values_supported": ["RS256"],
                }
            elif self.path == "/common/discovery/v2.0/keys":
                platform.key_fetches += 1
                body = {"keys": [k.jwk() for k in platform.keys]}
            else:
                self.send_error(404)
                return
            self._json(200, body)

    with loopback_server(Handler) as platform.base:
        yield platform
