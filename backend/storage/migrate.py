"""Alembic, configured in code: no alembic.ini, the scripts live in
backend/migrations/. `sendwise db upgrade` and `sendwise serve` call
`upgrade()`.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from backend.storage import Database

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(connection=None) -> Config:
    """An Alembic config pointing at our scripts; `connection` is handed to
    env.py so the caller's engine (and its SQLite pragmas) is used."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


# Any constant: the PostgreSQL advisory lock that serialises migrations.
_MIGRATION_LOCK = 0x73656E64  # "send"


def upgrade(database: Database, revision: str = "head") -> None:
    """Bring the schema to `revision`. Idempotent, and safe when several
    server processes start at once on one database: the first migrates,
    the others wait for it and then find nothing left to do."""
    with database.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
        elif connection.dialect.name == "sqlite":
            # Take the write lock before Alembic reads the current revision;
            # the driver would only begin a transaction at the first write.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        command.upgrade(alembic_config(connection), revision)


def current_revision(database: Database) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
