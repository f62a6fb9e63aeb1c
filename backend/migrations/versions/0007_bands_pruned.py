"""organisations.bands_pruned_before: how far the sent band index has been
pruned (backend/storage/sent.py prune_bands). The band index only serves
lookups inside the template-reuse window; older messages keep their
fingerprint but lose their 32 band rows.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


# Plain ALTER TABLE on both databases (SQLite >= 3.35 drops columns), never a
# batch table copy: on SQLite, dropping the old copy of organisations would
# cascade-delete every row that belongs to an organisation.


def upgrade() -> None:
    op.add_column("organisations", sa.Column("bands_pruned_before", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("organisations", "bands_pruned_before")
