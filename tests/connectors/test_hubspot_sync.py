"""The HubSpot connector, the real hubspot-api-client, a local fake of the
CRM API and a real store: what lands in the database, incremental syncs,
erased addresses, and how failures are reported and recorded."""

from __future__ import annotations

import socket
import time
from datetime import UTC, date, datetime, timedelta

import pytest

from backend.auth import DEMO_ORG_SLUG
from backend.clock import SystemClock
from backend.connectors.base import ConnectorError
from backend.connectors.hubspot import CONTACT_PROPERTIES, MAX_RATE_LIMIT_RETRIES, HubSpotConnector
from backend.connectors.sync import ERASED, INCREMENTAL_OVERLAP, sync_contacts
from backend.storage import contacts as store
from backend.storage import queries
from backend.storage.context import contact_to_contract
from backend.storage.models import CrmSync
from nlp.jurisdiction import country_code
from tests.connectors.fake_hubspot import (
    ASSOCIATIONS_PATH,
    COMPANIES,
    COMPANIES_BATCH_PATH,
    CONTACTS_PATH,
    SEARCH_PATH,
    TOKEN,
    FakeHubSpot,
    contact,
)

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


def run_sync(database, base, *, token=TOKEN, timeout=5.0, lines=None, full=False, org=DEMO_ORG_SLUG):
    def connect():
        return HubSpotConnector(
            token,
            token_label="$HUBSPOT_TOKEN",
            base_url=base,
            timeout=timeout,
            progress=(lines.append if lines is not None else None),
        )

    # The fake HubSpot stamps edits with the real time, so the sync runs on the real clock.
    return sync_contacts(
        database,
        org,
        "hubspot",
        connect,
        clock=SystemClock(),
        full=full,
        progress=(lines.append if lines is not None else None),
    )


def now_stamp() -> str:
    """A lastmodifieddate for an edit made in HubSpot just now."""
    return SystemClock().now().isoformat(timespec="milliseconds").replace("+00:00", "Z")


def millis(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)


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
    assert fake.seen(SEARCH_PATH) == [] and fake.seen(ASSOCIATIONS_PATH) == []  # the first sync reads everything
    # Companies are read in batches, each once, and only the primary association.
    batches = fake.seen(COMPANIES_BATCH_PATH)
    assert sorted(i["id"] for b in batches for i in b.body["inputs"]) == ["9001", "9002"]
    assert "name" in batches[0].body["properties"]


def test_resync_is_idempotent(database, demo_org, hubspot):
    _fake, base = hubspot
    run_sync(database, base)
    first = stored(database)
    with database.session() as session:
        ids_before = sorted(
            i.id
            for c in queries.contacts_by_email(session, queries.org_by_slug(session, DEMO_ORG_SLUG), SYNCED)
            for i in c.interactions
        )
    result = run_sync(database, base, full=True)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 5)
    assert stored(database) == first
    with database.session() as session:
        ids_after = sorted(
            i.id
            for c in queries.contacts_by_email(session, queries.org_by_slug(session, DEMO_ORG_SLUG), SYNCED)
            for i in c.interactions
        )
    assert ids_after == ids_before  # nothing rewritten


def test_a_change_in_hubspot_updates_the_contact_and_replaces_its_synced_activity(database, demo_org, fake):
    with fake as base:
        run_sync(database, base)
        fake.modify("101", now_stamp(), lifecyclestage="customer", notes_last_updated="2026-11-20T10:00:00Z")
        result = run_sync(database, base, full=True)
    assert (result.updated, result.unchanged) == (1, 4)
    anna = stored(database)[ANNA]
    assert anna["stage"] == "customer"
    assert [i["date"] for i in anna["interactions"]] == ["2026-10-01", "2026-11-20"]


def test_sync_keeps_what_people_entered(database, demo_org, hubspot):
    _fake, base = hubspot
    with database.session() as session:
        org = queries.org_by_slug(session, DEMO_ORG_SLUG)
        queries.upsert_contact(
            session,
            org,
            DUPONT,
            kind="b2b",
            industry="lighting wholesale",
            consent_status="opt_in",
            consent_source="Light+Building form",
            consent_date=date(2026, 3, 10),
            interactions=[
                {
                    "date": date(2026, 3, 10),
                    "direction": "in",
                    "subject": "Visit at our booth",
                    "summary": "Wants 4000K panels",
                }
            ],
        )
    result = run_sync(database, base)
    assert result.updated == 1
    dupont = stored(database)[DUPONT]
    assert dupont["kind"] == "b2b"  # HubSpot has no such field
    assert dupont["industry"] == "wholesale"  # HubSpot has a value: it wins
    # HubSpot's "unknown" does not erase consent recorded here.
    assert dupont["consent"] == {"status": "opt_in", "source": "Light+Building form", "date": "2026-03-10"}
    assert dupont["interactions"] == [
        {"date": "2026-03-10", "direction": "in", "subject": "Visit at our booth", "summary": "Wants 4000K panels"}
    ]


def test_sync_never_undoes_an_opt_out(database, demo_org, hubspot):
    _fake, base = hubspot
    with database.session() as session:
        org = queries.org_by_slug(session, DEMO_ORG_SLUG)
        queries.upsert_contact(
            session, org, TIM, unsubscribed=True, consent_status="opt_out", consent_source="asked by phone"
        )
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
    assert (row.source, row.status, row.error, row.run_id) == ("hubspot", "ok", None, None)
    assert row.last_success_at == row.finished_at == result.finished_at
    assert row.last_success_started_at == row.started_at < row.finished_at
    assert row.stats["fetched"] == 6 and row.stats["skipped"] == {"without email": 1}
    assert lines == [
        "hubspot: page 1: 2 contacts (2 so far)",
        "hubspot: page 2: 2 contacts (4 so far)",
        "hubspot: page 3: 2 contacts (6 so far)",
    ]
    assert result.summary() == (
        "hubspot: 6 contacts fetched in 3 pages for demo: 5 created, 0 updated, "
        "0 unchanged, 1 skipped (1 without email)"
    )


# --- failures --------------------------------------------------------------------------


def fails(database, base, kind: str, **kw) -> str:
    with pytest.raises(ConnectorError) as caught:
        run_sync(database, base, **kw)
    message = str(caught.value)
    assert caught.value.kind == kind, message
    assert "\n" not in message and TOKEN not in message
    row = sync_row(database)
    assert (row.status, row.error, row.run_id) == ("failed", message, None)  # and the lock is released
    return message


def test_a_wrong_token_is_a_401_named_after_its_variable(database, demo_org, hubspot):
    fake, base = hubspot
    message = fails(database, base, "auth", token="pat-eu1-wrong")
    assert message == (
        "HubSpot rejected $HUBSPOT_TOKEN (401 Unauthorized) while reading contacts: check the private-app token"
    )
    assert "pat-eu1-wrong" not in message
    assert fake.seen(CONTACTS_PATH)[0].headers["Authorization"] == "Bearer pat-eu1-wrong"
    assert stored(database) == {}


def test_a_missing_scope_is_a_403_with_hubspot_s_reason(database, demo_org, hubspot):
    fake, base = hubspot
    fake.fail(
        COMPANIES_BATCH_PATH,
        403,
        body={
            "status": "error",
            "category": "MISSING_SCOPES",
            "message": "This app hasn't been granted all required scopes",
        },
    )
    message = fails(database, base, "auth")
    assert message == (
        "HubSpot refused access (403) while reading companies: This app hasn't been granted all required scopes"
    )


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
    fake.fail(SEARCH_PATH, 503)
    fails(database, base, "server")
    row = sync_row(database)
    assert row.last_success_at == good
    assert sorted(stored(database)) == sorted(SYNCED)  # the older copy stays usable


def test_an_unknown_organisation_records_nothing(database, demo_org, hubspot):
    from backend.connectors.sync import sync_contacts as sync
    from backend.errors import BadRequest

    _fake, base = hubspot
    with pytest.raises(BadRequest, match="no organisation 'nope'"):
        sync(database, "nope", "hubspot", lambda: HubSpotConnector(TOKEN, base_url=base), clock=SystemClock())
    assert sync_row(database) is None


# --- incremental syncs ------------------------------------------------------------------


def test_after_a_good_sync_only_contacts_modified_since_are_fetched(database, demo_org, fake):
    with fake as base:
        run_sync(database, base)
        first_start = sync_row(database).last_success_started_at
        # A new name for Dupont's primary company: only the v4 association read can tell which one that is.
        fake.companies = {**COMPANIES, "9002": {**COMPANIES["9002"], "name": "Électro Rhône SAS"}}
        fake.modify("104", now_stamp(), jobtitle="Acheteur")
        fake.requests.clear()
        lines: list[str] = []
        result = run_sync(database, base, lines=lines)

    assert (result.fetched, result.created, result.updated, result.unchanged) == (1, 0, 1, 0)
    assert fake.seen(CONTACTS_PATH) == []
    [search] = fake.seen(SEARCH_PATH)
    since = first_start - INCREMENTAL_OVERLAP
    assert search.body["filterGroups"] == [
        {"filters": [{"propertyName": "lastmodifieddate", "operator": "GTE", "value": str(millis(since))}]}
    ]
    assert search.body["sorts"] == [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}]
    assert set(CONTACT_PROPERTIES) <= set(search.body["properties"])
    assert search.headers["Authorization"] == f"Bearer {TOKEN}"
    [associations] = fake.seen(ASSOCIATIONS_PATH)
    assert associations.body == {"inputs": [{"id": "104"}]}

    dupont = stored(database)[DUPONT]
    assert (dupont["role"], dupont["company"], dupont["country"]) == ("Acheteur", "Électro Rhône SAS", "FR")
    assert result.since == since
    assert lines[0] == f"hubspot: reading contacts modified since {since:%Y-%m-%d %H:%M} UTC (--full reads all)"
    assert result.summary().startswith(
        f"hubspot: 1 contacts modified since {since:%Y-%m-%d %H:%M} UTC fetched in 1 page"
    )


def test_a_contact_without_a_company_in_an_incremental_sync(database, demo_org, fake):
    with fake as base:
        run_sync(database, base)
        fake.modify("106", now_stamp(), jobtitle="Buyer")  # no associated company: a 207 with an error for it
        result = run_sync(database, base)
    assert (result.fetched, result.updated) == (1, 1)
    assert stored(database)[LAKESIDE]["role"] == "Buyer"
    assert "company" not in stored(database)[LAKESIDE]


def test_full_reads_everything_again(database, demo_org, hubspot):
    fake, base = hubspot
    run_sync(database, base)
    fake.requests.clear()
    result = run_sync(database, base, full=True)
    assert (result.fetched, result.unchanged, result.since) == (6, 5, None)
    assert fake.seen(SEARCH_PATH) == [] and len(fake.seen(CONTACTS_PATH)) == 3


def test_a_failed_sync_does_not_move_the_start_of_the_next_incremental_one(database, demo_org, hubspot):
    fake, base = hubspot
    run_sync(database, base)
    fake.fail(SEARCH_PATH, 503)
    fails(database, base, "server")
    run_sync(database, base)
    first, retry = (r.body["filterGroups"][0]["filters"][0]["value"] for r in fake.seen(SEARCH_PATH))
    assert first == retry  # the failed sync's changes are asked for again


def stamped(offsets: list[int], base: datetime = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)) -> list[dict]:
    """Contacts c1, c2, … modified `offsets` seconds after `base`."""
    return [
        contact(
            str(n),
            email=f"c{n}@example-{n}.de",
            lastmodifieddate=(base + timedelta(seconds=s)).isoformat().replace("+00:00", "Z"),
        )
        for n, s in enumerate(offsets, start=1)
    ]


def changed_since(base: str, since: datetime) -> list[str]:
    connector = HubSpotConnector(TOKEN, base_url=base, timeout=5)
    try:
        return [c.email for page in connector.pages(since=since) for c in page.contacts]
    finally:
        connector.close()


def test_the_search_limit_is_paged_around_by_restarting_from_the_last_time_seen(monkeypatch):
    from backend.connectors import hubspot

    monkeypatch.setattr(hubspot, "SEARCH_LIMIT", 5)
    # Three contacts share second 5, across the end of the first query; c0 is older than `since`.
    contacts = [
        contact("0", email="c0@old.de", lastmodifieddate="2026-11-01T00:00:00Z"),
        *stamped([1, 2, 3, 4, 5, 5, 5, 6, 7, 8, 9, 10]),
    ]
    fake = FakeHubSpot(contacts, search_limit=5, page_size=2)
    with fake as base:
        emails = changed_since(base, datetime(2026, 11, 27, 9, 0, tzinfo=UTC))
    assert emails == [f"c{n}@example-{n}.de" for n in range(1, 13)]  # each once, oldest first
    starts = [
        (r.body["filterGroups"][0]["filters"][0]["value"], r.body.get("after"), r.body["limit"])
        for r in fake.seen(SEARCH_PATH)
    ]
    t = [str(millis(datetime(2026, 11, 27, 9, 0, s, tzinfo=UTC))) for s in range(11)]
    assert starts == [
        (t[0], None, 5),
        (t[0], "2", 3),
        (t[0], "4", 1),  # 5 results: the limit
        (t[5], None, 5),
        (t[5], "2", 3),
        (t[5], "4", 1),  # again from second 5
        (t[7], None, 5),
        (t[7], "2", 3),
    ]  # from second 7 to the end


def test_a_search_paged_beyond_the_limit_is_refused_by_the_fake_as_by_hubspot():
    # The connector believes in 10,000; this fake stops at 5, as HubSpot stops at 10,000.
    with (
        FakeHubSpot(stamped(list(range(1, 9))), search_limit=5, page_size=2) as base,
        pytest.raises(ConnectorError) as caught,
    ):
        changed_since(base, datetime(2026, 11, 27, 9, 0, tzinfo=UTC))
    assert caught.value.kind == "bad_response"
    assert str(caught.value) == (
        "HubSpot answered 400 Bad Request while searching contacts: "
        "The search API returns at most 5 results (after=0, limit=100)"
    )


def test_more_contacts_in_one_millisecond_than_a_search_returns_needs_a_full_sync(monkeypatch):
    from backend.connectors import hubspot

    monkeypatch.setattr(hubspot, "SEARCH_LIMIT", 5)
    with (
        FakeHubSpot(stamped([1, 2, 2, 2, 2, 2, 2]), search_limit=5, page_size=5) as base,
        pytest.raises(ConnectorError) as caught,
    ):
        changed_since(base, datetime(2026, 11, 27, 9, 0, 2, tzinfo=UTC))
    assert "run a full sync (--full)" in str(caught.value)


# --- erased addresses --------------------------------------------------------------------


def erase(database, email: str, org: str = DEMO_ORG_SLUG) -> None:
    with database.session() as session:
        store.erase(session, queries.org_by_slug(session, org), email, "test", SystemClock().now())


def test_an_erased_address_is_not_synced_back(database, demo_org, hubspot):
    fake, base = hubspot
    run_sync(database, base)
    erase(database, "Anna.Schmidt@Mueller-Leuchten.de ")
    assert ANNA not in stored(database)

    fake.modify("101", now_stamp(), jobtitle="Buyer")  # HubSpot still has her, and she changed
    for full in (False, True):
        result = run_sync(database, base, full=full)
        assert result.skipped[ERASED] == 1 and result.created == 0
        assert ANNA not in stored(database)
    assert result.summary().endswith("2 skipped (1 erased at the person's request, 1 without email)")
    assert sync_row(database).stats["skipped"] == {ERASED: 1, "without email": 1}


def test_an_erasure_in_another_organisation_changes_nothing_here(database, demo_org, make_tenant, hubspot):
    _fake, base = hubspot
    make_tenant("other")
    erase(database, ANNA, org="other")
    erase(database, "schmidt@mueller-leuchten.de")  # another address at the same company
    result = run_sync(database, base)
    assert result.created == 5 and ERASED not in result.skipped
    assert ANNA in stored(database)
