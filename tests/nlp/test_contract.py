"""The request and report as typed models (nlp/contract.py): one validation at
the boundary, precise messages, unknown CRM fields ignored, a body that was
not available reported as not checked."""

from __future__ import annotations

import copy
import time

import pytest

from nlp import InvalidRequest, analyze, parse_request
from nlp.checks import REGISTRY
from nlp.contract import Report

SENDER = {"name": "Tom Li", "email": "tom@brightway-lighting.cn"}
ANNA = {"name": "Anna Schmidt", "email": "anna.schmidt@mueller-leuchten.de"}
PITCH = (
    "Dear Sir/Madam,\n\nWe are a professional manufacturer of LED panels. BEST PRICE, order now!\n\n"
    "Best regards,\nTom Li\nNingbo Brightway Lighting Co., Ltd."
)


def draft(body=..., **fields):
    d = {"from": SENDER, "to": [ANNA], "subject": "LED panels", **fields}
    if body is not ...:
        d["body"] = body
    return copy.deepcopy({"draft": d, "context": {"now": "2026-11-27T10:00:00Z"}})


@pytest.mark.parametrize("body", [..., None, {"text": None, "html": None}])
def test_a_body_that_was_not_available_skips_the_text_checks_and_says_so(body):
    report = analyze(draft(body))
    Report.model_validate(report)
    skipped = {n["code"] for n in report["not_checked"]}
    assert skipped == {code for code, check in REGISTRY.items() if check.needs_text}
    assert all(
        n["reason"] == "The text of the draft was not available, so this was not checked."
        for n in report["not_checked"]
    )
    assert not skipped & {f["code"] for f in report["findings"]}


def test_crm_suggestions_need_no_text():
    """The next step comes from the CRM, not the draft: the Gmail add-on,
    which sees only the recipients, offers it as soon as compose opens."""
    req = draft(None)
    req["context"]["contacts"] = [
        {
            "email": ANNA["email"],
            "name": "Anna Schmidt",
            "stage": "sample",
            "interactions": [{"date": "2026-10-02", "direction": "out", "subject": "Samples sent"}],
        }
    ]
    kinds = {s["kind"] for s in analyze(req)["context_suggestions"]}
    assert kinds == {"last_interaction", "next_step"}


def test_recipient_checks_still_run_without_the_text():
    req = draft(None, subject="RE: offer")
    req["context"]["contacts"] = [{"email": ANNA["email"], "unsubscribed": True}]
    report = analyze(req)
    codes = {f["code"] for f in report["findings"]}
    assert {"compliance.suppressed_recipient", "compliance.deceptive_subject"} <= codes
    assert report["verdict"] == "block"


def test_an_empty_body_is_checked_as_empty():
    report = analyze(draft({"text": ""}))
    assert report["not_checked"] == []
    assert "personalization.missing" in {f["code"] for f in report["findings"]}


def test_not_checked_follows_the_locale():
    req = draft(None)
    req["context"]["locale"] = "zh-CN"
    assert analyze(req)["not_checked"][0]["reason"] == "未能读取邮件正文，因此未检查此项。"


def test_unknown_contact_fields_from_a_crm_are_ignored():
    req = draft({"text": PITCH})
    req["context"]["contacts"] = [
        {
            **ANNA,
            "hubspot_id": 9912,
            "lifecyclestage": "lead",
            "tags": ["fair"],
            "consent": {"status": "none", "ip": "x"},
        }
    ]
    assert parse_request(req).context.contacts[0].email == ANNA["email"]
    assert analyze(req)["recipients"][0]["crm"]["name"] == "Anna Schmidt"


@pytest.mark.parametrize(
    "path, value, message",
    [
        (("draft", "body", "text"), "ok \ud800", "draft.body.text contains an invalid character (lone surrogate"),
        (("draft", "subject"), "\udfff", "draft.subject contains an invalid character"),
        (("draft", "to", 0, "email"), "a\ud800@b.de", "draft.to[0].email contains an invalid character"),
        (("context", "contacts", 0, "company"), "M\ud800", "context.contacts[0].company contains an invalid character"),
        (("context", "contacts", 0, "company"), "x" * 201, "context.contacts[0].company is too long (201 characters"),
        (("draft", "subject"), "x" * 2001, "draft.subject is too long"),
    ],
)
def test_text_no_encoder_accepts_or_beyond_the_stored_limits_is_refused_with_the_field_named(path, value, message):
    req = draft({"text": "Hello"})
    req["context"]["contacts"] = [{"email": ANNA["email"], "company": "Müller"}]
    target = req
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(InvalidRequest) as caught:
        parse_request(req)
    assert str(caught.value).startswith(message)


def test_a_validated_request_is_not_validated_again():
    typed = parse_request(draft({"text": PITCH}))
    assert parse_request(typed) is typed
    assert analyze(typed)["verdict"] == analyze(draft({"text": PITCH}))["verdict"]


def test_validation_is_a_small_part_of_an_analysis():
    # A ratio, not a time: both are measured here, on the same machine, now.
    req = draft({"text": PITCH * 20})
    req["context"]["contacts"] = [
        {**ANNA, "company": "Müller Leuchten GmbH", "interactions": [{"date": "2026-10-01", "summary": "x"}] * 20}
    ]
    analyze(req)
    runs = 30
    started = time.perf_counter()
    for _ in range(runs):
        parse_request(req)
    validating = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(runs):
        analyze(req)
    analysing = time.perf_counter() - started
    assert validating < 0.10 * analysing, (validating, analysing)
