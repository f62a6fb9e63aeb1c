"""Every word of the admin page has its Chinese translation: the strings
marked in its templates and modules, and the values shown through the
catalog (severities, consent states, stages, threshold descriptions and units)."""

from __future__ import annotations

from backend.admin import i18n, views
from nlp.checks import REGISTRY


def _shown_values() -> set[str]:
    values = {"off", "info", "warn", "block", *views.CONSENTS, *views.STAGES}
    for check in REGISTRY.values():
        for t in check.thresholds.values():
            values |= {t.description, t.unit}
    return values


def test_the_extraction_finds_the_templates_and_modules():
    found = {m for m, _ in i18n.source_messages()}
    assert {"Sign in", "Save", "Findings per day by code", "Wrong email or password."} <= found


def test_every_admin_string_has_a_chinese_translation():
    missing = [
        f"{where}: {msgid!r}"
        for msgid, where in [*i18n.source_messages(), *((v, "shown value") for v in sorted(_shown_values()))]
        if i18n.gettext(msgid, "zh-CN") == msgid
    ]
    assert not missing, "add these to backend/locales/zh_CN/LC_MESSAGES/admin.po:\n" + "\n".join(missing)


def test_placeholders_survive_translation():
    for msgid, _ in i18n.source_messages():
        fields = sorted(p.split("}")[0] for p in msgid.split("{")[1:])
        translated = i18n.gettext(msgid, "zh-CN")
        assert sorted(p.split("}")[0] for p in translated.split("{")[1:]) == fields, msgid
