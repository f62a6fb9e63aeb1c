"""The engine's view of an organisation: what production reads from
storage, merged with whatever context the request brings inline.

Merge rules (inline context is for that request only, never persisted):
  locale          inline wins, else the organisation's default_locale
  org.domains     stored domains plus any inline ones
  org.policy      per code: an inline key replaces the stored one
  org.*           any other inline key (postal_address, ...) replaces the stored one
  contacts        stored contacts of the draft's recipients; an inline contact
                  replaces the stored one with the same email (case-insensitive)
  now, history, … passed through unchanged
"""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy.orm import Session

from backend.errors import BadRequest
from backend.storage import queries
from backend.storage.models import Contact, Organisation
from backend.storage.sent_index import DbSentIndex


def assemble(session: Session, org: Organisation, request: dict[str, Any]) -> tuple[dict[str, Any], DbSentIndex]:
    """Return (a new request with the merged context, the org's sent index).
    `request` is not modified. Raises `BadRequest` if the inline context has
    the wrong shape where merging needs it (org, policy, contacts)."""
    inline = request.get("context") or {}
    inline_org = _expect(inline, "org", dict, "context.org")
    inline_policy = _expect(inline_org, "policy", dict, "context.org.policy")
    inline_domains = _expect(inline_org, "domains", list, "context.org.domains")
    inline_contacts = _expect(inline, "contacts", list, "context.contacts")

    # The recipients' contacts, and other known customers whose company the
    # draft names (for personalization.company_mismatch).
    recipients, named = queries.contacts_for_draft(
        session, org, recipient_emails(request.get("draft")), _company_mentions(request)
    )
    stored = {_email_key(c.email): contact_to_contract(c) for c in recipients}
    for email, name, company in named:
        stored.setdefault(_email_key(email), {"email": email, "name": name, "company": company})
    for item in inline_contacts:
        key = _email_key(item.get("email")) if isinstance(item, dict) else None
        # Malformed inline entries are kept as they are so the engine reports them.
        stored.pop(key, None)
    contacts = list(stored.values()) + copy.deepcopy(inline_contacts)

    merged_org = {"postal_address": org.postal_address} if org.postal_address else {}
    merged_org.update(copy.deepcopy({k: v for k, v in inline_org.items() if k not in ("domains", "policy")}))
    merged_org["domains"] = _union(org.domains or [], inline_domains)
    merged_org["policy"] = {**copy.deepcopy(org.policy or {}), **copy.deepcopy(inline_policy)}

    context = {
        **copy.deepcopy({k: v for k, v in inline.items() if k not in ("org", "contacts")}),
        "locale": inline.get("locale") or org.default_locale,
        "org": merged_org,
        "contacts": contacts,
    }
    return {**request, "context": context}, DbSentIndex(session, org)


def _company_mentions(request: dict[str, Any]) -> list[str]:
    from nlp import InvalidRequest, company_mentions

    try:
        return company_mentions(request)
    except InvalidRequest:
        return []  # analyze reports the problem with its own message


def recipient_emails(draft: Any) -> list[str]:
    """Addresses in draft.to/cc/bcc, lower-cased; malformed entries skipped
    (the engine rejects them with a precise message)."""
    if not isinstance(draft, dict):
        return []
    emails = []
    for field in ("to", "cc", "bcc"):
        entries = draft.get(field)
        for entry in entries if isinstance(entries, list) else ():
            if isinstance(entry, dict) and isinstance(entry.get("email"), str):
                emails.append(entry["email"].strip().lower())
    return emails


def contact_to_contract(contact: Contact) -> dict[str, Any]:
    """A stored contact in the contract's `context.contacts[]` shape; unknown
    (NULL) fields are left out rather than sent as null."""
    out: dict[str, Any] = {
        "email": contact.email,
        "name": contact.name,
        "company": contact.company,
        "country": contact.country,
        "kind": contact.kind,
        "role": contact.role,
        "industry": contact.industry,
        "stage": contact.stage,
    }
    out = {k: v for k, v in out.items() if v is not None}
    if contact.consent_status:
        consent = {
            "status": contact.consent_status,
            "source": contact.consent_source,
            "date": contact.consent_date.isoformat() if contact.consent_date else None,
        }
        out["consent"] = {k: v for k, v in consent.items() if v is not None}
    out["unsubscribed"] = bool(contact.unsubscribed)
    out["interactions"] = [
        {
            k: v
            for k, v in {
                "date": i.date.isoformat(),
                "direction": i.direction,
                "subject": i.subject,
                "summary": i.summary,
            }.items()
            if v is not None
        }
        for i in contact.interactions
    ]
    return out


def _expect(container: dict[str, Any], key: str, kind: type, where: str) -> Any:
    value = container.get(key)
    if value is None:
        return kind()
    if not isinstance(value, kind):
        raise BadRequest(f"'{where}' must be {'an object' if kind is dict else 'an array'}")
    return value


def _email_key(value: Any) -> str | None:
    return value.strip().lower() if isinstance(value, str) else None


def _union(stored: list[str], extra: list[Any]) -> list[str]:
    out = list(stored)
    out += [d for d in extra if d not in out]
    return out
