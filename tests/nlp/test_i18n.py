"""The Chinese catalog covers every English message and keeps its placeholders."""

from __future__ import annotations

import re

import pytest

from nlp import i18n

SOURCE = i18n.source_messages()


def test_every_message_has_a_chinese_translation():
    catalog = i18n._catalog("zh-CN")
    missing = sorted({f"{where}: {msgid[:60]}" for msgid, where in SOURCE if msgid not in catalog})
    assert missing == [], "run `python -m nlp.i18n update` and translate:\n" + "\n".join(missing)


@pytest.mark.parametrize("msgid", sorted({m for m, _ in SOURCE if "{" in m}))
def test_translations_keep_the_placeholders(msgid):
    zh = i18n.gettext(msgid, "zh-CN")
    assert set(re.findall(r"\{(\w+)\}", zh)) == set(re.findall(r"\{(\w+)\}", msgid))
    zh.format(**{k: "x" for k in re.findall(r"\{(\w+)\}", msgid)})


def test_nested_texts_and_lists_are_rendered_in_the_locale():
    inner = i18n.Text("The recipient's country is unknown, so the strictest rules apply (EU, Germany, Canada).")
    out = i18n.render(
        "No consent is on record for {recipients}. {reason}", {"recipients": ["a@x", "b@y"], "reason": inner}, "zh-CN"
    )
    assert "a@x、b@y" in out and "a@x, b@y" not in out and "unknown" not in out


def test_english_is_the_source_and_unknown_locales_fall_back_to_it():
    assert i18n.gettext("Generic greeting", "en") == "Generic greeting"
    assert i18n.render("{n} x", {"n": 3}, "fr") == "3 x"
