"""The HubSpot mapping rules one by one (no server): stages, activity,
consent, base URLs, Retry-After."""

from __future__ import annotations

from datetime import UTC
from typing import ClassVar

import pytest

from backend.connectors.base import ConnectorError
from backend.connectors.hubspot import HubSpotConnector, check_base_url, interactions_of, stage_of


@pytest.mark.parametrize(
    ("lifecycle", "lead_status", "stage"),
    [
        ("subscriber", None, "prospect"),
        ("lead", None, "prospect"),
        ("marketingqualifiedlead", None, "prospect"),
        ("salesqualifiedlead", "OPEN_DEAL", "prospect"),  # the lifecycle stage wins when it is HubSpot's own
        ("opportunity", None, "negotiation"),
        ("customer", None, "customer"),
        ("evangelist", None, "repeat"),
        ("Customer", None, "customer"),
        ("other", None, None),
        ("other", "OPEN_DEAL", "negotiation"),
        ("1234567", "NEW", "prospect"),  # a custom stage: the lead status decides
        (None, "IN_PROGRESS", "prospect"),
        (None, None, None),
        ("", "", None),
    ],
)
def test_stage_of(lifecycle, lead_status, stage):
    assert stage_of(lifecycle, lead_status) == stage


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        pytest.param({}, [], id="nothing"),
        pytest.param(
            {"notes_last_updated": "2026-10-02T23:30:00-05:00"},
            [("2026-10-03", "out", "HubSpot activity")],
            id="activity-is-a-dated-note-in-utc",
        ),
        pytest.param(
            {"hs_last_sales_activity_type": "MEETING_BOOKED", "hs_last_sales_activity_timestamp": "1759312800000"},
            [("2025-10-01", "in", "HubSpot: booked a meeting")],
            id="meeting-booked-epoch-ms",
        ),
        pytest.param(
            {"hs_last_sales_activity_type": "EMAIL_OPEN", "hs_last_sales_activity_timestamp": "2026-10-02T08:00:00Z"},
            [],
            id="an-open-is-not-an-exchange",
        ),
        pytest.param(
            {
                "hs_last_sales_activity_type": "EMAIL_REPLY",
                "hs_last_sales_activity_timestamp": "2026-10-02T08:00:00Z",
                "hs_sales_email_last_replied": "2026-10-02T08:00:00Z",
                "notes_last_updated": "2026-10-02T09:00:00Z",
            },
            [("2026-10-02", "in", "HubSpot: replied to a sales email")],
            id="one-reply-and-no-note-that-day",
        ),
        pytest.param(
            {"notes_last_updated": "not a date", "hs_sales_email_last_replied": ""}, [], id="garbage-is-ignored"
        ),
    ],
)
def test_interactions_of(props, expected):
    got = [(i.date.isoformat(), i.direction, i.subject) for i in interactions_of(props)]
    assert got == expected
    assert all(i.summary is None for i in interactions_of(props))  # no invented content


class Record:
    def __init__(self, **props):
        self.id, self.properties, self.associations = "1", props, None


@pytest.mark.parametrize(
    ("props", "status", "unsubscribed"),
    [
        ({"hs_email_optout": "true", "hs_legal_basis": "Freely given consent from contact"}, "opt_out", True),
        ({"hs_email_optout": "false", "hs_legal_basis": "Freely given consent from contact"}, "opt_in", False),
        ({"hs_legal_basis": "Legitimate interest – prospect/lead;Freely given consent from contact"}, "opt_in", False),
        ({"hs_legal_basis": "Legitimate interest - existing customer"}, "soft_opt_in", False),
        ({"hs_legal_basis": "Performance of a contract"}, "unknown", False),
        ({}, "unknown", False),
    ],
)
def test_consent(props, status, unsubscribed):
    contact, _ = HubSpotConnector("t").map_contact(Record(email="a@b.de", **props))
    assert (contact.consent_status, contact.unsubscribed) == (status, unsubscribed)


@pytest.mark.parametrize(
    ("email", "reason"),
    [
        (None, "without email"),
        ("  ", "without email"),
        ("not-an-address", "invalid email"),
        ("a@b", "invalid email"),
        ("x" * 320 + "@b.de", "invalid email"),
    ],
)
def test_records_without_a_usable_address_are_skipped(email, reason):
    assert HubSpotConnector("t").map_contact(Record(email=email)) == (None, reason)


def test_long_values_are_cut_to_the_columns():
    contact, _ = HubSpotConnector("t").map_contact(Record(email="A@B.DE", jobtitle="x" * 500, country="Narnia"))
    assert contact.email == "a@b.de" and len(contact.role) == 100 and contact.country is None


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://api.hubapi.com/", "https://api.hubapi.com"),
        ("http://127.0.0.1:8123", "http://127.0.0.1:8123"),
        ("http://localhost:8123/", "http://localhost:8123"),
        ("http://api.hubapi.com", None),  # a token must not travel in the clear
        ("ftp://api.hubapi.com", None),
        ("api.hubapi.com", None),
        ("https://user@api.hubapi.com", None),
    ],
)
def test_check_base_url(url, ok):
    if ok:
        assert check_base_url(url) == ok
    else:
        with pytest.raises(ConnectorError) as caught:
            check_base_url(url)
        assert caught.value.kind == "config"


@pytest.mark.parametrize("token", ["", "   ", "pat one", "pat\nHost: evil"])
def test_a_token_that_cannot_be_one_is_refused_before_any_request(token):
    with pytest.raises(ConnectorError) as caught:
        HubSpotConnector(token, token_label="$HUBSPOT_TOKEN")
    assert caught.value.kind == "config" and "$HUBSPOT_TOKEN" in str(caught.value)
    assert "evil" not in str(caught.value)


def test_retry_after_as_an_http_date():
    from datetime import datetime, timedelta
    from email.utils import format_datetime

    from backend.connectors.hubspot import _retry_after

    now = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)

    class Exc:
        headers: ClassVar = {"Retry-After": format_datetime(now + timedelta(seconds=30), usegmt=True)}

    assert _retry_after(Exc(), now) == 30
    assert _retry_after(Exc(), now + timedelta(seconds=40)) == 0
    Exc.headers = {}
    assert _retry_after(Exc(), now) == 10.0
