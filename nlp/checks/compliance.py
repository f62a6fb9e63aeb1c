"""Compliance: consent, opt-out, sender identity and address, honest subjects (compliance.md)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

from rapidfuzz import fuzz

from ..i18n import N_, Country, Text
from ..jurisdiction import B2B_OPT_IN, B2C_OPT_IN, uk_corporate
from ..message import INDIVIDUAL, Message, Recipient
from .base import Hit, evidence


def unsubscribe_missing(m: Message, p: dict) -> Iterator[Hit]:
    """No way to opt out.

    What: A commercial or promotional message (not a reply in an exchange the customer started) offers no way to stop receiving such messages.
    Why: The law asks for it almost everywhere our customers are: CAN-SPAM in the US, CASL in Canada, the ePrivacy rules and Germany's UWG in Europe, PECR in the UK, the Spam Act in Australia. Readers who cannot opt out press "Report spam" instead, which hurts the whole domain's delivery.
    Instead: End the email with one plain line, for example: "If you'd rather not hear from us, reply 'unsubscribe' and we will not write again." Honour every such request.
    """
    if m.commercial and not m.opt_out_offered:
        yield Hit(
            N_("This is a promotional email with no way for the reader to opt out."),
            N_(
                "Add a line such as: If you'd rather not hear from us, reply “unsubscribe” and we will not write again."
            ),
            recipients=[r.email for r in m.recipients],
        )


def postal_address_missing(m: Message, p: dict) -> Iterator[Hit]:
    """No postal address.

    What: A commercial message to a recipient in the United States (or Canada) does not give the sender's postal address.
    Why: CAN-SPAM requires every commercial email to carry the sender's valid physical postal address, with penalties per email; Canada's CASL likewise requires a mailing address.
    Instead: Put the company's full postal address in the signature.
    """
    if not m.commercial:
        return
    targets = [r for r in m.recipients if r.country in ("US", "CA")]
    if targets and not m.postal_address_given:
        yield Hit(
            N_("A commercial email to North America must show your postal address, and this one does not."),
            N_("Add your company's postal address to the signature: {address}.")
            if m.ctx.postal_address
            else N_("Add your company's postal address to the signature."),
            {"address": m.ctx.postal_address},
            recipients=[r.email for r in targets],
        )


def sender_identity_missing(m: Message, p: dict) -> Iterator[Hit]:
    """Sender not identified.

    What: A commercial message does not say which company is sending it.
    Why: ePrivacy, Germany's UWG, PECR, CASL and the Spam Act all forbid marketing email that hides who sends it, and readers do not answer an offer from a name without a company.
    Instead: Sign with your name, position and the company's full legal name (and website).
    """
    if m.commercial and not m.sender_identified:
        yield Hit(
            N_("The email does not say which company is writing."),
            N_("Sign with your name, position and your company's full name."),
            recipients=[r.email for r in m.recipients],
        )


_REASONS = {
    "DE": N_("German law (UWG §7) requires prior express consent for advertising email, to businesses too."),
    "B2B": N_("{country} requires prior consent for marketing email, to businesses too."),
    "CA": N_("Canada's CASL requires express or implied consent for commercial email."),
    "CA_EXPIRED": N_("Implied consent under CASL has expired (purchase over 2 years or enquiry over 6 months ago)."),
    "GB": N_("UK PECR requires consent to market to individuals, sole traders and partnerships."),
    "EU": N_("EU ePrivacy rules require prior consent for marketing email to individuals."),
    "AU": N_("Australia's Spam Act requires consent for commercial email."),
    "UNKNOWN": N_("The recipient's country is unknown, so the strictest rules apply (EU, Germany, Canada)."),
}


def _consent_gap(m: Message, r: Recipient) -> tuple[str, str | None] | None:
    """Why this recipient needs consent we do not have: (reason, lowered severity) or None."""
    c = r.contact
    status = c.consent_status if c else ""
    if status in ("opt_in", "opt_out") or (c and c.unsubscribed):
        return None  # consent on record, or an opt-out (a different finding)
    stage = c.stage if c else ""
    country = r.country
    if country == "CA":
        return _casl_gap(m, r)
    individual = r.kind == INDIVIDUAL or (country == "GB" and not uk_corporate(r.company if c else ""))
    if not country:
        needed, reason, severity = True, "UNKNOWN", "info"
    elif country == "DE":
        needed, reason, severity = True, "DE", None
    elif country in B2B_OPT_IN:
        needed, reason, severity = True, "B2B", None
    elif individual and country in B2C_OPT_IN:
        needed, reason, severity = True, ("GB" if country == "GB" else "AU" if country == "AU" else "EU"), None
    else:
        needed = False
    if not needed:
        return None
    # Soft opt-in: an existing customer (or, in the UK, negotiations for a sale)
    # may get offers for similar products as long as every mail offers an opt-out.
    if status == "soft_opt_in" or stage in ("customer", "repeat") or (country == "GB" and stage == "negotiation"):
        return None
    return reason, severity


def _casl_gap(m: Message, r: Recipient) -> tuple[str, str | None] | None:
    c = r.contact
    if c is None:
        return "CA", None
    today = m.ctx.now.date()
    inbound = [i.date for i in c.interactions if i.date and i.direction != "out"]
    dated = inbound + ([c.consent_date] if c.consent_date else [])
    if c.stage in ("customer", "repeat") and any(today - d <= timedelta(days=730) for d in dated):
        return None
    if any(today - d <= timedelta(days=183) for d in inbound):
        return None
    if c.stage in ("customer", "repeat") or inbound or c.consent_status == "soft_opt_in":
        return "CA_EXPIRED", None
    return "CA", None


def consent_missing(m: Message, p: dict) -> Iterator[Hit]:
    """No consent on record.

    What: A commercial message goes to a recipient whose country requires prior consent for this kind of recipient — consumers in the EU/EEA, the UK, Canada and Australia; businesses too in Germany, the Netherlands, Spain, Italy and Canada — and neither consent nor a qualifying relationship (existing customer, CASL implied consent within its time limits) is on record.
    Why: Unsolicited marketing email without consent is unlawful there: in Germany a single email to a business can bring a costly cease-and-desist letter (Abmahnung), and Canada's CASL fines reach millions of dollars. Even where it is legal, unrequested offers get reported as spam.
    Instead: Get permission first — a trade-fair form, a website enquiry, a LinkedIn conversation or a phone call — and record it in the CRM, or write only about the request or order the customer started.
    """
    if not m.commercial:
        return
    groups: dict[tuple[str, str | None, str], list[Recipient]] = {}
    for r in m.recipients:
        gap = _consent_gap(m, r)
        if gap:
            groups.setdefault((gap[0], gap[1], r.country), []).append(r)
    for (reason, severity, country), rs in groups.items():
        yield Hit(
            N_("No consent is on record for {recipients}. {reason}"),
            N_(
                "Get and record permission first (trade fair, website enquiry, call), or write only about "
                "what the customer asked for."
            ),
            {"recipients": [r.email for r in rs], "reason": Text(_REASONS[reason], {"country": Country(country)})},
            recipients=[r.email for r in rs],
            severity=severity,
        )


def suppressed_recipient(m: Message, p: dict) -> Iterator[Hit]:
    """Recipient opted out.

    What: A recipient has unsubscribed or objected to marketing email.
    Why: Writing again after an opt-out is unlawful nearly everywhere (GDPR Art. 21, CAN-SPAM's 10-day rule, CASL, PECR) and it is what makes customers report spam. Only messages about an order or request they started are still fine.
    Instead: Remove the recipient, or limit the email to their open order or question, with no offers in it.
    """
    if not (m.commercial or (not m.in_thread and m.transactional_score == 0)):
        return
    rs = [r for r in m.recipients if r.contact and (r.contact.unsubscribed or r.contact.consent_status == "opt_out")]
    if rs:
        yield Hit(
            N_("{recipients} opted out of marketing email."),
            N_("Remove them, or write only about their open order or question, without offers."),
            {"recipients": [r.email for r in rs]},
            evidence=[evidence(r.field, r.email) for r in rs],
            recipients=[r.email for r in rs],
        )


def ad_not_identified(m: Message, p: dict) -> Iterator[Hit]:
    """Advertisement not identified.

    What: A commercial message to a US recipient who has not opted in does not say that it is an advertisement.
    Why: CAN-SPAM requires commercial email to be clearly identified as an advertisement unless the recipient gave affirmative consent.
    Instead: Add a short note such as "This email is an advertisement from <company>" near the signature, or get the customer's opt-in.
    """
    if not m.commercial or m.ad_identified:
        return
    rs = [r for r in m.recipients if r.country == "US" and not (r.contact and r.contact.consent_status == "opt_in")]
    if rs:
        yield Hit(
            N_("A promotional email to a US recipient without opt-in must say it is an advertisement."),
            N_("Add a note such as “This email is an advertisement from {company}.”"),
            {"company": m.ctx.org_name or (m.draft.sender.domain if m.draft.sender else "us")},
            recipients=[r.email for r in rs],
        )


REPLY_PREFIX = re.compile(
    r"^\s*(?:(?:re|fw|fwd|aw|wg|tr|sv|vs|vb|antw|rif|r|enc|res|odp|pd|fs|回复|答复|转发|回覆|轉寄|转)"
    r"\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*)+",
    re.IGNORECASE,
)
_FORWARDED = re.compile(
    r"forwarded message|original message|weitergeleitete nachricht|ursprüngliche nachricht|"
    r"message transféré|转发的邮件|原始邮件|^[ \t]*(?:from|von|de)[ \t]*:",
    re.IGNORECASE | re.MULTILINE,
)
_FAKE_TRANSACTION = re.compile(
    r"\b(?:your|ur)\s+(?:order|invoice|payment|account|request|inquiry|enquiry|quotation|quote|parcel|shipment)\b"
    r"|^\s*(?:invoice|payment (?:received|confirmation|due)|order confirmation)\b",
    re.IGNORECASE,
)


def deceptive_subject(m: Message, p: dict) -> Iterator[Hit]:
    """Deceptive subject.

    What: The subject pretends to be a reply or forward ("RE:", "FW:", "AW:", "回复:") although there is no earlier exchange, or claims an order, invoice or request that does not exist.
    Why: A fake reply is a classic spam trick: readers feel deceived the moment they notice, and it is unlawful — CAN-SPAM forbids misleading subject lines, Canada's Competition Act forbids them without any materiality threshold, and German law forbids hiding the commercial character in the subject.
    Instead: Write an honest subject that says what the email offers, for example "Booster pumps for Gruber Pumpen – price list".
    """
    subject = m.draft.subject
    if not subject or m.in_thread or not m.external:
        return
    known = [i.subject for r in m.recipients if r.contact for i in r.contact.interactions]
    known += [h.subject for h in m.ctx.history if any(r.email in h.to for r in m.recipients)]
    stripped = REPLY_PREFIX.sub("", subject).strip().lower()
    if any(fuzz.ratio(stripped, REPLY_PREFIX.sub("", k).strip().lower()) >= 80 for k in known if k):
        return  # a real earlier exchange on this subject: probably a reply composed as a new message
    prefix = REPLY_PREFIX.match(subject)
    if prefix:
        if re.match(r"\s*(?:fw|fwd|wg|tr|vb|enc|pd|fs|转发|轉寄|转)", subject, re.IGNORECASE) and (
            _FORWARDED.search(m.body) or m.segments.has_quote
        ):
            return  # a genuine forward carries the forwarded message
        if m.draft.is_reply is None and any(r.relationship != "cold" for r in m.recipients):
            return  # the platform did not tell us about the thread, and there is history
        yield Hit(
            N_("The subject starts with “{prefix}” but there is no earlier exchange: it pretends to be a reply."),
            N_("Remove “{prefix}” and write a subject that says what the email offers."),
            {"prefix": prefix.group(0).strip()},
            evidence=[evidence("subject", prefix.group(0), prefix.start(), prefix.end())],
            recipients=[r.email for r in m.recipients],
        )
        return
    fake = _FAKE_TRANSACTION.search(subject)
    if fake and m.commercial and m.first_contact:
        yield Hit(
            N_("The subject mentions “{claim}”, but there is no such earlier exchange with this recipient."),
            N_("Write a subject that says honestly what the email offers."),
            {"claim": fake.group(0).strip()},
            evidence=[evidence("subject", fake.group(0), fake.start(), fake.end())],
            recipients=[r.email for r in m.recipients],
        )
