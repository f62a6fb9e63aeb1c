"""What kind of message a draft is: a delivery the recipient asked for is not
unsolicited mail, buying is not selling, and an offer inside a notice is still
an offer. Each family has a positive and a hard negative example."""

from __future__ import annotations

from .builders import SIGNATURE, codes, contact, person, request

PROSPECT = "j.brandt@brandt-autoteile.de"
UNSOLICITED = {"compliance.unsubscribe_missing", "compliance.consent_missing", "relationship.cold_contact"}


def prospect(summary: str, date: str = "2026-10-10", direction: str = "in") -> dict:
    return contact(
        PROSPECT,
        "Jan Brandt",
        "Brandt Autoteile GmbH",
        "DE",
        stage="prospect",
        consent={"status": "none"},
        interactions=[{"date": date, "direction": direction, "subject": "Booth visit", "summary": summary}],
    )


QUOTE = (
    "Dear Mr Brandt,\n\nThank you for visiting our booth at Automechanika. As promised, here are the prices "
    "for the brake pads:\n\n- TL-D1108: EUR 4.85 per set\n- TL-D1375: EUR 4.20 per set\n\n"
    "FOB Ningbo, 500 sets per item, about 35 days after the deposit.\n\n" + SIGNATURE
)


# The same prices, sent as a plain offer: no reference to any request.
OFFER = QUOTE.replace(
    "Thank you for visiting our booth at Automechanika. As promised, here are the prices for the brake pads:",
    "Here are our prices for brake pads:",
).replace(", about 35 days after the deposit", "")


def to_prospect(body: str, summary: str, **kw) -> dict:
    return request(body, to=[person(PROSPECT, "Jan Brandt")], contacts=[prospect(summary, **kw)])


def test_a_quotation_the_recipient_asked_for_is_not_unsolicited_mail():
    found = codes(to_prospect(QUOTE, "Visited the booth; asked for a quotation for brake pads, 2,000 sets"))
    assert not found & UNSOLICITED


def test_the_same_prices_to_someone_who_asked_for_nothing_are_an_offer():
    # hard negative: a booth visit on record, but no request; an old request does not count either
    assert {"compliance.unsubscribe_missing", "compliance.consent_missing"} <= codes(
        to_prospect(OFFER, "Visited the booth, took a brochure")
    )
    assert "compliance.unsubscribe_missing" in codes(
        to_prospect(OFFER, "Asked for a quotation for brake pads", date="2025-01-10")
    )


def test_a_request_we_made_ourselves_does_not_make_our_offer_requested():
    found = codes(to_prospect(OFFER, "We asked whether they need brake pads", direction="out"))
    assert "compliance.unsubscribe_missing" in found


HOLIDAY = (
    "Dear customers,\n\nOur factory will be closed from 5 to 20 February for the Chinese New Year holiday. "
    "Orders confirmed before 25 January will be shipped before the holiday.\n\n{offer}" + SIGNATURE
)
CUSTOMERS = [
    contact(
        f"buyer{i}@shop{i}.de",
        f"Buyer {i}",
        f"Shop {i} GmbH",
        "DE",
        stage="customer",
        interactions=[{"date": "2026-06-01", "direction": "in", "subject": "Order", "summary": "Repeat order"}],
    )
    for i in range(12)
]


def notice(offer: str, unsubscribed: bool = False) -> dict:
    contacts = [dict(c) for c in CUSTOMERS]
    contacts[3]["unsubscribed"] = unsubscribed
    return request(
        HOLIDAY.format(offer=offer),
        to=[],
        bcc=[person(c["email"]) for c in contacts],
        subject="Chinese New Year holiday",
        contacts=contacts,
    )


def test_a_request_for_an_offer_we_send_as_buyers_is_not_a_sales_pitch():
    body = (
        "Dear Mr Brandt,\n\nI am the purchasing manager of Zhongshan Lumos Lighting. We would like to receive "
        "an offer for 2 automatic sharpening machines: EXW price, delivery time and installation.\n\n" + SIGNATURE
    )
    req = request(body, to=[person(PROSPECT, "Jan Brandt")], subject="Request for quotation: sharpening machines")
    assert not codes(req) & UNSOLICITED


def test_a_sales_pitch_that_asks_for_an_inquiry_is_still_a_pitch():
    # hard negative: "send us your inquiry" is the seller's call to action, not a buyer's request
    body = (
        "Dear Mr Brandt,\n\nWe are a professional manufacturer of brake pads with 15 years of export experience. "
        "Please send us your inquiry and we will quote our best price.\n\n" + SIGNATURE
    )
    assert "relationship.cold_contact" in codes(request(body, to=[person(PROSPECT, "Jan Brandt")]))


def test_an_offer_inside_a_holiday_notice_makes_it_commercial_for_every_recipient():
    found = codes(notice("Until 15 January we give a 5% discount on all orders of our new collection.\n\n", True))
    assert {"compliance.unsubscribe_missing", "compliance.suppressed_recipient"} <= found


def test_a_pure_holiday_notice_is_not_commercial():
    # hard negative: the same notice, the same recipients, no offer
    found = codes(notice("", True))
    assert not {"compliance.unsubscribe_missing", "compliance.consent_missing"} & found


ORDER_STATUS = (
    "Dear {name},\n\nA short update on your order 2611: the brake pads are finished, final inspection on "
    "8 December, and the shipment leaves Ningbo on 16 December.\n\n{ps}" + SIGNATURE
)
PS_OFFER = "P.S. New: brake discs for the Model 3. Orders before 31 January get a 7% introductory discount.\n\n"


def order_status(country: str, domain: str, ps: str, *, offer_first: bool = False) -> dict:
    buyer = contact(
        f"buyer@{domain}",
        "Sam Wagner",
        "Wagner Parts",
        country,
        stage="customer",
        interactions=[{"date": "2026-10-20", "direction": "in", "subject": "Order 2611", "summary": "Order"}],
    )
    body = ORDER_STATUS.format(name="Mr Wagner", ps=ps)
    if offer_first:
        body = body.replace("Dear Mr Wagner,\n\n", "Dear Mr Wagner,\n\n" + ps)
    return request(body, to=[person(buyer["email"], "Sam Wagner")], contacts=[buyer])


def test_an_offer_added_to_an_order_update_is_advertising_for_a_german_customer():
    assert "compliance.unsubscribe_missing" in codes(order_status("DE", "wagner-teile.de", PS_OFFER))


def test_an_order_update_without_an_offer_is_not_advertising():
    # hard negative: the same update, no add-on
    assert "compliance.unsubscribe_missing" not in codes(order_status("DE", "wagner-teile.de", ""))


def test_a_us_order_update_stays_transactional_when_the_offer_follows_it():
    # CAN-SPAM's primary purpose: the transactional part is at the top
    assert "compliance.unsubscribe_missing" not in codes(order_status("US", "wagnerparts.com", PS_OFFER))
    assert "compliance.unsubscribe_missing" in codes(
        order_status("US", "wagnerparts.com", PS_OFFER.replace("P.S. ", ""), offer_first=True)
    )
