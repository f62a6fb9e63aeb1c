"""An OpenID provider on loopback for the admin page's "Sign in with …":
real HTTP, OpenID metadata, a JWKS with an RSA key made for the test, an
authorization endpoint that consents at once (302 back with a code), and a
token endpoint that checks the client secret and the PKCE verifier and
answers with a signed ID token. Tests change `claims` to forge what a
hostile or misconfigured provider would send.

ID tokens carry the machine's time: Authlib checks their expiry against it,
as OpenSSL checks certificates, whatever clock the app is given.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from contextlib import ExitStack
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey

from tests.stand_in import JsonHandler, loopback_server

CLIENT_ID = "sendwise-admin-test"
CLIENT_SECRET = "test-client-secret"


class Provider:
    def __init__(self, *, tenant_issuer: bool = False) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key"})
        self.signing_key = self.key  # a test swaps in another key to forge a signature
        self.tenant_issuer = tenant_issuer  # Microsoft's multi-tenant metadata: issuer with {tenantid}
        self.claims: dict[str, Any] = {}  # merged into every ID token
        self.codes: dict[str, dict[str, str]] = {}
        self._serving = ExitStack()
        self.base = self._serving.enter_context(loopback_server(self._handler()))

    @property
    def metadata_url(self) -> str:
        return f"{self.base}/.well-known/openid-configuration"

    def issuer(self, tenant: str | None = None) -> str:
        if self.tenant_issuer:
            return f"{self.base}/{tenant or '{tenantid}'}/v2.0"
        return self.base

    def close(self) -> None:
        self._serving.close()

    def consent(self, authorize_url: str) -> str:
        """What the browser does at the provider: the redirect back to the app."""
        parts = urlsplit(authorize_url)
        assert f"{parts.scheme}://{parts.netloc}" == self.base, authorize_url
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        code = secrets.token_urlsafe(16)
        self.codes[code] = query
        return f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"

    def _id_token(self, request: dict[str, str]) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer("3f1e5c2a-tenant"),
            "tid": "3f1e5c2a-tenant",
            "aud": CLIENT_ID,
            "iat": now,
            "nbf": now,
            "exp": now + 600,
            "nonce": request.get("nonce"),
            "sub": "user-123",
        } | self.claims
        return jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, self.signing_key)

    def _handler(self) -> type[JsonHandler]:
        provider = self

        class Handler(JsonHandler):
            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                if path == "/.well-known/openid-configuration":
                    self._json(
                        200,
                        {
                            "issuer": provider.issuer(),
                            "authorization_endpoint": f"{provider.base}/authorize",
                            "token_endpoint": f"{provider.base}/token",
                            "jwks_uri": f"{provider.base}/keys",
                            "id_token_signing_alg_values_supported": ["RS256"],
                            "response_types_supported": ["code"],
                        },
                    )
                elif path == "/keys":
                    self._json(200, {"keys": [provider.key.as_dict(private=False)]})
                else:
                    self._json(404, {"error": "not_found"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                basic = self.headers.get("Authorization", "")
                if basic.startswith("Basic "):
                    client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
                else:
                    client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
                if (client_id, secret) != (CLIENT_ID, CLIENT_SECRET):
                    return self._json(401, {"error": "invalid_client"})
                request = provider.codes.pop(form.get("code", ""), None)
                if request is None or form.get("redirect_uri") != request["redirect_uri"]:
                    return self._json(400, {"error": "invalid_grant"})
                verifier = form.get("code_verifier", "")
                challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                if request.get("code_challenge_method") != "S256" or challenge != request.get("code_challenge"):
                    return self._json(400, {"error": "invalid_grant", "error_description": "PKCE verifier mismatch"})
                self._json(
                    200,
                    {
                        "access_token": secrets.token_urlsafe(16),
                        "token_type": "Bearer",
                        "expires_in": 3600,
                        "id_token": provider._id_token(request),
                    },
                )

        return Handler
