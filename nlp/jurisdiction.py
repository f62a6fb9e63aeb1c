"""Where a recipient is, what kind of recipient it is, and which email-marketing law applies.

Follows the research notes in compliance.md: the CRM's country first, then the
domain's country-code TLD (including second-level forms such as .co.uk) or a
national freemail provider; generic TLDs, .eu and vanity ccTLDs are unknown.
"""

from __future__ import annotations

import functools
import re

from babel import Locale
from publicsuffixlist import PublicSuffixList

EU_EEA = frozenset("AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE IS LI NO".split())
# Consent before commercial email, even to businesses (compliance.md §0 / contract).
B2B_OPT_IN = frozenset({"DE", "NL", "ES", "IT", "CA"})
# Consent before commercial email to individuals.
B2C_OPT_IN = EU_EEA | {"GB", "CA", "AU"}

# ccTLDs used as generic brands, and TLDs that name no country (compliance.md §6.3).
_NO_COUNTRY_TLDS = frozenset(
    "com net org biz info edu gov mil int eu io co ai me tv cc ws app dev xyz online "
    "shop store site tech global world asia email group company business".split()
)
_TLD_TO_COUNTRY = {"uk": "GB", "gb": "GB", "el": "GR"}

# Freemail: each address is a person, not an organisation (§6.5). National
# providers reveal the country.
FREEMAIL = {
    "gmail.com": "",
    "googlemail.com": "",
    "outlook.com": "",
    "hotmail.com": "",
    "live.com": "",
    "msn.com": "",
    "yahoo.com": "",
    "ymail.com": "",
    "icloud.com": "",
    "me.com": "",
    "mac.com": "",
    "aol.com": "",
    "proton.me": "",
    "protonmail.com": "",
    "zoho.com": "",
    "mail.com": "",
    "gmx.com": "",
    "yandex.com": "",
    "gmx.de": "DE",
    "gmx.net": "DE",
    "web.de": "DE",
    "t-online.de": "DE",
    "freenet.de": "DE",
    "posteo.de": "DE",
    "gmx.at": "AT",
    "aon.at": "AT",
    "gmx.ch": "CH",
    "bluewin.ch": "CH",
    "orange.fr": "FR",
    "wanadoo.fr": "FR",
    "free.fr": "FR",
    "laposte.net": "FR",
    "sfr.fr": "FR",
    "hotmail.fr": "FR",
    "yahoo.fr": "FR",
    "libero.it": "IT",
    "virgilio.it": "IT",
    "alice.it": "IT",
    "tiscali.it": "IT",
    "hotmail.it": "IT",
    "yahoo.it": "IT",
    "ziggo.nl": "NL",
    "kpnmail.nl": "NL",
    "home.nl": "NL",
    "planet.nl": "NL",
    "telefonica.net": "ES",
    "hotmail.es": "ES",
    "yahoo.es": "ES",
    "btinternet.com": "GB",
    "sky.com": "GB",
    "talktalk.net": "GB",
    "virginmedia.com": "GB",
    "yahoo.co.uk": "GB",
    "hotmail.co.uk": "GB",
    "ntlworld.com": "GB",
    "bigpond.com": "AU",
    "optusnet.com.au": "AU",
    "shaw.ca": "CA",
    "rogers.com": "CA",
    "sympatico.ca": "CA",
    "videotron.ca": "CA",
    "telus.net": "CA",
    "comcast.net": "US",
    "verizon.net": "US",
    "att.net": "US",
    "sbcglobal.net": "US",
    "bellsouth.net": "US",
    "qq.com": "CN",
    "163.com": "CN",
    "126.com": "CN",
    "sina.com": "CN",
    "wp.pl": "PL",
    "o2.pl": "PL",
    "onet.pl": "PL",
    "interia.pl": "PL",
    "seznam.cz": "CZ",
    "mail.ru": "RU",
    "telenet.be": "BE",
    "skynet.be": "BE",
    "online.no": "NO",
}

# Mailboxes of a function rather than a person (legal-person contacts, §6.5).
ROLE_LOCALS = frozenset(
    "info sales sale office contact contacts admin service services support export import purchasing purchase "
    "procurement buyer buyers buying order orders hello mail team marketing einkauf vertrieb kontakt verkauf "
    "accounts accounting finance billing invoice invoices hr jobs careers enquiries enquiry inquiry inquiries "
    "welcome reception post mailbox general commercial achats ventes compras ventas acquisti vendite inkoop "
    "verkoop shop webshop store customerservice customer.service noreply no-reply newsletter press media".split()
)


@functools.cache
def _psl() -> PublicSuffixList:
    return PublicSuffixList()


@functools.lru_cache(maxsize=8192)
def organisation_of(domain: str) -> str:
    """The registrable domain ("mail.mueller-gmbh.co.uk" -> "mueller-gmbh.co.uk")."""
    domain = domain.lower().strip(".")
    return _psl().privatesuffix(domain) or domain


def is_freemail(domain: str) -> bool:
    d = domain.lower()
    return d in FREEMAIL or organisation_of(d) in FREEMAIL


@functools.lru_cache(maxsize=8192)
def country_from_domain(domain: str) -> str:
    """ISO country from a national freemail provider or the ccTLD; "" when unknown."""
    d = domain.lower()
    for candidate in (d, organisation_of(d)):
        if candidate in FREEMAIL:
            return FREEMAIL[candidate]
    tld = d.rsplit(".", 1)[-1]
    if tld in _NO_COUNTRY_TLDS or not re.fullmatch(r"[a-z]{2}", tld):
        return ""
    return _TLD_TO_COUNTRY.get(tld, tld.upper())


@functools.cache
def _country_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for lang in ("en", "de", "fr", "es", "it", "nl", "zh"):
        for code, name in Locale.parse(lang).territories.items():
            if re.fullmatch(r"[A-Z]{2}", code):
                names.setdefault(_fold(name), code)
    for alias, code in {
        "uk": "GB",
        "england": "GB",
        "scotland": "GB",
        "wales": "GB",
        "northern ireland": "GB",
        "great britain": "GB",
        "britain": "GB",
        "usa": "US",
        "us": "US",
        "u.s.": "US",
        "u.s.a.": "US",
        "america": "US",
        "united states of america": "US",
        "holland": "NL",
        "the netherlands": "NL",
        "deutschland": "DE",
        "prc": "CN",
        "mainland china": "CN",
        "英国": "GB",
        "美国": "US",
        "德国": "DE",
        "法国": "FR",
        "荷兰": "NL",
        "加拿大": "CA",
        "czech republic": "CZ",
        "korea": "KR",
        "south korea": "KR",
        "korea, republic of": "KR",
        "republic of korea": "KR",
        "hong kong": "HK",
        "香港": "HK",
        "taiwan": "TW",
        "台湾": "TW",
        "russia": "RU",
        "russian federation": "RU",
        "vietnam": "VN",
        "viet nam": "VN",
        "turkey": "TR",
        "türkiye": "TR",
        "uae": "AE",
        "emirates": "AE",
        "macau": "MO",
        "澳门": "MO",
        "ivory coast": "CI",
        "slovak republic": "SK",
    }.items():
        names[alias] = code
    return names


def _fold(s: str) -> str:
    return " ".join(s.lower().replace("’", "'").split())


@functools.lru_cache(maxsize=1024)
def country_code(value: str) -> str:
    """An ISO 3166 alpha-2 code from a code or a country name in en/de/fr/es/it/nl/zh; "" if unknown."""
    v = (value or "").strip()
    if re.fullmatch(r"[A-Za-z]{2}", v):
        code = v.upper()
        return "GB" if code == "UK" else code
    return _country_names().get(_fold(v), "")


_UK_CORPORATE = re.compile(r"\b(?:ltd|limited|plc|llp|lp|inc|llc|corp|corporation|cic)\b\.?", re.IGNORECASE)


def uk_corporate(company: str) -> bool:
    """PECR: companies and LLPs are corporate subscribers; sole traders and partnerships are individuals."""
    return bool(_UK_CORPORATE.search(company or ""))
