"""Sign-in to the admin page with Microsoft or Google against an OpenID
provider served on loopback (tests/admin/idp.py): the happy paths, and
every forged or unsuitable answer refused with a reason, never a 500."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from joserfc.jwk import RSAKey

from backend.auth import DEMO_ORG_SLUG
from backend.storage import queries, users
from tests.admin import idp
from tests.admin.conftest import ADMIN, PASSWORD


@pytest.fixture
def provider():
    p = idp.Provider(tenant_issuer=True)
    yield p
    p.close()


@pytest.fixture
def app_with(make_app, admin_app, tmp_path):
    def build(name: str, provider: idp.Provider):
        conf = {"client_id": idp.CLIENT_ID, "client_secret": idp.CLIENT_SECRET, "metadata_url": provider.metadata_url}
        return make_app(SECRET_KEY="test-secret", ADMIN_UPLOAD_DIR=str(tmp_path / "up"), OIDC={name: conf})

    return build


def _sign_in(client, name: str, provider: idp.Provider, next_path: str = ""):
    start = client.get(f"/admin/sign-in/{name}" + (f"?next={next_path}" if next_path else ""))
    assert start.status_code == 302, start.get_data(as_text=True)
    back = urlsplit(provider.consent(start.headers["Location"]))
    return client.get(f"{back.path}?{back.query}")


def test_microsoft_signs_in_an_existing_account(app_with, provider):
    app = app_with("microsoft", provider)
    client = app.test_client()
    page = client.get("/admin/sign-in").get_data(as_text=True)
    assert "Sign in with Microsoft" in page and "Sign in with Google" not in page
    provider.claims = {"preferred_username": ADMIN.upper()}
    response = _sign_in(client, "microsoft", provider, "/admin/contacts")
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/contacts")
    assert client.get("/admin/contacts").status_code == 200


def test_google_needs_an_address_google_verified(app_with):
    provider = idp.Provider()
    try:
        client = app_with("google", provider).test_client()
        provider.claims = {"email": ADMIN, "email_verified": False}
        refused = _sign_in(client, "google", provider)
        assert refused.status_code == 401 and "not verified by Google" in refused.get_data(as_text=True)
        provider.claims = {"email": ADMIN, "email_verified": True}
        assert _sign_in(client, "google", provider).status_code == 302
        assert client.get("/admin/").status_code == 200
    finally:
        provider.close()


@pytest.mark.parametrize(
    "claims, reason",
    [
        ({"aud": "someone-else"}, "azp"),  # for another client: it would have to name us as its party
        ({"iss": "http://attacker.example/v2.0"}, "iss"),
        ({"tid": "another-tenant"}, "iss"),  # the issuer names a different tenant than tid
        ({"nonce": "replayed"}, "nonce"),
        ({"exp": 1_000_000_000}, "expired"),
    ],
)
def test_a_token_with_a_wrong_claim_signs_nobody_in(app_with, provider, claims, reason):
    client = app_with("microsoft", provider).test_client()
    provider.claims = {"preferred_username": ADMIN} | claims
    response = _sign_in(client, "microsoft", provider)
    page = response.get_data(as_text=True)
    assert response.status_code == 401 and "Sign-in with Microsoft failed" in page
    assert reason in page.split('id="sign-in-error">')[1].split("<")[0]
    assert client.get("/admin/").status_code == 302  # still signed out


def test_a_token_signed_by_another_key_signs_nobody_in(app_with, provider):
    client = app_with("microsoft", provider).test_client()
    provider.claims = {"preferred_username": ADMIN}
    provider.signing_key = RSAKey.generate_key(2048, parameters={"kid": "test-key"})
    response = _sign_in(client, "microsoft", provider)
    assert response.status_code == 401
    assert client.get("/admin/").status_code == 302


def test_an_address_without_an_account_or_outside_the_organisations_domains_is_refused(
    app_with, provider, database, clock
):
    with database.session() as session:
        org = queries.org_by_slug(session, DEMO_ORG_SLUG)
        users.create(session, org, "anna.private@hotmail.com", "admin", PASSWORD, clock.now())
        session.commit()
    client = app_with("microsoft", provider).test_client()
    for email in ("nobody@brightway-lighting.cn", "anna.private@hotmail.com"):
        provider.claims = {"preferred_username": email}
        response = _sign_in(client, "microsoft", provider)
        assert response.status_code == 403 and "has no sendwise account" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_a_callback_without_the_flow_it_belongs_to_is_refused(app_with, provider):
    app = app_with("microsoft", provider)
    started, other = app.test_client(), app.test_client()
    provider.claims = {"preferred_username": ADMIN}
    start = started.get("/admin/sign-in/microsoft")
    back = urlsplit(provider.consent(start.headers["Location"]))
    response = other.get(f"{back.path}?{back.query}")  # someone else's code and state
    assert response.status_code == 401
    assert other.get("/admin/").status_code == 302
    assert other.get("/admin/sign-in/microsoft/callback?error=access_denied").status_code == 401


def test_unconfigured_or_unreachable_providers(app_with, admin_app, provider):
    assert admin_app.test_client().get("/admin/sign-in/google").status_code == 404
    provider.close()
    response = app_with("microsoft", provider).test_client().get("/admin/sign-in/microsoft")
    assert response.status_code == 503 and "cannot be reached" in response.get_data(as_text=True)
