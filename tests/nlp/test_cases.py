"""Every labelled draft in tests/cases: the expected codes appear, the excluded ones do not, the verdict matches.

`shared/` are the project's reference examples; `extra/` are more drafts of the
same families, labelled from the contract without looking at the engine.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlp import analyze
from nlp.contract import Report

CASES = sorted((Path(__file__).parent.parent / "cases").glob("*/*.json"))


@pytest.mark.parametrize("path", CASES, ids=[f"{p.parent.name}/{p.stem}" for p in CASES])
def test_case(path: Path):
    case = json.loads(path.read_text(encoding="utf-8"))
    report = analyze(case)  # unknown keys (id, notes, expect) are ignored
    Report.model_validate(report)  # the report is what its schema says
    got = {f["code"] for f in report["findings"]}
    expect = case["expect"]
    assert set(expect.get("must", [])) - got == set(), case.get("notes")
    assert set(expect.get("must_not", [])) & got == set(), case.get("notes")
    if "verdict" in expect:
        assert report["verdict"] == expect["verdict"], case.get("notes")


def test_there_are_cases():
    assert len(CASES) >= 16
