"""Google's OAuth token endpoint and the Gmail API, played on loopback: a
service account key made here, whose signed assertions the token endpoint
checks (signature, audience, scope, the delegated user), and SENT messages
listed newest first and fetched with format=full, throttled on request."""

from __future__ import annotations

import base64
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.stand_in import JsonHandler, loopback_server

SCOPE = "https://www.googleapis.com/auth/gmail.readonly"
GOOGLE_TOKEN_AUD = "https://oauth2.googleapis.com/token"


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def gmail_message(number: int, sender: str, to: list[str], sent_at: datetime, text: str, subject: str) -> dict:
    """A SENT message as users.messages.get(format=full) returns it: text and HTML alternatives."""
    headers = [
        {"name": "From", "value": f"{sender.split('@')[0].title()} <{sender}>"},
        {"name": "To", "value": ", ".join(to)},
        {"name": "Subject", "value": subject},
        {"name": "Date", "value": format_datetime(sent_at)},
        {"name": "Message-ID", "value": f"<CA{number:06d}@mail.gmail.com>"},
    ]
    html = "<div>" + text.replace("\n", "<br>") + "</div>"
    return {
        "id": f"18c{number:013x}",
        "threadId": f"18c{number:013x}",
        "labelIds": ["SENT"],
        "internalDate": str(int(sent_at.timestamp() * 1000)),
        "payload": {
            "mimeType": "multipart/alternative",
            "headers": headers,
            "body": {"size": 0},
            "parts": [
                {"partId": "0", "mimeType": "text/plain", "filename": "", "body": {"data": _b64(text)}},
                {"partId": "1", "mimeType": "text/html", "filename": "", "body": {"data": _b64(html)}},
            ],
        },
    }


@dataclass
class GoogleState:
    base: str = ""
    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    client_email: str = "sendwise-backfill@acme-project.iam.gserviceaccount.com"
    delegated: set[str] = field(default_factory=set)  # users the domain's admin delegated to the account
    mailboxes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    throttle_every: int = 0
    tokens: dict[str, str] = field(default_factory=dict)  # access token -> the user it acts as
    requests: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def token_uri(self) -> str:
        return f"{self.base}/token"

    def service_account_info(self) -> dict[str, Any]:
        pem = self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        return {
            "type": "service_account",
            "project_id": "acme-project",
            "private_key_id": "k1",
            "private_key": pem,
            "client_email": self.client_email,
            "client_id": "104857600000000000001",
            "token_uri": self.token_uri,
        }


@contextmanager
def google_service() -> Iterator[GoogleState]:
    state = GoogleState()

    class Handler(JsonHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in separate writes

        def do_POST(self):
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode()).items()}
            if urlsplit(self.path).path != "/token":
                return self._json(404, {"error": "not_found"})
            try:
                # google-auth addresses the assertion to Google's token endpoint, whatever token_uri says.
                claims = jwt.decode(
                    form.get("assertion", ""), state.key.public_key(), algorithms=["RS256"], audience=GOOGLE_TOKEN_AUD
                )
            except jwt.PyJWTError:
                return self._json(400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."})
            if claims.get("iss") != state.client_email or SCOPE not in str(claims.get("scope", "")).split():
                return self._json(400, {"error": "invalid_scope", "error_description": "Invalid OAuth scope."})
            user = str(claims.get("sub", "")).lower()
            if user not in state.delegated:
                return self._json(
                    401,
                    {
                        "error": "unauthorized_client",
                        "error_description": "Client is unauthorized to retrieve access tokens using this method.",
                    },
                )
            access = uuid.uuid4().hex
            with state.lock:
                state.tokens[access] = user
            return self._json(200, {"access_token": access, "expires_in": 3599, "token_type": "Bearer"})

        def do_GET(self):
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            parts = [unquote(p) for p in url.path.strip("/").split("/")]
            with state.lock:
                state.requests.append(url.path)
                if state.throttle_every and len(state.requests) % state.throttle_every == 0:
                    return self._json(
                        429, {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED"}}, {"Retry-After": "1"}
                    )
                user = state.tokens.get(self.headers.get("Authorization", "").removeprefix("Bearer "))
            if parts[:3] != ["gmail", "v1", "users"] or len(parts) < 5 or parts[4] != "messages":
                return self._json(404, {"error": {"code": 404, "status": "NOT_FOUND"}})
            if user is None or parts[3].lower() not in (user, "me"):
                return self._json(401, {"error": {"code": 401, "status": "UNAUTHENTICATED"}})
            items = sorted(state.mailboxes.get(user, []), key=lambda m: -int(m["internalDate"]))
            if len(parts) == 6:
                found = [m for m in items if m["id"] == parts[5]]
                return self._json(200, found[0]) if found else self._json(404, {"error": {"code": 404}})
            after = int(query.get("q", "after:0").split(":")[1]) * 1000
            listed = [{"id": m["id"], "threadId": m["threadId"]} for m in items if int(m["internalDate"]) > after]
            if query.get("labelIds") != "SENT":
                listed = []
            size, start = int(query.get("maxResults", "100")), int(query.get("pageToken", "0"))
            body: dict[str, Any] = {"messages": listed[start : start + size], "resultSizeEstimate": len(listed)}
            if start + size < len(listed):
                body["nextPageToken"] = str(start + size)
            return self._json(200, body)

    with loopback_server(Handler) as state.base:
        yield state
