"""API keys: created for one organisation, shown once, stored as a hash.

A key is `sw_` followed by 43 letters and digits (256 random bits; no
punctuation, so a double-click selects all of it). Only
its sha256 is stored: with that much entropy a plain fast hash is enough (a
slow password hash protects guessable secrets, and these are not), and it
lets a request find its key with one indexed lookup. `prefix` keeps the
first characters so people can tell keys apart ("sw_3fK9aQ…").
"""

from __future__ import annotations

import hashlib
import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from backend.storage.errors import KeyRejected
from backend.storage.models import ApiKey, Organisation
from backend.storage.statements import rowcount

TOKEN_PREFIX = "sw_"
PREFIX_LENGTH = len(TOKEN_PREFIX) + 8
_ALPHABET = string.ascii_letters + string.digits
_RANDOM_CHARS = 43  # 62**43 > 2**256
# last_used_at is written at most this often per key, so a busy key does not
# turn every request into a write.
TOUCH_INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True)
class Verified:
    key: ApiKey
    org: Organisation


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def looks_like_key(token: str) -> bool:
    return token.startswith(TOKEN_PREFIX)


def create(session: Session, org: Organisation, now: datetime, label: str | None = None) -> tuple[ApiKey, str]:
    """A new key for `org`, created at `now`: (the stored row, the key
    itself). The key is not kept anywhere: the caller shows it once."""
    key = TOKEN_PREFIX + "".join(secrets.choice(_ALPHABET) for _ in range(_RANDOM_CHARS))
    row = ApiKey(org_id=org.id, prefix=key[:PREFIX_LENGTH], key_hash=hash_key(key), label=label, created_at=now)
    session.add(row)
    session.flush()
    return row, key


def verify(session: Session, key: str) -> Verified:
    """The key's row and organisation; raises `KeyRejected` if the key is
    unknown or revoked."""
    found = session.execute(
        select(ApiKey, Organisation)
        .join(Organisation, Organisation.id == ApiKey.org_id)
        .where(ApiKey.key_hash == hash_key(key))
    ).first()
    if found is None:
        raise KeyRejected("unknown API key")
    api_key, org = found
    if api_key.revoked_at is not None:
        raise KeyRejected(f"API key {api_key.prefix}… was revoked")
    return Verified(api_key, org)


def touch(session: Session, key: ApiKey, now: datetime) -> bool:
    """Set last_used_at unless it was set within TOUCH_INTERVAL; one
    conditional UPDATE, so concurrent requests never both write. Returns
    whether a row was written (the caller commits)."""
    if key.last_used_at is not None and now - key.last_used_at < TOUCH_INTERVAL:
        return False
    result = session.execute(
        update(ApiKey)
        .where(ApiKey.id == key.id, or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < now - TOUCH_INTERVAL))
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) > 0


def for_org(session: Session, org: Organisation) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).where(ApiKey.org_id == org.id).order_by(ApiKey.created_at, ApiKey.id)))


def revoke(session: Session, org: Organisation, prefix: str, now: datetime) -> list[ApiKey]:
    """Revoke (as of `now`) the organisation's active keys whose prefix
    starts with `prefix` (a whole key works too). Returns the revoked rows."""
    prefix = prefix.strip()
    if looks_like_key(prefix) and len(prefix) > PREFIX_LENGTH:
        matches = [k for k in for_org(session, org) if k.key_hash == hash_key(prefix)]
    else:
        matches = [k for k in for_org(session, org) if k.prefix.startswith(prefix)]
    revoked = [k for k in matches if k.revoked_at is None]
    for key in revoked:
        key.revoked_at = now
    session.flush()
    return revoked
