"""sent_messages.codes: the finding codes each recorded send raised, so the
admin page can show what a proposed policy would have changed (which sends
would have been warned or held) without keeping any text. Codes only, space
separated; NULL where the send was not analysed (recorded before this
revision, or read from a mailbox's history).

One nullable column: SQLite adds it in place without rebuilding the table.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sent_messages", sa.Column("codes", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sent_messages") as batch:
        batch.drop_column("codes")
