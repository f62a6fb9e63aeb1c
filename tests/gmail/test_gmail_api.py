"""The Gmail API client as "Check my draft" and the contextual card use
it: the real google-api-python-client, answered by HttpMockSequence with
responses in the API's shapes."""

from __future__ import annotations

import pytest
from googleapiclient.http import HttpMockSequence

from backend.connectors import gmail_api
from tests.gmail import gmail_responses as R

TO = "anna.schmidt@mueller-leuchten.de"


def gmail(*responses) -> tuple[gmail_api.Gmail, HttpMockSequence]:
    http = HttpMockSequence(list(responses))
    return gmail_api.connect("ya29.token", access_token="gmail-access-token", http=http), http


def test_the_draft_to_these_recipients_is_found_and_read():
    client, http = gmail(
        R.drafts_list(("r-2", "m2", "t2"), ("r-1", "m1", "t1")),
        R.draft_metadata("r-2", "m2", "t2", 1764237000000, to="someone@else.com"),
        R.draft_metadata("r-1", "m1", "t1", 1764236000000, to=f"Anna Schmidt <{TO}>", subject="Samples"),
        R.draft_full("r-1", "m1", "t1", 1764236000000, "Dear Anna,\r\nthe samples left today.", subject="Samples"),
    )
    found = gmail_api.find_draft(client, thread_id=None, recipients={TO.upper()})
    assert found == gmail_api.DraftText(body="Dear Anna,\nthe samples left today.", subject="Samples")
    uris = [uri for uri, *_ in http.request_sequence]
    assert "/gmail/v1/users/me/drafts?maxResults=25" in uris[0]
    assert "/drafts/r-1?format=full" in uris[-1]
    assert all(h.get("X-Goog-Gmail-Access-Token") == "gmail-access-token" for *_, h in http.request_sequence)


def test_the_newest_matching_draft_wins():
    client, _ = gmail(
        R.drafts_list(("old", "m1", "t1"), ("new", "m2", "t2")),
        R.draft_metadata("old", "m1", "t1", 1000, to=TO),
        R.draft_metadata("new", "m2", "t2", 2000, to=TO),
        R.draft_full("new", "m2", "t2", 2000, "newer text", to=TO),
    )
    assert gmail_api.find_draft(client, thread_id=None, recipients={TO}).body == "newer text"


def test_a_reply_is_found_by_its_thread():
    client, _ = gmail(
        R.drafts_list(("r-9", "m9", "other"), ("r-3", "m3", "thread-7")),
        R.draft_metadata("r-3", "m3", "thread-7", 1000, to=TO, in_reply_to="<abc@mail.gmail.com>"),
        R.draft_full("r-3", "m3", "thread-7", 1000, "Thanks, Anna.", to=TO, in_reply_to="<abc@mail.gmail.com>"),
    )
    found = gmail_api.find_draft(client, thread_id="thread-7", recipients={"someone@changed.com"})
    assert found is not None and found.is_reply and found.body == "Thanks, Anna."


def test_no_matching_draft_is_none():
    client, _ = gmail(R.drafts_list(("r-1", "m1", "t1")), R.draft_metadata("r-1", "m1", "t1", 1, to="x@y.com"))
    assert gmail_api.find_draft(client, thread_id=None, recipients={TO}) is None
    client, _ = gmail(R.drafts_list())
    assert gmail_api.find_draft(client, thread_id=None, recipients={TO}) is None


def test_an_expired_token_is_told_apart():
    client, _ = gmail(R.EXPIRED)
    with pytest.raises(gmail_api.GmailUnavailable) as caught:
        gmail_api.find_draft(client, thread_id=None, recipients={TO})
    assert caught.value.expired


def test_an_api_error_is_reported_without_retrying():
    client, http = gmail(R.drafts_list(("r-1", "m1", "t1")), R.BACKEND_ERROR)
    with pytest.raises(gmail_api.GmailUnavailable) as caught:
        gmail_api.find_draft(client, thread_id=None, recipients={TO})
    assert not caught.value.expired and "500" in str(caught.value)
    assert len(http.request_sequence) == 2


def test_the_sender_of_the_opened_message():
    client, http = gmail(R.message_metadata("m1", '"Anna Schmidt" <Anna.Schmidt@mueller-leuchten.de>'))
    assert gmail_api.message_sender(client, "m1") == "Anna.Schmidt@mueller-leuchten.de"
    assert "format=metadata" in http.request_sequence[0][0] and "metadataHeaders=From" in http.request_sequence[0][0]


def test_a_gmail_that_never_answers_times_out(monkeypatch):
    """The transport the real client gets (no test http) gives up on a
    server that accepts the connection and then says nothing."""
    import socket
    import time

    monkeypatch.setattr(gmail_api, "TIMEOUT_SECONDS", 0.5)
    client = gmail_api.connect("ya29.token")
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        started = time.monotonic()
        with pytest.raises((TimeoutError, OSError)):
            client.service._http.request(f"http://127.0.0.1:{silent.getsockname()[1]}/gmail/v1/users/me/drafts")
        assert time.monotonic() - started < 5
