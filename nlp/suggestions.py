"""What the CRM knows about each recipient, and lines that make the email personal.

The `text` of a suggestion is for the writer (in their locale); the `insert`
is a line for the email itself, so it is always in English, the language of
the correspondence.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from .i18n import N_, Text, render
from .message import Message, Recipient
from .request import Contact, Interaction


def recipients_report(m: Message) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for r in m.recipients:
        c = r.contact
        crm = None
        if c:
            last = _last(c.interactions)
            crm = {
                "name": c.name or None,
                "company": c.company or None,
                "role": c.role or None,
                "industry": c.industry or None,
                "stage": c.stage or None,
                "consent": c.consent_status or None,
                "unsubscribed": c.unsubscribed,
                "last_interaction": r.last_interaction or None,
                "last_exchange": {
                    "date": last.date.isoformat() if last.date else None,
                    "direction": last.direction or None,
                    "subject": last.subject or None,
                    "summary": last.summary or None,
                }
                if last
                else None,
                "open_item": _open_item(c),
            }
        out.append(
            {
                "email": r.email,
                "field": r.field,
                "external": True,
                "jurisdiction": r.country or "unknown",
                "kind": r.kind,
                "relationship": r.relationship,
                "crm": crm,
            }
        )
    for a in m.internal_recipients:
        out.append(
            {
                "email": a.email,
                "field": _field_of(m, a.email),
                "external": False,
                "jurisdiction": None,
                "kind": None,
                "relationship": "internal",
                "crm": None,
            }
        )
    return out


def _field_of(m: Message, email: str) -> str:
    for name in ("to", "cc", "bcc"):
        if any(a.email == email for a in getattr(m.draft, name)):
            return name
    return "to"


def context_suggestions(m: Message) -> list[dict[str, Any]]:
    """Per external recipient the CRM knows: the last exchange to build on, and one next step."""
    out: list[dict[str, Any]] = []
    loc = m.ctx.locale
    for r in m.recipients:
        c = r.contact
        if c is None:
            continue
        name = r.first_name or c.name or r.email
        last = _last(c.interactions)
        if last is not None:
            out.append(
                {
                    "kind": "last_interaction",
                    "recipient": r.email,
                    "text": render(
                        N_("Last exchange with {name} on {date}: “{subject}”. {summary}"),
                        {"name": name, "date": _day(last.date, loc), "subject": last.subject, "summary": last.summary},
                        loc,
                    ).strip(),
                    "insert": _opening(last),
                }
            )
        step = _next_step(r, name)
        if step:
            text, insert = step
            out.append(
                {
                    "kind": "next_step",
                    "recipient": r.email,
                    "text": render(text.msgid, text.params, loc),
                    "insert": insert,
                }
            )
    return out


# -- the next step, by purchase stage and the reader's role -----------------------


def role_group(role: str) -> str:
    """What a role cares about: "technical", "purchasing", "owner" or ""."""
    r = role.lower()
    if _TECHNICAL.search(r):
        return "technical"
    if _PURCHASING.search(r):
        return "purchasing"
    if _OWNER.search(r):
        return "owner"
    return ""


# Roles as CRMs spell them, in English, the customers' languages and Chinese
# (an exporter's own CRM often records them in Chinese: 技术总监, 采购经理, 老板).
_TECHNICAL = re.compile(
    r"tech|engineer|r&d|r and d|quality|qc|qa\b|product (?:manager|develop)|design|lab|"
    r"ingenieur|ingénieur|ingeniero|ingegnere|qualität|qualité|calidad|qualità|kwaliteit|entwicklung|"
    r"technique|técnico|tecnico|techniek|konstrukt|"
    r"技术|工程|质量|品质|质检|研发|开发|设计|实验|产品经理"
)
_PURCHASING = re.compile(
    r"purchas|procure|buy|sourcing|einkauf|achat|acheteu|acquist|compra|inkoop|inkoper|"
    r"采购|买手|进口"
)
_OWNER = re.compile(
    r"owner|ceo|founder|managing|general manager|director|president|geschäftsführ|inhaber|"
    r"gérant|directeur général|titolare|director general|eigenaar|directeur|"
    r"老板|总经理|总裁|董事长|创始人|总监|负责人"
)


_ROLE_NEEDS = {
    "technical": N_("As a technical contact, {name} will want specifications, test reports and certificates."),
    "purchasing": N_("As a buyer, {name} will want price, MOQ and lead time."),
    "owner": N_("As the owner, {name} will want the business case: margin, sell-through, reliability."),
}

# (stage, role group) -> (advice for the writer, line for the email); "" matches any role.
_STEPS: dict[tuple[str, str], tuple[str, str]] = {
    ("sample", "technical"): (
        N_("{name} has your samples: ask how they performed in their tests."),
        "How did the samples perform in your tests? I can send the full test report and specifications if useful.",
    ),
    ("sample", "purchasing"): (
        N_("{name} has your samples: ask for feedback and offer price and lead time for a first order."),
        "How did the samples work out? Once they are approved, I can confirm price and lead time for a first order.",
    ),
    ("sample", ""): (
        N_("{name} has your samples: ask for their feedback."),
        "How did the samples work out for you? I would be glad to hear your team's feedback.",
    ),
    ("negotiation", "purchasing"): (
        N_("{name} is negotiating an order: give the final price, MOQ and lead time in one place."),
        "To make your decision easier, here are the final price, MOQ and lead time in one place:",
    ),
    ("negotiation", "owner"): (
        N_("{name} is deciding on an order: show the business case, not only the price."),
        "Here is how the numbers work out for your range: landed cost, suggested retail price and margin:",
    ),
    ("negotiation", ""): (
        N_("{name} is negotiating an order: ask what they still need to decide."),
        "Is there anything else you need from us to finalise the order?",
    ),
    ("customer", "technical"): (
        N_("{name} is a customer: share technical improvements relevant to what they bought."),
        "Since you are using our products, you may find this technical update useful:",
    ),
    ("customer", ""): (
        N_("{name} is a customer: refer to what they bought and how it is going."),
        "How are the products from your last order doing with your customers?",
    ),
    ("repeat", "purchasing"): (
        N_("{name} reorders regularly: help plan the next order (stock, lead time, prices)."),
        "To help you plan your next order, here are our current lead times and stock:",
    ),
    ("repeat", ""): (
        N_("{name} buys from you regularly: build on their previous orders."),
        "Thank you for another year of working together.",
    ),
    ("prospect", "technical"): (
        N_("{name} is a prospect with a technical role: lead with specifications and proof."),
        "I attach the datasheet and test report, so you can check the specifications directly.",
    ),
    ("prospect", "purchasing"): (
        N_("{name} is a prospect in purchasing: lead with price, MOQ and lead time."),
        "For a first order, our price, MOQ and lead time would be:",
    ),
    ("prospect", "owner"): (
        N_("{name} is a prospect who runs the business: lead with what it means for their business."),
        "Shops like yours use our products to add a higher-margin line without holding much stock.",
    ),
}


def _next_step(r: Recipient, name: str) -> tuple[Text, str] | None:
    c = r.contact
    if c is None:
        return None
    open_item = _open_item(c)
    if open_item:
        kind, when = open_item["kind"], _day(_parse(open_item["date"]), "en")
        if kind == "quote":
            return (
                Text(
                    N_("You sent {name} a quotation on {date} with no answer since: follow it up."),
                    {"name": name, "date": when},
                ),
                f"Did you have a chance to look at the quotation I sent on {when}?",
            )
        return (
            Text(
                N_("You sent {name} samples on {date} with no answer since: ask for feedback."),
                {"name": name, "date": when},
            ),
            f"Have the samples I sent on {when} arrived safely? I would be glad to hear your feedback.",
        )
    group = role_group(c.role)
    step = _STEPS.get((c.stage, group)) or _STEPS.get((c.stage, ""))
    if step is None:
        need = _ROLE_NEEDS.get(group)
        return (Text(need, {"name": name}), "") if need else None
    text, insert = step
    need = _ROLE_NEEDS.get(group)
    params = {"name": name}
    if need and step is _STEPS.get((c.stage, "")):
        return Text(N_("{step} {need}"), {"step": Text(text, params), "need": Text(need, params)}), insert
    return Text(text, params), insert


def _open_item(c: Contact) -> dict[str, str] | None:
    """A quotation or samples we sent that the contact has not answered since."""
    dated = sorted(((i.date, i) for i in c.interactions if i.date), key=lambda pair: pair[0])
    for day, i in reversed(dated):
        if i.direction != "out":
            return None  # they wrote after our last offer
        words = f"{i.subject} {i.summary}".lower()
        if re.search(r"quot|offer|angebot|devis|preventivo|报价", words):
            return {"kind": "quote", "date": day.isoformat(), "subject": i.subject}
        if re.search(r"sample|muster|échantillon|campion|样品", words):
            return {"kind": "sample", "date": day.isoformat(), "subject": i.subject}
    return None


def _parse(iso: str) -> date:
    return date.fromisoformat(iso)


def _last(interactions: tuple[Interaction, ...]) -> Interaction | None:
    dated = [(i.date, i) for i in interactions if i.date]
    return max(dated, key=lambda pair: pair[0])[1] if dated else (interactions[-1] if interactions else None)


def _day(d: date | None, locale: str) -> str:
    if d is None:
        return "?"
    return f"{d.month}月{d.day}日" if locale == "zh-CN" else f"{d.day} {d:%B}"


def _opening(i: Interaction) -> str:
    """An English opening line built from the last exchange."""
    when = f"of {i.date.day} {i.date:%B}" if i.date else ""
    summary = i.summary.strip().rstrip(".")
    about = f"about “{i.subject}”" if i.subject else ""
    if i.direction == "out":
        if not summary:
            return ""  # a bare logged activity (e.g. from a CRM sync) is nothing to quote to the reader
        return " ".join(filter(None, ["Following up on my email", when, about])) + ","
    m = re.match(r"(?i)(?:asked|enquired|inquired)\s+(?:for|about)\s+(.+)", summary) or re.match(
        r"(?i)requested\s+(.+)", summary
    )
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
