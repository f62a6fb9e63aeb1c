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


def upgrade(database: Database, revision: str = "head") -> None:
    """Bring the schema to `revision`. Idempotent."""
    with database.engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def current_revision(database: Database) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
