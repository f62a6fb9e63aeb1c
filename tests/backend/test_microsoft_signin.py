"""Outlook users sign in with Microsoft access tokens: checked against an
identity platform served on loopback (metadata, JWKS, keys made here),
mapped to an organisation by tenant, created as members on first use."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from backend.storage.models import AuditEvent, Organisation, User
from tests.conftest import Http, serving
from tests.microsoft import AUDIENCE, CLIENT_ID, OTHER_TENANT, TENANT, IdentityPlatform, SigningKey, identity_platform


@pytest.fixture(scope="module")
def signing_key() -> SigningKey:
    return SigningKey.new("key-1")


@pytest.fixture
def platform(signing_key) -> Iterator[IdentityPlatform]:
    with identity_platform(signing_key) as served:
        yield served


@pytest.fixture
def api(make_app, platform) -> Iterator[Http]:
    app = make_app(DEMO_MODE=False, MS_CLIENT_ID=CLIENT_ID, MS_OPENID_CONFIG_URL=platform.openid_config_url)
    with serving(app) as base:
        yield Http(base)


@pytest.fixture
def contoso(make_tenant):
    return make_tenant("contoso", microsoft_tenant=TENANT)


def call(api: Http, token: str):
    # Any contact address will do: 404 means "signed in, no such contact".
    return api.get("/api/v1/contacts/nobody@example.com", headers={"Authorization": f"Bearer {token}"})


def assert_refused(reply, status: int, code: str, reason: str) -> None:
    assert reply.status == status, reply.body[:400]
    error = reply.json()["error"]
    assert error["code"] == code
    assert reason in error["message"], error["message"]


def members(database) -> list[tuple[str, str, str]]:
    with database.session() as session:
        rows = session.execute(
            select(Organisation.slug, User.email, User.role).join(Organisation, Organisation.id == User.org_id)
        )
        return sorted(tuple(r) for r in rows)


def test_a_valid_token_signs_the_user_in_as_a_member_of_the_tenants_organisation(
    api, platform, contoso, make_tenant, clock, database
):
    make_tenant("fabrikam", microsoft_tenant=OTHER_TENANT)
    assert call(api, platform.token(clock.now())).status == 404
    assert call(api, platform.token(clock.now())).status == 404  # the user is created once
    other = platform.token(clock.now(), tenant=OTHER_TENANT, email="Ana.Silva@Fabrikam.example")
    assert call(api, other).status == 404
    assert members(database) == [
        ("contoso", "tom.li@contoso.example", "member"),
        ("fabrikam", "ana.silva@fabrikam.example", "member"),
    ]
    assert platform.metadata_fetches == 1 and platform.key_fetches == 1  # the cache is warm after the first


def test_the_app_id_uri_is_an_accepted_audience_too(api, platform, contoso, clock):
    assert call(api, platform.token(clock.now(), aud=AUDIENCE)).status == 404


def test_an_existing_admin_keeps_the_role(api, platform, contoso, clock, database, sendwise_cli):
    created = sendwise_cli(
        "user",
        "create",
        "--org",
        "contoso",
        "--email",
        "tom.li@contoso.example",
        "--role",
        "admin",
        "--password-stdin",
        stdin=b"a long enough pass phrase\n",
    )
    assert created.returncode == 0, created.stderr.decode()
    assert call(api, platform.token(clock.now())).status == 404
    assert members(database) == [("contoso", "tom.li@contoso.example", "admin")]


@pytest.mark.parametrize(
    "claims, reason",
    [
        pytest.param({"aud": "api://someone-else"}, "audience", id="wrong-audience"),
        pytest.param({"iss": "https://login.microsoftonline.com/{t}/v2.0"}, "issuer", id="wrong-issuer-host"),
        pytest.param({"iss": "{base}/" + OTHER_TENANT + "/v2.0"}, "issuer", id="issuer-of-another-tenant"),
        pytest.param({"exp": "{now-120}"}, "expired", id="expired"),
        pytest.param({"nbf": "{now+600}"}, "not valid yet", id="not-yet-valid"),
        pytest.param({"scp": "Mail.Read User.Read"}, "access_as_user", id="without-the-scope"),
        pytest.param({"scp": None, "roles": ["Mail.Read"]}, "access_as_user", id="app-only-token"),
        pytest.param({"tid": "not-a-tenant"}, "tenant", id="no-tenant"),
        pytest.param({"preferred_username": None}, "names no user", id="no-user"),
    ],
)
def test_invalid_tokens_are_401_with_the_reason(api, platform, contoso, clock, database, claims, reason):
    at = int(clock.now().timestamp())
    filled = {}
    for name, value in claims.items():
        if isinstance(value, str):
            value = value.replace("{base}", platform.base).replace("{t}", TENANT)
            if value.startswith("{now"):
                value = at + int(value[4:-1])
        filled[name] = value
    token = platform.keys[0].sign(
        {k: v for k, v in {**platform.claims(clock.now()), **filled}.items() if v is not None}
    )
    assert_refused(call(api, token), 401, "unauthorized", reason)
    assert members(database) == []


def test_a_token_just_past_expiry_is_within_the_clock_skew(api, platform, contoso, clock):
    assert call(api, platform.token(clock.now(), exp=int(clock.now().timestamp()) - 30)).status == 404


def test_a_forged_signature_under_a_known_key_id_is_refused(api, platform, contoso, clock):
    forger = SigningKey.new(platform.keys[0].key_id)
    assert_refused(call(api, platform.token(clock.now(), key=forger)), 401, "unauthorized", "signature")


def test_other_algorithms_are_refused(api, platform, contoso, clock):
    import jwt

    token = jwt.encode(platform.claims(clock.now()), "secret" * 8, algorithm="HS256", headers={"kid": "key-1"})
    assert_refused(call(api, token), 401, "unauthorized", "RS256")


def test_an_unknown_key_id_fetches_the_keys_again_so_rotated_keys_work(api, platform, contoso, clock):
    assert call(api, platform.token(clock.now())).status == 404
    assert platform.key_fetches == 1
    old, new = platform.keys[0], SigningKey.new("key-2")
    platform.rotate(new)

    # Right after a fetch, an unknown key id does not fetch again: made-up
    # key ids must not turn every request into a request to Microsoft.
    clock.set(clock.now() + timedelta(seconds=10))
    assert_refused(call(api, platform.token(clock.now(), key=new)), 401, "unauthorized", "not among")
    assert platform.key_fetches == 1

    clock.set(clock.now() + timedelta(seconds=60))
    assert call(api, platform.token(clock.now(), key=new)).status == 404
    assert platform.key_fetches == 2
    assert call(api, platform.token(clock.now(), key=new)).status == 404
    assert platform.key_fetches == 2

    clock.set(clock.now() + timedelta(seconds=61))
    assert_refused(call(api, platform.token(clock.now(), key=old)), 401, "unauthorized", "not among")
    assert platform.key_fetches == 3


def test_keys_are_fetched_again_after_an_hour(api, platform, contoso, clock):
    assert call(api, platform.token(clock.now())).status == 404
    clock.set(clock.now() + timedelta(minutes=61))
    assert call(api, platform.token(clock.now())).status == 404
    assert (platform.metadata_fetches, platform.key_fetches) == (2, 2)


def test_an_unknown_tenant_is_403_with_the_reason_the_add_in_shows(api, platform, contoso, clock, database):
    reply = call(api, platform.token(clock.now(), tenant=OTHER_TENANT))
    assert_refused(reply, 403, "not_set_up", "sendwise is not set up for your organisation")
    assert OTHER_TENANT in reply.json()["error"]["message"]
    assert members(database) == []


def test_without_a_client_id_microsoft_tokens_are_refused(make_app, platform, contoso, clock):
    with serving(make_app(DEMO_MODE=False, MS_OPENID_CONFIG_URL=platform.openid_config_url)) as base:
        reply = call(Http(base), platform.token(clock.now()))
    assert_refused(reply, 401, "unauthorized", "SENDWISE_MS_CLIENT_ID")


def test_an_unreachable_identity_platform_is_503(make_app, contoso, clock, signing_key):
    with identity_platform(signing_key) as gone:
        url, token = gone.openid_config_url, gone.token(clock.now())
    app = make_app(DEMO_MODE=False, MS_CLIENT_ID=CLIENT_ID, MS_OPENID_CONFIG_URL=url)
    with serving(app) as base:
        reply = call(Http(base), token)
    assert_refused(reply, 503, "identity_provider_unavailable", "could not be fetched")


@pytest.mark.parametrize("token", ["eyJhbGciOi.eyJ.x", "eyJ" + "A" * 30_000 + ".e.e"])
def test_garbage_that_looks_like_a_jwt_is_401(api, contoso, token):
    assert call(api, token).status == 401


# --- the organisation's tenant, set with the CLI --------------------------


def test_org_create_and_update_set_the_tenant(sendwise_cli, database):
    created = sendwise_cli(
        "org", "create", "contoso", "--domain", "contoso.example", "--microsoft-tenant", TENANT.upper()
    )
    assert created.returncode == 0, created.stderr.decode()
    clash = sendwise_cli("org", "create", "other", "--domain", "other.example", "--microsoft-tenant", TENANT)
    assert clash.returncode != 0 and "already belongs to organisation 'contoso'" in clash.stderr.decode()
    assert sendwise_cli("org", "create", "other", "--domain", "other.example").returncode == 0
    moved = sendwise_cli("org", "update", "other", "--microsoft-tenant", OTHER_TENANT)
    assert moved.returncode == 0 and OTHER_TENANT in moved.stdout.decode()
    wrong = sendwise_cli("org", "update", "other", "--microsoft-tenant", "contoso.onmicrosoft.com")
    assert wrong.returncode != 0 and "Directory (tenant) ID" in wrong.stderr.decode()
    with database.session() as session:
        tenants = dict(session.execute(select(Organisation.slug, Organisation.microsoft_tenant)).all())
        assert tenants == {"contoso": TENANT, "other": OTHER_TENANT}
        assert "org.update" in session.scalars(select(AuditEvent.action)).all()
    cleared = sendwise_cli("org", "update", "other", "--microsoft-tenant", "")
    assert cleared.returncode == 0, cleared.stderr.decode()
    with database.session() as session:
        assert session.scalar(select(Organisation.microsoft_tenant).where(Organisation.slug == "other")) is None


# --- what the add-in asks before it signs in ---------------------------------


def test_the_add_in_learns_the_client_id_and_scope_without_credentials(make_app):
    with serving(make_app(DEMO_MODE=False, MS_CLIENT_ID=CLIENT_ID)) as base:
        reply = Http(base).get("/api/v1/signin")
    assert reply.status == 200
    assert reply.json()["microsoft"] == {
        "client_id": CLIENT_ID,
        "scopes": [f"{AUDIENCE}/access_as_user"],
        "authority": "https://login.microsoftonline.com/organizations",
    }
    with serving(make_app(DEMO_MODE=False)) as base:
        assert Http(base).get("/api/v1/signin").json() == {"microsoft": None}


def test_simultaneous_first_requests_of_one_user_all_succeed(api, platform, contoso, clock, database):
    from concurrent.futures import ThreadPoolExecutor

    token = platform.token(clock.now(), email="new.user@contoso.example")
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda _: call(api, token).status, range(16)))
    assert statuses == [404] * 16, statuses
    assert members(database) == [("contoso", "new.user@contoso.example", "member")]
