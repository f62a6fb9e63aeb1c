"""People's and companies' names: folding, tokens, and whether two of them refer to the same one.

Matching is deliberately forgiving (diacritics, nicknames, initials, typos via
rapidfuzz): a name or company mismatch blocks sending, so it may only fire
when the names clearly differ.
"""

from __future__ import annotations

import functools
import re

from anyascii import anyascii
from rapidfuzz import fuzz

from .jurisdiction import ROLE_LOCALS
from .text import LEGAL_FORM, TITLES


@functools.cache
def _fold_table() -> dict[int, str]:
    # Only single-character transliterations, so folded text keeps its offsets.
    table = {}
    for cp in range(0x80, 0x250):
        a = anyascii(chr(cp))
        if len(a) == 1:
            table[cp] = a
    return table


def fold(text: str) -> str:
    """Lower-case, diacritics removed, same length as `text` (so offsets carry over)."""
    out = text.translate(_fold_table()).lower()
    return (
        out
        if len(out) == len(text)
        else "".join(c if len(c.lower()) != 1 else c.lower() for c in text.translate(_fold_table()))
    )


def ascii_fold(text: str) -> str:
    """Lower-case ASCII transliteration for comparisons where offsets do not matter."""
    return anyascii(text).lower()


# Words that address a group or a role, not a person.
GENERIC_ADDRESSEES = frozenset(
    "sir sirs madam madams madame sir/madam sir/madame sir/mam mam ma'am gentlemen ladies lady gentleman "
    "customer customers client clients friend friends partner partners buyer buyers manager managers "
    "purchaser purchasers purchasing procurement sales team all everyone everybody colleagues colleague "
    "there folks guys both valued dear esteemed respected importer importers distributor distributors dealer "
    "dealers wholesaler wholesalers retailer retailers supplier suppliers owner owners director directors ceo "
    "boss department dept representative concern whom it may or and damen herren kunde kunden kundin "
    "geschäftspartner geschäftspartnerin messieurs mesdames clients client(e) klant klanten relatie signori "
    "cliente clienti señores señoras estimados amigo amigos sirs/madams purchase manager/buyer "
    "clientes clienta clientas comprador compradores proveedor proveedores distribuidor distribuidores socio socios "
    "acheteur acheteurs acheteuse fournisseur fournisseurs distributeur distributeurs partenaire partenaires "
    "einkäufer einkäuferin händler partnerin lieferant lieferanten kunde/kundin heer mevrouw heer/mevrouw "
    "koper kopers inkoper inkopers leverancier leveranciers distributeur/importeur "
    "acquirente acquirenti fornitore fornitori distributore distributori rivenditore rivenditori signore signora "
    "gentile gentili egregio egregi stimato stimati spettabile "
    "客户 朋友 先生 女士 经理 采购 负责人".split()
)
GENERIC_ADDRESSEES |= {ascii_fold(w) for w in GENERIC_ADDRESSEES}

# Generic greetings that mark a mass mail even when no name is known.
MASS_MARKERS = frozenset(
    "customer customers client clients friend friends partner partners buyer buyers valued purchaser purchasers "
    "importer importers distributor distributors dealer dealers wholesaler wholesalers retailer retailers "
    "kunde kunden geschäftspartner klant klanten cliente clienti amigo amigos 客户 朋友 "
    "clientes clienta clientas comprador compradores distribuidor distribuidores acheteur acheteurs "
    "distributeurs partenaires einkäufer händler koper kopers inkoper inkopers acquirente acquirenti "
    "distributore distributori rivenditore rivenditori".split()
)
MASS_MARKERS |= {ascii_fold(w) for w in MASS_MARKERS}

GROUP_WORDS = frozenset("all everyone everybody team colleagues folks guys both".split())

NICKNAMES = {
    "bob": "robert",
    "rob": "robert",
    "robbie": "robert",
    "bobby": "robert",
    "bill": "william",
    "will": "william",
    "billy": "william",
    "liam": "william",
    "mike": "michael",
    "mick": "michael",
    "micky": "michael",
    "jim": "james",
    "jimmy": "james",
    "jamie": "james",
    "tom": "thomas",
    "tommy": "thomas",
    "dan": "daniel",
    "danny": "daniel",
    "dave": "david",
    "davy": "david",
    "chris": "christopher",
    "kit": "christopher",
    "kate": "katherine",
    "katie": "katherine",
    "kathy": "katherine",
    "cathy": "catherine",
    "kat": "katherine",
    "liz": "elizabeth",
    "beth": "elizabeth",
    "betty": "elizabeth",
    "lisa": "elisabeth",
    "lizzy": "elizabeth",
    "eliza": "elizabeth",
    "sue": "susan",
    "susie": "susan",
    "jen": "jennifer",
    "jenny": "jennifer",
    "alex": "alexander",
    "sandy": "alexandra",
    "sasha": "alexander",
    "andy": "andrew",
    "drew": "andrew",
    "tony": "anthony",
    "nick": "nicholas",
    "steve": "steven",
    "stephen": "steven",
    "joe": "joseph",
    "joey": "joseph",
    "sam": "samuel",
    "ben": "benjamin",
    "matt": "matthew",
    "pat": "patrick",
    "patty": "patricia",
    "peggy": "margaret",
    "maggie": "margaret",
    "meg": "margaret",
    "greg": "gregory",
    "jeff": "jeffrey",
    "geoff": "geoffrey",
    "ted": "edward",
    "ed": "edward",
    "eddie": "edward",
    "ned": "edward",
    "fred": "frederick",
    "freddie": "frederick",
    "rick": "richard",
    "rich": "richard",
    "dick": "richard",
    "ricky": "richard",
    "ron": "ronald",
    "ken": "kenneth",
    "larry": "lawrence",
    "charlie": "charles",
    "chuck": "charles",
    "hank": "henry",
    "harry": "henry",
    "jack": "john",
    "johnny": "john",
    "jon": "jonathan",
    "phil": "philip",
    "pete": "peter",
    "ray": "raymond",
    "tim": "timothy",
    "vince": "vincent",
    "walt": "walter",
    "abby": "abigail",
    "becky": "rebecca",
    "cindy": "cynthia",
    "debbie": "deborah",
    "deb": "deborah",
    "jess": "jessica",
    "jo": "joanna",
    "judy": "judith",
    "kim": "kimberly",
    "mandy": "amanda",
    "mel": "melanie",
    "nancy": "ann",
    "pam": "pamela",
    "penny": "penelope",
    "sally": "sarah",
    "tina": "christina",
    "vicky": "victoria",
    "hans": "johannes",
    "jo.": "johannes",
    "sepp": "josef",
    "fritz": "friedrich",
    "uli": "ulrich",
    "steffi": "stefanie",
    "kathi": "katharina",
    "lenny": "leonard",
    "manu": "manuel",
    "pepe": "jose",
    "paco": "francisco",
    "beppe": "giuseppe",
    "gigi": "luigi",
    "sandro": "alessandro",
    "max": "maximilian",
}

_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", re.UNICODE)


def tokens(name: str) -> list[str]:
    """Folded name tokens, titles and legal forms dropped: "Dr. Anna-Lena Müller" -> ["anna-lena", "muller"]."""
    name = re.sub(r"\([^()]*\)|<[^<>]*>|\[[^\[\]]*\]", " ", name or "")
    if "," in name and name.count(",") == 1:  # "Schmidt, Anna"
        last, first = name.split(",")
        name = f"{first} {last}"
    out = []
    for w in _WORD.findall(name):
        f = ascii_fold(w)
        if f.rstrip(".") in TITLES:
            continue
        out.append(f)
    return out


def is_personal_display_name(name: str) -> bool:
    """A display name that names a person, not a company, a role or a mailbox."""
    if not name or "@" in name or LEGAL_FORM.search(name):
        return False
    toks = tokens(name)
    return bool(toks) and not any(t in ROLE_LOCALS or t in GENERIC_ADDRESSEES for t in toks)


def local_part_names(local: str) -> list[str]:
    """Name tokens an address reveals: "anna.schmidt" -> ["anna", "schmidt"]; "s.vogt" -> ["s", "vogt"]."""
    parts = [ascii_fold(p) for p in re.split(r"[._\-+]", local) if p]
    if not parts or any(p in ROLE_LOCALS for p in parts) or ascii_fold(local) in ROLE_LOCALS:
        return []
    if len(parts) == 1:
        return []  # "jsmith" or "anna": too ambiguous to tell a mismatch
    return [p for p in parts if p.isalpha()]


def same_person_token(greeted: str, known: str) -> bool:
    """Could `greeted` (from a greeting) refer to someone whose name contains `known`?"""
    g, k = greeted, known
    if not g or not k:
        return False
    if g == k:
        return True
    if len(k) == 1 or len(g) == 1:  # an initial
        return g[0] == k[0]
    for part in k.split("-"):  # "Anna-Lena" greeted as "Anna"
        if g == part:
            return True
    if NICKNAMES.get(g) == k or NICKNAMES.get(k) == g or (g in NICKNAMES and NICKNAMES.get(g) == NICKNAMES.get(k)):
        return True
    if min(len(g), len(k)) >= 3 and (k.startswith(g) or g.startswith(k)):  # "Dan" / "Daniel"
        return True
    return min(len(g), len(k)) >= 4 and fuzz.ratio(g, k) >= 80  # typos, transliterations


_COMPANY_NOISE = re.compile(
    r"\b(?:co|ltd|limited|llc|inc|incorporated|corp|corporation|gmbh|ag|kg|ohg|ug|sas|sarl|srl|spa|bv|nv|oy|oyj|"
    r"ab|a/s|aps|as|asa|plc|llp|pty|sl|sa|lda|sp|z|o|o\.o|sro|kft|company|group|the|und|and|&|e\.k|"
    # legal forms of the Baltics, the Nordics, Central Europe and Latin America
    r"uab|ou|sia|se|kgaa|eg|gbr|mbh|slu|snc|scs|srls|bvba|vof|ltda|doo|ood|eood|zrt|nyrt|spol|sas)\b\.?",
    re.IGNORECASE,
)


@functools.lru_cache(maxsize=65_536)  # an organisation's companies come back with every draft
def company_core(company: str) -> str:
    """A company name without legal form or punctuation, folded: "Ceramiche Lombardi S.r.l." -> "ceramiche lombardi"."""
    c = ascii_fold(company)
    c = re.sub(r"\b(?:s\.r\.l|s\.p\.a|b\.v|n\.v|s\.a\.s|s\.a|s\.l|e\.k|sp\. z o\.o|s\.r\.o|a\.s)\.?", " ", c)
    c = _COMPANY_NOISE.sub(" ", c)
    c = re.sub(r"[^\w\s]", " ", c)
    return " ".join(c.split())


def company_pattern(core: str) -> re.Pattern:
    """Finds a company core in folded text, however its words are joined ("Hart & Home", "Hart-Home")."""
    return re.compile(r"\b" + r"[\s\-&.,'+]+(?:and\s+|und\s+|et\s+)?".join(re.escape(w) for w in core.split()) + r"\b")


_CAPITALISED_RUN = re.compile(r"(?:[A-ZÀ-ÖØ-Þ0-9][\w'’&.-]*[ \t]*){1,6}")


def company_keys_in(text: str) -> set[str]:
    """Every `company_core` a run of capitalised words in `text` could be, for looking
    up known companies by key instead of searching the text for each of them."""
    keys: set[str] = set()
    for run in _CAPITALISED_RUN.finditer(text):
        words = company_core(run.group(0)).split()
        for i in range(len(words)):
            for j in range(i + 1, min(len(words), i + 5) + 1):
                keys.add(" ".join(words[i:j]))
    return keys


def domain_label(domain: str) -> str:
    """The name part of a registrable domain: "mueller-gmbh.de" -> "mueller gmbh"."""
    label = domain.split(".")[0]
    return " ".join(re.split(r"[-_]", label))
