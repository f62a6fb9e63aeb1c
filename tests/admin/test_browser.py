"""The admin page in real Chromium (Debian's, through Playwright) against a
real `sendwise serve --demo` process: sign in with the credentials it
prints, change the policy and see the next analysis follow it, a refused
threshold, an import with a bad row, the dashboard's charts drawn from
recorded sends, a viewer who cannot change the policy, Chinese. Screenshots
of every page in both languages go to tests/artifacts/.

Chromium or the built chart library missing is a failure, not a skip.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.addin.test_browser import ARTIFACTS
from tests.admin.test_admin import DEAR_SIR_PITCH
from tests.conftest import PROJECT_ROOT, serve_subprocess

VIEWER = "victor.viewer@brightway-lighting.cn"
VIEWER_PASSWORD = "viewer password 1"
CLI = (sys.executable, "-m", "backend.cli")


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[tuple[str, str, str]]:
    """`sendwise serve --demo` on a fresh SQLite database: (base URL, admin email, admin password)."""
    if not (PROJECT_ROOT / "admin" / "dist" / "echarts.min.js").is_file():
        pytest.fail(
            "the admin page's chart library is not built: run `make test` (or `make admin/dist/echarts.min.js`)"
        )
    tmp = tmp_path_factory.mktemp("admin-browser")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp / 'sendwise.db'}",
        "SENDWISE_DEMO": "1",
        "SENDWISE_COOKIE_SECURE": "1",
    }
    env.pop("SECRET_KEY", None)
    log = tmp / "server.log"
    with serve_subprocess(env, log, "--demo") as http:
        found = re.search(r"sign in as (\S+) with password (\S+)", log.read_text())
        assert found, log.read_text()
        created = subprocess.run(
            [*CLI, "user", "create", "--org", "demo", "--email", VIEWER, "--role", "viewer", "--password-stdin"],
            input=VIEWER_PASSWORD + "\n",
            text=True,
            capture_output=True,
            env=env,
            cwd=PROJECT_ROOT,
        )
        assert created.returncode == 0, created.stderr
        yield http.base, found.group(1), found.group(2)


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    yield context
    context.close()


def sign_in(page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/admin/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/admin/")


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"admin-{name}.png"), full_page=True)


def analyze(page, base: str) -> dict:
    response = page.request.post(f"{base}/api/v1/analyze", data=DEAR_SIR_PITCH)
    assert response.status == 200
    return response.json()


def test_sign_in_then_block_generic_greetings_and_the_next_analysis_blocks(context, server):
    base, email, password = server
    page = context.new_page()
    page.goto(f"{base}/admin/")
    assert page.get_by_role("button", name="Sign in").is_visible()
    shot(page, "sign-in-en")
    sign_in(page, base, email, password)
    assert analyze(page, base)["verdict"] != "block"
    page.goto(f"{base}/admin/policy")
    page.get_by_label("personalization.generic_greeting", exact=True).select_option("block")
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector("[role=status]")
    assert analyze(page, base)["verdict"] == "block"
    shot(page, "policy-en")
    page.get_by_label("personalization.generic_greeting", exact=True).select_option("warn")
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector("[role=status]")


def test_the_simulation_shows_what_a_change_would_do_before_saving(context, server):
    base, email, password = server
    page = context.new_page()
    sign_in(page, base, email, password)
    response = page.request.post(
        f"{base}/api/v1/sent", data={"draft": DEAR_SIR_PITCH["draft"], "message_id": "<sim@t>"}
    )
    assert response.status in (200, 201)
    for locale, preview, changed in (
        ("en", "Preview the effect", "would have been treated differently"),
        ("zh-CN", "预览影响", "会得到不同的处理"),
    ):
        page.goto(f"{base}/admin/language/{locale}")
        page.goto(f"{base}/admin/policy")
        page.get_by_label("personalization.generic_greeting", exact=True).select_option("block")
        page.get_by_role("button", name=preview).click()
        page.wait_for_selector("#simulation")
        assert changed in page.locator("#simulation-changed").inner_text()
        assert "personalization.generic_greeting" in page.locator("#simulation-sends").inner_text()
        assert page.locator("#simulation-examples tr.changed").count() > 0
        shot(page, f"policy-simulation-{locale}")
    page.goto(f"{base}/admin/language/en")
    assert analyze(page, base)["verdict"] != "block"  # nothing was saved


def test_an_out_of_range_threshold_is_refused_with_the_reason(context, server):
    base, email, password = server
    page = context.new_page()
    sign_in(page, base, email, password)
    page.goto(f"{base}/admin/policy")
    page.locator("#mass\\.bulk_bcc\\.min_recipients").fill("1")
    page.get_by_role("button", name="Save").click()
    error = page.locator("#error-mass-bulk_bcc-min_recipients")
    assert "out of range (allowed: 2 to 10000 recipients)" in error.inner_text()
    shot(page, "policy-refused-en")


def test_import_with_a_bad_row_lands_the_rest(context, server, tmp_path):
    base, email, password = server
    page = context.new_page()
    sign_in(page, base, email, password)
    path = tmp_path / "fair-leads.csv"
    path.write_text(
        "Email;Name;Company;Country;Stage\n"
        "hans@leuchten-berlin.de;Hans Weber;Leuchten Berlin GmbH;DE;prospect\n"
        "broken address;Nobody;X;DE;prospect\n"
        "eva@lichtwerk.at;Eva Gruber;Lichtwerk;Austria;sample\n",
        encoding="utf-8",
    )
    page.goto(f"{base}/admin/contacts/import")
    page.get_by_label("CSV or XLSX file").set_input_files(str(path))
    page.get_by_role("button", name="Upload and preview").click()
    page.wait_for_selector("table.preview")
    assert "UTF-8" in page.content() and page.locator("tr.rejected").count() == 1
    shot(page, "import-preview-en")
    page.get_by_role("button", name="Import", exact=True).click()
    status = page.locator("[data-imported]")
    assert status.get_attribute("data-imported") == "2" and status.get_attribute("data-rejected") == "1"
    assert "broken address" in page.locator("tr[data-line='3']").inner_text()
    shot(page, "import-done-en")
    page.goto(f"{base}/admin/contacts?q=lichtwerk")
    assert page.locator("[data-total]").get_attribute("data-total") == "1"
    shot(page, "contacts-en")


def test_the_dashboard_draws_charts_from_recorded_sends(context, server):
    base, email, password = server
    page = context.new_page()
    sign_in(page, base, email, password)
    for i in range(3):
        response = page.request.post(
            f"{base}/api/v1/sent", data={"draft": DEAR_SIR_PITCH["draft"], "message_id": f"<dash{i}@test>"}
        )
        assert response.status in (200, 201)
    page.goto(f"{base}/admin/")
    page.wait_for_selector("#chart-findings[data-drawn='true'] svg")
    assert page.locator("#chart-findings svg path").count() > 0
    assert "personalization.generic_greeting" in page.locator("#chart-findings").inner_text()
    shot(page, "dashboard-en")
    page.goto(f"{base}/admin/audit")
    shot(page, "audit-en")
    page.goto(f"{base}/admin/settings")
    assert page.get_by_role("button", name="Create a key").is_visible()
    shot(page, "settings-en")


def test_a_viewer_cannot_change_the_policy(context, server):
    base, *_ = server
    page = context.new_page()
    sign_in(page, base, VIEWER, VIEWER_PASSWORD)
    page.goto(f"{base}/admin/policy")
    assert page.get_by_label("personalization.generic_greeting", exact=True).is_disabled()
    assert page.get_by_role("button", name="Save").count() == 0
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    response = page.request.post(
        f"{base}/admin/policy", form={"csrf_token": token, "personalization.generic_greeting.severity": "off"}
    )
    assert response.status == 403


def test_a_form_post_without_a_csrf_token_is_refused(context, server):
    base, email, password = server
    page = context.new_page()
    sign_in(page, base, email, password)
    response = page.request.post(f"{base}/admin/policy", form={"personalization.generic_greeting.severity": "off"})
    assert response.status == 400


def test_switching_to_chinese_shows_chinese_on_every_page(context, server):
    base, email, password = server
    page = context.new_page()
    sign_in(page, base, email, password)
    page.get_by_role("link", name="中文").click()
    page.wait_for_selector("html[lang='zh-CN']")
    assert page.get_by_role("link", name="概览").is_visible()
    page.wait_for_selector("#chart-findings[data-drawn='true']")
    shot(page, "dashboard-zh-CN")
    for name, path, words in (
        ("policy", "/admin/policy", "称呼过于笼统"),
        ("contacts", "/admin/contacts", "联系人"),
        ("audit", "/admin/audit", "审计日志"),
        ("import", "/admin/contacts/import", "导入联系人"),
        ("settings", "/admin/settings", "API 密钥"),
    ):
        page.goto(base + path)
        assert words in page.content()
        shot(page, f"{name}-zh-CN")
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_selector("text=登录 sendwise")
    shot(page, "sign-in-zh-CN")
