"""Turning a draft body into the parts a reader sees: greeting, content, signature, quote.

Everything here is plain regular expressions on purpose: the same splitting runs
on every message of the sent history (for template reuse), so it must cost
microseconds. Offsets always index into the body text as the engine saw it
(after HTML reduction), so evidence spans point at what the user wrote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import lxml.html
from inscriptis import Inscriptis
from inscriptis.model.config import ParserConfig
from lxml import etree

# -- HTML --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Link:
    text: str
    href: str


@dataclass(frozen=True, slots=True)
class Image:
    src: str
    width: int | None
    height: int | None


@dataclass(frozen=True, slots=True)
class Html:
    text: str
    links: tuple[Link, ...] = ()
    images: tuple[Image, ...] = ()
    quote_start: int | None = None  # where a quoted message begins in `text`


_INSCRIPTIS = ParserConfig(display_images=False, display_links=False)
_QUOTE_XPATH = (
    "//blockquote | //*[contains(concat(' ', @class, ' '), ' gmail_quote ')]"
    " | //*[@id='divRplyFwdMsg'] | //*[@id='appendonsend']"
)
_QUOTE_SENTINEL = "\u2063\u2063quote\u2063\u2063"


# Inline images are bytes, not text; and of very long HTML (thousands of
# elements make the conversion to text slow) only the beginning and the end
# are read, as of a long plain-text body (see `window`).
_DATA_URI = re.compile(r"data:[\w/+.-]{0,100};base64,[A-Za-z0-9+/=\s]{200,}")
HTML_HEAD = 150_000
HTML_TAIL = 50_000
# Control characters XML cannot hold: lxml parses them into the tree but
# refuses them when the tree is edited (dropping a <script> moves its tail).
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _bounded(html: str) -> str:
    html = _NOT_XML.sub(" ", _DATA_URI.sub("data:,", html))
    if len(html) <= HTML_HEAD + HTML_TAIL:
        return html
    return html[:HTML_HEAD] + html[-HTML_TAIL:]  # the parser recovers from the cut


def reduce_html(html: str) -> Html:
    """HTML body -> visible text plus the links and images a filter looks at."""
    try:
        tree = lxml.html.document_fromstring(_bounded(html))
    except (etree.ParserError, ValueError):
        return Html(text="")
    for bad in tree.xpath("//script | //style | //head"):
        bad.drop_tree()
    links = tuple(
        Link(" ".join(a.text_content().split()), (a.get("href") or "").strip()) for a in tree.iter("a") if a.get("href")
    )
    images = tuple(
        Image((img.get("src") or "").strip(), _px(img.get("width")), _px(img.get("height"))) for img in tree.iter("img")
    )
    # Mark where the quoted part of a reply starts, so it can be masked like ">" lines.
    quoted = tree.xpath(_QUOTE_XPATH)
    if quoted:
        marker = etree.Element("p")
        marker.text = _QUOTE_SENTINEL
        quoted[0].addprevious(marker)
    text = Inscriptis(tree, _INSCRIPTIS).get_text()
    quote_start = None
    if quoted:
        quote_start = text.find(_QUOTE_SENTINEL)
        text = text.replace(_QUOTE_SENTINEL, " " * len(_QUOTE_SENTINEL), 1)
    return Html(text=text, links=links, images=images, quote_start=quote_start)


def _px(value: str | None) -> int | None:
    if not value:
        return None
    m = re.match(r"\s*(\d+)", value)
    return int(m.group(1)) if m else None


# -- segmentation --------------------------------------------------------------

# Lines that open the quoted original in a reply or forward, in the languages
# our users' correspondents write in.
_QUOTE_HEADER = re.compile(
    r"^[ \t]*(?:"
    r"-{2,}\s*(?:Original Message|Forwarded message|Ursprüngliche Nachricht|Message d'origine|"
    r"Oorspronkelijk bericht|Mensaje original|Messaggio originale|原始邮件|转发的邮件)\s*-{2,}"
    r"|_{8,}"
    r"|On .{3,200}(?:wrote|writes):"
    r"|Am .{3,200} schrieb .{0,200}:"
    r"|Le .{3,200} a écrit\s?:"
    r"|Op .{3,200} schreef .{0,200}:"
    r"|El .{3,200} escribió:"
    r"|Il .{3,200} ha scritto:"
    r"|(?:From|Von|De|Van|Da|发件人|寄件者)\s*[:：].{0,200}\n(?:.*\n){0,3}?[ \t]*"
    r"(?:Sent|Gesendet|Envoyé|Verzonden|Enviado|Inviato|Date|Datum|发送时间|日期)\s*[:：]"
    r")",
    re.IGNORECASE | re.MULTILINE,
)
_QUOTED_LINE = re.compile(r"^[ \t]*>.*$", re.MULTILINE)

GREETING_WORDS = (
    r"dear|dearest|hi|hello|hey|hiya|good\s+(?:morning|afternoon|evening|day)|greetings|"
    r"hallo|liebe[rs]?|sehr\s+geehrte[rs]?|guten\s+(?:tag|morgen)|moin|servus|grüß\s+gott|"
    r"bonjour|bonsoir|cher|chère|chers|chères|salut|madame|monsieur|"
    r"beste|geachte|hoi|goedemorgen|goedemiddag|"
    r"hola|estimad[oa]s?|querid[oa]s?|buenos\s+días|"
    r"buongiorno|buonasera|gentile|gentili|egregi[oa]|car[oa]|ciao|salve|"
    r"hej|hei|moi|kære|kæreste|dzień\s+dobry|szanown[ya]|witam|dobrý\s+den|vážen[ýá]|"
    r"olá|prezad[oa]|caro|"
    r"尊敬的|亲爱的|您好|你好"
)
# A greeting is the first line, short, that starts with a greeting word.
_GREETING = re.compile(
    rf"^[ \t]*(?P<word>{GREETING_WORDS})(?![\w-])[ \t]*(?P<rest>[^\n]{{0,80}})$",
    re.IGNORECASE | re.MULTILINE,
)
_TO_WHOM = re.compile(r"^[ \t]*(?P<word>to\s+whom\s+it\s+may\s+concern)\b[^\n]{0,5}$", re.IGNORECASE | re.MULTILINE)

SIGNOFF_WORDS = (
    r"(?:(?:with\s+)?(?:best|kind|warm|warmest|kindest|many|sincere|cordial|fond)\s+)?(?:regards|wishes)"
    r"|regards|rgds|br|b\.r\.|cheers|sincerely(?:\s+yours)?|yours\s+(?:sincerely|faithfully|truly)|"
    r"respectfully|all\s+the\s+best|best|thanks?(?:\s+(?:you|again))?(?:\s+(?:and|&)\s+(?:best\s+|kind\s+)?regards)?|"
    r"thanks\s+for\s+your\s+(?:understanding|help|time|support|attention|cooperation)|"
    r"thank\s+you\s+for\s+your\s+(?:understanding|help|time|support|attention|cooperation)|"
    r"looking\s+forward\s+to\s+(?:hearing\s+from\s+you|your\s+reply)|"
    r"mit\s+freundlichen\s+grüßen|mit\s+freundlichen\s+grüssen|mfg|(?:viele|beste|liebe|freundliche|herzliche)\s+grüße|"
    r"cordialement|bien\s+cordialement|bien\s+à\s+vous|salutations|"
    r"met\s+vriendelijke\s+groet(?:en)?|vriendelijke\s+groet(?:en)?|groeten|"
    r"saludos(?:\s+cordiales)?|atentamente|un\s+saludo|"
    r"cordiali\s+saluti|distinti\s+saluti|saluti|"
    r"med\s+vänliga\s+hälsningar|vänliga\s+hälsningar|med\s+venlig\s+hilsen|venlig\s+hilsen|mvh|"
    r"ystävällisin\s+terveisin|pozdrawiam|s\s+pozdravem|atenciosamente|cumprimentos|"
    r"此致|敬礼|顺祝商祺|祝好|谢谢|此致敬礼"
)
_SIGNOFF = re.compile(
    rf"^[ \t]*(?:{SIGNOFF_WORDS})[ \t]*[,.!，。]?[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
_SIG_DASHES = re.compile(r"^-- ?$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Greeting:
    start: int
    end: int
    word: str  # the greeting word as written ("Dear", "Hallo")
    addressee: str  # what follows it, up to the first comma ("Mr. Maier", "Sir/Madam", "")
    addressee_start: int


@dataclass(frozen=True, slots=True)
class Segments:
    """Offsets into `text`; `visible` is `text` with quoted parts blanked out (same length)."""

    text: str
    visible: str
    greeting: Greeting | None
    content_start: int
    content_end: int  # start of the sign-off/signature (or end of the visible text)
    signature_start: int | None
    quote_start: int | None
    has_quote: bool = field(default=False)

    @property
    def content(self) -> str:
        return self.visible[self.content_start : self.content_end]

    @property
    def signature(self) -> str:
        return self.visible[self.signature_start :] if self.signature_start is not None else ""


def segment(text: str, quote_start: int | None = None, sender_names: tuple[str, ...] = ()) -> Segments:
    """Split a body into greeting, content, signature and quote.

    The quote is what a reply carries of earlier messages: from the first quote
    header (or `quote_start` from HTML) to the end, plus any ">" lines. It is
    blanked out, not cut, so offsets stay valid.
    """
    m = _quote_header(text)
    starts = [p for p in (quote_start, m.start() if m else None) if p is not None]
    q = min(starts) if starts else None
    visible = text if q is None else text[:q] + _blank(text[q:])
    has_quote = q is not None
    if ">" in visible:

        def blank(mo: re.Match) -> str:
            return " " * len(mo.group(0))

        masked = _QUOTED_LINE.sub(blank, visible)
        has_quote = has_quote or masked != visible
        visible = masked
    end = len(visible.rstrip())
    greeting = find_greeting(visible)
    content_start = greeting.end if greeting else _first_nonspace(visible)
    sig = find_signature(visible, content_start, end, sender_names)
    return Segments(
        text=text,
        visible=visible,
        greeting=greeting,
        content_start=content_start,
        content_end=sig if sig is not None else end,
        signature_start=sig,
        quote_start=q,
        has_quote=has_quote,
    )


# Every quote header contains one of these. Finding them with str.find first is
# far cheaper than trying the full (case-insensitive) expression at every position.
_QUOTE_HINTS = (
    "wrote",
    "writes",
    "schrieb",
    "crit",
    "schreef",
    "escribi",
    "scritto",
    "--",
    "__",
    "from:",
    "von:",
    "de:",
    "van:",
    "da:",
    "发件人",
    "寄件者",
)


def _quote_header(text: str) -> re.Match | None:
    low = text.lower()
    found = [i for i in (low.find(h) for h in _QUOTE_HINTS) if i >= 0]
    if not found:
        return None
    return _QUOTE_HEADER.search(text, text.rfind("\n", 0, min(found)) + 1)


def find_greeting(visible: str) -> Greeting | None:
    """The salutation, if the first non-empty line is one."""
    first = _first_nonspace(visible)
    line_end = visible.find("\n", first)
    line_end = len(visible) if line_end < 0 else line_end
    line = visible[first:line_end]
    for rx in (_TO_WHOM, _GREETING):
        m = rx.match(line)
        if m:
            word = m.group("word")
            rest = m.groupdict().get("rest") or ""
            addressee, a_off = _addressee(rest)
            a_start = first + (m.start("rest") if "rest" in m.groupdict() else m.end()) + a_off
            end = first + len(line)
            return Greeting(first, end, word, addressee, a_start)
    return None


def _addressee(rest: str) -> tuple[str, int]:
    """What a greeting addresses: up to the first comma, colon or sentence end."""
    stripped = rest.lstrip(" \t")
    off = len(rest) - len(stripped)
    # "Dear Sir/Madam," / "Hi Anna, hope you are well" / "Hallo Herr Vogt!" / "Dear Mr. Kral,"
    end = len(stripped)
    for cut in re.finditer(r"[,:;!?，：！？]|\.(?=\s|$)|\s[-–—]\s", stripped):
        if cut.group(0) == "." and _ABBREVIATION.search(stripped[: cut.start()]):
            continue
        end = cut.start()
        break
    return stripped[:end].strip(), off


# Forms of address that stand before a name, in the languages our users write to.
TITLES = frozenset(
    "mr mrs ms miss mx mister dr prof sir madam herr herrn frau fr hr monsieur madame mme m mlle sig sig.ra sig.na "
    "signor signora signorina dott dott.ssa ing arch geom avv sr sra srta señor señora señorita senor senora don "
    "doña dona dhr mevr heer mevrouw meneer juffrouw dipl dipl.-ing mag ir eng pan pani panie fru hr herra rouva "
    "sg.ra".split()
)
_ABBREVIATION = re.compile(
    r"(?:^|\s)(?:" + "|".join(re.escape(t) for t in sorted(TITLES, key=len, reverse=True)) + r"|[a-z])$", re.IGNORECASE
)


def find_signature(visible: str, start: int, end: int, sender_names: tuple[str, ...] = ()) -> int | None:
    """Start of the sign-off ("Best regards,") or of a trailing signature block.

    The last sign-off line wins, as long as what follows it looks like a
    signature (short lines), so a "Thanks," inside the text is not mistaken.
    """
    best = None
    # A sign-off is a short line followed by a few short lines, so only the tail can hold it.
    pos = visible.rfind("\n", start, max(start, end - 1500)) + 1 or start
    for line in visible[pos:end].split("\n"):
        if len(line) <= 60 and _SIGNOFF.match(line):
            lines = [ln for ln in visible[pos + len(line) : end].split("\n") if ln.strip()]
            if len(lines) <= 14 and sum(1 for ln in lines if len(ln.strip()) > 90) <= 2:
                best = pos
        pos += len(line) + 1
    if best is not None:
        return best
    last_dashes = None
    for last_dashes in _SIG_DASHES.finditer(visible, start, end):  # noqa: B007 - the last match is wanted
        pass
    if last_dashes:
        return last_dashes.start()
    # No sign-off: a final paragraph of short lines that names the sender or a
    # company ("Lucas Yu\nJinhua Trailpeak Outdoor Products Co., Ltd.").
    para = visible.rfind("\n\n", start, end)
    if para < 0:
        return None
    block = visible[para:end].strip()
    lines = block.split("\n")
    if not block or len(lines) > 8 or any(len(ln) > 70 for ln in lines):
        return None
    low = block.lower()
    if any(n and n.lower() in low for n in sender_names) or LEGAL_FORM.search(block):
        return para + len(visible[para:end]) - len(visible[para:end].lstrip())
    return None


def _first_nonspace(s: str) -> int:
    return len(s) - len(s.lstrip())


def _blank(s: str) -> str:
    # keep newlines so line-based patterns still see line boundaries
    return re.sub(r"[^\n]", " ", s)


# Web and mail addresses, which hold names and symbols that are not text.
# A mail address starts after a space or a delimiter, never inside a run of
# other characters: trying every position of a long run would be quadratic.
_ADDRESS_DELIMITERS = "<>()\\[\\]\"',;:：，；（）【】《》"
URL_OR_EMAIL = re.compile(
    rf"(?:https?://|www\.)\S+|(?<![^\s{_ADDRESS_DELIMITERS}])[^\s@{_ADDRESS_DELIMITERS}]{{1,64}}@\S+"
)

# How much of a long body the engine reads: the greeting and the message are
# at the top, the sign-off, opt-out line and postal address at the bottom.
# What lies between in a body this long (a pasted spreadsheet, a log) is not
# read, so that no body can hold a worker for long.
ANALYSED_HEAD = 30_000
ANALYSED_TAIL = 6_000
_JOIN = "\n\n"


@dataclass(frozen=True, slots=True)
class Window:
    """The part of a body the engine reads. Offsets in `text` at or after
    `cut` are `shift` characters further on in the whole body."""

    text: str
    cut: int = 0
    shift: int = 0

    def original(self, offset: int) -> int:
        return offset + self.shift if self.shift and offset >= self.cut else offset


def window(text: str) -> Window:
    """The first ANALYSED_HEAD and last ANALYSED_TAIL characters of `text`,
    cut at line ends where one is near, joined by a blank line."""
    if len(text) <= ANALYSED_HEAD + ANALYSED_TAIL:
        return Window(text)
    head = text.rfind("\n", ANALYSED_HEAD - 3_000, ANALYSED_HEAD)
    head = head + 1 if head >= 0 else ANALYSED_HEAD
    tail = text.find("\n", len(text) - ANALYSED_TAIL, len(text) - ANALYSED_TAIL + 3_000)
    tail = tail + 1 if tail >= 0 else len(text) - ANALYSED_TAIL
    cut = head + len(_JOIN)
    return Window(text[:head] + _JOIN + text[tail:], cut, tail - cut)


def blank(text: str, rx: re.Pattern) -> str:
    """`text` with every match of `rx` replaced by spaces (offsets stay valid)."""
    return rx.sub(lambda mo: " " * len(mo.group(0)), text)


LEGAL_FORM = re.compile(
    # The look-ahead on the first letters spares trying fifty alternatives at every position.
    r"(?<![\w])(?=[ABCGIJKLNOPSUZadeps有股])(?:Co\.?,?\s*Ltd\.?|Company\s+Limited|Co\.?,?\s+Limited|Ltd\.?|Limited|L\.?L\.?C\.?|Inc\.?|"
    r"Incorporated|Corp\.?|Corporation|GmbH(?:\s*&\s*Co\.?\s*KG)?|AG|KG|OHG|e\.K\.|UG|S\.?A\.?S\.?|SARL|S\.A\.R\.L\.|"
    r"S\.?r\.?l\.?|S\.?p\.?A\.?|B\.V\.?|BV|N\.V\.?|NV|Oy|Oyj|AB|A/S|ApS|AS|ASA|Sp\.\s*z\s*o\.\s*o\.|s\.r\.o\.|"
    r"a\.s\.|Kft\.?|Zrt\.?|d\.o\.o\.|PLC|plc|LLP|Pty\.?\s+Ltd\.?|Pte\.?\s+Ltd\.?|Sdn\.?\s+Bhd\.?|S\.L\.|S\.A\.|"
    r"Lda\.?|A\.Ş\.|Ltd\.?\s*Şti\.?|JSC|K\.K\.|"
    r"有限公司|股份有限公司|有限责任公司)(?![\w])"
)
