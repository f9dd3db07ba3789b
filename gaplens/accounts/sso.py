"""Single sign-on (OpenID Connect) for staff: its settings, the groups-to-role mapping, the
sign-ins under way and just-in-time accounts. The HTTP side (discovery, code exchange, ID
token checks) lives in `gaplens/web/sso.py`; nothing here reads survey data.

Accounts are linked by the provider's issuer and subject, never by email: an email can be
reassigned to someone else, and a provider may let a user edit it."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gaplens.accounts.models import SsoLogin, StaffUser
from gaplens.accounts.schemas import StaffRole
from gaplens.accounts.service import now, token_hash
from gaplens.errors import InputError

SSO_LOGIN_LIFETIME = dt.timedelta(minutes=10)
NO_PASSWORD = "!sso"
"""Stored as the password hash of accounts made by single sign-on: Argon2 cannot parse it,
so a password never matches."""

ROLE_RANK = {StaffRole.ANALYST: 1, StaffRole.LEADER: 2, StaffRole.ADMIN: 3}
"""A person in several mapped groups gets the most capable role among them."""


@dataclass(frozen=True)
class OidcSettings:
    """What an admin configures for one OpenID provider (see docs/sso.md)."""

    issuer: str
    client_id: str
    client_secret: str
    role_map: Mapping[str, StaffRole]
    groups_claim: str = "groups"
    provider_name: str = "single sign-on"
    scopes: tuple[str, ...] = ("openid", "email", "profile")
    redirect_uri: str | None = None
    """The callback URL registered at the provider; when unset, the URL the request came to
    (`/login/sso/callback`), which is wrong behind a proxy that terminates TLS."""
    post_logout_redirect_uri: str | None = None
    leeway_seconds: int = 60
    """Clock skew allowed when checking an ID token's `exp` and `iat`."""
    extra: Mapping[str, str] = field(default_factory=dict)


def parse_role_map(text: str, variable: str = "GAPLENS_OIDC_ROLE_MAP") -> dict[str, StaffRole]:
    """`group=role,group=role`; a group may be a name, an Entra object id or an app role."""
    roles = {r.value: r for r in StaffRole}
    mapping: dict[str, StaffRole] = {}
    problems: list[str] = []
    for number, entry in enumerate(text.split(","), start=1):
        entry = entry.strip()
        if not entry:
            continue
        group, sep, role = entry.rpartition("=")
        group, role = group.strip(), role.strip().lower()
        if not sep or not group:
            problems.append(f"entry {number} '{entry}' is not group=role")
        elif role not in roles:
            problems.append(
                f"entry {number} '{entry}': '{role}' is not a role (use {', '.join(roles)})"
            )
        elif group in mapping and mapping[group] != roles[role]:
            problems.append(f"entry {number} '{entry}': group '{group}' is mapped twice")
        else:
            mapping[group] = roles[role]
    if problems:
        raise InputError.single("; ".join(problems), column=variable)
    if not mapping:
        raise InputError.single("maps no group to a role", column=variable)
    return mapping


def oidc_settings_from(env: Mapping[str, str]) -> OidcSettings | None:
    """The provider settings from `GAPLENS_OIDC_*`, or None when no issuer is set."""
    issuer = env.get("GAPLENS_OIDC_ISSUER", "").strip()
    if not issuer:
        return None
    missing = [
        name
        for name in (
            "GAPLENS_OIDC_CLIENT_ID",
            "GAPLENS_OIDC_CLIENT_SECRET",
            "GAPLENS_OIDC_ROLE_MAP",
        )
        if not env.get(name, "").strip()
    ]
    if missing:
        raise InputError.single(
            "is set, so " + " and ".join(missing) + " must be set too",
            column="GAPLENS_OIDC_ISSUER",
        )
    if not issuer.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise InputError.single(
            f"'{issuer}' must be an https:// URL (plain http only on loopback)",
            column="GAPLENS_OIDC_ISSUER",
        )
    scopes = ["openid", "email", "profile"]
    for scope in env.get("GAPLENS_OIDC_SCOPES", "").replace(",", " ").split():
        if scope not in scopes:
            scopes.append(scope)
    leeway_text = env.get("GAPLENS_OIDC_LEEWAY_SECONDS", "60").strip()
    if not leeway_text.isdigit() or int(leeway_text) > 600:
        raise InputError.single(
            f"'{leeway_text}' is not a number of seconds from 0 to 600",
            column="GAPLENS_OIDC_LEEWAY_SECONDS",
        )
    return OidcSettings(
        issuer=issuer,  # exactly as given: compared as is with discovery and each `iss`
        client_id=env["GAPLENS_OIDC_CLIENT_ID"].strip(),
        client_secret=env["GAPLENS_OIDC_CLIENT_SECRET"].strip(),
        role_map=parse_role_map(env["GAPLENS_OIDC_ROLE_MAP"]),
        groups_claim=env.get("GAPLENS_OIDC_GROUPS_CLAIM", "").strip() or "groups",
        provider_name=env.get("GAPLENS_OIDC_PROVIDER_NAME", "").strip() or "single sign-on",
        scopes=tuple(scopes),
        redirect_uri=env.get("GAPLENS_OIDC_REDIRECT_URI", "").strip() or None,
        post_logout_redirect_uri=env.get("GAPLENS_OIDC_POST_LOGOUT_REDIRECT_URI", "").strip()
        or None,
        leeway_seconds=int(leeway_text),
    )


def password_login_from(env: Mapping[str, str], oidc: OidcSettings | None) -> bool:
    """`GAPLENS_PASSWORD_LOGIN=off` switches password sign-in off, only if SSO is set up."""
    value = env.get("GAPLENS_PASSWORD_LOGIN", "on").strip().lower()
    if value not in ("on", "off", "true", "false", "1", "0", "yes", "no"):
        raise InputError.single(f"'{value}' is not on or off", column="GAPLENS_PASSWORD_LOGIN")
    enabled = value in ("on", "true", "1", "yes")
    if not enabled and oidc is None:
        raise InputError.single(
            "is off but GAPLENS_OIDC_ISSUER is not set: nobody could sign in",
            column="GAPLENS_PASSWORD_LOGIN",
        )
    return enabled


def claimed_groups(claims: Mapping[str, object], groups_claim: str) -> list[str]:
    """The groups (or app roles) the ID token names; a single string counts as one group."""
    value = claims.get(groups_claim)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [str(v) for v in value if isinstance(v, str | int)]
    return []


def role_for_groups(groups: Iterable[str], role_map: Mapping[str, StaffRole]) -> StaffRole | None:
    """The most capable role any of `groups` maps to; None if none is mapped."""
    roles = [role_map[g] for g in groups if g in role_map]
    return max(roles, key=ROLE_RANK.__getitem__) if roles else None


def begin_sso_login(session: Session, next_path: str) -> tuple[str, SsoLogin]:
    """A new sign-in under way: the cookie value (only its hash is stored) and its row."""
    session.execute(delete(SsoLogin).where(SsoLogin.expires_at < now()))
    key = secrets.token_urlsafe(32)
    pending = SsoLogin(
        key_hash=token_hash(key),
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        code_verifier=secrets.token_urlsafe(48),
        next=next_path,
        expires_at=now() + SSO_LOGIN_LIFETIME,
    )
    session.add(pending)
    session.flush()
    return key, pending


@dataclass(frozen=True)
class TakenLogin:
    pending: SsoLogin | None
    """The sign-in under way if the callback matches it; None otherwise."""
    existed: bool
    """Whether this browser had a sign-in under way at all (a refusal is then audited; a
    callback with no cookie writes nothing, so it cannot be used to fill the audit log)."""


def take_sso_login(session: Session, key: str | None, state: str) -> TakenLogin:
    """The sign-in under way for this browser if `state` matches, deleted either way so
    that a callback (and so an authorisation code, and a guess at the state) counts once."""
    if not key or len(key) > 200:
        return TakenLogin(None, existed=False)
    pending = session.get(SsoLogin, token_hash(key))
    if pending is None:
        return TakenLogin(None, existed=False)
    session.delete(pending)
    session.flush()
    expires = pending.expires_at
    if expires.tzinfo is None:  # SQLite returns naive datetimes
        expires = expires.replace(tzinfo=dt.UTC)
    if expires < now() or not secrets.compare_digest(pending.state, state):
        return TakenLogin(None, existed=True)
    return TakenLogin(pending, existed=True)


class SsoRefused(Exception):  # noqa: N818 - an outcome shown to the person, not a bug
    """The provider vouched for the person, but gaplens will not let them in."""

    def __init__(self, message: str, status_code: int = 403) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code


@dataclass(frozen=True)
class SsoAccount:
    user: StaffUser
    created: bool
    role_changed: bool


def sso_account(
    session: Session,
    issuer: str,
    subject: str,
    email: str,
    display_name: str,
    role: StaffRole | None,
) -> SsoAccount:
    """The account linked to (issuer, subject), created on first sign-in; its role follows
    the provider's groups at every sign-in. No role: refused, and no account is made."""
    user = session.scalars(
        select(StaffUser).where(StaffUser.sso_issuer == issuer, StaffUser.sso_subject == subject)
    ).first()
    if role is None:
        raise SsoRefused(
            "Your organisation's sign-in does not give you a gaplens role. Ask an "
            "administrator to add you to one of the gaplens groups."
        )
    if user is not None:
        return _signed_in_again(user, display_name, role)
    email = email.strip().lower()
    taken = session.scalars(select(StaffUser).where(StaffUser.email == email)).first()
    if taken is not None:
        raise SsoRefused(
            f"A gaplens account for {email} already exists and is not linked to single "
            "sign-on. Ask an administrator to link it (gaplens users link-sso).",
            status_code=409,
        )
    user = StaffUser(
        email=email,
        display_name=display_name.strip() or email,
        role=role,
        password_hash=NO_PASSWORD,
        active=True,
        created_at=now(),
        sso_issuer=issuer,
        sso_subject=subject,
    )
    try:
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError:
        # Two first sign-ins of the same person at once (two tabs, a double click at the
        # provider): the other one created the account between our look-up and our insert.
        # Its row is committed now (the insert waited for it), so this one signs in to it.
        raced = session.scalars(
            select(StaffUser).where(
                StaffUser.sso_issuer == issuer, StaffUser.sso_subject == subject
            )
        ).first()
        if raced is None:
            raise SsoRefused(
                f"A gaplens account for {email} already exists and is not linked to single "
                "sign-on. Ask an administrator to link it (gaplens users link-sso).",
                status_code=409,
            ) from None
        return _signed_in_again(raced, display_name, role)
    return SsoAccount(user, created=True, role_changed=False)


def _signed_in_again(user: StaffUser, display_name: str, role: StaffRole) -> SsoAccount:
    """An existing account: its role follows the provider's groups at every sign-in."""
    if not user.active:
        raise SsoRefused("Your gaplens account has been deactivated by an administrator.")
    changed = user.role != role
    user.role = role
    if display_name and user.display_name != display_name:
        user.display_name = display_name
    return SsoAccount(user, created=False, role_changed=changed)


def is_sso_account(session: Session, user_id: int) -> bool:
    """Whether the account signs in through the provider (so sign-out ends that too)."""
    user = session.get(StaffUser, user_id)
    return user is not None and user.sso_subject is not None


def link_sso_account(session: Session, email: str, issuer: str, subject: str) -> StaffUser:
    """Links an existing (password) account to the provider's subject, so its owner signs in
    through the provider from now on; its password stops working."""
    issuer, subject = issuer.strip().rstrip("/"), subject.strip()
    if not issuer.startswith(("https://", "http://")):
        raise InputError.single(f"'{issuer}' is not an issuer URL", column="--issuer")
    if not subject or len(subject) > 255:
        raise InputError.single("the subject must have 1 to 255 characters", column="--subject")
    user = session.scalars(
        select(StaffUser).where(StaffUser.email == email.strip().lower())
    ).first()
    if user is None:
        raise InputError.single(f"no staff account '{email.strip()}'", column="email")
    holder = session.scalars(
        select(StaffUser).where(StaffUser.sso_issuer == issuer, StaffUser.sso_subject == subject)
    ).first()
    if holder is not None and holder.id != user.id:
        raise InputError.single(
            f"subject '{subject}' is already linked to {holder.email}", column="--subject"
        )
    user.sso_issuer, user.sso_subject = issuer, subject
    user.password_hash = NO_PASSWORD
    session.flush()
    return user
