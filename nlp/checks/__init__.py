"""The table of checks: every finding code, its default severity and its thresholds.

This is the one place a code is registered. Codes are forever: a code is
never renamed or reused (the contract only grows by appending rows). The
thresholds here, with their units and allowed ranges, are what an
organisation's policy may change (nlp.policy validates against them).
"""

from __future__ import annotations

from . import compliance, deliverability, mass, personalization, relationship
from .base import SEVERITY_RANK, Check, Hit, Threshold

_TABLE = [
    Check(
        "mass.exposed_recipients",
        "warn",
        mass.exposed_recipients,
        {
            "min_organisations": Threshold(
                3, 2, 1000, "organisations", "lower", "external organisations visible in To/Cc of a broadcast"
            ),
            "always_organisations": Threshold(
                10, 2, 1000, "organisations", "lower", "external organisations visible in To/Cc of any message"
            ),
        },
        needs_text=False,
    ),
    Check(
        "mass.bulk_bcc",
        "warn",
        mass.bulk_bcc,
        {"min_recipients": Threshold(10, 2, 10_000, "recipients", "lower", "external Bcc recipients")},
        needs_text=False,
    ),
    Check(
        "mass.template_reuse",
        "warn",
        mass.template_reuse,
        {
            "similarity": Threshold(
                0.85, 0.5, 1.0, "share of words", "lower", "how alike the body must be to earlier messages (0.5-1)"
            ),
            "min_recipients": Threshold(5, 1, 10_000, "recipients", "lower", "other external recipients of it"),
            "window_days": Threshold(14, 1, 90, "days", "higher", "how far back sent messages are compared"),
            "min_words": Threshold(20, 5, 1000, "words", "lower", "shorter bodies are not compared"),
        },
    ),
    Check(
        "mass.send_burst",
        "info",
        mass.send_burst,
        {
            "min_messages": Threshold(30, 2, 10_000, "messages", "lower", "external messages by one sender"),
            "window_minutes": Threshold(60, 1, 1440, "minutes", "higher", "within this time"),
        },
        needs_text=False,
    ),
    Check("personalization.merge_field_unfilled", "block", personalization.merge_field_unfilled),
    Check("personalization.generic_greeting", "warn", personalization.generic_greeting),
    Check("personalization.name_mismatch", "block", personalization.name_mismatch),
    Check("personalization.company_mismatch", "block", personalization.company_mismatch),
    Check("personalization.missing", "warn", personalization.missing),
    Check("compliance.unsubscribe_missing", "warn", compliance.unsubscribe_missing),
    Check("compliance.postal_address_missing", "warn", compliance.postal_address_missing),
    Check("compliance.sender_identity_missing", "info", compliance.sender_identity_missing),
    Check("compliance.consent_missing", "warn", compliance.consent_missing),
    Check("compliance.suppressed_recipient", "block", compliance.suppressed_recipient, needs_text=False),
    Check("compliance.ad_not_identified", "info", compliance.ad_not_identified),
    Check("compliance.deceptive_subject", "warn", compliance.deceptive_subject, needs_text=False),
    Check("deliverability.spam_phrases", "info", deliverability.spam_phrases),
    Check(
        "deliverability.shouting",
        "warn",
        deliverability.shouting,
        {"caps_ratio": Threshold(0.6, 0.1, 1.0, "share of words", "lower", "capitalised words in the subject")},
    ),
    Check("deliverability.link_shortener", "warn", deliverability.link_shortener),
    Check("deliverability.link_mismatch", "warn", deliverability.link_mismatch),
    Check(
        "deliverability.image_heavy",
        "warn",
        deliverability.image_heavy,
        {
            "min_words_per_image": Threshold(40, 0, 1000, "words", "higher", "text needed per image"),
            "min_words": Threshold(60, 0, 10_000, "words", "higher", "text needed in any HTML mail with images"),
        },
    ),
    Check(
        "deliverability.risky_attachment",
        "warn",
        deliverability.risky_attachment,
        {
            "max_first_contact_bytes": Threshold(
                2_000_000, 0, 100_000_000, "bytes", "lower", "largest attachment on a first contact"
            )
        },
        needs_text=False,
    ),
    Check("relationship.cold_contact", "info", relationship.cold_contact),
]

REGISTRY: dict[str, Check] = {c.code: c for c in _TABLE}
CODES: tuple[str, ...] = tuple(REGISTRY)

__all__ = ["CODES", "REGISTRY", "SEVERITY_RANK", "Check", "Hit", "Threshold"]
