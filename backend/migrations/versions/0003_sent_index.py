"""Sent index: recipients in their own table, the LSH band index.

- sent_recipients(sent_id, address): one row per address a sent message
  went to, indexed by address (erasure is a lookup); replaces the JSON
  column sent_messages.recipients.
- sent_bands(org_id, band_key, sent_minute, sent_id): the 32 LSH band keys
  of each message's fingerprint; the primary key is the lookup path.
- ix_sent_messages_org_sender_sent_at: send bursts and erasure by sender.

Existing rows are carried over: their recipients move to sent_recipients
and their bands are computed from the stored fingerprints.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

import json
import struct
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def upgrade() -> None:
    conn = op.get_bind()
    # Read the old rows before sent_messages is rebuilt (SQLite batch mode
    # copies the table; nothing may reference it yet at that point).
    old = conn.execute(sa.text("SELECT id, org_id, sent_at, recipients, fingerprint FROM sent_messages")).all()

    with op.batch_alter_table("sent_messages") as batch:
        batch.drop_column("recipients")
    op.create_index("ix_sent_messages_org_sender_sent_at", "sent_messages", ["org_id", "sender", "sent_at"])

    recipients = op.create_table(
        "sent_recipients",
        sa.Column("sent_id", BigId, sa.ForeignKey("sent_messages.id", ondelete="CASCADE"), nullable=False),
        sa.Column("address", sa.String(320), nullable=False),
        sa.PrimaryKeyConstraint("sent_id", "address"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_sent_recipients_address", "sent_recipients", ["address"])
    bands = op.create_table(
        "sent_bands",
        # 8-byte columns first: no alignment padding in PostgreSQL's row.
        sa.Column("band_key", sa.BigInteger(), nullable=False),
        sa.Column("sent_id", sa.BigInteger(), nullable=False),
        sa.Column("org_id", sa.Integer(), sa.ForeignKey("organisations.id", ondelete="CASCADE"), nullable=False),
        sa.Column("sent_minute", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("org_id", "band_key", "sent_minute", "sent_id", name="pk_sent_bands"),
        sqlite_with_rowid=False,
    )

    if conn.dialect.name == "postgresql":
        # Lookups read the band rows of the last weeks by index-only scans,
        # which need those rows' pages marked all-visible by (auto)vacuum. By
        # default an insert-only table is vacuumed after inserts of 20 % of
        # its size, i.e. never while the window is still being read; here
        # after every ~60,000 rows (~2,000 messages).
        op.execute(
            "ALTER TABLE sent_bands SET (autovacuum_vacuum_insert_threshold = 60000, "
            "autovacuum_vacuum_insert_scale_factor = 0)"
        )

    recipient_rows, band_rows = [], []
    for sent_id, org_id, sent_at, addresses, fp in old:
        if isinstance(addresses, str):  # SQLite hands JSON back as text
            addresses = json.loads(addresses)
        recipient_rows += [{"sent_id": sent_id, "address": a} for a in dict.fromkeys(a.lower() for a in addresses)]
        fp = bytes(fp)
        if any(fp):
            minute = _minute(sent_at)
            band_rows += [
                {"band_key": k, "sent_id": sent_id, "org_id": org_id, "sent_minute": minute} for k in band_keys(fp)
            ]
    if recipient_rows:
        op.bulk_insert(recipients, recipient_rows)
    if band_rows:
        op.bulk_insert(bands, band_rows)


def downgrade() -> None:
    conn = op.get_bind()
    by_message: dict[int, list[str]] = {}
    for sent_id, address in conn.execute(sa.text("SELECT sent_id, address FROM sent_recipients ORDER BY address")):
        by_message.setdefault(sent_id, []).append(address)
    op.drop_table("sent_bands")
    op.drop_table("sent_recipients")
    op.drop_index("ix_sent_messages_org_sender_sent_at", table_name="sent_messages")
    with op.batch_alter_table("sent_messages") as batch:
        batch.add_column(sa.Column("recipients", sa.JSON(), nullable=True))
    update = sa.text("UPDATE sent_messages SET recipients = :r WHERE id = :id")
    for (sent_id,) in conn.execute(sa.text("SELECT id FROM sent_messages")).all():
        conn.execute(update, {"r": json.dumps(by_message.get(sent_id, [])), "id": sent_id})
    with op.batch_alter_table("sent_messages") as batch:
        batch.alter_column("recipients", existing_type=sa.JSON(), nullable=False)


# Frozen copy of nlp.fingerprint.band_keys as it was when this revision was
# written (scheme version 1), with its constants: a migration must do the
# same thing forever, so it never imports live code that may change later.
# np.frombuffer(fp, dtype="<u2") there is struct's "<32H" here.
_SCHEME_VERSION = 1
_FINGERPRINT_BYTES = 64


def band_keys(fp: bytes) -> list[int]:
    """The 32 LSH band keys of a 64-byte fingerprint: version << 32 | band << 16 | value."""
    if len(fp) != _FINGERPRINT_BYTES:
        raise ValueError(f"fingerprint must be {_FINGERPRINT_BYTES} bytes, got {len(fp)}")
    base = _SCHEME_VERSION << 32
    return [base | (band << 16) | v for band, v in enumerate(struct.unpack("<32H", fp))]


def _minute(value) -> int:
    """sent_at (a datetime, or SQLite's text) in whole minutes since the epoch, UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:  # stored as UTC (see models.UTCDateTime)
        value = value.replace(tzinfo=UTC)
    return int((value - _EPOCH).total_seconds()) // 60
