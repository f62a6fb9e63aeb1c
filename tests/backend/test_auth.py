"""Who may call the API: demo mode on loopback, 401 otherwise."""

from __future__ import annotations

import pytest
from flask import Flask, request

from backend import auth
from backend.errors import ApiError
from tests.conftest import Http, serving


def post_empty(base_or_http, **headers):
    # `{}` passes authentication and then fails validation (400), so a 400
    # means "authenticated" without needing the engine.
    client = base_or_http if isinstance(base_or_http, Http) else Http(base_or_http)
    return client.post_json("/api/v1/analyze", b"{}", headers)


def test_demo_mode_accepts_loopback_without_credentials(http):
    assert post_empty(http).status == 400


def test_without_demo_mode_credentials_are_required(make_app, demo_org):
    with serving(make_app(DEMO_MODE=False)) as base:
        reply = post_empty(base)
    assert reply.status == 401
    assert reply.json()["error"]["code"] == "unauthorized"
    assert "credentials" in reply.json()["error"]["message"]


@pytest.mark.parametrize("header", ["Forwarded", "X-Forwarded-For", "X-Real-IP"])
def test_demo_mode_refuses_requests_relayed_by_a_proxy(http, header):
    reply = post_empty(http, **{header: "203.0.113.7"})
    assert reply.status == 401
    assert "this machine" in reply.json()["error"]["message"]


@pytest.mark.parametrize(
    "host", ["localhost", "LOCALHOST:8000", "127.0.0.1", "127.0.0.1:{port}", "[::1]:{port}", "[::1]"]
)
def test_demo_mode_accepts_loopback_host_names(http, host):
    port = http.base.rpartition(":")[2]
    assert post_empty(http, Host=host.format(port=port)).status == 400


@pytest.mark.parametrize(
    "host",
    [
        "evil.example:{port}",  # a DNS-rebinding page: its own name, resolved to 127.0.0.1
        "evil.example",
        "localhost.evil.example",
        "127.0.0.1.nip.io:{port}",
        "192.168.1.20:{port}",  # a TCP forwarder on the LAN address
        "[2001:db8::1]:{port}",
        "localhost:80:80",
        "[::1",
        "",
    ],
)
def test_demo_mode_refuses_other_host_names(http, host):
    port = http.base.rpartition(":")[2]
    reply = post_empty(http, Host=host.format(port=port))
    assert reply.status == 401
    assert "Host" in reply.json()["error"]["message"]


def test_api_keys_work_whatever_the_host_name(make_app, make_tenant):
    tenant = make_tenant("acme")
    with serving(make_app()) as base:
        reply = post_empty(base, Host="sendwise.acme.example", **tenant.auth)
    assert reply.status == 400


def test_demo_mode_refuses_non_loopback_peers(client):
    reply = client.post(
        "/api/v1/analyze", data=b"{}", content_type="application/json", environ_base={"REMOTE_ADDR": "198.51.100.20"}
    )
    assert reply.status_code == 401
    assert reply.get_json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("value", ["Bearer sk-test-123", "Basic dXNlcjpwdw==", "Bearer "])
def test_credentials_are_checked_even_in_demo_mode(http, value):
    # Sent credentials are never silently replaced by the demo organisation.
    reply = post_empty(http, Authorization=value)
    assert reply.status == 401
    assert reply.json()["error"]["code"] == "unauthorized"


def test_demo_mode_without_demo_org_says_how_to_seed(make_app):
    with serving(make_app()) as base:
        reply = post_empty(base)
    assert reply.status == 503
    assert "sendwise demo seed" in reply.json()["error"]["message"]


@pytest.mark.parametrize(
    "address, local",
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("10.0.0.5", False),
        ("192.168.1.20", False),
        ("2001:db8::1", False),
        ("", False),
        ("unix-socket", False),
    ],
)
def test_is_local(address, local):
    app = Flask(__name__)
    with app.test_request_context(environ_base={"REMOTE_ADDR": address}):
        assert auth.is_local(request) is local


def test_resolve_caller_names_the_demo_actor(app, demo_org):
    from backend import db

    with app.test_request_context("/api/v1/analyze", environ_base={"REMOTE_ADDR": "127.0.0.1"}):
        caller = auth.resolve_caller(request, db.session(), demo_mode=True)
        assert (caller.org.id, caller.method) == (demo_org, "demo")
        with pytest.raises(ApiError) as err:
            auth.resolve_caller(request, db.session(), demo_mode=False)
        assert err.value.status == 401
