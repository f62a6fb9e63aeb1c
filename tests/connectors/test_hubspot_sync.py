"""The HubSpot connector, the real hubspot-api-client, a local fake of the
CRM v3 API and a real store: what lands in the database, and how failures
are reported and recorded."""
from __future__ import annotations

import socket
import time
from datetime import date

import pytest

from backend.auth import DEMO_ORG_SLUG
from backend.connectors.base import ConnectorError
from backend.connectors.hubspot import CONTACT_PROPERTIES, MAX_RATE_LIMIT_RETRIES, HubSpotConnector
from backend.connectors.sync import sync_contacts
from backend.storage import queries
from backend.storage.context import contact_to_contract
from backend.storage.models import CrmSync
from nlp.jurisdiction import country_code
from tests.connectors.fake_hubspot import COMPANIES_BATCH_PATH, CONTACTS, CONTACTS_PATH, TOKEN, FakeHubSpot

ANNA = "anna.schmidt@mueller-leuchten.de"
ROSSI = "m.rossi@rossi-illuminazione.it"
DUPONT = "j.dupont@electro-rhone.fr"
TIM = "tim@kingsway-electrical.co.uk"
LAKESIDE = "buyer@lakeside-lighting.com"
SYNCED = [ANNA, ROSSI, DUPONT, TIM, LAKESIDE]


@pytest.fixture
def fake():
    return FakeHubSpot()


@pytest.fixture
def hubspot(fake):
    with fake as base:
        yield fake, base


def run_sync(database, base, *, token=TOKEN, timeout=5.0, lines=None):
    def connect():
        return HubSpotConnector(token, token_label="$HUBSPOT_TOKEN", base_url=base, timeout=timeout,
                                progress=(lines.append if lines is not None else None))
    return sync_contacts(database, DEMO_ORG_SLUG, "hubspot", connect,
                         progress=(lines.append if lines is not None else None))


def stored(database) -> dict[str, dict]:
    with database.session() as session:
        org = queries.org_by_slug(session, DEMO_ORG_SLUG)
        return {c.email: contact_to_contract(c) for c in queries.contacts_by_email(session, org, SYNCED)}


def sync_row(database) -> CrmSync | None:
    with database.session() as session:
        rows = queries.crm_syncs(session, queries.org_by_slug(session, DEMO_ORG_SLUG))
        return rows[0] if rows else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- what is stored ------------------------------------------------------------------

def test_sync_stores_contacts_mapped_to_the_contract(database, demo_org, hubspot):
    _fake, base = hubspot
    result = run_sync(database, base)
    assert (result.fetched, result.created, result.updated, result.unchanged) == (6, 5, 0, 0)
    assert dict(result.skipped) == {"without email": 1}
    contacts = stored(database)
    assert sorted(contacts) == sorted(SYNCED)

    anna = contacts[ANNA]
    assert anna["name"] == "Anna Schmidt"
    assert anna["company"] == "Müller Leuchten GmbH"  # associated company, not a property
    assert anna["country"] == country_code("Germany") == "DE"  # from the company
    assert anna["role"] == "Head of Purchasing"
    assert anna["industry"] == "electrical electronic manufacturing"
    assert anna["stage"] == "negotiation"  # opportunity
    assert anna["consent"] == {"status": "opt_in", "source": "HubSpot legal basis: Freely given consent from contact"}
    assert anna["unsubscribed"] is False
    assert anna["interactions"] == [
        {"date": "2026-10-01", "direction": "in", "subject": "HubSpot: replied to a sales email"},
        {"date": "2026-10-02", "direction": "out", "subject": "HubSpot activity"},
    ]
    assert "kind" not in anna  # HubSpot does not say business or consumer

    rossi = contacts[ROSSI]  # stored lower-case
    assert (rossi["company"], rossi["country"], rossi["stage"]) == ("Rossi Illuminazione S.r.l.", "IT", "customer")
    assert rossi["unsubscribed"] is True
    assert rossi["consent"]["status"] == "opt_out"
    assert rossi["interactions"] == [{"date": "2025-10-01", "direction": "out", "subject": "HubSpot activity"}]

    dupont = contacts[DUPONT]  # the primary association wins over the first one
    assert (dupont["company"], dupont["country"], dupont["industry"]) == ("Électro Rhône SARL", "FR", "wholesale")
    assert dupont["stage"] == "prospect"
    assert dupont["consent"] == {"status": "unknown"}  # legitimate interest is not consent
    assert dupont["interactions"] == []

    tim = contacts[TIM]
    assert (tim["country"], tim["stage"]) == (country_code("United Kingdom"), "repeat")
    assert tim["consent"]["status"] == "soft_opt_in"  # legitimate interest, existing customer
    assert tim["interactions"] == []  # an email open is not an exchange

    lakeside = contacts[LAKESIDE]  # custom lifecycle stage: the lead status decides
    assert lakeside["stage"] == "negotiation"
    assert [i["direction"] for i in lakeside["interactions"]] == ["in", "out"]


def test_sync_pages_through_everything_with_the_token_and_the_properties_it_maps(database, demo_org, hubspot):
    fake, base = hubspot
    run_sync(database, base)
    pages = fake.seen(CONTACTS_PATH)
    assert [(r.query.get("after") or [None])[0] for r in pages] == [None, "c2", "c4"]
    for request in fake.requests:
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    requested = {p for value in pages[0].query["properties"] for p in value.split(",")}
    assert set(CONTACT_PROPERTIES) <= requested
    assert pages[0].query["associations"] == ["companies"]
    # Companies are read in batches, each once, and only the primary association.
    batches = fake.seen(COMPANIES_BATCH_PATH)
    assert sorted(i["id"] for b in batches for i in b.body["inputs"]) == ["9001", "9002"]
    assert "name" in batches[0].body["properties"]


def test_resync_is_idempotent(database, demo_org, hubspot):
    _fake, base = hubspot
    run_sync(database, base)
    first = stored(database)
    with database.session() as session:
        ids_before = sorted(i.id for c in queries.contacts_by_email(
            session, queries.org_by_slug(session, DEMO_ORG_SLUG), SYNCED) for i in c.interactions)
    result = run_sync(database, base)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 5)
    assert stored(database) == first
    with database.session() as session:
        ids_after = sorted(i.id for c in queries.contacts_by_email(
            session, queries.org_by_slug(session, DEMO_ORG_SLUG), SYNCED) for i in c.interactions)
    assert ids_after == ids_before  # nothing rewritten


def test_a_change_in_hubspot_updates_the_contact_and_replaces_its_synced_activity(database, demo_org, fake):
    with fake as base:
        run_sync(database, base)
        fake.contacts = [dict(c, properties=dict(c["properties"])) for c in CONTACTS]
        fake.contacts[0]["properties"].update(lifecyclestage="customer", notes_last_updated="2026-11-20T10:00:00Z")
        result = run_sync(database, base)
    assert (result.updated, result.unchanged) == (1, 4)
    anna = stored(database)[ANNA]
    assert anna["stage"] == "customer"
    assert [i["date"] for i in anna["interactions"]] == ["2026-10-01", "2026-11-20"]


def test_sync_keeps_what_people_entered(database, demo_org, hubspot):
    _fake, base = hubspot
    with database.session() as session:
        org = queries.org_by_slug(session, DEMO_ORG_SLUG)
        queries.upsert_contact(
            session, org, DUPONT, kind="b2b", industry="lighting wholesale", consent_status="opt_in",
            consent_source="Light+Building form", consent_date=date(2026, 3, 10),
            interactions=[{"date": date(2026, 3, 10), "direction": "in", "subject": "Visit at our booth",
                           "summary": "Wants 4000K panels"}])
    result = run_sync(database, base)
    assert result.updated == 1
    dupont = stored(database)[DUPONT]
    assert dupont["kind"] == "b2b"  # HubSpot has no such field
    assert dupont["industry"] == "wholesale"  # HubSpot has a value: it wins
    # HubSpot's "unknown" does not erase consent recorded here.
    assert dupont["consent"] == {"status": "opt_in", "source": "Light+Building form", "date": "2026-03-10"}
    assert dupont["interactions"] == [{"date": "2026-03-10", "direction": "in", "subject": "Visit at our booth",
                                       "summary": "Wants 4000K panels"}]


def test_sync_never_undoes_an_opt_out(database, demo_org, hubspot):
    _fake, base = hubspot
    with database.session() as session:
        org = queries.org_by_slug(session, DEMO_ORG_SLUG)
        queries.upsert_contact(session, org, TIM, unsubscribed=True, consent_status="opt_out",
                               consent_source="asked by phone")
    result = run_sync(database, base)
    assert result.kept_opt_outs == 1
    assert "kept 1 opt-out" in result.summary()
    tim = stored(database)[TIM]
    assert tim["unsubscribed"] is True
    assert tim["consent"] == {"status": "opt_out", "source": "asked by phone"}
    assert tim["stage"] == "repeat"  # everything else is still synced


def test_a_good_sync_is_recorded(database, demo_org, hubspot):
    _fake, base = hubspot
    lines: list[str] = []
    result = run_sync(database, base, lines=lines)
    row = sync_row(database)
    assert (row.source, row.status, row.error) == ("hubspot", "ok", None)
    assert row.last_success_at == row.finished_at == result.finished_at
    assert row.stats["fetched"] == 6 and row.stats["skipped"] == {"without email": 1}
    assert lines == ["hubspot: page 1: 2 contacts (2 so far)", "hubspot: page 2: 2 contacts (4 so far)",
                     "hubspot: page 3: 2 contacts (6 so far)"]
    assert result.summary() == ("hubspot: 6 contacts fetched in 3 pages for demo: 5 created, 0 updated, "
                                "0 unchanged, 1 skipped (1 without email)")


# --- failures --------------------------------------------------------------------------

def fails(database, base, kind: str, **kw) -> str:
    with pytest.raises(ConnectorError) as caught:
        run_sync(database, base, **kw)
    message = str(caught.value)
    assert caught.value.kind == kind, message
    assert "\n" not in message and TOKEN not in message
    row = sync_row(database)
    assert (row.status, row.error) == ("failed", message)
    return message


def test_a_wrong_token_is_a_401_named_after_its_variable(database, demo_org, hubspot):
    fake, base = hubspot
    message = fails(database, base, "auth", token="pat-eu1-wrong")
    assert message == ("HubSpot rejected $HUBSPOT_TOKEN (401 Unauthorized) while reading contacts: "
                       "check the private-app token")
    assert "pat-eu1-wrong" not in message
    assert fake.seen(CONTACTS_PATH)[0].headers["Authorization"] == "Bearer pat-eu1-wrong"
    assert stored(database) == {}


def test_a_missing_scope_is_a_403_with_hubspot_s_reason(database, demo_org, hubspot):
    fake, base = hubspot
    fake.fail(COMPANIES_BATCH_PATH, 403, body={"status": "error", "category": "MISSING_SCOPES",
                                               "message": "This app hasn't been granted all required scopes"})
    message = fails(database, base, "auth")
    assert message == ("HubSpot refused access (403) while reading companies: "
                       "This app hasn't been granted all required scopes")


def test_a_server_error_mid_sync_keeps_the_pages_before_it(database, demo_org, hubspot):
    fake, base = hubspot
    fake.fail(CONTACTS_PATH, 500, after="c2")
    message = fails(database, base, "server")
    assert message == "HubSpot server error (500 Internal Server Error) while reading contacts"
    # Page one is complete and committed; nothing from later pages.
    assert sorted(stored(database)) == [ANNA, ROSSI]
    assert stored(database)[ANNA]["company"] == "Müller Leuchten GmbH"
    row = sync_row(database)
    assert row.last_success_at is None and row.stats["fetched"] == 2


def test_a_rate_limit_is_waited_out_as_told(database, demo_org, hubspot):
    fake, base = hubspot
    fake.fail(CONTACTS_PATH, 429, headers={"Retry-After": "1"}, after="c2")
    lines: list[str] = []
    started = time.monotonic()
    result = run_sync(database, base, lines=lines)
    assert time.monotonic() - started >= 1.0
    assert result.created == 5
    assert "rate limited by HubSpot; waiting 1 s (retry 1 of 3)" in lines
    assert [(r.query.get("after") or [None])[0] for r in fake.seen(CONTACTS_PATH)] == [None, "c2", "c2", "c4"]
    assert sync_row(database).status == "ok"


def test_a_rate_limit_that_does_not_clear_fails_after_bounded_retries(database, demo_org, hubspot):
    fake, base = hubspot
    fake.fail(CONTACTS_PATH, 429, headers={"Retry-After": "0"}, times=100)
    message = fails(database, base, "rate_limited")
    assert message == "HubSpot rate limit (429) while reading contacts, still after 3 retries; try again later"
    assert len(fake.seen(CONTACTS_PATH)) == 1 + MAX_RATE_LIMIT_RETRIES


def test_a_long_retry_after_fails_at_once(database, demo_org, hubspot):
    fake, base = hubspot
    fake.fail(CONTACTS_PATH, 429, headers={"Retry-After": "3600"})
    started = time.monotonic()
    message = fails(database, base, "rate_limited")
    assert time.monotonic() - started < 1.0
    assert "asks to wait 3600 s" in message


def test_a_slow_answer_times_out(database, demo_org, hubspot):
    fake, base = hubspot
    fake.fail(CONTACTS_PATH, 200, delay=5)
    started = time.monotonic()
    message = fails(database, base, "timeout", timeout=0.3)
    assert time.monotonic() - started < 3
    assert message == f"HubSpot at {base} did not answer within 0.3 s while reading contacts"


def test_an_answer_that_is_not_json_is_not_an_empty_account(database, demo_org, hubspot):
    fake, base = hubspot
    fake.fail(CONTACTS_PATH, 200, raw=b"<html><body>Sign in to the proxy</body></html>")
    message = fails(database, base, "bad_response")
    assert message == f"unexpected answer from HubSpot at {base} while reading contacts"


def test_connection_refused(database, demo_org):
    base = f"http://127.0.0.1:{free_port()}"
    message = fails(database, base, "unreachable")
    assert message == f"cannot reach HubSpot at {base}: connection refused"


def test_a_failure_after_a_good_sync_keeps_its_time(database, demo_org, hubspot):
    fake, base = hubspot
    run_sync(database, base)
    good = sync_row(database).last_success_at
    fake.fail(CONTACTS_PATH, 503)
    fails(database, base, "server")
    row = sync_row(database)
    assert row.last_success_at == good
    assert sorted(stored(database)) == sorted(SYNCED)  # the older copy stays usable


def test_an_unknown_organisation_records_nothing(database, demo_org, hubspot):
    from backend.errors import BadRequest
    from backend.connectors.sync import sync_contacts as sync

    _fake, base = hubspot
    with pytest.raises(BadRequest, match="no organisation 'nope'"):
        sync(database, "nope", "hubspot", lambda: HubSpotConnector(TOKEN, base_url=base))
    assert sync_row(database) is None
