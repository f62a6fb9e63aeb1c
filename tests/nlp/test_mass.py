"""mass.*: exposed recipients, Bcc blasts, template reuse, send bursts."""

from __future__ import annotations

from .builders import ORG, PITCH, SIGNATURE, codes, finding, person, request

SIX = [
    person(f"buyer@{d}", n)
    for d, n in [
        ("sorensen-vvs.dk", "Ingrid Sørensen"),
        ("egger-haustechnik.at", "Thomas Egger"),
        ("verhoef-pompen.nl", "Kees Verhoef"),
        ("quinlan-heating.ie", "Aoife Quinlan"),
        ("virtanen-lvi.fi", "Mikko Virtanen"),
        ("lindholm-vvs.se", "Sara Lindholm"),
    ]
]
NOTICE = (
    "Dear customers,\n\nOur factory will be closed from 3 to 19 February for the Spring Festival. "
    "Orders confirmed by 8 January will be shipped before the holiday.\n\n" + SIGNATURE
)


def test_exposed_recipients_holiday_notice_to_six_companies():
    assert "mass.exposed_recipients" in codes(request(NOTICE, to=SIX))


def test_exposed_recipients_not_for_parties_of_one_shipment_in_a_thread():
    # customer, forwarder and inspection company discussing one container: a conversation
    to = [
        person("anna.schmidt@mueller-licht.de", "Anna Schmidt"),
        person("ops@kuehne-nagel.com", "KN Ops"),
        person("l.chen@sgs.com", "Lily Chen"),
    ]
    body = (
        "Hi all,\n\nThe container for PO 4500123 was loaded today; the inspection report from SGS is "
        "attached and the B/L draft follows tomorrow.\n\n" + SIGNATURE
    )
    assert "mass.exposed_recipients" not in codes(request(body, to=to, reply=True, subject="Re: PO 4500123 shipment"))


def test_exposed_recipients_not_for_colleagues_of_one_customer():
    to = [person(f"{n}@mueller-licht.de", n.title()) for n in ("anna", "jonas", "petra", "lukas")]
    assert "mass.exposed_recipients" not in codes(request(NOTICE, to=to))


def test_exposed_recipients_counts_each_freemail_address_as_an_organisation():
    to = [person(f"shop{i}@gmail.com", f"Shop {i}") for i in range(4)]
    assert "mass.exposed_recipients" in codes(request(NOTICE, to=to))


def test_exposed_recipients_policy_threshold():
    req = request(NOTICE, to=SIX, policy={"mass.exposed_recipients": {"min_organisations": 7}})
    assert "mass.exposed_recipients" not in codes(req)


def test_bulk_bcc_fires_from_ten_external_bcc():
    bcc = [person(f"buyer@shop{i}.de") for i in range(12)]
    f = finding(request(NOTICE, to=[person(f"wei.zhang@{ORG}")], bcc=bcc), "mass.bulk_bcc")
    assert f and f["severity"] == "warn" and len(f["recipients"]) == 12


def test_bulk_bcc_ignores_colleagues_in_bcc():
    bcc = [person(f"sales{i}@{ORG}") for i in range(15)] + [person("buyer@shop.de")]
    assert "mass.bulk_bcc" not in codes(request(PITCH, bcc=bcc))


def _history(n: int, body_for, senders=("wei.zhang", "li.na")) -> list[dict]:
    return [
        {
            "sent_at": f"2026-11-{10 + i % 9:02d}T08:00:00Z",
            "from": f"{senders[i % len(senders)]}@{ORG}",
            "to": [f"buyer{i}@shop{i}.de"],
            "subject": "LED track lights",
            "body": body_for(i),
        }
        for i in range(n)
    ]


def test_template_reuse_counts_recipients_and_senders_across_the_organisation():
    hist = _history(6, lambda i: PITCH.replace("Dear Anna", f"Dear Buyer{i}"))
    f = finding(request(PITCH, history=hist), "mass.template_reuse")
    assert f is not None
    assert "6 other recipients" in f["message"] and "2 sender" in f["message"]


def test_template_reuse_not_for_texts_older_than_the_window():
    hist = _history(6, lambda i: PITCH)
    for h in hist:
        h["sent_at"] = "2026-10-01T08:00:00Z"
    assert "mass.template_reuse" not in codes(request(PITCH, history=hist))


def test_template_reuse_not_below_five_other_recipients():
    assert "mass.template_reuse" not in codes(request(PITCH, history=_history(4, lambda i: PITCH)))


def test_template_reuse_not_for_different_texts_on_the_same_products():
    other = (
        "Dear Jan,\n\nthank you for the order of 300 track spots. We ship them on Friday with DHL, "
        "tracking number follows; the CRI 97 test reports for each batch are attached as you asked.\n\n" + SIGNATURE
    )
    assert "mass.template_reuse" not in codes(request(PITCH, history=_history(8, lambda i: other)))


def test_send_burst_counts_the_senders_external_mail_in_the_last_hour():
    hist = [
        {
            "sent_at": f"2026-11-20T07:{m:02d}:00Z",
            "from": f"wei.zhang@{ORG}",
            "to": [f"b{m}@shop{m}.de"],
            "subject": "x",
            "body": f"Offer {m}",
        }
        for m in range(5, 40)
    ]
    assert "mass.send_burst" in codes(request(PITCH, history=hist))


def test_send_burst_ignores_colleagues_and_internal_mail():
    hist = [
        {
            "sent_at": f"2026-11-20T07:{m:02d}:00Z",
            "from": f"li.na@{ORG}" if m % 2 else f"wei.zhang@{ORG}",
            "to": [f"b{m}@shop{m}.de"] if m % 2 else [f"x@{ORG}"],
            "subject": "x",
            "body": "y",
        }
        for m in range(0, 59)
    ]
    assert "mass.send_burst" not in codes(request(PITCH, history=hist))
