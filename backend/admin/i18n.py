"""The admin page's words in English and Chinese: English is the source,
translations are in `backend/locales/zh_CN/LC_MESSAGES/admin.po` (gettext,
read with Babel as the CLI's and the engine's catalogs are). Dates and
numbers are formatted for the locale by Babel.

The language is the user's choice (`?lang=`, kept in the session), else the
browser's (`Accept-Language`), else English.
"""

from __future__ import annotations

import functools
from datetime import date, datetime
from importlib import resources
from pathlib import Path

from babel.dates import format_date, format_datetime
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from flask import request, session

LOCALES = ("en", "zh-CN")
_BABEL = {"en": "en", "zh-CN": "zh_CN"}
DOMAIN = "admin"


@functools.cache
def _catalog(locale: str) -> dict[str, str]:
    if locale == "en":
        return {}
    path = resources.files("backend").joinpath("locales", _BABEL[locale], "LC_MESSAGES", f"{DOMAIN}.po")
    with path.open("rb") as f:
        catalog = read_po(f, locale=_BABEL[locale])
    return {m.id: m.string for m in catalog if isinstance(m.id, str) and isinstance(m.string, str) and m.string}


def gettext(msgid: str, locale: str) -> str:
    return _catalog(locale).get(msgid, msgid)


def current_locale() -> str:
    chosen = session.get("lang")
    if chosen in LOCALES:
        return chosen
    best = request.accept_languages.best_match(["en", "zh-CN", "zh"], default="en")
    return "zh-CN" if best and best.startswith("zh") else "en"


def number(value: float | int, locale: str) -> str:
    return format_decimal(value, locale=_BABEL[locale])


def when(value: datetime | date | None, locale: str) -> str:
    if value is None:
        return "–"
    if isinstance(value, datetime):
        return format_datetime(value, "medium", tzinfo=None, locale=_BABEL[locale]) + " UTC"
    return format_date(value, "medium", locale=_BABEL[locale])


def source_messages() -> list[tuple[str, str]]:
    """Every English string of the admin page: (msgid, where), from the
    templates (`_("...")`) and the Python modules (`_t("...")`, `N_("...")`)."""
    from babel.messages.extract import extract_from_dir

    root = Path(__file__).parent
    found = extract_from_dir(
        str(root),
        method_map=[("templates/**.html", "jinja2"), ("*.py", "python")],
        keywords={"_": None, "_t": None, "N_": None},
    )
    return [(m, f"backend/admin/{f}:{n}") for f, n, m, _, _ in found if isinstance(m, str)]


def N_(msgid: str) -> str:
    """Mark a string for the catalog where it is defined; translated where shown."""
    return msgid
