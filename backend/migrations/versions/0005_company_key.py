"""contacts.company_key: the engine's comparison key of the company name, indexed,
so the contacts whose company a draft mentions are found without a scan.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

import re

import sqlalchemy as sa
from alembic import op
from anyascii import anyascii

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("company_key", sa.String(200), nullable=True))
    op.create_index("ix_contacts_org_company_key", "contacts", ["org_id", "company_key"])
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


# Frozen copy of backend.storage.models.company_key and nlp.names.company_core
# (with ascii_fold and _COMPANY_NOISE) as they were when this revision was
# written: a migration must do the same thing forever, so it never imports
# live code that may change later. anyascii is the pinned dependency the
# engine used for this; its tables are data, not our code.
_COMPANY_NOISE = re.compile(
    r"\b(?:co|ltd|limited|llc|inc|incorporated|corp|corporation|gmbh|ag|kg|ohg|ug|sas|sarl|srl|spa|bv|nv|oy|oyj|"
    r"ab|a/s|aps|as|asa|plc|llp|pty|sl|sa|lda|sp|z|o|o\.o|sro|kft|company|group|the|und|and|&|e\.k)\b\.?",
    re.IGNORECASE,
)


def company_core(company: str) -> str:
    """A company name without legal form or punctuation, folded: "Ceramiche Lombardi S.r.l." -> "ceramiche lombardi"."""
    c = anyascii(company).lower()
    c = re.sub(r"\b(?:s\.r\.l|s\.p\.a|b\.v|n\.v|s\.a\.s|s\.a|s\.l|e\.k|sp\. z o\.o|s\.r\.o|a\.s)\.?", " ", c)
    c = _COMPANY_NOISE.sub(" ", c)
    c = re.sub(r"[^\w\s]", " ", c)
    return " ".join(c.split())


def company_key(company: str | None) -> str | None:
    """The lookup key of a company name, None for none or an empty core."""
    return (company_core(company) or None) if company else None


def downgrade() -> None:
    op.drop_index("ix_contacts_org_company_key", table_name="contacts")
    # Plain ALTER TABLE (SQLite >= 3.35), not a batch table copy: dropping the
    # old copy of contacts would cascade-delete every interaction on SQLite.
    op.drop_column("contacts", "company_key")
