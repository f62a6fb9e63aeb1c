"""What the CRM knows about each recipient, and lines that make the email personal.

The `text` of a suggestion is for the writer (in their locale); the `insert`
is a line for the email itself, so it is always in English, the language of
the correspondence.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Any

from .i18n import N_, render
from .message import Message, Recipient
from .request import Interaction


def recipients_report(m: Message) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for r in m.recipients:
        c = r.contact
        crm = None
        if c:
            crm = {"name": c.name or None, "company": c.company or None, "role": c.role or None,
                   "industry": c.industry or None, "stage": c.stage or None,
                   "consent": c.consent_status or None, "unsubscribed": c.unsubscribed,
                   "last_interaction": r.last_interaction or None}
        out.append({"email": r.email, "field": r.field, "external": True,
                    "jurisdiction": r.country or "unknown", "kind": r.kind,
                    "relationship": r.relationship, "crm": crm})
    for a in m.internal_recipients:
        out.append({"email": a.email, "field": _field_of(m, a.email), "external": False,
                    "jurisdiction": None, "kind": None, "relationship": "internal", "crm": None})
    return out


def _field_of(m: Message, email: str) -> str:
    for name in ("to", "cc", "bcc"):
        if any(a.email == email for a in getattr(m.draft, name)):
            return name
    return "to"


_STAGE_LINES = {
    "sample": (N_("{name} has samples from you: ask for their feedback."),
               "How did the samples work out for you? I would be glad to hear your team's feedback."),
    "negotiation": (N_("{name} is negotiating an order: ask what they still need to decide."),
                    "Is there anything else you need from us to finalise the order?"),
    "customer": (N_("{name} is a customer: thank them and refer to what they bought."),
                 "Thank you again for your order and your trust in our products."),
    "repeat": (N_("{name} buys from you regularly: build on their previous orders."),
               "Thank you for another year of working together."),
}
_ROLE_HINTS = {
    "technical": N_("As a technical contact, {name} will want specifications and test data."),
    "engineering": N_("As a technical contact, {name} will want specifications and test data."),
    "purchasing": N_("As a buyer, {name} will want price, MOQ and lead time."),
    "procurement": N_("As a buyer, {name} will want price, MOQ and lead time."),
    "owner": N_("As the owner, {name} will want the business case: margin, sell-through, reliability."),
    "management": N_("As a manager, {name} will want the business case: margin, sell-through, reliability."),
}


def context_suggestions(m: Message) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    loc = m.ctx.locale
    for r in m.recipients:
        c = r.contact
        if c is None:
            continue
        name = r.first_name or c.name or r.email
        last = _last(c.interactions)
        if last is not None:
            out.append({"kind": "last_interaction", "recipient": r.email,
                        "text": render(N_("Last exchange with {name} on {date}: “{subject}”. {summary}"),
                                       {"name": name, "date": _day(last.date, loc), "subject": last.subject,
                                        "summary": last.summary}, loc).strip(),
                        "insert": _opening(last)})
        if c.stage in _STAGE_LINES:
            text, insert = _STAGE_LINES[c.stage]
            hint = _ROLE_HINTS.get(c.role.lower())
            full = render(text, {"name": name}, loc) + (" " + render(hint, {"name": name}, loc) if hint else "")
            out.append({"kind": "stage", "recipient": r.email, "text": full, "insert": insert})
    return out


def _last(interactions: tuple[Interaction, ...]) -> Interaction | None:
    dated = [i for i in interactions if i.date]
    return max(dated, key=lambda i: i.date) if dated else (interactions[-1] if interactions else None)


def _day(d: date | None, locale: str) -> str:
    if d is None:
        return "?"
    return f"{d.month}月{d.day}日" if locale == "zh-CN" else f"{d.day} {d:%b}"


def _opening(i: Interaction) -> str:
    """An English opening line built from the last exchange."""
    when = f"of {i.date.day} {i.date:%B}" if i.date else ""
    summary = i.summary.strip().rstrip(".")
    about = f"about “{i.subject}”" if i.subject else ""
    if i.direction == "out":
        return " ".join(filter(None, ["Following up on my email", when, about])) + ","
    m = re.match(r"(?i)(?:asked|enquired|inquired)\s+(?:for|about)\s+(.+)", summary) \
        or re.match(r"(?i)requested\s+(.+)", summary)
    if m:
        return " ".join(filter(None, ["Following up on your request", when, "for", _lower_first(m.group(1))])) + ":"
    m = re.match(r"(?i)asked\s+(whether|if|how|when|what|which)\s+(.+)", summary)
    if m:
        return " ".join(filter(None, ["About your question", when, m.group(1).lower(), _lower_first(m.group(2))])) + ":"
    if re.match(r"(?i)(?:ordered|order|po\b)", summary) or re.search(r"(?i)\border\b|\bPO\b", i.subject):
        return " ".join(filter(None, ["Thank you again for your order", when])) + "."
    return " ".join(filter(None, ["Thank you for your message", when, about])) + "."


def _lower_first(s: str) -> str:
    return s[:1].lower() + s[1:] if s[:1].isupper() and not s[1:2].isupper() else s
