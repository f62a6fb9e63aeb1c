"""personalization.*: placeholders, generic greetings, wrong names and companies, nothing personal."""

from __future__ import annotations

import pytest

from .builders import CUSTOMER, PITCH, REPLY, SIGNATURE, codes, contact, finding, person, request


@pytest.mark.parametrize(
    "text",
    [
        "Dear {{first_name}},",
        "Hi %FIRSTNAME%,",
        "Dear *|FNAME|*,",
        "Dear [Name],",
        "Dear <<Name>>,",
        "Dear XXX,",
        "Dear {FirstName},",
        "Hello [Customer Name],",
        "Dear ___,",
        "Hallo %VORNAME%,",
        "Bonjour {{nom}},",
        "Estimado <<Nombre>>,",
        "Dear «FIRST_NAME»,",
    ],
)
def test_merge_field_unfilled_in_greeting(text):
    f = finding(request(PITCH.replace("Dear Anna,", text)), "personalization.merge_field_unfilled")
    assert f and f["severity"] == "block" and f["evidence"][0]["field"] == "body"


@pytest.mark.parametrize(
    "sentence", ["Voor [Naam bedrijf] hebben wij 2 containers gereserveerd.", "Neue Hallenstrahler für [Firmenname].",
                 "Oferta para <<Empresa>>.", "Proposta per [Nome azienda]."],
)  # fmt: skip
def test_merge_field_in_the_customers_language(sentence):
    body = PITCH.replace("Could I send you our catalogue?", sentence)
    assert "personalization.merge_field_unfilled" in codes(request(body))


@pytest.mark.parametrize(
    "sentence",
    [
        "Pour ne plus recevoir nos offres, répondez « STOP ».",
        "Si no desea recibir más ofertas, responda «BAJA».",
        "Per non ricevere altre comunicazioni, risponda «CANCELLAMI».",
        "Unsere Aktion «Winterpreise» läuft bis Januar.",
        "Notre opération « Ventes privées » commence en janvier.",
    ],
)
def test_merge_field_not_for_words_quoted_in_guillemets(sentence):
    body = PITCH.replace("Could I send you our catalogue?", sentence)
    assert "personalization.merge_field_unfilled" not in codes(request(body))


def test_merge_field_unfilled_in_subject_and_offsets_point_at_it():
    req = request(PITCH, subject="Lighting ideas for [Company Name]")
    ev = finding(req, "personalization.merge_field_unfilled")["evidence"][0]
    assert ev["field"] == "subject" and req["draft"]["subject"][ev["start"] : ev["end"]] == "[Company Name]"


@pytest.mark.parametrize(
    "text",
    [
        "See reference [1] for the test method.",
        "Discount: 20% off orders above 30% of last year.",
        "[EXTERNAL] forwarded by IT",
        "Price list (PDF) attached.",
        "https://x.com/a%20Name%20b",
        "The XXL size is back in stock.",
    ],
)
def test_merge_field_not_for_ordinary_brackets_and_percent(text):
    body = PITCH.replace("Could I send you our catalogue?", text)
    assert "personalization.merge_field_unfilled" not in codes(request(body))


def test_generic_greeting_when_the_name_is_known():
    f = finding(request(PITCH.replace("Dear Anna,", "Dear Sir/Madam,")), "personalization.generic_greeting")
    assert f and "Anna" in f["suggestion"]


@pytest.mark.parametrize(
    "greeting", ["Estimados clientes:", "Chers clients,", "Gentili clienti,", "Beste klanten,", "Dear Esteemed Customer,",
                 "Dear Valued Buyer,", "Liebe Kunden,"],
)  # fmt: skip
def test_generic_greeting_in_the_languages_users_write(greeting):
    req = request(PITCH.replace("Dear Anna,", greeting))
    assert "personalization.generic_greeting" in codes(req)
    assert "personalization.name_mismatch" not in codes(req)


def test_a_greeting_to_a_person_in_another_language_is_not_generic():
    req = request(PITCH.replace("Dear Anna,", "Estimada Anna:"))
    assert not {"personalization.generic_greeting", "personalization.name_mismatch"} & codes(req)


def test_generic_greeting_mass_marker_even_without_a_name():
    req = request(PITCH.replace("Dear Anna,", "Dear Valued Customer,"), to=[person("info@mueller-licht.de")])
    assert "personalization.generic_greeting" in codes(req)


def test_generic_greeting_not_for_sir_madam_to_an_anonymous_mailbox():
    req = request(PITCH.replace("Dear Anna,", "Dear Sir or Madam,"), to=[person("info@mueller-licht.de")])
    assert "personalization.generic_greeting" not in codes(req)


def test_generic_greeting_not_for_a_circular_to_many_companies():
    to = [person(f"buyer@shop{i}.de", f"Buyer {i}") for i in range(4)]
    assert "personalization.generic_greeting" not in codes(
        request(PITCH.replace("Dear Anna,", "Dear customers,"), to=to)
    )


def test_name_mismatch_greets_someone_else():
    f = finding(
        request(REPLY.replace("Hi Anna", "Hi Thomas"), reply=True, contacts=[CUSTOMER]), "personalization.name_mismatch"
    )
    assert f and f["severity"] == "block" and "Thomas" in f["message"]


@pytest.mark.parametrize(
    "greeting,name,email",
    [
        ("Hi Bob,", "Robert Hollis", "r.hollis@hollis-motors.co.uk"),
        ("Dear Mr. Kral,", "Jiří Král", "j.kral@kral-elektro.cz"),
        ("Dear Ingrid,", "Ingrid Sørensen", "ingrid@sorensen-vvs.dk"),
        ("Dear Mrs Sorensen,", "Ingrid Sørensen", "ingrid@sorensen-vvs.dk"),
        ("Hallo Herr Vogt,", "", "s.vogt@vogt-outdoor.de"),
        ("Hi Dan,", "Daniel Whitaker", "dan@whitaker.com"),
        ("Dear Sebastian,", "", "s.vogt@vogt-outdoor.de"),
        ("Hi Anna, hi Li,", "Anna Schmidt", "anna.schmidt@mueller-licht.de"),
    ],
)
def test_name_mismatch_not_for_nicknames_surnames_diacritics_and_colleagues(greeting, name, email):
    req = request(
        REPLY.replace("Hi Anna,", greeting),
        to=[person(email, name)],
        reply=True,
        cc=[person("li.na@lumos-lighting.cn", "Li Na")],
    )
    assert "personalization.name_mismatch" not in codes(req)


def test_name_mismatch_not_when_the_recipient_is_an_anonymous_mailbox():
    req = request(REPLY.replace("Hi Anna", "Hi Thomas"), to=[person("info@mueller-licht.de")], reply=True)
    assert "personalization.name_mismatch" not in codes(req)


LOMBARDI = contact(
    "r.lombardi@ceramiche-lombardi.it", "Roberto Lombardi", "Ceramiche Lombardi S.r.l.", "IT", stage="repeat"
)


def test_company_mismatch_names_another_customer():
    body = REPLY.replace("The 4000K version", "Thank you for the interest of Ceramiche Lombardi. The 4000K version")
    f = finding(request(body, reply=True, contacts=[CUSTOMER, LOMBARDI]), "personalization.company_mismatch")
    assert f and "Ceramiche Lombardi S.r.l." in f["message"]
    ev = f["evidence"][0]
    assert body[ev["start"] : ev["end"]] == "Ceramiche Lombardi"


def test_company_mismatch_not_for_a_reference_customer():
    body = PITCH.replace("Could I", "Retailers such as Ceramiche Lombardi in Milan use them. Could I")
    assert "personalization.company_mismatch" not in codes(request(body, contacts=[CUSTOMER, LOMBARDI]))


BALTIC = contact("tomas@baltictools.lt", "Tomas Petraitis", "Baltic Tools UAB", "LT", stage="customer")


@pytest.mark.parametrize(
    "where, text",
    [
        ("subject", "Offer for Baltic Tools"),
        ("body", "Baltic Tools deserves a partner that delivers before the season starts."),
        ("body", "Baltic Tools verdient einen Lieferanten, der pünktlich liefert."),
    ],
)
def test_company_mismatch_in_the_subject_or_as_the_subject_of_a_sentence_without_legal_form(where, text):
    body = PITCH.replace("Could I", f"{text} Could I") if where == "body" else PITCH
    req = request(body, subject=text if where == "subject" else "LED track lights", contacts=[CUSTOMER, BALTIC])
    f = finding(req, "personalization.company_mismatch")
    assert f and f["evidence"][0]["field"] == where and f["evidence"][0]["text"] == "Baltic Tools"


@pytest.mark.parametrize(
    "sentence",
    [
        "Your forwarder Baltic Tools will pick up the goods on Friday.",
        "Il vostro spedizioniere Baltic Tools ritirerà la merce venerdì.",
        "L'inspection finale sera faite par Baltic Tools le 9 décembre.",
        "Baltic Tools in Vilnius has been buying our pruners since 2023.",
        "Referencias en Lituania: Baltic Tools, en Vilnius, trabaja con nosotros desde 2022.",
        "Auch Baltic Tools führt unsere Gartenscheren.",
    ],
)
def test_company_mismatch_not_for_a_company_named_as_a_third_party(sentence):
    body = PITCH.replace("Could I", f"{sentence} Could I")
    assert "personalization.company_mismatch" not in codes(request(body, contacts=[CUSTOMER, BALTIC]))


def test_company_mismatch_not_for_the_recipients_own_company():
    assert "personalization.company_mismatch" not in codes(request(PITCH, contacts=[CUSTOMER, LOMBARDI]))


GENERIC_PITCH = (
    "Dear Sir/Madam,\n\nWe are a professional manufacturer of LED lights with 15 years of export "
    "experience. We can offer good quality and OEM service.\n\n" + SIGNATURE + "\nReply unsubscribe to opt out."
)


def test_missing_when_nothing_is_specific_to_the_reader():
    assert "personalization.missing" in codes(request(GENERIC_PITCH))


def test_missing_not_when_the_opening_refers_to_their_business():
    body = GENERIC_PITCH.replace(
        "We are a professional", "I saw your new showroom in Köln on your website. We are a professional"
    )
    assert "personalization.missing" not in codes(request(body))


def test_missing_not_for_a_reply_in_a_thread():
    assert "personalization.missing" not in codes(request(GENERIC_PITCH, reply=True, subject="Re: LED"))


@pytest.mark.parametrize(
    "greeting",
    [
        "Dear Müller Licht team,",
        "Good morning from Ningbo!",
        "Dear Procurement Team of Müller Licht GmbH,",
        "Hi all at Mueller Licht,",
        "Hello Anna-Lena,",
        "Dear Ms. Schmidt-Weber,",
        "Hi there, hope you are well.",
    ],
)
def test_name_mismatch_not_for_company_names_and_phrases_in_the_greeting(greeting):
    req = request(
        REPLY.replace("Hi Anna,", greeting),
        reply=True,
        to=[person("anna.schmidt@mueller-licht.de", "Anna Schmidt")],
        contacts=[CUSTOMER],
    )
    assert "personalization.name_mismatch" not in codes(req)
