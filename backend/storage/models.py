"""Tables. Portable between SQLite and PostgreSQL (JSON, BigInteger,
LargeBinary, timezone-aware timestamps).

Privacy: no table holds a message subject or body. Sent mail is kept only
as a fingerprint plus who/when, which is all template-reuse detection needs.
Interaction subjects/summaries are CRM notes written by people, not mail text.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates

# SQLite only auto-increments INTEGER PRIMARY KEY, so big ids fall back to it there.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend.

    SQLite drops the offset, so values are normalised to UTC on the way in
    and marked UTC on the way out; naive datetimes are refused because their
    meaning would depend on the server's clock.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass a timezone-aware value")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar = {datetime: UTCDateTime, dict[str, Any]: JSON, list[str]: JSON}
    # Every model here maps one Table (DeclarativeBase allows any FromClause).
    __table__: ClassVar[Table]


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    domains: Mapped[list[str]] = mapped_column(default=list)
    postal_address: Mapped[str | None] = mapped_column(String(500))
    default_locale: Mapped[str] = mapped_column(String(16), default="en")
    # Per-code overrides as in the contract's `context.org.policy`.
    policy: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column()
    # Sent messages before this moment have no band rows any more
    # (sent.prune_bands): the band index only covers the lookup window.
    bands_pruned_before: Mapped[datetime | None] = mapped_column()
    # The Entra ID tenant whose signed-in users belong here (`tid` claim).
    microsoft_tenant: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("org_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    # admin | viewer for people who sign in to the admin page (backend/storage/users.py).
    role: Mapped[str] = mapped_column(String(32), default="member")
    # "scrypt$n$r$p$salt$hash" (backend/passwords.py); None: cannot sign in.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime | None] = mapped_column()
    last_sign_in_at: Mapped[datetime | None] = mapped_column()


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (
        UniqueConstraint("org_id", "email"),
        Index("ix_contacts_org_company_key", "org_id", "company_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320))  # stored lower-case
    name: Mapped[str | None] = mapped_column(String(200))
    company: Mapped[str | None] = mapped_column(String(200))
    # The company's name as the engine compares it (nlp.names.company_core), so the
    # companies a draft mentions are found by index, not by reading every contact.
    company_key: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(2))  # ISO 3166-1 alpha-2
    kind: Mapped[str | None] = mapped_column(String(8))  # b2b | b2c
    role: Mapped[str | None] = mapped_column(String(100))
    industry: Mapped[str | None] = mapped_column(String(100))
    stage: Mapped[str | None] = mapped_column(String(16))
    consent_status: Mapped[str | None] = mapped_column(String(16))
    consent_source: Mapped[str | None] = mapped_column(String(200))
    consent_date: Mapped[date | None] = mapped_column(Date)
    unsubscribed: Mapped[bool] = mapped_column(Boolean, default=False)

    interactions: Mapped[list[Interaction]] = relationship(
        back_populates="contact", cascade="all, delete-orphan", order_by="Interaction.date"
    )

    @validates("company")
    def _keep_company_key(self, _key: str, company: str | None) -> str | None:
        self.company_key = company_key(company)
        return company


def company_key(company: str | None) -> str | None:
    """The lookup key of a company name ("Ceramiche Lombardi S.r.l." -> "ceramiche lombardi")."""
    from nlp.names import company_core

    return (company_core(company) or None) if company else None


class Interaction(Base):
    __tablename__ = "interactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    date: Mapped[date] = mapped_column(Date)
    direction: Mapped[str] = mapped_column(String(3))  # in | out
    subject: Mapped[str | None] = mapped_column(String(300))
    summary: Mapped[str | None] = mapped_column(Text)
    # Who wrote it: NULL for people (seed, import, API); a CRM's name
    # ("hubspot") when a sync wrote it and replaces it at the next sync.
    source: Mapped[str | None] = mapped_column(String(32))

    contact: Mapped[Contact] = relationship(back_populates="interactions")


class SentMessage(Base):
    """A message the organisation sent: who, to whom, when, and the 64-byte
    `nlp.fingerprint` of its content. Never the subject or the text.

    Written and read only through backend/storage/sent.py, which also keeps
    its `SentBand` rows (the LSH index) and `SentRecipient` rows in step.
    """

    __tablename__ = "sent_messages"
    # Several NULL message_ids are allowed by both SQLite and PostgreSQL.
    __table_args__ = (
        UniqueConstraint("org_id", "message_id"),
        Index("ix_sent_messages_org_sent_at", "org_id", "sent_at"),
        # count_sent (send bursts) and erasure of a sender's messages.
        Index("ix_sent_messages_org_sender_sent_at", "org_id", "sender", "sent_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    sender: Mapped[str] = mapped_column(String(320))
    sent_at: Mapped[datetime] = mapped_column()
    message_id: Mapped[str | None] = mapped_column(String(998))
    fingerprint: Mapped[bytes] = mapped_column(LargeBinary(64))
    # The finding codes the send raised with every check on (space separated,
    # sorted; "" for none), for the policy simulation; NULL: not analysed.
    codes: Mapped[str | None] = mapped_column(Text)

    recipients: Mapped[list[SentRecipient]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="SentRecipient.address"
    )

    @property
    def addresses(self) -> list[str]:
        return [r.address for r in self.recipients]


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_org_at", "org_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column()
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ApiKey(Base):
    """A credential for scripts and servers: `Authorization: Bearer <key>`.

    Only the sha256 of the key is stored (the key is shown once, when it is
    created); `prefix` is its first characters, to tell keys apart in
    listings and audit events.
    """

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column()
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


class SentRecipient(Base):
    """One address (lower-case, To/Cc/Bcc alike) a sent message went to.

    Plain addresses, not hashes: the engine needs them to count distinct
    other recipients and to leave out the draft's own and internal ones,
    and the contacts table keeps the same addresses in the clear anyway.
    The index on `address` makes GDPR erasure a lookup, not a scan.
    """

    __tablename__ = "sent_recipients"
    __table_args__ = (
        Index("ix_sent_recipients_address", "address"),
        {"sqlite_with_rowid": False},
    )

    sent_id: Mapped[int] = mapped_column(BigId, ForeignKey("sent_messages.id", ondelete="CASCADE"), primary_key=True)
    address: Mapped[str] = mapped_column(String(320), primary_key=True)


class SentBand(Base):
    """The LSH band index over sent fingerprints: one row per band (32 per
    indexed message, `nlp.fingerprint.band_keys`; the key encodes band
    number and scheme version).

    The primary key is the lookup path: `org_id = ? AND band_key IN (32
    keys) AND sent_minute >= ?` is a range scan of it that also applies the
    time window, and carries `sent_id` (an index-only scan on PostgreSQL; on
    SQLite the table *is* that b-tree, WITHOUT ROWID). `sent_minute` is
    `sent_at` in whole minutes since the Unix epoch (4 bytes instead of a
    timestamp); the exact window is re-checked on the message row.

    No foreign key on `sent_id`, deliberately: it would need a second index
    over ~32 rows per message just so deletes of sent_messages can find
    their bands. sent.py deletes a message's bands by their full primary
    key (recomputed from its fingerprint) instead, and lookups join on
    sent_messages, so a stray band row can never surface.
    """

    __tablename__ = "sent_bands"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "band_key", "sent_minute", "sent_id", name="pk_sent_bands"),
        {"sqlite_with_rowid": False},
    )

    # Column order = row layout on PostgreSQL: 8-byte values first, no padding.
    band_key: Mapped[int] = mapped_column(BigInteger)
    sent_id: Mapped[int] = mapped_column(BigInteger)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    sent_minute: Mapped[int] = mapped_column(Integer)


class CrmSync(Base):
    """One CRM connector of an organisation and how its last sync went.

    The row exists once a sync was attempted, which is what "a connector
    is configured" means to analysis. `status` is running, ok or failed;
    `error` is the one-line reason of the last failure (never a
    credential); `last_success_at` is when a sync last completed, so a
    failed or interrupted sync still tells how old the stored data is.
    `stats` holds the last run's counts (fetched, created, updated, ...).

    The row is also the lock against two syncs of one connector at once
    (backend/connectors/sync.py): `run_id` names the sync that holds it and
    `heartbeat_at` is when that sync last made progress, so the lock of a
    crashed process expires. `last_success_started_at` is when the last
    successful sync began: the next incremental sync fetches what changed
    since then.
    """

    __tablename__ = "crm_syncs"
    __table_args__ = (UniqueConstraint("org_id", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(32))  # hubspot
    status: Mapped[str] = mapped_column(String(16))  # running | ok | failed
    started_at: Mapped[datetime] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    last_success_at: Mapped[datetime | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(String(500))
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)
    run_id: Mapped[str | None] = mapped_column(String(32))
    heartbeat_at: Mapped[datetime | None] = mapped_column()
    last_success_started_at: Mapped[datetime | None] = mapped_column()


class MailboxBackfill(Base):
    """How far the sent mail of one mailbox has been read into fingerprints
    (backend/backfill.py): `high_water` is the send time of the newest
    message recorded, so the next run (after an interruption, or the
    incremental one) starts there; `messages` counts what it recorded.
    `error` is the one-line reason of the last failure, never mail text."""

    __tablename__ = "mailbox_backfills"
    __table_args__ = (UniqueConstraint("org_id", "provider", "mailbox"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(16))  # microsoft | google
    mailbox: Mapped[str] = mapped_column(String(320))
    high_water: Mapped[datetime | None] = mapped_column()
    messages: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(String(500))


class ErasedAddress(Base):
    """An address erased at the person's request (`sendwise contacts
    erase`), so that a CRM sync or an import does not bring it back.

    Only a keyed hash of the address is kept (backend/storage/contacts.py,
    `address_hash`, keyed with the organisation's ErasureKey): enough to
    recognise the address when it comes back, not to read it.
    """

    __tablename__ = "erased_addresses"
    __table_args__ = (PrimaryKeyConstraint("org_id", "address_hash", name="pk_erased_addresses"),)

    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    address_hash: Mapped[str] = mapped_column(String(64))
    erased_at: Mapped[datetime] = mapped_column()


class ErasureKey(Base):
    """An organisation's random key for the hashes of its erased addresses,
    made at its first erasure: the same address hashes differently in each
    organisation, and no precomputed table of address hashes matches.
    (A table of its own, not a column of organisations: adding a required
    column there would make SQLite rebuild the table, and dropping the old
    one cascades to every contact and sent message.)"""

    __tablename__ = "erasure_keys"

    org_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    salt: Mapped[bytes] = mapped_column(LargeBinary(32))


class Override(Base):
    """A finding a user dismissed in the add-in, with their reason: the
    audit trail of the admin page. Holds who, when, which code and the
    reason the user typed, never any text of the mail.

    `actor` is the caller as authenticated (an API key prefix, demo, later
    a signed-in user); `user_email` is the mailbox the add-in says it runs
    in, unverified until sign-in lands, and kept apart for that reason.
    """

    __tablename__ = "overrides"
    __table_args__ = (Index("ix_overrides_org_at", "org_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column()
    actor: Mapped[str] = mapped_column(String(320))
    user_email: Mapped[str | None] = mapped_column(String(320))
    code: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(500))
    message_id: Mapped[str | None] = mapped_column(String(998))


class ActivityDaily(Base):
    """What the dashboard draws, counted per organisation and UTC day as
    sent mail is recorded: `kind` "verdict" (key ok/review/block) or "code"
    (key a finding code), so the charts read a few hundred rows however
    many messages were sent. Counts only, never text."""

    __tablename__ = "activity_daily"
    __table_args__ = (PrimaryKeyConstraint("org_id", "day", "kind", "key", name="pk_activity_daily"),)

    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(64))
    count: Mapped[int] = mapped_column(Integer)


class RateCounter(Base):
    """The API's rate-limit counters (backend/ratelimit.py), shared by every
    worker and host on this database: one row per limit and caller (an
    organisation or API key id, never a token), reset in place when its
    window ends, so the table stays as small as the number of callers."""

    __tablename__ = "rate_counters"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    # Seconds since the epoch (float): what the rate limiter computes with.
    expires_at: Mapped[float] = mapped_column(Float)
