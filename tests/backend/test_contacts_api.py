"""GET /api/v1/contacts/<email>: the CRM view of one contact, over real HTTP."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

import pytest

from backend.storage import queries
from backend.storage.models import Organisation
from tests.conftest import Http, serving


@pytest.fixture
def api(make_app):
    with serving(make_app(DEMO_MODE=False)) as base:
        yield Http(base)


def add_contact(database, org_id: int, email: str, **fields) -> None:
    with database.session() as session:
        queries.upsert_contact(session, session.get(Organisation, org_id), email, **fields)


def test_contact_comes_back_in_the_contract_shape_with_interactions(api, make_tenant, database):
    tenant = make_tenant("acme")
    add_contact(
        database,
        tenant.id,
        "anna.schmidt@mueller-gmbh.de",
        name="Anna Schmidt",
        company="Müller GmbH",
        country="DE",
        kind="b2b",
        role="purchasing",
        industry="lighting wholesale",
        stage="sample",
        consent_status="opt_in",
        consent_source="trade fair form",
        consent_date=date(2026, 3, 10),
        unsubscribed=False,
        interactions=[
            dict(date=date(2026, 10, 9), direction="out", subject="Price list", summary=None),
            dict(
                date=date(2026, 10, 2),
                direction="in",
                subject="Samples received",
                summary="Asked for 4000K version and price for 2,000 pcs",
            ),
        ],
    )
    reply = api.get("/api/v1/contacts/" + quote("Anna.Schmidt@Mueller-GmbH.de"), headers=tenant.auth)
    assert reply.status == 200, reply.body[:300]
    assert reply.headers["Content-Type"].startswith("application/json")
    assert reply.json() == {
        "email": "anna.schmidt@mueller-gmbh.de",
        "name": "Anna Schmidt",
        "company": "Müller GmbH",
        "country": "DE",
        "kind": "b2b",
        "role": "purchasing",
        "industry": "lighting wholesale",
        "stage": "sample",
        "consent": {"status": "opt_in", "source": "trade fair form", "date": "2026-03-10"},
        "unsubscribed": False,
        "interactions": [
            {
                "date": "2026-10-02",
                "direction": "in",
                "subject": "Samples received",
                "summary": "Asked for 4000K version and price for 2,000 pcs",
            },
            {"date": "2026-10-09", "direction": "out", "subject": "Price list"},
        ],
    }


def test_address_with_plus_and_encoded_at_is_found(api, make_tenant, database):
    tenant = make_tenant("acme")
    add_contact(database, tenant.id, "anna+orders@mueller.de", unsubscribed=True)
    reply = api.get("/api/v1/contacts/" + quote("anna+orders@mueller.de", safe=""), headers=tenant.auth)
    assert reply.status == 200
    assert reply.json()["unsubscribed"] is True


def test_unknown_contact_is_404_json(api, make_tenant):
    tenant = make_tenant("acme")
    reply = api.get("/api/v1/contacts/nobody@example.com", headers=tenant.auth)
    assert reply.status == 404
    assert reply.json()["error"]["code"] == "not_found"


def test_contacts_need_credentials(api, make_tenant, database):
    tenant = make_tenant("acme")
    add_contact(database, tenant.id, "anna@mueller.de")
    reply = api.get("/api/v1/contacts/anna@mueller.de")
    assert reply.status == 401
    assert reply.json()["error"]["code"] == "unauthorized"


def test_demo_mode_reads_the_demo_organisations_contacts(http, demo_org, database):
    add_contact(database, demo_org, "m.rossi@rossi-illuminazione.it", name="Marco Rossi", unsubscribed=True)
    reply = http.get("/api/v1/contacts/m.rossi@rossi-illuminazione.it")
    assert reply.status == 200
    assert reply.json()["name"] == "Marco Rossi"
