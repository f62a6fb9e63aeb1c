"""The spaCy pipeline: a blank tokenizer plus a SpanRuler loaded from `patterns/`.

No trained model is needed (nor downloaded). If `SENDWISE_SPACY_MODEL` names an
installed pipeline, it is used as the base instead, so its tokenizer and
components can improve matching; the rules stay the same.

Patterns are data (`patterns/*.jsonl`): each row has a `label`, an `id`
(the family a phrase belongs to, which is what checks count) and either a
`pattern` (a phrase string or a list of token dicts) or a `regex` for scripts
the tokenizer does not split, such as Chinese. Spans may overlap: one phrase
can be both spam-like and promotional.
"""

from __future__ import annotations

import functools
import json
import os
import re
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any, cast

from .text import blank

if TYPE_CHECKING:
    from spacy.pipeline import SpanRuler

SPANS_KEY = "sendwise"
_LONG_RUN = re.compile(r"\S{100,}")
# No phrase spans this much white space; the text is tokenized piece by piece
# between such gaps, because spaCy's affix search on one huge white-space
# token (a blanked run, a long body's unread middle) is slow.
_GAP = re.compile(r"\s{64,}")


@dataclass(frozen=True, slots=True)
class Match:
    label: str
    id: str
    start: int  # character offsets into the analysed text
    end: int
    text: str


class PatternError(ValueError):
    """A pattern file is malformed; raised at start-up, never at analysis time."""


def _load_rows(*files: str) -> list[dict]:
    rows = []
    for name in files:
        text = resources.files("nlp.patterns").joinpath(name).read_text(encoding="utf-8")
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise PatternError(f"{name}:{n}: not JSON ({e.msg})") from None
            if (
                not isinstance(row, dict)
                or "label" not in row
                or "id" not in row
                or ("pattern" in row) == ("regex" in row)
            ):
                raise PatternError(f"{name}:{n}: needs label, id and exactly one of pattern/regex")
            rows.append(row)
    return rows


class Matcher:
    """Finds every pattern span of some pattern files in a text. Built once per process."""

    def __init__(self, *files: str) -> None:
        import spacy  # here, not at import time: commands that never analyse should not pay for it
        from spacy.matcher import Matcher as SpacyMatcher

        model = os.environ.get("SENDWISE_SPACY_MODEL")
        self.nlp = spacy.load(model, exclude=["ner"]) if model else spacy.blank("en")
        rows = _load_rows(*files)
        phrases = [
            {"label": r["label"], "id": r["id"], "pattern": r["pattern"]}
            for r in rows
            if isinstance(r.get("pattern"), str)
        ]
        if phrases:
            # add_pipe is typed to return any pipe; "span_ruler" makes a SpanRuler.
            ruler = cast(
                "SpanRuler",
                self.nlp.add_pipe(
                    "span_ruler",
                    config={
                        "spans_key": SPANS_KEY,
                        "phrase_matcher_attr": "LOWER",
                        "validate": True,
                        "spans_filter": None,
                        "annotate_ents": False,
                        "overwrite": True,
                    },
                ),
            )
            ruler.add_patterns(phrases)
        # Token patterns cost time at every token of every text; most need a
        # word the text rarely holds, so each runs only where one of its
        # trigger words occurs (phrases go through the hash-based phrase matcher).
        groups: dict[tuple[frozenset[str], ...], Any] = {}
        for r in rows:
            if isinstance(r.get("pattern"), list):
                triggers = _triggers(r["pattern"])
                group = groups.setdefault(triggers, SpacyMatcher(self.nlp.vocab, validate=True))
                group.add(f"{r['label']}\t{r['id']}", [r["pattern"]])
        self._token_groups = list(groups.items())
        self._regexes = [(r["label"], r["id"], re.compile(r["regex"])) for r in rows if "regex" in r]

    def __call__(self, text: str) -> list[Match]:
        # No phrase lives inside a 100-character run without spaces (long URLs,
        # pasted junk), and the tokenizer's prefix/suffix splitting is quadratic
        # on such runs; blanking them keeps offsets and bounds the cost.
        text_blanked = blank(text, _LONG_RUN)
        pieces, start = [], 0
        for gap in _GAP.finditer(text_blanked):
            pieces.append((start, gap.start()))
            start = gap.end()
        pieces = [(a, b) for a, b in [*pieces, (start, len(text_blanked))] if b > a]
        out = []
        strings = self.nlp.vocab.strings
        for (offset, _), doc in zip(pieces, self.nlp.pipe(text_blanked[a:b] for a, b in pieces)):
            out += [
                Match(s.label_, s.id_, offset + s.start_char, offset + s.end_char, s.text)
                for s in doc.spans.get(SPANS_KEY, ())
            ]
            words = {strings[h] for h in set(doc.to_array("LOWER").tolist())}
            for triggers, group in self._token_groups:
                if any(trigger.isdisjoint(words) for trigger in triggers):
                    continue
                for key, start, end in group(doc):
                    label, _, id_ = strings[key].partition("\t")
                    span = doc[start:end]
                    out.append(Match(label, id_, offset + span.start_char, offset + span.end_char, span.text))
        for label, id_, rx in self._regexes:
            out.extend(Match(label, id_, m.start(), m.end(), m.group(0)) for m in rx.finditer(text))
        return out


def _triggers(pattern: list[dict]) -> tuple[frozenset[str], ...]:
    """For each required token of `pattern` that names words, those words: a
    text can match only if it holds one word of every set."""
    out = []
    for token in pattern:
        op = token.get("OP", "")
        if op in ("?", "*", "!") or op.startswith("{0"):
            continue
        for key in ("LOWER", "ORTH", "TEXT", "NORM"):
            value = token.get(key)
            if isinstance(value, str):
                out.append(frozenset({value.lower()}))
                break
            if isinstance(value, dict) and "IN" in value:
                out.append(frozenset(str(w).lower() for w in value["IN"]))
                break
    return tuple(out)


@functools.cache
def matcher() -> Matcher:
    """Phrases: spam, promotion, transactions, opt-out, ad labels, references to the reader's business."""
    return Matcher("phrases.jsonl")


@functools.cache
def address_matcher() -> Matcher:
    """Postal-address shapes; run on signatures only, where the sender's address belongs."""
    return Matcher("address.jsonl")
