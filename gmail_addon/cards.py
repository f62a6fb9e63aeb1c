"""Cards (google.apps.card.v1 JSON) built from a report.

Layout (../shared/docs/ui.md, "Gmail cards"): the header says "sendwise"
and the verdict; the first section says what was checked and what could
not be; then one section per finding, worst first, with the fix as a
button where an update-draft action can do it; then the recipients; then
what the CRM knows.

Gmail limits what a card may hold, so a card never grows with the draft:
findings beyond `FINDINGS_SHOWN` go into one collapsed section, recipients
beyond `RECIPIENT_LINES` into one paragraph, and every text is cut at
`MAX_TEXT`. The worst case (50 recipients, 23 findings) stays within
`MAX_WIDGETS`; tests check both against Google's card schema.

Every text that comes from a report or the CRM is HTML-escaped: card text
is Google's small HTML subset, and a company called "<b>Acme" must read as
written.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from gmail_addon.text import t

FINDINGS_SHOWN = 5
RECIPIENT_LINES = 20
MAX_WIDGETS = 100
MAX_TEXT = 2000
MAX_LINE = 300  # an inserted line or a button parameter
SEVERITY_ORDER = {"block": 0, "warn": 1, "info": 2}
SEVERITY_ICON = {"block": "block", "warn": "warning", "info": "info"}

Card = dict[str, Any]
Widget = dict[str, Any]


@dataclass(frozen=True)
class Actions:
    """Where the card's buttons call back: absolute URLs, as HTTP add-ons need."""

    base: str  # e.g. https://sendwise.example.com/gmail/actions

    def url(self, name: str) -> str:
        return f"{self.base.rstrip('/')}/{name}"


@dataclass(frozen=True)
class Draft:
    """The recipients a compose card was built for, carried in its buttons'
    parameters so that an action can re-run the analysis for them."""

    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()

    def parameters(self) -> dict[str, str]:
        return {"to": ",".join(self.to), "cc": ",".join(self.cc), "bcc": ",".join(self.bcc)}

    @classmethod
    def from_parameters(cls, parameters: dict[str, str]) -> Draft:
        def split(key: str) -> tuple[str, ...]:
            return tuple(a.strip() for a in parameters.get(key, "").split(",") if a.strip())

        return cls(split("to"), split("cc"), split("bcc"))

    @property
    def empty(self) -> bool:
        return not (self.to or self.cc or self.bcc)


# --- widgets -------------------------------------------------------------


def _cut(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def esc(text: Any) -> str:
    return html.escape(_cut(str(text)), quote=False)


def paragraph(text_html: str) -> Widget:
    return {"textParagraph": {"text": _cut(text_html)}}


def button(label: str, action_url: str, parameters: dict[str, str] | None = None, *, filled: bool = False) -> dict:
    action: dict[str, Any] = {"function": action_url}
    if parameters:
        action["parameters"] = [{"key": k, "value": _cut(v, 10_000)} for k, v in parameters.items()]
    out: dict[str, Any] = {"text": _cut(label, 80), "onClick": {"action": action}}
    if filled:
        out["type"] = "FILLED"
    return out


def button_list(*buttons: dict) -> Widget:
    return {"buttonList": {"buttons": list(buttons)}}


def decorated(
    text_html: str,
    *,
    top: str | None = None,
    bottom: str | None = None,
    icon: str | None = None,
    side_button: dict | None = None,
) -> Widget:
    body: dict[str, Any] = {"text": _cut(text_html), "wrapText": True}
    if top:
        body["topLabel"] = _cut(top, 200)
    if bottom:
        body["bottomLabel"] = _cut(bottom, 300)
    if icon:
        body["startIcon"] = {"materialIcon": {"name": icon}}
    if side_button:
        body["button"] = side_button
    return {"decoratedText": body}


def card(subtitle: str, sections: list[dict], locale: str, name: str) -> Card:
    header = {"title": t(locale, "title")}
    if subtitle:
        header["subtitle"] = _cut(subtitle, 200)
    return {"name": name, "header": header, "sections": [s for s in sections if s.get("widgets")]}


def section(widgets: Iterable[Widget], header: str | None = None, **extra: Any) -> dict:
    out: dict[str, Any] = {}
    if header:
        out["header"] = _cut(header, 200)
    out["widgets"] = list(widgets)
    out.update(extra)
    return out


def widget_count(c: Card) -> int:
    return sum(len(s.get("widgets", [])) for s in c.get("sections", []))


# --- the compose card ----------------------------------------------------


def verdict_line(report: dict, locale: str, *, text_checked: bool) -> str:
    findings = report.get("findings") or []
    verdict = report.get("verdict")
    if verdict == "block":
        n = sum(1 for f in findings if f.get("severity") == "block")
        return t(locale, "verdict.block", n=n, problems="problem" if n == 1 else "problems")
    if verdict == "review":
        n = sum(1 for f in findings if f.get("severity") in ("warn", "block"))
        return t(locale, "verdict.review", n=n, things="thing" if n == 1 else "things")
    return t(locale, "verdict.ok" if text_checked else "verdict.ok_partial")


def compose_card(
    report: dict,
    *,
    locale: str,
    actions: Actions,
    draft: Draft,
    source: str,  # "recipients" | "draft" | "pasted"
    postal_address: str | None = None,
) -> Card:
    """The card for a draft being written: recipients only (`source`
    "recipients", the body absent) or after the text was read ("draft")
    or pasted ("pasted")."""
    text_checked = source != "recipients"
    sections = [_status_section(report, locale, actions, draft, source)]
    sections += _finding_sections(report, locale, actions, postal_address)
    sections.append(_recipient_section(report, locale))
    sections.append(_crm_section(report, locale, actions, insertable=True))
    return card(verdict_line(report, locale, text_checked=text_checked), sections, locale, "compose")


def _status_section(report: dict, locale: str, actions: Actions, draft: Draft, source: str) -> dict:
    widgets: list[Widget] = []
    if draft.empty:
        return section([paragraph(esc(t(locale, "no_recipients")))])
    not_checked = report.get("not_checked") or []
    if source == "recipients":
        widgets.append(paragraph(esc(t(locale, "checked.recipients_only"))))
        if not_checked:
            widgets.append(paragraph(f"<i>{esc(t(locale, 'checked.waiting', n=len(not_checked)))}</i>"))
        widgets.append(
            button_list(
                button(t(locale, "button.check_draft"), actions.url("check_draft"), draft.parameters(), filled=True)
            )
        )
    else:
        widgets.append(paragraph(esc(t(locale, "checked.all" if source == "draft" else "checked.pasted"))))
        reasons = sorted({item.get("reason", "") for item in not_checked if item.get("reason")})
        widgets.extend(paragraph(esc(t(locale, "checked.not_checked", reason=r))) for r in reasons[:3])
    crm = report.get("crm") or {}
    if crm.get("status") == "unavailable":
        widgets.append(paragraph(esc(t(locale, "crm.unavailable", message=crm.get("message") or ""))))
    for warning in (report.get("policy_warnings") or [])[:3]:
        widgets.append(paragraph(esc(t(locale, "policy.line", message=warning))))
    return section(widgets)


def sorted_findings(report: dict) -> list[dict]:
    return sorted(report.get("findings") or [], key=lambda f: SEVERITY_ORDER.get(f.get("severity", "info"), 3))


def _finding_sections(report: dict, locale: str, actions: Actions, postal_address: str | None) -> list[dict]:
    findings = sorted_findings(report)
    widgets = [_finding_widget(f, report, locale, actions, postal_address) for f in findings]
    sections = [section([w]) for w in widgets[:FINDINGS_SHOWN]]
    rest = widgets[FINDINGS_SHOWN:]
    if rest:
        sections.append(
            section(rest, t(locale, "findings.more", n=len(rest)), collapsible=True, uncollapsibleWidgetsCount=0)
        )
    return sections


def _finding_widget(finding: dict, report: dict, locale: str, actions: Actions, postal: str | None) -> Widget:
    severity = finding.get("severity", "info")
    text = f"<b>{esc(finding.get('title', ''))}</b><br>{esc(finding.get('message', ''))}"
    if finding.get("suggestion"):
        text += f"<br><i>{esc(finding['suggestion'])}</i>"
    fix = fix_for(finding, report, locale, postal)
    side = button(fix[0], actions.url("insert"), fix[1]) if fix else None
    return decorated(
        text, top=t(locale, f"severity.{severity}"), icon=SEVERITY_ICON.get(severity, "info"), side_button=side
    )


def fix_for(finding: dict, report: dict, locale: str, postal: str | None) -> tuple[str, dict[str, str]] | None:
    """(button label, insert action parameters) for a finding an
    update-draft action can fix, else None."""
    code = finding.get("code")
    if code in ("personalization.generic_greeting", "personalization.name_mismatch"):
        greeting = greeting_for(report)
        return (t(locale, "fix.greeting", text=greeting), {"kind": "line", "text": greeting}) if greeting else None
    if code in ("personalization.missing", "relationship.cold_contact"):
        line = next((s["insert"] for s in report.get("context_suggestions") or [] if s.get("insert")), None)
        return (t(locale, "fix.opening"), {"kind": "line", "text": _cut(line, MAX_LINE)}) if line else None
    if code == "compliance.unsubscribe_missing":
        return t(locale, "fix.opt_out"), {"kind": "opt_out"}
    if code == "compliance.postal_address_missing" and postal:
        return t(locale, "fix.postal"), {"kind": "postal"}
    return None


def greeting_for(report: dict) -> str | None:
    """ "Dear Anna," when the mail goes to one external person whose name is known."""
    external = [r for r in report.get("recipients") or [] if r.get("external") and r.get("field") != "bcc"]
    if len(external) != 1:
        return None
    name = ((external[0].get("crm") or {}).get("name") or "").strip()
    return f"Dear {name.split()[0]}," if name else None


def _recipient_section(report: dict, locale: str) -> dict:
    recipients = report.get("recipients") or []
    internal = [r for r in recipients if not r.get("external")]
    external = [r for r in recipients if r.get("external")]
    widgets: list[Widget] = []
    if internal:
        names = ", ".join(r.get("email", "") for r in internal[:5])
        if len(internal) > 5:
            names += ", …"
        word = "colleague" if len(internal) == 1 else "colleagues"
        widgets.append(paragraph(esc(t(locale, "recipients.internal", n=len(internal), colleagues=word, names=names))))
    for r in external[:RECIPIENT_LINES]:
        tags = recipient_tags(r, locale)
        unsubscribed = (r.get("crm") or {}).get("unsubscribed")
        label = esc(r.get("email", ""))
        if unsubscribed:
            label = f'<font color="#d93025">{label}</font>'
        widgets.append(
            decorated(
                label,
                top=" · ".join(tags[:2]),
                bottom=" · ".join(tags[2:]) or None,
                icon="person_off" if unsubscribed else "person",
            )
        )
    rest = external[RECIPIENT_LINES:]
    if rest:
        lines = [f"{esc(r.get('email', ''))} — {esc(' · '.join(recipient_tags(r, locale)))}" for r in rest]
        widgets.append(paragraph(f"<b>{esc(t(locale, 'recipients.more', n=len(rest)))}</b><br>" + "<br>".join(lines)))
    extra: dict[str, Any] = {}
    if len(widgets) > RECIPIENT_LINES:
        extra = {"collapsible": True, "uncollapsibleWidgetsCount": RECIPIENT_LINES}
    return section(widgets, t(locale, "recipients.heading", n=len(recipients)), **extra)


def recipient_tags(r: dict, locale: str) -> list[str]:
    """Country and relationship first, then consent and stage."""
    crm = r.get("crm") or {}
    tags = []
    where = " ".join(x for x in (r.get("jurisdiction"), r.get("field", "").upper()) if x)
    if where:
        tags.append(where)
    if crm.get("unsubscribed"):
        tags.append(t(locale, "tag.unsubscribed"))
    relationship = r.get("relationship")
    if relationship in ("cold", "warm", "customer"):
        tags.append(t(locale, f"tag.{relationship}"))
    if crm.get("consent"):
        tags.append(t(locale, f"consent.{crm['consent']}"))
    elif r.get("kind") in ("business", "individual"):
        tags.append(t(locale, f"tag.{r['kind']}"))
    if crm.get("stage"):
        tags.append(t(locale, f"stage.{crm['stage']}"))
    return tags


def _crm_section(report: dict, locale: str, actions: Actions, *, insertable: bool) -> dict:
    """What the CRM knows, for mail to one external person."""
    external = [r for r in report.get("recipients") or [] if r.get("external")]
    if len(external) != 1 or not external[0].get("crm"):
        return section([])
    person = external[0]
    crm = person["crm"]
    widgets = crm_widgets(crm, locale)
    widgets += suggestion_widgets(report, locale, actions, insertable=insertable, email=person.get("email"))
    return section(widgets, t(locale, "crm.heading"))


def crm_widgets(crm: dict, locale: str) -> list[Widget]:
    widgets: list[Widget] = []
    who = " · ".join(esc(x) for x in (crm.get("name"), crm.get("company")) if x)
    if who:
        widgets.append(decorated(f"<b>{who}</b>", icon="badge"))
    if crm.get("stage"):
        widgets.append(decorated(esc(t(locale, f"stage.{crm['stage']}")), top=t(locale, "crm.stage")))
    if crm.get("role"):
        widgets.append(decorated(esc(crm["role"]), top=t(locale, "crm.role")))
    exchange = crm.get("last_exchange")
    if exchange:
        key = "crm.you_wrote" if exchange.get("direction") == "out" else "crm.they_wrote"
        text = esc(exchange.get("subject") or "")
        if exchange.get("summary"):
            text += f"<br>{esc(exchange['summary'])}"
        widgets.append(
            decorated(text or "—", top=t(locale, "crm.last_exchange"), bottom=t(locale, key, date=exchange.get("date")))
        )
    item = crm.get("open_item")
    if item:
        kind = (
            t(locale, f"crm.open.{item.get('kind')}") if item.get("kind") in ("quote", "sample") else item.get("kind")
        )
        widgets.append(
            decorated(
                esc(item.get("subject") or ""),
                top=t(locale, "crm.open_item", kind=kind, date=item.get("date")),
                icon="schedule",
            )
        )
    return widgets


def suggestion_widgets(
    report: dict, locale: str, actions: Actions, *, insertable: bool, email: str | None = None
) -> list[Widget]:
    widgets: list[Widget] = []
    for s in (report.get("context_suggestions") or [])[:3]:
        if email and s.get("recipient") and s["recipient"].lower() != email.lower():
            continue
        line = (s.get("insert") or "").strip()
        side = None
        if line and insertable:
            side = button(
                t(locale, "fix.insert"), actions.url("insert"), {"kind": "line", "text": _cut(line, MAX_LINE)}
            )
        text = esc(s.get("text") or "")
        if line:
            text += f"<br><i>{esc(line)}</i>"
        widgets.append(decorated(text, top=t(locale, "crm.next_step"), icon="lightbulb", side_button=side))
    return widgets


# --- the other cards -----------------------------------------------------


def paste_card(*, locale: str, actions: Actions, draft: Draft, reason_key: str, reason: str = "") -> Card:
    """The fallback when the draft cannot be read: a box to paste it into."""
    widgets = [
        paragraph(esc(t(locale, reason_key, reason=reason))),
        {"textInput": {"name": "draft_text", "label": t(locale, "draft.paste_label"), "type": "MULTIPLE_LINE"}},
        button_list(
            button(t(locale, "button.check_pasted"), actions.url("check_pasted"), draft.parameters(), filled=True)
        ),
    ]
    return card(t(locale, "button.check_draft"), [section(widgets)], locale, "paste")


def contextual_card(report: dict | None, *, locale: str, sender: str | None) -> Card:
    """What the CRM knows about the sender of the opened message, and the
    next step; the line to insert is offered again in the reply's compose card."""
    if report is None or not sender:
        return card(t(locale, "crm.heading"), [section([paragraph(esc(t(locale, "no_sender")))])], locale, "context")
    person = next((r for r in report.get("recipients") or [] if r.get("email", "").lower() == sender.lower()), None)
    crm = (person or {}).get("crm")
    widgets: list[Widget] = []
    if person and crm:
        widgets += crm_widgets(crm, locale)
        tags = recipient_tags(person, locale)
        if tags:
            widgets.append(paragraph(esc(" · ".join(tags))))
        suggestions = suggestion_widgets(report, locale, Actions(""), insertable=False, email=sender)
        if suggestions:
            widgets += suggestions
            widgets.append(paragraph(f"<i>{esc(t(locale, 'crm.reply_hint'))}</i>"))
    else:
        widgets.append(paragraph(esc(t(locale, "crm.nothing"))))
    status = report.get("crm") or {}
    if status.get("status") == "unavailable":
        widgets.append(paragraph(esc(t(locale, "crm.unavailable", message=status.get("message") or ""))))
    return card(t(locale, "crm.about", name=(crm or {}).get("name") or sender), [section(widgets)], locale, "context")


def homepage_card(*, locale: str, org_name: str) -> Card:
    widgets = [paragraph(esc(t(locale, "home.text"))), paragraph(esc(t(locale, "home.org", name=org_name)))]
    return card("", [section(widgets)], locale, "home")


def not_set_up_card(*, locale: str, domain: str) -> Card:
    widgets = [paragraph(esc(t(locale, "not_set_up.text", domain=domain)))]
    return card(t(locale, "not_set_up.title", domain=domain), [section(widgets)], locale, "not_set_up")
