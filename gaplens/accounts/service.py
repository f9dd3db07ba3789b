"""Accounts: password hashing (Argon2), sessions, login throttling. Services never commit."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from gaplens.accounts.models import LoginFailure, StaffRole, StaffSession, StaffUser
from gaplens.accounts.queries import user_out
from gaplens.accounts.schemas import UserIn, UserOut
from gaplens.errors import InputError

SESSION_LIFETIME = dt.timedelta(hours=12)
FAILURE_WINDOW = dt.timedelta(minutes=15)
MAX_FAILURES = 5
MIN_PASSWORD_LENGTH = 12

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("a password nobody has, for constant-time misses")


@dataclass(frozen=True)
class Viewer:
    """The signed-in staff member, as the web layer and the privacy audit see them."""

    user_id: int
    email: str
    display_name: str
    role: StaffRole
    csrf_token: str

    @property
    def audit_key(self) -> str:
        return f"staff:{self.user_id}"


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(
    session: Session, email: str, display_name: str, role: StaffRole, password: str
) -> StaffUser:
    email = email.strip().lower()
    if "@" not in email:
        raise InputError.single(f"'{email}' is not an email address", "email")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError.single(
            f"the password must have at least {MIN_PASSWORD_LENGTH} characters", "password"
        )
    if session.scalars(select(StaffUser).where(StaffUser.email == email)).first():
        raise InputError.single(f"a user '{email}' already exists", "email")
    user = StaffUser(
        email=email,
        display_name=display_name.strip() or email,
        role=role,
        password_hash=_hasher.hash(password),
        active=True,
        created_at=now(),
    )
    session.add(user)
    session.flush()
    return user


def add_account(session: Session, body: UserIn) -> UserOut:
    """`create_user` for adapters: the new account as it may be shown."""
    return user_out(create_user(session, body.email, body.display_name, body.role, body.password))


class LoginThrottled(Exception):  # noqa: N818 - a state, not a bug
    """Too many failed logins for this account recently."""


def _failure_key(email: str) -> str:
    return token_hash("login:" + email.strip().lower())


def authenticate(session: Session, email: str, password: str) -> StaffUser | None:
    """The user if the password matches; throttled per account after repeated failures."""
    key = _failure_key(email)
    since = now() - FAILURE_WINDOW
    failures = session.scalar(
        select(func.count()).where(LoginFailure.key_hash == key, LoginFailure.at >= since)
    )
    if (failures or 0) >= MAX_FAILURES:
        raise LoginThrottled
    user = session.scalars(
        select(StaffUser).where(StaffUser.email == email.strip().lower(), StaffUser.active)
    ).first()
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        session.add(LoginFailure(key_hash=key, at=now()))
        session.flush()
        return None
    if user is None:
        return None
    session.execute(delete(LoginFailure).where(LoginFailure.key_hash == key))
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def start_session(session: Session, user: StaffUser) -> str:
    """A new random token for the cookie; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    session.execute(delete(StaffSession).where(StaffSession.expires_at < now()))
    session.add(
        StaffSession(
            token_hash=token_hash(token),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now(),
            expires_at=now() + SESSION_LIFETIME,
        )
    )
    session.flush()
    return token


def viewer_for_token(session: Session, token: str | None) -> Viewer | None:
    if not token or len(token) > 200:
        return None
    row = session.execute(
        select(StaffSession, StaffUser)
        .join(StaffUser, StaffUser.id == StaffSession.user_id)
        .where(StaffSession.token_hash == token_hash(token), StaffUser.active)
    ).first()
    if row is None:
        return None
    staff_session, user = row
    expires = staff_session.expires_at
    if expires.tzinfo is None:  # SQLite returns naive datetimes
        expires = expires.replace(tzinfo=dt.UTC)
    if expires < now():
        return None
    return Viewer(user.id, user.email, user.display_name, user.role, staff_session.csrf_token)


def end_session(session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(StaffSession).where(StaffSession.token_hash == token_hash(token)))


def deactivate_user(session: Session, user_id: int, acting_user_id: int) -> StaffUser:
    """Sign-in and every open session end at once; the account stays for the audit log."""
    user = session.get(StaffUser, user_id)
    if user is None:
        raise InputError.single(f"no user with id {user_id}", "user")
    if user.id == acting_user_id:
        raise InputError.single("you cannot deactivate your own account", "user")
    user.active = False
    session.execute(delete(StaffSession).where(StaffSession.user_id == user.id))
    return user


def deactivate_account(session: Session, user_id: int, acting_user_id: int) -> UserOut:
    """`deactivate_user` for adapters: the account as it may be shown."""
    return user_out(deactivate_user(session, user_id, acting_user_id))


def account_with_role(
    session: Session, user_id: int, roles: tuple[StaffRole, ...], doing: str
) -> StaffUser:
    """The active account `user_id` if its role may do `doing` (e.g. "publish posts")."""
    user = session.get(StaffUser, user_id)
    if user is None or not user.active:
        raise InputError.single(f"no active staff account with id {user_id}", column="account")
    if user.role not in roles:
        allowed = " and ".join(f"{r.value}s" for r in roles)
        article = "an" if user.role.value[0] in "aeiou" else "a"
        raise InputError.single(
            f"{user.email} is {article} {user.role.value}: only {allowed} {doing}",
            column="account",
        )
    return user


def account_by_email(session: Session, email: str) -> StaffUser:
    """The staff account signed in as `email` (the CLI names accounts by email)."""
    user = session.scalars(
        select(StaffUser).where(StaffUser.email == email.strip().lower())
    ).first()
    if user is None:
        raise InputError.single(f"no staff account '{email.strip()}'", column="account")
    return user
