"""The readable summary `sendwise check` prints on a terminal."""

from __future__ import annotations

import click

from backend.terminal import render

REPORT = {
    "contract": "1",
    "verdict": "block",
    "findings": [
        {
            "code": "compliance.suppressed_recipient",
            "severity": "block",
            "title": "Recipient has unsubscribed",
            "message": "Marco Rossi unsubscribed on 28 Sep.",
            "suggestion": "Remove Marco from the recipients.",
            "evidence": [],
            "recipients": ["m.rossi@rossi-illuminazione.it"],
        },
        {
            "code": "personalization.generic_greeting",
            "severity": "warn",
            "title": "Generic greeting",
            "message": "“Dear Sir/Madam” tells the reader this is a mass mail.",
            "suggestion": "Greet Marco by name.",
            "evidence": [],
            "recipients": [],
        },
    ],
    "recipients": [
        {
            "email": "m.rossi@rossi-illuminazione.it",
            "external": True,
            "jurisdiction": "IT",
            "relationship": "customer",
            "crm": {"stage": "customer", "last_interaction": "2026-09-28"},
        }
    ],
    "context_suggestions": [
        {
            "kind": "last_interaction",
            "text": "Marco ordered track lights last year.",
            "insert": "Following up on your track light order...",
        }
    ],
    "elapsed_ms": 3.14159,
}


def test_summary_shows_verdict_findings_recipients_and_suggestions():
    text = click.unstyle(render(REPORT))
    assert text.splitlines()[0] == "BLOCK  2 findings"
    for expected in (
        "BLOCK  Recipient has unsubscribed  compliance.suppressed_recipient",
        "Marco Rossi unsubscribed on 28 Sep.",
        "→ Remove Marco from the recipients.",
        "recipients: m.rossi@rossi-illuminazione.it",
        "m.rossi@rossi-illuminazione.it  external · IT · customer · stage customer · last contact 2026-09-28",
        "• Marco ordered track lights last year.",
        "insert: Following up on your track light order...",
        "analysed in 3.1 ms",
    ):
        assert expected in text


def test_severities_are_coloured():
    styled = render(REPORT)
    assert click.style("BLOCK", fg="red", bold=True) in styled
    assert click.style("WARN ", fg="yellow", bold=True) in styled


def test_clean_report_is_short():
    text = click.unstyle(render({"verdict": "ok", "findings": [], "recipients": [], "context_suggestions": []}))
    assert text.strip() == "OK  0 findings"


def test_summary_in_chinese_has_no_english_labels():
    text = click.unstyle(render(REPORT, "zh-CN"))
    assert text.splitlines()[0] == "拦截  2 项发现"
    for expected in ("拦截   Recipient has unsubscribed", "警告   Generic greeting", "收件人：m.rossi", "来自您的 CRM"):
        assert expected in text
    assert "m.rossi@rossi-illuminazione.it  外部 · IT · 客户 · 阶段 成交客户 · 最近联系 2026-09-28" in text
    assert "分析用时 3.1 毫秒" in text
    for english in ("BLOCK", "WARN", "recipients:", "Recipients", "From your CRM", "analysed in", "finding", "insert:"):
        assert english not in text, english


def test_badges_line_up_in_chinese_too():
    # A Chinese character takes two columns on a terminal.
    text = click.unstyle(render(REPORT, "zh-CN"))
    assert "警告   Generic greeting" in text and "\n       “Dear Sir/Madam”" in text


def test_every_terminal_label_has_a_chinese_translation():
    from backend import i18n

    catalog = i18n._catalog("zh-CN")
    missing = [f"{where}: {msgid}" for msgid, where in i18n.source_messages() if msgid not in catalog]
    assert missing == [], "add them to backend/locales/zh_CN/LC_MESSAGES/cli.po:\n" + "\n".join(missing)
