"""Sent mail of Google Workspace mailboxes, for `sendwise mailbox backfill
--google`: a service account with domain-wide delegation acts as each user
(`gmail.readonly`) and reads the messages labelled SENT of the last 90 days
through the Gmail API.

`gmail.readonly` is a restricted scope: Google lets an app use it without a
security assessment only inside the Workspace that owns it, so this is for a
Workspace-internal deployment, where the domain's administrator grants the
service account's client id that scope (Admin console → Security → API
controls → Domain-wide delegation).

Gmail lists newest first, and the backfill records oldest first (so its
high-water mark can resume an interrupted run): the ids (a few bytes each)
are listed first, then fetched oldest first, `PAGE_SIZE` at a time, with
`format=full`, whose body is fingerprinted and dropped (backend/backfill.py).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import getaddresses
from pathlib import Path
from typing import Any
from urllib.parse import quote

from google.auth.exceptions import GoogleAuthError
from google.auth.transport.requests import AuthorizedSession
from google.oauth2 import service_account

from backend.backfill import PAGE_SIZE, BackfillError, JsonApi, SentItem, as_draft, message_id

GMAIL_URL = "https://gmail.googleapis.com"
SCOPES = ["https://www.googleapis.com/auth/gmail.readonly"]


def service_account_info(path: str) -> dict[str, Any]:
    """The service account's JSON key (the file Google Cloud gives out)."""
    try:
        info = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackfillError(f"the service account key file cannot be read ({type(exc).__name__})") from None
    if not isinstance(info, dict) or info.get("type") != "service_account":
        raise BackfillError("the key file is not a service account key (type service_account)")
    return info


class Gmail(JsonApi):
    """One user's Gmail, read as that user through domain-wide delegation."""

    name = "Gmail"
    provider = "google"

    def __init__(self, info: dict[str, Any], mailbox: str, base_url: str = GMAIL_URL, **kwargs: Any):
        try:
            credentials = service_account.Credentials.from_service_account_info(info, scopes=SCOPES, subject=mailbox)
        except (ValueError, KeyError, GoogleAuthError) as exc:
            raise BackfillError(f"the service account key is not usable ({type(exc).__name__})") from None
        super().__init__(base_url, None, AuthorizedSession(credentials), **kwargs)

    def _get(self, url: str, params: dict[str, str] | None, headers: dict[str, str]) -> dict[str, Any]:
        try:
            return super()._get(url, params, headers)
        except GoogleAuthError as exc:
            # The token exchange: e.g. unauthorized_client when delegation is not granted.
            raise BackfillError(f"no Gmail token for the mailbox ({_reason(exc)})") from None

    def sent_items(self, mailbox: str | None, since: datetime) -> Iterator[list[SentItem]]:
        if mailbox is None:
            raise BackfillError("a Gmail backfill reads a named mailbox")
        base = f"{self.base_url}/gmail/v1/users/{quote(mailbox, safe='@')}/messages"
        ids: list[str] = []
        params: dict[str, str] = {
            "labelIds": "SENT",
            "q": f"after:{int(since.timestamp())}",
            "maxResults": "500",
            "includeSpamTrash": "false",
        }
        while True:
            data = self._get(base, params, {})
            ids += [m["id"] for m in data.get("messages") or [] if isinstance(m, dict) and isinstance(m.get("id"), str)]
            token = data.get("nextPageToken")
            if not isinstance(token, str) or not token:
                break
            params = {**params, "pageToken": token}
        ids.reverse()  # oldest first
        for start in range(0, len(ids), PAGE_SIZE):
            page = []
            for gmail_id in ids[start : start + PAGE_SIZE]:
                item = _gmail_item(self._get(f"{base}/{quote(gmail_id)}", {"format": "full"}, {}))
                if item.sent_at is None or item.sent_at >= since:  # `after:` is by day in some cases
                    page.append(item)
            yield sorted(page, key=lambda i: i.sent_at or since)


def _reason(exc: Exception) -> str:
    text = str(exc.args[0]) if exc.args else type(exc).__name__
    return text.split(":")[0][:80]


def _gmail_item(message: dict[str, Any]) -> SentItem:
    payload = message.get("payload") if isinstance(message.get("payload"), dict) else {}
    assert isinstance(payload, dict)
    headers = {
        str(h.get("name", "")).lower(): str(h.get("value", ""))
        for h in payload.get("headers") or []
        if isinstance(h, dict)
    }
    sender = _addresses(headers.get("from", ""))
    recipients = {field: _addresses(headers.get(field, "")) for field in ("to", "cc", "bcc")}
    text, html = _body(payload)
    try:
        sent_at: datetime | None = datetime.fromtimestamp(int(message.get("internalDate", "")) / 1000, UTC)
    except (TypeError, ValueError, OverflowError):
        sent_at = None
    return SentItem(
        sent_at=sent_at,
        draft=as_draft(sender[0] if sender else None, recipients, html if text is None else text, html=text is None),
        message_id=message_id(headers.get("message-id"), fallback=f"gmail:{message.get('id')}"),
    )


def _addresses(value: str) -> list[dict[str, str]]:
    return [{"email": a, **({"name": n} if n else {})} for n, a in getaddresses([value]) if "@" in a]


def _body(part: dict[str, Any]) -> tuple[str | None, str]:
    """(the first text/plain part, or None; the first text/html part or "")."""
    text: str | None = None
    html = ""
    stack = [part]
    while stack:
        current = stack.pop(0)
        mime = str(current.get("mimeType", "")).lower()
        if mime.startswith("multipart/"):
            stack[:0] = [p for p in current.get("parts") or [] if isinstance(p, dict)]
            continue
        if current.get("filename"):
            continue  # an attachment
        data = (current.get("body") or {}).get("data")
        if not isinstance(data, str):
            continue
        try:
            decoded = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)).decode("utf-8", "replace")
        except (ValueError, binascii.Error):
            continue
        if mime == "text/plain" and text is None:
            text = decoded
        elif mime == "text/html" and not html:
            html = decoded
    return text, html
