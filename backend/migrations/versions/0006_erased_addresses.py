"""Erased addresses (a keyed hash per organisation, so syncs and imports do
not bring an erased person back) with each organisation's key for those
hashes, and the crm_syncs columns for the sync lock and incremental syncs.

Only new tables and nullable columns of crm_syncs, which SQLite adds with
ALTER TABLE: no table is rebuilt on the way up. (A rebuilt organisations
table would be dropped, and with foreign keys on, that cascades to every
row that references it.)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "erased_addresses",
        sa.Column("org_id", sa.Integer(), sa.ForeignKey("organisations.id", ondelete="CASCADE"), nullable=False),
        sa.Column("address_hash", sa.String(64), nullable=False),
        sa.Column("erased_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("org_id", "address_hash", name="pk_erased_addresses"),
    )
    op.create_table(
        "erasure_keys",
        sa.Column(
            "org_id",
            sa.Integer(),
            sa.ForeignKey("organisations.id", ondelete="CASCADE"),
            nullable=False,
            autoincrement=False,
        ),
        sa.Column("salt", sa.LargeBinary(32), nullable=False),
        sa.PrimaryKeyConstraint("org_id"),
    )
    # NULL everywhere: a sync recorded before this revision holds no lock and
    # has no start time of its last success, so the next sync is a full one.
    with op.batch_alter_table("crm_syncs") as batch:
        batch.add_column(sa.Column("run_id", sa.String(32), nullable=True))
        batch.add_column(sa.Column("heartbeat_at", Timestamp, nullable=True))
        batch.add_column(sa.Column("last_success_started_at", Timestamp, nullable=True))


def downgrade() -> None:
    # crm_syncs is rebuilt on SQLite here; no table references it.
    with op.batch_alter_table("crm_syncs") as batch:
        batch.drop_column("last_success_started_at")
        batch.drop_column("heartbeat_at")
        batch.drop_column("run_id")
    op.drop_table("erasure_keys")
    op.drop_table("erased_addresses")
