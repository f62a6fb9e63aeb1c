"""backend/adapters/eml.py: saved drafts -> analysis requests."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from backend.adapters.eml import parse_eml
from backend.errors import BadRequest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "draft.eml"


def eml(*lines: str) -> bytes:
    return "\r\n".join(lines).encode()


MULTIPART = eml(
    "From: =?utf-8?b?5p2O5piO?= <li.ming@brightway-lighting.cn>",
    'To: "Schmidt, Anna" <anna.schmidt@mueller-leuchten.de>, bob@example.com',
    "Cc: Buyers: claire.martin@lumiere-habitat.fr, James <james.carter@carter-electrical.co.uk>;",
    "Bcc: <audit@brightway-lighting.cn>",
    "Subject: =?utf-8?q?Angebot_f=C3=BCr_LED-Panels?=",
    "List-Unsubscribe: <mailto:unsubscribe@brightway-lighting.cn>",
    "Reply-To: sales@brightway-lighting.cn",
    "MIME-Version: 1.0",
    'Content-Type: multipart/mixed; boundary="outer"',
    "",
    "--outer",
    'Content-Type: multipart/alternative; boundary="alt"',
    "",
    "--alt",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: quoted-printable",
    "",
    "Dear Anna,=0D=0Aprice list attached. Gr=C3=BC=C3=9Fe",
    "--alt",
    'Content-Type: multipart/related; boundary="rel"',
    "",
    "--rel",
    "Content-Type: text/html; charset=utf-8",
    "",
    '<p>Dear Anna,</p><img src="cid:logo">',
    "--rel",
    "Content-Type: image/png",
    "Content-Disposition: inline; filename=logo.png",
    "Content-ID: <logo>",
    "Content-Transfer-Encoding: base64",
    "",
    base64.b64encode(b"\x89PNG fake").decode(),
    "--rel--",
    "--alt--",
    "--outer",
    'Content-Type: application/pdf; name="=?utf-8?b?5Lu35qC86KGoLnBkZg==?="',
    'Content-Disposition: attachment; filename="=?utf-8?b?5Lu35qC86KGoLnBkZg==?="',
    "Content-Transfer-Encoding: base64",
    "",
    base64.b64encode(b"%PDF" + b"x" * 996).decode(),
    "--outer",
    "Content-Type: application/zip",
    "Content-Disposition: attachment; filename*=utf-8''Kataloge%20Fr%C3%BChjahr.zip",
    "Content-Transfer-Encoding: base64",
    "",
    base64.b64encode(b"PK" + b"\0" * 98).decode(),
    "--outer--",
    "",
)


@pytest.fixture(scope="module")
def draft():
    return parse_eml(MULTIPART)["draft"]


def test_addresses_keep_display_names_and_flatten_groups(draft):
    assert draft["from"] == {"name": "李明", "email": "li.ming@brightway-lighting.cn"}
    assert draft["to"] == [
        {"name": "Schmidt, Anna", "email": "anna.schmidt@mueller-leuchten.de"},
        {"email": "bob@example.com"},
    ]
    assert draft["cc"] == [
        {"email": "claire.martin@lumiere-habitat.fr"},
        {"name": "James", "email": "james.carter@carter-electrical.co.uk"},
    ]
    assert draft["bcc"] == [{"email": "audit@brightway-lighting.cn"}]


def test_encoded_subject(draft):
    assert draft["subject"] == "Angebot für LED-Panels"


def test_multipart_alternative_gives_text_and_html(draft):
    assert draft["body"]["text"] == "Dear Anna,\nprice list attached. Grüße"
    assert draft["body"]["html"].startswith("<p>Dear Anna,</p>")


def test_attachments_have_name_size_and_type_but_embedded_images_do_not_count(draft):
    assert draft["attachments"] == [
        {"name": "价格表.pdf", "size": 1000, "content_type": "application/pdf"},
        {"name": "Kataloge Frühjahr.zip", "size": 100, "content_type": "application/zip"},
    ]


def test_other_headers_are_copied(draft):
    assert draft["headers"] == {
        "List-Unsubscribe": "<mailto:unsubscribe@brightway-lighting.cn>",
        "Reply-To": "sales@brightway-lighting.cn",
    }


def test_a_new_message_is_not_a_reply(draft):
    assert draft["thread"] == {"is_reply": False, "previous_messages": 0}


@pytest.mark.parametrize(
    "headers, thread",
    [
        (["In-Reply-To: <a@x>"], {"is_reply": True, "previous_messages": 1}),
        (["In-Reply-To: <b@x>", "References: <a@x> <b@x>"], {"is_reply": True, "previous_messages": 2}),
        (["References: <a@x>\r\n <b@x>\r\n <c@x>"], {"is_reply": True, "previous_messages": 3}),
    ],
)
def test_reply_headers_make_a_reply(headers, thread):
    data = eml("From: a@x.cn", "To: b@y.de", "Subject: Re: quote", *headers, "", "Thanks!")
    draft = parse_eml(data)["draft"]
    assert draft["thread"] == thread
    assert draft["body"] == {"text": "Thanks!", "html": None}
    assert draft["attachments"] == []


def test_plain_single_part_message_with_unknown_charset_still_reads():
    data = eml(
        "From: a@x.cn",
        "To: b@y.de",
        "Subject: hi",
        "Content-Type: text/plain; charset=x-klingon",
        "",
        "caf\xe9".encode("latin-1").decode("latin-1"),
    )
    assert parse_eml(data)["draft"]["body"]["text"].startswith("caf")


def test_forwarded_message_is_one_attachment():
    inner = eml("From: c@z.fr", "To: a@x.cn", "Subject: original", "", "inner body with a PDF")
    data = eml(
        "From: a@x.cn",
        "To: b@y.de",
        "Subject: Fwd: original",
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="b"',
        "",
        "--b",
        "Content-Type: text/plain",
        "",
        "see below",
        "--b",
        "Content-Type: message/rfc822",
        "",
        inner.decode(),
        "--b--",
        "",
    )
    draft = parse_eml(data)["draft"]
    assert [a["content_type"] for a in draft["attachments"]] == ["message/rfc822"]
    assert draft["body"]["text"].strip() == "see below"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", id="binary"),
        pytest.param(b"just some text\nwithout headers\n", id="no-headers"),
        pytest.param(b"", id="empty"),
        pytest.param(b"To: a@[1.2.3\nSubject: x\n\nhi", id="header-that-crashes-the-stdlib-parser"),
    ],
)
def test_non_messages_are_refused(data):
    with pytest.raises(BadRequest):
        parse_eml(data)


def test_the_example_draft_parses():
    draft = parse_eml(EXAMPLE.read_bytes())["draft"]
    assert draft["to"][0]["email"] == "anna.schmidt@mueller-leuchten.de"
    assert draft["thread"]["is_reply"] is True
    assert draft["attachments"][0]["content_type"] == "application/pdf"
    assert "\r" not in draft["body"]["text"]
