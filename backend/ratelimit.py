"""Rate limits on the API, per organisation and per API key (Flask-Limiter).

Over the limit, a request gets 429 `rate_limited` with `Retry-After` (whole
seconds until the window resets). Limits are Flask-Limiter strings, from the
environment: `SENDWISE_RATE_LIMIT_ORG` (all callers of one organisation
together) and `SENDWISE_RATE_LIMIT_KEY` (one API key); `off` turns one off.
Health and readiness are never limited. Requests whose caller cannot be
resolved are not counted here: they end in a 401 anyway.

Where the counts live (`SENDWISE_RATE_LIMIT_STORAGE`):
- `database` (default): on PostgreSQL the `rate_counters` table, through
  `DatabaseStorage` below (on SQLite: `memory://`, see `init_app`). Several gunicorn workers, and several hosts on
  one PostgreSQL, share one count without another server to run.
  Flask-Limiter's own stores are per process (memory) or need Redis,
  Memcached, MongoDB or etcd; this is a limits `Storage` of the same kind
  (fixed windows). Each process writes its counts behind, in batches: see
  `DatabaseStorage`.
- `memory://`: per process; right for one process, wrong for several.
- any other limits URI (`redis://host:6379`) for those who run one.

Windows are measured on the system clock (`clock.counter_seconds`), as
Flask-Limiter computes `Retry-After` from it; counts are not records, so
this is not `app_clock()`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from flask import Flask, g, jsonify, request
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from limits.storage import Storage
from sqlalchemy import Engine, case, delete, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from backend.clock import counter_seconds
from backend.errors import ApiError

OFF = "off"


# A process counts this share of a limit, and counts for this long, before
# writing them to the shared row: one upsert per batch instead of one per
# request, which under load was an eighth of a worker's time.
HOLD_SHARE = 0.01
HOLD_SECONDS = 0.5


@dataclass
class _Held:
    """What one process knows of one key's window."""

    window_ends: float
    shared: int  # the count in the table after this process's last write
    written_at: float
    pending: int = 0  # counted here since, not yet written


class DatabaseStorage(Storage):
    """Fixed-window counters in the `rate_counters` table (a limits storage).

    A write is one statement (an upsert that starts a new window when the
    old one has ended), committed at once on a connection of the limiter's
    own pool (see `_engine`). Each process holds back up to `HOLD_SHARE` of
    a limit for at most `HOLD_SECONDS` and writes them as one batch, so N
    processes admit at most N x 1 % more than the limit; a small limit
    (under 100 a window) holds back nothing and is counted exactly."""

    STORAGE_SCHEME = ["sendwise+database"]  # noqa: RUF012 - the type limits declares

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any):
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        self.engine: Engine = options["engine"]
        from backend.storage.models import RateCounter

        self.table = RateCounter.__table__
        self.postgres = self.engine.dialect.name == "postgresql"
        self._held: dict[str, _Held] = {}
        # Held across the write too: two threads never write one key's batch twice.
        self._lock = threading.Lock()

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = counter_seconds()
        with self._lock:
            held = self._held.get(key)
            if held is not None and now >= held.window_ends:
                held = None  # what was held belonged to a window that has ended
            if (
                held is not None
                and held.pending + amount <= _limit_amount(key) * HOLD_SHARE
                and now - held.written_at < HOLD_SECONDS
            ):
                held.pending += amount
                return held.shared + held.pending
            count, ends = self._write(key, expiry, amount + (held.pending if held else 0), now)
            if len(self._held) > 10_000:
                self._held = {k: h for k, h in self._held.items() if h.window_ends > now}
            self._held[key] = _Held(window_ends=ends, shared=count, written_at=now)
            return count

    def _write(self, key: str, expiry: int, amount: int, now: float) -> tuple[int, float]:
        c = self.table.c
        insert = (postgresql.insert if self.postgres else sqlite.insert)(self.table)
        stale = c.expires_at <= now
        statement = (
            insert.values(key=key, count=amount, expires_at=now + expiry)
            .on_conflict_do_update(
                index_elements=[c.key],
                set_={
                    "count": case((stale, amount), else_=c.count + amount),
                    "expires_at": case((stale, now + expiry), else_=c.expires_at),
                },
            )
            .returning(c.count, c.expires_at)
        )
        with self.engine.begin() as conn:
            count, ends = conn.execute(statement).one()
        return int(count), float(ends)

    def get(self, key: str) -> int:
        c = self.table.c
        now = counter_seconds()
        with self.engine.connect() as conn:
            count = conn.execute(select(c.count).where(c.key == key, c.expires_at > now)).scalar()
        with self._lock:
            held = self._held.get(key)
            pending = held.pending if held is not None and now < held.window_ends else 0
        return int(count or 0) + pending

    def get_expiry(self, key: str) -> float:
        c = self.table.c
        with self.engine.connect() as conn:
            expires = conn.execute(select(c.expires_at).where(c.key == key)).scalar()
        return float(expires) if expires is not None and expires > counter_seconds() else counter_seconds()

    def check(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        with self._lock:
            self._held.clear()
        with self.engine.begin() as conn:
            return conn.execute(delete(self.table)).rowcount

    def clear(self, key: str) -> None:
        with self._lock:
            self._held.pop(key, None)
        with self.engine.begin() as conn:
            conn.execute(delete(self.table).where(self.table.c.key == key))


def _limit_amount(key: str) -> int:
    """The limit a storage key counts against: limits builds each key as
    `…/{amount}/{multiples}/{granularity}` (RateLimitItem.key_for)."""
    try:
        return int(key.rsplit("/", 3)[-3])
    except (ValueError, IndexError):
        return 0  # unknown: hold nothing back


def init_app(app: Flask) -> Limiter:
    """Limit the API blueprint of `app` (call after registering it)."""
    from backend import api

    storage = app.config["RATE_LIMIT_STORAGE"]
    options: dict[str, Any] = {}  # DatabaseStorage takes the app's engine; Limiter's hint says str | int only
    if storage == "database":
        if app.config["DATABASE_URL"].startswith("sqlite"):
            # One more writer per request on SQLite's single write lock made
            # concurrent requests wait out the busy timeout; a SQLite
            # deployment is one host, so its counts stay in each process.
            storage_uri = "memory://"
        else:
            storage_uri, options["engine"] = "sendwise+database://", _engine(app)
    else:
        storage_uri = storage
    limiter = Limiter(
        key_func=_org_key,
        app=app,
        storage_uri=storage_uri,
        storage_options=options,
        strategy="fixed-window",
        headers_enabled=False,  # Retry-After goes on the 429 only (below)
        key_prefix="sendwise",
    )
    org_limit, key_limit = app.config["RATE_LIMIT_ORG"], app.config["RATE_LIMIT_KEY"]
    if org_limit != OFF:
        limiter.limit(org_limit, key_func=_org_key, scope="org", exempt_when=_no_org)(api.bp)
    if key_limit != OFF:
        limiter.limit(key_limit, key_func=_api_key, scope="key", exempt_when=_no_api_key)(api.bp)

    @app.errorhandler(RateLimitExceeded)
    def _too_many(exc: RateLimitExceeded):
        current = limiter.current_limit
        wait = max(1, int(current.reset_at - counter_seconds()) + 1) if current else 1
        response = jsonify(
            {"error": {"code": "rate_limited", "message": f"too many requests: the limit is {exc.description}"}}
        )
        response.status_code = 429
        response.headers["Retry-After"] = str(wait)
        return response

    app.extensions["sendwise.limiter"] = limiter
    return limiter


def _engine(app: Flask) -> Engine:
    """The counters' connections. On PostgreSQL a pool of their own, whose
    commits do not wait for the WAL flush (a counter lost in a crash only
    forgets a few seconds of counting): one round trip less per limit and
    request. Pinged on checkout like the app's pool, so that after a
    database restart no request fails on a dead pooled connection."""
    from backend.db import database

    with app.app_context():
        shared = database()
    if shared.engine.dialect.name != "postgresql":
        return shared.engine
    return shared.side_engine(
        pool_size=app.config["THREADS"],
        pool_pre_ping=True,
        connect_args={"connect_timeout": 3, "options": "-c synchronous_commit=off"},
    )


def _caller():
    """The request's caller, or None when it has none (the view answers 401)."""
    if "sendwise_rate_caller" not in g:
        from backend.auth import current_caller

        try:
            g.sendwise_rate_caller = current_caller()
        except ApiError:
            g.sendwise_rate_caller = None
    return g.sendwise_rate_caller


# Load balancers and monitors poll these; they must answer whatever the counts say.
_NEVER_LIMITED = {"api.health", "api.ready"}


def _no_org() -> bool:
    return request.endpoint in _NEVER_LIMITED or _caller() is None


def _no_api_key() -> bool:
    if request.endpoint in _NEVER_LIMITED:
        return True
    caller = _caller()
    return caller is None or caller.api_key_id is None


def _org_key() -> str:
    caller = _caller()
    return f"org:{caller.org.id}" if caller is not None else "anonymous"


def _api_key() -> str:
    caller = _caller()
    return f"key:{caller.api_key_id}" if caller is not None else "anonymous"
