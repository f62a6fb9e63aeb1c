"""Sent mail: record it, find near-duplicates of a draft, count a sender's
sends, erase by address. The named queries for sent_messages,
sent_recipients and sent_bands; nothing else writes these tables.

What is kept per message: organisation, sender, recipients (addresses),
time, optional Message-ID, and the 64-byte `nlp.fingerprint` of the content
(greeting and signature cut off the way the engine cuts the draft). Never
the subject or the text.

The band index (see `SentBand`): each indexed message has 32 rows, one per
`nlp.fingerprint.band_keys`, carrying its send minute. A lookup is one query
for the candidates -- messages sharing a band key with the draft inside the
window, with their fingerprints -- verified here with
`nlp.fingerprint.similarities`, and one more for sender, time and recipients
of those that pass. No state outside the database, so any number of server
processes can share it. Band rows are only needed inside the template-reuse
window: `prune_bands` deletes older ones, so the index grows with the mail
of the window, not with the whole history (each message keeps its 64-byte
fingerprint).

Every function takes the caller's session and leaves committing to the
caller.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import BindParameter, Select, bindparam, delete, func, insert, select
from sqlalchemy.orm import Session, selectinload

from backend.storage import statements
from backend.storage.models import Contact, Interaction, Organisation, SentBand, SentMessage, SentRecipient

if TYPE_CHECKING:
    from nlp import SentFingerprint
    from nlp.sent_index import SentRecord

# The engine (`nlp`) is imported inside the functions that need it, as
# everywhere in the backend: the server starts and answers health checks
# even when the engine cannot load.

# Content shorter than this (in normalized words) gets no band rows. The
# engine does not look up drafts under 20 words (`mass.template_reuse`
# min_words), and a text can only reach its 0.85 threshold against one of at
# least ~0.74x its length (fuzz.ratio = 2M / (len a + len b)), i.e. ~15
# words; 12 leaves a margin. Skipping shorter ones keeps "Thanks, received."
# one-liners -- identical fingerprints sent thousands of times -- from piling
# up under the same band keys, where one unlucky collision with a draft would
# fetch all of them.
MIN_INDEXED_WORDS = 12
# Bound parameters per IN list (SQLite allows 32766, PostgreSQL 65535).
_CHUNK = 5000
_MATCHES_CHUNK = 1024
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def indexable(message: SentFingerprint) -> bool:
    """Whether `message` (`nlp.sent_fingerprint`) is long enough to get band
    rows (`MIN_INDEXED_WORDS`)."""
    return message.words >= MIN_INDEXED_WORDS


def sent_minute(when: datetime) -> int:
    """`when` in whole minutes since the Unix epoch (UTC): `SentBand.sent_minute`."""
    return int((when - _EPOCH).total_seconds()) // 60


# -- writing -------------------------------------------------------------------


def record(
    session: Session,
    org: Organisation,
    *,
    sender: str,
    recipients: Sequence[str],
    sent_at: datetime,
    fingerprint: bytes,
    message_id: str | None = None,
    indexed: bool = True,
    subject: str | None = None,
    codes: Iterable[str] | None = None,
) -> tuple[SentMessage, bool]:
    """Store a sent message; return it and whether it was created.

    With a `message_id` already recorded for `org`, nothing is written and
    the existing message comes back with `False`. If another process
    records the same id between that check and this insert, the unique
    constraint raises `IntegrityError`: roll back and call again, which then
    returns the stored message (the API does). No savepoint on purpose: with
    SQLite's Python driver, releasing one outside an explicit transaction
    commits it. `indexed=False` stores no band rows (content too short to
    compare, see `MIN_INDEXED_WORDS`); nor does a message sent before where
    `prune_bands` got. `subject`, if given, is written only into an
    interaction ("out", the send date) of each recipient who is a contact
    of `org`; the sent message itself never keeps it. `codes`: the finding
    codes the message raised with every check on (None: not analysed).
    """
    if len(fingerprint) != 64:
        raise ValueError("fingerprint must be 64 bytes")
    if sent_at.tzinfo is None:
        raise ValueError("naive datetime: pass a timezone-aware sent_at")
    if message_id is not None:
        existing = _by_message_id(session, org, message_id)
        if existing is not None:
            return existing, False
    addresses = list(dict.fromkeys(a.strip().lower() for a in recipients))
    message = SentMessage(
        org_id=org.id,
        sender=sender.strip().lower(),
        sent_at=sent_at.astimezone(UTC),
        message_id=message_id,
        fingerprint=bytes(fingerprint),
        codes=None if codes is None else " ".join(sorted(set(codes))),
        recipients=[SentRecipient(address=a) for a in addresses],
    )
    session.add(message)
    session.flush()
    if indexed and any(fingerprint) and not _pruned(org, message.sent_at):
        _insert_bands(session, [(org.id, message.id, message.sent_at, message.fingerprint)])
    if subject is not None:
        _add_interactions(session, org, addresses, message.sent_at, subject)
    return message, True


def replace_all(session: Session, org: Organisation, rows: Iterable[dict[str, Any]]) -> None:
    """Drop the organisation's whole sent history and `record` each of
    `rows` ({sender, recipients, sent_at, fingerprint, message_id?,
    indexed?}). Used by the demo seed."""
    session.execute(delete(SentBand).where(SentBand.org_id == org.id))
    session.execute(
        delete(SentRecipient).where(
            SentRecipient.sent_id.in_(select(SentMessage.id).where(SentMessage.org_id == org.id))
        )
    )
    session.execute(delete(SentMessage).where(SentMessage.org_id == org.id))
    for row in rows:
        record(session, org, **row)


def _insert_bands(session: Session, messages: Iterable[tuple[int, int, datetime, bytes]]) -> None:
    from nlp.fingerprint import band_keys

    rows = [
        {"org_id": org_id, "band_key": key, "sent_minute": sent_minute(sent_at), "sent_id": sent_id}
        for org_id, sent_id, sent_at, fp in messages
        for key in band_keys(fp)
    ]
    if rows:
        # Core executemany: a multi-row VALUES statement would be compiled
        # anew for each message (measured 5x slower).
        session.execute(insert(SentBand.__table__), rows)


def _add_interactions(
    session: Session, org: Organisation, addresses: list[str], sent_at: datetime, subject: str
) -> None:
    contact_ids = session.scalars(
        select(Contact.id).where(Contact.org_id == org.id, Contact.email.in_(addresses))
    ).all()
    stored = subject.strip()[:300] or None  # Interaction.subject is String(300)
    session.add_all(
        Interaction(contact_id=cid, date=sent_at.date(), direction="out", subject=stored) for cid in contact_ids
    )
    session.flush()


def _by_message_id(session: Session, org: Organisation, message_id: str) -> SentMessage | None:
    return session.scalar(select(SentMessage).where(SentMessage.org_id == org.id, SentMessage.message_id == message_id))


# -- pruning -------------------------------------------------------------------

# Band rows stay this much longer than the template-reuse window, so a lookup
# right at the window's edge, or a window widened by a day, misses nothing.
BAND_MARGIN = timedelta(days=1)
# Messages whose band rows one `prune_bands` call deletes at most (32 rows
# each): what POST /sent does on the side stays a fraction of a second.
PRUNE_BATCH = 200


def band_horizon(org: Organisation) -> timedelta:
    """How far back the band index of `org` must reach: its policy's
    `mass.template_reuse.window_days` (else the engine's default) plus
    `BAND_MARGIN`. A window widened later covers older mail only once the
    index has grown back into it."""
    from nlp.checks import REGISTRY

    rule = (org.policy or {}).get("mass.template_reuse")
    days = rule.get("window_days") if isinstance(rule, dict) else None
    if isinstance(days, bool) or not isinstance(days, (int, float)) or days <= 0:
        days = REGISTRY["mass.template_reuse"].params["window_days"]
    return timedelta(days=days) + BAND_MARGIN


def prune_due(org: Organisation, now: datetime, every: timedelta = timedelta(hours=1)) -> bool:
    """Whether the band index of `org` holds mail more than `every` older
    than `band_horizon` (so pruning it is worth a call)."""
    done = org.bands_pruned_before
    return done is None or _aware(done) < _aware(now) - band_horizon(org) - every


def prune_bands(session: Session, org: Organisation, now: datetime, limit: int | None = PRUNE_BATCH) -> int:
    """Delete the band rows of `org`'s messages sent before `now -
    band_horizon(org)`, oldest first, at most `limit` messages' worth
    (None: all); return how many messages lost theirs.

    The band index exists only for lookups inside the window, so without
    this it would keep 32 rows for every message ever sent. The fingerprint
    and the rest of each message stay. `org.bands_pruned_before` records
    how far pruning got, so each call starts where the last one stopped,
    and `record` adds no band rows for mail older than that.
    """
    cutoff = _aware(now) - band_horizon(org)
    start = _aware(org.bands_pruned_before) if org.bands_pruned_before else None
    if start is not None and start >= cutoff:
        return 0
    query = (
        select(SentMessage.id, SentMessage.sent_at, SentMessage.fingerprint)
        .where(SentMessage.org_id == org.id, SentMessage.sent_at < cutoff)
        .order_by(SentMessage.sent_at, SentMessage.id)
    )
    if start is not None:
        query = query.where(SentMessage.sent_at >= start)
    if limit is not None:
        query = query.limit(limit)
    victims = list(session.execute(query).all())
    done = cutoff
    if limit is not None and len(victims) == limit:
        # The batch ends inside the history: finish its last send time so
        # the next call can start strictly after it.
        last = victims[-1]
        victims += session.execute(
            select(SentMessage.id, SentMessage.sent_at, SentMessage.fingerprint).where(
                SentMessage.org_id == org.id, SentMessage.sent_at == last.sent_at, SentMessage.id > last.id
            )
        ).all()
        done = _aware(last.sent_at) + timedelta(microseconds=1)
    _delete_bands(session, org, victims)
    org.bands_pruned_before = done
    session.flush()
    return len(victims)


# -- reading -------------------------------------------------------------------


_bands, _messages, _recipients = SentBand.__table__.c, SentMessage.__table__.c, SentRecipient.__table__.c
# Candidates: messages of the organisation inside the window (to the
# minute) sharing at least two of the draft's band keys, with their
# fingerprints for verification. One shared key is mostly chance: 16-bit
# band values of mail from one sales team (same products, same stock
# phrases) collide for 1-6 % of the window, and each such candidate costs a
# primary-key probe. Near-duplicates at the 0.85 threshold share ~2.5 bands
# on average and those above it many more: on the benchmark corpus
# (bench/analyze.py, truth = fuzz.ratio >= 85) the second band drops ~15x of
# the candidates, 1 true match in 200 and 7 % of the false ones.
# The 32 keys are separate parameters, not one expanding IN list: the
# statement then compiles once, instead of being re-rendered on every lookup.
_KEY_PARAMS: list[BindParameter[int]] = [bindparam(f"k{i}") for i in range(32)]  # nlp.fingerprint.N_BANDS
MIN_SHARED_BANDS = 2
_hits = (
    select(_bands.sent_id)
    .where(
        _bands.org_id == bindparam("org"), _bands.band_key.in_(_KEY_PARAMS), _bands.sent_minute >= bindparam("minute")
    )
    .group_by(_bands.sent_id)
    .having(func.count() >= MIN_SHARED_BANDS)
    .subquery("hits")
)
# The fingerprint as a correlated scalar subquery on purpose: it can only be a
# primary-key probe per kept candidate. As a join or IN, PostgreSQL picks a
# hash join over a sequential scan of sent_messages when it expects many
# candidates (or lacks statistics): 100-300 ms instead of a few.
_CANDIDATES = select(
    _hits.c.sent_id,
    select(_messages.fingerprint).where(_messages.id == _hits.c.sent_id).scalar_subquery(),
)


@functools.cache
def _matches_query(size: int) -> Select:
    """Sender, time and recipients of `size` messages (`statements.padded`)."""
    return (
        select(_messages.id, _messages.sender, _messages.sent_at, _recipients.address)
        .outerjoin(SentRecipient.__table__, _recipients.sent_id == _messages.id)
        .where(statements.in_list(_messages.id, size, "i"))
        .order_by(_messages.id, _recipients.address)
    )


def lookup(session: Session, org: Organisation, fp: bytes, since: datetime, threshold: float) -> list[SentRecord]:
    """Messages of `org` sent at or after `since` whose fingerprint
    similarity to `fp` is at least `threshold`, most similar first (the
    `nlp.sent_index.SentIndex.lookup` contract).

    Two queries: the ids and fingerprints of the messages sharing
    `MIN_SHARED_BANDS` band keys with `fp` (see there), then sender, time
    and recipients of those that pass -- skipped when none does.
    """
    from nlp.fingerprint import band_keys, similarities
    from nlp.sent_index import SentRecord

    since = _aware(since)
    params = {
        "org": org.id,
        "minute": sent_minute(since),
        **{p.key: k for p, k in zip(_KEY_PARAMS, band_keys(fp), strict=True)},
    }
    candidates = [
        (sent_id, other) for sent_id, other in statements.fetch(session, _CANDIDATES, params) if other is not None
    ]
    scores = {
        sent_id: score
        for (sent_id, _), score in zip(candidates, similarities(fp, [o for _, o in candidates]))
        if score >= threshold
    }
    if not scores:
        return []
    found: dict[int, tuple[str, datetime, list[str]]] = {}
    for chunk in _chunks(list(scores), _MATCHES_CHUNK):
        size, params = statements.padded(chunk, "i")
        for sent_id, sender, sent_at, address in statements.fetch(session, _matches_query(size), params):
            if sent_at >= since:  # the band rows' window is whole minutes
                addresses = found.setdefault(sent_id, (sender, sent_at, []))[2]
                if address is not None:
                    addresses.append(address)
    records = [
        SentRecord(sent_at=sent_at, sender=sender, recipients=addresses, similarity=scores[sent_id])
        for sent_id, (sender, sent_at, addresses) in found.items()
    ]
    records.sort(key=lambda r: (r.similarity, r.sent_at), reverse=True)  # most similar, then newest first
    return records


def count_sent(session: Session, org: Organisation, sender: str, since: datetime) -> int:
    """How many messages `sender` sent at or after `since` to at least one
    recipient outside the organisation's domains (the engine's notion of
    internal: the domain or a subdomain of one; without stored domains, the
    sender's own domain). One query."""
    sender = sender.strip().lower()
    domains = [d.lower() for d in (org.domains or [])] or [sender.rpartition("@")[2]]
    rows = statements.fetch(session, _SENDS, {"org": org.id, "sender": sender, "since": _aware(since)})
    return len({sent_id for sent_id, address in rows if not _internal(address, domains)})


_SENDS = (
    select(SentRecipient.sent_id, SentRecipient.address)
    .join(SentMessage, SentMessage.id == SentRecipient.sent_id)
    .where(
        SentMessage.org_id == bindparam("org"),
        SentMessage.sender == bindparam("sender"),
        SentMessage.sent_at >= bindparam("since", type_=SentMessage.sent_at.type),
    )
)


def history(session: Session, org: Organisation, when: datetime) -> list[SentMessage]:
    """The organisation's sent messages at or after `when`, oldest first,
    with their recipients (for the demo, tests and exports; lookups use
    `lookup`)."""
    return list(
        session.scalars(
            select(SentMessage)
            .where(SentMessage.org_id == org.id, SentMessage.sent_at >= _aware(when))
            .options(selectinload(SentMessage.recipients))
            .order_by(SentMessage.sent_at, SentMessage.id)
        )
    )


# -- erasure -------------------------------------------------------------------


def erase_address(session: Session, org: Organisation, email: str) -> int:
    """GDPR erasure: delete every sent message of `org` that names `email`
    as a recipient or as the sender, with its recipients and band rows.
    Returns how many messages were deleted. Indexed lookups only
    (ix_sent_recipients_address, ix_sent_messages_org_sender_sent_at)."""
    email = email.strip().lower()
    as_recipient = session.scalars(
        select(SentRecipient.sent_id)
        .join(SentMessage, SentMessage.id == SentRecipient.sent_id)
        .where(SentRecipient.address == email, SentMessage.org_id == org.id)
    )
    as_sender = session.scalars(select(SentMessage.id).where(SentMessage.org_id == org.id, SentMessage.sender == email))
    ids = sorted(set(as_recipient) | set(as_sender))
    victims = [
        v
        for chunk in _chunks(ids)
        for v in session.execute(
            select(SentMessage.id, SentMessage.sent_at, SentMessage.fingerprint).where(SentMessage.id.in_(chunk))
        )
    ]
    if not victims:
        return 0
    _delete_bands(session, org, victims)
    for chunk in _chunks(ids):
        session.execute(delete(SentRecipient).where(SentRecipient.sent_id.in_(chunk)))
        session.execute(delete(SentMessage).where(SentMessage.id.in_(chunk)))
    return len(ids)


def _delete_bands(session: Session, org: Organisation, messages: Iterable[Any]) -> None:
    """Delete the band rows of `messages` (id, sent_at, fingerprint) by their
    full primary key, recomputed from the fingerprint: SentBand has no
    index on sent_id (see the model)."""
    from nlp.fingerprint import band_keys

    params = [
        {"o": org.id, "k": key, "m": sent_minute(m.sent_at), "s": m.id}
        for m in messages
        if any(m.fingerprint)
        for key in band_keys(m.fingerprint)
    ]
    if params:
        bands = SentBand.__table__.c
        session.execute(  # Core statement: one executemany
            delete(SentBand.__table__).where(
                bands.org_id == bindparam("o"),
                bands.band_key == bindparam("k"),
                bands.sent_minute == bindparam("m"),
                bands.sent_id == bindparam("s"),
            ),
            params,
        )


# -- helpers -------------------------------------------------------------------


def _internal(address: str, domains: list[str]) -> bool:
    domain = address.rpartition("@")[2]
    return any(domain == d or domain.endswith("." + d) for d in domains)


def _pruned(org: Organisation, sent_at: datetime) -> bool:
    return org.bands_pruned_before is not None and _aware(sent_at) < _aware(org.bands_pruned_before)


def _aware(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def _chunks(items: list[int], size: int = _CHUNK) -> Iterable[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
