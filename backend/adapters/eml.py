"""A saved draft (`.eml`, RFC 5322/MIME) -> analysis request.

Mapping:
  From / To / Cc / Bcc      -> draft.from / to / cc / bcc ({"name"?, "email"}; groups flattened)
  Subject                   -> draft.subject (RFC 2047 decoded)
  text/plain, text/html     -> draft.body.text / body.html (the body parts, not attachments)
  other leaf parts          -> draft.attachments ({"name", "size" in decoded bytes, "content_type"});
                               inline images referenced by Content-ID stay part of the HTML
  In-Reply-To / References  -> draft.thread ({"is_reply", "previous_messages"})
  remaining headers         -> draft.headers (List-Unsubscribe, Reply-To, Message-ID, ...)
"""

from __future__ import annotations

from collections.abc import Iterator
from email import policy
from email.message import EmailMessage, Message, MIMEPart
from email.parser import BytesParser
from typing import Any

from backend.errors import BadRequest

_ADDRESS_FIELDS = {"from": "From", "to": "To", "cc": "Cc", "bcc": "Bcc"}
# Headers represented elsewhere in the request, or describing MIME structure only.
_NOT_COPIED = {
    "from",
    "to",
    "cc",
    "bcc",
    "subject",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "content-disposition",
    "content-id",
}


def parse_eml(data: bytes) -> dict[str, Any]:
    """Parse a saved draft into `{"draft": {...}}`. Raises `BadRequest` when
    `data` is not a message (binary junk, no recognisable headers)."""
    if b"\x00" in data:
        raise BadRequest("input is binary data, not an email message", "invalid_eml")
    try:
        return _parse(BytesParser(policy=policy.default).parsebytes(data))
    except (AttributeError, IndexError, TypeError, AssertionError) as exc:
        # The stdlib header parser still crashes on some malformed headers
        # (e.g. "To: a@[1.2.3"); that is bad input, not our failure.
        raise BadRequest(f"malformed message headers ({type(exc).__name__})", "invalid_eml") from None


def _parse(msg: EmailMessage) -> dict[str, Any]:
    if not any(msg.get(h) for h in ("From", "To", "Cc", "Bcc", "Subject")):
        raise BadRequest("not an email message: no From, To, Cc, Bcc or Subject header", "invalid_eml")

    draft: dict[str, Any] = {}
    for key, header in _ADDRESS_FIELDS.items():
        addresses = _addresses(msg, header)
        if key == "from":
            if addresses:
                draft["from"] = addresses[0]
        else:
            draft[key] = addresses
    draft["subject"] = str(msg.get("Subject", ""))

    text_part = msg.get_body(preferencelist=("plain",))
    html_part = msg.get_body(preferencelist=("html",))
    draft["body"] = {"text": _text(text_part), "html": _text(html_part)}
    draft["attachments"] = [
        _attachment(part)
        for part in _leaves(msg)
        if part is not text_part and part is not html_part and _is_attachment(part)
    ]
    draft["thread"] = _thread(msg)
    headers = {}
    for name, value in msg.items():
        if name.lower() not in _NOT_COPIED and name not in headers:
            headers[name] = str(value)
    draft["headers"] = headers
    return {"draft": draft}


def _addresses(msg: EmailMessage, header: str) -> list[dict[str, str]]:
    out = []
    for value in msg.get_all(header, []):
        # A header the parser could not structure has no .addresses; the
        # engine would reject garbage anyway, so it is simply skipped.
        for addr in getattr(value, "addresses", ()):
            if not addr.addr_spec or addr.addr_spec == "<>":
                continue
            entry = {"email": addr.addr_spec}
            if addr.display_name:
                entry = {"name": addr.display_name, **entry}
            out.append(entry)
    return out


def _text(part: MIMEPart | None) -> str | None:
    if part is None:
        return None
    try:
        text = part.get_content()
    except (LookupError, UnicodeError):
        # Unknown or lying charset: keep the readable part rather than fail.
        payload = part.get_payload(decode=True)  # bytes, or None when empty (a body part is never multipart)
        text = (payload if isinstance(payload, bytes) else b"").decode("utf-8", errors="replace")
    # Evidence offsets should not depend on how the file stored line ends.
    return text.replace("\r\n", "\n")


def _leaves(part: MIMEPart) -> Iterator[MIMEPart]:
    """Leaf parts in order; an attached message counts as one leaf (a
    forwarded mail is an attachment, its inner parts are not ours)."""
    if part.get_content_type() == "message/rfc822" or not part.is_multipart():
        yield part
        return
    for sub in part.iter_parts():
        yield from _leaves(sub)


def _is_attachment(part: MIMEPart) -> bool:
    if part.get_content_type() == "message/rfc822":
        return True
    disposition = part.get_content_disposition()
    if disposition == "attachment":
        return True
    if disposition == "inline" and part.get("Content-ID"):
        return False  # an image embedded in the HTML, not a file the reader receives
    return part.get_filename() is not None or part.get_content_maintype() not in ("text", "multipart")


def _attachment(part: MIMEPart) -> dict[str, Any]:
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload(0) if part.get_payload() else None  # the attached message
        size = len(inner.as_bytes()) if isinstance(inner, Message) else 0
    else:
        size = len(part.get_payload(decode=True) or b"")
    return {
        "name": part.get_filename() or "",
        "size": size,
        "content_type": part.get_content_type(),
    }


def _thread(msg: EmailMessage) -> dict[str, Any]:
    references = str(msg.get("References", "")).split()
    in_reply_to = str(msg.get("In-Reply-To", "")).strip()
    previous = len(references) or (1 if in_reply_to else 0)
    return {"is_reply": bool(references or in_reply_to), "previous_messages": previous}
