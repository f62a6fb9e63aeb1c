"""Deliverability: what makes spam filters (and readers) file an email as spam."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from ..i18n import N_
from ..jurisdiction import organisation_of
from ..message import Message
from .base import Hit, evidence


def spam_phrases(m: Message, p: dict) -> Iterator[Hit]:
    """Spam phrases.

    What: The subject or body uses phrases that spam filters and readers associate with spam: "100% free", "best price", "act now", "limited time", "click here".
    Why: Content filters still weigh such phrases, and readers in Europe and North America associate them with low-quality bulk offers: a concrete fact convinces, a superlative does not.
    Instead: Replace the claim with a fact — the actual price, lead time, certificate or a customer reference.
    """
    found = [evidence("subject", x.text, x.start, x.end) for x in m.subject_matches if x.label == "SPAM"]
    found += [evidence("body", m.body[x.start : x.end], x.start, x.end) for x in m.body_matches("SPAM")]
    if found:
        yield Hit(
            N_("Phrases that spam filters and readers associate with spam: {phrases}."),
            N_("Replace each with a concrete fact: the price, lead time, certificate or a reference."),
            {"phrases": sorted({e["text"].lower() for e in found})},
            evidence=found,
        )


_ACRONYM_OK = 4  # all-capital words this short are usually acronyms (LED, RFQ, FOB, CE)
_PUNCT_RUN = re.compile(r"[!?！？]{2,}|[!?！？](?:\s*[!?！？]){2,}")


def shouting(m: Message, p: dict) -> Iterator[Hit]:
    """Shouting.

    What: The subject is mostly in capital letters, or the subject or body has runs of exclamation or question marks ("!!!", "??").
    Why: Capitals and repeated punctuation are among the oldest spam-filter signals, and readers experience them as shouting or pressure.
    Instead: Write the subject in normal sentence case with at most one exclamation mark, and let the content carry the urgency.
    """
    found = []
    subject = m.draft.subject
    words = [w for w in re.findall(r"[^\W\d_]{2,}", subject) if not any(ch.isdigit() for ch in w)]
    caps = [w for w in words if w.isupper() and len(w) > _ACRONYM_OK]
    cased = [w for w in words if w.upper() != w.lower()]
    if len(caps) >= 2 and len([w for w in cased if w.isupper()]) / max(len(cased), 1) >= p["caps_ratio"]:
        found.append(evidence("subject", subject, 0, len(subject)))
    for mo in _PUNCT_RUN.finditer(subject):
        found.append(evidence("subject", mo.group(0), mo.start(), mo.end()))
    for mo in re.finditer(r"[!！]{3,}|[?？]{3,}", m.segments.visible):
        found.append(evidence("body", mo.group(0), mo.start(), mo.end()))
    if found:
        yield Hit(
            N_("Capital letters or repeated “!”/“?” read as shouting and trigger spam filters."),
            N_("Use normal sentence case and at most one exclamation mark."),
            evidence=found,
        )


SHORTENERS = frozenset(
    "bit.ly bitly.com tinyurl.com t.co goo.gl ow.ly is.gd buff.ly rebrand.ly cutt.ly shorturl.at rb.gy t.ly "
    "tiny.cc bl.ink s.id lnkd.in dlvr.it soo.gd v.gd qr.net url.cn t.cn dwz.cn suo.im mcaf.ee shorte.st adf.ly "
    "bit.do clck.ru x.co trib.al tr.im po.st zpr.io u.to short.io shorturl.com tiny.one urlz.fr "
    "1url.com chilp.it rotf.lol qrco.de y2u.be youtu.be amzn.to amzn.eu a.co wp.me fb.me ift.tt "
    "hubs.ly hubs.la sendgrid.net/ls mailchi.mp eepurl.com".split()
)


def _host(url: str) -> str:
    url = url.strip()
    if "://" not in url and not url.lower().startswith(("mailto:", "tel:")):
        url = "http://" + url  # "example.com/winter" shown as link text names a host too
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def link_shortener(m: Message, p: dict) -> Iterator[Hit]:
    """Link shortener.

    What: A link goes through a public URL shortener such as bit.ly or tinyurl.com.
    Why: Spammers use shorteners to hide where a link leads, so filters distrust them and many block-lists list whole shortener domains; a cautious reader will not click a link whose target they cannot see.
    Instead: Link directly to your own website with the full address.
    """
    found = []
    for _text, href in m.links:
        host = _host(href)
        if host and (host in SHORTENERS or organisation_of(host) in SHORTENERS):
            found.append(evidence("body", href))
    if found:
        yield Hit(
            N_("Links through a URL shortener hide their destination: {links}."),
            N_("Link directly to the full address on your own website."),
            {"links": sorted({e["text"] for e in found})},
            evidence=found,
        )


# Bounded like DNS names (labels of at most 63 characters, a few of them), so
# that link text which is a long run of word characters fails fast.
_DOMAIN_IN_TEXT = re.compile(r"(?:https?://)?(?:[\w-]{1,63}\.){1,8}[a-z]{2,63}(?:/\S*)?", re.IGNORECASE)


def link_mismatch(m: Message, p: dict) -> Iterator[Hit]:
    """Link text shows another domain.

    What: A link's visible text shows one web address while the link actually points to a different domain.
    Why: This is the pattern of phishing, so spam filters penalise it heavily — even when the cause is an innocent click-tracking service.
    Instead: Make the visible address and the link target the same, on your own domain; switch off click tracking for one-to-one emails.
    """
    found = []
    for text, href in m.links if m.html else []:
        shown = _DOMAIN_IN_TEXT.fullmatch(text.strip().rstrip("/.")) if text else None
        if not shown or href.lower().startswith("mailto:"):
            continue
        shown_host, target_host = _host(text.strip()), _host(href)
        if not (shown_host and target_host):
            continue
        if organisation_of(shown_host) != organisation_of(target_host):
            found.append(evidence("body", f"{text} → {href}"))
    if found:
        yield Hit(
            N_("A link shows one address but leads to another domain: {links}."),
            N_("Make the visible address and the link target the same."),
            {"links": [e["text"] for e in found]},
            evidence=found,
        )


def image_heavy(m: Message, p: dict) -> Iterator[Hit]:
    """Mostly images.

    What: An HTML email consists mostly of images with little text.
    Why: Filters cannot read images, so image-only mail is a long-standing spam pattern; many business mail clients block images by default, so the reader sees an empty email.
    Instead: Put the message in text — a few sentences on what is new and why it matters to this customer — and use at most one or two images, with alt text.
    """
    images = m.significant_images
    if not images:
        return
    words = len(re.findall(r"\w+", m.segments.visible))
    if words < p["min_words_per_image"] * len(images) or words < p["min_words"]:
        yield Hit(
            N_("The email is {images} image(s) and only {words} words of text."),
            N_("Write the message as text and keep one or two images at most."),
            {"images": len(images), "words": words},
            evidence=[evidence("html", i.src) for i in images],
        )


RISKY_EXTENSIONS = frozenset(
    "exe bat cmd com scr pif cpl msi msp js jse vbs vbe wsf wsh ps1 psm1 hta jar reg lnk iso img vhd vhdx apk "
    "app dmg sh docm xlsm pptm dotm xltm xlam ppam zip rar 7z tar gz tgz bz2 xz cab arj ace z lz lzh".split()
)


def risky_attachment(m: Message, p: dict) -> Iterator[Hit]:
    """Risky attachment.

    What: An attachment is a program, script, macro document or archive (.exe, .js, .docm, .zip, .rar), or a large file is attached to a first contact.
    Why: Archives and executables are how malware travels, so company mail gateways quarantine or strip them and filters score them as suspicious; a large attachment from an unknown sender is unwelcome and often blocked.
    Instead: Send a PDF (under 2 MB for a first contact) or a link to the file on your own website, and offer the full catalogue once the customer asks for it.
    """
    found = []
    for a in m.draft.attachments:
        ext = a.name.lower().rsplit(".", 1)[-1] if "." in a.name else ""
        if ext in RISKY_EXTENSIONS or "zip" in a.content_type or "x-msdownload" in a.content_type:
            found.append(evidence("attachments", a.name))
        elif m.first_contact and a.size and a.size > p["max_first_contact_bytes"]:
            found.append(evidence("attachments", f"{a.name} ({a.size / 1_000_000:.1f} MB)"))
    if found:
        yield Hit(
            N_("Attachments that mail gateways block or distrust: {attachments}."),
            N_("Send a small PDF or a link to the file on your website instead."),
            {"attachments": [e["text"] for e in found]},
            evidence=found,
            recipients=[r.email for r in m.recipients],
        )
