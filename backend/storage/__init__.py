"""Storage: SQLAlchemy models, migrations, named queries and the context the
engine needs from them. Independent of Flask so the CLI can use it directly.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

from backend.storage.errors import DatabaseUnavailable, InvalidValue


class Database:
    """An engine plus a session factory for one `DATABASE_URL`."""

    def __init__(self, url: str):
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            _private_sqlite_file(Path(parsed.database))
        self.url = url
        options: dict = {}
        if parsed.get_backend_name() == "postgresql":
            # After a database restart every pooled connection is dead: test
            # each on checkout (one round trip) so requests recover at once
            # instead of each failing once; and give up connecting after a
            # few seconds so requests fail fast while the server is away.
            options = {"pool_pre_ping": True, "connect_args": {"connect_timeout": 3}}
        self.engine: Engine = create_engine(url, **options)
        if parsed.get_backend_name() == "sqlite":
            event.listen(self.engine, "connect", _sqlite_enforce_foreign_keys)
        elif parsed.get_backend_name() == "postgresql":
            event.listen(self.engine, "connect", _postgres_without_jit)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success and rolled back on any exception."""
        with self.sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def reachable(self) -> bool:
        """True when a trivial query succeeds; never raises."""
        return self.problem() is None

    def problem(self) -> str | None:
        """None when a trivial query succeeds, else a one-line reason
        (the driver's first line: no parameters, so no data). Never raises."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return None
        except Exception as exc:
            cause = getattr(exc, "orig", None) or exc
            first = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
            return f"{type(cause).__name__}: {first}"[:300]

    def side_engine(self, **options) -> Engine:
        """A second pool on the same database, with its own connection
        options (the rate limiter's counters); disposed with this one."""
        if getattr(self, "_side", None) is None:
            self._side = create_engine(self.engine.url, **options)
        return self._side

    def dispose(self) -> None:
        self.engine.dispose()
        if getattr(self, "_side", None) is not None:
            self._side.dispose()


@contextmanager
def open_database(url: str | None = None) -> Iterator[Database]:
    """The database at `url` (default: the configured `DATABASE_URL`),
    disposed of on exit. Raises `DatabaseUnavailable` with a one-line reason
    when it cannot be opened, and for connection and schema errors inside
    the block (with a hint to migrate when a table or column is missing)."""
    try:
        if url is None:
            from backend.config import load_config

            url = load_config()["DATABASE_URL"]
        database = Database(url)
    except Exception as exc:
        raise DatabaseUnavailable(f"cannot open database: {exc}") from None
    try:
        yield database
    except (OperationalError, ProgrammingError) as exc:
        reason = (str(exc.orig).strip().splitlines() or ["unknown"])[0]
        hint = " (run `sendwise db upgrade`)" if "table" in reason or "column" in reason or "relation" in reason else ""
        raise DatabaseUnavailable(f"database error: {reason}{hint}") from None
    finally:
        database.dispose()


def _private_sqlite_file(path: Path) -> None:
    """Create the SQLite file (and its folder) readable by this account
    only, before SQLite creates it under the umask (usually 0644): it holds
    contacts and API key hashes. Journal and WAL files copy the database's
    mode. Raises `InvalidValue` for a folder other accounts may write to."""
    folder = path.parent
    # The default database lives in instance/, which a fresh clone lacks.
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    mode = folder.stat().st_mode
    # Anyone who can write to the folder can swap the file for one of theirs;
    # a sticky folder such as /tmp only lets them remove their own files.
    if mode & stat.S_IWOTH and not mode & stat.S_ISVTX:
        raise InvalidValue(f"{folder} is writable by other users; put the SQLite database in a private folder")
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return  # e.g. a folder by that name: connecting fails and health says so
    try:
        if os.fstat(descriptor).st_uid == os.geteuid():
            # A database made before files were created private.
            os.fchmod(descriptor, 0o600)
    finally:
        os.close(descriptor)


def _postgres_without_jit(dbapi_connection, _record) -> None:
    # Every query here is short; JIT compiling one whose estimate crosses
    # jit_above_cost (a sent-index lookup in a large organisation) costs
    # ~10 ms more than it could ever save.
    cursor = dbapi_connection.cursor()
    cursor.execute("SET jit = off")
    cursor.close()
    dbapi_connection.commit()


def _sqlite_enforce_foreign_keys(dbapi_connection, _record) -> None:
    # SQLite ignores ON DELETE CASCADE unless asked per connection.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
