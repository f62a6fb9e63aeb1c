"""mailbox_backfills: how far each mailbox's sent mail has been read into
fingerprints, so a backfill resumes where it stopped and later runs read
only what is new. A new table only.

Written out here rather than taken from backend.storage.models: a migration
must keep creating the schema of its own revision after the models move on.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "mailbox_backfills",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("org_id", sa.Integer(), sa.ForeignKey("organisations.id", ondelete="CASCADE"), nullable=False),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("mailbox", sa.String(320), nullable=False),
        sa.Column("high_water", Timestamp, nullable=True),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("started_at", Timestamp, nullable=True),
        sa.Column("finished_at", Timestamp, nullable=True),
        sa.Column("error", sa.String(500), nullable=True),
        sa.UniqueConstraint("org_id", "provider", "mailbox"),
    )
    op.create_index("ix_mailbox_backfills_org_id", "mailbox_backfills", ["org_id"])


def downgrade() -> None:
    op.drop_index("ix_mailbox_backfills_org_id", table_name="mailbox_backfills")
    op.drop_table("mailbox_backfills")
