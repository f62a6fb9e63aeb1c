"""Google, played on loopback: RSA keys made here, their certificates
served as Google serves them ({key id: PEM}), ID tokens signed with them,
and add-on events shaped like Google's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from google.auth import crypt
from google.auth import jwt as google_jwt

from tests.conftest import NOW, ORG_DOMAIN
from tests.stand_in import JsonHandler, loopback_server

AUDIENCE = "https://sendwise.example.com"
SERVICE_ACCOUNT = "service-123456789@gcp-sa-gsuiteaddons.iam.gserviceaccount.com"
CLIENT_ID = "123456789-abc.apps.googleusercontent.com"
USER = f"tom.li@{ORG_DOMAIN}"


@dataclass
class Key:
    key_id: str
    private_pem: bytes
    cert_pem: str

    def sign(self, claims: dict[str, Any]) -> str:
        signer = crypt.RSASigner.from_string(self.private_pem, self.key_id)
        return google_jwt.encode(signer, claims).decode("ascii")


def _make_key(key_id: str) -> Key:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test-google-certs")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=3650))
        .sign(private, hashes.SHA256())
    )
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return Key(key_id, pem, cert.public_bytes(serialization.Encoding.PEM).decode("ascii"))


@pytest.fixture(scope="session")
def google_key() -> Key:
    return _make_key("test-key-1")


@pytest.fixture(scope="session")
def forger_key() -> Key:
    """Another key, presenting the same key id as Google's."""
    return _make_key("test-key-1")


@pytest.fixture
def certs_url(google_key) -> Iterator[str]:
    """Google's certificates endpoint, on loopback."""

    class Handler(JsonHandler):
        def do_GET(self):
            self._json(200, {google_key.key_id: google_key.cert_pem})

    with loopback_server(Handler) as base:
        yield f"{base}/oauth2/v1/certs"


def claims(email: str, audience: str, **overrides: Any) -> dict[str, Any]:
    at = int(NOW.timestamp())
    return {
        "iss": "https://accounts.google.com",
        "aud": audience,
        "sub": "1234567890",
        "email": email,
        "email_verified": True,
        "iat": at - 60,
        "exp": at + 3540,
        **overrides,
    }


@pytest.fixture
def gmail_app(make_app, demo_org, certs_url):
    """The app as deployed for Google: demo mode off, the add-on configured."""
    return make_app(
        DEMO_MODE=False,
        GMAIL_AUDIENCE=AUDIENCE,
        GMAIL_SERVICE_ACCOUNT=SERVICE_ACCOUNT,
        GMAIL_CLIENT_ID=CLIENT_ID,
        GOOGLE_CERTS_URL=certs_url,
        PUBLIC_URL=AUDIENCE,
    )


@dataclass
class Google:
    """Sends requests to the app the way Google does."""

    client: Any
    key: Key

    def system_token(self, path: str, **overrides: Any) -> str:
        return self.key.sign(claims(SERVICE_ACCOUNT, AUDIENCE + path, **overrides))

    def user_token(self, email: str = USER, **overrides: Any) -> str:
        return self.key.sign(claims(email, CLIENT_ID, **overrides))

    def post(self, path: str, event: dict, token: str | None = None, user: str = USER):
        event = json.loads(json.dumps(event))
        auth = event.setdefault("authorizationEventObject", {})
        auth.setdefault("userIdToken", self.user_token(user))
        auth.setdefault("userOAuthToken", "ya29.user-oauth-token")
        auth.setdefault("systemIdToken", token or self.system_token(path))
        headers = {"Authorization": f"Bearer {token or self.system_token(path)}"}
        return self.client.post(path, json=event, headers=headers)


@pytest.fixture
def google(gmail_app, google_key) -> Google:
    return Google(gmail_app.test_client(), google_key)


def compose_event(
    to: list[str] = (), cc: list[str] = (), bcc: list[str] = (), locale: str = "en", **gmail: Any
) -> dict[str, Any]:
    return {
        "commonEventObject": {"hostApp": "GMAIL", "platform": "WEB", "userLocale": locale},
        "gmail": {
            "toRecipients": list(to),
            "ccRecipients": list(cc),
            "bccRecipients": list(bcc),
            "accessToken": "gmail-access-token",
            **gmail,
        },
    }


def action_event(parameters: dict[str, str], locale: str = "en", form: dict[str, str] | None = None, **gmail: Any):
    common: dict[str, Any] = {"hostApp": "GMAIL", "userLocale": locale, "parameters": parameters}
    if form:
        common["formInputs"] = {k: {"stringInputs": {"value": [v]}} for k, v in form.items()}
    return {"commonEventObject": common, "gmail": {"accessToken": "gmail-access-token", **gmail}}
