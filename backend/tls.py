"""HTTPS for trying the add-in in Outlook on this machine: Outlook loads
add-ins only over HTTPS. `sendwise serve --tls` makes a certificate for
localhost once (instance/tls/), which the user trusts once; or it uses the
one Microsoft's dev-certs tool made (--cert/--key).

Waitress has no TLS, so this serves with werkzeug's threaded server: fine
for one user's sideloading, not for production (put the plain server
behind a TLS-terminating proxy there).
"""

from __future__ import annotations

import ipaddress
import ssl
from datetime import datetime, timedelta
from pathlib import Path

from backend.config import INSTANCE_DIR

TLS_DIR = INSTANCE_DIR / "tls"
# Browsers refuse leaf certificates valid for more than 398 days.
LIFETIME = timedelta(days=397)
RENEW_BEFORE = timedelta(days=14)


def ensure_certificate(now: datetime, directory: Path = TLS_DIR) -> tuple[Path, Path]:
    """(certificate, key) for localhost, 127.0.0.1 and ::1, made at `now`
    unless a usable one is already in `directory`."""
    from cryptography import x509

    cert_path, key_path = directory / "localhost.crt", directory / "localhost.key"
    if cert_path.is_file() and key_path.is_file():
        existing = x509.load_pem_x509_certificate(cert_path.read_bytes())
        if existing.not_valid_after_utc - RENEW_BEFORE > now:
            return cert_path, key_path
    directory.mkdir(parents=True, exist_ok=True)
    cert_pem, key_pem = make_certificate(now)
    key_path.touch(mode=0o600)
    key_path.write_bytes(key_pem)
    cert_path.write_bytes(cert_pem)
    return cert_path, key_path


def make_certificate(now: datetime) -> tuple[bytes, bytes]:
    """A self-signed certificate (PEM) and its key for this machine's names.

    It is its own CA (basicConstraints CA, keyCertSign), so trusting it as
    a root, the one thing the user does by hand, makes Outlook's browser
    engines accept it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "localhost"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sendwise development"),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + LIFETIME)
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.IPAddress(ipaddress.ip_address("::1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def serve(app, host: str, port: int, cert: str, key: str) -> None:
    """Serve `app` over HTTPS until interrupted."""
    from werkzeug.serving import make_server

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    server = make_server(host, port, app, threaded=True, ssl_context=context)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
