"""The engine's contract: report shape, policy, locale, validation, suggestions, registry."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from nlp import CODES, InvalidRequest, analyze, explain
from nlp.checks import REGISTRY

from .builders import CUSTOMER, ORG, PITCH, person, request

SNAPSHOT = Path(__file__).parent / "registry_snapshot.json"


def test_report_shape():
    report = analyze(request(PITCH))
    assert report["contract"] == "1.1" and report["verdict"] in ("ok", "review", "block")
    assert isinstance(report["elapsed_ms"], float)
    for f in report["findings"]:
        assert set(f) == {"code", "severity", "title", "message", "suggestion", "evidence", "recipients"}
        assert f["code"] in CODES and f["severity"] in ("info", "warn", "block")
    assert report["recipients"][0] == {
        "email": "anna.schmidt@mueller-licht.de",
        "field": "to",
        "external": True,
        "jurisdiction": "DE",
        "kind": "business",
        "relationship": "cold",
        "crm": None,
    }


def test_verdict_follows_the_worst_severity():
    assert analyze(request(PITCH))["verdict"] == "review"  # consent_missing warns
    assert analyze(request(PITCH.replace("Dear Anna", "Dear [Name]")))["verdict"] == "block"


def test_policy_changes_severity_and_turns_codes_off():
    policy = {"compliance.consent_missing": {"severity": "block"}, "relationship.cold_contact": {"severity": "off"}}
    report = analyze(request(PITCH, policy=policy))
    got = {f["code"]: f["severity"] for f in report["findings"]}
    assert got["compliance.consent_missing"] == "block" and "relationship.cold_contact" not in got
    assert report["verdict"] == "block"


def test_internal_mail_gets_no_findings():
    to = [person(f"c{i}@{ORG}", f"Colleague {i}") for i in range(25)]
    report = analyze(request("Dear all,\n\nbest price, act now!!! [Name]", to=to, subject="ALL HANDS!!!"))
    assert report["findings"] == [] and report["verdict"] == "ok"
    assert all(not r["external"] for r in report["recipients"])


def test_unknown_keys_are_ignored():
    req = request(PITCH)
    req.update({"id": "x", "notes": "y", "expect": {}})
    req["draft"]["future_field"] = 1
    analyze(req)


def test_locale_zh_cn_translates_but_keeps_codes():
    en, zh = analyze(request(PITCH)), analyze(request(PITCH, locale="zh-CN"))
    assert [f["code"] for f in en["findings"]] == [f["code"] for f in zh["findings"]]
    for f in zh["findings"]:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in f["title"] + f["message"]), f


def test_context_suggestions_from_the_crm():
    report = analyze(request(PITCH, contacts=[CUSTOMER]))
    kinds = {s["kind"]: s for s in report["context_suggestions"]}
    assert kinds["last_interaction"]["insert"].startswith("Following up on your request of 2 October for the 4000K")
    assert "price" in kinds["next_step"]["text"]  # a purchaser wants price and lead time
    assert report["recipients"][0]["crm"]["stage"] == "customer"


def test_html_is_reduced_to_text_and_evidence_indexes_it():
    html = "<p>Dear [Name],</p><p>Our <b>new</b> catalogue.</p>"
    report = analyze(request(None, html=html))
    ev = next(f for f in report["findings"] if f["code"] == "personalization.merge_field_unfilled")["evidence"][0]
    assert ev["text"] == "[Name]"


@pytest.mark.parametrize("control", ["\x00", "\x01", "\x0b", "\x1f", "\ufffe"])
def test_html_with_control_characters_next_to_a_dropped_script_is_read(control):
    # Dropping <script> or <style> moves the text after it, which lxml then
    # refuses to store if it holds a control character XML cannot carry.
    html = f"<p>Dear [Name],</p><script>track()</script>{control}Our catalogue.<style>p{{}}</style>{control}"
    report = analyze(request(None, html=html))
    assert "personalization.merge_field_unfilled" in {f["code"] for f in report["findings"]}


BAD = [
    ([], "JSON object"),
    ({}, "'draft' is required"),
    ({"draft": "text"}, "draft must be an object"),
    ({"draft": {"to": "anna@x.de"}}, "draft.to must be a list"),
    ({"draft": {"to": [{"email": "not-an-address"}]}}, "not a valid address"),
    ({"draft": {"to": [{"name": "Anna"}]}}, "draft.to[0].email is required"),
    ({"draft": {"subject": 5}}, "draft.subject must be a string"),
    ({"draft": {"body": {"text": "x" * 1_000_001}}}, "too long"),
    ({"draft": {"thread": {"is_reply": "yes"}}}, "is_reply"),
    ({"draft": {}, "context": {"now": "yesterday"}}, "ISO 8601"),
    ({"draft": {}, "context": {"org": {"policy": {"mass.bulk_bcc": {"severity": "loud"}}}}}, "severity"),
    ({"draft": {}, "context": {"org": {"policy": {"mass.bulk_bcc": {"min_recipients": "ten"}}}}}, "number"),
    ({"draft": {}, "context": {"contacts": [{"email": "a@b.de", "consent": {"status": "maybe"}}]}}, "consent.status"),
]


@pytest.mark.parametrize("req,reason", BAD, ids=[r for _, r in BAD])
def test_invalid_requests_raise_a_clear_value_error(req, reason):
    with pytest.raises(InvalidRequest) as err:
        analyze(req)
    assert isinstance(err.value, ValueError) and reason in str(err.value) and "\n" not in str(err.value)


def test_minimal_request_is_valid():
    assert analyze({"draft": {}})["verdict"] == "ok"


def test_registry_matches_the_contract_snapshot():
    """Codes are forever: adding one shows up here, renaming or removing one fails."""
    snapshot = json.loads(SNAPSHOT.read_text())
    assert {c.code: c.severity for c in REGISTRY.values()} == snapshot


@pytest.mark.parametrize("code", CODES)
def test_every_check_explains_what_why_and_instead(code):
    doc = explain(code)
    assert doc["title"] and len(doc["what"]) > 30 and len(doc["why"]) > 30 and len(doc["instead"]) > 20
    zh = explain(code, "zh-CN")
    assert zh["title"] != doc["title"] and zh["why"] != doc["why"]


def test_explain_unknown_code():
    with pytest.raises(KeyError):
        explain("mass.nonexistent")


def test_analysis_does_not_mutate_the_request():
    req = request(PITCH, contacts=[CUSTOMER])
    before = copy.deepcopy(req)
    analyze(req)
    assert req == before


def test_company_mentions_gives_the_keys_storage_looks_up():
    from nlp import company_mentions, parse_request
    from nlp.names import company_core

    req = request(
        "Dear Anna,\n\nThank you for the interest of Ceramiche Lombardi S.r.l. in our tiles.\n\nBest regards,\nWei"
    )
    keys = company_mentions(parse_request(req))
    assert company_core("Ceramiche Lombardi S.r.l.") in keys and company_core("Müller Licht GmbH") not in keys
