"""The contract's request and report as typed models (pydantic), described once.

The request is validated where it enters (API, CLI, adapters) with
`parse_request`, and the typed `AnalysisRequest` travels inward: the backend
merges stored context into it and the engine reads it, without parsing again.
The report models document what `nlp.analyze` returns; `sendwise schema
request|report|policy` prints their JSON Schema for the add-ins and the
OpenAPI document.

Validation is strict about types and addresses (a wrong shape is the
caller's bug and is reported with the field named) and lenient about absent
optional fields and unknown keys (the contract only grows by adding; CRMs
carry many more contact fields than the engine reads).
"""

from __future__ import annotations

import functools
import math
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
)

from .errors import InvalidRequest

CONTRACT_VERSION = "1.1"

# A body beyond this is not an email someone is typing; analysing it would
# only make the on-send check slow.
MAX_BODY_CHARS = 1_000_000
MAX_SUBJECT_CHARS = 2_000
MAX_NAME_CHARS = 500
MAX_RECIPIENTS = 5_000
MAX_HISTORY = 20_000
MAX_CONTACTS = 5_000
MAX_INTERACTIONS = 1_000
# The limits stored contacts have (backend/contacts_file.py), so an inline
# contact cannot carry what an imported one could not.
CONTACT_TEXT_LIMITS = {"name": 200, "company": 200, "role": 100, "industry": 100, "country": 100, "source": 200}
INTERACTION_TEXT_LIMITS = {"subject": 1_000, "summary": 4_000}

KINDS = ("b2b", "b2c")
STAGES = ("prospect", "sample", "negotiation", "customer", "repeat")
CONSENT_STATUSES = ("opt_in", "soft_opt_in", "opt_out", "none", "unknown")


# -- field types -------------------------------------------------------------


def _encodable(value: str) -> str:
    # JSON may carry lone surrogate escapes ("\ud800"), which no encoder,
    # database driver or tokenizer downstream accepts: refuse them here.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"contains an invalid character (lone surrogate at position {exc.start})") from None
    return value


def _limited(limit: int) -> AfterValidator:
    def check(value: str) -> str:
        if len(value) > limit:
            raise ValueError(f"is too long ({len(value):,} characters; the limit is {limit:,})")
        return value

    return AfterValidator(check)


Text = Annotated[str, AfterValidator(_encodable)]


@functools.lru_cache(maxsize=4096)
def _valid_email(email: str) -> str | None:
    try:
        return validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


def _email(value: str) -> str:
    normalized = _valid_email(value.strip())
    if normalized is None:
        raise ValueError(f"is not a valid address: {value[:80]!r}")
    return normalized


def _count(value: Any) -> Any:
    # JSON numbers: 2400000.0 is a size too, but true is not.
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (isinstance(value, float) and math.isnan(value))
    ):
        raise ValueError("must be a number")
    if isinstance(value, float):
        if math.isinf(value):
            raise ValueError("must be a finite number")
        return int(value)
    return value


def _datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date-time string")
    try:
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"is not an ISO 8601 date-time: {value[:40]!r}") from None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    text = value if not isinstance(value, str) or "T" in value else f"{value}T00:00:00"
    return _datetime(text).date()


def _lower_choice(choices: tuple[str, ...], *, strict: bool = False) -> BeforeValidator:
    # CRM exports spell these freely: an unknown kind or stage means "unknown".
    # A consent status is a legal fact, so an unknown one is refused.
    def pick(value: Any) -> Any:
        if isinstance(value, str):
            v = value.strip().lower()
            if v in choices or not v:
                return v
            if strict:
                raise ValueError(f"must be one of {', '.join(choices)}")
            return ""
        return value

    return BeforeValidator(pick)


# "format: email" in the JSON Schema, so clients and generated tests know it is an address.
Email = Annotated[str, AfterValidator(_encodable), AfterValidator(_email), Field(json_schema_extra={"format": "email"})]
Count = Annotated[int, BeforeValidator(_count)]
DateTime = Annotated[datetime, BeforeValidator(_datetime)]
Day = Annotated[date | None, BeforeValidator(_date)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)


# -- request -----------------------------------------------------------------


class Address(_Model):
    email: Email
    name: Annotated[Text, _limited(MAX_NAME_CHARS)] | None = None


class Body(_Model):
    """The draft's text. Either may be given; HTML is reduced to text by the engine."""

    text: Annotated[Text, _limited(MAX_BODY_CHARS)] | None = None
    html: Annotated[Text, _limited(MAX_BODY_CHARS)] | None = None


def _body(value: Any) -> Any:
    return {"text": value} if isinstance(value, str) else value


class Attachment(_Model):
    name: Text | None = None
    size: Count | None = None
    content_type: Text | None = None


class Thread(_Model):
    is_reply: bool | None = None
    previous_messages: Count | None = None


class Draft(_Model):
    sender: Address | None = Field(None, alias="from")
    to: list[Address] | None = None
    cc: list[Address] | None = None
    bcc: list[Address] | None = None
    subject: Annotated[Text, _limited(MAX_SUBJECT_CHARS)] | None = None
    body: Annotated[Body | None, BeforeValidator(_body)] = Field(
        None,
        description="absent or null: the platform could not read the text (the text checks are listed in "
        "the report's not_checked); {'text': ''} is an empty body",
    )
    attachments: list[Attachment] | None = None
    thread: Thread | None = None
    headers: dict[str, Text] | None = None

    @property
    def recipients(self) -> list[Address]:
        return [*(self.to or ()), *(self.cc or ()), *(self.bcc or ())]


class Consent(_Model):
    status: Annotated[Text, _lower_choice(CONSENT_STATUSES, strict=True)] | None = None
    source: Annotated[Text, _limited(CONTACT_TEXT_LIMITS["source"])] | None = None
    date: Day = None


class Interaction(_Model):
    date: Day = None
    direction: Annotated[Text, _lower_choice(("in", "out"))] | None = None
    subject: Annotated[Text, _limited(INTERACTION_TEXT_LIMITS["subject"])] | None = None
    summary: Annotated[Text, _limited(INTERACTION_TEXT_LIMITS["summary"])] | None = None


class Contact(_Model):
    """What the CRM knows about a person. Other fields a CRM sends are ignored."""

    email: Annotated[Text, AfterValidator(lambda v: _require_at(v))]
    name: Annotated[Text, _limited(CONTACT_TEXT_LIMITS["name"])] | None = None
    company: Annotated[Text, _limited(CONTACT_TEXT_LIMITS["company"])] | None = None
    country: Annotated[Text, _limited(CONTACT_TEXT_LIMITS["country"])] | None = None
    kind: Annotated[Text, _lower_choice(KINDS)] | None = None
    role: Annotated[Text, _limited(CONTACT_TEXT_LIMITS["role"])] | None = None
    industry: Annotated[Text, _limited(CONTACT_TEXT_LIMITS["industry"])] | None = None
    stage: Annotated[Text, _lower_choice(STAGES)] | None = None
    consent: Consent | None = None
    unsubscribed: bool | None = None
    interactions: Annotated[list[Interaction], Field(max_length=MAX_INTERACTIONS)] | None = None


def _require_at(value: str) -> str:
    if "@" not in value:
        raise ValueError("is required and must be an address")
    return value.strip().lower()


def _history_body(value: Any) -> Any:
    if isinstance(value, dict):  # tolerate the draft's {"text", "html"} shape
        return value.get("text") or ""
    return value


class SentMessage(_Model):
    sent_at: DateTime
    sender: Text | None = Field(None, alias="from")
    to: list[Text] | None = None
    subject: Text | None = None
    body: Annotated[Text | None, BeforeValidator(_history_body)] = None


class Org(_Model):
    name: Text | None = None
    domains: list[Text] | None = None
    postal_address: Text | None = None
    policy: dict[str, Any] | None = Field(None, description="see `sendwise schema policy`")


class Context(_Model):
    now: DateTime | None = None
    locale: Text | None = None
    org: Org | None = None
    contacts: Annotated[list[Contact], Field(max_length=MAX_CONTACTS)] | None = None
    history: Annotated[list[SentMessage], Field(max_length=MAX_HISTORY)] | None = None


class AnalysisRequest(_Model):
    """An analysis request. Unknown top-level keys (`expect`, `id`, `notes`) are ignored."""

    draft: Draft
    context: Context = Field(default_factory=Context)


def parse_request(request: Any) -> AnalysisRequest:
    """Validate an analysis request (a dict, or an `AnalysisRequest` already
    validated). Raises `InvalidRequest` with a one-line reason naming the field."""
    if isinstance(request, AnalysisRequest):
        return request
    if not isinstance(request, dict):
        raise InvalidRequest("the request must be a JSON object")
    if request.get("draft") is None:
        raise InvalidRequest("'draft' is required")
    if request.get("context") is None and "context" in request:
        request = {k: v for k, v in request.items() if k != "context"}
    try:
        parsed = AnalysisRequest.model_validate(request)
    except ValidationError as exc:
        raise InvalidRequest(error_message(exc)) from None
    if len(parsed.draft.recipients) > MAX_RECIPIENTS:
        raise InvalidRequest(f"too many recipients (more than {MAX_RECIPIENTS})")
    return parsed


def error_message(exc: ValidationError) -> str:
    """The first error of `exc` as one line naming the field ("draft.to[0].email is required")."""
    error = exc.errors()[0]
    where = _where(error["loc"])
    kind = error["type"]
    if kind == "value_error":
        return f"{where} {error['ctx']['error']}"
    if kind == "missing":
        return f"{where} is required"
    if kind == "string_type":
        return f"{where} must be a string"
    if kind == "list_type":
        return f"{where} must be a list"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"{where} must be an object"
    if kind == "bool_type":
        return f"{where} must be true or false"
    if kind in ("too_long",):
        return f"{where} is too long (more than {error['ctx']['max_length']:,} entries)"
    return f"{where}: {error['msg']}"


def _where(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("Body", "function-after[_encodable(), str]") or str(part).startswith(("function-", "nullable")):
            continue  # pydantic's names for union members and validators, not fields
        else:
            out += ("." if out else "") + str(part)
    return out


# -- report ------------------------------------------------------------------


class Evidence(BaseModel):
    field: str = Field(description="to, cc, bcc, subject, body, attachments or headers")
    start: int | None = None
    end: int | None = None
    text: str


class Finding(BaseModel):
    code: str
    severity: Literal["info", "warn", "block"]
    title: str
    message: str
    suggestion: str
    evidence: list[Evidence]
    recipients: list[str]


class RecipientReport(BaseModel):
    model_config = ConfigDict(extra="allow")

    email: str
    field: Literal["to", "cc", "bcc"]
    external: bool
    jurisdiction: str | None = None
    relationship: str
    kind: str | None = None
    crm: dict[str, Any] | None = None


class ContextSuggestion(BaseModel):
    model_config = ConfigDict(extra="allow")

    kind: Literal["last_interaction", "next_step"]
    recipient: str | None = None
    text: str
    insert: str


class NotChecked(BaseModel):
    code: str
    reason: str


class OnSendReport(BaseModel):
    review: Literal["send", "hold_once"]
    unreachable: Literal["send", "hold"]
    override: Literal["with_reason", "never"]


class CrmStatus(BaseModel):
    model_config = ConfigDict(extra="allow")

    status: Literal["ok", "unavailable"]
    source: str


class Report(BaseModel):
    """What `nlp.analyze` and `POST /api/v1/analyze` return."""

    contract: str
    verdict: Literal["ok", "review", "block"]
    findings: list[Finding]
    not_checked: list[NotChecked] = Field(description="checks skipped because what they read was not available")
    recipients: list[RecipientReport]
    context_suggestions: list[ContextSuggestion]
    on_send: OnSendReport
    policy_warnings: list[str] = Field(
        default_factory=list, description="stored policy settings that no longer validate; their defaults applied"
    )
    crm: CrmStatus | None = None
    elapsed_ms: float


def schemas() -> dict[str, dict[str, Any]]:
    """JSON Schema of the request, the report and the policy."""
    from .policy import schema as policy_schema

    return {
        "request": AnalysisRequest.model_json_schema(by_alias=True),
        "report": Report.model_json_schema(),
        "policy": policy_schema(),
    }
