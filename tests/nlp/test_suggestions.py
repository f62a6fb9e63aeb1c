"""Context suggestions: what the CRM knows, and one next step fitting the stage and the reader's role."""

from __future__ import annotations

import pytest

from nlp import analyze

from .builders import PITCH, contact, request

ANNA = "anna.schmidt@mueller-licht.de"


def suggestions(locale="en", **kw):
    c = contact(ANNA, "Anna Schmidt", "Müller Licht GmbH", "DE", **kw)
    return {s["kind"]: s for s in analyze(request(PITCH, contacts=[c], locale=locale))["context_suggestions"]}


@pytest.mark.parametrize(
    "stage,role,expect_text,expect_insert",
    [
        ("sample", "Technical manager", "tests", "test report"),
        ("sample", "Purchasing", "price and lead time", "first order"),
        ("negotiation", "Einkauf", "MOQ", "final price"),
        ("negotiation", "Owner", "business case", "margin"),
        ("prospect", "R&D engineer", "specifications", "datasheet"),
    ],
)
def test_next_step_fits_stage_and_role(stage, role, expect_text, expect_insert):
    s = suggestions(stage=stage, role=role)["next_step"]
    assert expect_text in s["text"] and expect_insert in s["insert"]


@pytest.mark.parametrize(
    "role, english",
    [
        ("技术总监", "Technical director"),
        ("研发工程师", "R&D engineer"),
        ("质量经理", "Quality manager"),
        ("设计师", "Designer"),
        ("采购经理", "Purchasing manager"),
        ("老板", "Owner"),
        ("总经理", "General manager"),
        ("Qualitätsingenieur", "Quality engineer"),
    ],
)
def test_roles_recorded_in_chinese_or_the_customers_language_feed_the_same_next_step(role, english):
    assert suggestions(stage="sample", role=role)["next_step"] == suggestions(stage="sample", role=english)["next_step"]


@pytest.mark.parametrize("role", ["经理", "销售经理", "Sales manager", "助理"])
def test_a_role_that_says_nothing_about_interests_gets_the_general_next_step(role):
    # hard negative: "manager" alone is no technical, purchasing or owner role
    assert suggestions(stage="sample", role=role)["next_step"] == suggestions(stage="sample", role="")["next_step"]


def test_unanswered_quotation_is_followed_up_first():
    s = suggestions(
        stage="negotiation",
        role="Purchasing",
        interactions=[
            {"date": "2026-10-20", "direction": "in", "subject": "RFQ", "summary": "Asked for 500 spots"},
            {"date": "2026-10-22", "direction": "out", "subject": "Quotation LT-30", "summary": "Sent quotation"},
        ],
    )
    assert "22 October" in s["next_step"]["insert"] and "quotation" in s["next_step"]["text"]
    assert s["last_interaction"]["insert"].startswith("Following up on my email of 22 October")


def test_answered_quotation_is_not_open():
    s = suggestions(
        stage="negotiation",
        role="Purchasing",
        interactions=[
            {"date": "2026-10-22", "direction": "out", "subject": "Quotation LT-30"},
            {
                "date": "2026-10-25",
                "direction": "in",
                "subject": "Re: Quotation LT-30",
                "summary": "Asked whether 3000K is possible",
            },
        ],
    )
    assert "quotation" not in s["next_step"]["text"]
    assert s["last_interaction"]["insert"].startswith("About your question of 25 October whether 3000K is possible")


def test_suggestion_text_follows_the_locale_but_the_insert_stays_english():
    s = suggestions(locale="zh-CN", stage="sample", role="Purchasing")["next_step"]
    assert "样品" in s["text"] and s["insert"].startswith("How did the samples")


def test_no_suggestions_without_crm_data():
    assert analyze(request(PITCH))["context_suggestions"] == []
