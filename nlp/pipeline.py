"""The spaCy pipeline: a blank tokenizer plus a SpanRuler loaded from `patterns/`.

No trained model is needed (nor downloaded). If `SENDWISE_SPACY_MODEL` names an
installed pipeline, it is used as the base instead, so its tokenizer and
components can improve matching; the rules stay the same.

Patterns are data (`patterns/*.jsonl`): each row has a `label`, an `id`
(the family a phrase belongs to, which is what checks count) and either a
`pattern` (a phrase string or a list of token dicts) or a `regex` for scripts
the tokenizer does not split, such as Chinese. A `regex` row may name what
it `requires`: a lower-case text every match holds, so that the regex runs
only on texts that contain it. Spans may overlap: one phrase can be both
spam-like and promotional.
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
_LONG_RUN = re.compile(r"(?<!\S)\S{100,}")  # tried at word starts only
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
            requires = row.get("requires")
            if requires is not None and (
                "regex" not in row or not isinstance(requires, str) or requires != requires.lower()
            ):
                raise PatternError(f"{name}:{n}: requires is a lower-case text that every match of its regex holds")
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
        # Token patterns cost time at every token of every text (spaCy's
        # matcher walks the whole doc in Python); most need words the text
        # rarely holds, in order and close together, so each group runs only
        # where its trigger words occur that way (phrases go through the
        # hash-based phrase matcher).
        groups: dict[tuple[frozenset[int], ...], _TokenGroup] = {}
        for r in rows:
            if isinstance(r.get("pattern"), list):
                triggers = _triggers(r["pattern"])
                words = tuple(frozenset(self.nlp.vocab.strings.add(w) for w in ws) for ws, _ in triggers)
                if words not in groups:
                    groups[words] = _TokenGroup(
                        words, [gap for _, gap in triggers], SpacyMatcher(self.nlp.vocab, validate=True)
                    )
                group = groups[words]
                group.matcher.add(f"{r['label']}\t{r['id']}", [r["pattern"]])
                group.gaps = [
                    None if a is None or b is None else max(a, b) for a, b in zip(group.gaps, (g for _, g in triggers))
                ]
        self._token_groups = list(groups.values())
        # Group numbers by each word of their smallest word set: a doc's words
        # pick the groups worth a closer look with one set intersection.
        self._groups_by_word: dict[int, list[int]] = {}
        self._unconditional: set[int] = set()
        for n, group in enumerate(self._token_groups):
            if not group.words:
                self._unconditional.add(n)
            for h in min(group.words, key=len, default=()):
                self._groups_by_word.setdefault(h, []).append(n)
        self._group_words = set(self._groups_by_word)
        self._regexes = [
            (r["label"], r["id"], re.compile(r["regex"]), r.get("requires", "")) for r in rows if "regex" in r
        ]

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
            positions: dict[int, list[int]] = {}
            for i, h in enumerate(doc.to_array("LOWER").tolist()):
                positions.setdefault(h, []).append(i)
            present = set(positions)
            candidates = {n for h in present & self._group_words for n in self._groups_by_word[h]}
            for n in sorted(candidates | self._unconditional):
                group = self._token_groups[n]
                if not group.may_match(present, positions):
                    continue
                for key, start, end in group.matcher(doc):
                    label, _, id_ = strings[key].partition("\t")
                    span = doc[start:end]
                    out.append(Match(label, id_, offset + span.start_char, offset + span.end_char, span.text))
        lowered = text.lower()
        for label, id_, rx, requires in self._regexes:
            # Compound-word patterns scan every word start; skip them when their word is absent.
            if requires in lowered:
                out.extend(Match(label, id_, m.start(), m.end(), m.group(0)) for m in rx.finditer(text))
        return out


@dataclass(slots=True)
class _TokenGroup:
    """Token patterns that need the same words in the same order (`_triggers`)."""

    words: tuple[frozenset[int], ...]  # LOWER hashes
    gaps: list[int | None]  # most tokens from one trigger to the next, over the group's patterns
    matcher: Any

    def may_match(self, present: set[int], positions: dict[int, list[int]]) -> bool:
        """Whether the doc holds one word of each set in order and close
        enough (`present`: its tokens' LOWER hashes; `positions`: where each is)."""
        if any(words.isdisjoint(present) for words in self.words):
            return False
        reach: list[int] = []
        for i, (words, gap) in enumerate(zip(self.words, self.gaps)):
            found = sorted(p for h in words & present for p in positions[h])
            reach = (
                found if i == 0 else [q for q in found if any(p < q and (gap is None or q - p <= gap) for p in reach)]
            )
            if not reach:
                return False
        return True


def _triggers(pattern: list[dict]) -> tuple[tuple[frozenset[str], int | None], ...]:
    """For each required token of `pattern` that names words: those words,
    and at most how many tokens after the previous such token it comes (None:
    any number). A text can match only if it holds one word of every set,
    in that order, that close."""
    out: list[tuple[frozenset[str], int | None]] = []
    since: int | None = 0  # most tokens a match spends after the last trigger
    for token in pattern:
        op = token.get("OP", "")
        words, most = _words(token), _most(op)
        if words is not None and not (op in ("?", "*", "!") or op.startswith("{0")):
            out.append((words, None if since is None else since + 1))
            since = None if most is None else most - 1
        else:
            since = None if since is None or most is None else since + most
    return tuple(out)


def _most(op: str) -> int | None:
    """How many tokens a pattern token with this operator takes at most (None: any number)."""
    if op in ("*", "+") or (op.startswith("{") and op.rstrip("}").endswith(",")):
        return None
    if op.startswith("{"):
        return int(op.strip("{}").split(",")[-1])
    return 1  # none, "?" and "!" (one token that is not the pattern)


def _words(token: dict) -> frozenset[str] | None:
    for key in ("LOWER", "ORTH", "TEXT", "NORM"):
        value = token.get(key)
        if isinstance(value, str):
            return frozenset({value.lower()})
        if isinstance(value, dict) and "IN" in value:
            return frozenset(str(w).lower() for w in value["IN"])
    return None


@functools.cache
def matcher() -> Matcher:
    """Phrases: spam, promotion, transactions, opt-out, ad labels, references to the reader's business."""
    return Matcher("phrases.jsonl")


@functools.cache
def address_matcher() -> Matcher:
    """Postal-address shapes; run on signatures only, where the sender's address belongs."""
    return Matcher("address.jsonl")
