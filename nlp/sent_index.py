"""Org-wide sent history as the engine sees it: fingerprints in, metadata out.

The backend passes an object satisfying `SentIndex` to `nlp.analyze(...,
sent_index=...)` so the engine can detect template reuse across the whole
organisation without ever seeing the text of earlier messages. The engine
depends only on this protocol; storage implements it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class SentRecord:
    """One earlier message whose fingerprint is close to the queried one.

    `sent_at` is timezone-aware (UTC); `recipients` are lower-case addresses;
    `similarity` is in [0, 1] as computed by `nlp.fingerprint`.
    """

    sent_at: datetime
    sender: str
    recipients: list[str]
    similarity: float


class SentIndex(Protocol):
    def lookup(self, fp: bytes, since: datetime, threshold: float) -> list[SentRecord]:
        """Messages sent by anyone in the organisation at or after `since`
        (timezone-aware) whose fingerprint similarity to `fp` is at least
        `threshold`, most similar first. Never raises for an unknown or empty
        history: returns []."""
        ...

    def count_sent(self, sender: str, since: datetime) -> int:
        """How many messages `sender` (a lower-case address) sent at or after
        `since` (timezone-aware) to at least one recipient outside the
        organisation. 0 for an unknown sender or an empty history."""
        ...
