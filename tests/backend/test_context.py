"""What the engine receives for an organisation: stored context merged with
inline context (storage/context.py), and the DB-backed sent index."""

from __future__ import annotations

import copy
from datetime import date, timedelta

import pytest

from backend.errors import BadRequest
from backend.storage import queries, sent
from backend.storage.context import assemble, recipient_emails
from nlp.sent_index import SentRecord
from tests.conftest import NOW

ANNA = "anna.schmidt@mueller-leuchten.de"
JAN = "j.devries@vrieslicht.nl"


@pytest.fixture
def org_session(database, demo_org):
    with database.session() as session:
        org = queries.org_by_slug(session, "demo")
        org.policy = {"mass.bulk_bcc": {"severity": "block"}, "deliverability.spam_phrases": {"severity": "off"}}
        org.default_locale = "zh-CN"
        queries.upsert_contact(
            session,
            org,
            ANNA,
            name="Anna Schmidt",
            company="Müller Leuchten GmbH",
            country="DE",
            kind="b2b",
            stage="sample",
            consent_status="opt_in",
            consent_source="trade fair form",
            consent_date=date(2026, 3, 10),
            interactions=[
                dict(date=date(2026, 10, 2), direction="in", subject="Samples received", summary="Asked for 4000K")
            ],
        )
        queries.upsert_contact(session, org, JAN, name="Jan de Vries", country="NL")
        yield session, org


def request_to(*emails, context=None):
    req = {"draft": {"to": [{"email": e} for e in emails], "subject": "Hello"}}
    if context is not None:
        req["context"] = context
    return req


def test_stored_contacts_of_the_recipients_in_contract_shape(org_session):
    session, org = org_session
    merged, _ = assemble(session, org, request_to(ANNA.upper(), "someone@else.com"))
    context = merged["context"]
    assert context["contacts"] == [
        {
            "email": ANNA,
            "name": "Anna Schmidt",
            "company": "Müller Leuchten GmbH",
            "country": "DE",
            "kind": "b2b",
            "stage": "sample",
            "consent": {"status": "opt_in", "source": "trade fair form", "date": "2026-03-10"},
            "unsubscribed": False,
            "interactions": [
                {"date": "2026-10-02", "direction": "in", "subject": "Samples received", "summary": "Asked for 4000K"}
            ],
        }
    ]  # Jan is not a recipient, so he is not sent
    assert context["org"] == {
        "postal_address": "1 Demo Road, Ningbo, China",
        "domains": ["brightway-lighting.cn"],
        "policy": {"mass.bulk_bcc": {"severity": "block"}, "deliverability.spam_phrases": {"severity": "off"}},
    }
    assert context["locale"] == "zh-CN"


def test_inline_context_is_added_for_the_request(org_session):
    session, org = org_session
    inline = {
        "now": "2026-11-27T10:00:00Z",
        "locale": "en",
        "org": {
            "domains": ["brightway-lighting.com"],
            "postal_address": "PO Box 9",
            "policy": {"mass.bulk_bcc": {"severity": "warn"}},
        },
        "contacts": [{"email": "Anna.Schmidt@Mueller-Leuchten.de", "name": "Anna S.", "unsubscribed": True}],
        "history": [{"sent_at": "2026-11-25T08:00:00Z", "to": ["x@y.de"]}],
    }
    original = request_to(ANNA, JAN, context=inline)
    snapshot = copy.deepcopy(original)
    merged, _ = assemble(session, org, original)
    context = merged["context"]

    assert original == snapshot  # the caller's request is untouched
    assert context["now"] == inline["now"] and context["history"] == inline["history"]
    assert context["locale"] == "en"
    assert context["org"]["domains"] == ["brightway-lighting.cn", "brightway-lighting.com"]
    assert context["org"]["postal_address"] == "PO Box 9"
    assert context["org"]["policy"] == {
        "mass.bulk_bcc": {"severity": "warn"},
        "deliverability.spam_phrases": {"severity": "off"},
    }
    by_email = {c["email"].lower(): c for c in context["contacts"]}
    assert by_email[ANNA] == inline["contacts"][0]  # inline replaces stored, whole
    assert by_email[JAN]["name"] == "Jan de Vries"
    assert len(context["contacts"]) == 2


@pytest.mark.parametrize(
    "context, where",
    [
        ({"org": []}, "context.org"),
        ({"org": {"policy": "strict"}}, "context.org.policy"),
        ({"org": {"domains": "brightway-lighting.cn"}}, "context.org.domains"),
        ({"contacts": {"email": ANNA}}, "context.contacts"),
    ],
)
def test_malformed_inline_context_is_a_bad_request(org_session, context, where):
    session, org = org_session
    with pytest.raises(BadRequest, match=where.replace(".", r"\.")):
        assemble(session, org, request_to(ANNA, context=context))


def test_malformed_inline_contacts_are_left_for_the_engine_to_report(org_session):
    session, org = org_session
    merged, _ = assemble(session, org, request_to(ANNA, context={"contacts": ["anna", {"email": 7}]}))
    assert "anna" in merged["context"]["contacts"] and {"email": 7} in merged["context"]["contacts"]


@pytest.mark.parametrize(
    "draft, expected",
    [
        (
            {"to": [{"email": "A@X.de"}], "cc": [{"email": "b@y.fr"}], "bcc": [{"email": "c@z.it"}]},
            ["a@x.de", "b@y.fr", "c@z.it"],
        ),
        ({"to": "a@x.de", "cc": [None, {"email": 5}, {"name": "no address"}]}, []),
        ("not a draft", []),
    ],
)
def test_recipient_emails_skips_malformed_entries(draft, expected):
    assert recipient_emails(draft) == expected


def test_sent_index_finds_similar_messages_in_the_window_only(org_session):
    from nlp.fingerprint import fingerprint

    session, org = org_session
    now = NOW
    template = (
        "We are a manufacturer of LED panel lights and downlights for wholesalers in Europe, "
        "certified CE and RoHS, with a five year warranty and private label packaging from 500 pieces."
    )
    other = "Your order 2611 leaves Ningbo on Friday; the bill of lading follows once the vessel departs."
    for i, days in enumerate((1, 2, 3)):
        sent.record(
            session,
            org,
            sender="Tom.Li@brightway-lighting.cn",
            recipients=[f"p{i}@x{i}.de"],
            sent_at=now - timedelta(days=days),
            fingerprint=fingerprint(template),
        )
    sent.record(
        session,
        org,
        sender="tom.li@brightway-lighting.cn",
        recipients=["old@x.de"],
        sent_at=now - timedelta(days=30),
        fingerprint=fingerprint(template),
    )
    sent.record(
        session,
        org,
        sender="tom.li@brightway-lighting.cn",
        recipients=["c@cust.fr"],
        sent_at=now - timedelta(days=1),
        fingerprint=fingerprint(other),
    )

    _, index = assemble(session, org, request_to(ANNA))
    hits = index.lookup(fingerprint(template), now - timedelta(days=14), 0.85)
    assert len(hits) == 3
    assert all(isinstance(h, SentRecord) and h.similarity >= 0.85 for h in hits)
    assert {r for h in hits for r in h.recipients} == {"p0@x0.de", "p1@x1.de", "p2@x2.de"}
    assert all(h.sender == "tom.li@brightway-lighting.cn" and h.sent_at.tzinfo is not None for h in hits)
    assert index.lookup(fingerprint(template), now + timedelta(days=1), 0.85) == []


def test_contacts_of_companies_the_draft_names_are_added_so_a_mismatch_is_found(org_session):
    from nlp import analyze

    session, org = org_session
    req = {
        "draft": {
            "from": {"email": "tom@brightway-lighting.cn"},
            "to": [{"name": "Jan de Vries", "email": JAN}],
            "subject": "Re: Quotation",
            "thread": {"is_reply": True, "previous_messages": 1},
            "body": {
                "text": "Dear Jan,\n\nThank you for the interest of Müller Leuchten in our spots. "
                "Here is the quotation.\n\nBest regards,\nTom"
            },
        }
    }
    merged, index = assemble(session, org, req)
    assert [c["email"] for c in merged["context"]["contacts"]] == [JAN, ANNA]
    codes = {f["code"] for f in analyze(merged, sent_index=index)["findings"]}
    assert "personalization.company_mismatch" in codes
    req["draft"]["body"]["text"] = "Dear Jan,\n\nHere is the quotation.\n\nBest regards,\nTom"
    merged, _ = assemble(session, org, req)
    assert [c["email"] for c in merged["context"]["contacts"]] == [JAN]
