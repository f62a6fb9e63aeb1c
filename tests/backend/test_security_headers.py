"""Security headers: a Content-Security-Policy on every HTML page, the
task pane frameable by Outlook's hosts only, the admin page by nobody."""

from __future__ import annotations

import base64
import hashlib
import re

from backend import home
from backend.security_headers import OFFICE_FRAME_ANCESTORS


def directives(policy: str) -> dict[str, str]:
    return {d.split(" ", 1)[0]: d.split(" ", 1)[1] if " " in d else "" for d in (p.strip() for p in policy.split(";"))}


def test_every_answer_says_nosniff_and_a_referrer_policy(client):
    for path in ("/api/v1/health", "/", "/api/v1/nope"):
        reply = client.get(path)
        assert reply.headers["X-Content-Type-Options"] == "nosniff"
        assert reply.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Content-Security-Policy" not in client.get("/api/v1/health").headers  # JSON needs none


def test_the_home_page_runs_only_its_own_hashed_style(client):
    reply = client.get("/")
    policy = directives(reply.headers["Content-Security-Policy"])
    assert policy["default-src"] == "'self'" and policy["script-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and reply.headers["X-Frame-Options"] == "DENY"
    (style,) = re.findall(r"<style>(.*?)</style>", reply.get_data(as_text=True), re.S)
    assert style == home.STYLE
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in policy["style-src"]


def test_admin_pages_cannot_be_framed(make_app, demo_org):
    client = make_app(SECRET_KEY="k" * 32).test_client()
    reply = client.get("/admin/sign-in", follow_redirects=True)
    assert reply.mimetype == "text/html"
    policy = directives(reply.headers["Content-Security-Policy"])
    assert policy["frame-ancestors"] == "'none'" and policy["script-src"] == "'self'"
    assert "unsafe-inline" not in reply.headers["Content-Security-Policy"]
    assert reply.headers["X-Frame-Options"] == "DENY"


def test_the_task_pane_may_be_framed_by_outlook_only(make_app, demo_org, tmp_path):
    (tmp_path / "taskpane.html").write_text("<!doctype html><title>pane</title>")
    with make_app(ADDIN_DIST=str(tmp_path)).test_client().get("/addin/taskpane.html") as reply:
        assert reply.status_code == 200
    policy = directives(reply.headers["Content-Security-Policy"])
    ancestors = policy["frame-ancestors"].split()
    assert ancestors == ["'self'", *OFFICE_FRAME_ANCESTORS]
    assert all(a.startswith("https://") and ("outlook" in a or "office" in a) for a in ancestors[1:])
    assert "X-Frame-Options" not in reply.headers  # it would forbid Outlook on the web's frame
