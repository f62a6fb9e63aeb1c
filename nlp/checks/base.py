"""What a check is and what it returns.

A check is a plain function `(message, params) -> iterable of Hit` whose
docstring is its documentation: the first line is the title, then the sections
"What:", "Why:" and "Instead:". `sendwise explain`, the report's title and the
admin page all read that one text.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

SEVERITY_RANK = {"off": 0, "info": 1, "warn": 2, "block": 3}


@dataclass
class Hit:
    """One thing a check found. Templates are English msgids (see nlp.i18n)."""

    message: str
    suggestion: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)
    # A check may lower (never raise) the configured severity when it is unsure,
    # e.g. when a recipient's country is unknown.
    severity: str | None = None


@dataclass(frozen=True)
class Threshold:
    """A number an organisation's policy may set for a check.

    `stricter` says which direction makes the check fire more often: an
    inline policy in a request may only move a threshold that way from the
    stored one (see nlp.policy.tighten).
    """

    default: int | float
    minimum: int | float
    maximum: int | float
    unit: str
    stricter: str  # "lower" or "higher"
    description: str

    @property
    def kind(self) -> type:
        return float if isinstance(self.default, float) else int


@dataclass(frozen=True)
class Check:
    code: str
    severity: str
    func: Callable[..., Iterable[Hit]]
    thresholds: dict[str, Threshold] = field(default_factory=dict)
    # Checks that read the subject or body; skipped (and listed in the report's
    # `not_checked`) when the platform could not give the draft's text.
    needs_text: bool = True

    @property
    def params(self) -> dict[str, Any]:
        """The default value of each threshold."""
        return {name: t.default for name, t in self.thresholds.items()}

    @cached_property  # read for every finding of every report
    def doc(self) -> dict[str, str]:
        return parse_doc(inspect.getdoc(self.func) or "")

    @property
    def title(self) -> str:
        return self.doc["title"]

    @property
    def what(self) -> str:
        return self.doc["what"]

    @property
    def why(self) -> str:
        return self.doc["why"]

    @property
    def instead(self) -> str:
        return self.doc["instead"]


_SECTION = re.compile(r"^(What|Why|Instead):\s*", re.MULTILINE)


def parse_doc(doc: str) -> dict[str, str]:
    """Split a check docstring into title, what, why, instead (paragraphs joined to one line each)."""
    title, _, rest = doc.partition("\n")
    parts = _SECTION.split(rest)
    out = {"title": title.strip().rstrip("."), "what": "", "why": "", "instead": ""}
    for name, text in zip(parts[1::2], parts[2::2]):
        out[name.lower()] = " ".join(text.split())
    return out


def evidence(field_name: str, text: str, start: int | None = None, end: int | None = None) -> dict[str, Any]:
    e: dict[str, Any] = {"field": field_name}
    if start is not None:
        e["start"], e["end"] = start, end
    e["text"] = text
    return e
