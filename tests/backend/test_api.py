"""POST /api/v1/analyze and GET /api/v1/health through a real HTTP server."""

from __future__ import annotations

import json
import logging

import pytest

from backend import analysis
from backend.storage import queries
from backend.storage.models import Contact
from tests.conftest import Http, draft_to, internal_draft, serving

ROSSI = "m.rossi@rossi-illuminazione.it"


def assert_error(reply, status: int, code: str) -> dict:
    assert reply.status == status, reply.body[:300]
    assert reply.headers["Content-Type"].startswith("application/json")
    error = reply.json()["error"]
    assert error["code"] == code
    assert error["message"] and "\n" not in error["message"]
    return error


# --- health ----------------------------------------------------------------


def test_health_reports_database_engine_and_version(http):
    reply = http.get("/api/v1/health")
    body = reply.json()
    assert body["database"] is True
    assert isinstance(body["version"], str) and body["version"]
    assert body["engine"] is True, "engine not loaded"
    assert (reply.status, body["status"]) == (200, "ok")


def test_health_is_503_when_the_database_is_unreachable(make_app, tmp_path):
    # A directory is not an SQLite file: every connection attempt fails.
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path}")
    with serving(app) as base:
        reply = Http(base).get("/api/v1/health")
    assert reply.status == 503
    assert reply.json()["database"] is False
    assert reply.json()["status"] == "degraded"


# --- bad input: always 400 JSON with a reason, never 500 -------------------

BAD_BODIES = [
    pytest.param(b'{"draft": ', "invalid_json", id="malformed-json"),
    pytest.param(b"", "invalid_json", id="empty-body"),
    pytest.param(b"[1, 2]", "invalid_request", id="top-level-array"),
    pytest.param(b'"draft"', "invalid_request", id="top-level-string"),
    pytest.param(b"{}", "invalid_request", id="missing-draft"),
    pytest.param(b'{"draft": "Dear Anna"}', "invalid_request", id="draft-not-object"),
    pytest.param(b'{"draft": {}, "context": []}', "invalid_request", id="context-not-object"),
    pytest.param(b'{"draft": {}, "context": {"contacts": {}}}', "invalid_request", id="contacts-not-array"),
    pytest.param(b'{"draft": {"subject": NaN}}', "invalid_json", id="nan"),
    pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\x00", "invalid_json", id="binary-junk"),
    pytest.param(b"[" * 100_000 + b"]" * 100_000, "invalid_json", id="100000-nested-lists"),
    pytest.param(b'{"a":' * 50_000 + b"1" + b"}" * 50_000, "invalid_json", id="50000-nested-objects"),
    pytest.param(b'{"draft": {}, "x": ' + b"[" * 40 + b"]" * 40 + b"}", "invalid_json", id="nested-past-limit"),
]


@pytest.mark.parametrize("body, code", BAD_BODIES)
def test_analyze_rejects_bad_bodies_with_400(http, body, code):
    assert_error(http.post_json("/api/v1/analyze", body), 400, code)


ENGINE_REJECTS = [
    pytest.param({"draft": {"to": "anna@mueller-leuchten.de"}}, id="to-not-array"),
    pytest.param({"draft": {"to": [{"email": "not-an-address"}]}}, id="invalid-address"),
    pytest.param({"draft": {"subject": 42}}, id="subject-not-string"),
    pytest.param({"draft": {"subject": "Offer \ud800"}}, id="lone-surrogate-subject"),
    pytest.param({"draft": {"body": {"text": "\udfff" * 3}}}, id="lone-surrogate-body"),
    pytest.param({"draft": {"to": [{"email": "anna@m\ud800.de"}]}}, id="lone-surrogate-address"),
    pytest.param(
        {"draft": {}, "context": {"contacts": [{"email": "a@b.de", "company": "\ud800"}]}}, id="lone-surrogate-contact"
    ),
    pytest.param(
        {"draft": {}, "context": {"contacts": [{"email": "a@b.de", "company": "x" * 5000}]}}, id="long-inline-company"
    ),
    pytest.param(
        {"draft": {}, "context": {"org": {"policy": {"mass.template_reuse": {"similarity": 85}}}}},
        id="policy-out-of-range",
    ),
]


@pytest.mark.parametrize("payload", ENGINE_REJECTS)
def test_analyze_rejects_invalid_requests_with_400(http, payload):
    assert_error(http.post_json("/api/v1/analyze", payload), 400, "invalid_request")


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_analyze_requires_json_content_type(http, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    reply = http.request("POST", "/api/v1/analyze", json.dumps({"draft": internal_draft()}).encode(), headers)
    assert_error(reply, 400, "unsupported_content_type")


def test_analyze_rejects_a_10_mb_body(http):
    error = assert_error(http.post_json("/api/v1/analyze", b" " * (10 * 1024 * 1024)), 413, "request_too_large")
    assert "limit" in error["message"]


def test_analyze_rejects_an_oversized_chunked_body(http):
    chunks = (b" " * 65536 for _ in range(64))  # 4 MB with no Content-Length
    reply = http.request("POST", "/api/v1/analyze", chunks, {"Content-Type": "application/json"})
    assert_error(reply, 413, "request_too_large")


def test_limit_is_configurable(make_app, demo_org):
    with serving(make_app(MAX_REQUEST_BYTES=100)) as base:
        reply = Http(base).post_json("/api/v1/analyze", {"draft": internal_draft()})
    assert_error(reply, 413, "request_too_large")


def test_unknown_paths_and_methods_are_json(http):
    assert_error(http.get("/api/v1/nope"), 404, "not_found")
    reply = http.get("/api/v1/analyze")
    assert_error(reply, 405, "method_not_allowed")
    assert "POST" in reply.headers["Allow"]


# --- analysis --------------------------------------------------------------


def test_internal_draft_is_ok_and_unknown_keys_are_ignored(http):
    reply = http.post_json("/api/v1/analyze", {"draft": internal_draft(), "id": "x1", "expect": {}, "notes": "?"})
    assert reply.status == 200, reply.body[:300]
    report = reply.json()
    assert report["contract"] == "1.1"
    assert report["verdict"] == "ok"
    assert report["findings"] == []


def _store_rossi(database, **fields):
    with database.session() as session:
        org = queries.org_by_slug(session, "demo")
        queries.upsert_contact(
            session,
            org,
            ROSSI,
            name="Marco Rossi",
            company="Rossi Illuminazione S.r.l.",
            country="IT",
            kind="b2b",
            consent_status="opt_out",
            **fields,
        )


def _codes(report):
    return {f["code"] for f in report["findings"]}


def test_stored_unsubscribed_contact_blocks_without_inline_context(http, database):
    _store_rossi(database, unsubscribed=True)
    report = http.post_json("/api/v1/analyze", {"draft": draft_to(ROSSI)}).json()
    assert "compliance.suppressed_recipient" in _codes(report)
    assert report["verdict"] == "block"


def test_stored_policy_changes_a_severity(http, database):
    _store_rossi(database, unsubscribed=True)
    with database.session() as session:
        queries.org_by_slug(session, "demo").policy = {"compliance.suppressed_recipient": {"severity": "warn"}}
    report = http.post_json("/api/v1/analyze", {"draft": draft_to(ROSSI)}).json()
    severities = {f["code"]: f["severity"] for f in report["findings"]}
    assert severities["compliance.suppressed_recipient"] == "warn"


def test_inline_context_adds_for_that_request_only_and_cannot_lift_an_opt_out(http, database):
    _store_rossi(database, unsubscribed=True)
    inline = {
        "contacts": [
            {
                "email": ROSSI.upper(),
                "name": "Marco Rossi",
                "role": "head of purchasing",
                "unsubscribed": False,
                "consent": {"status": "opt_in"},
            }
        ]
    }
    with_inline = http.post_json("/api/v1/analyze", {"draft": draft_to(ROSSI), "context": inline}).json()
    assert "compliance.suppressed_recipient" in _codes(with_inline)
    assert with_inline["recipients"][0]["crm"]["role"] == "head of purchasing"

    again = http.post_json("/api/v1/analyze", {"draft": draft_to(ROSSI)}).json()
    assert again["recipients"][0]["crm"].get("role") != "head of purchasing"
    with database.session() as session:
        stored = session.query(Contact).filter_by(email=ROSSI).one()
        assert stored.unsubscribed is True and stored.consent_status == "opt_out"
        assert stored.role != "head of purchasing"


# --- failures inside the server --------------------------------------------


def test_unexpected_engine_error_is_500_json_and_logs_no_body(http, monkeypatch, caplog):
    def explode(request, **_):
        raise RuntimeError(f"crashed on {request['draft']['body']['text']}")

    monkeypatch.setattr(analysis, "analyze", explode)
    secret = "PRIVATE-PRICE-USD-11.80"
    draft = internal_draft() | {"body": {"text": secret, "html": None}}
    with caplog.at_level(logging.DEBUG):
        reply = http.post_json("/api/v1/analyze", {"draft": draft})
    assert_error(reply, 500, "internal_error")
    assert secret.encode() not in reply.body
    assert "RuntimeError" in caplog.text  # the failure is logged ...
    assert secret not in caplog.text  # ... without the message body


def test_missing_engine_is_503(http, monkeypatch):
    def unavailable():
        raise analysis.EngineUnavailable("analysis engine not installed")

    monkeypatch.setattr(analysis, "engine", unavailable)
    assert_error(http.post_json("/api/v1/analyze", {"draft": internal_draft()}), 503, "engine_unavailable")
    assert http.get("/api/v1/health").json()["engine"] is False
