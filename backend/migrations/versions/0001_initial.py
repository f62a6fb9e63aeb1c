"""Initial schema: organisations, users, contacts, interactions,
sent_messages (fingerprints only), audit_events.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("slug", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("domains", sa.JSON(), nullable=False),
        sa.Column("postal_address", sa.String(500), nullable=True),
        sa.Column("default_locale", sa.String(16), nullable=False),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("org_id", sa.Integer(), sa.ForeignKey("organisations.id", ondelete="CASCADE"), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.UniqueConstraint("org_id", "email"),
    )
    op.create_index("ix_users_org_id", "users", ["org_id"])
    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("org_id", sa.Integer(), sa.ForeignKey("organisations.id", ondelete="CASCADE"), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("company", sa.String(200), nullable=True),
        sa.Column("country", sa.String(2), nullable=True),
        sa.Column("kind", sa.String(8), nullable=True),
        sa.Column("role", sa.String(100), nullable=True),
        sa.Column("industry", sa.String(100), nullable=True),
        sa.Column("stage", sa.String(16), nullable=True),
        sa.Column("consent_status", sa.String(16), nullable=True),
        sa.Column("consent_source", sa.String(200), nullable=True),
        sa.Column("consent_date", sa.Date(), nullable=True),
        sa.Column("unsubscribed", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("org_id", "email"),
    )
    op.create_index("ix_contacts_org_id", "contacts", ["org_id"])
    op.create_table(
        "interactions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("contact_id", sa.Integer(), sa.ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("direction", sa.String(3), nullable=False),
        sa.Column("subject", sa.String(300), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
    )
    op.create_index("ix_interactions_contact_id", "interactions", ["contact_id"])
    op.create_table(
        "sent_messages",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("org_id", sa.Integer(), sa.ForeignKey("organisations.id", ondelete="CASCADE"), nullable=False),
        sa.Column("sender", sa.String(320), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("sent_at", Timestamp, nullable=False),
        sa.Column("message_id", sa.String(998), nullable=True),
        sa.Column("fingerprint", sa.LargeBinary(64), nullable=False),
        sa.UniqueConstraint("org_id", "message_id"),
    )
    op.create_index("ix_sent_messages_org_sent_at", "sent_messages", ["org_id", "sent_at"])
    op.create_table(
        "audit_events",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("org_id", sa.Integer(), sa.ForeignKey("organisations.id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", Timestamp, nullable=False),
        sa.Column("actor", sa.String(320), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
    )
    op.create_index("ix_audit_events_org_id", "audit_events", ["org_id"])


def downgrade() -> None:
    for table in ("audit_events", "sent_messages", "interactions", "contacts", "users", "organisations"):
        op.drop_table(table)
