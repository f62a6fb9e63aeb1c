"""The command line's own words (the terminal summary, `explain`'s
headings) in the reader's language.

The same scheme as the engine's messages (nlp/i18n.py): English is the
source, marked with `N_()` (or `NC_(context, ...)` where one English word
means two things), and translations live in gettext catalogs,
`backend/locales/<lang>/LC_MESSAGES/cli.po`, looked up by the English
text. A missing translation falls back to English; a test keeps the
Chinese catalog complete (`source_messages`).
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

from babel.messages.pofile import read_po

DOMAIN = "cli"
LOCALES = {"zh-CN": "zh_CN"}
# Files whose marked strings are in the catalogs.
SOURCES = ("terminal.py", "cli.py")


def N_(msgid: str) -> str:
    """Mark a string for the catalog; `gettext` translates it."""
    return msgid


def NC_(context: str, msgid: str) -> tuple[str, str]:
    """Mark a string that needs a context to be translated (`pgettext`)."""
    return context, msgid


def normalize_locale(value: str | None) -> str:
    """Any spelling of Chinese is "zh-CN"; everything else "en" (as the engine does)."""
    return "zh-CN" if value and value.replace("_", "-").lower().startswith("zh") else "en"


@functools.cache
def _catalog(locale: str) -> dict[tuple[str | None, str], str]:
    folder = LOCALES.get(locale)
    if folder is None:
        return {}
    path = resources.files("backend").joinpath("locales", folder, "LC_MESSAGES", f"{DOMAIN}.po")
    with path.open("rb") as f:
        catalog = read_po(f, locale=folder)
    # Only singular messages: the CLI has no plural forms (babel types a plural's id as a tuple).
    return {
        (m.context, m.id): m.string
        for m in catalog
        if isinstance(m.id, str) and isinstance(m.string, str) and m.id and m.string and not m.fuzzy
    }


def gettext(msgid: str, locale: str) -> str:
    return _catalog(locale).get((None, msgid), msgid)


def pgettext(context: str, msgid: str, locale: str) -> str:
    return _catalog(locale).get((context, msgid), msgid)


def source_messages() -> list[tuple[tuple[str | None, str], str]]:
    """Every marked string: ((context, msgid), where it is)."""
    from babel.messages.extract import extract_from_dir

    root = Path(__file__).parent
    found = extract_from_dir(
        str(root),
        method_map=[(name, "python") for name in SOURCES],
        keywords={"N_": None, "NC_": ((1, "c"), 2)},
    )
    # N_ and NC_ mark one message each, so never a plural's tuple.
    return [
        ((context, message), f"backend/{filename}:{lineno}")
        for filename, lineno, message, _, context in found
        if isinstance(message, str)
    ]
