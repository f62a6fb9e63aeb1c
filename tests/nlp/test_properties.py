"""Properties of `nlp.analyze` over generated requests (hypothesis):

- any request that keeps the contract gets a report, never an exception,
  and the report validates against the contract's `Report` model and
  agrees with itself (verdict from the findings' severities, findings
  only about the draft's recipients);
- any request that breaks it gets `InvalidRequest` with a one-line reason,
  never another exception.

Bounded example counts in the normal run; `make fuzz` runs many more
(tests/fuzzing.py). The slowest analysis met is printed at the end."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from hypothesis import given

import nlp
from nlp.contract import Report
from tests.fuzzing import Slowest, bounded
from tests.nlp.strategies import invalid_requests, requests

RANK = {"info": 1, "warn": 2, "block": 3}
slowest = Slowest()


@pytest.fixture(scope="module", autouse=True)
def _report_slowest():
    nlp.warm_up()  # loading the pipeline is not the first example's time
    yield
    if slowest.count:
        print(
            f"\nnlp.analyze over {slowest.count} generated requests: slowest {slowest.seconds * 1000:.0f} ms "
            f"({slowest.what}), mean {slowest.total / slowest.count * 1000:.1f} ms"
        )


def _shape(request: dict[str, Any]) -> str:
    draft = request["draft"]
    body = draft.get("body")
    size = len(body) if isinstance(body, str) else sum(len(v or "") for v in (body or {}).values())
    recipients = sum(len(draft.get(f) or ()) for f in ("to", "cc", "bcc"))
    return f"{recipients} recipients, body {size:,} chars, {len(request['context'].get('history') or ())} history"


@bounded(80)
@given(requests())
def test_a_valid_request_gets_a_valid_report(request):
    started = time.perf_counter()
    report = nlp.analyze(request)
    slowest.add(time.perf_counter() - started, _shape(request))

    parsed = Report.model_validate(report)
    json.dumps(report)  # what the API sends
    worst = max((RANK[f.severity] for f in parsed.findings), default=0)
    assert parsed.verdict == {0: "ok", 1: "ok", 2: "review", 3: "block"}[worst]
    draft = nlp.parse_request(request).draft
    recipients = {a.email for a in draft.recipients}
    for finding in parsed.findings:
        assert set(finding.recipients) <= recipients, finding.code
        assert finding.message.strip() and "\n" not in finding.title
    assert {r.email for r in parsed.recipients} <= recipients


@bounded(120)
@given(invalid_requests())
def test_an_invalid_request_gets_a_one_line_reason_and_nothing_else(request):
    try:
        report = nlp.analyze(request)
    except nlp.InvalidRequest as exc:
        reason = str(exc)
        assert reason.strip() and "\n" not in reason, repr(reason)
        assert getattr(exc, "code", "invalid_request")
        return
    # Some replacements still keep the contract (null for an optional field, an ignored key).
    Report.model_validate(report)
