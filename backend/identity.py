"""From a verified identity to an organisation and a user, for every way in:
the API's bearer tokens (backend/auth.py) and the Gmail add-on's events
(backend/gmail.py).

A Microsoft user belongs to the organisation registered for their tenant
(`sendwise org create|update SLUG --microsoft-tenant TENANT_ID`); a Google
user to the organisation that lists their email's domain. Either is
created as a `member` on first use. No organisation: `org` is None, and
the caller says "sendwise is not set up for your organisation".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend import gmail_auth, microsoft_auth
from backend.storage import queries, users
from backend.storage.models import Organisation, User

NOT_SET_UP = "sendwise is not set up for your organisation"


@dataclass(frozen=True)
class Member:
    email: str
    org: Organisation | None
    user: User | None
    method: str  # "microsoft" | "google"
    where: str  # what identified the organisation, for the refusal: "Microsoft tenant …" / "domain …"

    @property
    def refusal(self) -> str:
        return f"{NOT_SET_UP} ({self.where}); ask your administrator"


def microsoft_member(session: Session, claims: microsoft_auth.Claims, now: datetime) -> Member:
    org = queries.org_by_microsoft_tenant(session, claims.tenant_id)
    return _member(session, org, claims.email, now, "microsoft", f"Microsoft tenant {claims.tenant_id}")


def google_member(session: Session, claims: gmail_auth.Claims, now: datetime) -> Member:
    domain = claims.email.rpartition("@")[2]
    org = queries.org_by_domain(session, domain)
    return _member(session, org, claims.email, now, "google", f"domain {domain}")


def _member(session: Session, org: Organisation | None, email: str, now: datetime, method: str, where: str) -> Member:
    user = users.member(session, org, email, now) if org is not None else None
    return Member(email=email, org=org, user=user, method=method, where=where)


def committed(session: Session, resolve: Callable[[], Member]) -> Member:
    """`resolve()`, committed. Two first requests of one user at once both
    try to create the user; the loser's insert breaks the unique (org,
    email) constraint, and resolving again finds the winner's row."""
    try:
        member = resolve()
        session.commit()
    except IntegrityError:
        session.rollback()
        member = resolve()
        session.commit()
    return member
