"""The engine's fallback for `context.now`, when a request gives none.

The backend always gives one, from its own clock (backend/clock.py); this is
for direct callers of `nlp.analyze` such as scripts and benchmarks. Like the
backend's system clock it honours `SENDWISE_TEST_CLOCK_SHIFT_DAYS`, which only
the test suite sets (its second run, two years ahead).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

_SHIFT = timedelta(days=float(os.environ.get("SENDWISE_TEST_CLOCK_SHIFT_DAYS", "").strip() or 0))


def wall_clock() -> datetime:
    return datetime.now(UTC) + _SHIFT
