"""What the checks look at: the draft as a reader, a spam filter and a regulator see it.

`Message` is built once per analysis and computes each feature lazily, so a
check pays only for what it uses. Checks read from it and never parse the
request themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property

from . import jurisdiction as jur
from .address import contains_address, contains_org_address
from .names import (
    GENERIC_ADDRESSEES,
    GROUP_WORDS,
    MASS_MARKERS,
    ascii_fold,
    company_core,
    domain_label,
    is_personal_display_name,
    local_part_names,
    tokens,
)
from .pipeline import Match, matcher
from .request import Address, Contact, Context, Draft
from .sent_index import SentIndex
from .text import LEGAL_FORM, TITLES, URL_OR_EMAIL, Html, Segments, Window, blank, reduce_html, segment, window

# Up to seven capitalised words before a legal form ("Ningbo Brightway Lighting Co., Ltd.").
# Words start after a non-word character and are at most 60 long, so a long
# run of letters or digits is tried once, not from every position.
_COMPANY_WITH_LEGAL_FORM = re.compile(r"(?<![\w&'.-])(?:[A-Z0-9][\w&'.-]{0,60}[ \t]{1,10}){1,7}" + LEGAL_FORM.pattern)

INDIVIDUAL, BUSINESS = "individual", "business"

# How recent a recipient's own message must be for a reply-like delivery.
ASKED_WITHIN = timedelta(days=180)
# Promotional families that make an offer; news for everyone that does not
# concern the recipient's own business.
OFFER_FAMILIES = frozenset({"offer", "deal", "new_products", "best_price", "free", "free_shipping", "catalogue"})
GENERAL_NOTICES = frozenset({"notice", "production"})
# The word for an offer or a quotation, which a buyer asks for as much as a seller makes one.
_OFFER_WORDS = frozenset(
    "offer offers quotation quote offre offres devis oferta ofertas offerta offerte angebot angebote".split()
)
# A subject that says it is an advertisement: "ADV:", "[Ad]", "(Werbung)", "Publicidad -";
# anchored, so a search cannot retry it from every position of a long run.
_AD_PREFIX = re.compile(
    r"\A\s*+[\[(]?+\s*+(?:ADV?|Advertisement|Anzeige|Werbung|Publicit[ée]|Publicidad|Pubblicit[àa]|Advertentie|Reclame)"
    r"\s*+[:\])-]",
    re.IGNORECASE,
)
# A CRM note of a request: "asked for a quotation", "wants samples", "Anfrage".
_REQUEST = re.compile(
    r"\b(?:ask(?:s|ed)?|request(?:s|ed)?|inquir(?:y|ies|ed)|enquir(?:y|ies|ed)|rfq|quot(?:e|es|ation)|"
    r"wants?|would like|needs?|interested in|send (?:him|her|them)|"
    r"anfrage|angefragt|bittet|demande|demandé|solicit(?:a|ó|ud)|pidi[óo]|richiest[ao]|chiede|aanvraag|vraagt|vroeg)",
    re.IGNORECASE,
)
_PREPOSITIONS = frozenset("from of at in for aus bei für with".split())


@dataclass(frozen=True)
class Recipient:
    address: Address
    field: str  # "to", "cc" or "bcc"
    contact: Contact | None
    country: str  # ISO code or ""
    kind: str  # INDIVIDUAL or BUSINESS
    relationship: str  # "cold", "contacted", "warm", "customer"
    last_interaction: str  # ISO date or ""
    company: str  # as the CRM knows it, else from the domain

    @property
    def email(self) -> str:
        return self.address.email

    @property
    def organisation(self) -> str:
        """Each freemail address is its own organisation."""
        d = self.address.domain
        return self.email if jur.is_freemail(d) else jur.organisation_of(d)

    @cached_property
    def name_tokens(self) -> list[str]:
        """Every name token known for this person (display name, CRM, address)."""
        out: list[str] = []
        if is_personal_display_name(self.address.name):
            out += tokens(self.address.name)
        if self.contact and is_personal_display_name(self.contact.name):
            out += tokens(self.contact.name)
        out += local_part_names(self.address.local)
        return out

    @property
    def first_name(self) -> str:
        for source in (self.contact.name if self.contact else "", self.address.name):
            if is_personal_display_name(source):
                name = source.split(",")[1] if source.count(",") == 1 else source
                toks = [t for t in re.findall(r"[^\W\d_]+(?:-[^\W\d_]+)*", name) if t.lower() not in TITLES]
                if toks:
                    return toks[0]
        return ""


@dataclass(frozen=True, slots=True)
class GreetingInfo:
    kind: str  # "names", "generic", "mass", "group", "bare", "placeholder", "none"
    names: tuple[str, ...]  # folded name tokens for kind "names"
    text: str
    start: int
    end: int


class Message:
    def __init__(self, draft: Draft, ctx: Context, sent_index: SentIndex | None = None):
        self.draft = draft
        self.ctx = ctx
        self.sent_index = sent_index

    # -- parties ---------------------------------------------------------------

    @cached_property
    def org_domains(self) -> frozenset[str]:
        if self.ctx.org_domains:
            return frozenset(self.ctx.org_domains)
        return frozenset({self.draft.sender.domain}) if self.draft.sender else frozenset()

    def is_internal(self, email: str) -> bool:
        domain = email.rpartition("@")[2]
        return domain in self.org_domains or any(domain.endswith("." + d) for d in self.org_domains)

    @cached_property
    def recipients(self) -> list[Recipient]:
        """External recipients, each once, To before Cc before Bcc."""
        seen, out = set(), []
        for field_name in ("to", "cc", "bcc"):
            for a in getattr(self.draft, field_name):
                if a.email in seen or self.is_internal(a.email):
                    continue
                seen.add(a.email)
                out.append(self._recipient(a, field_name))
        return out

    @cached_property
    def internal_recipients(self) -> list[Address]:
        return [a for a in (*self.draft.to, *self.draft.cc, *self.draft.bcc) if self.is_internal(a.email)]

    @property
    def external(self) -> bool:
        return bool(self.recipients)

    @cached_property
    def visible(self) -> list[Recipient]:
        return [r for r in self.recipients if r.field in ("to", "cc")]

    @cached_property
    def organisations(self) -> set[str]:
        return {r.organisation for r in self.recipients}

    @property
    def one_to_one(self) -> bool:
        """Written to one external organisation (a person, maybe with colleagues in Cc)."""
        return len(self.organisations) == 1

    def _recipient(self, a: Address, field_name: str) -> Recipient:
        c = self.ctx.contacts.get(a.email)
        country = jur.country_code(c.country) if c and c.country else ""
        country = country or jur.country_from_domain(a.domain)
        freemail = jur.is_freemail(a.domain)
        if c and c.kind:
            kind = INDIVIDUAL if c.kind == "b2c" else BUSINESS
        else:
            kind = INDIVIDUAL if freemail else BUSINESS
        company = (c.company if c and c.company else "") or (
            "" if freemail else domain_label(jur.organisation_of(a.domain))
        )
        relationship, last = self._relationship(a, c)
        return Recipient(a, field_name, c, country, kind, relationship, last, company)

    def _relationship(self, a: Address, c: Contact | None) -> tuple[str, str]:
        inbound = [i for i in (c.interactions if c else ()) if i.direction != "out"]
        dates = [i.date for i in (c.interactions if c else ()) if i.date]
        last = max(dates).isoformat() if dates else ""
        if c and c.stage in ("customer", "repeat"):
            return "customer", last
        if inbound or self.in_thread or (c and (c.stage in ("sample", "negotiation") or c.consent_status == "opt_in")):
            return "warm", last
        if (c and c.interactions) or any(a.email in h.to for h in self.ctx.history):
            return "contacted", last
        return "cold", last

    # -- thread ------------------------------------------------------------------

    @cached_property
    def in_thread(self) -> bool:
        """A reply in an existing conversation (the platform says so, or the headers show it)."""
        d = self.draft
        return bool(d.is_reply or d.previous_messages > 0 or "in-reply-to" in d.headers or "references" in d.headers)

    # -- body ----------------------------------------------------------------------

    @cached_property
    def html(self) -> Html | None:
        return reduce_html(self.draft.html) if self.draft.html else None

    @cached_property
    def window(self) -> Window:
        """Of a very long body, the beginning and end the engine reads (text.window)."""
        if self.draft.text is not None and self.draft.text.strip():
            return window(self.draft.text)
        return window(self.html.text if self.html else "")

    @cached_property
    def body(self) -> str:
        """The plain text the engine analyses; evidence offsets index into it
        until the engine maps them to the whole body (Window.original)."""
        return self.window.text

    @cached_property
    def segments(self) -> Segments:
        names = tuple(n for n in (self.draft.sender.name if self.draft.sender else "",) if n)
        quote = self.html.quote_start if (self.html and self.body is self.html.text) else None
        return segment(self.body, quote, names)

    @cached_property
    def matches(self) -> list[Match]:
        """Pattern matches over the visible body (quotes blanked)."""
        return matcher()(self.segments.visible)

    @cached_property
    def subject_matches(self) -> list[Match]:
        return matcher()(self.draft.subject) if self.draft.subject else []

    def body_matches(self, label: str, region: str = "all") -> list[Match]:
        s = self.segments
        lo, hi = {
            "all": (0, len(s.visible)),
            "content": (s.content_start, s.content_end),
            "signature": (s.signature_start or len(s.visible), len(s.visible)),
        }[region]
        return [m for m in self.matches if m.label == label and lo <= m.start < hi]

    def families(self, label: str) -> set[str]:
        return {m.id for m in self.body_matches(label)} | {m.id for m in self.subject_matches if m.label == label}

    @cached_property
    def links(self) -> list[tuple[str, str]]:
        """(visible text, target) for every link: HTML anchors and bare URLs in text."""
        out = [(ln.text, ln.href) for ln in self.html.links] if self.html else []
        out += [(u, u) for u in re.findall(r"(?:https?://|www\.)[^\s<>\"')\]]+", self.segments.visible)]
        return out

    # -- what kind of message --------------------------------------------------

    @cached_property
    def promo_score(self) -> int:
        score = len(self.families("PROMO"))
        if self.opt_out_offered:
            score += 1  # an unsubscribe line is what marketing mail carries
        if self.html and len(self.significant_images) >= 2:
            score += 1
        if any(
            re.search(
                r"catalog|catalogue|price.?list|brochure|lookbook|collection|presentation|profile",
                a.name,
                re.IGNORECASE,
            )
            for a in self.draft.attachments
        ):
            score += 1
        if (
            self.families("PRICE")
            and not self.in_thread
            and not self.asked
            and "answer" not in self.families("TRANSACTIONAL")
        ):
            score += 1  # prices nobody asked for are an offer, not a quotation
        return score

    @cached_property
    def asked(self) -> bool:
        """Every external recipient asked us for something recently: an inbound
        exchange on record in the CRM whose subject or summary is a request
        (a quotation, prices, samples, documents)."""
        since = self.ctx.now.date() - ASKED_WITHIN
        return bool(self.recipients) and all(
            r.contact is not None
            and any(
                i.direction == "in"
                and i.date is not None
                and i.date >= since
                and _REQUEST.search(f"{i.subject} {i.summary}") is not None
                for i in r.contact.interactions
            )
            for r in self.recipients
        )

    @cached_property
    def requested(self) -> bool:
        """A delivery the recipients asked for: they asked us, and the draft
        answers ("as promised", "you asked", the quotation) or quotes prices."""
        return self.asked and bool({"answer"} & self.families("TRANSACTIONAL") or self.families("PRICE"))

    @cached_property
    def buying(self) -> bool:
        """We are the buyer: the draft asks the recipient for a price or an offer."""
        if "purchase_inquiry" not in self.families("TRANSACTIONAL"):
            return False
        # "an offer" is what a buyer asks for; a discount or a new range is what a seller makes
        matches = [*self.body_matches("PROMO"), *(m for m in self.subject_matches if m.label == "PROMO")]
        return not any(m.id in OFFER_FAMILIES and m.text.lower().split()[-1] not in _OFFER_WORDS for m in matches)

    @cached_property
    def transactional_score(self) -> int:
        families = self.families("TRANSACTIONAL")
        if self.first_contact:
            # "As requested" from a stranger is a sales trick, not an answer.
            families.discard("answer")
        return len(families)

    @cached_property
    def commercial(self) -> bool:
        """Promotes products or services (16 CFR 316.3-style primary purpose, compliance.md §7).

        A reply in a conversation is relationship mail unless it is plainly a
        promotion; a new message is commercial when promotional signals
        outweigh order, shipment or service content.
        """
        if not self.external or self.buying:
            return False
        promo, trans = self.promo_score, self.transactional_score
        subject_promo = any(m.label == "PROMO" for m in self.subject_matches)
        if self.in_thread or self.requested:
            return promo >= 3 and trans == 0
        if subject_promo and promo >= 2:
            return True
        if self.first_contact and trans == 0:
            return True  # writing to a stranger about nothing transactional is prospecting
        # A holiday or production notice is news for everyone, and so is what a
        # circular to many companies says about orders and shipping: neither
        # makes an offer that rides along any less of an offer.
        offers = self.families("PROMO") & OFFER_FAMILIES
        if offers and (not self.one_to_one or not self.families("TRANSACTIONAL") - GENERAL_NOTICES):
            return True
        if offers and self.promotional_add_on:
            return True
        return promo >= 1 and promo > trans

    @cached_property
    def promotional_add_on(self) -> bool:
        """An offer added to a transactional mail counts as advertising
        (compliance.md §7): in Germany any such add-on (BGH VI ZR 225/17);
        under CAN-SPAM when the offer comes before the transactional part or
        in the subject."""
        if any(r.country == "DE" for r in self.recipients):
            return True
        if any(m.label == "PROMO" and m.id in OFFER_FAMILIES for m in self.subject_matches):
            return True
        offer = min((m.start for m in self.body_matches("PROMO", "content") if m.id in OFFER_FAMILIES), default=None)
        business = min((m.start for m in self.body_matches("TRANSACTIONAL", "content")), default=None)
        return offer is not None and business is not None and offer < business

    @cached_property
    def first_contact(self) -> bool:
        """Nobody addressed has ever exchanged mail with us (by the CRM and the sent history)."""
        return (
            self.external
            and not self.in_thread
            and all(r.relationship in ("cold", "contacted") for r in self.recipients)
        )

    # -- greeting -------------------------------------------------------------------

    @cached_property
    def greeting(self) -> GreetingInfo:
        g = self.segments.greeting
        if g is None:
            return GreetingInfo("none", (), "", 0, 0)
        text = self.body[g.start : g.end]
        addressee = g.addressee
        if "whom" in g.word.lower():
            return GreetingInfo("generic", (), text, g.start, g.end)
        if re.search(r"[\[\]{}<>«»%|*_]|\bx{3,}\b", addressee, re.IGNORECASE):
            return GreetingInfo("placeholder", (), text, g.start, g.end)
        words = [ascii_fold(w) for w in re.findall(r"[^\W\d_]+(?:[/'’.-][^\W\d_]+)*\.?|[\u4e00-\u9fff]+", addressee)]
        if g.word.lower() in ("madame", "monsieur") and not words:
            return GreetingInfo("generic", (), text, g.start, g.end)
        if re.fullmatch(r"\s*(?:greetings)\s*", g.word, re.IGNORECASE) and (not words or words[0] == "from"):
            return GreetingInfo("generic", (), text, g.start, g.end)
        # "Hi all at Müller", "Good morning from Ningbo": what follows a preposition is no addressee.
        cut = next((i for i, w in enumerate(words) if w in _PREPOSITIONS), len(words))
        words = words[:cut]
        if not words:
            return GreetingInfo("bare", (), text, g.start, g.end)
        # "Dear Müller Licht team": the company (or a legal form) is not a person,
        # unless it is also someone's name, as in "Hollis Motors" and Robert Hollis.
        people = {t for r in self.recipients for t in r.name_tokens}
        company = {t for r in self.recipients for t in company_core(r.company).split()} - people
        names = []
        generic = mass = group = False
        for w in words:
            if w.rstrip(".") in company or not company_core(w):
                continue

            parts = w.split("/")
            if all(p in GENERIC_ADDRESSEES for p in parts):
                generic = True
                mass |= any(p in MASS_MARKERS for p in parts)
                group |= any(p in GROUP_WORDS for p in parts)
            elif w.rstrip(".") in TITLES or w in ("and", "und", "et", "y", "e", "en", "och", "og", "&"):
                continue
            else:
                names.append(w)
        person = tuple(tokens(" ".join(names)))
        if person:
            return GreetingInfo("names", person, text, g.start, g.end)
        generic |= bool(names)  # only forms of address: "Geachte heer/mevrouw", "Monsieur/Madame"
        if mass:
            return GreetingInfo("mass", (), text, g.start, g.end)
        if group:
            return GreetingInfo("group", (), text, g.start, g.end)
        return GreetingInfo("generic" if generic else "bare", (), text, g.start, g.end)

    # -- compliance features ----------------------------------------------------------

    @cached_property
    def opt_out_offered(self) -> bool:
        if "list-unsubscribe" in self.draft.headers:
            return True
        if any(
            re.search(r"unsub|opt.?out|abmeld|desinscri|désinscri|afmeld", href, re.IGNORECASE)
            for _, href in (self.links if self.html else [])
        ):
            return True
        return bool(self.body_matches("OPTOUT"))

    @cached_property
    def ad_identified(self) -> bool:
        return (
            bool(self.body_matches("AD_LABEL"))
            or bool(_AD_PREFIX.match(self.draft.subject))
            or any(m.label == "AD_LABEL" for m in self.subject_matches)
        )

    @cached_property
    def sender_identified(self) -> bool:
        """The message says which company sends it (a web or mail address alone does not)."""
        text = blank(self.segments.visible, URL_OR_EMAIL)
        own = {company_core(r.company) for r in self.recipients if r.company}
        for m in _COMPANY_WITH_LEGAL_FORM.finditer(text):
            if company_core(m.group(0)) not in own:
                return True
        if self.ctx.org_name and ascii_fold(self.ctx.org_name) in ascii_fold(text):
            return True
        # The whole name in the sender's domain, however it is spaced ("Trailpeak Outdoor" for
        # trailpeak-outdoor.cn, "Deniz Havlu" for denizhavlu.com.tr); one word of it alone may be
        # an ordinary word ("furniture").
        labels = {re.sub(r"[-_]", "", d.split(".")[0]) for d in self.org_domains}
        labels = {label for label in labels if len(label) >= 4}
        if labels:
            words = re.findall(r"[a-z0-9]+", ascii_fold(text))
            for i in range(len(words)):
                joined = ""
                for w in words[i : i + 3]:
                    joined += w
                    if joined in labels:
                        return True
        return False

    @cached_property
    def postal_address_given(self) -> bool:
        """The sender's postal address appears (the org's own, or an address pattern below the sign-off)."""
        s = self.segments
        if self.ctx.postal_address and contains_org_address(s.visible, self.ctx.postal_address):
            return True
        lo = s.signature_start if s.signature_start is not None else max(0, len(s.visible) - 600)
        return contains_address(s.visible[lo:])

    @cached_property
    def significant_images(self) -> list:
        if not self.html:
            return []
        # Tracking pixels and spacer images are not content.
        return [
            i
            for i in self.html.images
            if not (i.width is not None and i.height is not None and i.width * i.height <= 100)
        ]

    def history_since(self, delta: timedelta):
        since = self.ctx.now - delta
        return [h for h in self.ctx.history if since <= h.sent_at <= self.ctx.now]
