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
