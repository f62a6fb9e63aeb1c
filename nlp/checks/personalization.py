"""Personalization: placeholders, generic greetings, the wrong name or company, nothing personal at all."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..i18n import N_
from ..message import Message
from ..names import company_core, company_pattern, fold, same_person_token
from ..text import URL_OR_EMAIL, blank
from .base import Hit, evidence

# Merge-field syntaxes of mail-merge and CRM tools. Square brackets and
# parentheses need a placeholder word inside, so "[1]", "[EXTERNAL]" or
# "(see attached)" never match.
_PLACEHOLDER_WORDS = (
    r"(?:(?:first|last|given|family|full|sur|company|customer|client|contact|recipient|your|their|his|her|"
    r"business|job|product|brand)?[ _-]?"
    r"(?:name|names|company|customer|client|contact|recipient|title|position|city|country|address|email|"
    r"phone|website|industry|product|brand|date|surname|firstname|lastname|fname|lname|salutation|greeting)"
    r"(?:[ _-]?(?:name|here))?"
    # The same fields as the customer's language names them in a template:
    # [Firmenname], {{nom}}, <<Empresa>>, %VORNAME%, [Naam bedrijf], [Nome azienda].
    r"|(?:(?:vor|nach|familien|firmen|kunden)?name|vorname|nachname|firma|firmenname|unternehmen|anrede|"
    r"nom|pr[ée]nom|soci[ée]t[ée]|entreprise|raison[ _-]sociale|civilit[ée]|"
    r"nombre|apellidos?|empresa|compa[ñn][íi]a|raz[óo]n[ _-]social|"
    r"nome|cognome|azienda|ditta|societ[àa]|ragione[ _-]sociale|"
    r"naam|voornaam|achternaam|bedrijf|bedrijfsnaam|aanhef)"
    r"(?:[ _-](?:bedrijf|azienda|empresa|entreprise|firma|klant|client[ea]?|kunde|contact|contacto|contatto))?)"
)
MERGE_FIELD = re.compile(
    r"\{\{[^{}\n]{1,60}\}\}"  # {{first_name}}, {{ contact.firstname }}
    r"|\{![\w.]{1,60}\}"  # {!Contact.FirstName}
    r"|\{\s*[A-Za-z_][\w.]{1,40}\s*\}"  # {FirstName}
    r"|\*\|[A-Z0-9_:]{2,40}\|\*"  # *|FNAME|*
    r"|%%?[A-Za-z_][A-Za-z_]{2,40}%%?(?![\w%])"  # %FIRSTNAME%
    r"|\$\{[A-Za-z_][\w.]{1,40}\}"  # ${name}
    # <<Name>>, «Name» (Word mail merge), <<FIRST_NAME>>; a capitalised word in
    # guillemets is a quotation (répondez « STOP », responda «BAJA»), not a field.
    rf"|<<\s*(?:{_PLACEHOLDER_WORDS}|(?-i:[A-Z]+_[A-Z_]+))\s*>>"
    rf"|«\s*(?:{_PLACEHOLDER_WORDS}|(?-i:[A-Z]+_[A-Z_]+))\s*»"
    r"|[\[【{(（]\s*[^\]】})）\n]{0,8}(?:客户|公司|姓名|名字|称呼|联系人|名称|名)[^\]】})）\n]{0,8}\s*[\]】})）]"  # [客户公司]
    r"|\[\[[^\[\]\n]{1,40}\]\]"  # [[name]]
    rf"|\[\s*(?:insert\s+)?{_PLACEHOLDER_WORDS}\s*\]"  # [Name], [Company Name], [insert name]
    r"|\[\s*(?:insert|add|enter)\b[^\[\]\n]{1,40}\]"  # [insert anything]
    r"|\[\s*[A-Z][A-Z_]{2,30}_[A-Z_]{2,30}\s*\]"  # [FIRST_NAME]
    rf"|\(\s*{_PLACEHOLDER_WORDS}\s*\)"  # (Name)
    rf"|<\s*{_PLACEHOLDER_WORDS}\s*>",  # <First Name>
    re.IGNORECASE,
)
# A blank a template left for the name: "Dear XXX," "Dear ___," "Dear [ ],".
_BLANK_NAME = re.compile(r"\b[Xx]{3,}\b|_{3,}|\*{3,}|\[\s*\]|\(\s*\)|#{3,}|\.{3,}")


def merge_field_unfilled(m: Message, p: dict) -> Iterator[Hit]:
    """Unfilled merge field.

    What: A placeholder from a template or mail-merge tool — {{first_name}}, [Company Name], *|FNAME|*, %FIRSTNAME%, <<Name>>, "Dear XXX" — is still in the subject or the body.
    Why: Nothing shows a mass mail more clearly than a template that was not filled in. The reader knows at once that nobody wrote to them personally, and the email is usually deleted unread; spam filters score unreplaced merge tags too.
    Instead: Replace every placeholder with the real name, company or detail before sending, or remove it.
    """
    found = []
    subject = blank(m.draft.subject, URL_OR_EMAIL)
    for mo in MERGE_FIELD.finditer(subject):
        found.append(evidence("subject", mo.group(0), mo.start(), mo.end()))
    visible = blank(m.segments.visible, URL_OR_EMAIL)
    for mo in MERGE_FIELD.finditer(visible):
        found.append(evidence("body", m.body[mo.start() : mo.end()], mo.start(), mo.end()))
    g = m.greeting
    if g.kind in ("placeholder", "bare", "generic") and g.text:
        line = m.body[g.start : g.end]
        for mo in _BLANK_NAME.finditer(line):
            if not any(e["field"] == "body" and e["start"] <= g.start + mo.start() < e["end"] for e in found):
                found.append(evidence("body", mo.group(0), g.start + mo.start(), g.start + mo.end()))
    if found:
        yield Hit(
            N_("A template placeholder was left unfilled: {placeholders}."),
            N_("Replace each placeholder with the real name or detail, or delete it."),
            {"placeholders": sorted({e["text"] for e in found})},
            evidence=found,
            recipients=[r.email for r in m.recipients],
        )


def generic_greeting(m: Message, p: dict) -> Iterator[Hit]:
    """Generic greeting.

    What: A message to one external contact opens with a generic greeting — "Dear Sir/Madam", "Dear Customer", "To whom it may concern", "Dear Friend" — although the recipient's name is known, or with a greeting that only mass mail uses.
    Why: In Europe and North America business email is personal correspondence. A generic greeting tells the reader in the first line that this is a circular, and "Dear Friend" or "Dear Customer" is a classic mark of spam for readers and filters alike.
    Instead: Greet the person by name ("Dear Ms Schmidt", or "Hi Anna" once you are on first-name terms). If you really do not know the name, find it (website, LinkedIn, a phone call) before writing.
    """
    g = m.greeting
    if not m.one_to_one or g.kind not in ("generic", "mass"):
        return
    named = [r for r in m.recipients if r.first_name]
    if g.kind == "generic" and not named:
        return  # "Dear Sir or Madam" to a mailbox whose owner is unknown is correct letter style
    name = named[0].first_name if named else ""
    yield Hit(
        N_("“{greeting}” tells the reader this is a mass mail.")
        if g.kind == "mass" or not named
        else N_("“{greeting}” although you know the reader's name."),
        N_("Greet {name} by name.") if name else N_("Greet the reader by name."),
        {"greeting": g.text.strip().rstrip(",:"), "name": name},
        evidence=[evidence("body", m.body[g.start : g.end], g.start, g.end)],
        recipients=[r.email for r in m.recipients],
    )


def name_mismatch(m: Message, p: dict) -> Iterator[Hit]:
    """Wrong name in the greeting.

    What: The greeting addresses a person who is not among the recipients ("Dear John" in an email to Anna).
    Why: Calling a customer by someone else's name is the most visible sign of copy-and-paste mass mail, and it often reveals that the text was written for another customer. It damages the relationship more than any generic greeting.
    Instead: Correct the name; check that the rest of the text (company, products, prices) also belongs to this customer.
    """
    g = m.greeting
    if g.kind != "names" or not g.names:
        return
    everyone = [*m.recipients]
    # Colleagues in Cc can be greeted too ("Hi Anna and Li").
    known: list[list[str]] = [r.name_tokens for r in everyone]
    known += [_tokens_of(a) for a in m.internal_recipients]
    if not everyone or any(not toks for toks in known[: len(everyone)]):
        return  # someone's name is unknown: a different name may well be theirs
    strangers = [n for n in g.names if len(n) > 1 and not any(same_person_token(n, k) for toks in known for k in toks)]
    if not strangers:
        return
    names = [r.address.name or (r.contact.name if r.contact else "") or r.email for r in everyone]
    yield Hit(
        N_("The greeting names {greeted}, but the email goes to {recipients}."),
        N_("Correct the name, and check the rest of the text belongs to this customer."),
        {"greeted": [s.title() for s in strangers], "recipients": names},
        evidence=[evidence("body", m.body[g.start : g.end], g.start, g.end)],
        recipients=[r.email for r in everyone],
    )


def _tokens_of(a) -> list[str]:
    from ..names import is_personal_display_name, local_part_names, tokens

    return (tokens(a.name) if is_personal_display_name(a.name) else []) + local_part_names(a.local)


# Words before a company name that make it a reference, not an address:
# "customers such as Lombardi", "we also supply Lombardi".
# Words (folded to ASCII, as the text they are matched on) before another
# company's name that say it is named as a third party:
# an example or reference, a partner in the transaction (the forwarder, the
# inspector), or the one doing something ("picked up by", "faite par").
_REFERENCE_CUE = re.compile(
    r"(?:\b(?:such as|like|including|include|includes|e\.g|for example|for instance|as well as|among them|"
    r"customers?|clients?|references?|partners?|supplied|supply|supplies|supplying|work(?:ed|s|ing)? with|"
    r"also|distributors?|competitors?|brands?|versus|vs|by|via|through|from|"
    r"forwarder|freight forwarder|carrier|agent|inspection|inspector|inspected|auditor|lab|laboratory|"
    # de, fr, es, it, nl
    r"wie z\. ?b|zum beispiel|kunden|referenz(?:en)?|auch|von|durch|uber|spediteur|inspektion|prufer|"
    r"comme|par exemple|clients?|references?|aussi|egalement|par|via|transitaire|inspection|inspecteur|"
    r"como|por ejemplo|clientes|referencias?|tambien|por|transitario|inspeccion|inspector|"
    r"come|ad esempio|clienti|referenze|anche|da|da parte di|tramite|spedizioniere|ispezione|ispettore|"
    r"zoals|bijvoorbeeld|klanten|referenties?|ook|door|via|expediteur|inspectie|inspecteur)"
    r"\b\.?[\s:,]*(?:[\w.&'-]+\s+){0,2}"
    r"|(?:\band|\bor|\bund|\bet|\by|\be|\ben|,|&)\s*)$",
    re.IGNORECASE,
)
# Words after it that say the same: "X has been buying our valves", "X trabaja con nosotros".
_REFERENCE_AFTER = re.compile(
    # possessive (*+): white space is not given back, so a long run of it fails at once
    r"^[\s,]*+(?:(?:in|en|a|aus|de|di|uit)\s++[\w-]++[\s,]*+)?"
    r"(?:has been|have been|is|are|was|were|ist|sind|est|sont|es|son|e|sono|is|zijn)?\s*+"
    r"(?:buying|buys|bought|uses|used|using|work(?:s|ed)? with|a customer|our customer|one of our|"
    r"kauft|kaufte|arbeitet mit|achete|achetait|travaille avec|compra|compraba|trabaja con|"
    r"acquista|lavora con|koopt|werkt met|will pick|picks up|ritirer|recoger|abholen|enlevera|haalt)\b",
    re.IGNORECASE,
)


def company_mismatch(m: Message, p: dict) -> Iterator[Hit]:
    """Another customer's company.

    What: The subject or the body names the company of another known customer where the recipient's own company belongs ("Thank you for your interest, Nordlicht Handel" in an email to someone at Sonnberg Bau), with or without its legal form. A company named as a third party (a reference customer, the forwarder, the inspector) is not a mismatch.
    Why: It shows the reader that the text was written for someone else, and it discloses who your other customers are, which buyers take as a breach of confidence.
    Instead: Replace the other company's name with the recipient's, and re-read the email for prices, products or details that belonged to the other customer.
    """
    own_orgs = {r.organisation for r in m.recipients}
    own_cores = {company_core(r.company) for r in m.recipients if r.company}
    own_cores |= {company_core(m.ctx.org_name)} if m.ctx.org_name else set()
    others: dict[str, str] = {}
    for c in m.ctx.contacts.values():
        core = company_core(c.company)
        if not core or len(core) < 4 or core in own_cores or c.email in {r.email for r in m.recipients}:
            continue
        from ..jurisdiction import organisation_of

        if organisation_of(c.email.rpartition("@")[2]) in own_orgs or m.is_internal(c.email):
            continue
        others.setdefault(core, c.company)
    if not others:
        return
    s = m.segments
    fields = [
        ("subject", m.draft.subject, 0, len(m.draft.subject)),
        ("body", s.visible, s.content_start, s.content_end),
    ]
    found, companies = [], []
    for field_name, text, lo, hi in fields:
        folded = fold(text)
        for core, company in others.items():
            for mo in company_pattern(core).finditer(folded[lo:hi]):
                start, end = lo + mo.start(), lo + mo.end()
                before, after = folded[max(0, start - 40) : start], folded[end : end + 40]
                if _REFERENCE_CUE.search(before) or _REFERENCE_AFTER.search(after):
                    continue
                found.append(evidence(field_name, text[start:end], start, end))
                if company not in companies:
                    companies.append(company)
    if found:
        yield Hit(
            N_("The email names {companies}, another customer, where {recipient_company} belongs."),
            N_("Replace it with the recipient's company and re-check prices and details."),
            {
                "companies": companies,
                "recipient_company": next((r.company for r in m.recipients if r.company), m.recipients[0].email),
            },
            evidence=found,
            recipients=[r.email for r in m.recipients],
        )


def missing(m: Message, p: dict) -> Iterator[Hit]:
    """Nothing personal.

    What: A first-contact or sales message to an external recipient says nothing specific to them: no name, no company, no reference to their business or to a past exchange.
    Why: Buyers in Europe and North America receive many offers a day and answer the ones that show the sender knows their business. A message that could go to anyone reads as a mass mail, and spam filters see the same text everywhere.
    Instead: Open with the person's name and one sentence about their company: what they sell, a project, a trade-fair meeting, their last order or question. Use the CRM context shown below.
    """
    if m.in_thread or not m.commercial:
        return
    if m.greeting.kind == "names" and any(
        same_person_token(n, k) for n in m.greeting.names for r in m.recipients for k in r.name_tokens
    ):
        return
    s = m.segments
    text = fold(m.draft.subject + "\n" + s.visible[s.content_start : s.content_end])
    if m.greeting.kind == "names" and not m.recipients[0].name_tokens:
        return  # greeted by a name we cannot check: give the benefit of the doubt
    for r in m.recipients:
        core = company_core(r.company)
        if core and len(core) >= 3 and company_pattern(core).search(text):
            return
        if r.contact and r.contact.industry and len(r.contact.industry) > 3 and fold(r.contact.industry) in text:
            return
    if m.body_matches("BUSINESS_REF", "content"):
        return
    yield Hit(
        N_("Nothing in this email is specific to the reader: no name, company or reference to their business."),
        N_("Open with the person's name and one sentence about their business or your last exchange."),
        {},
        recipients=[r.email for r in m.recipients],
    )
