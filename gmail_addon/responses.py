"""The add-on response wrappers around cards.

- a trigger (homepage, contextual, compose) answers with a card to show:
  `{"action": {"navigations": [{"pushCard": CARD}]}}`;
- an action replaces the card it was pressed on, or shows a notification:
  `{"renderActions": {"action": {"navigations": [{"updateCard": CARD}]}}}`,
  `{"renderActions": {"action": {"notification": {"text": ...}}}}`;
- an action in the compose window edits the draft:
  `{"renderActions": {"hostAppAction": {"gmailAction": {"updateDraftActionMarkup":
  {"updateBody": {"insertContents": [{"content", "contentType"}], "type"}}}}}}`.
"""

from __future__ import annotations

from typing import Any

from gmail_addon.cards import Card

# Where inserted text goes: at the cursor (Gmail's default), else the start or the end.
INSERT_TYPES = ("IN_PLACE_INSERT", "INSERT_AT_START", "INSERT_AT_END")


def push_card(card: Card) -> dict[str, Any]:
    return {"action": {"navigations": [{"pushCard": card}]}}


def update_card(card: Card) -> dict[str, Any]:
    return {"renderActions": {"action": {"navigations": [{"updateCard": card}]}}}


def notification(text: str) -> dict[str, Any]:
    return {"renderActions": {"action": {"notification": {"text": text}}}}


def insert_into_draft(text: str, where: str = "IN_PLACE_INSERT") -> dict[str, Any]:
    """Insert `text` (plain text) into the draft being written."""
    if where not in INSERT_TYPES:
        raise ValueError(f"insert type must be one of {', '.join(INSERT_TYPES)}")
    markup = {"updateBody": {"insertContents": [{"content": text, "contentType": "TEXT"}], "type": where}}
    return {"renderActions": {"hostAppAction": {"gmailAction": {"updateDraftActionMarkup": markup}}}}
