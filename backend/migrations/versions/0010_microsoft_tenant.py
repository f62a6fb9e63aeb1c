"""organisations.microsoft_tenant: the Entra ID tenant whose users sign in
to the organisation with Microsoft access tokens. A nullable column and a
unique index (SQLite adds both in place; one tenant, one organisation).

Written out here rather than taken from backend.storage.models: a migration
must keep creating the schema of its own revision after the models move on.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("organisations", sa.Column("microsoft_tenant", sa.String(64), nullable=True))
    op.create_index("ix_organisations_microsoft_tenant", "organisations", ["microsoft_tenant"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_organisations_microsoft_tenant", table_name="organisations")
    op.drop_column("organisations", "microsoft_tenant")
