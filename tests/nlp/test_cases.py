"""Every labelled draft in tests/cases: the expected codes appear, the excluded ones do not, the verdict matches.

`shared/` are the project's reference examples; `labeller1/`, `labeller2/`,
`labeller3/` are drafts labelled from the contract by people who did not read
the engine (docs/quality.md says which were used to tune it). Drafts listed in
`known_misses.txt` are expected to fail, strictly: fixing one means removing
its line.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlp import analyze
from nlp.contract import Report

CASES_DIR = Path(__file__).parent.parent / "cases"
CASES = sorted(CASES_DIR.glob("*/*.json"))
KNOWN_MISSES = {
    line.strip()
    for line in (CASES_DIR / "known_misses.txt").read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
}


def _param(path: Path):
    name = f"{path.parent.name}/{path.stem}"
    marks = [pytest.mark.xfail(strict=True, reason="known miss")] if name in KNOWN_MISSES else []
    return pytest.param(path, id=name, marks=marks)


@pytest.mark.parametrize("path", [_param(p) for p in CASES])
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


def test_every_known_miss_is_a_case():
    assert KNOWN_MISSES.issubset(f"{p.parent.name}/{p.stem}" for p in CASES)
