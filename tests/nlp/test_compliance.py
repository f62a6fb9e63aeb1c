"""compliance.*: consent by jurisdiction, opt-out, identity, postal address, suppression, ads, subjects."""

from __future__ import annotations

import pytest

from .builders import ADDRESS, CUSTOMER, PITCH, REPLY, SIGNATURE, codes, contact, finding, person, request

NO_OPTOUT = PITCH.split("\n\nIf you'd rather")[0]


def test_unsubscribe_missing_on_a_pitch():
    assert "compliance.unsubscribe_missing" in codes(request(NO_OPTOUT))


@pytest.mark.parametrize(
    "line",
    [
        "To unsubscribe, reply STOP.",
        "Reply 'remove' and we will not contact you again.",
        "Wenn Sie keine weiteren E-Mails wünschen, können Sie jederzeit widersprechen.",
        "如不想再收到此类邮件，请回复退订。",
    ],
)
def test_unsubscribe_line_in_any_language_is_enough(line):
    assert "compliance.unsubscribe_missing" not in codes(request(NO_OPTOUT + "\n\n" + line))


def test_unsubscribe_header_is_enough():
    req = request(NO_OPTOUT, headers={"List-Unsubscribe": "<mailto:unsubscribe@lumos-lighting.cn>"})
    assert "compliance.unsubscribe_missing" not in codes(req)


def test_unsubscribe_not_needed_for_a_quotation_in_a_customer_thread():
    assert "compliance.unsubscribe_missing" not in codes(request(REPLY, reply=True, contacts=[CUSTOMER]))


US = contact("dan@whitaker-industrial.com", "Dan Whitaker", "Whitaker Industrial Supply", "US", stage="customer")


def test_postal_address_missing_to_a_us_recipient():
    body = NO_OPTOUT.replace("\n" + ADDRESS, "") + '\n\nTo unsubscribe, reply "unsubscribe".'
    req = request(body.replace("Anna", "Dan"), to=[person(US["email"], "Dan Whitaker")], contacts=[US])
    assert "compliance.postal_address_missing" in codes(req)


def test_postal_address_shortened_in_the_signature_counts():
    body = PITCH.replace("\n" + ADDRESS, "\nNo. 12 Guzhen Lighting Ave., Zhongshan, China").replace("Anna", "Dan")
    req = request(body, to=[person(US["email"], "Dan Whitaker")], contacts=[US])
    assert "compliance.postal_address_missing" not in codes(req)


def test_a_phone_number_above_a_line_of_text_is_no_postal_address():
    # "... 4621" then "You get these ..." on the next line once read as a postcode and a town
    body = (
        NO_OPTOUT.replace("\n" + ADDRESS, "\nWhatsApp: +86 139 0577 4621")
        + "\n\nYou get these updates because you subscribed. Reply unsubscribe to stop them."
    )
    req = request(body.replace("Anna", "Dan"), to=[person(US["email"], "Dan Whitaker")], contacts=[US])
    assert "compliance.postal_address_missing" in codes(req)


def test_a_postcode_and_town_on_their_own_line_are_a_postal_address():
    body = NO_OPTOUT.replace("\n" + ADDRESS, "\nHafenstraße 5\n20457 Hamburg") + "\n\nReply unsubscribe to opt out."
    req = request(body.replace("Anna", "Dan"), to=[person(US["email"], "Dan Whitaker")], contacts=[US])
    assert "compliance.postal_address_missing" not in codes(req)


def test_postal_address_not_required_for_a_german_recipient():
    body = NO_OPTOUT.replace("\n" + ADDRESS, "")
    assert "compliance.postal_address_missing" not in codes(request(body, contacts=[CUSTOMER]))


def test_sender_identity_missing_without_company():
    body = PITCH.replace("Zhongshan Lumos Lighting Co., Ltd.", "Sales").replace(ADDRESS, "")
    assert "compliance.sender_identity_missing" in codes(request(body))


def test_sender_identity_brand_from_the_domain_counts():
    body = PITCH.replace("Zhongshan Lumos Lighting Co., Ltd.", "Lumos Lighting | Sales").replace(ADDRESS, "")
    assert "compliance.sender_identity_missing" not in codes(request(body))


def test_consent_missing_cold_pitch_to_a_german_business():
    f = finding(request(PITCH), "compliance.consent_missing")
    assert f and f["severity"] == "warn" and "UWG" in f["message"]


def test_consent_not_needed_for_a_uk_limited_company():
    uk = contact("r.hollis@hollis-motors.co.uk", "Robert Hollis", "Hollis Motors Ltd", "GB", stage="prospect")
    req = request(PITCH.replace("Anna", "Robert"), to=[person(uk["email"], "Robert Hollis")], contacts=[uk])
    assert "compliance.consent_missing" not in codes(req)


def test_consent_needed_for_a_uk_sole_trader():
    uk = contact("jo@jos-lighting.co.uk", "Jo Baker", "Jo's Lighting", "GB", stage="prospect")
    req = request(PITCH.replace("Anna", "Jo"), to=[person(uk["email"], "Jo Baker")], contacts=[uk])
    assert "compliance.consent_missing" in codes(req)


def test_consent_needed_for_a_consumer_in_france_but_not_a_french_business():
    fr_b2b = contact("c.martin@martin-eclairage.fr", "Claire Martin", "Martin Eclairage SARL", "FR")
    assert "compliance.consent_missing" not in codes(
        request(PITCH, to=[person(fr_b2b["email"], "Claire Martin")], contacts=[fr_b2b])
    )
    assert "compliance.consent_missing" in codes(request(PITCH, to=[person("claire.martin@orange.fr", "Claire")]))


def test_consent_recorded_opt_in_or_existing_customer_is_enough():
    assert "compliance.consent_missing" not in codes(request(PITCH, contacts=[CUSTOMER]))
    customer = dict(CUSTOMER, consent={"status": "none"}, stage="repeat")
    assert "compliance.consent_missing" not in codes(request(PITCH, contacts=[customer]))


def test_casl_implied_consent_expires():
    ca = contact(
        "m.roy@roy-eclairage.ca",
        "Marc Roy",
        "Roy Éclairage Inc.",
        "CA",
        stage="customer",
        interactions=[{"date": "2023-05-01", "direction": "in", "subject": "Order", "summary": "Bought 200 spots"}],
    )
    req = request(PITCH.replace("Anna", "Marc"), to=[person(ca["email"], "Marc Roy")], contacts=[ca])
    f = finding(req, "compliance.consent_missing")
    assert f and "expired" in f["message"]
    ca["interactions"][0]["date"] = "2026-03-01"
    assert "compliance.consent_missing" not in codes(req)


def test_consent_unknown_country_is_only_info():
    f = finding(request(PITCH, to=[person("anna@mueller-licht.com", "Anna Schmidt")]), "compliance.consent_missing")
    assert f and f["severity"] == "info"


def test_suppressed_recipient_blocks_an_offer():
    gone = dict(CUSTOMER, unsubscribed=True)
    f = finding(request(PITCH, contacts=[gone]), "compliance.suppressed_recipient")
    assert f and f["severity"] == "block"


def test_suppressed_recipient_may_still_get_their_order_update_in_a_thread():
    gone = dict(CUSTOMER, unsubscribed=True)
    body = "Hi Anna,\n\nYour order PO 4500123 was shipped today; the tracking number is 1Z999.\n\n" + SIGNATURE
    assert "compliance.suppressed_recipient" not in codes(request(body, reply=True, contacts=[gone]))


def test_ad_not_identified_for_us_without_opt_in():
    req = request(PITCH.replace("Anna", "Dan"), to=[person(US["email"], "Dan Whitaker")], contacts=[US])
    assert "compliance.ad_not_identified" in codes(req)


@pytest.mark.parametrize("prefix", ["[Ad] ", "(Advertisement) ", "ADV: ", "Publicidad - "])
def test_ad_identified_by_the_subject(prefix):
    req = request(
        PITCH.replace("Anna", "Dan"),
        subject=prefix + "LED track lights",
        to=[person(US["email"], "Dan Whitaker")],
        contacts=[US],
    )
    assert "compliance.ad_not_identified" not in codes(req)


def test_ad_word_inside_a_subject_does_not_identify_it():
    # hard negative: "ad" inside a word or not as a label
    req = request(
        PITCH.replace("Anna", "Dan"),
        subject="Adapter rings for LED track lights",
        to=[person(US["email"], "Dan Whitaker")],
        contacts=[US],
    )
    assert "compliance.ad_not_identified" in codes(req)


def test_ad_identified_or_opted_in_us_recipient():
    req = request(
        PITCH.replace("Anna", "Dan") + "\nThis email is an advertisement from Lumos Lighting.",
        to=[person(US["email"], "Dan Whitaker")],
        contacts=[US],
    )
    assert "compliance.ad_not_identified" not in codes(req)
    opted = dict(US, consent={"status": "opt_in"})
    req = request(PITCH.replace("Anna", "Dan"), to=[person(US["email"], "Dan Whitaker")], contacts=[opted])
    assert "compliance.ad_not_identified" not in codes(req)


@pytest.mark.parametrize("subject", ["RE: LED price list", "Fwd: price list", "AW: Angebot", "回复：报价"])
def test_deceptive_subject_fake_reply_on_first_contact(subject):
    f = finding(request(PITCH, subject=subject), "compliance.deceptive_subject")
    assert f and f["evidence"][0]["field"] == "subject"


def test_deceptive_subject_not_for_a_real_reply_or_forward():
    assert "compliance.deceptive_subject" not in codes(request(REPLY, subject="Re: Samples", reply=True))
    fwd = PITCH + "\n\n---------- Forwarded message ---------\nFrom: Li Na <li.na@lumos-lighting.cn>\nDate: ..."
    assert "compliance.deceptive_subject" not in codes(request(fwd, subject="Fwd: catalogue"))


def test_deceptive_subject_claims_an_order_that_does_not_exist():
    assert "compliance.deceptive_subject" in codes(request(PITCH, subject="Your order #2231 – new lights"))
