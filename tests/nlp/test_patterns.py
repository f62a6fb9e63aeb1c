"""The phrase catalogue (nlp/patterns/phrases.jsonl) against its documentation (families.json).

Every family a row of phrases.jsonl belongs to, a (label, id) pair such as
PROMO/offer, is described in families.json with sentences it must find and
sentences a naive rule would wrongly find and it must not. A new row that
breaks one of them, a family nobody documented, or a row added twice fails here.
"""

from __future__ import annotations

import json
from collections import Counter
from importlib import resources

import pytest

from nlp.pipeline import matcher

PATTERNS = resources.files("nlp.patterns")
ROWS = [
    json.loads(line)
    for line in PATTERNS.joinpath("phrases.jsonl").read_text(encoding="utf-8").splitlines()
    if line.strip()
]
FAMILIES = json.loads(PATTERNS.joinpath("families.json").read_text(encoding="utf-8"))


def _family(key: str) -> tuple[str, str]:
    label, _, id_ = key.partition("/")
    return label, id_


def _found(sentence: str) -> set[tuple[str, str]]:
    return {(m.label, m.id) for m in matcher()(sentence)}


MUST = [(key, s) for key, doc in FAMILIES.items() for s in doc["must_match"]]
MUST_NOT = [(key, s) for key, doc in FAMILIES.items() for s in doc["must_not_match"]]


@pytest.mark.parametrize(("family", "sentence"), MUST, ids=[f"{k}: {s[:40]}" for k, s in MUST])
def test_family_finds_its_sentences(family: str, sentence: str):
    assert _family(family) in _found(sentence)


@pytest.mark.parametrize(("family", "sentence"), MUST_NOT, ids=[f"{k}: {s[:40]}" for k, s in MUST_NOT])
def test_family_leaves_other_sentences_alone(family: str, sentence: str):
    found = [m.text for m in matcher()(sentence) if (m.label, m.id) == _family(family)]
    assert not found, f"{family} wrongly matched {found}"


def test_every_family_is_documented_and_every_documented_family_exists():
    in_rows = {f"{r['label']}/{r['id']}" for r in ROWS}
    assert in_rows - FAMILIES.keys() == set(), "families in phrases.jsonl without a families.json entry"
    assert FAMILIES.keys() - in_rows == set(), "families.json entries no row of phrases.jsonl belongs to"


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_family_documentation_is_complete(family: str):
    doc = FAMILIES[family]
    assert set(doc) == {"description", "must_match", "must_not_match"}
    assert doc["description"].strip()
    assert len(doc["must_match"]) >= 3
    assert len(doc["must_not_match"]) >= 2


def test_no_row_is_a_duplicate():
    keys = Counter(json.dumps(r, ensure_ascii=False, sort_keys=True) for r in ROWS)
    assert [k for k, n in keys.items() if n > 1] == []


def _case_texts() -> list[str]:
    cases = resources.files("tests").joinpath("cases")
    out = []
    for folder in cases.iterdir():
        for path in folder.iterdir() if folder.is_dir() else ():
            if not path.name.endswith(".json"):
                continue
            draft = json.loads(path.read_text(encoding="utf-8"))["draft"]
            body = draft.get("body") or {}
            out += [t for t in (draft.get("subject"), body.get("text"), body.get("html")) if isinstance(t, str)]
    return out


def test_the_matchers_shortcuts_skip_only_what_cannot_match(monkeypatch):
    """Token-pattern groups run only where their words occur in order and
    close enough, compound-word regexes only where their word occurs: on
    every labelled draft and documented sentence, the matches are exactly
    those of running every pattern everywhere."""
    from nlp import pipeline

    catalogue = matcher()
    texts = [*_case_texts(), *(s for _, s in MUST), *(s for _, s in MUST_NOT)]
    assert len(texts) > 800

    def spans(text: str) -> list[tuple[str, str, int, int]]:
        return sorted((m.label, m.id, m.start, m.end) for m in catalogue(text))

    shortcut = [spans(t) for t in texts]
    monkeypatch.setattr(pipeline._TokenGroup, "may_match", lambda self, present, positions: True)
    monkeypatch.setattr(catalogue, "_regexes", [(label, id_, rx, "") for label, id_, rx, _ in catalogue._regexes])
    everywhere = [spans(t) for t in texts]
    assert [t for t, a, b in zip(texts, shortcut, everywhere) if a != b] == []


def test_trigger_gaps_follow_the_pattern():
    from nlp.pipeline import _triggers

    company = [
        {"LOWER": "we"},
        {"LOWER": {"IN": ["are", "'re"]}},
        {"IS_TITLE": True},
        {"IS_TITLE": True, "OP": "*"},
        {"TEXT": {"IN": ["Co.", "GmbH"]}},
    ]
    assert [gap for _, gap in _triggers(company)] == [1, 1, None]
    asking = [
        {"LOWER": "send"},
        {"LOWER": {"IN": ["us", "me"]}},
        {"LOWER": "your", "OP": "?"},
        {"IS_ALPHA": True, "OP": "{0,3}"},
        {"LOWER": "price", "OP": "+"},
        {"LOWER": "list"},
    ]
    assert [(sorted(words), gap) for words, gap in _triggers(asking)] == [
        (["send"], 1),
        (["me", "us"], 1),
        (["price"], 5),  # after "us": "your", three words, then "price"
        (["list"], None),  # "price" may repeat
    ]


def test_a_token_group_needs_its_words_in_order_and_close():
    from spacy.matcher import Matcher as SpacyMatcher

    from nlp.pipeline import _TokenGroup

    vocab = matcher().nlp.vocab
    our, new = vocab.strings.add("our"), vocab.strings.add("new")
    group = _TokenGroup((frozenset({our}), frozenset({new})), [None, 2], SpacyMatcher(vocab))

    def may_match(text: str) -> bool:
        positions: dict[int, list[int]] = {}
        for i, token in enumerate(matcher().nlp.make_doc(text)):
            positions.setdefault(token.lower, []).append(i)
        return group.may_match(set(positions), positions)

    assert may_match("See our new range.")
    assert may_match("Our very new range.")  # two tokens on
    assert not may_match("A new range, as our team said.")  # both words, wrong order
    assert not may_match("Our team has a new range.")  # in order, too far apart
    assert not may_match("See our range.")
