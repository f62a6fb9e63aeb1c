#!/usr/bin/env python3
"""Score labelled drafts: how much of what the labellers expect the engine gets right.

    .venv/bin/python scripts/score_cases.py tests/cases/labeller3          # one set
    .venv/bin/python scripts/score_cases.py tests/cases/*/ --per-code      # every set, with a line per code
    .venv/bin/python scripts/score_cases.py DIR --misses                   # also list each miss
    .venv/bin/python scripts/score_cases.py tests/cases/*/ --known-misses  # rewrite tests/cases/known_misses.txt

Each file is an analysis request with `expect.must` (codes that must be
reported), `expect.must_not` (codes that must not) and optionally
`expect.verdict`. Per set it prints: drafts entirely right, recall (expected
codes found), must-not violations (excluded codes raised), verdicts right.
These are the figures docs/quality.md records; the test suite
(tests/nlp/test_cases.py) asserts every draft is right.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@dataclass
class Score:
    drafts: int = 0
    right: int = 0
    must: int = 0
    found: int = 0
    must_not: int = 0
    raised: int = 0
    verdicts: int = 0
    verdicts_right: int = 0
    per_code: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0, 0]))
    misses: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)

    def line(self, name: str) -> str:
        def pct(a: int, b: int) -> str:
            return f"{a}/{b} ({100 * a / b:.1f} %)" if b else "-"

        return (
            f"{name}: drafts right {pct(self.right, self.drafts)}; recall {pct(self.found, self.must)}; "
            f"must-not raised {pct(self.raised, self.must_not)}; verdict right {pct(self.verdicts_right, self.verdicts)}"
        )


def score(paths: list[Path]) -> Score:
    from nlp import analyze

    s = Score()
    for path in paths:
        case = json.loads(path.read_text(encoding="utf-8"))
        expect = case.get("expect", {})
        report = analyze({k: case[k] for k in ("draft", "context") if k in case})
        got = {f["code"] for f in report["findings"]}
        wrong = False
        for code in expect.get("must", []):
            s.must += 1
            s.per_code[code][1] += 1
            if code in got:
                s.found += 1
                s.per_code[code][0] += 1
            else:
                wrong = True
                s.misses.append(f"{path.stem}: missed {code}")
        for code in expect.get("must_not", []):
            s.must_not += 1
            s.per_code[code][3] += 1
            if code in got:
                s.raised += 1
                s.per_code[code][2] += 1
                wrong = True
                s.misses.append(f"{path.stem}: wrongly raised {code}")
        if "verdict" in expect:
            s.verdicts += 1
            if report["verdict"] == expect["verdict"]:
                s.verdicts_right += 1
            else:
                wrong = True
                s.misses.append(f"{path.stem}: verdict {report['verdict']} instead of {expect['verdict']}")
        s.drafts += 1
        s.right += not wrong
        if wrong:
            s.wrong.append(f"{path.parent.name}/{path.stem}")
    return s


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sets", nargs="+", type=Path, help="folders of labelled drafts (*.json)")
    parser.add_argument("--per-code", action="store_true", help="a line per finding code")
    parser.add_argument("--misses", action="store_true", help="list every miss")
    parser.add_argument(
        "--known-misses", action="store_true", help="write the drafts still wrong to tests/cases/known_misses.txt"
    )
    args = parser.parse_args(argv)
    wrong: list[str] = []
    for folder in args.sets:
        s = score(sorted(folder.glob("*.json")))
        print(s.line(folder.name))
        if args.misses:
            for miss in s.misses:
                print(f"  {miss}")
        if args.per_code:
            for code, (hit, want, bad, checked) in sorted(s.per_code.items()):
                print(f"  {code:40s} found {hit}/{want}  wrongly raised {bad}/{checked}")
        wrong += s.wrong
    if args.known_misses:
        path = ROOT / "tests" / "cases" / "known_misses.txt"
        header = [line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("#")]
        path.write_text("\n".join([*header, "", *sorted(wrong)]) + "\n", encoding="utf-8")
        print(f"{path.relative_to(ROOT)}: {len(wrong)} drafts")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
