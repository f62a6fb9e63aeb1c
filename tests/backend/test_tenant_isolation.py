"""Organisation A can never read or change organisation B's contacts,
policy, fingerprints or interactions, through any endpoint or command.

Each test first shows that B's data has an effect for B (so the test can
fail), then that it has none for A.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from sqlalchemy import select

from backend.demo import COLD_TEMPLATE
from backend.storage import queries
from backend.storage.models import AuditEvent, Contact, Interaction, Organisation, SentMessage
from tests.conftest import Http, serving

SHARED = "m.rossi@rossi-illuminazione.it"  # a buyer both exporters write to


@pytest.fixture
def tenants(make_tenant):
    return make_tenant("alpha"), make_tenant("beta")


@pytest.fixture
def api(make_app):
    with serving(make_app(DEMO_MODE=False)) as base:
        yield Http(base)


def add_contact(database, tenant, email: str, **fields) -> None:
    with database.session() as session:
        queries.upsert_contact(session, session.get(Organisation, tenant.id), email, **fields)


def analyze(api: Http, tenant, draft: dict) -> dict:
    reply = api.post_json("/api/v1/analyze", {"draft": draft}, tenant.auth)
    assert reply.status == 200, reply.body[:300]
    return reply.json()


def codes(report: dict) -> dict[str, str]:
    return {f["code"]: f["severity"] for f in report["findings"]}


def record_sent(api: Http, tenant, to: str, body: str, message_id: str | None = None):
    payload = {"draft": tenant.draft_to(to, "Buyer Team", body)}
    if message_id:
        payload["message_id"] = message_id
    return api.post_json("/api/v1/sent", payload, tenant.auth)


def require_sent_endpoint(api: Http, tenant) -> None:
    # POST /api/v1/sent belongs to the sent-messages work; until it exists
    # these tests cannot run (a 404 with an empty JSON body means no route).
    probe = api.post_json("/api/v1/sent", b"{}", tenant.auth)
    if probe.status == 404:
        pytest.skip("POST /api/v1/sent is not implemented yet")


# --- analyze ---------------------------------------------------------------


def test_another_orgs_unsubscribed_contact_does_not_block_my_draft(api, tenants, database):
    alpha, beta = tenants
    add_contact(database, beta, SHARED, name="Marco Rossi", unsubscribed=True)
    assert codes(analyze(api, beta, beta.draft_to(SHARED)))["compliance.suppressed_recipient"] == "block"

    report = analyze(api, alpha, alpha.draft_to(SHARED))
    assert "compliance.suppressed_recipient" not in codes(report)
    assert report["verdict"] != "block"
    assert not (report["recipients"][0].get("crm") or {}), "alpha must not see beta's CRM data"


def test_another_orgs_contact_data_does_not_reach_my_report(api, tenants, database):
    alpha, beta = tenants
    add_contact(
        database,
        beta,
        SHARED,
        name="Marco Rossi",
        stage="customer",
        country="IT",
        interactions=[
            dict(date=date(2026, 10, 2), direction="in", subject="Order BL-2611", summary="Ordered 1,200 fixtures")
        ],
    )
    beta_report = analyze(api, beta, beta.draft_to(SHARED))
    assert beta_report["recipients"][0]["crm"]["stage"] == "customer"

    alpha_report = analyze(api, alpha, alpha.draft_to(SHARED))
    assert "BL-2611" not in json.dumps(alpha_report) and "customer" not in json.dumps(alpha_report["recipients"])
    assert "relationship.cold_contact" in codes(alpha_report), "for alpha this buyer is a cold contact"


def test_another_orgs_policy_does_not_change_my_severities(api, tenants, database):
    alpha, beta = tenants
    with database.session() as session:
        session.get(Organisation, beta.id).policy = {
            "relationship.cold_contact": {"severity": "block"},
            "compliance.consent_missing": {"severity": "off"},
        }
    beta_codes = codes(analyze(api, beta, beta.draft_to(SHARED)))
    assert beta_codes["relationship.cold_contact"] == "block"
    assert "compliance.consent_missing" not in beta_codes

    alpha_codes = codes(analyze(api, alpha, alpha.draft_to(SHARED)))
    assert alpha_codes["relationship.cold_contact"] == "info"
    assert alpha_codes["compliance.consent_missing"] == "warn"


def test_another_orgs_sent_history_does_not_make_my_template_reuse_fire(api, tenants):
    alpha, beta = tenants
    require_sent_endpoint(api, beta)
    for i in range(6):
        reply = record_sent(api, beta, f"buyer{i}@prospect{i}.de", COLD_TEMPLATE, f"<cold{i}@beta>")
        assert reply.status == 201, reply.body[:300]

    new_buyer = "einkauf@neukunde.de"
    assert "mass.template_reuse" in codes(analyze(api, beta, beta.draft_to(new_buyer, "Buyer Team", COLD_TEMPLATE)))
    assert "mass.template_reuse" not in codes(
        analyze(api, alpha, alpha.draft_to(new_buyer, "Buyer Team", COLD_TEMPLATE))
    )


# --- contacts endpoint -------------------------------------------------------


def test_another_orgs_contact_is_404_not_403(api, tenants, database):
    alpha, beta = tenants
    add_contact(database, beta, "secret@beta-customer.de", name="Secret Buyer")
    assert api.get("/api/v1/contacts/secret@beta-customer.de", headers=beta.auth).status == 200
    reply = api.get("/api/v1/contacts/secret@beta-customer.de", headers=alpha.auth)
    assert reply.status == 404
    assert "Secret" not in reply.body.decode()


def test_the_same_address_in_two_orgs_shows_each_its_own_record(api, tenants, database):
    alpha, beta = tenants
    add_contact(database, alpha, SHARED, name="Marco (alpha's note)", stage="prospect")
    add_contact(database, beta, SHARED, name="Marco (beta's note)", stage="repeat")
    assert api.get(f"/api/v1/contacts/{SHARED}", headers=alpha.auth).json()["stage"] == "prospect"
    assert api.get(f"/api/v1/contacts/{SHARED}", headers=beta.auth).json()["stage"] == "repeat"


# --- sent endpoint -----------------------------------------------------------


def test_sent_messages_are_recorded_for_the_callers_org_only(api, tenants, database):
    alpha, beta = tenants
    require_sent_endpoint(api, alpha)
    add_contact(database, alpha, SHARED)
    add_contact(database, beta, SHARED)

    reply = record_sent(api, alpha, SHARED, COLD_TEMPLATE, "<same-id@example>")
    assert reply.status == 201, reply.body[:300]
    with database.session() as session:
        assert session.scalars(select(SentMessage.org_id)).all() == [alpha.id]
        beta_contact = session.scalar(select(Contact.id).where(Contact.org_id == beta.id))
        assert session.scalars(select(Interaction).where(Interaction.contact_id == beta_contact)).all() == []

    # The same Message-ID from beta is beta's own message, not a duplicate of alpha's.
    assert record_sent(api, beta, SHARED, COLD_TEMPLATE, "<same-id@example>").status == 201
    with database.session() as session:
        assert sorted(session.scalars(select(SentMessage.org_id)).all()) == sorted([alpha.id, beta.id])


# --- commands ------------------------------------------------------------


def test_export_lists_only_the_named_org(sendwise_cli, tenants, database):
    alpha, beta = tenants
    add_contact(database, alpha, "a@alpha-customer.de")
    add_contact(database, beta, "b@beta-customer.de")
    result = sendwise_cli("contacts", "export", "--org", "alpha")
    assert result.returncode == 0, result.stderr.decode()
    assert [r[0] for r in csv.reader(io.StringIO(result.stdout.decode("utf-8-sig")))] == [
        "email",
        "a@alpha-customer.de",
    ]
    exported = json.loads(sendwise_cli("contacts", "export", "--org", "alpha", "--format", "json").stdout)
    assert [c["email"] for c in exported["contacts"]] == ["a@alpha-customer.de"]


def test_erase_in_one_org_leaves_the_other_untouched(sendwise_cli, api, tenants, database):
    alpha, beta = tenants
    interactions = [dict(date=date(2026, 10, 2), direction="in", subject="Hello", summary=None)]
    add_contact(database, alpha, SHARED, interactions=interactions)
    add_contact(database, beta, SHARED, interactions=interactions)
    require_sent_endpoint(api, alpha)
    assert record_sent(api, alpha, SHARED, COLD_TEMPLATE).status == 201
    assert record_sent(api, beta, SHARED, COLD_TEMPLATE).status == 201

    result = sendwise_cli("contacts", "erase", SHARED, "--org", "alpha")
    assert result.returncode == 0, result.stderr.decode()
    assert "1 contact" in result.stdout.decode() and "1 sent message" in result.stdout.decode()

    with database.session() as session:
        assert session.scalars(select(Contact.org_id)).all() == [beta.id]
        beta_contact = session.scalar(select(Contact.id))
        assert session.scalars(select(Interaction.contact_id)).all()
        assert set(session.scalars(select(Interaction.contact_id))) == {beta_contact}
        assert session.scalars(select(SentMessage.org_id)).all() == [beta.id]
        assert session.scalars(select(AuditEvent.org_id).where(AuditEvent.action == "contact.erase")).all() == [
            alpha.id
        ]
    assert api.get(f"/api/v1/contacts/{SHARED}", headers=beta.auth).status == 200


def test_import_into_one_org_does_not_change_the_other(sendwise_cli, tenants, database, tmp_path):
    alpha, beta = tenants
    add_contact(database, beta, SHARED, name="Marco Rossi", stage="repeat", unsubscribed=False)
    path = tmp_path / "alpha.csv"
    path.write_text(f"email,name,stage,unsubscribed\n{SHARED},Somebody Else,prospect,yes\n", encoding="utf-8")
    result = sendwise_cli("contacts", "import", str(path), "--org", "alpha")
    assert result.returncode == 0, result.stderr.decode()
    assert "imported 1, updated 0" in result.stdout.decode(), "beta's contact is not alpha's to update"
    with database.session() as session:
        theirs = session.scalar(select(Contact).where(Contact.org_id == beta.id))
        assert (theirs.name, theirs.stage, theirs.unsubscribed) == ("Marco Rossi", "repeat", False)
        ours = session.scalar(select(Contact).where(Contact.org_id == alpha.id))
        assert (ours.name, ours.stage, ours.unsubscribed) == ("Somebody Else", "prospect", True)
