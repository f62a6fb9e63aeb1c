"""Cards against Google's card schema, and within Gmail's limits in the
worst case: 50 recipients and all 23 findings."""

from __future__ import annotations

import json

import pytest

import nlp
from gmail_addon import cards, responses
from tests.gmail.card_schema import card_errors, errors

ACTIONS = cards.Actions("https://sendwise.example.com/gmail/actions")


def worst_report(locale: str = "en") -> dict:
    recipients = [
        {
            "email": f"{'very.long.purchasing.department.name' * 2}{i}@distributor-{i}-lighting-wholesale.example.de",
            "field": "to",
            "external": True,
            "jurisdiction": "DE",
            "kind": "business",
            "relationship": "cold" if i % 2 else "customer",
            "crm": {"name": "Ånna <b>Schmidt</b>", "consent": "opt_out", "stage": "repeat", "unsubscribed": True}
            if i % 2 == 0
            else None,
        }
        for i in range(50)
    ]
    findings = []
    for code in nlp.CODES:
        info = nlp.explain(code, locale)
        findings.append(
            {
                "code": code,
                "severity": ["block", "warn", "info"][len(findings) % 3],
                "title": info["title"],
                "message": info["what"] * 3,
                "suggestion": info["instead"],
                "evidence": [],
                "recipients": [],
            }
        )
    return {
        "verdict": "block",
        "findings": findings,
        "recipients": recipients,
        "not_checked": [],
        "policy_warnings": ["mass.bulk_bcc.threshold: 0 is out of range; the default 10 was used"],
        "crm": {"status": "unavailable", "message": "HubSpot did not answer"},
        "context_suggestions": [{"kind": "next_step", "recipient": "x@y.de", "text": "t", "insert": "Dear Anna,"}],
    }


def test_the_validator_catches_unknown_fields_and_wrong_types():
    good = cards.compose_card(
        worst_report(), locale="en", actions=ACTIONS, draft=cards.Draft(("a@b.de",)), source="draft"
    )
    assert card_errors(good) == []
    bad = json.loads(json.dumps(good))
    bad["sections"][0]["widgets"][0]["textParagraph"]["colour"] = "red"
    bad["sections"][1]["collapsible"] = "yes"
    bad["header"]["subtitle"] = 3
    found = card_errors(bad)
    assert any("colour: unknown field of GoogleAppsCardV1TextParagraph" in e for e in found)
    assert any("collapsible: expected a boolean" in e for e in found)
    assert any("subtitle: expected a string" in e for e in found)
    wrapped = responses.push_card(good)
    wrapped["action"]["navigations"][0]["popCardd"] = True
    assert any("popCardd: unknown field of Navigation" in e for e in errors(wrapped))
    insert = responses.insert_into_draft("Dear Anna,")
    assert errors(insert) == []
    del insert["renderActions"]["hostAppAction"]["gmailAction"]["updateDraftActionMarkup"]["updateBody"]["type"]
    assert any("requires updateBody.type" in e for e in errors(insert))
    parameter = {"action": {"function": "https://x", "parameters": [{"key": "k", "value": True}]}}
    assert errors(parameter, "GoogleAppsCardV1OnClick") == ["$.action.parameters[0].value: expected a string, got bool"]


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
@pytest.mark.parametrize("source", ["recipients", "draft"])
def test_the_worst_case_card_is_valid_and_within_limits(locale, source):
    draft = cards.Draft(tuple(r["email"] for r in worst_report()["recipients"]))
    card = cards.compose_card(
        worst_report(locale), locale=locale, actions=ACTIONS, draft=draft, source=source, postal_address="1 Road"
    )
    assert errors(responses.push_card(card)) == []
    assert cards.widget_count(card) <= cards.MAX_WIDGETS
    finding_sections = [
        s for s in card["sections"] if any("startIcon" in w.get("decoratedText", {}) for w in s["widgets"])
    ]
    assert finding_sections[cards.FINDINGS_SHOWN]["collapsible"] is True
    for section in card["sections"]:
        for widget in section["widgets"]:
            for value in (widget.get("textParagraph") or widget.get("decoratedText") or {}).values():
                assert not isinstance(value, str) or len(value) <= cards.MAX_TEXT
    assert "<b>Schmidt</b>" not in json.dumps(card, ensure_ascii=False)
    assert len(json.dumps(responses.push_card(card)).encode()) < 100_000


def test_the_worst_case_is_worst_first():
    card = cards.compose_card(
        worst_report(), locale="en", actions=ACTIONS, draft=cards.Draft(("a@b.de",)), source="draft"
    )
    labels = [
        w["decoratedText"]["topLabel"]
        for s in card["sections"]
        for w in s["widgets"]
        if w.get("decoratedText", {}).get("topLabel") in ("Must fix", "Check", "Tip")
    ]
    assert labels == sorted(labels, key=["Must fix", "Check", "Tip"].index) and len(labels) == len(nlp.CODES)


def test_the_other_cards_are_valid():
    for card in (
        cards.paste_card(locale="zh-CN", actions=ACTIONS, draft=cards.Draft(("a@b.de",)), reason_key="draft.not_found"),
        cards.contextual_card(worst_report(), locale="en", sender="nobody@x.de"),
        cards.contextual_card(None, locale="en", sender=None),
        cards.homepage_card(locale="zh-CN", org_name="Acme"),
        cards.not_set_up_card(locale="en", domain="x.de"),
    ):
        assert errors(responses.update_card(card)) == []
    assert errors(responses.notification("Inserted.")) == []
