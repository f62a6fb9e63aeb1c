"""The OpenAPI 3.1 document of the HTTP API, served at /api/v1/openapi.json.

Built, not written: the request and report schemas come from the contract's
pydantic models (nlp/contract.py), the other bodies from the small models
below, and the operations from `OPERATIONS`, a declarative table next to
which every view's docstring says the same in prose. tests/backend/
test_openapi.py checks that each /api/v1 and /gmail rule of the app is in
the table and that real responses validate against the document, so the
two cannot drift apart silently.

The views stay plain Flask: a framework that generates the document from
decorated views (flask-openapi3, spectree) would also take over parsing and
validation, which here must keep the contract's own one-line errors and
the body, credential and media-type checks in their documented order.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from nlp import CODES
from nlp.contract import CONTRACT_VERSION, AnalysisRequest, Contact, Draft, Report

REF = "#/components/schemas/{model}"
Auth = Literal["public", "api_key", "google"]


# -- bodies that are not the analysis contract ------------------------------


class ErrorDetail(BaseModel):
    code: str = Field(description="stable machine code, e.g. invalid_request, unauthorized (backend/errors.py)")
    message: str = Field(description="one-line reason for a person")


class Error(BaseModel):
    """Every error the API answers with."""

    error: ErrorDetail


class Ready(BaseModel):
    status: Literal["ready"]
    version: str


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    version: str
    database: bool
    engine: bool


class CodeExplanation(BaseModel):
    code: str
    severity: Literal["info", "warn", "block"]
    title: str
    what: str
    why: str
    instead: str


class Codes(BaseModel):
    locale: Literal["en", "zh-CN"]
    codes: list[CodeExplanation]


class MicrosoftSignIn(BaseModel):
    client_id: str
    scopes: list[str]
    authority: str


class SignIn(BaseModel):
    microsoft: MicrosoftSignIn | None


class OrgInfo(BaseModel):
    slug: str
    name: str
    domains: list[str]
    postal_address: str | None


class SentRequest(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    draft: Draft = Field(description="as in an analysis request")
    message_id: str | None = Field(None, min_length=1, max_length=998, description="the message's Message-ID (ASCII)")
    sent_at: str | None = Field(
        None, json_schema_extra={"format": "date-time"}, description="default: the server's clock"
    )


class SentRecord(BaseModel):
    id: int
    message_id: str | None
    sender: str
    recipients: list[str]
    sent_at: str = Field(json_schema_extra={"format": "date-time"})


class SentResult(BaseModel):
    sent: SentRecord
    created: bool = Field(description="false: this message_id was already recorded; nothing new was written")


class OverrideRequest(BaseModel):
    code: str = Field(
        min_length=1,
        max_length=64,
        description="a finding code, see GET /api/v1/codes",
        json_schema_extra={"enum": list(CODES)},
    )
    reason: str = Field(min_length=1, max_length=500, description="why the finding does not apply")
    message_id: str | None = Field(None, min_length=1, max_length=998)
    user: str | None = Field(None, json_schema_extra={"format": "email"}, description="the add-in's mailbox")


class OverrideRecord(BaseModel):
    id: int
    at: str = Field(json_schema_extra={"format": "date-time"})
    actor: str = Field(description="the authenticated caller, e.g. apikey:sw_ab12")
    user: str | None
    code: str
    reason: str
    message_id: str | None


class OverrideResult(BaseModel):
    override: OverrideRecord


class AddonEvent(BaseModel):
    """A Google Workspace add-on event object, as Google posts it."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": True})


class AddonResponse(BaseModel):
    """A Google Workspace add-on action response (cards, notification, draft edit)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": True})


# -- the operations ------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # OpenAPI template, e.g. /api/v1/contacts/{email}
    summary: str
    auth: Auth
    responses: dict[int, tuple[str, type[BaseModel] | str | None]]
    body: type[BaseModel] | None = None
    parameters: list[dict[str, Any]] = field(default_factory=list)
    description: str = ""
    tag: str = "API"


POST_ERRORS = "unsupported_content_type, invalid_json, invalid_request"
TOO_LARGE = "request_too_large: the body is over SENDWISE_MAX_REQUEST_BYTES"
RATE_LIMITED = "rate_limited: over the organisation's or the key's limit; Retry-After says when to try again"
DATABASE_DOWN = "database_unavailable: the database cannot be reached; Retry-After"
UNAUTHORIZED = (401, ("unauthorized: missing, malformed, unknown or revoked credentials", Error))
NOT_SET_UP = "not_set_up: the Microsoft tenant or mail domain has no organisation in sendwise"
ENGINE_DOWN = "engine_unavailable (or demo_not_seeded in demo mode)"
GMAIL_ERRORS: dict[int, tuple[str, type[BaseModel] | str | None]] = {
    200: ("the card to show", AddonResponse),
    400: ("request_too_large, invalid_json, invalid_request (not an add-on event)", Error),
    401: ("unauthorized: no valid Google ID token for the add-on's service account, or no user identity", Error),
    503: ("gmail_not_configured, google_certs_unavailable, engine_unavailable", Error),
}
GMAIL_DESCRIPTION = (
    "Called by Google for the Gmail add-on (HTTP runtime), with the add-on service account's ID token; "
    "the user is the one named by the event's verified `authorizationEventObject.userIdToken`."
)

OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "post",
        "/api/v1/analyze",
        "Analyse a draft",
        "api_key",
        {
            200: ("the report, with the organisation's stored context merged in", Report),
            400: (POST_ERRORS, Error),
            **dict([UNAUTHORIZED]),
            503: (ENGINE_DOWN, Error),
        },
        body=AnalysisRequest,
        description="The analysis request of the contract (docs/contract.md). Unknown keys are ignored.",
    ),
    Operation(
        "post",
        "/api/v1/sent",
        "Record a sent message",
        "api_key",
        {
            200: ("this message_id was recorded before; nothing new was written", SentResult),
            201: ("recorded", SentResult),
            400: (POST_ERRORS, Error),
            **dict([UNAUTHORIZED]),
            503: (ENGINE_DOWN, Error),
        },
        body=SentRequest,
        description="Stores the sender, recipients, time, Message-ID and the body's fingerprint; never the text.",
    ),
    Operation(
        "post",
        "/api/v1/overrides",
        "Record a dismissed finding",
        "api_key",
        {
            201: ("recorded", OverrideResult),
            400: (POST_ERRORS, Error),
            **dict([UNAUTHORIZED]),
            403: ("overrides_not_allowed: the organisation's policy says on_send.override never", Error),
        },
        body=OverrideRequest,
        description="The admin page's audit lists these; no text of the mail is stored.",
    ),
    Operation(
        "get",
        "/api/v1/contacts/{email}",
        "One contact of the caller's organisation",
        "api_key",
        {
            200: ("the contact, in the analysis request's context.contacts[] shape", Contact),
            **dict([UNAUTHORIZED]),
            404: ("not_found: no such contact in the caller's organisation", Error),
        },
        parameters=[
            {
                "name": "email",
                "in": "path",
                "required": True,
                "description": "the address, matched case-insensitively",
                "schema": {"type": "string"},
            }
        ],
    ),
    Operation(
        "get",
        "/api/v1/org",
        "The caller's organisation",
        "api_key",
        {200: ("name, domains and the postal address the add-in inserts", OrgInfo), **dict([UNAUTHORIZED])},
    ),
    Operation(
        "get",
        "/api/v1/signin",
        "How the add-in signs in with Microsoft",
        "public",
        {200: ("the Entra app's client id, scopes and authority, or null without an app registration", SignIn)},
        description="The Outlook add-in asks before it has any credential; a client id is not a secret.",
    ),
    Operation(
        "get",
        "/api/v1/codes",
        "Every finding code, explained",
        "public",
        {
            200: ("title, what, why and instead for each code", Codes),
            400: ("invalid_request: unknown locale", Error),
            503: ("engine_unavailable", Error),
        },
        parameters=[
            {
                "name": "locale",
                "in": "query",
                "required": False,
                "schema": {"type": "string", "enum": ["en", "zh-CN"], "default": "en"},
            }
        ],
    ),
    Operation(
        "get",
        "/api/v1/health",
        "Liveness: the database and the engine",
        "public",
        {200: ("both usable", Health), 503: ("degraded", Health)},
    ),
    Operation(
        "get",
        "/api/v1/ready",
        "Readiness: this worker reaches the database",
        "public",
        {200: ("ready", Ready), 503: ("not_ready: the database cannot be reached", Error)},
    ),
    Operation(
        "get",
        "/api/v1/openapi.json",
        "This document",
        "public",
        {200: ("OpenAPI 3.1", "object")},
        tag="Reference",
    ),
    Operation(
        "get",
        "/api/v1/docs",
        "This document as a page",
        "public",
        {200: ("HTML", "html")},
        tag="Reference",
    ),
    *(
        Operation(
            "post",
            path,
            summary,
            "google",
            GMAIL_ERRORS,
            body=AddonEvent,
            description=GMAIL_DESCRIPTION,
            tag="Gmail add-on",
        )
        for path, summary in (
            ("/gmail/homepage", "Homepage trigger"),
            ("/gmail/compose", "Compose trigger: recipient checks"),
            ("/gmail/contextual", "An opened message: what the CRM knows about its sender"),
        )
    ),
    Operation(
        "post",
        "/gmail/actions/{name}",
        "A card's action",
        "google",
        {**GMAIL_ERRORS, 404: ("not_found: no such action", Error)},
        body=AddonEvent,
        parameters=[
            {
                "name": "name",
                "in": "path",
                "required": True,
                "schema": {"type": "string", "enum": ["check_draft", "check_pasted", "insert"]},
            }
        ],
        description=GMAIL_DESCRIPTION,
        tag="Gmail add-on",
    ),
)

SECURITY_SCHEMES = {
    "apiKey": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "sendwise API key (sw_…), from `sendwise apikey create`",
        "description": "In demo mode (`sendwise serve --demo`), requests from this machine without "
        "credentials act as the demo organisation.",
    },
    "microsoftToken": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A Microsoft identity platform v2.0 access token for this API (scope access_as_user), "
        "from the Outlook add-in's nested app authentication or Office SSO; its tenant picks the organisation.",
    },
    "googleIdToken": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A Google-signed ID token for the Gmail add-on's service account, addressed to "
        "SENDWISE_GMAIL_AUDIENCE.",
    },
}
_SECURITY: dict[Auth, list[dict[str, list[str]]]] = {
    "public": [],
    "api_key": [{"apiKey": []}, {"microsoftToken": []}],
    "google": [{"googleIdToken": []}],
}
INTERNAL_ERROR = ("internal_error: a bug; the request was not analysed", Error)


def _models() -> list[type[BaseModel]]:
    seen: list[type[BaseModel]] = []
    for op in OPERATIONS:
        for model in [op.body, *(m for _, m in op.responses.values())]:
            if isinstance(model, type) and model not in seen:
                seen.append(model)
    return seen


def _content(model: type[BaseModel] | str | None) -> dict[str, Any] | None:
    if model is None:
        return None
    if model == "html":
        return {"text/html": {"schema": {"type": "string"}}}
    if model == "object":
        return {"application/json": {"schema": {"type": "object"}}}
    assert isinstance(model, type)
    return {"application/json": {"schema": {"$ref": REF.format(model=model.__name__)}}}


def _operation(op: Operation) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    answers = {**op.responses, 500: INTERNAL_ERROR}
    if op.auth == "api_key":
        # Any caller: a valid Microsoft identity of a tenant no organisation has,
        # the rate limits, a database that is down.
        for status, text in ((403, NOT_SET_UP), (429, RATE_LIMITED), (503, DATABASE_DOWN)):
            own = answers.get(status)
            answers[status] = (f"{own[0]}; {text}" if own else text, Error)
    if op.method == "post" and op.path.startswith("/api/"):
        answers[413] = (TOO_LARGE, Error)
    for status, (description, model) in sorted(answers.items()):
        responses[str(status)] = {"description": description}
        if (content := _content(model)) is not None:
            responses[str(status)]["content"] = content
    out: dict[str, Any] = {
        "operationId": op.method + op.path.replace("/api/v1", "").replace("/", "_").replace("{", "").replace("}", ""),
        "summary": op.summary,
        "tags": [op.tag],
        "security": _SECURITY[op.auth],
        "responses": responses,
    }
    if op.description:
        out["description"] = op.description
    if op.parameters:
        out["parameters"] = op.parameters
    if op.body is not None:
        out["requestBody"] = {"required": True, "content": _content(op.body)}
    return out


@functools.cache
def document(version: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document (the same for every request: cached)."""
    models = _models()
    # Requests as the server accepts them, answers as it writes them.
    answers = _response_models()
    modes: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        (m, "serialization" if m in answers else "validation") for m in models
    ]
    _, top = models_json_schema(modes, ref_template=REF)
    schemas: dict[str, Any] = dict(top.get("$defs", {}))
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method] = _operation(op)
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "info": {
            "title": "sendwise API",
            "version": version,
            "summary": "Checks export sales emails before they are sent.",
            "description": f"Analysis contract v{CONTRACT_VERSION} (docs/contract.md). Every error is "
            '`{"error": {"code", "message"}}`; invalid input is a 400 with the reason.',
        },
        "servers": [{"url": "/"}],
        "tags": [{"name": "API"}, {"name": "Gmail add-on"}, {"name": "Reference"}],
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": SECURITY_SCHEMES},
    }


def _response_models() -> set[type[BaseModel]]:
    out: set[type[BaseModel]] = set()
    for op in OPERATIONS:
        for _, model in op.responses.values():
            if isinstance(model, type) and model is not Contact:  # a stored contact validates as a request's would
                out.add(model)
    return out
