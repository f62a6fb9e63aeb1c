"""deliverability.*: spam phrases, shouting, shorteners, misleading links, image-only mail, attachments."""

from __future__ import annotations

import pytest

from .builders import CUSTOMER, PITCH, REPLY, codes, finding, request


def test_spam_phrases_with_evidence_offsets():
    body = PITCH.replace("Could I send", "Best price guaranteed, act now! Could I send")
    f = finding(request(body), "deliverability.spam_phrases")
    assert f and f["severity"] == "info"
    assert {body[e["start"] : e["end"]].lower() for e in f["evidence"]} >= {"best price", "act now"}


def test_spam_phrases_ignore_the_quoted_customer_message():
    body = REPLY + "\n\nOn 2 Oct 2026, Anna Schmidt wrote:\n> Please quote your best price, act now if possible."
    assert "deliverability.spam_phrases" not in codes(request(body, reply=True, contacts=[CUSTOMER]))


def test_shouting_subject_in_capitals_or_with_exclamation_marks():
    assert "deliverability.shouting" in codes(request(PITCH, subject="SUPER DEAL ON TRACK LIGHTS"))
    assert "deliverability.shouting" in codes(request(PITCH, subject="New track lights!!!"))


@pytest.mark.parametrize("subject", ["RFQ LED PANEL 600X600 - PO 4500123", "CE and RoHS for LT-30", "LED / CRI / UGR"])
def test_shouting_not_for_acronyms_and_model_numbers(subject):
    assert "deliverability.shouting" not in codes(request(REPLY, subject=subject, reply=True))


def test_link_shortener():
    body = PITCH.replace("Could I", "See https://bit.ly/lumos27 . Could I")
    assert "deliverability.link_shortener" in codes(request(body))


def test_link_shortener_not_for_own_domain_links():
    body = PITCH.replace("Could I", "See https://www.lumos-lighting.cn/2027/track . Could I")
    assert "deliverability.link_shortener" not in codes(request(body))


HTML = (
    "<p>Dear Anna,</p><p>{text}</p>{images}<p><a href='{href}'>{shown}</a></p>"
    "<p>Zhongshan Lumos Lighting Co., Ltd. · <a href='https://www.lumos-lighting.cn/unsubscribe'>Unsubscribe</a></p>"
)
TEXT = (
    "I saw on your website that Müller Licht is opening a showroom in Köln. Our new CRI 97 track spots "
    "suit galleries and shops; they come in 3000K and 4000K with 15, 24 and 36 degree beams, and we "
    "keep stock in Rotterdam so that small orders arrive within a week. "
) * 2


def html_request(text=TEXT, images="", href="https://www.lumos-lighting.cn/2027", shown="www.lumos-lighting.cn/2027"):
    return request(None, html=HTML.format(text=text, images=images, href=href, shown=shown), contacts=[CUSTOMER])


def test_link_mismatch_shown_domain_differs_from_target():
    f = finding(html_request(href="http://go.clicktrack-mail.net/x/5512"), "deliverability.link_mismatch")
    assert f and "clicktrack-mail.net" in f["message"]


def test_link_mismatch_not_for_a_subdomain_of_the_same_site():
    assert "deliverability.link_mismatch" not in codes(html_request(href="https://shop.lumos-lighting.cn/track?utm=x"))


@pytest.mark.parametrize(
    "shown, href",
    [
        ("lumos-lighting.cn/winter", "http://click.sendmail-track.com/ls/click?upn=8dK2x"),
        ("lumos-lighting.co.uk/spring-2027", "https://email.clicks-tracker.co.uk/c/7f3a9"),
        ("lumos-lighting.cn/certificates", "https://lumos-lighting.cn.tracking-mx.net/c?id=77aa1"),
    ],
)
def test_link_mismatch_for_a_domain_shown_without_a_scheme(shown, href):
    assert "deliverability.link_mismatch" in codes(html_request(href=href, shown=shown))


@pytest.mark.parametrize(
    "shown, href",
    [
        ("lumos-lighting.cn/winter", "https://www.lumos-lighting.cn/winter?utm_source=mail"),
        ("www.lumos-lighting.cn/docs", "https://docs.lumos-lighting.cn/manual.pdf"),
        ("our winter catalogue", "http://click.sendmail-track.com/ls/click?upn=8dK2x"),
    ],
)
def test_link_mismatch_not_for_the_same_site_or_a_phrase(shown, href):
    assert "deliverability.link_mismatch" not in codes(html_request(href=href, shown=shown))


def test_image_heavy_html():
    imgs = "".join(f"<img src='https://www.lumos-lighting.cn/{i}.jpg' width='620' height='900'>" for i in range(3))
    assert "deliverability.image_heavy" in codes(html_request(text="New collection!", images=imgs))


def test_image_heavy_not_for_text_with_a_logo_and_a_tracking_pixel():
    imgs = (
        "<img src='https://www.lumos-lighting.cn/logo.png' width='120' height='40'>"
        "<img src='https://t.example/p.gif' width='1' height='1'>"
    )
    assert "deliverability.image_heavy" not in codes(html_request(images=imgs))


@pytest.mark.parametrize(
    "name,ctype",
    [
        ("pricelist.zip", "application/zip"),
        ("setup.exe", "application/octet-stream"),
        ("catalogue.pdf.exe", ""),
        ("order.docm", ""),
    ],
)
def test_risky_attachment_types(name, ctype):
    req = request(
        REPLY, reply=True, contacts=[CUSTOMER], attachments=[{"name": name, "size": 300000, "content_type": ctype}]
    )
    assert "deliverability.risky_attachment" in codes(req)


def test_risky_attachment_large_file_only_on_a_first_contact():
    big = [{"name": "catalogue_2027.pdf", "size": 9_000_000, "content_type": "application/pdf"}]
    assert "deliverability.risky_attachment" in codes(request(PITCH, attachments=big))
    assert "deliverability.risky_attachment" not in codes(request(PITCH, attachments=big, contacts=[CUSTOMER]))
