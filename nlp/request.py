"""The analysis request of the contract, validated and turned into typed objects.

Everything the engine reads comes through `parse_request`; checks never look at
the raw dict. Validation is strict about types and addresses (a wrong shape is
the caller's bug and must be reported, not guessed around) and lenient about
absent optional fields and unknown keys (the contract only grows by adding).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from email_validator import EmailNotValidError, validate_email

from .clock import wall_clock
from .errors import InvalidRequest

# A body beyond this is not an email someone is typing; analysing it would
# only make the on-send check slow.
MAX_BODY_CHARS = 1_000_000
MAX_RECIPIENTS = 5_000
MAX_HISTORY = 20_000
MAX_CONTACTS = 20_000

SEVERITIES = ("off", "info", "warn", "block")
KINDS = ("b2b", "b2c")
STAGES = ("prospect", "sample", "negotiation", "customer", "repeat")
CONSENT_STATUSES = ("opt_in", "soft_opt_in", "opt_out", "none", "unknown")


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


def parse_request(request: Any) -> tuple[Draft, Context]:
    """Validate an analysis request (a dict) and return the draft and its context.

    Raises InvalidRequest with a one-line reason naming the offending field.
    """
    if not isinstance(request, dict):
        raise InvalidRequest("the request must be a JSON object")
    draft = request.get("draft")
    if draft is None:
        raise InvalidRequest("'draft' is required")
    ctx = request.get("context")
    if ctx is None:
        ctx = {}
    return _draft(_obj(draft, "draft")), _context(_obj(ctx, "context"))


def normalize_locale(value: str | None) -> str:
    """Map any spelling of Chinese to "zh-CN"; everything else falls back to "en"."""
    if not value:
        return "en"
    v = value.replace("_", "-").lower()
    if v.startswith("zh"):
        return "zh-CN"
    return "en"


# -- draft -----------------------------------------------------------------


def _draft(d: dict) -> Draft:
    sender = _address(d["from"], "draft.from") if d.get("from") is not None else None
    to, cc, bcc = (_addresses(d.get(k), f"draft.{k}") for k in ("to", "cc", "bcc"))
    if len(to) + len(cc) + len(bcc) > MAX_RECIPIENTS:
        raise InvalidRequest(f"too many recipients (more than {MAX_RECIPIENTS})")
    body = d.get("body")
    text = html = None
    if body is not None:
        if isinstance(body, str):
            text = body
        else:
            body = _obj(body, "draft.body")
            text = _opt_str(body.get("text"), "draft.body.text")
            html = _opt_str(body.get("html"), "draft.body.html")
    for name, value in (("text", text), ("html", html)):
        if value is not None and len(value) > MAX_BODY_CHARS:
            raise InvalidRequest(
                f"draft.body.{name} is too long ({len(value):,} characters; the limit is {MAX_BODY_CHARS:,})"
            )
    thread = _obj(d.get("thread") or {}, "draft.thread")
    is_reply = thread.get("is_reply")
    if is_reply is not None and not isinstance(is_reply, bool):
        raise InvalidRequest("draft.thread.is_reply must be true or false")
    previous = _opt_int(thread.get("previous_messages"), "draft.thread.previous_messages") or 0
    headers = _obj(d.get("headers") or {}, "draft.headers")
    for k, v in headers.items():
        if not isinstance(v, str):
            raise InvalidRequest(f"draft.headers.{k} must be a string")
    return Draft(
        sender=sender,
        to=to,
        cc=cc,
        bcc=bcc,
        subject=_opt_str(d.get("subject"), "draft.subject") or "",
        text=text,
        html=html,
        attachments=tuple(
            _attachment(a, f"draft.attachments[{i}]")
            for i, a in enumerate(_list(d.get("attachments"), "draft.attachments"))
        ),
        is_reply=is_reply,
        previous_messages=max(previous, 0),
        headers={k.lower(): v for k, v in headers.items()},
    )


def _addresses(value: Any, where: str) -> tuple[Address, ...]:
    return tuple(_address(a, f"{where}[{i}]") for i, a in enumerate(_list(value, where)))


def _address(value: Any, where: str) -> Address:
    a = _obj(value, where)
    email = a.get("email")
    if not isinstance(email, str) or not email.strip():
        raise InvalidRequest(f"{where}.email is required and must be a string")
    name = _opt_str(a.get("name"), f"{where}.name") or ""
    return Address(_checked_email(email.strip(), where), name.strip())


@functools.lru_cache(maxsize=4096)
def _valid_email(email: str) -> str | None:
    try:
        return validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


def _checked_email(email: str, where: str) -> str:
    normalized = _valid_email(email)
    if normalized is None:
        raise InvalidRequest(f"{where}.email is not a valid address: {email[:80]!r}")
    return normalized


def _attachment(value: Any, where: str) -> Attachment:
    a = _obj(value, where)
    name = _opt_str(a.get("name"), f"{where}.name") or ""
    size = _opt_int(a.get("size"), f"{where}.size")
    ctype = _opt_str(a.get("content_type"), f"{where}.content_type") or ""
    return Attachment(name, size, ctype.lower())


# -- context ---------------------------------------------------------------


def _context(c: dict) -> Context:
    now = _datetime(c["now"], "context.now") if c.get("now") is not None else wall_clock()
    org = _obj(c.get("org") or {}, "context.org")
    domains = tuple(
        _str(x, "context.org.domains[]").strip().lower().lstrip("@")
        for x in _list(org.get("domains"), "context.org.domains")
    )
    contacts_raw = _list(c.get("contacts"), "context.contacts")
    history_raw = _list(c.get("history"), "context.history")
    if len(contacts_raw) > MAX_CONTACTS or len(history_raw) > MAX_HISTORY:
        raise InvalidRequest("context.contacts or context.history is too long")
    contacts: dict[str, Contact] = {}
    for i, raw in enumerate(contacts_raw):
        contact = _contact(raw, f"context.contacts[{i}]")
        contacts[contact.email] = contact
    return Context(
        now=now,
        locale=normalize_locale(_opt_str(c.get("locale"), "context.locale")),
        org_domains=domains,
        org_name=_opt_str(org.get("name"), "context.org.name") or "",
        postal_address=_opt_str(org.get("postal_address"), "context.org.postal_address") or "",
        policy=_policy(org.get("policy")),
        contacts=contacts,
        history=tuple(_sent(h, f"context.history[{i}]") for i, h in enumerate(history_raw)),
    )


def _policy(value: Any) -> dict[str, dict[str, Any]]:
    policy = _obj(value or {}, "context.org.policy")
    out: dict[str, dict[str, Any]] = {}
    for code, rule in policy.items():
        rule = _obj(rule, f"context.org.policy.{code}")
        sev = rule.get("severity")
        if sev is not None and sev not in SEVERITIES:
            raise InvalidRequest(f"context.org.policy.{code}.severity must be one of {', '.join(SEVERITIES)}")
        for k, v in rule.items():
            if k != "severity" and (isinstance(v, bool) or not isinstance(v, (int, float))):
                if k in ("enforcement", "override", "justification", "note"):
                    continue  # admin-side settings the engine does not use
                raise InvalidRequest(f"context.org.policy.{code}.{k} must be a number")
        out[code] = rule
    return out


def _contact(value: Any, where: str) -> Contact:
    c = _obj(value, where)
    email = c.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise InvalidRequest(f"{where}.email is required and must be an address")
    consent = _obj(c.get("consent") or {}, f"{where}.consent")
    status = _opt_str(consent.get("status"), f"{where}.consent.status") or ""
    if status and status not in CONSENT_STATUSES:
        raise InvalidRequest(f"{where}.consent.status must be one of {', '.join(CONSENT_STATUSES)}")
    kind = (_opt_str(c.get("kind"), f"{where}.kind") or "").lower()
    stage = (_opt_str(c.get("stage"), f"{where}.stage") or "").lower()
    unsubscribed = c.get("unsubscribed", False)
    if not isinstance(unsubscribed, bool) and unsubscribed is not None:
        raise InvalidRequest(f"{where}.unsubscribed must be true or false")
    return Contact(
        email=email.strip().lower(),
        name=_opt_str(c.get("name"), f"{where}.name") or "",
        company=_opt_str(c.get("company"), f"{where}.company") or "",
        country=_opt_str(c.get("country"), f"{where}.country") or "",
        kind=kind if kind in KINDS else "",
        role=_opt_str(c.get("role"), f"{where}.role") or "",
        industry=_opt_str(c.get("industry"), f"{where}.industry") or "",
        stage=stage if stage in STAGES else "",
        consent_status=status,
        consent_source=_opt_str(consent.get("source"), f"{where}.consent.source") or "",
        consent_date=_date(consent.get("date"), f"{where}.consent.date"),
        unsubscribed=bool(unsubscribed),
        interactions=tuple(
            _interaction(x, f"{where}.interactions[{i}]")
            for i, x in enumerate(_list(c.get("interactions"), f"{where}.interactions"))
        ),
    )


def _interaction(value: Any, where: str) -> Interaction:
    x = _obj(value, where)
    direction = (_opt_str(x.get("direction"), f"{where}.direction") or "").lower()
    return Interaction(
        date=_date(x.get("date"), f"{where}.date"),
        direction=direction if direction in ("in", "out") else "",
        subject=_opt_str(x.get("subject"), f"{where}.subject") or "",
        summary=_opt_str(x.get("summary"), f"{where}.summary") or "",
    )


def _sent(value: Any, where: str) -> SentMessage:
    h = _obj(value, where)
    if h.get("sent_at") is None:
        raise InvalidRequest(f"{where}.sent_at is required")
    to = tuple(_str(a, f"{where}.to[]").strip().lower() for a in _list(h.get("to"), f"{where}.to"))
    body = h.get("body")
    if isinstance(body, dict):  # tolerate the draft's {"text", "html"} shape
        body = body.get("text") or ""
    return SentMessage(
        sent_at=_datetime(h["sent_at"], f"{where}.sent_at"),
        sender=(_opt_str(h.get("from"), f"{where}.from") or "").strip().lower(),
        to=to,
        subject=_opt_str(h.get("subject"), f"{where}.subject") or "",
        body=(_opt_str(body, f"{where}.body") or "")[:MAX_BODY_CHARS],
    )


# -- primitives ------------------------------------------------------------


def _obj(value: Any, where: str) -> dict:
    if not isinstance(value, dict):
        raise InvalidRequest(f"{where} must be an object")
    return value


def _list(value: Any, where: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidRequest(f"{where} must be a list")
    return value


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise InvalidRequest(f"{where} must be a string")
    return value


def _opt_str(value: Any, where: str) -> str | None:
    return None if value is None else _str(value, where)


def _opt_int(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        raise InvalidRequest(f"{where} must be a number")
    return int(value)


def _datetime(value: Any, where: str) -> datetime:
    if not isinstance(value, str):
        raise InvalidRequest(f"{where} must be an ISO 8601 date-time string")
    try:
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidRequest(f"{where} is not an ISO 8601 date-time: {value[:40]!r}") from None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _date(value: Any, where: str) -> date | None:
    if value is None or value == "":
        return None
    return (
        _datetime(value if "T" in str(value) else f"{value}T00:00:00", where).date()
        if isinstance(value, str)
        else _datetime(value, where).date()
    )
