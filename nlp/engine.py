"""`analyze()`: run every enabled check on a draft and assemble the report.

Checks propose; the organisation's policy decides. A check never reads the
policy: the engine resolves each code's severity and thresholds from
`context.org.policy` over the defaults in the check table and passes the
thresholds in.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from . import policy as P
from .checks import REGISTRY, SEVERITY_RANK, Check, Hit
from .contract import CONTRACT_VERSION, AnalysisRequest, parse_request
from .contract import Context as RequestContext
from .errors import InvalidRequest
from .fingerprint import fingerprint, normalize
from .i18n import N_, gettext, render
from .message import Message
from .names import company_keys_in
from .request import Context, Draft, engine_view
from .sent_index import SentIndex
from .suggestions import context_suggestions, recipients_report
from .text import Window

TEXT_NOT_AVAILABLE = N_("The text of the draft was not available, so this was not checked.")


def analyze(request: dict | AnalysisRequest, *, sent_index: SentIndex | None = None) -> dict[str, Any]:
    """Analyse a draft (an analysis request, see the contract) and return the report.

    `request` is a dict, or an `AnalysisRequest` its caller validated with
    `nlp.parse_request`. `sent_index` gives access to the organisation's
    stored fingerprints for org-wide template reuse; without it only
    `context.history` is used. Raises InvalidRequest (a ValueError) for a
    request that breaks the contract.
    """
    started = time.perf_counter()
    draft, ctx = _view(parse_request(request))
    m = Message(draft, ctx, sent_index)
    findings: list[dict[str, Any]] = []
    not_checked: list[dict[str, str]] = []
    if m.external:  # internal mail is the organisation's own business
        for check in REGISTRY.values():
            rule = ctx.policy.get(check.code, {})
            severity = rule.get("severity") or check.severity
            if severity == "off":
                continue
            if check.needs_text and not draft.text_available:
                not_checked.append({"code": check.code, "reason": gettext(TEXT_NOT_AVAILABLE, ctx.locale)})
                continue
            params = {k: rule.get(k, v) for k, v in check.params.items()}
            for hit in check.func(m, params):
                findings.append(_finding(check, hit, severity, ctx.locale, m.window))
    findings.sort(key=lambda f: -SEVERITY_RANK[f["severity"]])
    worst = max((SEVERITY_RANK[f["severity"]] for f in findings), default=0)
    return {
        "contract": CONTRACT_VERSION,
        "verdict": "block" if worst >= 3 else "review" if worst == 2 else "ok",
        "findings": findings,
        "not_checked": not_checked,
        "recipients": recipients_report(m),
        "context_suggestions": context_suggestions(m),
        "on_send": P.on_send(ctx.policy),
        "policy_warnings": [],
        "elapsed_ms": round((time.perf_counter() - started) * 1000, 2),
    }


def _view(request: AnalysisRequest) -> tuple[Draft, Context]:
    org = request.context.org
    try:
        policy = P.validate(org.policy if org else None)
    except P.PolicyError as exc:
        raise InvalidRequest(f"context.org.policy.{exc}") from None
    return engine_view(request, policy)


def _finding(check: Check, hit: Hit, severity: str, locale: str, window: Window) -> dict[str, Any]:
    if hit.severity and SEVERITY_RANK[hit.severity] < SEVERITY_RANK[severity]:
        severity = hit.severity
    for e in hit.evidence:
        if e["field"] == "body" and "start" in e:
            e["start"], e["end"] = window.original(e["start"]), window.original(e["end"])
    return {
        "code": check.code,
        "severity": severity,
        "title": gettext(check.title, locale),
        "message": render(hit.message, hit.params, locale),
        "suggestion": render(hit.suggestion, hit.params, locale) if hit.suggestion else "",
        "evidence": hit.evidence,
        "recipients": hit.recipients,
    }


def company_mentions(request: AnalysisRequest) -> list[str]:
    """Keys (see `names.company_core`) of every company the draft could be naming.

    Storage uses them to fetch the known contacts whose company is mentioned, so
    that `personalization.company_mismatch` sees them without loading every contact.
    """
    # Only the draft's text matters here: the context (inline contacts and
    # history, possibly thousands) is converted once, by `analyze`.
    draft, ctx = engine_view(AnalysisRequest.model_construct(draft=request.draft, context=RequestContext()), {})
    m = Message(draft, ctx)
    s = m.segments
    return sorted(company_keys_in(draft.subject) | company_keys_in(s.visible[s.content_start : s.content_end]))


@dataclass(frozen=True)
class SentFingerprint:
    """What the organisation may keep of a sent message: no text.

    `fingerprint` is `nlp.fingerprint.fingerprint` of the content without
    greeting, signature and quotes, exactly what `mass.template_reuse`
    looks up for a draft; `words` counts that content's normalized words.
    """

    sender: str
    recipients: list[str]
    fingerprint: bytes
    words: int


def sent_fingerprint(draft: dict) -> SentFingerprint:
    """Sender, recipients (to, cc, bcc; first occurrence kept) and content
    fingerprint of a contract `draft` that has been sent.

    Raises InvalidRequest like `analyze`, and for a draft without a sender
    or without any recipient.
    """
    parsed, ctx = _view(parse_request({"draft": draft}))
    if parsed.sender is None:
        raise InvalidRequest("'draft.from' is required to record a sent message")
    recipients = list(dict.fromkeys(a.email for a in (*parsed.to, *parsed.cc, *parsed.bcc)))
    if not recipients:
        raise InvalidRequest("a sent message needs at least one recipient in draft.to, draft.cc or draft.bcc")
    content = Message(parsed, ctx).segments.content
    return SentFingerprint(
        sender=parsed.sender.email,
        recipients=recipients,
        fingerprint=fingerprint(content),
        words=len(normalize(content).split()),
    )


def warm_up() -> None:
    """Build the pipelines and load the catalogs now, so the first real draft is not slowed by it."""
    analyze(
        {
            "draft": {
                "from": {"email": "a@example.com"},
                "to": [{"email": "b@example.org"}],
                "subject": "x",
                "body": {"text": "Dear B,\n\nx\n\nBest regards,\nA"},
            },
            "context": {"locale": "zh-CN"},
        }
    )


def explain(code: str, locale: str = "en") -> dict[str, str]:
    """What a code detects, why it matters and what to do instead, in `locale`.

    Raises KeyError for an unknown code.
    """
    from .request import normalize_locale

    check = REGISTRY[code]
    loc = normalize_locale(locale)
    return {
        "code": code,
        "severity": check.severity,
        **{k: gettext(getattr(check, k), loc) for k in ("title", "what", "why", "instead")},
    }
