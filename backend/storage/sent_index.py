"""`nlp.sent_index.SentIndex` over one organisation's stored sent mail.

Every call is a query (backend/storage/sent.py): nothing is cached in the
process, so several server processes sharing one PostgreSQL always see the
same, current history.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from backend.storage import sent
from backend.storage.models import Organisation


class DbSentIndex:
    """Template-reuse lookups through the LSH band table (`sent.lookup`: one
    query for candidates plus one for the recipients of the matches) and
    send-burst counts (`sent.count_sent`: one query)."""

    def __init__(self, session: Session, org: Organisation):
        self._session = session
        self._org = org

    def lookup(self, fp: bytes, since: datetime, threshold: float) -> list:
        return sent.lookup(self._session, self._org, fp, since, threshold)

    def count_sent(self, sender: str, since: datetime) -> int:
        return sent.count_sent(self._session, self._org, sender, since)
