"""The mailbox's own history: read the Sent Items of the last 90 days from
Microsoft Graph into fingerprints, so template reuse and relationship
history work from the first day.

Each sent message becomes exactly what `POST /api/v1/sent` records (the
engine's fingerprint of the body without greeting and signature, sender,
recipients, time, Message-ID) plus an interaction ("out", the send date)
for each recipient who is a contact. There is no organisation setting that
allows keeping subject lines, so none is kept. The text is fingerprinted
in memory and dropped; nothing of it is stored or logged.

Runs are idempotent per Message-ID and resumable: messages are read oldest
first, and after each page the send time of the newest one recorded is
stored (`MailboxBackfill.high_water`), so the next run (after an
interruption, or the incremental run later) starts there.

Two ways to get a Graph token, both with msal:
- on-behalf-of: the signed-in Outlook user's access token for sendwise's
  API is exchanged for a Graph token with Mail.Read (delegated); the API
  starts this in the background on a user's first sign-in and again at
  most every `INCREMENTAL_EVERY` (`Backfills`).
- client credentials: `sendwise mailbox backfill --org SLUG --microsoft`
  reads every mailbox of the tenant with the Mail.Read application
  permission.

Graph is paged with `@odata.nextLink`; 429 and 503 are retried after the
`Retry-After` they name (bounded); every request has a timeout.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import msal
import requests
from sqlalchemy import select

from backend.storage import Database, sent
from backend.storage.models import MailboxBackfill, Organisation

log = logging.getLogger("sendwise")

WINDOW = timedelta(days=90)
PAGE_SIZE = 100
INCREMENTAL_EVERY = timedelta(hours=1)
TIMEOUT_SECONDS = 30
MAX_RETRIES = 6
MAX_RETRY_AFTER_SECONDS = 120
GRAPH_URL = "https://graph.microsoft.com/v1.0"
AUTHORITY_HOST = "https://login.microsoftonline.com"
# The Graph resource's scopes: delegated Mail.Read for on-behalf-of; the
# application permissions granted to the app (.default) for client credentials.
DELEGATED_SCOPES = ["https://graph.microsoft.com/Mail.Read"]
APPLICATION_SCOPES = ["https://graph.microsoft.com/.default"]
_MESSAGE_FIELDS = "id,internetMessageId,sentDateTime,from,toRecipients,ccRecipients,bccRecipients,body"


class BackfillError(Exception):
    """The backfill could not go on; `str()` says why (never mail text)."""


@dataclass(frozen=True)
class Settings:
    """What a backfill needs to reach Microsoft (backend/config.py names)."""

    client_id: str
    client_secret: str
    graph_url: str = GRAPH_URL
    authority_host: str = AUTHORITY_HOST

    @classmethod
    def from_config(cls, config: Any) -> Settings | None:
        if not config.get("MS_CLIENT_ID") or not config.get("MS_CLIENT_SECRET"):
            return None
        return cls(
            client_id=config["MS_CLIENT_ID"],
            client_secret=config["MS_CLIENT_SECRET"],
            graph_url=(config.get("MS_GRAPH_URL") or GRAPH_URL).rstrip("/"),
            authority_host=(config.get("MS_AUTHORITY_HOST") or AUTHORITY_HOST).rstrip("/"),
        )


def http_session() -> requests.Session:
    """The HTTP client of msal and Graph. It honours REQUESTS_CA_BUNDLE, so a
    deployment behind a TLS-inspecting proxy (or a test) can name its CA."""
    return requests.Session()


def confidential_client(settings: Settings, tenant: str, http: requests.Session) -> msal.ConfidentialClientApplication:
    return msal.ConfidentialClientApplication(
        settings.client_id,
        client_credential=settings.client_secret,
        authority=f"{settings.authority_host}/{tenant}",
        http_client=http,
        # The authority is the one configured; msal must not ask Microsoft
        # whether it knows it (and cannot, for a sovereign or test cloud).
        instance_discovery=False,
        timeout=TIMEOUT_SECONDS,
    )


def _token_or_raise(result: dict[str, Any] | None, what: str) -> str:
    if result and "access_token" in result:
        return str(result["access_token"])
    error = (result or {}).get("error") or "no answer"
    # error_description names the cause (e.g. AADSTS65001 consent missing) and no secret.
    description = str((result or {}).get("error_description") or "").splitlines()[0:1]
    raise BackfillError(f"{what}: {error} {description[0] if description else ''}".strip())


def application_token(client: msal.ConfidentialClientApplication) -> Callable[[], str]:
    """Graph tokens for the app itself (client credentials); msal caches them."""
    return lambda: _token_or_raise(
        client.acquire_token_for_client(scopes=APPLICATION_SCOPES), "no Graph token for the application"
    )


def on_behalf_of_token(client: msal.ConfidentialClientApplication, user_token: str) -> Callable[[], str]:
    """Graph tokens for the signed-in user, from their access token for sendwise."""
    return lambda: _token_or_raise(
        client.acquire_token_on_behalf_of(user_token, scopes=DELEGATED_SCOPES), "no Graph token on behalf of the user"
    )


@dataclass(frozen=True)
class SentItem:
    """One sent message, as the contract's draft (text included, in memory
    only), with its send time and Message-ID; `draft` None when it cannot
    be a sent record (no sender)."""

    sent_at: datetime | None
    draft: dict[str, Any] | None
    message_id: str


class JsonApi:
    """GET JSON with a timeout, retrying 429/503/504 after their Retry-After
    (bounded) and network errors after a growing pause."""

    name = "the mail service"
    provider = ""  # MailboxBackfill.provider of the mail read through it

    def __init__(
        self,
        base_url: str,
        token: Callable[[], str] | None,
        http: requests.Session,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.base_url = base_url.rstrip("/")
        self._token = token  # None: `http` authorises its requests itself
        self._http = http
        self._sleep = sleep
        self.waited = 0.0  # seconds spent waiting as the service asked (Retry-After)

    def sent_items(self, mailbox: str | None, since: datetime) -> Iterator[list[SentItem]]:
        """Pages of the mail `mailbox` sent at or after `since`, oldest first."""
        raise NotImplementedError

    def _get(self, url: str, params: dict[str, str] | None, headers: dict[str, str]) -> dict[str, Any]:
        name = self.name
        for attempt in range(MAX_RETRIES + 1):
            auth = {"Authorization": f"Bearer {self._token()}"} if self._token else {}
            try:
                response = self._http.get(
                    url,
                    params=params,
                    headers={**headers, **auth, "Accept": "application/json"},
                    timeout=TIMEOUT_SECONDS,
                )
            except requests.RequestException as exc:
                if attempt == MAX_RETRIES:
                    raise BackfillError(f"{name} could not be reached ({type(exc).__name__})") from None
                self._wait(2**attempt)
                continue
            if response.status_code in (429, 503, 504) and attempt < MAX_RETRIES:
                self._wait(_retry_after(response.headers.get("Retry-After"), default=2**attempt))
                continue
            if response.status_code != 200:
                raise BackfillError(f"{name} answered {response.status_code} ({_service_error(response)})")
            try:
                data = response.json()
            except ValueError:
                raise BackfillError(f"{name} answered something other than JSON") from None
            if not isinstance(data, dict):
                raise BackfillError(f"{name} answered something other than a JSON object")
            return data
        raise BackfillError(f"{name} kept asking to wait; try again later")

    def _wait(self, seconds: float) -> None:
        self.waited += seconds
        self._sleep(seconds)


class Graph(JsonApi):
    """The few Graph calls a backfill makes, paged and throttling-aware."""

    name = "Graph"
    provider = "microsoft"

    def users(self) -> Iterator[str]:
        """The mail addresses of the tenant's users (application permission)."""
        url = f"{self.base_url}/users"
        for page in self._pages(url, {"$select": "mail,userPrincipalName", "$top": "999"}):
            for user in page:
                mail = user.get("mail")
                if isinstance(mail, str) and "@" in mail:
                    yield mail.strip().lower()

    def sent_items(self, mailbox: str | None, since: datetime) -> Iterator[list[SentItem]]:
        """Pages of the Sent Items sent at or after `since`, oldest first.
        `mailbox` None: the signed-in user's own (`/me`)."""
        who = "me" if mailbox is None else f"users/{quote(mailbox, safe='@')}"
        url = f"{self.base_url}/{who}/mailFolders/sentitems/messages"
        stamp = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        params = {
            "$filter": f"sentDateTime ge {stamp}",
            "$orderby": "sentDateTime asc",
            "$select": _MESSAGE_FIELDS,
            "$top": str(PAGE_SIZE),
        }
        # Plain text bodies: the fingerprint is of the text, and HTML would only be converted back.
        for page in self._pages(url, params, headers={"Prefer": 'outlook.body-content-type="text"'}):
            yield [_graph_item(item) for item in page]

    def _pages(
        self, url: str, params: dict[str, str] | None, headers: dict[str, str] | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        next_url: str | None = url
        while next_url:
            data = self._get(next_url, params, headers or {})
            params = None  # the next link carries them
            value = data.get("value")
            if not isinstance(value, list):
                raise BackfillError("Graph answered a page without 'value'")
            yield [v for v in value if isinstance(v, dict)]
            link = data.get("@odata.nextLink")
            next_url = link if isinstance(link, str) and link else None


def _retry_after(value: str | None, *, default: float) -> float:
    try:
        seconds = float(value) if value is not None else default
    except ValueError:
        seconds = default  # Graph sends seconds; an HTTP date is not worth parsing here
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def _service_error(response: requests.Response) -> str:
    try:
        error = response.json().get("error", {})
        # Graph: {"error": {"code"}}; Google: {"error": {"status"}}.
        code = error.get("code") if isinstance(error.get("code"), str) else error.get("status")
    except (ValueError, AttributeError):
        code = None
    return str(code or response.reason or "error")[:100]


# --- recording ---------------------------------------------------------------


@dataclass
class Outcome:
    mailbox: str
    seen: int = 0
    recorded: int = 0
    skipped: int = 0  # no recipient, or not a message the engine can read


def backfill_mailbox(
    database: Database,
    org_id: int,
    mailbox: str,
    source: JsonApi,
    now: datetime,
    *,
    own_mailbox: bool = False,
    on_page: Callable[[Outcome], None] | None = None,
) -> Outcome:
    """Read `mailbox`'s sent mail since its high-water mark (at most
    `WINDOW` back from `now`) into the organisation's sent history. `source`
    yields pages of `SentItem`s, oldest first (`Graph`, or
    backend/gmail_backfill.py's `Gmail`).
    `own_mailbox`: the signed-in user's own (`/me`, a delegated token)."""
    from nlp import InvalidRequest, sent_fingerprint  # the fingerprint must be the engine's

    mailbox = mailbox.strip().lower()
    provider = source.provider
    outcome = Outcome(mailbox)
    with database.session() as session:
        state = _state(session, org_id, provider, mailbox)
        state.started_at, state.finished_at, state.error = now, None, None
        since = max(now - WINDOW, state.high_water) if state.high_water else now - WINDOW
    try:
        for page in source.sent_items(None if own_mailbox else mailbox, since):
            with database.session() as session:
                org = session.get(Organisation, org_id)
                if org is None:
                    raise BackfillError("the organisation was deleted")
                newest, created_here = None, 0
                for item in page:
                    outcome.seen += 1
                    sent_at, draft = item.sent_at, item.draft  # the text goes no further than the fingerprint
                    if sent_at is None or draft is None:
                        outcome.skipped += 1
                        continue
                    newest = sent_at if newest is None else max(newest, sent_at)
                    try:
                        message = sent_fingerprint(draft)
                    except InvalidRequest:
                        outcome.skipped += 1
                        continue
                    _, created = sent.record(
                        session,
                        org,
                        sender=message.sender,
                        recipients=message.recipients,
                        sent_at=sent_at,
                        fingerprint=message.fingerprint,
                        message_id=item.message_id,
                        indexed=sent.indexable(message),
                        subject="",  # interactions without a subject: no setting allows keeping it
                    )
                    created_here += created
                state = _state(session, org_id, provider, mailbox)
                state.messages = (state.messages or 0) + created_here
                if newest is not None and (state.high_water is None or newest > state.high_water):
                    state.high_water = newest
            outcome.recorded += created_here  # once the page is committed
            if on_page is not None:
                on_page(outcome)
    except BackfillError as exc:
        _finish(database, org_id, provider, mailbox, now, str(exc))
        raise
    _finish(database, org_id, provider, mailbox, now, None)
    return outcome


def _finish(database: Database, org_id: int, provider: str, mailbox: str, now: datetime, error: str | None) -> None:
    with database.session() as session:
        state = _state(session, org_id, provider, mailbox)
        state.finished_at = now
        state.error = error[:500] if error else None


def _state(session, org_id: int, provider: str, mailbox: str) -> MailboxBackfill:
    found = session.scalar(
        select(MailboxBackfill).where(
            MailboxBackfill.org_id == org_id,
            MailboxBackfill.provider == provider,
            MailboxBackfill.mailbox == mailbox,
        )
    )
    if found is None:
        found = MailboxBackfill(org_id=org_id, provider=provider, mailbox=mailbox, messages=0)
        session.add(found)
        session.flush()
    return found


def _sent_at(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)


def _address(value: Any) -> dict[str, str] | None:
    email = (value or {}).get("emailAddress", {}) if isinstance(value, dict) else {}
    address = email.get("address") if isinstance(email, dict) else None
    if not isinstance(address, str) or "@" not in address:
        return None
    name = email.get("name")
    return {"email": address, **({"name": name} if isinstance(name, str) and name else {})}


def _graph_item(item: dict[str, Any]) -> SentItem:
    """A Graph message as a `SentItem`."""
    raw_body = item.get("body")
    body: dict[str, Any] = raw_body if isinstance(raw_body, dict) else {}
    content = body.get("content")
    html = str(body.get("contentType", "")).lower() == "html"
    recipients = {
        field: [a for a in (_address(r) for r in (item.get(key) or []) if isinstance(r, dict)) if a]
        for field, key in (("to", "toRecipients"), ("cc", "ccRecipients"), ("bcc", "bccRecipients"))
    }
    return SentItem(
        sent_at=_sent_at(item.get("sentDateTime")),
        draft=as_draft(_address(item.get("from")), recipients, content if isinstance(content, str) else "", html=html),
        message_id=message_id(item.get("internetMessageId"), fallback=f"graph:{item.get('id')}"),
    )


def as_draft(
    sender: dict[str, str] | None, recipients: dict[str, list[dict[str, str]]], content: str, *, html: bool
) -> dict[str, Any] | None:
    """The contract's draft of a sent message (no subject: it is not kept);
    None without a sender."""
    if sender is None:
        return None
    return {
        "from": sender,
        **recipients,
        "subject": "",
        "body": {"text": None if html else content, "html": content if html else None},
    }


def message_id(value: Any, *, fallback: str) -> str:
    """The RFC 5322 Message-ID as the add-in reports it, or the service's
    own id when the message has none (drafts sent by some clients)."""
    if not isinstance(value, str) or not value.strip() or not value.isascii():
        value = fallback
    return value.strip()[:998]


# --- in the background, on a user's sign-in -----------------------------------


class Backfills:
    """Backfills started by sign-ins: one worker thread (a mailbox at a
    time, so a burst of first sign-ins never floods Graph or the
    database), at most one queued or running run per mailbox, and a new run
    for a mailbox at most every `INCREMENTAL_EVERY`."""

    def __init__(self, database: Database, settings: Settings, clock: Any):
        self._database = database
        self._settings = settings
        self._clock = clock
        self._lock = threading.Lock()
        self._pending: dict[tuple[int, str], Future[Outcome | None]] = {}
        self._last: dict[tuple[int, str], datetime] = {}
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sendwise-backfill")

    def on_sign_in(self, org_id: int, tenant: str, mailbox: str, user_token: str) -> Future[Outcome | None] | None:
        """Start reading `mailbox` unless it is being read or was read lately."""
        key = (org_id, mailbox.lower())
        now = self._clock.now()
        with self._lock:
            if key in self._pending:
                return None
            last = self._last.get(key)
            if last is not None and now - last < INCREMENTAL_EVERY:
                return None
            self._last[key] = now
            future = self._pool.submit(self._run, org_id, tenant, key[1], user_token)
            self._pending[key] = future
        future.add_done_callback(lambda _: self._done(key))
        return future

    def _done(self, key: tuple[int, str]) -> None:
        with self._lock:
            self._pending.pop(key, None)

    def _run(self, org_id: int, tenant: str, mailbox: str, user_token: str) -> Outcome | None:
        http = http_session()
        try:
            client = confidential_client(self._settings, tenant, http)
            graph = Graph(self._settings.graph_url, on_behalf_of_token(client, user_token), http)
            outcome = backfill_mailbox(self._database, org_id, mailbox, graph, self._clock.now(), own_mailbox=True)
            log.info(
                "backfill of a mailbox of org %s: %d messages read, %d new", org_id, outcome.seen, outcome.recorded
            )
            return outcome
        except BackfillError as exc:
            log.warning("backfill of a mailbox of org %s stopped: %s", org_id, exc)
        except Exception as exc:  # a background thread has nobody else to tell
            log.error("backfill of a mailbox of org %s failed: %s", org_id, type(exc).__name__)
        finally:
            http.close()
        return None

    def wait(self) -> None:
        """Until every queued run has finished (tests, shutdown)."""
        while True:
            with self._lock:
                pending = list(self._pending.values())
            if not pending:
                return
            for future in pending:
                future.exception()

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
