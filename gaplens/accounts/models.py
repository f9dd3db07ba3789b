"""Staff accounts and server-side sessions. Only hashes of session tokens are stored."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gaplens.accounts.schemas import StaffRole
from gaplens.db.base import Base

__all__ = ["LoginFailure", "SsoLogin", "StaffRole", "StaffSession", "StaffUser"]


class StaffUser(Base):
    __tablename__ = "staff_user"
    __table_args__ = (UniqueConstraint("sso_issuer", "sso_subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[StaffRole] = mapped_column(
        Enum(
            StaffRole, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]
        )
    )
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    sso_issuer: Mapped[str | None] = mapped_column(String(500), default=None)
    """With `sso_subject`: the OpenID provider's stable id for this person. Accounts are
    linked by it, never by email (an email can be reassigned or spoofed by a provider)."""
    sso_subject: Mapped[str | None] = mapped_column(String(255), default=None)


class StaffSession(Base):
    __tablename__ = "staff_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_user.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


class LoginFailure(Base):
    """Failed logins per account (keyed by a hash of the email, never by IP address)."""

    __tablename__ = "login_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class SsoLogin(Base):
    """A single sign-on under way: what the callback must match (state, nonce) and the PKCE
    verifier, keyed by the hash of a random cookie. Used once, then deleted."""

    __tablename__ = "sso_login"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(128))
    nonce: Mapped[str] = mapped_column(String(128))
    code_verifier: Mapped[str] = mapped_column(String(128))
    next: Mapped[str] = mapped_column(String(500))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
