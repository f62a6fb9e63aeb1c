"""CRM sync: which CRM each organisation syncs from and how the last sync
went (crm_syncs), and interactions.source, so a sync replaces only the
interactions it wrote and keeps those people entered.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "crm_syncs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("org_id", sa.Integer(), sa.ForeignKey("organisations.id", ondelete="CASCADE"), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", Timestamp, nullable=False),
        sa.Column("finished_at", Timestamp, nullable=True),
        sa.Column("last_success_at", Timestamp, nullable=True),
        sa.Column("error", sa.String(500), nullable=True),
        sa.Column("stats", sa.JSON(), nullable=False),
        sa.UniqueConstraint("org_id", "source"),
    )
    op.create_index("ix_crm_syncs_org_id", "crm_syncs", ["org_id"])
    # NULL for every existing row: they were entered by people (or the seed).
    with op.batch_alter_table("interactions") as batch:
        batch.add_column(sa.Column("source", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("interactions") as batch:
        batch.drop_column("source")
    op.drop_index("ix_crm_syncs_org_id", table_name="crm_syncs")
    op.drop_table("crm_syncs")
