"""The OpenAPI document (/api/v1/openapi.json) stays true: it is a valid
OpenAPI 3.1 document, it lists every API rule the app has, and real
responses of the app, success and errors, validate against the schemas it
gives for their operation and status."""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from urllib.parse import quote

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_spec

from backend.storage import queries
from backend.storage.models import Organisation
from tests.conftest import internal_draft

DOCUMENTED_PREFIXES = ("/api/v1/", "/gmail/")
PUBLIC_PATHS = (
    "/api/v1/health",
    "/api/v1/ready",
    "/api/v1/codes",
    "/api/v1/openapi.json",
    "/api/v1/docs",
    "/api/v1/signin",
)


@pytest.fixture
def api(make_app):
    return make_app(DEMO_MODE=False).test_client()


@pytest.fixture
def doc(api) -> dict[str, Any]:
    reply = api.get("/api/v1/openapi.json")
    assert reply.status_code == 200 and reply.mimetype == "application/json"
    return reply.get_json()


def check(doc: dict[str, Any], path: str, method: str, reply) -> None:
    """`reply` is documented for the operation at `path`, and its body
    validates against the schema the document gives for its status."""
    operation = doc["paths"][path][method]
    status = str(reply.status_code)
    assert status in operation["responses"], f"{method.upper()} {path} answered {status}, which is not documented"
    content = operation["responses"][status].get("content", {})
    assert reply.mimetype in content, f"{reply.mimetype} is not documented for {status} of {method.upper()} {path}"
    schema = content[reply.mimetype]["schema"]
    if reply.mimetype != "application/json":
        return
    # The root keeps the document's components, so "#/components/..." resolves.
    validator = Draft202012Validator(
        {**schema, "components": doc["components"]}, format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(reply.get_json()), key=lambda e: list(e.absolute_path))
    assert not errors, f"{method.upper()} {path} {status}: " + "; ".join(
        f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in errors[:5]
    )


def test_the_document_is_valid_openapi_3_1(doc):
    assert doc["openapi"].startswith("3.1")
    validate_spec(doc)


def test_the_contract_models_are_the_schemas(doc):
    schemas = doc["components"]["schemas"]
    assert schemas["AnalysisRequest"]["required"] == ["draft"]
    assert "from" in schemas["Draft"]["properties"]  # the contract's name, not the model's attribute
    assert schemas["Address"]["properties"]["email"]["format"] == "email"
    assert schemas["Report"]["properties"]["verdict"]["enum"] == ["ok", "review", "block"]
    assert "mass.exposed_recipients" in schemas["OverrideRequest"]["properties"]["code"]["enum"]
    analyze = doc["paths"]["/api/v1/analyze"]["post"]
    assert analyze["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/AnalysisRequest")
    assert analyze["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Report")


def test_every_api_rule_of_the_app_is_documented_and_nothing_else(api, doc):
    app = api.application
    rules = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(DOCUMENTED_PREFIXES):
            template = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            rules |= {(template, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(path, method) for path, methods in doc["paths"].items() for method in methods}
    assert rules - documented == set(), "add these to OPERATIONS in backend/openapi.py"
    assert documented - rules == set(), "documented, but the app has no such rule"


def test_each_operation_says_who_may_call_it(doc):
    schemes = doc["components"]["securitySchemes"]
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            names = {name for requirement in op["security"] for name in requirement}
            assert names <= schemes.keys()
            if path.startswith("/gmail/"):
                assert names == {"googleIdToken"}, path
            elif path in PUBLIC_PATHS:
                assert names == set(), path
            else:
                assert names == {"apiKey", "microsoftToken"}, (method, path)
                assert "401" in op["responses"] and "not_set_up" in op["responses"]["403"]["description"], path


def test_analyze_answers_validate(api, doc, make_tenant):
    acme = make_tenant("acme")
    pitch = acme.draft_to("anna.schmidt@mueller-gmbh.de", "Anna Schmidt")
    pitch["to"] += [{"email": f"buyer{i}@shop{i}.de"} for i in range(3)]
    pitch["body"]["html"] = "<p>Dear Anna, <a href='http://bit.ly/x'>click here</a> {{first_name}}</p>"
    for body in ({"draft": pitch}, {"draft": internal_draft()}, {"draft": {"to": [{"email": "x@y.de"}]}}):
        reply = api.post("/api/v1/analyze", json=body, headers=acme.auth)
        assert reply.status_code == 200
        check(doc, "/api/v1/analyze", "post", reply)
    errors = [
        api.post("/api/v1/analyze", json={"draft": pitch}),  # no credentials
        api.post("/api/v1/analyze", json={"draft": pitch}, headers={"Authorization": "Bearer sw_nope"}),
        api.post("/api/v1/analyze", data=b"{", headers={**acme.auth, "Content-Type": "application/json"}),
        api.post("/api/v1/analyze", data=b"draft", headers={**acme.auth, "Content-Type": "text/plain"}),
        api.post("/api/v1/analyze", json={"draft": {"to": [{"email": "not an address"}]}}, headers=acme.auth),
        api.post("/api/v1/analyze", json=[1, 2], headers=acme.auth),
    ]
    assert [r.status_code for r in errors] == [401, 401, 400, 400, 400, 400]
    for reply in errors:
        check(doc, "/api/v1/analyze", "post", reply)


def test_sent_and_override_answers_validate(api, doc, make_tenant):
    acme = make_tenant("acme")
    body = {"draft": acme.draft_to("anna@mueller.de"), "message_id": "<1@acme.example.cn>"}
    first, again = (api.post("/api/v1/sent", json=body, headers=acme.auth) for _ in range(2))
    assert (first.status_code, again.status_code) == (201, 200)
    bad = api.post("/api/v1/sent", json={**body, "sent_at": "yesterday"}, headers=acme.auth)
    assert bad.status_code == 400
    for reply in (first, again, bad):
        check(doc, "/api/v1/sent", "post", reply)

    dismissal = {"code": "mass.exposed_recipients", "reason": "they know each other", "user": "tom@acme.example.cn"}
    recorded = api.post("/api/v1/overrides", json=dismissal, headers=acme.auth)
    unknown = api.post("/api/v1/overrides", json={**dismissal, "code": "no.such"}, headers=acme.auth)
    anonymous = api.post("/api/v1/overrides", json=dismissal)
    strict = make_tenant("strict", policy={"on_send": {"override": "never"}})
    forbidden = api.post("/api/v1/overrides", json=dismissal, headers=strict.auth)
    assert [r.status_code for r in (recorded, unknown, anonymous, forbidden)] == [201, 400, 401, 403]
    for reply in (recorded, unknown, anonymous, forbidden):
        check(doc, "/api/v1/overrides", "post", reply)


def test_contact_org_codes_health_answers_validate(api, doc, make_tenant, database):
    acme = make_tenant("acme", postal_address="1 Harbour Road, Ningbo")
    with database.session() as session:
        queries.upsert_contact(
            session,
            session.get(Organisation, acme.id),
            "anna@mueller.de",
            name="Anna Schmidt",
            consent_status="opt_in",
            consent_date=date(2026, 3, 10),
            interactions=[dict(date=date(2026, 10, 2), direction="in", subject="Samples", summary=None)],
        )
    path = "/api/v1/contacts/{email}"
    for email, status in (("Anna@Mueller.de", 200), ("nobody@mueller.de", 404)):
        reply = api.get("/api/v1/contacts/" + quote(email), headers=acme.auth)
        assert reply.status_code == status
        check(doc, path, "get", reply)
    check(doc, path, "get", api.get("/api/v1/contacts/anna@mueller.de"))

    for reply in (api.get("/api/v1/org", headers=acme.auth), api.get("/api/v1/org")):
        check(doc, "/api/v1/org", "get", reply)
    for query, status in (("", 200), ("?locale=zh-CN", 200), ("?locale=fr", 400)):
        reply = api.get("/api/v1/codes" + query)
        assert reply.status_code == status
        check(doc, "/api/v1/codes", "get", reply)
    check(doc, "/api/v1/health", "get", api.get("/api/v1/health"))
    check(doc, "/api/v1/openapi.json", "get", api.get("/api/v1/openapi.json"))


def test_limit_and_readiness_answers_validate(make_app, doc, make_tenant):
    acme = make_tenant("acme")
    app = make_app(DEMO_MODE=False, MAX_REQUEST_BYTES=2048, RATE_LIMIT_KEY="2/hour", RATE_LIMIT_ORG="off")
    api = app.test_client()
    large = {"draft": acme.draft_to("anna@mueller.de") | {"subject": "x" * 4096}}
    too_large = api.post("/api/v1/analyze", json=large, headers=acme.auth)
    assert too_large.status_code == 413
    check(doc, "/api/v1/analyze", "post", too_large)
    answers = [api.get("/api/v1/org", headers=acme.auth) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429] and answers[-1].headers["Retry-After"]
    check(doc, "/api/v1/org", "get", answers[-1])
    ready = api.get("/api/v1/ready")
    assert ready.status_code == 200
    check(doc, "/api/v1/ready", "get", ready)


def test_signin_answers_validate(make_app, doc):
    for config in ({}, {"MS_CLIENT_ID": "0f1e2d3c-client"}):
        reply = make_app(DEMO_MODE=False, **config).test_client().get("/api/v1/signin")
        assert reply.status_code == 200
        check(doc, "/api/v1/signin", "get", reply)


def test_gmail_answers_validate(make_app, demo_org):
    # Demo mode: the test client's loopback request acts as a demo user, so the card is real.
    demo = make_app(DEMO_MODE=True).test_client()
    doc = demo.get("/api/v1/openapi.json").get_json()
    event = {"commonEventObject": {"hostApp": "GMAIL", "userLocale": "en"}}
    card = demo.post("/gmail/homepage", json=event)
    assert card.status_code == 200
    check(doc, "/gmail/homepage", "post", card)
    not_json = demo.post("/gmail/compose", data=b"{", content_type="application/json")
    assert not_json.status_code == 400
    check(doc, "/gmail/compose", "post", not_json)
    forged = demo.post("/gmail/actions/insert", json=event, headers={"Authorization": "Bearer eyJ.x.y"})
    assert forged.status_code in (401, 503)
    check(doc, "/gmail/actions/{name}", "post", forged)


def test_the_reference_page_lists_every_operation_and_loads_nothing(api, doc):
    reply = api.get("/api/v1/docs")
    assert reply.status_code == 200 and reply.mimetype == "text/html"
    page = reply.get_data(as_text=True)
    for path, methods in doc["paths"].items():
        for op in methods.values():
            assert f'id="{op["operationId"]}"' in page and f"<code>{path}</code>" in page
    for name in doc["components"]["schemas"]:
        assert f'id="schema-{name}"' in page
    assert "<script" not in page and "src=" not in page and "<link" not in page
    assert "default-src 'none'" in reply.headers["Content-Security-Policy"]
