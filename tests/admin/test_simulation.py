"""The policy page's simulation: what a proposed policy would have done to
the mail recorded in the last 30 days and to the sample drafts, before it
is saved."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from backend.auth import DEMO_ORG_SLUG
from backend.storage import queries
from backend.storage.models import AuditEvent, SentMessage
from tests.admin.test_admin import DEAR_SIR_PITCH, _form, _save_policy
from tests.conftest import ORG_DOMAIN

PERSONAL_REPLY = {
    "from": {"name": "Tom Li", "email": f"tom.li@{ORG_DOMAIN}"},
    "to": [{"name": "Anna Schmidt", "email": "anna.schmidt@mueller-licht.de"}],
    "subject": "RE: your question about the 60x60 panel",
    "body": {
        "text": "Dear Anna,\n\nthe panel you asked about on Monday has a UGR below 19 and fits your ceiling grid. "
        "I will send the photometric file tomorrow.\n\nBest regards,\nTom Li",
        "html": None,
    },
    "thread": {"is_reply": True, "previous_messages": 2},
}


def _record(client, draft, message_id: str):
    response = client.post("/api/v1/sent", json={"draft": draft, "message_id": message_id})
    assert response.status_code == 201, response.get_json()


def _simulate(client, **changes: str):
    form = {**_form(client.get("/admin/policy").get_data(as_text=True)), **changes}
    return client.post("/admin/policy/simulate", data=form)


def _cell(page: str, table: str) -> str:
    return page.split(f'id="{table}"')[1].split("</table>")[0]


def test_a_stricter_severity_shows_the_sends_it_would_hold_and_saves_nothing(admin_client, database):
    _record(admin_client, DEAR_SIR_PITCH["draft"], "<pitch@x>")
    _record(admin_client, PERSONAL_REPLY, "<reply@x>")
    response = _simulate(admin_client, **{"personalization.generic_greeting.severity": "block"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="simulation-changed">1 of 2 sends would have been treated differently.' in page
    sends = _cell(page, "simulation-sends")
    assert f"tom.li@{ORG_DOMAIN}" in sends and "<code>personalization.generic_greeting</code>" in sends
    assert "sent with a warning</td><td>held" in sends
    # No text of the mail on the page, and the form keeps what was entered.
    assert "new catalogue with competitive prices" not in page and DEAR_SIR_PITCH["draft"]["subject"] not in page
    assert '<option value="block" selected>' in page.split('id="personalization.generic_greeting.severity"')[1]
    with database.session() as session:
        assert queries.org_by_slug(session, DEMO_ORG_SLUG).policy == {}
        assert session.scalars(select(AuditEvent).where(AuditEvent.action == "org.policy")).first() is None


def test_the_saved_policy_changes_nothing(admin_client):
    _record(admin_client, DEAR_SIR_PITCH["draft"], "<pitch@x>")
    page = _simulate(admin_client).get_data(as_text=True)
    assert 'id="simulation-changed">0 of 1 sends would' in page
    assert 'id="simulation-sends"' not in page


def test_a_check_switched_off_when_mail_was_sent_still_counts_when_switched_on(admin_client):
    assert _save_policy(admin_client, **{"personalization.generic_greeting.severity": "off"}).status_code == 302
    _record(admin_client, DEAR_SIR_PITCH["draft"], "<pitch@x>")
    page = _simulate(admin_client, **{"personalization.generic_greeting.severity": "block"}).get_data(as_text=True)
    assert "held" in _cell(page, "simulation-sends")


def test_hold_once_turns_warned_sends_into_held_ones(admin_client):
    _record(admin_client, DEAR_SIR_PITCH["draft"], "<pitch@x>")
    page = _simulate(admin_client, **{"on_send.review": "hold_once"}).get_data(as_text=True)
    assert 'id="simulation-changed">1 of 1 sends' in page


def test_only_the_last_30_days_count_and_unanalysed_sends_are_named(admin_client, database, clock):
    _record(admin_client, DEAR_SIR_PITCH["draft"], "<old@x>")
    _record(admin_client, DEAR_SIR_PITCH["draft"], "<unanalysed@x>")
    with database.session() as session:
        session.execute(
            update(SentMessage)
            .where(SentMessage.message_id == "<old@x>")
            .values(sent_at=clock.now() - timedelta(days=31))
        )
        session.execute(update(SentMessage).where(SentMessage.message_id == "<unanalysed@x>").values(codes=None))
        session.commit()
    page = _simulate(admin_client, **{"personalization.generic_greeting.severity": "block"}).get_data(as_text=True)
    assert "No analysed mail was recorded in this time." in page
    assert "1 sends were recorded without their findings" in page


def test_the_sample_drafts_are_analysed_under_both_policies(admin_client):
    page = _simulate(admin_client, **{"personalization.generic_greeting.severity": "block"}).get_data(as_text=True)
    examples = _cell(page, "simulation-examples")
    rows = {r.split("<td>")[1].split("</td>")[0]: r for r in examples.split("<tr")[2:]}
    assert {"cold-pitch", "quote-reply", "unfilled-template"} <= set(rows)
    assert 'class="changed"' in rows["cold-pitch"] and "held" in rows["cold-pitch"]
    assert 'class="changed"' not in rows["quote-reply"]
    # A threshold acts on the drafts' text: fewer Bcc recipients needed for a bulk mailing.
    page = _simulate(admin_client, **{"mass.bulk_bcc.min_recipients": "50"}).get_data(as_text=True)
    rows = _cell(page, "simulation-examples")
    newsletter = next(r for r in rows.split("<tr")[2:] if "newsletter-bcc" in r)
    assert "<code>mass.bulk_bcc</code>" not in newsletter


def test_invalid_values_are_refused_next_to_the_field_without_a_simulation(admin_client):
    response = _simulate(admin_client, **{"mass.bulk_bcc.min_recipients": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and 'id="error-mass-bulk_bcc-min_recipients"' in page
    assert 'id="simulation"' not in page


def test_a_viewer_cannot_run_it(viewer_client):
    assert _simulate(viewer_client).status_code == 403
