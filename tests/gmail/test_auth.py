"""Every request to /gmail/ must come from Google: ID tokens signed with
keys made here, certificates served on loopback."""

from __future__ import annotations

import pytest

from tests.gmail.card_schema import assert_valid
from tests.gmail.conftest import AUDIENCE, SERVICE_ACCOUNT, USER, claims, compose_event

PATH = "/gmail/compose"
EVENT = compose_event(to=["buyer@example-lights.com"])


def _reason(response) -> str:
    assert response.status_code == 401, response.get_data(as_text=True)
    return response.json["error"]["message"]


def test_a_valid_token_gets_the_card(google):
    response = google.post(PATH, EVENT)
    assert response.status_code == 200, response.json
    assert_valid(response.json)
    assert response.json["action"]["navigations"][0]["pushCard"]["name"] == "compose"


def test_the_base_url_is_accepted_as_audience_too(google):
    token = google.key.sign(claims(SERVICE_ACCOUNT, AUDIENCE))
    assert google.post(PATH, EVENT, token=token).status_code == 200


def test_a_forged_signature_is_refused(google, forger_key):
    token = forger_key.sign(claims(SERVICE_ACCOUNT, AUDIENCE + PATH))
    assert "signature" in _reason(google.post(PATH, EVENT, token=token))


def test_a_token_for_another_audience_is_refused(google):
    token = google.key.sign(claims(SERVICE_ACCOUNT, "https://elsewhere.example.com/gmail/compose"))
    assert "audience" in _reason(google.post(PATH, EVENT, token=token))


def test_a_token_of_another_service_account_is_refused(google):
    other = "service-999@gcp-sa-gsuiteaddons.iam.gserviceaccount.com"
    token = google.key.sign(claims(other, AUDIENCE + PATH))
    assert "service account" in _reason(google.post(PATH, EVENT, token=token))


def test_an_expired_token_is_refused(google):
    token = google.system_token(PATH, iat=0, exp=3600)
    assert "expired" in _reason(google.post(PATH, EVENT, token=token))


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"iss": "https://evil.example.com"}, "issuer"),
        ({"email_verified": False}, "not verified"),
    ],
)
def test_other_claims_are_checked(google, overrides, words):
    token = google.system_token(PATH, **overrides)
    assert words in _reason(google.post(PATH, EVENT, token=token))


@pytest.mark.parametrize("header", [None, "Basic abc", "Bearer ", "Bearer not-a-jwt"])
def test_no_or_malformed_credentials_are_refused(gmail_app, header):
    headers = {"Authorization": header} if header is not None else {}
    response = gmail_app.test_client().post(PATH, json=EVENT, headers=headers)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"


def test_an_unknown_action_is_refused_like_any_other_without_credentials(gmail_app, google):
    # Credentials come before anything about the request, as on every POST.
    response = gmail_app.test_client().post("/gmail/actions/no_such_action", json=EVENT)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"
    token = google.system_token("/gmail/actions/no_such_action")
    assert google.post("/gmail/actions/no_such_action", EVENT, token=token).status_code == 404


def test_the_user_comes_from_a_verified_user_token(google):
    forged_user = google.key.sign(claims(USER, "another-client.apps.googleusercontent.com"))
    event = {**EVENT, "authorizationEventObject": {"userIdToken": forged_user}}
    assert "user ID token" in _reason(google.post(PATH, event))
    event = {**EVENT, "authorizationEventObject": {"userIdToken": google.user_token(exp=10, iat=0)}}
    assert "expired" in _reason(google.post(PATH, event))


def test_an_unknown_domain_gets_a_not_set_up_card(google):
    response = google.post(PATH, EVENT, user="someone@unknown-company.com")
    assert response.status_code == 200
    assert_valid(response.json)
    card = response.json["action"]["navigations"][0]["pushCard"]
    assert card["name"] == "not_set_up"
    assert "unknown-company.com" in card["header"]["subtitle"]


def test_without_configuration_the_add_on_says_what_is_missing(make_app, demo_org, google_key):
    app = make_app(DEMO_MODE=False)
    from tests.gmail.conftest import Google

    response = Google(app.test_client(), google_key).post(PATH, EVENT)
    assert response.status_code == 503
    assert "SENDWISE_GMAIL_AUDIENCE" in response.json["error"]["message"]


def test_demo_mode_serves_loopback_requests_without_a_token(client):
    response = client.post(PATH, json=EVENT)
    assert response.status_code == 200
    assert_valid(response.json)


def test_demo_mode_does_not_serve_other_hosts(client):
    response = client.post(PATH, json=EVENT, headers={"Host": "sendwise.example.com"})
    assert response.status_code == 401


def test_bad_events_are_400_not_500(google):
    for event in ([], {"gmail": {"toRecipients": "a@b.c"}}, {"commonEventObject": {"parameters": {"k": 1}}}):
        response = google.post(PATH, event) if isinstance(event, dict) else None
        if response is None:
            token = google.system_token(PATH)
            response = google.client.post(PATH, json=event, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 400, response.get_data(as_text=True)
    token = google.system_token(PATH)
    response = google.client.post(
        PATH, data=b"{not json", headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    bad_address = compose_event(to=["not an address"])
    assert google.post(PATH, bad_address).status_code == 400
