"""The report as a readable, coloured summary for a terminal (`sendwise
check` on a TTY). Pure: report dict in, text out; `click.echo` drops the
colours when the output is not a terminal. Labels follow the report's
locale (backend/i18n.py); titles and messages come translated already."""

from __future__ import annotations

import unicodedata
from typing import Any

import click

from backend.i18n import N_, NC_, gettext, pgettext

_VERDICT_COLOURS = {"ok": "green", "review": "yellow", "block": "red"}
_SEVERITY_COLOURS = {"info": "cyan", "warn": "yellow", "block": "red"}
# Verdicts and severities, for the catalog: the report carries them as codes.
LEVELS = (N_("ok"), N_("review"), N_("block"), N_("info"), N_("warn"))
RELATIONSHIPS = [
    NC_("relationship", "cold"),
    NC_("relationship", "contacted"),
    NC_("relationship", "warm"),
    NC_("relationship", "customer"),
    NC_("relationship", "internal"),
]
STAGES = [
    NC_("stage", "prospect"),
    NC_("stage", "sample"),
    NC_("stage", "negotiation"),
    NC_("stage", "customer"),
    NC_("stage", "repeat"),
]
BADGE_COLUMNS = 5  # "BLOCK"; the messages below are indented past it


def render(report: dict[str, Any], locale: str = "en") -> str:
    def _(msgid: str, **params: Any) -> str:
        return gettext(msgid, locale).format(**params)

    def level(code: str) -> str:
        return gettext(code, locale).upper()

    lines: list[str] = []
    verdict = str(report.get("verdict", "?"))
    findings = report.get("findings") or []
    count = _(N_("{n} finding") if len(findings) == 1 else N_("{n} findings"), n=len(findings))
    lines += [f"{click.style(level(verdict), fg=_VERDICT_COLOURS.get(verdict), bold=True)}  {count}", ""]

    for finding in findings:
        severity = str(finding.get("severity", ""))
        badge = click.style(_pad(level(severity), BADGE_COLUMNS), fg=_SEVERITY_COLOURS.get(severity), bold=True)
        lines.append(
            f"{badge}  {click.style(finding.get('title', ''), bold=True)}  {click.style(finding.get('code', ''), dim=True)}"
        )
        if finding.get("message"):
            lines.append(f"       {finding['message']}")
        if finding.get("suggestion"):
            lines.append(f"       → {finding['suggestion']}")
        if finding.get("recipients"):
            lines.append("       " + _(N_("recipients: {recipients}"), recipients=", ".join(finding["recipients"])))
        lines.append("")

    recipients = report.get("recipients") or []
    if recipients:
        lines.append(click.style(_(N_("Recipients")), bold=True))
        for r in recipients:
            crm = r.get("crm") or {}
            facts = [
                _(N_("external")) if r.get("external") else _(N_("internal")),
                r.get("jurisdiction") or _(N_("jurisdiction unknown")),
                pgettext("relationship", r["relationship"], locale) if r.get("relationship") else None,
                _(N_("stage {stage}"), stage=pgettext("stage", crm["stage"], locale)) if crm.get("stage") else None,
                _(N_("last contact {date}"), date=crm["last_interaction"]) if crm.get("last_interaction") else None,
            ]
            lines.append(f"  {r.get('email', '?')}  " + " · ".join(f for f in facts if f))
        lines.append("")

    suggestions = report.get("context_suggestions") or []
    if suggestions:
        lines.append(click.style(_(N_("From your CRM")), bold=True))
        for s in suggestions:
            lines.append(f"  • {s.get('text', '')}")
            if s.get("insert"):
                lines.append("    " + _(N_("insert: {text}"), text=s["insert"]))
        lines.append("")

    if "elapsed_ms" in report:
        lines.append(click.style(_(N_("analysed in {ms} ms"), ms=f"{report['elapsed_ms']:.1f}"), dim=True))
    return "\n".join(lines)


def _pad(text: str, columns: int) -> str:
    """`text` padded to `columns` terminal columns: CJK characters take two."""
    width = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(0, columns - width)
