"""The add-on end to end: Google's events in, cards and draft edits out,
every response validated against Google's card schema."""

from __future__ import annotations

import json
from datetime import date

import pytest
from googleapiclient.http import HttpMockSequence

from backend.storage import Database, queries
from tests.conftest import ORG_DOMAIN
from tests.gmail import gmail_responses as R
from tests.gmail.card_schema import assert_valid
from tests.gmail.conftest import USER, action_event, compose_event

CUSTOMER = "james.carter@carter-electrical.co.uk"
PROSPECT = "klaus.weber@lichtwerk-handel.de"
COLD_PITCH = (
    "Dear Sir/Madam,\n\nWe are Ningbo Brightway Lighting Co., Ltd., a manufacturer of LED panel lights for "
    "wholesalers in Europe. Our 60x60 panel is available from stock at the best price.\n\nWould you be interested "
    "in our latest catalogue and price list?\n\nBest regards,\nTom Li"
)


@pytest.fixture
def crm(database: Database, demo_org, clock):
    with database.session() as session:
        org = queries.org_by_slug(session, "demo")
        queries.upsert_contact(
            session,
            org,
            CUSTOMER,
            name="James Carter",
            company="Carter Electrical Ltd",
            country="GB",
            kind="b2b",
            role="purchasing manager",
            stage="customer",
            consent_status="soft_opt_in",
            interactions=[
                {
                    "date": date(2026, 11, 18),
                    "direction": "in",
                    "subject": "Order BL-2611",
                    "summary": "Ordered 1,200 high-bays",
                }
            ],
        )
        queries.upsert_contact(
            session, org, PROSPECT, name="Klaus Weber", company="Lichtwerk Handel GmbH", country="DE", stage="prospect"
        )
        session.commit()


def card_of(response, kind: str = "pushCard") -> dict:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert_valid(response.json)
    if kind == "pushCard":
        return response.json["action"]["navigations"][0]["pushCard"]
    return response.json["renderActions"]["action"]["navigations"][0]["updateCard"]


def texts(card: dict) -> str:
    return json.dumps(card, ensure_ascii=False)


def buttons(card: dict) -> dict[str, dict]:
    """Every button by its label, with its action."""
    found = {}
    for section in card["sections"]:
        for widget in section["widgets"]:
            for b in widget.get("buttonList", {}).get("buttons", []):
                found[b["text"]] = b["onClick"]["action"]
            if "button" in widget.get("decoratedText", {}):
                b = widget["decoratedText"]["button"]
                found[b["text"]] = b["onClick"]["action"]
    return found


def params(action: dict) -> dict[str, str]:
    return {p["key"]: p["value"] for p in action.get("parameters", [])}


def test_a_catalogue_blast_to_30_distributors_shows_the_exposure_and_the_bcc_advice(google):
    to = [f"purchasing@distributor{i:02d}-lighting.{tld}" for i, tld in zip(range(30), ["de", "fr", "it"] * 10)]
    card = card_of(google.post("/gmail/compose", compose_event(to=to)))
    body = texts(card)
    assert card["header"]["subtitle"] == "Check 1 thing before sending"
    assert "<b>Recipients exposed to each other</b><br>30 external organisations can see each other" in body
    assert "move the recipients to Bcc" in body
    assert "Recipients checked. The text is checked when you press Check my draft." in body
    recipients = next(s for s in card["sections"] if s.get("header", "").startswith("Recipients"))
    assert recipients["header"] == "Recipients (30)"
    assert recipients["collapsible"] is True and recipients["uncollapsibleWidgetsCount"] == 20
    assert "and 10 more" in texts(recipients)
    check = buttons(card)["Check my draft"]
    assert check["function"] == "https://sendwise.example.com/gmail/actions/check_draft"
    assert params(check)["to"].split(",") == to


def test_a_clean_reply_to_a_known_customer_is_ok_with_the_crm_context(google, crm):
    card = card_of(google.post("/gmail/compose", compose_event(to=[CUSTOMER])))
    assert card["header"]["subtitle"] == "Recipients look fine"
    crm_section = next(s for s in card["sections"] if s.get("header") == "From your CRM")
    body = texts(crm_section)
    assert "James Carter · Carter Electrical Ltd" in body and "customer" in body and "Order BL-2611" in body
    insert = next(a for label, a in buttons(card).items() if label == "Insert")
    assert params(insert)["kind"] == "line" and params(insert)["text"]

    reply = "Dear James,\n\nthank you for order BL-2611; production starts on Monday.\n\nBest regards,\nTom Li"
    event = action_event(params(buttons(card)["Check my draft"]), form={"draft_text": reply})
    pasted = card_of(google.post("/gmail/actions/check_pasted", event), "updateCard")
    assert pasted["header"]["subtitle"] == "Ready to send"
    assert "Recipients and the text you pasted checked." in texts(pasted)


def test_check_my_draft_reads_the_draft_and_finds_the_generic_greeting_and_missing_opt_out(gmail_app, google_key, crm):
    http = HttpMockSequence(
        [
            R.drafts_list(("r-1", "m1", "t1")),
            R.draft_metadata("r-1", "m1", "t1", 1764237000000, to=PROSPECT, subject="LED panels"),
            R.draft_full("r-1", "m1", "t1", 1764237000000, COLD_PITCH, to=PROSPECT, subject="LED panels"),
        ]
    )
    gmail_app.config["GMAIL_HTTP"] = lambda: http
    from tests.gmail.conftest import Google

    google = Google(gmail_app.test_client(), google_key)
    compose = card_of(google.post("/gmail/compose", compose_event(to=[PROSPECT])))
    event = action_event(params(buttons(compose)["Check my draft"]))
    checked = card_of(google.post("/gmail/actions/check_draft", event), "updateCard")
    body = texts(checked)
    assert "Recipients and the text of your draft checked." in body
    assert "Generic greeting" in body
    assert "opt out" in body.lower() or "unsubscribe" in body.lower()
    assert {"Add opt-out line", "Insert “Dear Klaus,”"} <= buttons(checked).keys()
    assert len(http.request_sequence) == 3
    assert all(h.get("authorization") is None or "Bearer" in h["authorization"] for *_, h in http.request_sequence)


@pytest.mark.parametrize(
    ("responses", "words"),
    [
        ([R.drafts_list()], "could not find this draft"),
        ([R.EXPIRED], "close and reopen sendwise"),
        ([R.BACKEND_ERROR], "Gmail API error (HTTP 500)"),
    ],
)
def test_when_the_draft_cannot_be_read_a_paste_box_is_offered(gmail_app, google_key, crm, responses, words):
    gmail_app.config["GMAIL_HTTP"] = lambda: HttpMockSequence(list(responses))
    from tests.gmail.conftest import Google

    google = Google(gmail_app.test_client(), google_key)
    event = action_event({"to": PROSPECT, "cc": "", "bcc": ""})
    card = card_of(google.post("/gmail/actions/check_draft", event), "updateCard")
    assert card["name"] == "paste" and words in texts(card)
    text_input = card["sections"][0]["widgets"][1]["textInput"]
    assert text_input == {"name": "draft_text", "label": "Text of your email", "type": "MULTIPLE_LINE"}
    pasted = action_event(params(buttons(card)["Check this text"]), form={"draft_text": COLD_PITCH})
    checked = card_of(google.post("/gmail/actions/check_pasted", pasted), "updateCard")
    assert "Generic greeting" in texts(checked)


def test_an_empty_paste_gets_a_notification(google):
    response = google.post("/gmail/actions/check_pasted", action_event({"to": PROSPECT}, form={"draft_text": "  "}))
    assert response.status_code == 200
    assert_valid(response.json)
    assert response.json["renderActions"]["action"]["notification"]["text"] == "Paste the text of your email first."


@pytest.mark.parametrize(
    ("parameters", "content", "where"),
    [
        ({"kind": "line", "text": "Dear James,"}, "Dear James,\n", "IN_PLACE_INSERT"),
        (
            {"kind": "opt_out"},
            "\nIf you would rather not hear from us, reply “unsubscribe” and we will not email you again.\n",
            "INSERT_AT_END",
        ),
        ({"kind": "postal"}, "\n1 Demo Road, Ningbo, China\n", "INSERT_AT_END"),
    ],
)
def test_insert_actions_edit_the_draft(google, parameters, content, where):
    response = google.post("/gmail/actions/insert", action_event(parameters))
    assert response.status_code == 200, response.json
    assert_valid(response.json)
    update = response.json["renderActions"]["hostAppAction"]["gmailAction"]["updateDraftActionMarkup"]["updateBody"]
    assert update == {"insertContents": [{"content": content, "contentType": "TEXT"}], "type": where}


@pytest.mark.parametrize(
    "parameters", [{"kind": "shell"}, {"kind": "line", "text": ""}, {"kind": "line", "text": "x" * 301}]
)
def test_bad_insert_parameters_are_400(google, parameters):
    assert google.post("/gmail/actions/insert", action_event(parameters)).status_code == 400


def test_an_unknown_action_is_404(google):
    assert google.post("/gmail/actions/delete_everything", action_event({})).status_code == 404


def test_the_contextual_card_shows_what_the_crm_knows_about_the_sender(gmail_app, google_key, crm):
    http = HttpMockSequence([R.message_metadata("m7", f'"James Carter" <{CUSTOMER}>')])
    gmail_app.config["GMAIL_HTTP"] = lambda: http
    from tests.gmail.conftest import Google

    google = Google(gmail_app.test_client(), google_key)
    event = {"commonEventObject": {"hostApp": "GMAIL", "userLocale": "zh-CN"},
             "gmail": {"messageId": "m7", "threadId": "m7", "accessToken": "gmail-access-token"}}  # fmt: skip
    card = card_of(google.post("/gmail/contextual", event))
    body = texts(card)
    assert card["header"]["subtitle"] == "关于 James Carter"
    assert "Carter Electrical Ltd" in body and "客户" in body and "Order BL-2611" in body
    assert "建议的下一步" in body
    assert "messages/m7?format=metadata" in http.request_sequence[0][0]


def test_the_homepage_names_the_organisation(google):
    card = card_of(google.post("/gmail/homepage", {"commonEventObject": {"hostApp": "GMAIL", "userLocale": "en"}}))
    assert "Organisation: Demo Lighting" in texts(card)


def test_chinese_users_get_chinese_cards(google):
    card = card_of(google.post("/gmail/compose", compose_event(to=[PROSPECT], locale="zh-CN")))
    assert "已检查收件人" in texts(card)
    assert buttons(card).keys() == {"检查我的草稿"}


def test_no_recipients_yet(google):
    card = card_of(google.post("/gmail/compose", compose_event()))
    assert "Add recipients to check the email." in texts(card)


def test_the_draft_is_not_logged(gmail_app, google_key, caplog):
    gmail_app.config["GMAIL_HTTP"] = lambda: HttpMockSequence([R.BACKEND_ERROR])
    from tests.gmail.conftest import Google

    google = Google(gmail_app.test_client(), google_key)
    secret = "Dear Anna, the secret price is 11.80"
    google.post("/gmail/actions/check_draft", action_event({"to": PROSPECT}))
    google.post("/gmail/actions/check_pasted", action_event({"to": PROSPECT}, form={"draft_text": secret}))
    assert "11.80" not in caplog.text and USER not in caplog.text and ORG_DOMAIN not in caplog.text
