"""Messages in the reader's language: gettext catalogs read with Babel.

English is the source language: checks write English templates marked with
`N_()`, and their docstrings hold the English explanations. Translations live
in `locales/<lang>/LC_MESSAGES/sendwise.po` (standard gettext, editable with any
PO editor) and are looked up by the English text. A missing translation falls
back to English; a test keeps the Chinese catalog complete.

    python -m nlp.i18n extract   # rewrite locales/sendwise.pot from the code
    python -m nlp.i18n update    # merge it into every .po (new strings empty)
"""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

DOMAIN = "sendwise"
LOCALES = {"zh-CN": "zh_CN"}


def N_(msgid: str) -> str:
    """Mark a string for the catalog; it is translated when the report is rendered."""
    return msgid


@dataclass(frozen=True)
class Text:
    """A message to be translated later, with its own parameters (a value inside another message)."""

    msgid: str
    params: dict[str, Any] = field(default_factory=dict)


@functools.cache
def _catalog(locale: str) -> dict[str, str]:
    folder = LOCALES.get(locale)
    if folder is None:
        return {}
    path = resources.files("nlp").joinpath("locales", folder, "LC_MESSAGES", f"{DOMAIN}.po")
    with path.open("rb") as f:
        catalog = read_po(f, locale=folder)
    # Only singular messages: the engine has no plural forms (babel types a plural's id as a tuple).
    return {
        m.id: m.string
        for m in catalog
        if isinstance(m.id, str) and isinstance(m.string, str) and m.id and m.string and not m.fuzzy
    }


def gettext(msgid: str, locale: str) -> str:
    return _catalog(locale).get(msgid, msgid) if locale != "en" else msgid


def render(template: str, params: dict[str, Any], locale: str) -> str:
    """Translate `template` and fill in `params` (Text values are translated too, lists joined)."""
    values = {k: _value(v, locale) for k, v in params.items()}
    return gettext(template, locale).format(**values)


@dataclass(frozen=True)
class Country:
    """An ISO country code shown as the country's name in the reader's language."""

    code: str


@functools.cache
def _territories(locale: str) -> dict[str, str]:
    return dict(Locale.parse(LOCALES.get(locale, "en")).territories)


def _value(v: Any, locale: str) -> Any:
    if isinstance(v, Text):
        return render(v.msgid, v.params, locale)
    if isinstance(v, Country):
        return _territories(locale).get(v.code, v.code)
    if isinstance(v, (list, tuple)):
        sep = "、" if locale == "zh-CN" else ", "
        return sep.join(str(_value(x, locale)) for x in v)
    return v


# -- catalog maintenance -------------------------------------------------------


def source_messages() -> list[tuple[str, str]]:
    """Every translatable English string in the engine: (msgid, where it comes from)."""
    from babel.messages.extract import extract_from_dir

    from .checks import REGISTRY

    root = Path(__file__).parent
    out: list[tuple[str, str]] = []
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(root), method_map=[("**.py", "python")], keywords={"N_": None}
    ):
        if isinstance(message, str):  # N_ takes one argument, so never a plural's tuple
            out.append((message, f"nlp/{filename}:{lineno}"))
    for check in REGISTRY.values():
        for part in (check.title, check.what, check.why, check.instead):
            out.append((part, f"docstring of {check.code}"))
    return out


def _pot() -> Catalog:
    catalog = Catalog(project="sendwise", domain=DOMAIN, fuzzy=False)
    for msgid, where in source_messages():
        catalog.add(
            msgid,
            locations=[(where, 0)] if ":" not in where else [(where.rsplit(":", 1)[0], int(where.rsplit(":", 1)[1]))],
        )
    return catalog


def main(argv: list[str]) -> int:
    base = Path(__file__).parent / "locales"
    if argv[:1] == ["extract"]:
        with open(base / f"{DOMAIN}.pot", "wb") as f:
            write_po(f, _pot(), width=100, omit_header=False)
        return 0
    if argv[:1] == ["update"]:
        template = _pot()
        for folder in LOCALES.values():
            path = base / folder / "LC_MESSAGES" / f"{DOMAIN}.po"
            with open(path, "rb") as f:
                catalog = read_po(f, locale=folder)
            catalog.update(template, no_fuzzy_matching=True)
            with open(path, "wb") as f:
                write_po(f, catalog, width=100, ignore_obsolete=True)
        return 0
    print(__doc__.split("\n\n")[-1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
