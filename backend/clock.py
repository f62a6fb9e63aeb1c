"""The backend's one clock.

Everything in the backend that needs "now" -- storage timestamps, the
template-reuse window, pruning, API-key use, CRM sync locks, the demo's sent
history, the `context.now` of an analysis -- gets it from a `Clock` handed
down from where the work starts: the Flask app (`create_app(config={"CLOCK":
...})`, read in a request with `app_clock()`), or a CLI command
(`default_clock()`). Storage and connectors take the time as an argument and
never read the wall clock themselves, so tests pin time with `FixedClock`
and nothing breaks as the calendar moves.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol

from flask import current_app

_EXTENSION = "sendwise.clock"
# Moves SystemClock by that many days. Only the test suite sets it: CI runs
# the suite a second time two years ahead, so that a test which works only
# because of today's date fails today rather than on some future morning.
# The engine's own fallback clock (nlp/clock.py) honours it too.
SHIFT_ENV = "SENDWISE_TEST_CLOCK_SHIFT_DAYS"


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The wall clock (moved by `SHIFT_ENV` in the suite's second run)."""

    def __init__(self) -> None:
        raw = os.environ.get(SHIFT_ENV, "").strip()
        try:
            self._shift = timedelta(days=float(raw or 0))
        except ValueError:
            raise ValueError(f"{SHIFT_ENV} must be a number of days, got {raw!r}") from None

    def now(self) -> datetime:
        return datetime.now(UTC) + self._shift


class FixedClock:
    """A clock that stands still until it is moved: for tests and reproducible runs."""

    def __init__(self, at: datetime):
        self._at = _utc(at)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = _utc(at)

    def advance(self, delta: timedelta) -> None:
        self._at += delta


def default_clock() -> Clock:
    """The clock the app and the CLI use unless they are given another one."""
    return SystemClock()


def counter_seconds() -> float:
    """The system clock as seconds since the epoch, for the rate limiter's
    windows only: Flask-Limiter computes Retry-After from time.time(), so
    its counters must run on the same clock, whatever the app's clock says.
    Never for anything recorded or shown."""
    return time.time()


def install(app, clock: Clock) -> None:
    """Make `clock` the app's clock (`create_app` does this)."""
    app.extensions[_EXTENSION] = clock


def app_clock() -> Clock:
    """The clock of the current Flask app."""
    return current_app.extensions[_EXTENSION]


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("naive datetime: pass a timezone-aware value")
    return at.astimezone(UTC)
