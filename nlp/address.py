"""Is the sender's postal address in the message? (CAN-SPAM, CASL identification)."""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from .names import ascii_fold
from .pipeline import address_matcher


def contains_org_address(text: str, postal_address: str) -> bool:
    """The organisation's own address, written fully or in part.

    People shorten addresses in signatures ("No. 301 Wenyi West Road,
    Hangzhou, China"), so the street line alone, found fuzzily, is enough.
    """
    parts = [p.strip() for p in re.split(r"[,，\n]", postal_address) if p.strip()]
    street = next((p for p in parts if re.search(r"\d", p) and re.search(r"[^\W\d_]{3,}", p)), None)
    if not street:
        return False
    needle, hay = ascii_fold(street), ascii_fold(text)
    if needle in hay:
        return True
    return len(needle) >= 8 and fuzz.partial_ratio(needle, hay, score_cutoff=90) >= 90


def contains_address(text: str) -> bool:
    """An address shape (street and number, PO box, postcode) in `text`, usually a signature."""
    return bool(address_matcher()(text))
