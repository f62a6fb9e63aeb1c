"""`sendwise serve --tls`: a certificate for this machine, and HTTPS that a
client trusting it accepts."""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta

from cryptography import x509

from backend import tls
from tests.conftest import NOW, PROJECT_ROOT


def test_a_certificate_for_localhost_is_made_once_and_renewed_before_it_expires(tmp_path):
    cert_path, key_path = tls.ensure_certificate(NOW, tmp_path)
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert [str(a) for a in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1", "::1"]
    assert cert.not_valid_after_utc - NOW <= timedelta(days=398)  # browsers refuse longer
    assert key_path.stat().st_mode & 0o077 == 0
    assert tls.ensure_certificate(NOW + timedelta(days=100), tmp_path)[0].read_bytes() == cert_path.read_bytes()
    renewed = tls.ensure_certificate(NOW + timedelta(days=390), tmp_path)[0]
    assert x509.load_pem_x509_certificate(renewed.read_bytes()).serial_number != cert.serial_number


def test_serve_tls_answers_over_https(database_url, tmp_path):
    """The real command in its own process, and a client that trusts only
    this certificate: the handshake and the certificate's names work."""
    # OpenSSL checks the certificate against the machine's real clock, which
    # SENDWISE_TEST_CLOCK_SHIFT_DAYS does not move: make it at the real time.
    cert_pem, key_pem = tls.make_certificate(datetime.now(UTC))
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    cert.write_bytes(cert_pem)
    key.write_bytes(key_pem)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = tmp_path / "server.log"
    args = ["serve", "--port", str(port), "--no-demo", "--tls", "--cert", str(cert), "--key", str(key)]
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "backend.cli", *args],
            cwd=PROJECT_ROOT,
            env={**os.environ, "DATABASE_URL": database_url},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
        )
    context = ssl.create_default_context(cafile=str(cert))
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(
                    f"https://localhost:{port}/api/v1/health", context=context, timeout=10
                ) as r:
                    assert r.status == 200
                    break
            except urllib.error.URLError as exc:
                if isinstance(exc.reason, ssl.SSLError):
                    raise
                assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert f"https://127.0.0.1:{port}/addin/taskpane.html" in log.read_text()


def test_cert_without_key_is_a_usage_error(tmp_path):
    (tmp_path / "c.pem").write_text("x")
    result = subprocess.run(
        [sys.executable, "-m", "backend.cli", "serve", "--tls", "--cert", str(tmp_path / "c.pem")],
        capture_output=True,
        cwd=PROJECT_ROOT,
        timeout=60,
    )
    assert result.returncode == 2 and b"--cert and --key go together" in result.stderr
