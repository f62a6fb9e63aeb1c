"""The engine's view of an organisation: what production reads from
storage, merged with whatever context the request brings inline.

Inline context is for that request only, never persisted. It may add
information, but never lift what the organisation's records protect:
  now             the server's clock, whatever the request says
  locale          inline wins, else the organisation's default_locale
  org.domains     the stored domains; inline ones only when none are stored
                  (naming a recipient's domain would make them "internal")
  org.policy      the stored policy (keys that no longer validate fall back
                  to their default, with a warning); an inline policy may
                  only make it stricter (nlp.policy.tighten)
  org.*           other inline keys (postal_address, name) replace stored ones
  contacts        stored contacts of the recipients and of companies the
                  draft names; an inline contact adds to or corrects the
                  stored one with the same address, but an unsubscribed or
                  opted-out contact stays so, and an erased address counts
                  as unsubscribed
  history         passed through
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from backend.storage import contacts as contact_store
from backend.storage import queries
from backend.storage.models import Contact, Organisation
from backend.storage.sent_index import DbSentIndex
from nlp import AnalysisRequest, company_mentions
from nlp import policy as P
from nlp.contract import Contact as ContractContact
from nlp.contract import Org


@dataclass(frozen=True)
class Assembled:
    request: AnalysisRequest
    sent_index: DbSentIndex
    policy_warnings: list[str]


def assemble(session: Session, org: Organisation, request: AnalysisRequest, now: datetime) -> Assembled:
    """The request with the organisation's stored context merged in (see
    the module's rules), its sent index, and warnings about stored policy
    keys that no longer validate. Raises `nlp.policy.PolicyError` for an
    invalid inline policy."""
    inline = request.context
    inline_org = inline.org
    emails = [a.email for a in request.draft.recipients]

    recipients, named = queries.contacts_for_draft(session, org, emails, company_mentions(request))
    contacts: dict[str, dict[str, Any]] = {c.email.lower(): contact_to_contract(c) for c in recipients}
    for email, name, company in named:
        contacts.setdefault(email.lower(), {"email": email, "name": name, "company": company})
    for email in contact_store.erased_on(session, org, [e for e in emails if e not in contacts]):
        contacts[email] = {"email": email, "unsubscribed": True}
    for item in inline.contacts or ():
        contacts[item.email] = _protected(contacts.get(item.email), item)

    policy, warnings = P.effective(org.policy)
    try:
        policy = P.tighten(policy, inline_org.policy if inline_org else None)
    except P.PolicyError as exc:
        raise P.PolicyError(f"context.org.policy.{exc}") from None

    org_fields: dict[str, Any] = {"postal_address": org.postal_address or None}
    if inline_org:
        org_fields.update(inline_org.model_dump(exclude_none=True, exclude={"domains", "policy"}))
    org_fields["domains"] = list(org.domains or ()) or (inline_org.domains if inline_org else None)
    org_fields["policy"] = policy

    context = inline.model_copy(
        update={
            "now": now,
            "locale": inline.locale or org.default_locale,
            "org": Org.model_validate(org_fields),
            "contacts": [ContractContact.model_validate(c) for c in contacts.values()],
        }
    )
    return Assembled(request.model_copy(update={"context": context}), DbSentIndex(session, org), warnings)


def _protected(stored: dict[str, Any] | None, inline: ContractContact) -> dict[str, Any]:
    """The inline contact over the stored one, except that an opt-out on
    record stays: a caller may add facts for one request, not lift them."""
    merged = {**(stored or {}), **inline.model_dump(exclude_none=True)}
    if stored is None:
        return merged
    if stored.get("unsubscribed"):
        merged["unsubscribed"] = True
    if (stored.get("consent") or {}).get("status") == "opt_out":
        merged["consent"] = stored["consent"]
    return merged


def contact_to_contract(contact: Contact | queries.ContactFacts) -> dict[str, Any]:
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
