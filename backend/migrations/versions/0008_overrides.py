"""overrides: findings dismissed in the add-in (code, reason, who, when),
for the admin page's audit. A new table only; nothing is rebuilt.

The table is written out here rather than taken from backend.storage.models:
a migration must keep creating the schema of its own revision after the
models move on.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# As models.BigId: SQLite auto-increments only INTEGER PRIMARY KEY.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "overrides",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("org_id", sa.Integer(), sa.ForeignKey("organisations.id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(320), nullable=False),
        sa.Column("user_email", sa.String(320), nullable=True),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("message_id", sa.String(998), nullable=True),
    )
    op.create_index("ix_overrides_org_at", "overrides", ["org_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_overrides_org_at", table_name="overrides")
    op.drop_table("overrides")
