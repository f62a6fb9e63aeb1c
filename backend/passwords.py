"""Password hashes for the admin page's accounts: scrypt from the standard
library (memory-hard, like Argon2; no compiled dependency to install).

A hash is "scrypt$N$r$p$salt$key" (salt and key in URL-safe base64), so the
cost can be raised later and old hashes still verify.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

# 2**15 * 8 * 128 bytes = 32 MB and ~0.1 s per check on one core: cheap for
# one sign-in, expensive for guessing. OpenSSL's default memory limit is
# 32 MB, so maxmem is raised a little above what these parameters need.
N, R, P = 2**15, 8, 1
KEY_BYTES = 32
MIN_LENGTH = 10
MAX_LENGTH = 1024


class WeakPassword(ValueError):
    """A password that is refused; `str()` says why."""


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"a password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"a password has at most {MAX_LENGTH} characters")


def hash_password(password: str) -> str:
    check_strength(password)
    salt = secrets.token_bytes(16)
    key = _scrypt(password, salt, N, R, P)
    return f"scrypt${N}${R}${P}${_b64(salt)}${_b64(key)}"


def verify(password: str, stored: str | None) -> bool:
    """Whether `password` matches `stored`; a missing or malformed hash never matches
    (but costs the same time, so that unknown accounts cannot be told apart)."""
    try:
        scheme, n, r, p, salt, key = (stored or "").split("$")
        if scheme != "scrypt":
            raise ValueError(scheme)
        params = int(n), int(r), int(p)
        expected, salt_bytes = _unb64(key), _unb64(salt)
    except ValueError:
        _scrypt(password[:MAX_LENGTH], b"\0" * 16, N, R, P)
        return False
    return hmac.compare_digest(_scrypt(password[:MAX_LENGTH], salt_bytes, *params), expected)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8", "surrogatepass"), salt=salt, n=n, r=r, p=p, maxmem=2 * 128 * n * r * p, dklen=KEY_BYTES
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
