"""The add-in's files, the well-known file and CORS, over real HTTP."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Http, serving


def test_hashed_assets_are_cached_long_entry_points_are_revalidated(http, addin_dist):
    page = http.get("/addin/taskpane.html")
    assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
    assert page.headers["Cache-Control"] == "no-cache"
    asset = next(p for p in (addin_dist / "assets").iterdir() if p.suffix == ".js")
    reply = http.get(f"/addin/assets/{asset.name}")
    assert reply.status == 200 and reply.body == asset.read_bytes()
    assert reply.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    for entry in ("/addin/commands.html", "/addin/icon-32.png", "/addin/onsend.js"):
        assert http.get(entry).headers["Cache-Control"] == "no-cache", entry


def test_the_pane_loads_office_js_only_inside_outlook(http):
    page = http.get("/addin/taskpane.html").body.decode()
    # The only outside script is Office.js, behind the office=1 the manifest adds.
    assert page.count("https://") == 1
    assert "office=1" in page and "appsforoffice.microsoft.com/lib/1/hosted/office.js" in page


def test_on_send_script_knows_the_server_that_served_it(http):
    script = http.get("/addin/onsend.js")
    assert script.headers["Content-Type"].startswith("text/javascript")
    text = script.body.decode()
    assert "__SENDWISE_ORIGIN__" not in text
    assert f'"{http.base}"' in text


def test_public_url_names_the_server_behind_a_proxy(make_app, demo_org, addin_dist):
    app = make_app(PUBLIC_URL="https://mail-check.example.com")
    with serving(app) as base:
        http = Http(base)
        assert '"https://mail-check.example.com"' in http.get("/addin/onsend.js").body.decode()
        allowed = http.get("/.well-known/microsoft-officeaddins-allowed.json").json()
        assert allowed == {"allowed": ["https://mail-check.example.com/addin/onsend.js"]}


def test_well_known_file_allows_the_on_send_script(http):
    reply = http.get("/.well-known/microsoft-officeaddins-allowed.json")
    assert reply.status == 200
    assert json.loads(reply.body) == {"allowed": [f"{http.base}/addin/onsend.js"]}


@pytest.mark.parametrize(
    "path", ["/addin/../pyproject.toml", "/addin/%2e%2e/manifest.xml", "/addin/.built", "/addin/nope.js"]
)
def test_nothing_outside_the_build_is_served(http, path):
    reply = http.get(path)
    assert reply.status == 404
    assert reply.json()["error"]["code"] == "not_found"


def test_an_unbuilt_add_in_says_how_to_build_it(make_app, demo_org, tmp_path):
    with serving(make_app(ADDIN_DIST=str(tmp_path))) as base:
        reply = Http(base).get("/addin/taskpane.html")
    assert reply.status == 404
    assert reply.json()["error"]["code"] == "addin_not_built"
    assert "make run" in reply.json()["error"]["message"]


# --- CORS ------------------------------------------------------------------


def preflight(http: Http, origin: str, path: str = "/api/v1/analyze"):
    return http.request(
        "OPTIONS",
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )


def test_preflight_from_the_add_in_origin_is_allowed(http):
    reply = preflight(http, http.base)
    assert reply.status == 204
    assert reply.headers["Access-Control-Allow-Origin"] == http.base
    assert "POST" in reply.headers["Access-Control-Allow-Methods"]
    assert {h.strip().lower() for h in reply.headers["Access-Control-Allow-Headers"].split(",")} >= {
        "authorization",
        "content-type",
    }
    assert "Origin" in reply.headers["Vary"]


def test_configured_origins_are_allowed_and_others_refused(make_app, demo_org):
    app = make_app(ADDIN_ORIGINS=["https://addin.example.com"])
    with serving(app) as base:
        http = Http(base)
        assert preflight(http, "https://addin.example.com").status == 204
        refused = preflight(http, "https://evil.example")
        assert refused.status == 403 and "Access-Control-Allow-Origin" not in refused.headers
        assert refused.json()["error"]["code"] == "origin_not_allowed"


def test_responses_carry_cors_headers_only_for_allowed_origins(http):
    draft = {"draft": {"to": [{"email": "anna@mueller-leuchten.de"}], "subject": "Hi", "body": {"text": "Hi Anna"}}}
    ok = http.post_json("/api/v1/analyze", draft, headers={"Origin": http.base})
    assert ok.status == 200 and ok.headers["Access-Control-Allow-Origin"] == http.base
    other = http.post_json("/api/v1/analyze", draft, headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


# --- what the pane reads besides the report ---------------------------------


@pytest.mark.parametrize("locale, title", [("en", "Recipients exposed to each other"), ("zh-CN", "收件人地址互相暴露")])
def test_codes_explain_every_finding_in_both_languages(http, locale, title):
    reply = http.get(f"/api/v1/codes?locale={locale}")
    assert reply.status == 200
    codes = {c["code"]: c for c in reply.json()["codes"]}
    assert len(codes) == 23
    exposed = codes["mass.exposed_recipients"]
    assert exposed["title"] == title and exposed["what"] and exposed["why"] and exposed["instead"]


def test_codes_refuse_an_unknown_locale(http):
    assert http.get("/api/v1/codes?locale=fr").status == 400


def test_org_tells_the_pane_its_postal_address(http):
    assert http.get("/api/v1/org").json() == {
        "slug": "demo",
        "name": "Demo Lighting",
        "domains": ["brightway-lighting.cn"],
        "postal_address": "1 Demo Road, Ningbo, China",
    }
