"""contacts.company_key: the engine's comparison key of the company name, indexed,
so the contacts whose company a draft mentions are found without a scan.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("company_key", sa.String(200), nullable=True))
    op.create_index("ix_contacts_org_company_key", "contacts", ["org_id", "company_key"])
    from backend.storage.models import company_key

    conn = op.get_bind()
    contacts = sa.table(
        "contacts", sa.column("id", sa.Integer), sa.column("company", sa.String), sa.column("company_key", sa.String)
    )
    rows = conn.execute(sa.select(contacts.c.id, contacts.c.company).where(contacts.c.company.is_not(None))).all()
    if rows:
        conn.execute(
            contacts.update().where(contacts.c.id == sa.bindparam("cid")).values(company_key=sa.bindparam("key")),
            [{"cid": r.id, "key": company_key(r.company)} for r in rows],
        )


def downgrade() -> None:
    op.drop_index("ix_contacts_org_company_key", table_name="contacts")
    # Plain ALTER TABLE (SQLite >= 3.35), not a batch table copy: dropping the
    # old copy of contacts would cascade-delete every interaction on SQLite.
    op.drop_column("contacts", "company_key")
