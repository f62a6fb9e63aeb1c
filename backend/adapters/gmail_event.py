"""A Gmail add-on event -> analysis request.

What the event gives (gmail_addon.event): the recipients of the draft
being written (compose trigger with `draftAccess: METADATA`), the user's
locale, and nothing of the subject or body. So:

  user's verified email            -> draft.from
  gmail.toRecipients/cc/bcc        -> draft.to / cc / bcc ({"email"})
  commonEventObject.userLocale     -> context.locale (zh* -> zh-CN, else en)
  (no body)                        -> draft.body absent: the engine skips every
                                      check that reads the text and lists it in
                                      the report's `not_checked`
  text read from the Gmail API     -> draft.subject, draft.body.text, draft.thread
  or pasted by the user               (only for "Check my draft")

Addresses are passed on as Google sent them; the engine validates them
(`nlp.parse_request`, once, in backend.analysis) and a bad one is a 400.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gmail_addon.cards import Draft


@dataclass(frozen=True)
class DraftText:
    """What "Check my draft" found: the text of the user's saved draft."""

    body: str
    subject: str | None = None
    is_reply: bool = False
    html: str | None = None


def to_request(
    *, sender: str, draft: Draft, locale: str, text: DraftText | None = None, is_reply: bool = False
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "from": {"email": sender},
        "to": [{"email": a} for a in draft.to],
        "cc": [{"email": a} for a in draft.cc],
        "bcc": [{"email": a} for a in draft.bcc],
    }
    if text is not None:
        body["body"] = {"text": text.body, "html": text.html}
        if text.subject is not None:
            body["subject"] = text.subject
        is_reply = is_reply or text.is_reply
    if is_reply:
        body["thread"] = {"is_reply": True, "previous_messages": 1}
    return {"draft": body, "context": {"locale": locale}}
