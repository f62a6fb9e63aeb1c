"""backend/adapters/json_request.py: bytes -> request, or one clear reason."""

from __future__ import annotations

import pytest

from backend.adapters.json_request import MAX_DEPTH, parse_request
from backend.errors import BadRequest


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"\xff\xfe{}", "not UTF-8"),
        (b'{"draft": {}}\x00', "NUL"),
        (b"   ", "empty"),
        (b"{'draft': {}}", "malformed JSON"),
        (b'{"draft": {"n": Infinity}}', "Infinity is not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"draft": {}, "x": ' + b"[" * MAX_DEPTH + b"]" * MAX_DEPTH + b"}", "nested too deeply"),
        (b"null", "top level must be a JSON object, not null"),
        (b"3", "not a number"),
        (b'{"context": {}}', "missing 'draft'"),
        (b'{"draft": []}', "'draft' must be an object, not an array"),
        (b'{"draft": {}, "context": "x"}', "'context' must be an object"),
    ],
)
def test_bad_requests_have_a_one_line_reason(data, reason):
    with pytest.raises(BadRequest) as err:
        parse_request(data)
    assert reason in str(err.value)
    assert "\n" not in str(err.value)


def test_valid_request_keeps_unknown_keys_and_accepts_a_bom():
    data = '\ufeff{"draft": {"subject": "Grüße"}, "expect": {"must": []}, "context": null}'.encode()
    assert parse_request(data) == {"draft": {"subject": "Grüße"}, "expect": {"must": []}, "context": None}


def nested_lists(levels: int) -> bytes:
    return b'{"draft": {"x": ' + b"[" * levels + b"]" * levels + b"}}"


def test_nesting_up_to_the_limit_is_fine():
    # The top-level object and "draft" take two of the levels.
    assert parse_request(nested_lists(MAX_DEPTH - 2))["draft"]["x"]
    with pytest.raises(BadRequest, match="nested too deeply"):
        parse_request(nested_lists(MAX_DEPTH - 1))
