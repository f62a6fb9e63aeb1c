"""Every route of the app refuses a caller without credentials, except the
few that are public on purpose (listed below with the reason). Routes are
enumerated from the app's URL map, so a new view is covered the day it is
added: it is either refused without credentials or named here.

Demo mode is off: with it on, requests from this machine act as the demo
organisation, which is the point of demo mode and not a hole."""

from __future__ import annotations

import re

import pytest

# endpoint -> why anyone may call it
PUBLIC = {
    "api.health": "liveness probe",
    "api.ready": "readiness probe",
    "api.codes": "the finding codes' explanations: product documentation, no one's data",
    "api.signin": "the Entra app's client id the add-in needs before it has a credential (not a secret)",
    "api.openapi_json": "the API's own description",
    "api.docs": "the API's own description, as a page",
    "home.home": "what is running here and where to go",
    "static": "Flask's static files (none are shipped)",
    "addin.index": "the Outlook add-in's files: Outlook loads them before anyone signs in",
    "addin.built_file": "the Outlook add-in's files",
    "addin.onsend_js": "the Outlook add-in's on-send script",
    "addin.manifest_xml": "the add-in's manifest, for sideloading and the admin centre",
    "addin.officeaddins_allowed": "the file classic Outlook reads to allow the on-send script's calls",
    "admin.sign_in": "the admin page's sign-in",
    "admin.oidc_start": "the admin page's sign-in with Microsoft or Google (404 unless configured)",
    "admin.oidc_callback": "where Microsoft or Google send the signing-in browser back",
    "admin.static": "the admin page's styles, which the sign-in page uses",
    "admin.vendor": "the admin page's chart library (no data)",
    "admin.language": "choosing the admin page's language before signing in",
}
SAMPLE = {"int": "1", "default": "x@example.com", "path": "x@example.com"}


def concrete(rule) -> str:
    """The rule's URL with a sample value for each variable."""

    def fill(match: re.Match) -> str:
        converter = match["converter"] or "default"
        return SAMPLE.get(converter, "x")

    return re.sub(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>", fill, rule.rule)


@pytest.fixture
def app(make_app):
    # Metrics on (off they are a 404 to everyone), so they must refuse a caller without the token.
    return make_app(DEMO_MODE=False, SECRET_KEY="route-auth-test-secret", METRICS_TOKEN="route-auth-metrics-token")


def test_every_route_but_the_public_ones_refuses_a_caller_without_credentials(app):
    client = app.test_client()
    client.get("/admin/sign-in")  # a session with a CSRF token, so admin POSTs reach the sign-in check
    with client.session_transaction() as session:
        csrf = session["csrf"]
    checked, open_routes = 0, []
    endpoints = set()
    for rule in app.url_map.iter_rules():
        endpoints.add(rule.endpoint)
        if rule.endpoint in PUBLIC:
            continue
        url = concrete(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            kwargs: dict = {"headers": {"X-CSRF-Token": csrf}} if rule.endpoint.startswith("admin.") else {}
            if method == "POST" and not rule.endpoint.startswith("admin."):
                kwargs["json"] = {}
            reply = client.open(url, method=method, **kwargs)
            checked += 1
            if rule.endpoint.startswith("admin."):
                refused = reply.status_code == 302 and reply.location.startswith("/admin/sign-in")
            else:
                refused = reply.status_code in (401, 403)
            if not refused:
                open_routes.append(f"{method} {url} ({rule.endpoint}) -> {reply.status_code}")
    assert not open_routes, "answered without credentials; protect them or list them in PUBLIC with the reason"
    assert checked >= 20
    stale = set(PUBLIC) - endpoints
    assert not stale, f"PUBLIC names endpoints the app no longer has: {stale}"


def test_a_public_route_is_public_indeed(app):
    # The allow-list above is not a way to skip a route: these answer without credentials.
    client = app.test_client()
    for path in ("/api/v1/health", "/api/v1/codes", "/api/v1/openapi.json", "/api/v1/docs", "/admin/sign-in"):
        assert client.get(path).status_code == 200, path
