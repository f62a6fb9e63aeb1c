"""Analysis through the real HTTP API while the CRM is fine, down, or not
configured: it always answers, and the report's `crm` key says which."""

from __future__ import annotations

from datetime import UTC

import pytest

from backend.connectors.base import ConnectorError
from backend.connectors.status import describe
from backend.storage.models import CrmSync
from tests.conftest import Http, draft_to, serving
from tests.connectors.fake_hubspot import SEARCH_PATH, FakeHubSpot
from tests.connectors.test_hubspot_sync import ANNA, free_port, run_sync


def analyze_for_anna(make_app) -> dict:
    with serving(make_app()) as base:
        reply = Http(base).post_json("/api/v1/analyze", {"draft": draft_to(ANNA, "Anna Schmidt")})
    assert reply.status == 200, reply.body[:300]
    report = reply.json()
    assert report["verdict"] in {"ok", "review", "block"}
    return report


def anna_in(report: dict) -> dict:
    return next(r for r in report["recipients"] if r["email"] == ANNA)


def test_no_crm_key_without_a_connector(database, demo_org, make_app):
    report = analyze_for_anna(make_app)
    assert "crm" not in report


def test_after_a_good_sync_the_report_uses_the_stored_contacts_and_says_ok(database, demo_org, make_app):
    with FakeHubSpot() as hubspot:
        run_sync(database, hubspot)
    # HubSpot is gone now: analysis reads the store, not HubSpot.
    report = analyze_for_anna(make_app)
    assert set(report["crm"]) == {"status", "source", "synced_at"}
    assert report["crm"]["status"] == "ok" and report["crm"]["source"] == "hubspot"
    assert report["crm"]["synced_at"].endswith("Z")
    crm = anna_in(report)["crm"]
    assert (crm["stage"], crm["company"], crm["consent"]) == ("negotiation", "Müller Leuchten GmbH", "opt_in")
    assert anna_in(report)["relationship"] == "warm"  # she replied to a sales email


def test_when_hubspot_is_down_analysis_still_works_and_says_the_crm_is_unavailable(database, demo_org, make_app):
    with pytest.raises(ConnectorError):
        run_sync(database, f"http://127.0.0.1:{free_port()}")
    report = analyze_for_anna(make_app)
    assert report["crm"]["status"] == "unavailable"
    assert report["crm"]["source"] == "hubspot"
    message = report["crm"]["message"]
    assert message.startswith("HubSpot sync failed on ")
    assert "connection refused" in message and message.endswith("; no HubSpot contacts yet")
    assert anna_in(report)["crm"] is None  # no context, and no error either


def test_a_failed_sync_after_a_good_one_says_unavailable_and_how_old_the_data_is(database, demo_org, make_app):
    fake = FakeHubSpot()
    with fake as hubspot:
        run_sync(database, hubspot)
        fake.fail(SEARCH_PATH, 500)  # the second sync is incremental
        with pytest.raises(ConnectorError):
            run_sync(database, hubspot)
    report = analyze_for_anna(make_app)
    assert report["crm"]["status"] == "unavailable"
    assert "500" in report["crm"]["message"] and "contacts are from the sync on " in report["crm"]["message"]
    assert report["crm"]["synced_at"].endswith("Z")
    assert anna_in(report)["crm"]["stage"] == "negotiation"  # the older copy is still used


@pytest.mark.parametrize(
    ("status", "success", "expected"),
    [
        ("ok", True, "ok"),
        ("running", True, "ok"),  # a sync in progress: the last good one still counts
        ("running", False, "unavailable"),
        ("failed", True, "unavailable"),
        ("failed", False, "unavailable"),
    ],
)
def test_describe(status, success, expected):
    from datetime import datetime

    at = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    row = CrmSync(
        source="hubspot",
        status=status,
        started_at=at,
        finished_at=at,
        last_success_at=at if success else None,
        error="cannot reach HubSpot" if status == "failed" else None,
    )
    state = describe(row)
    assert state["status"] == expected and state["source"] == "hubspot"
    if expected == "ok":
        assert state == {"status": "ok", "source": "hubspot", "synced_at": "2026-11-27T10:00:00Z"}
    else:
        assert "\n" not in state["message"]
        assert ("cannot reach HubSpot" in state["message"]) == (status == "failed")
