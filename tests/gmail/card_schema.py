"""Validation of what the add-on returns against Google's own definitions.

Cards: the `GoogleAppsCardV1*` schemas of the discovery document that
ships inside google-api-python-client (chat.v1.json). Discovery schemas
have no `required` and no `additionalProperties: false`, so this walker
treats every property not declared as an error, checks JSON types and
enums, and follows `$ref`s by name.

The add-on response wrappers (`action.navigations[].pushCard`,
`renderActions`, `notification`, `hostAppAction.gmailAction.
updateDraftActionMarkup`) are not in any shipped discovery document; they
are written below in the same form, from the add-on's RPC reference
(google.apps.card.v1 / gmail client action markup), with the fields Gmail
requires (`updateBody.type`, one target per navigation) checked as well.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import googleapiclient

DISCOVERY = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents" / "chat.v1.json"

_S = {"type": "string"}
_B = {"type": "boolean"}
WRAPPERS: dict[str, dict[str, Any]] = {
    "AddonResponse": {
        "properties": {"action": {"$ref": "AddonAction"}, "renderActions": {"$ref": "RenderActions"}},
    },
    "RenderActions": {"properties": {"action": {"$ref": "AddonAction"}, "hostAppAction": {"$ref": "HostAppAction"}}},
    "AddonAction": {
        "properties": {
            "navigations": {"type": "array", "items": {"$ref": "Navigation"}},
            "notification": {"$ref": "Notification"},
            "link": {"$ref": "GoogleAppsCardV1OpenLink"},
        }
    },
    "Navigation": {
        "properties": {
            "pushCard": {"$ref": "GoogleAppsCardV1Card"},
            "updateCard": {"$ref": "GoogleAppsCardV1Card"},
            "popToRoot": _B,
            "pop": _B,
            "popToCard": _S,
        }
    },
    "Notification": {"properties": {"text": _S}},
    "HostAppAction": {"properties": {"gmailAction": {"$ref": "GmailClientActionMarkup"}}},
    "GmailClientActionMarkup": {
        "properties": {
            "updateDraftActionMarkup": {"$ref": "UpdateDraftActionMarkup"},
            "openCreatedDraftActionMarkup": {"$ref": "OpenCreatedDraftActionMarkup"},
        }
    },
    "OpenCreatedDraftActionMarkup": {"properties": {"draftId": _S, "draftStorageId": _S, "draftThreadId": _S}},
    "UpdateDraftActionMarkup": {
        "properties": {
            "updateBody": {"$ref": "UpdateBody"},
            "updateSubject": {"$ref": "UpdateSubject"},
            "updateToRecipients": {"$ref": "UpdateRecipients"},
            "updateCcRecipients": {"$ref": "UpdateRecipients"},
            "updateBccRecipients": {"$ref": "UpdateRecipients"},
        }
    },
    "UpdateBody": {
        "properties": {
            "insertContents": {"type": "array", "items": {"$ref": "InsertContent"}},
            "type": {
                "type": "string",
                "enum": ["UNSPECIFIED_ACTION_TYPE", "IN_PLACE_INSERT", "INSERT_AT_START", "INSERT_AT_END"],
            },
        }
    },
    "InsertContent": {
        "properties": {
            "content": _S,
            "contentType": {
                "type": "string",
                "enum": ["UNSPECIFIED_CONTENT_TYPE", "TEXT", "MUTABLE_HTML", "IMMUTABLE_HTML"],
            },
        }
    },
    "UpdateSubject": {"properties": {"subject": _S}},
    "UpdateRecipients": {"properties": {"recipients": {"type": "array", "items": {"$ref": "Recipient"}}}},
    "Recipient": {"properties": {"email": _S}},
}
# A widget is a oneof in the proto: exactly one of these per widget.
WIDGET_KINDS = {
    "textParagraph", "image", "decoratedText", "buttonList", "textInput", "selectionInput", "dateTimePicker",
    "divider", "grid", "columns", "carousel", "chipList",
}  # fmt: skip


@cache
def schemas() -> dict[str, dict[str, Any]]:
    doc = json.loads(DISCOVERY.read_text(encoding="utf-8"))
    return {**doc["schemas"], **WRAPPERS}


def errors(value: Any, ref: str = "AddonResponse") -> list[str]:
    out: list[str] = []
    _walk(value, {"$ref": ref}, "$", out)
    return out


def card_errors(card: Any) -> list[str]:
    return errors(card, "GoogleAppsCardV1Card")


def _walk(value: Any, schema: dict[str, Any], path: str, out: list[str]) -> None:
    if "$ref" in schema:
        name = schema["$ref"]
        definition = schemas()[name]
        if not isinstance(value, dict):
            out.append(f"{path}: expected an object ({name}), got {type(value).__name__}")
            return
        props = definition.get("properties", {})
        for key, item in value.items():
            if key not in props:
                out.append(f"{path}.{key}: unknown field of {name}")
            else:
                _walk(item, props[key], f"{path}.{key}", out)
        _extra_rules(name, value, path, out)
        return
    kind = schema.get("type")
    if kind == "string":
        if not isinstance(value, str):
            out.append(f"{path}: expected a string, got {type(value).__name__}")
        elif "enum" in schema and value not in schema["enum"]:
            out.append(f"{path}: {value!r} is not one of {schema['enum']}")
    elif kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            out.append(f"{path}: expected an integer, got {type(value).__name__}")
    elif kind == "number":
        if not isinstance(value, int | float) or isinstance(value, bool):
            out.append(f"{path}: expected a number, got {type(value).__name__}")
    elif kind == "boolean":
        if not isinstance(value, bool):
            out.append(f"{path}: expected a boolean, got {type(value).__name__}")
    elif kind == "array":
        if not isinstance(value, list):
            out.append(f"{path}: expected an array, got {type(value).__name__}")
            return
        for i, item in enumerate(value):
            _walk(item, schema["items"], f"{path}[{i}]", out)
    elif kind == "object":
        if not isinstance(value, dict):
            out.append(f"{path}: expected an object, got {type(value).__name__}")
        elif "additionalProperties" in schema:
            for key, item in value.items():
                _walk(item, schema["additionalProperties"], f"{path}.{key}", out)
    elif kind == "any":
        pass
    else:
        out.append(f"{path}: schema without a type ({schema})")


def _extra_rules(name: str, value: dict, path: str, out: list[str]) -> None:
    if name == "GoogleAppsCardV1Widget":
        kinds = WIDGET_KINDS & value.keys()
        if len(kinds) != 1:
            out.append(f"{path}: a widget must have exactly one kind, has {sorted(kinds) or 'none'}")
    elif name == "Navigation" and len(value) != 1:
        out.append(f"{path}: a navigation has exactly one target")
    elif name == "UpdateBody" and "type" not in value:
        out.append(f"{path}: Gmail requires updateBody.type")
    elif name == "AddonResponse" and len(value) != 1:
        out.append(f"{path}: a response is either 'action' or 'renderActions'")
    elif name == "GoogleAppsCardV1Action" and "function" not in value:
        out.append(f"{path}: an action needs its function (the endpoint URL)")


def assert_valid(response: Any, ref: str = "AddonResponse") -> None:
    found = errors(response, ref)
    assert not found, "\n".join(found[:20])
