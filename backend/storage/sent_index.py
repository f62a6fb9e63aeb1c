"""`nlp.sent_index.SentIndex` backed by the sent_messages table."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy.orm import Session

from backend.storage import queries
from backend.storage.models import Organisation
from nlp.sent_index import SentRecord


class DbSentIndex:
    """Template-reuse lookups over one organisation's stored fingerprints.

    For now a plain scan of the organisation's rows in the window, each
    compared with `nlp.fingerprint.similarity`: exact and simple. When
    volumes need it, store `nlp.fingerprint.band_keys` per row and select
    candidates by band in SQL first.
    """

    def __init__(self, session: Session, org: Organisation):
        self._session = session
        self._org = org

    def lookup(self, fp: bytes, since: datetime, threshold: float) -> list[SentRecord]:
        from nlp.fingerprint import similarity

        if since.tzinfo is None:
            since = since.replace(tzinfo=timezone.utc)
        rows = queries.sent_since(self._session, self._org, since)
        scored = sorted(((float(similarity(fp, row.fingerprint)), row) for row in rows), key=lambda pair: -pair[0])
        return [
            SentRecord(sent_at=row.sent_at, sender=row.sender, recipients=list(row.recipients), similarity=score)
            for score, row in scored
            if score >= threshold
        ]
