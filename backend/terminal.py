"""The report as a readable, coloured summary for a terminal (`sendwise
check` on a TTY). Pure: report dict in, text out; `click.echo` drops the
colours when the output is not a terminal."""

from __future__ import annotations

from typing import Any

import click

_VERDICT_COLOURS = {"ok": "green", "review": "yellow", "block": "red"}
_SEVERITY_COLOURS = {"info": "cyan", "warn": "yellow", "block": "red"}


def render(report: dict[str, Any]) -> str:
    lines: list[str] = []
    verdict = str(report.get("verdict", "?"))
    findings = report.get("findings") or []
    count = f"{len(findings)} finding{'' if len(findings) == 1 else 's'}"
    lines += [f"{click.style(verdict.upper(), fg=_VERDICT_COLOURS.get(verdict), bold=True)}  {count}", ""]

    for finding in findings:
        severity = str(finding.get("severity", ""))
        badge = click.style(f"{severity.upper():<5}", fg=_SEVERITY_COLOURS.get(severity), bold=True)
        lines.append(
            f"{badge}  {click.style(finding.get('title', ''), bold=True)}  {click.style(finding.get('code', ''), dim=True)}"
        )
        if finding.get("message"):
            lines.append(f"       {finding['message']}")
        if finding.get("suggestion"):
            lines.append(f"       → {finding['suggestion']}")
        if finding.get("recipients"):
            lines.append(f"       recipients: {', '.join(finding['recipients'])}")
        lines.append("")

    recipients = report.get("recipients") or []
    if recipients:
        lines.append(click.style("Recipients", bold=True))
        for r in recipients:
            crm = r.get("crm") or {}
            facts = [
                "external" if r.get("external") else "internal",
                r.get("jurisdiction") or "jurisdiction unknown",
                r.get("relationship"),
                f"stage {crm['stage']}" if crm.get("stage") else None,
                f"last contact {crm['last_interaction']}" if crm.get("last_interaction") else None,
            ]
            lines.append(f"  {r.get('email', '?')}  " + " · ".join(f for f in facts if f))
        lines.append("")

    suggestions = report.get("context_suggestions") or []
    if suggestions:
        lines.append(click.style("From your CRM", bold=True))
        for s in suggestions:
            lines.append(f"  • {s.get('text', '')}")
            if s.get("insert"):
                lines.append(f"    insert: {s['insert']}")
        lines.append("")

    if "elapsed_ms" in report:
        lines.append(click.style(f"analysed in {report['elapsed_ms']:.1f} ms", dim=True))
    return "\n".join(lines)
