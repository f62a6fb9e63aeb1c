"""users: passwords and lock-out for the admin page; activity_daily: what the
dashboard counts per day; an index for the audit log's newest-first pages.

Only columns added to users (all nullable or with a server default, so
SQLite adds them in place without rebuilding the table) and new tables.
Written out here rather than taken from backend.storage.models: a migration
must keep creating the schema of its own revision after the models move on.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("password_hash", sa.String(255), nullable=True))
    op.add_column("users", sa.Column("failed_sign_ins", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("users", sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
    op.add_column("users", sa.Column("created_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("users", sa.Column("last_sign_in_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_users_email", "users", ["email"])
    op.create_table(
        "activity_daily",
        sa.Column("org_id", sa.Integer(), sa.ForeignKey("organisations.id", ondelete="CASCADE"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("org_id", "day", "kind", "key", name="pk_activity_daily"),
    )
    op.create_index("ix_audit_events_org_at", "audit_events", ["org_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_audit_events_org_at", table_name="audit_events")
    op.drop_table("activity_daily")
    op.drop_index("ix_users_email", table_name="users")
    for column in ("last_sign_in_at", "created_at", "locked_until", "failed_sign_ins", "password_hash"):
        op.drop_column("users", column)
