"""The table of checks: every finding code, its default severity and its thresholds.

This is the one place a code is registered. Codes are forever: a code is
never renamed or reused (the contract only grows by appending rows). The
thresholds here are the defaults an organisation's policy can override.
"""

from __future__ import annotations

from . import compliance, deliverability, mass, personalization, relationship
from .base import SEVERITY_RANK, Check, Hit

_TABLE = [
    Check(
        "mass.exposed_recipients", "warn", mass.exposed_recipients, {"min_organisations": 3, "always_organisations": 10}
    ),
    Check("mass.bulk_bcc", "warn", mass.bulk_bcc, {"min_recipients": 10}),
    Check(
        "mass.template_reuse",
        "warn",
        mass.template_reuse,
        {"similarity": 0.85, "min_recipients": 5, "window_days": 14, "min_words": 20},
    ),
    Check("mass.send_burst", "info", mass.send_burst, {"min_messages": 30, "window_minutes": 60}),
    Check("personalization.merge_field_unfilled", "block", personalization.merge_field_unfilled),
    Check("personalization.generic_greeting", "warn", personalization.generic_greeting),
    Check("personalization.name_mismatch", "block", personalization.name_mismatch),
    Check("personalization.company_mismatch", "block", personalization.company_mismatch),
    Check("personalization.missing", "warn", personalization.missing),
    Check("compliance.unsubscribe_missing", "warn", compliance.unsubscribe_missing),
    Check("compliance.postal_address_missing", "warn", compliance.postal_address_missing),
    Check("compliance.sender_identity_missing", "info", compliance.sender_identity_missing),
    Check("compliance.consent_missing", "warn", compliance.consent_missing),
    Check("compliance.suppressed_recipient", "block", compliance.suppressed_recipient),
    Check("compliance.ad_not_identified", "info", compliance.ad_not_identified),
    Check("compliance.deceptive_subject", "warn", compliance.deceptive_subject),
    Check("deliverability.spam_phrases", "info", deliverability.spam_phrases),
    Check("deliverability.shouting", "warn", deliverability.shouting, {"caps_ratio": 0.6}),
    Check("deliverability.link_shortener", "warn", deliverability.link_shortener),
    Check("deliverability.link_mismatch", "warn", deliverability.link_mismatch),
    Check(
        "deliverability.image_heavy", "warn", deliverability.image_heavy, {"min_words_per_image": 40, "min_words": 60}
    ),
    Check(
        "deliverability.risky_attachment",
        "warn",
        deliverability.risky_attachment,
        {"max_first_contact_bytes": 2_000_000},
    ),
    Check("relationship.cold_contact", "info", relationship.cold_contact),
]

REGISTRY: dict[str, Check] = {c.code: c for c in _TABLE}
CODES: tuple[str, ...] = tuple(REGISTRY)

__all__ = ["CODES", "REGISTRY", "SEVERITY_RANK", "Check", "Hit"]
