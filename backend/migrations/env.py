"""Alembic environment. Always run through backend.storage.migrate, which
passes an open connection; there is deliberately no URL/ini handling here."""

from alembic import context

from backend.storage.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `sendwise db upgrade` (backend.storage.migrate)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
