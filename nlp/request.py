"""The engine's view of a validated request (nlp.contract.AnalysisRequest):
flat, frozen objects with defaults filled in, so checks never deal with
absent fields or the wire format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from . import contract as c
from .clock import wall_clock


@dataclass(frozen=True, slots=True)
class Address:
    email: str  # lower-cased
    name: str = ""

    @property
    def local(self) -> str:
        return self.email.rpartition("@")[0]

    @property
    def domain(self) -> str:
        return self.email.rpartition("@")[2]


@dataclass(frozen=True, slots=True)
class Attachment:
    name: str
    size: int | None
    content_type: str


@dataclass(frozen=True, slots=True)
class Draft:
    sender: Address | None
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    bcc: tuple[Address, ...]
    subject: str
    text: str | None
    html: str | None
    text_available: bool  # False: the platform could not read the body (see Check.needs_text)
    attachments: tuple[Attachment, ...]
    is_reply: bool | None  # None: the platform did not say
    previous_messages: int
    headers: dict[str, str]  # keys lower-cased


@dataclass(frozen=True, slots=True)
class Interaction:
    date: date | None
    direction: str  # "in", "out" or ""
    subject: str
    summary: str


@dataclass(frozen=True, slots=True)
class Contact:
    email: str
    name: str = ""
    company: str = ""
    country: str = ""
    kind: str = ""
    role: str = ""
    industry: str = ""
    stage: str = ""
    consent_status: str = ""
    consent_source: str = ""
    consent_date: date | None = None
    unsubscribed: bool = False
    interactions: tuple[Interaction, ...] = ()


@dataclass(frozen=True, slots=True)
class SentMessage:
    sent_at: datetime
    sender: str
    to: tuple[str, ...]
    subject: str
    body: str


@dataclass(frozen=True, slots=True)
class Context:
    now: datetime
    locale: str
    org_domains: tuple[str, ...]
    org_name: str
    postal_address: str
    policy: dict[str, dict[str, Any]]
    contacts: dict[str, Contact] = field(default_factory=dict)
    history: tuple[SentMessage, ...] = ()


def engine_view(request: c.AnalysisRequest, policy: dict[str, dict[str, Any]]) -> tuple[Draft, Context]:
    """The draft and context the checks read; `policy` is the request's
    policy as validated against the check table (nlp.policy.validate)."""
    return _draft(request.draft), _context(request.context, policy)


def normalize_locale(value: str | None) -> str:
    """Map any spelling of Chinese to "zh-CN"; everything else falls back to "en"."""
    if not value:
        return "en"
    v = value.replace("_", "-").lower()
    if v.startswith("zh"):
        return "zh-CN"
    return "en"


def _address(a: c.Address) -> Address:
    return Address(a.email, (a.name or "").strip())


def _draft(d: c.Draft) -> Draft:
    thread = d.thread or c.Thread()
    body = d.body
    return Draft(
        sender=_address(d.sender) if d.sender else None,
        to=tuple(map(_address, d.to or ())),
        cc=tuple(map(_address, d.cc or ())),
        bcc=tuple(map(_address, d.bcc or ())),
        subject=d.subject or "",
        text=body.text if body else None,
        html=body.html if body else None,
        text_available=body is not None and (body.text is not None or body.html is not None),
        attachments=tuple(
            Attachment(a.name or "", a.size, (a.content_type or "").lower()) for a in d.attachments or ()
        ),
        is_reply=thread.is_reply,
        previous_messages=max(thread.previous_messages or 0, 0),
        headers={k.lower(): v for k, v in (d.headers or {}).items()},
    )


def _context(ctx: c.Context, policy: dict[str, dict[str, Any]]) -> Context:
    org = ctx.org or c.Org()
    contacts = {x.email: _contact(x) for x in ctx.contacts or ()}
    return Context(
        now=ctx.now or wall_clock(),
        locale=normalize_locale(ctx.locale),
        org_domains=tuple(d.strip().lower().lstrip("@") for d in org.domains or ()),
        org_name=org.name or "",
        postal_address=org.postal_address or "",
        policy=policy,
        contacts=contacts,
        history=tuple(
            SentMessage(
                sent_at=h.sent_at,
                sender=(h.sender or "").strip().lower(),
                to=tuple(a.strip().lower() for a in h.to or ()),
                subject=h.subject or "",
                body=(h.body or "")[: c.MAX_BODY_CHARS],
            )
            for h in ctx.history or ()
        ),
    )


def _contact(x: c.Contact) -> Contact:
    consent = x.consent or c.Consent()
    return Contact(
        email=x.email,
        name=x.name or "",
        company=x.company or "",
        country=x.country or "",
        kind=x.kind or "",
        role=x.role or "",
        industry=x.industry or "",
        stage=x.stage or "",
        consent_status=consent.status or "",
        consent_source=consent.source or "",
        consent_date=consent.date,
        unsubscribed=bool(x.unsubscribed),
        interactions=tuple(
            Interaction(i.date, i.direction or "", i.subject or "", i.summary or "") for i in x.interactions or ()
        ),
    )
