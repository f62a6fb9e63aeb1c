"""How hard the property and fuzz tests push: a bounded run by default (the
normal suite), many more cases with SENDWISE_FUZZ=1 (`make fuzz`).

Also keeps the slowest case each of them met, so `bench/slowest.py` and
the test output can show it."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from hypothesis import HealthCheck, settings

FUZZ = os.environ.get("SENDWISE_FUZZ", "") not in ("", "0")
# Multiplies every test's example count under `make fuzz`.
FUZZ_FACTOR = int(os.environ.get("SENDWISE_FUZZ_FACTOR", "20"))


def examples(normal: int) -> int:
    return normal * FUZZ_FACTOR if FUZZ else normal


def bounded(normal: int) -> settings:
    """Settings for a property test: `normal` examples (more under fuzzing),
    no per-example deadline (timing is tracked apart, on a shared machine a
    deadline only makes flaky failures), and no health check complaining
    that long generated drafts are long: they are on purpose."""
    return settings(
        max_examples=examples(normal),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
        print_blob=True,
    )


@dataclass
class Slowest:
    """The slowest case seen, for the report at the end of a run."""

    seconds: float = 0.0
    what: str = ""
    count: int = 0
    total: float = field(default=0.0)

    def add(self, seconds: float, what: str) -> None:
        self.count += 1
        self.total += seconds
        if seconds > self.seconds:
            self.seconds, self.what = seconds, what
