"""Production serving: `sendwise serve --workers N` under gunicorn (real
processes, real HTTP), graceful shutdown on SIGTERM, readiness, and the
trusted-proxy setting."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT, serve_subprocess

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="gunicorn runs on POSIX only")


def _env(database_url: str, **extra: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url, "SENDWISE_DEMO": "0", "PYTHONIOENCODING": "utf-8", **extra}


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    if not path.exists():
        pytest.skip("needs Linux /proc to list a process's children")
    return [int(p) for p in path.read_text().split()]


def test_workers_serve_from_several_processes(database_url, tmp_path):
    with serve_subprocess(_env(database_url), tmp_path / "serve.log", "--workers", "2") as http:
        assert http.get("/api/v1/ready").json()["status"] == "ready"
        assert http.get("/api/v1/health").json()["status"] == "ok"
        log = (tmp_path / "serve.log").read_text()
        assert "gunicorn, 2 workers" in log
        # The process started is gunicorn's arbiter; the requests go to its workers.
        master, deadline = _master_pid(log), time.monotonic() + 20
        while len(_children(master)) != 2 and time.monotonic() < deadline:
            time.sleep(0.2)  # the second worker may still be booting
        assert len(_children(master)) == 2, log


def _master_pid(log: str) -> int:
    for line in log.splitlines():
        if "Starting gunicorn" in line:
            return int(line.split("[")[2].split("]")[0])
    raise AssertionError(log)


def test_sigterm_lets_the_request_in_flight_finish(database_url, tmp_path):
    """A request whose body is still arriving when SIGTERM comes is answered
    in full, then the server exits cleanly."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "backend.cli", "serve", "--port", str(port), "--workers", "2"],
            cwd=PROJECT_ROOT,
            env=_env(database_url),
            stdout=out,
            stderr=out,
        )
    try:
        body = b'{"draft": {"from": {"email": "tom@brightway-lighting.cn"}, "to": [], "body": {"text": "Hi"}}}'
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = socket.create_connection(("127.0.0.1", port), timeout=30)
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        with conn:
            head = f"POST /api/v1/analyze HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            conn.sendall(head.encode() + body[:10])
            time.sleep(0.5)  # the worker is now reading the body
            proc.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            conn.sendall(body[10:])
            reply = b""
            while chunk := conn.recv(65536):
                reply += chunk
        # No credentials: a complete 401 answer, not a reset connection.
        assert reply.startswith(b"HTTP/1.1 401"), reply[:200]
        assert b'"unauthorized"' in reply
        assert proc.wait(timeout=30) == 0, log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_ready_says_why_when_the_database_is_unreachable(make_app, tmp_path):
    folder = tmp_path / "not-a-database"
    folder.mkdir(mode=0o700)
    app = make_app(DATABASE_URL=f"sqlite:///{folder}")
    reply = app.test_client().get("/api/v1/ready")
    assert reply.status_code == 503
    assert reply.json["error"]["code"] == "not_ready"
    assert reply.json["error"]["message"].startswith("database unreachable (OperationalError")


def test_ready_when_the_database_answers(client):
    reply = client.get("/api/v1/ready")
    assert reply.status_code == 200 and reply.json["status"] == "ready"


FORWARDED = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "mail.example.com"}


def test_forwarded_headers_are_ignored_by_default(make_app, demo_org):
    reply = make_app().test_client().get("/addin/manifest.xml", headers=FORWARDED)
    assert b"https://mail.example.com" not in reply.data and b"http://localhost" in reply.data


def test_a_trusted_proxy_sets_scheme_and_host(make_app, demo_org):
    reply = make_app(TRUSTED_PROXIES=1).test_client().get("/addin/manifest.xml", headers=FORWARDED)
    assert b"https://mail.example.com/addin/taskpane.html" in reply.data


def test_demo_mode_still_refuses_relayed_requests_behind_a_trusted_proxy(make_app, demo_org):
    # ProxyFix rewrites the peer to 127.0.0.1 when the proxy says so; the
    # forwarded headers are still there, and demo mode refuses them.
    client = make_app(TRUSTED_PROXIES=1).test_client()
    headers = {"X-Forwarded-For": "127.0.0.1", "X-Forwarded-Host": "localhost", "Content-Type": "application/json"}
    reply = client.post("/api/v1/analyze", data=b'{"draft": {}}', headers=headers)
    assert reply.status_code == 401 and "this machine" in reply.json["error"]["message"]


def test_serve_refuses_demo_mode_behind_a_proxy(database_url):
    result = subprocess.run(
        [sys.executable, "-m", "backend.cli", "serve", "--port", "0", "--demo"],
        cwd=PROJECT_ROOT,
        env=_env(database_url, SENDWISE_TRUSTED_PROXIES="1"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "cannot sit behind a proxy" in result.stderr
