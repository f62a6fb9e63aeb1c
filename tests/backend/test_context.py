"""What the engine receives for an organisation: stored context merged with
inline context (storage/context.py), and the DB-backed sent index."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from backend.storage import queries, sent
from backend.storage.context import assemble
from nlp import parse_request
from nlp.policy import PolicyError
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
    return parse_request(req)


def dumped(assembled):
    return assembled.request.context.model_dump(mode="json", exclude_none=True)


def test_stored_contacts_of_the_recipients_in_contract_shape(org_session):
    session, org = org_session
    context = dumped(assemble(session, org, request_to(ANNA.upper(), "someone@else.com"), NOW))
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
    assert context["now"] == "2026-11-27T10:00:00Z"


def test_inline_context_adds_for_the_request_but_never_lifts_stored_records(org_session):
    session, org = org_session
    inline = {
        "now": "2020-01-01T00:00:00Z",
        "locale": "en",
        "org": {
            "domains": ["mueller-leuchten.de"],
            "postal_address": "PO Box 9",
            "policy": {
                "mass.bulk_bcc": {"severity": "warn"},
                "deliverability.spam_phrases": {"severity": "info"},
                "mass.exposed_recipients": {"min_organisations": 2},
            },
        },
        "contacts": [{"email": "Anna.Schmidt@Mueller-Leuchten.de", "name": "Anna S.", "role": "buyer"}],
        "history": [{"sent_at": "2026-11-25T08:00:00Z", "to": ["x@y.de"]}],
    }
    original = request_to(ANNA, JAN, context=inline)
    context = dumped(assemble(session, org, original, NOW))

    assert original.context.now.year == 2020  # the caller's request is untouched
    assert context["now"] == "2026-11-27T10:00:00Z"  # the server's clock wins
    assert context["history"] == [{"sent_at": "2026-11-25T08:00:00Z", "to": ["x@y.de"]}]
    assert context["locale"] == "en"
    # naming the recipient's domain would make her "internal": stored domains stand
    assert context["org"]["domains"] == ["brightway-lighting.cn"]
    assert context["org"]["postal_address"] == "PO Box 9"
    assert context["org"]["policy"] == {
        "mass.bulk_bcc": {"severity": "block"},  # inline "warn" is weaker: ignored
        "deliverability.spam_phrases": {"severity": "info"},  # stricter than "off"
        "mass.exposed_recipients": {"min_organisations": 2},  # stricter than the default 3
    }
    by_email = {c["email"]: c for c in context["contacts"]}
    assert by_email[ANNA]["name"] == "Anna S." and by_email[ANNA]["role"] == "buyer"
    assert by_email[ANNA]["stage"] == "sample"  # inline adds to stored
    assert by_email[JAN]["name"] == "Jan de Vries"


def test_an_unsubscribed_contact_stays_suppressed_whatever_the_request_says(org_session):
    from nlp import analyze

    session, org = org_session
    queries.upsert_contact(session, org, JAN, name="Jan de Vries", country="NL", unsubscribed=True)
    session.flush()
    draft = {
        "from": {"email": "tom@brightway-lighting.cn"},
        "to": [{"name": "Jan de Vries", "email": JAN}],
        "subject": "Winter offer: 10% off LED panels",
        "body": {"text": "Dear Jan,\n\nOur winter offer: 10% off all LED panels until 31 December.\n\nBest,\nTom"},
    }
    bypasses = [
        {"contacts": [{"email": JAN, "unsubscribed": False, "consent": {"status": "opt_in"}}]},
        {"org": {"policy": {"compliance.suppressed_recipient": {"severity": "off"}}}},
        {"org": {"domains": ["vrieslicht.nl"]}},
    ]
    for context in [{}, *bypasses]:
        assembled = assemble(session, org, parse_request({"draft": draft, "context": context}), NOW)
        report = analyze(assembled.request, sent_index=assembled.sent_index)
        assert report["verdict"] == "block", context
        assert "compliance.suppressed_recipient" in {f["code"] for f in report["findings"]}


def test_an_erased_address_counts_as_unsubscribed(org_session):
    from backend.storage import contacts

    session, org = org_session
    contacts.erase(session, org, JAN, "test", NOW)
    assembled = assemble(session, org, request_to(JAN), NOW)
    [contact] = assembled.request.context.contacts
    assert contact.email == JAN and contact.unsubscribed is True and contact.name is None


def test_a_stored_policy_key_that_no_longer_validates_falls_back_with_a_warning(org_session):
    session, org = org_session
    org.policy = {"mass.template_reuse": {"similarity": 85, "window_days": 7}}
    assembled = assemble(session, org, request_to(ANNA), NOW)
    assert assembled.request.context.org.policy == {"mass.template_reuse": {"window_days": 7}}
    assert assembled.policy_warnings == [
        "mass.template_reuse.similarity: 85 is out of range (allowed: 0.5 to 1.0 share of words); the default applies"
    ]


def test_an_invalid_inline_policy_is_refused_with_the_key_named(org_session):
    session, org = org_session
    req = request_to(ANNA, context={"org": {"policy": {"mass.bulk_bcc": {"min_recipents": 3}}}})
    with pytest.raises(PolicyError, match=r"context\.org\.policy\.mass\.bulk_bcc\.min_recipents: unknown setting"):
        assemble(session, org, req, NOW)


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

    index = assemble(session, org, request_to(ANNA), NOW).sent_index
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
    assembled = assemble(session, org, parse_request(req), NOW)
    assert [c.email for c in assembled.request.context.contacts] == [JAN, ANNA]
    codes = {f["code"] for f in analyze(assembled.request, sent_index=assembled.sent_index)["findings"]}
    assert "personalization.company_mismatch" in codes
    req["draft"]["body"]["text"] = "Dear Jan,\n\nHere is the quotation.\n\nBest regards,\nTom"
    assembled = assemble(session, org, parse_request(req), NOW)
    assert [c.email for c in assembled.request.context.contacts] == [JAN]
