"""People who sign in to the admin page: their role (admin or viewer), a
password hash (backend/passwords.py) and the lock-out after repeated
failures; and mailbox users (role `member`, no password), created the
first time Outlook or Gmail vouches for them. Time comes from the caller,
as everywhere in storage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend import passwords
from backend.storage.errors import InvalidValue
from backend.storage.models import Organisation, User

ROLES = ("admin", "viewer")
MEMBER = "member"  # signs in with a Microsoft or Google identity, never to the admin page
MAX_FAILURES = 5  # wrong passwords in a row before the account locks
LOCK_FOR = timedelta(minutes=15)


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in: the user, or why not (`bad` or `locked`)."""

    user: User | None
    problem: str | None = None
    locked_until: datetime | None = None


def create(session: Session, org: Organisation, email: str, role: str, password: str, now: datetime) -> User:
    """A new account, or a new role and password for an existing one of
    `org`. Raises `InvalidValue` for an unknown role, a weak password, or an
    address that already signs in for another organisation (sign-in asks
    for the address alone)."""
    email = email.strip().lower()
    if role not in ROLES:
        raise InvalidValue(f"role must be one of {', '.join(ROLES)}")
    if "@" not in email or len(email) > 320:
        raise InvalidValue(f"{email!r} is not an email address")
    try:
        hashed = passwords.hash_password(password)
    except passwords.WeakPassword as exc:
        raise InvalidValue(str(exc)) from None
    elsewhere = session.scalar(
        select(User.id).where(User.email == email, User.org_id != org.id, User.password_hash.is_not(None)).limit(1)
    )
    if elsewhere is not None:
        raise InvalidValue(f"{email} already signs in to another organisation")
    user = session.scalar(select(User).where(User.org_id == org.id, User.email == email))
    if user is None:
        user = User(org_id=org.id, email=email, created_at=now)
        session.add(user)
    user.role = role
    user.password_hash = hashed
    user.failed_sign_ins = 0
    user.locked_until = None
    session.flush()
    return user


def member(session: Session, org: Organisation, email: str, now: datetime) -> User:
    """The user `email` of `org`, created as a `member` on first use. An
    existing account keeps its role: an admin who also writes mail stays an
    admin."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 320:
        raise InvalidValue(f"{email!r} is not an email address")
    user = session.scalar(select(User).where(User.org_id == org.id, User.email == email))
    if user is None:
        user = User(org_id=org.id, email=email, role=MEMBER, created_at=now)
        session.add(user)
        session.flush()
    return user


def sign_in(session: Session, email: str, password: str, now: datetime) -> SignIn:
    """Check `password` for the account `email`. After `MAX_FAILURES` wrong
    passwords in a row the account is locked for `LOCK_FOR`; while locked,
    even the right password is refused. The caller commits (failures count)."""
    email = email.strip().lower()
    user = session.scalar(select(User).where(User.email == email, User.password_hash.is_not(None)).limit(1))
    if user is None:
        passwords.verify(password, None)  # the same time as a wrong password
        return SignIn(None, "bad")
    if user.locked_until is not None and user.locked_until > now:
        return SignIn(None, "locked", user.locked_until)
    if not passwords.verify(password, user.password_hash):
        user.failed_sign_ins = (user.failed_sign_ins or 0) + 1
        if user.failed_sign_ins >= MAX_FAILURES:
            user.failed_sign_ins = 0
            user.locked_until = now + LOCK_FOR
            session.flush()
            return SignIn(None, "locked", user.locked_until)
        session.flush()
        return SignIn(None, "bad")
    user.failed_sign_ins = 0
    user.locked_until = None
    user.last_sign_in_at = now
    session.flush()
    return SignIn(user)


def by_email(session: Session, email: str) -> User | None:
    """The account that signs in to the admin page with `email` (one
    organisation at most: `create` refuses a second)."""
    email = email.strip().lower()
    return session.scalar(select(User).where(User.email == email, User.password_hash.is_not(None)).limit(1))


def for_org(session: Session, org: Organisation) -> list[User]:
    return list(session.scalars(select(User).where(User.org_id == org.id).order_by(User.email)))


def _other_admins(session: Session, user: User) -> int:
    count = session.scalar(
        select(func.count()).where(
            User.org_id == user.org_id, User.role == "admin", User.password_hash.is_not(None), User.id != user.id
        )
    )
    return count or 0


def change_role(session: Session, user: User, role: str) -> None:
    """Give `user` the admin-page role `role`. Raises `InvalidValue` for an
    unknown role, or for taking the role from the organisation's last
    administrator (nobody could change the policy or add anyone after)."""
    if role not in ROLES:
        raise InvalidValue(f"role must be one of {', '.join(ROLES)}")
    if user.role == "admin" and role != "admin" and not _other_admins(session, user):
        raise InvalidValue(f"{user.email} is the last administrator")
    user.role = role
    session.flush()


def remove(session: Session, user: User) -> None:
    """Delete the account `user`. Raises `InvalidValue` for the
    organisation's last administrator."""
    if user.role == "admin" and not _other_admins(session, user):
        raise InvalidValue(f"{user.email} is the last administrator")
    session.delete(user)
    session.flush()


def unlock(session: Session, user: User) -> None:
    """Lift a lock-out after wrong passwords before its time is up."""
    user.failed_sign_ins = 0
    user.locked_until = None
    session.flush()
