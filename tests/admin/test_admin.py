"""The admin page over Flask's test client on the test database: accounts
and sessions, CSRF, roles, the policy form through nlp.policy and in effect
on the next analysis, contacts (import, consent, erase, export), audit."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from backend.auth import DEMO_ORG_SLUG
from backend.storage import queries
from backend.storage.models import AuditEvent, Contact, User
from tests.admin.conftest import ADMIN, PASSWORD, csrf, sign_in
from tests.conftest import ORG_DOMAIN

DEAR_SIR_PITCH = {
    "draft": {
        "from": {"name": "Tom Li", "email": f"tom.li@{ORG_DOMAIN}"},
        "to": [{"name": "Anna Schmidt", "email": "anna.schmidt@mueller-licht.de"}],
        "subject": "LED panels from Ningbo",
        "body": {
            "text": "Dear Sir/Madam,\n\nwe are a leading manufacturer of LED panels and would like to offer you "
            "our new catalogue with competitive prices.\n\nBest regards,\nTom Li\nBrightway Lighting",
            "html": None,
        },
    }
}


def _form(page_html: str) -> dict[str, str]:
    """The policy form's current values, as a browser would submit them."""
    from html.parser import HTMLParser

    values: dict[str, str] = {}

    class Parser(HTMLParser):
        select: str | None = None
        textarea: str | None = None

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "input" and a.get("name") and a.get("type") not in ("checkbox", "file"):
                values[a["name"]] = a.get("value") or ""
            elif tag == "select":
                self.select = a.get("name")
            elif tag == "option" and self.select and ("selected" in a or self.select not in values):
                values[self.select] = a.get("value") or ""
            elif tag == "textarea":
                self.textarea = a.get("name")

        def handle_endtag(self, tag):
            if tag == "select":
                self.select = None
            if tag == "textarea":
                self.textarea = None

        def handle_data(self, data):
            if self.textarea:
                values[self.textarea] = values.get(self.textarea, "") + data

    Parser().feed(page_html)
    return values


def test_signed_out_admin_shows_the_sign_in_page(admin_app):
    client = admin_app.test_client()
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/sign-in" in response.headers["Location"]
    page = client.get("/admin/sign-in").get_data(as_text=True)
    assert 'for="email">Email<' in page and 'for="password">Password<' in page and ">Sign in</button>" in page


def test_sign_in_sets_a_secure_http_only_cookie_and_sign_out_ends_it(admin_app):
    client = admin_app.test_client()
    response = sign_in(client)
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/admin/").status_code == 200
    token = csrf(client.get("/admin/"))
    assert client.post("/admin/sign-out", data={"csrf_token": token}).status_code == 302
    assert client.get("/admin/").status_code == 302


def test_wrong_password_is_refused_and_five_lock_the_account(admin_app, clock, database):
    client = admin_app.test_client()
    response = sign_in(client, ADMIN, "wrong password!")
    assert response.status_code == 401 and "Wrong email or password" in response.get_data(as_text=True)
    for _ in range(4):
        response = sign_in(client, ADMIN, "wrong password!")
    assert response.status_code == 401 and "locked" in response.get_data(as_text=True)
    assert sign_in(client, ADMIN, PASSWORD).status_code == 401  # even the right one, while locked
    clock.advance(timedelta(minutes=16))
    assert sign_in(client, ADMIN, PASSWORD).status_code == 302
    with database.session() as session:
        stored = session.scalar(select(User).where(User.email == ADMIN))
        assert stored.password_hash.startswith("scrypt$") and PASSWORD not in stored.password_hash


def test_a_session_expires(admin_client, clock):
    assert admin_client.get("/admin/").status_code == 200
    clock.advance(timedelta(minutes=61))  # idle
    assert admin_client.get("/admin/").status_code == 302


def test_a_post_without_the_csrf_token_is_refused(admin_client, database):
    response = admin_client.post("/admin/policy", data={"personalization.generic_greeting.severity": "block"})
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)
    response = admin_client.post("/admin/sign-out", data={"csrf_token": "forged"})
    assert response.status_code == 400
    with database.session() as session:
        assert queries.org_by_slug(session, DEMO_ORG_SLUG).policy == {}


def _save_policy(client, **changes: str):
    page = client.get("/admin/policy").get_data(as_text=True)
    form = {**_form(page), **changes}
    return client.post("/admin/policy", data=form)


def test_a_saved_severity_applies_to_the_next_analysis(admin_client, admin_app, database):
    before = admin_client.post("/api/v1/analyze", json=DEAR_SIR_PITCH).get_json()
    greeting = [f for f in before["findings"] if f["code"] == "personalization.generic_greeting"]
    assert greeting and greeting[0]["severity"] == "warn"
    response = _save_policy(admin_client, **{"personalization.generic_greeting.severity": "block"})
    assert response.status_code == 302
    after = admin_client.post("/api/v1/analyze", json=DEAR_SIR_PITCH).get_json()
    assert after["verdict"] == "block"
    with database.session() as session:
        org = queries.org_by_slug(session, DEMO_ORG_SLUG)
        assert org.policy == {"personalization.generic_greeting": {"severity": "block"}}
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "org.policy")).one()
        assert event.actor == f"user:{ADMIN}"
        assert event.detail == {"before": {}, "after": org.policy}


def test_an_out_of_range_threshold_is_refused_next_to_the_field(admin_client, database):
    response = _save_policy(
        admin_client, **{"mass.bulk_bcc.min_recipients": "1", "mass.send_burst.window_minutes": "x"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="error-mass-bulk_bcc-min_recipients"' in page
    assert "mass.bulk_bcc.min_recipients: 1 is out of range (allowed: 2 to 10000 recipients)" in page
    assert "mass.send_burst.window_minutes: &#39;x&#39; is not allowed (a whole number)" in page
    with database.session() as session:
        assert queries.org_by_slug(session, DEMO_ORG_SLUG).policy == {}


def test_organisation_settings_are_validated_and_saved(admin_client, database):
    response = _save_policy(admin_client, domains="not a domain")
    assert response.status_code == 400 and "Not a mail domain" in response.get_data(as_text=True)
    response = _save_policy(admin_client, domains=f"{ORG_DOMAIN}\nbrightway.com", default_locale="zh-CN")
    assert response.status_code == 302
    with database.session() as session:
        org = queries.org_by_slug(session, DEMO_ORG_SLUG)
        assert org.domains == [ORG_DOMAIN, "brightway.com"] and org.default_locale == "zh-CN"


def test_a_viewer_cannot_change_the_policy(viewer_client, database):
    page = viewer_client.get("/admin/policy").get_data(as_text=True)
    assert '<fieldset class="card family" disabled>' in page and ">Save</button>" not in page
    form = {
        **_form(page),
        "personalization.generic_greeting.severity": "block",
        "csrf_token": csrf(viewer_client.get("/admin/policy")),
    }
    response = viewer_client.post("/admin/policy", data=form)
    assert response.status_code == 403
    with database.session() as session:
        assert queries.org_by_slug(session, DEMO_ORG_SLUG).policy == {}


def _upload(client, content: bytes, name: str = "contacts.csv"):
    token = csrf(client.get("/admin/contacts/import"))
    return client.post(
        "/admin/contacts/import",
        data={"csrf_token": token, "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


CSV = (
    "邮箱,姓名,公司,国家,阶段\n"
    "anna@mueller.de,Anna Müller,Müller GmbH,Germany,样品\n"
    "not-an-address,Bad Row,X,DE,prospect\n"
    "luc@lumiere.fr,Luc Martin,Lumière,FR,customer\n"
).encode("gb18030")


def test_import_previews_then_lands_the_valid_rows_and_reports_the_bad_one(admin_client, database):
    response = _upload(admin_client, CSV)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "GB18030/GBK" in page and "Anna Müller" in page and 'class="rejected"' in page
    token = page.split("/admin/contacts/import/")[1].split('"')[0]
    with database.session() as session:
        assert session.scalar(select(Contact.id)) is None  # nothing saved before the import
    form = {f"column{i}": f for i, f in enumerate(["email", "name", "company", "country", "stage"])}
    response = admin_client.post(
        f"/admin/contacts/import/{token}", data={**form, "action": "import", "csrf_token": csrf(response)}
    )
    page = response.get_data(as_text=True)
    assert 'data-imported="2"' in page and 'data-rejected="1"' in page
    assert 'data-line="3"' in page and "not-an-address" in page
    with database.session() as session:
        stored = {c.email: c for c in session.scalars(select(Contact))}
        assert set(stored) == {"anna@mueller.de", "luc@lumiere.fr"} and stored["anna@mueller.de"].stage == "sample"


def test_an_unreadable_file_is_refused_with_the_reason(admin_client):
    response = _upload(admin_client, b"name,company\nAnna,X\n")
    assert response.status_code == 400 and "no email column" in response.get_data(as_text=True)


def test_contacts_search_filter_consent_edit_and_erase(admin_client, database, clock):
    with database.session() as session:
        org = queries.org_by_slug(session, DEMO_ORG_SLUG)
        queries.upsert_contact(session, org, "anna@mueller.de", name="Anna Müller", country="DE", stage="customer")
        queries.upsert_contact(session, org, "luc@lumiere.fr", name="Luc Martin", country="FR", stage="prospect")
        anna_id = session.scalar(select(Contact.id).where(Contact.email == "anna@mueller.de"))
    assert 'data-total="1"' in admin_client.get("/admin/contacts?q=müller").get_data(as_text=True)
    assert 'data-total="1"' in admin_client.get("/admin/contacts?country=fr").get_data(as_text=True)
    assert 'data-total="2"' in admin_client.get("/admin/contacts?consent=none").get_data(as_text=True)
    page = admin_client.get(f"/admin/contacts/{anna_id}")
    bad = admin_client.post(
        f"/admin/contacts/{anna_id}",
        data={"consent_status": "opt_in", "consent_date": "2099-01-01", "csrf_token": csrf(page)},
    )
    assert bad.status_code == 400 and "future" in bad.get_data(as_text=True)
    good = admin_client.post(
        f"/admin/contacts/{anna_id}",
        data={
            "consent_status": "opt_in",
            "consent_source": "trade fair",
            "consent_date": "2026-03-10",
            "csrf_token": csrf(page),
        },
    )
    assert good.status_code == 302
    export = admin_client.get("/admin/contacts/export.csv?consent=opt_in").get_data(as_text=True)
    assert export.splitlines()[1].startswith("anna@mueller.de,") and "luc@" not in export
    refused = admin_client.post(f"/admin/contacts/{anna_id}/erase", data={"confirm": "anna@", "csrf_token": csrf(page)})
    assert refused.status_code == 400
    erased = admin_client.post(
        f"/admin/contacts/{anna_id}/erase", data={"confirm": "anna@mueller.de", "csrf_token": csrf(page)}
    )
    assert erased.status_code == 302
    with database.session() as session:
        assert session.scalar(select(Contact.id).where(Contact.email == "anna@mueller.de")) is None
        actions = [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
        assert actions[-3:] == ["contact.consent", "contacts.export", "contact.erase"]


def test_audit_log_lists_and_exports_changes_and_overrides(admin_client):
    _save_policy(admin_client, **{"mass.bulk_bcc.severity": "block"})
    admin_client.post("/api/v1/overrides", json={"code": "mass.bulk_bcc", "reason": "customer asked for it"})
    page = admin_client.get("/admin/audit?action=org.policy").get_data(as_text=True)
    assert "org.policy" in page and "customer asked for it" in page
    rows = admin_client.get("/admin/audit.csv").get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert rows[0] == "at,actor,action,detail"
    assert any(",org.policy," in r and "mass.bulk_bcc" in r for r in rows)
    assert any(",override," in r and "customer asked for it" in r for r in rows)


def test_dismissing_findings_can_be_forbidden(admin_client):
    override = {"code": "mass.bulk_bcc", "reason": "customer asked for it"}
    assert admin_client.post("/api/v1/overrides", json=override).status_code == 201
    assert _save_policy(admin_client, **{"on_send.override": "never"}).status_code == 302
    refused = admin_client.post("/api/v1/overrides", json=override)
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "overrides_not_allowed"
    report = admin_client.post("/api/v1/analyze", json=DEAR_SIR_PITCH).get_json()
    assert report["on_send"]["override"] == "never"


def test_the_dashboard_counts_recorded_sends(admin_client):
    sent = admin_client.post("/api/v1/sent", json={"draft": DEAR_SIR_PITCH["draft"], "message_id": "<1@x>"})
    assert sent.status_code == 201
    page = admin_client.get("/admin/").get_data(as_text=True)
    data = json.loads(page.split('<script type="application/json" id="chart-data">')[1].split("</script>")[0])
    assert data["verdicts"] == {"review": 1}
    assert data["codes"]["personalization.generic_greeting"][-1] == 1
    assert 'data-number="warnings">1<' in page


def test_chinese_when_chosen_or_asked_for_by_the_browser(admin_app):
    client = admin_app.test_client()
    page = client.get("/admin/sign-in", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
    assert "登录" in page
    client.get("/admin/language/en")
    page = client.get("/admin/sign-in", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert ">Sign in</button>" in page


@pytest.mark.parametrize("path", ["/admin/contacts?page=x", "/admin/contacts/999999", "/admin/audit?page=-3"])
def test_bad_parameters_are_not_server_errors(admin_client, path):
    assert admin_client.get(path).status_code in (200, 404)


def test_an_abandoned_upload_does_not_stay_on_disk(admin_client, admin_app, clock):
    uploads = Path(admin_app.config["ADMIN_UPLOAD_DIR"])
    _upload(admin_client, CSV)
    [first] = uploads.iterdir()
    _upload(admin_client, CSV)  # another file instead of importing the first
    [second] = uploads.iterdir()
    assert second != first
    # The tab is closed; a day later someone uploads again.
    other = admin_app.test_client()
    assert sign_in(other).status_code == 302
    clock.advance(timedelta(hours=9))
    assert sign_in(other).status_code == 302
    _upload(other, CSV)
    [third] = uploads.iterdir()
    assert third not in (first, second)
