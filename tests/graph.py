"""Microsoft's token endpoint and Graph, played on loopback over TLS (msal
accepts only https authorities): a certificate from a test CA (trustme),
tenant OpenID metadata, the token endpoint for client credentials and the
on-behalf-of exchange, and the Sent Items of a few mailboxes, paged with
@odata.nextLink and throttled with 429 + Retry-After when asked to. Used by
the tests and bench/backfill.py."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import trustme

from tests.stand_in import JsonHandler, loopback_server

SECRET = "test-client-secret"


def message(
    number: int, sender: str, to: list[str], sent_at: datetime, text: str, subject: str = "Price list"
) -> dict[str, Any]:
    """A Sent Items message as Graph returns it with a text body."""
    return {
        "id": f"AAMkAD{number:08d}",
        "internetMessageId": f"<{number}.{uuid.uuid5(uuid.NAMESPACE_OID, sender).hex[:8]}@mail.example>",
        "sentDateTime": sent_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "subject": subject,
        "from": {"emailAddress": {"name": sender.split("@")[0], "address": sender}},
        "toRecipients": [{"emailAddress": {"name": "", "address": a}} for a in to],
        "ccRecipients": [],
        "bccRecipients": [],
        "body": {"contentType": "text", "content": text},
    }


@dataclass
class GraphState:
    base: str = ""
    client_id: str = ""
    mailboxes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    throttle_every: int = 0  # every Nth Graph request answers 429 (0: never)
    retry_after: str = "1"
    requests: list[tuple[float, str]] = field(default_factory=list)  # (monotonic time, path)
    grants: list[str] = field(default_factory=list)  # grant types asked of the token endpoint
    assertions: list[str] = field(default_factory=list)  # user tokens exchanged on behalf of
    tokens: dict[str, str | None] = field(default_factory=dict)  # issued token -> its user's mailbox (None: app)
    lock: threading.Lock = field(default_factory=threading.Lock)
    ca_file: Path = Path()

    @property
    def graph_url(self) -> str:
        return f"{self.base}/v1.0"

    def throttled(self) -> int:
        return sum(1 for _, p in self.requests if p == "429")


@contextmanager
def graph_service(tmp: Path, client_id: str) -> Iterator[GraphState]:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    state = GraphState(client_id=client_id, ca_file=tmp / "test-ca.pem")
    ca.cert_pem.write_to_path(str(state.ca_file))

    class Handler(JsonHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in separate writes

        def do_GET(self):
            import time

            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            parts = url.path.strip("/").split("/")
            if url.path.endswith("/v2.0/.well-known/openid-configuration"):
                tenant = parts[0]
                return self._json(
                    200,
                    {
                        "issuer": f"{state.base}/{tenant}/v2.0",
                        "authorization_endpoint": f"{state.base}/{tenant}/oauth2/v2.0/authorize",
                        "token_endpoint": f"{state.base}/{tenant}/oauth2/v2.0/token",
                        "jwks_uri": f"{state.base}/{tenant}/discovery/v2.0/keys",
                    },
                )
            if parts[0] != "v1.0":
                return self._json(404, {"error": {"code": "NotFound"}})
            with state.lock:
                state.requests.append((time.monotonic(), url.path))
                count = len([p for _, p in state.requests if p != "429"])
                if state.throttle_every and count % state.throttle_every == 0:
                    state.requests.append((time.monotonic(), "429"))
                    return self._json(429, {"error": {"code": "TooManyRequests"}}, {"Retry-After": state.retry_after})
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                if token not in state.tokens:
                    return self._json(401, {"error": {"code": "InvalidAuthenticationToken"}})
                me = state.tokens[token]
            if parts[1:] == ["users"]:
                users = [{"mail": m, "userPrincipalName": m} for m in sorted(state.mailboxes)]
                users.append({"mail": None, "userPrincipalName": "room-1@contoso.example"})  # no mailbox
                return self._page(users, query, url.path)
            if parts[1] == "me" and me is not None:
                mailbox = me
            elif parts[1] == "users" and me is None:
                mailbox = parts[2].lower()
            else:
                return self._json(403, {"error": {"code": "ErrorAccessDenied"}})
            if parts[-3:] != ["mailFolders", "sentitems", "messages"] or mailbox not in state.mailboxes:
                return self._json(404, {"error": {"code": "ErrorItemNotFound"}})
            since = query.get("$filter", "sentDateTime ge 1970-01-01T00:00:00Z").split(" ge ")[1]
            items = sorted(
                (m for m in state.mailboxes[mailbox] if m["sentDateTime"] >= since), key=lambda m: m["sentDateTime"]
            )
            return self._page(items, query, url.path)

        def do_POST(self):
            url = urlsplit(self.path)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode()).items()}
            if not url.path.endswith("/oauth2/v2.0/token"):
                return self._json(404, {"error": "not_found"})
            if form.get("client_id") != state.client_id or form.get("client_secret") != SECRET:
                return self._json(401, {"error": "invalid_client", "error_description": "AADSTS7000215: bad secret"})
            grant = form.get("grant_type", "")
            with state.lock:
                state.grants.append(grant)
                access = uuid.uuid4().hex
                if grant == "client_credentials":
                    state.tokens[access] = None
                elif grant == "urn:ietf:params:oauth:grant-type:jwt-bearer" and form.get("assertion"):
                    state.assertions.append(form["assertion"])
                    claims = jwt.decode(form["assertion"], options={"verify_signature": False})
                    state.tokens[access] = claims["preferred_username"].lower()
                else:
                    return self._json(400, {"error": "unsupported_grant_type"})
            return self._json(200, {"token_type": "Bearer", "expires_in": 3600, "access_token": access})

        def _page(self, items: list[dict[str, Any]], query: dict[str, str], path: str):
            top = int(query.get("$top", "100"))
            skip = int(query.get("$skiptoken", "0"))
            body: dict[str, Any] = {"value": items[skip : skip + top]}
            if skip + top < len(items):
                rest = {k: v for k, v in query.items() if k != "$skiptoken"}
                body["@odata.nextLink"] = f"{state.base}{path}?{urlencode({**rest, '$skiptoken': skip + top})}"
            return self._json(200, body)

    with loopback_server(Handler, cert) as state.base:
        yield state
