"""What `make run`'s printed address shows: a page, not a 404."""

from __future__ import annotations

from backend import version
from tests.conftest import serving


def test_the_root_says_what_is_running_and_links_to_health_and_playground(http):
    reply = http.get("/")
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("text/html")
    page = reply.body.decode()
    assert f"sendwise {version()}" in page and "demo mode" in page
    assert 'href="/api/v1/health"' in page and 'href="/addin/taskpane.html"' in page


def test_the_root_without_demo_mode_says_credentials_are_needed(make_app):
    from tests.conftest import Http

    with serving(make_app(DEMO_MODE=False)) as base:
        page = Http(base).get("/").body.decode()
    assert "API key" in page and "demo mode" not in page
