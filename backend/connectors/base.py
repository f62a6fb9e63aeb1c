"""What every CRM connector gives the sync, and the one error it raises."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

# Progress lines for the person running a sync (the CLI prints them on stderr).
Progress = Callable[[str], None]


class ConnectorError(Exception):
    """A CRM could not be read. `str()` is one line that names the cause and
    never contains a credential; `kind` is a stable word for programs:
    config, auth, unreachable, timeout, rate_limited, server, bad_response,
    busy (another sync of the same CRM and organisation holds the lock),
    superseded (another sync took the lock over)."""

    def __init__(self, message: str, kind: str = "error"):
        super().__init__(" ".join(message.split()))
        self.kind = kind


@dataclass(frozen=True)
class CrmInteraction:
    """A dated exchange in the contract's terms (`direction` is in or out)."""

    date: date
    direction: str
    subject: str
    summary: str | None = None


@dataclass(frozen=True)
class CrmContact:
    """One CRM record mapped to the contract's `context.contacts[]` fields.

    A field the CRM leaves empty is None, and the sync stores it as None: the
    CRM owns these fields for the contacts it syncs. `kind` (b2b or b2c) is
    not here: CRMs do not record whether a contact is a business or a
    consumer, and a guess stored as b2b would outrank the engine's own
    reading of the address (see hubspot.py).
    """

    email: str
    name: str | None = None
    company: str | None = None
    country: str | None = None
    role: str | None = None
    industry: str | None = None
    stage: str | None = None
    consent_status: str | None = None
    consent_source: str | None = None
    consent_date: date | None = None
    unsubscribed: bool = False
    interactions: tuple[CrmInteraction, ...] = ()


@dataclass
class Page:
    """One page of a CRM's contact list: the usable contacts and, for the
    records that cannot be stored, (record id, reason) pairs."""

    contacts: list[CrmContact] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


class CrmConnector(Protocol):
    """A CRM's contacts, page by page.

    `source` names the CRM in the store and in reports ("hubspot").
    `pages()` yields every contact, `pages(since)` only those modified at
    or after `since` (each at most once). It is lazy: nothing is fetched
    until it is iterated, and it raises `ConnectorError` for anything that
    stops the read (bad token, CRM down, time-outs, rate limits that do not
    clear). `close()` releases connections and may be called more than once.
    """

    source: str

    def pages(self, since: datetime | None = None) -> Iterator[Page]: ...

    def close(self) -> None: ...
