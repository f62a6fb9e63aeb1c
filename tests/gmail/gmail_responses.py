"""Gmail API responses in the shapes the API returns them (users.drafts
list/get, users.messages.get, errors), for googleapiclient's HttpMockSequence."""

from __future__ import annotations

import base64
import json
from typing import Any

OK = {"status": "200", "content-type": "application/json; charset=UTF-8"}


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def headers(**values: str) -> list[dict[str, str]]:
    return [{"name": k.replace("_", "-").title(), "value": v} for k, v in values.items()]


def drafts_list(*entries: tuple[str, str, str]) -> tuple[dict, bytes]:
    """(draft id, message id, thread id) per draft, newest first."""
    drafts = [{"id": d, "message": {"id": m, "threadId": t}} for d, m, t in entries]
    body: dict[str, Any] = (
        {"drafts": drafts, "resultSizeEstimate": len(drafts)} if drafts else {"resultSizeEstimate": 0}
    )
    return OK, json.dumps(body).encode()


def _message(message_id: str, thread_id: str, saved_ms: int, payload: dict) -> dict:
    return {
        "id": message_id,
        "threadId": thread_id,
        "labelIds": ["DRAFT"],
        "snippet": "",
        "payload": payload,
        "sizeEstimate": 2048,
        "historyId": "912345",
        "internalDate": str(saved_ms),
    }


def draft_metadata(draft_id: str, message_id: str, thread_id: str, saved_ms: int, **hdrs: str) -> tuple[dict, bytes]:
    payload = {"partId": "", "mimeType": "multipart/alternative", "filename": "", "headers": headers(**hdrs)}
    return OK, json.dumps({"id": draft_id, "message": _message(message_id, thread_id, saved_ms, payload)}).encode()


def draft_full(draft_id: str, message_id: str, thread_id: str, saved_ms: int, text: str, **hdrs: str):
    html = '<div dir="ltr">' + text.replace("\n", "<br>") + "</div>"
    payload = {
        "partId": "",
        "mimeType": "multipart/alternative",
        "filename": "",
        "headers": headers(**hdrs, content_type='multipart/alternative; boundary="000000000000abcdef"'),
        "body": {"size": 0},
        "parts": [
            {
                "partId": "0",
                "mimeType": "text/plain",
                "filename": "",
                "headers": headers(content_type='text/plain; charset="UTF-8"'),
                "body": {"size": len(text.encode()), "data": b64(text)},
            },
            {
                "partId": "1",
                "mimeType": "text/html",
                "filename": "",
                "headers": headers(content_type='text/html; charset="UTF-8"'),
                "body": {"size": len(html.encode()), "data": b64(html)},
            },
        ],
    }
    return OK, json.dumps({"id": draft_id, "message": _message(message_id, thread_id, saved_ms, payload)}).encode()


def message_metadata(message_id: str, sender: str) -> tuple[dict, bytes]:
    payload = {"partId": "", "mimeType": "multipart/alternative", "filename": "", "headers": headers(from_=sender)}
    payload["headers"] = [{"name": "From", "value": sender}]
    return OK, json.dumps(_message(message_id, message_id, 1764237600000, payload) | {"labelIds": ["INBOX"]}).encode()


def error(status: int, message: str, reason: str) -> tuple[dict, bytes]:
    statuses = {401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND", 500: "INTERNAL", 503: "UNAVAILABLE"}
    body = {
        "error": {
            "code": status,
            "message": message,
            "errors": [{"message": message, "domain": "global", "reason": reason}],
            "status": statuses.get(status, "UNKNOWN"),
        }
    }
    return {"status": str(status), "content-type": "application/json; charset=UTF-8"}, json.dumps(body).encode()


EXPIRED = error(
    401,
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid "
    "authentication credential.",
    "authError",
)
BACKEND_ERROR = error(500, "Backend Error", "backendError")
