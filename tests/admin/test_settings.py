"""The settings page: accounts (add, role, unlock, remove) and API keys
(create, shown once, revoke), each change in the audit log."""

from __future__ import annotations

import re

from sqlalchemy import select

from backend.storage.models import ApiKey, AuditEvent, User
from tests.admin.conftest import ADMIN, PASSWORD, VIEWER, csrf, sign_in

NEW = "nina.new@brightway-lighting.cn"


def _post(client, path: str, **form: str):
    return client.post(path, data={"csrf_token": csrf(client.get("/admin/settings")), **form})


def _user(database, email: str) -> User | None:
    with database.session() as session:
        return session.scalar(select(User).where(User.email == email))


def _events(database) -> list[tuple[str, dict]]:
    with database.session() as session:
        return [(e.action, e.detail) for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_an_admin_adds_an_account_who_can_then_sign_in(admin_client, admin_app, database):
    assert _post(admin_client, "/admin/settings/users", email=NEW, role="viewer", password=PASSWORD).status_code == 302
    assert ("user.create", {"email": NEW, "role": "viewer"}) in _events(database)
    assert sign_in(admin_app.test_client(), NEW).status_code == 302
    page = admin_client.get("/admin/settings").get_data(as_text=True)
    assert f'data-account="{NEW}"' in page


def test_an_existing_account_or_a_weak_password_is_refused_next_to_the_field(admin_client, database):
    response = _post(admin_client, "/admin/settings/users", email=VIEWER, role="admin", password="another password")
    assert response.status_code == 400 and 'id="error-email"' in response.get_data(as_text=True)
    assert _user(database, VIEWER).role == "viewer"  # no silent promotion or password reset
    response = _post(admin_client, "/admin/settings/users", email=NEW, role="viewer", password="short")
    assert response.status_code == 400 and "at least 10 characters" in response.get_data(as_text=True)
    assert _user(database, NEW) is None


def test_roles_change_but_the_last_administrator_stays(admin_client, database):
    viewer, admin = _user(database, VIEWER), _user(database, ADMIN)
    assert _post(admin_client, f"/admin/settings/users/{viewer.id}", action="role", role="admin").status_code == 302
    assert _user(database, VIEWER).role == "admin"
    assert _post(admin_client, f"/admin/settings/users/{viewer.id}", action="role", role="viewer").status_code == 302
    refused = _post(admin_client, f"/admin/settings/users/{admin.id}", action="role", role="viewer")
    assert refused.status_code == 400 and "is the last administrator" in refused.get_data(as_text=True)
    refused = _post(admin_client, f"/admin/settings/users/{admin.id}", action="remove")
    assert refused.status_code == 400 and _user(database, ADMIN).role == "admin"
    assert (
        "user.role",
        {"before": {"email": VIEWER, "role": "viewer"}, "after": {"email": VIEWER, "role": "admin"}},
    ) in (_events(database))


def test_unlock_and_remove(admin_client, admin_app, database):
    locked = admin_app.test_client()
    for _ in range(5):
        sign_in(locked, VIEWER, "wrong password!")
    assert sign_in(locked, VIEWER).status_code != 302
    viewer = _user(database, VIEWER)
    assert "Unlock" in admin_client.get("/admin/settings").get_data(as_text=True)
    assert _post(admin_client, f"/admin/settings/users/{viewer.id}", action="unlock").status_code == 302
    assert sign_in(locked, VIEWER).status_code == 302
    assert _post(admin_client, f"/admin/settings/users/{viewer.id}", action="remove").status_code == 302
    assert _user(database, VIEWER) is None
    assert locked.get("/admin/").status_code == 302  # the removed account's session ends
    assert [a for a, _ in _events(database)][-2:] == ["user.unlock", "user.remove"]


def test_a_key_is_shown_once_works_and_can_be_revoked(admin_client, admin_app, database):
    response = _post(admin_client, "/admin/settings/keys", label="Outlook add-in, sales team")
    page = response.get_data(as_text=True)
    key = re.search(r'<code id="new-key">(sw_[^<]+)</code>', page).group(1)
    assert response.status_code == 201
    assert key not in admin_client.get("/admin/settings").get_data(as_text=True)
    api = admin_app.test_client()
    headers = {"Authorization": f"Bearer {key}"}
    assert api.get("/api/v1/org", headers=headers).status_code == 200
    with database.session() as session:
        row = session.scalar(select(ApiKey))
    assert _post(admin_client, f"/admin/settings/keys/{row.id}/revoke").status_code == 302
    assert api.get("/api/v1/org", headers=headers).status_code == 401
    actions = [a for a, _ in _events(database)]
    assert actions[-2:] == ["apikey.create", "apikey.revoke"]


def test_a_viewer_sees_but_cannot_change(viewer_client, database):
    page = viewer_client.get("/admin/settings").get_data(as_text=True)
    assert f'data-account="{ADMIN}"' in page and "Create a key" not in page and "Remove" not in page
    admin = _user(database, ADMIN)
    assert _post(viewer_client, f"/admin/settings/users/{admin.id}", action="remove").status_code == 403
    assert _post(viewer_client, "/admin/settings/keys", label="x").status_code == 403
    assert _user(database, ADMIN) is not None
