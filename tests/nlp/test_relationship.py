"""relationship.cold_contact."""

from __future__ import annotations

from .builders import PITCH, codes, contact, finding, request


def test_cold_contact_for_a_pitch_to_someone_never_in_touch():
    f = finding(request(PITCH), "relationship.cold_contact")
    assert f and f["severity"] == "info" and f["recipients"] == ["anna.schmidt@mueller-licht.de"]


def test_cold_contact_when_we_only_ever_wrote_to_them():
    prospect = contact(
        "anna.schmidt@mueller-licht.de",
        "Anna Schmidt",
        "Müller Licht GmbH",
        "DE",
        stage="prospect",
        interactions=[{"date": "2026-09-01", "direction": "out", "subject": "LED"}],
    )
    assert "relationship.cold_contact" in codes(request(PITCH, contacts=[prospect]))


def test_cold_contact_not_after_a_trade_fair_conversation():
    met = contact(
        "anna.schmidt@mueller-licht.de",
        "Anna Schmidt",
        "Müller Licht GmbH",
        "DE",
        stage="prospect",
        interactions=[
            {
                "date": "2026-09-01",
                "direction": "in",
                "subject": "Light+Building",
                "summary": "Met at our booth, asked for track spots",
            }
        ],
    )
    assert "relationship.cold_contact" not in codes(request(PITCH, contacts=[met]))


def test_cold_contact_not_for_a_service_notice():
    notice = (
        "Dear Anna,\n\nOur office will be closed from 1 to 7 October for the National Day holiday. "
        "Orders confirmed before 25 September will be shipped on time.\n\nBest regards,\nWei Zhang"
    )
    assert "relationship.cold_contact" not in codes(request(notice, subject="National Day holiday"))
