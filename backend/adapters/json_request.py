"""JSON bytes -> analysis request dict, refusing what would hurt later:
non-UTF-8 or binary data, malformed JSON, NaN/Infinity, a non-object top
level, nesting deeper than any real request, and a missing `draft`.
Field-level validation (addresses, types inside `draft`) is the engine's.
"""

from __future__ import annotations

import json
from typing import Any

from backend.errors import BadRequest

# The deepest real request is context.contacts[].interactions[].field (5);
# anything far deeper is an attack or a bug, refused before the engine walks it.
MAX_DEPTH = 32
# Longest string anywhere in a request (characters); the body cap bounds the
# whole, this bounds what one field can make a check chew on.
MAX_STRING = 1024 * 1024


def parse_request(data: bytes, *, max_string: int = MAX_STRING) -> dict[str, Any]:
    """Parse and shape-check an analysis request. Raises `BadRequest`."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadRequest("body is not UTF-8 text (binary data?)", "invalid_json") from None
    if "\x00" in text:
        raise BadRequest("body contains NUL characters (binary data?)", "invalid_json")
    if not text.strip():
        raise BadRequest("body is empty; expected a JSON object with a 'draft'", "invalid_json")
    try:
        payload = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise BadRequest(f"JSON is nested too deeply (limit {MAX_DEPTH} levels)", "invalid_json") from None
    except ValueError as exc:  # JSONDecodeError and _reject_constant
        raise BadRequest(f"malformed JSON: {_first_line(exc)}", "invalid_json") from None
    if _depth_exceeds(payload, MAX_DEPTH):
        raise BadRequest(f"JSON is nested too deeply (limit {MAX_DEPTH} levels)", "invalid_json")
    longest = _longest_string(payload)
    if longest > max_string:
        raise BadRequest(f"a JSON string is {longest} characters long; the limit is {max_string}", "invalid_json")
    return check_request_shape(payload)


def check_request_shape(payload: Any) -> dict[str, Any]:
    """The top level must be an object with an object `draft`; `context`, if
    present, an object. Unknown keys are kept (the engine ignores them)."""
    if not isinstance(payload, dict):
        raise BadRequest(f"top level must be a JSON object, not {_json_type(payload)}")
    if "draft" not in payload:
        raise BadRequest("missing 'draft': the request must contain the draft to analyse")
    if not isinstance(payload["draft"], dict):
        raise BadRequest(f"'draft' must be an object, not {_json_type(payload['draft'])}")
    if "context" in payload and payload["context"] is not None and not isinstance(payload["context"], dict):
        raise BadRequest(f"'context' must be an object, not {_json_type(payload['context'])}")
    return payload


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _depth_exceeds(value: Any, limit: int) -> bool:
    # Iterative on purpose: recursion is what we are protecting against.
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


def _longest_string(value: Any) -> int:
    longest, stack = 0, [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            longest = max(longest, len(item))
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return longest


def _json_type(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
