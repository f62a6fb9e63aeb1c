"""The Gmail API, as the add-on uses it: the text of the user's draft for
"Check my draft", and the sender of the message the user opened.

Calls go through google-api-python-client's `gmail v1` client (its
discovery document ships with the package: no network for discovery) with
the user's OAuth token from the event; the event's Gmail access token goes
along as `X-Goog-Gmail-Access-Token`, which is what lets an add-on read
the message currently open. Tests hand in their own `http`
(`googleapiclient.http.HttpMockSequence`, or an authorised http for a
loopback stand-in).

The draft is never stored or logged: it is returned to the caller, who
analyses it and lets it go.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from email.utils import getaddresses, parseaddr
from typing import Any

from backend.adapters.gmail_event import DraftText

ACCESS_TOKEN_HEADER = "X-Goog-Gmail-Access-Token"
DRAFTS_LISTED = 25  # the newest drafts looked at
DRAFTS_OPENED = 10  # of those, at most this many read (metadata) to match the recipients
# Per socket operation (connect, each read): the add-on's card has to answer
# Google within 30 s in all, for up to DRAFTS_OPENED + 2 calls.
TIMEOUT_SECONDS = 5


class GmailUnavailable(Exception):
    """The Gmail API did not answer usefully; `expired` when it refused the token."""

    def __init__(self, reason: str, *, expired: bool = False):
        super().__init__(reason)
        self.expired = expired


@dataclass(frozen=True)
class Gmail:
    service: Any
    access_token: str | None = None

    def _run(self, request: Any) -> dict:
        from googleapiclient.errors import Error as ClientError
        from googleapiclient.errors import HttpError
        from httplib2 import HttpLib2Error

        if self.access_token:
            request.headers[ACCESS_TOKEN_HEADER] = self.access_token
        try:
            return request.execute(num_retries=0)
        except HttpError as exc:
            status = exc.resp.status if exc.resp is not None else 0
            if status == 401:
                raise GmailUnavailable("Gmail refused the access token", expired=True) from None
            if status == 403:
                raise GmailUnavailable("Gmail did not grant sendwise access to drafts (HTTP 403)") from None
            raise GmailUnavailable(f"Gmail API error (HTTP {status})") from None
        except (ClientError, HttpLib2Error, OSError, ValueError) as exc:
            raise GmailUnavailable(f"Gmail API unreachable ({type(exc).__name__})") from None


def connect(user_oauth_token: str, *, access_token: str | None = None, http: Any = None) -> Gmail:
    """A Gmail client acting as the user. With `http` (tests), that transport
    is used as is and carries no credentials of its own."""
    from googleapiclient.discovery import build

    if http is not None:
        service = build("gmail", "v1", http=http, static_discovery=True, cache_discovery=False)
    else:
        import httplib2
        from google.oauth2.credentials import Credentials
        from google_auth_httplib2 import AuthorizedHttp

        # httplib2 waits forever by default; a hung Gmail must not hold a worker.
        authorized = AuthorizedHttp(Credentials(token=user_oauth_token), http=httplib2.Http(timeout=TIMEOUT_SECONDS))
        service = build("gmail", "v1", http=authorized, static_discovery=True, cache_discovery=False)
    return Gmail(service, access_token)


def find_draft(gmail: Gmail, *, thread_id: str | None, recipients: set[str]) -> DraftText | None:
    """The text of the user's draft being written: the draft in `thread_id`
    (a reply), else the most recently saved draft addressed to exactly
    `recipients`; None when there is no such draft (not saved yet)."""
    listed = gmail._run(gmail.service.users().drafts().list(userId="me", maxResults=DRAFTS_LISTED))
    drafts = [d for d in listed.get("drafts") or [] if isinstance(d, dict) and d.get("id")]
    if thread_id:
        in_thread = [d for d in drafts if (d.get("message") or {}).get("threadId") == thread_id]
        if in_thread:
            drafts = in_thread
    wanted = {r.lower() for r in recipients}
    best: tuple[int, str] | None = None
    for entry in drafts[:DRAFTS_OPENED]:
        meta = gmail._run(gmail.service.users().drafts().get(userId="me", id=entry["id"], format="metadata"))
        message = meta.get("message") or {}
        headers = _headers(message.get("payload") or {})
        addressed = {a.lower() for _, a in getaddresses([headers.get(h, "") for h in ("to", "cc", "bcc")]) if a}
        same_thread = bool(thread_id) and message.get("threadId") == thread_id
        if not same_thread and (not wanted or addressed != wanted):
            continue
        saved = int(message.get("internalDate") or 0)
        if best is None or saved > best[0]:
            best = (saved, entry["id"])
    if best is None:
        return None
    full = gmail._run(gmail.service.users().drafts().get(userId="me", id=best[1], format="full"))
    return _draft_text((full.get("message") or {}).get("payload") or {})


def message_sender(gmail: Gmail, message_id: str) -> str | None:
    """The address in the From header of the message the user opened."""
    message = gmail._run(
        gmail.service.users().messages().get(userId="me", id=message_id, format="metadata", metadataHeaders=["From"])
    )
    address = parseaddr(_headers(message.get("payload") or {}).get("from", ""))[1]
    return address or None


def _headers(payload: dict) -> dict[str, str]:
    out: dict[str, str] = {}
    for h in payload.get("headers") or []:
        if isinstance(h, dict) and isinstance(h.get("name"), str) and isinstance(h.get("value"), str):
            out.setdefault(h["name"].lower(), h["value"])
    return out


def _draft_text(payload: dict) -> DraftText:
    headers = _headers(payload)
    plain, html = _part_text(payload, "text/plain"), _part_text(payload, "text/html")
    return DraftText(
        body=(plain if plain is not None else "").replace("\r\n", "\n"),
        html=None if plain is not None else html,
        subject=headers.get("subject"),
        is_reply=bool(headers.get("in-reply-to") or headers.get("references")),
    )


def _part_text(part: dict, mime_type: str) -> str | None:
    """The first body part of `mime_type`, depth first, decoded (base64url, UTF-8)."""
    if part.get("mimeType") == mime_type and not (part.get("filename") or ""):
        data = (part.get("body") or {}).get("data")
        if isinstance(data, str):
            try:
                return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)).decode("utf-8", errors="replace")
            except (binascii.Error, ValueError):
                return None
        return ""
    for sub in part.get("parts") or []:
        if isinstance(sub, dict):
            found = _part_text(sub, mime_type)
            if found is not None:
                return found
    return None
