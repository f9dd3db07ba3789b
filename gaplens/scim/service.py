"""SCIM Users over the directory: every write goes through `directory.service.apply_people`,
so SCIM follows the CSV import's rules. Functions take a session and never commit; they
raise `scim2_models.SCIMException`, which the web layer turns into a SCIM error body."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from scim2_models import (
    Context,
    EnterpriseUser,
    Error,
    InvalidFilterException,
    InvalidValueException,
    Meta,
    NotFoundException,
    PatchOp,
    SCIMException,
    UniquenessException,
    User,
)
from scim2_models.resources.user import Email
from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gaplens.audit.service import record
from gaplens.connectors.directory_csv import person_record
from gaplens.directory.models import Identity, Person, Team
from gaplens.directory.schemas import IdentityKind, RoleLevel
from gaplens.directory.service import apply_people, ensure_organisation
from gaplens.errors import InputError, ProblemCollector
from gaplens.scim.models import ScimToken

ScimUser = User[EnterpriseUser]
UNASSIGNED_TEAM = "unassigned"
UNASSIGNED_NAME = "Not yet in a team"
MAX_PAGE = 200
TOKEN_PREFIX = "gaplens_scim_"
ROLE_LEVELS = tuple(level.value for level in RoleLevel)
"""What `userType` may be (the directory's role levels)."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, name: str, actor: str = "cli") -> str:
    """A new token for one identity provider, returned once; only its hash is kept."""
    name = name.strip()
    if not name or len(name) > 100:
        raise InputError.single("a token name is 1 to 100 characters", column="NAME")
    if session.scalar(select(ScimToken.id).where(ScimToken.name == name)) is not None:
        raise InputError.single(f"a SCIM token named '{name}' already exists", column="NAME")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ScimToken(name=name, token_hash=_hash(token), created_at=dt.datetime.now(dt.UTC)))
    record(session, actor, "scim_token_create", name)
    session.flush()
    return token


def revoke_token(session: Session, name: str, actor: str = "cli") -> None:
    """Delete the token named `name`: its next request is refused."""
    token = session.scalar(select(ScimToken).where(ScimToken.name == name.strip()))
    if token is None:
        raise InputError.single(f"no SCIM token named '{name}'", column="NAME")
    session.delete(token)
    record(session, actor, "scim_token_revoke", token.name)
    session.flush()


def token_names(session: Session) -> list[str]:
    return list(session.scalars(select(ScimToken.name).order_by(ScimToken.name)))


def token_list(session: Session) -> list[tuple[str, dt.datetime]]:
    """(name, issued at) of every live token, by name: what the admin page shows."""
    rows = session.execute(select(ScimToken.name, ScimToken.created_at).order_by(ScimToken.name))
    return [(name, created) for name, created in rows]


def token_actor(session: Session, token: str | None) -> str | None:
    """The audit actor of a bearer token (`scim:NAME`), or None if no live token matches."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    name = session.scalar(select(ScimToken.name).where(ScimToken.token_hash == _hash(token)))
    return f"scim:{name}" if name is not None else None


def parse(model: Any, body: Any, context: Context) -> Any:
    """Validate a request body with scim2-models; its first problem as a SCIM error."""
    if not isinstance(body, dict):
        raise InvalidValueException(detail="the body must be a JSON object")
    try:
        return model.model_validate(body, scim_ctx=context)
    except ValidationError as invalid:
        errors = Error.from_validation_errors(invalid)
        raise SCIMException.from_error(errors[0]) from None


@dataclass(frozen=True)
class Page:
    total: int
    start: int
    users: list[ScimUser]


def user_resource(session: Session, person: Person, base_url: str) -> ScimUser:
    """A person as SCIM shows them: the primary email is the work email; userName is the
    provider's sign-in name (the email unless it sent another)."""
    user = ScimUser(
        id=person.id,
        external_id=person.external_id,
        user_name=person.user_name or person.email,
        display_name=person.display_name,
        user_type=person.role_level.value,
        active=person.active,
        emails=[Email(value=person.email)],
        preferred_language=person.language,
        meta=Meta(resource_type="User", location=f"{base_url}/Users/{person.id}"),
    )
    user[EnterpriseUser] = EnterpriseUser(department=person.function)
    return user


def find_person(session: Session, user_id: str) -> Person:
    person = session.get(Person, user_id) if len(user_id) <= 36 else None
    if person is None:
        raise NotFoundException(detail=f"no user with id '{user_id}'")
    return person


def get_user(session: Session, user_id: str, base_url: str) -> ScimUser:
    return user_resource(session, find_person(session, user_id), base_url)


def unassigned_team(session: Session) -> str:
    """Where a person SCIM creates waits until a group puts them in a team."""
    org = ensure_organisation(session)
    exists = session.scalar(select(Team.id).where(Team.key == UNASSIGNED_TEAM))
    if exists is None:
        session.add(Team(organisation_id=org.id, key=UNASSIGNED_TEAM, name=UNASSIGNED_NAME))
        session.flush()
    return UNASSIGNED_TEAM


def _display_name(user: ScimUser) -> str:
    if user.display_name:
        return str(user.display_name)
    name = user.name
    if name is not None:
        if name.formatted:
            return str(name.formatted)
        parts = [p for p in (name.given_name, name.family_name) if p]
        if parts:
            return " ".join(parts)
    return str(user.user_name or "")


def write_user(
    session: Session, user: ScimUser, person: Person | None, team: str | None = None
) -> Person:
    """Apply `user` to the directory (creating or updating `person`, putting them in team
    `team` if given, else leaving them where they are) by the import's rules."""
    enterprise = user[EnterpriseUser]
    if team is None:
        team = (
            session.scalar(select(Team.key).where(Team.id == person.team_id))
            if person is not None
            else unassigned_team(session)
        )
    identities: dict[IdentityKind, str] = {}
    if person is not None:
        identities = {
            i.kind: i.value
            for i in session.scalars(select(Identity).where(Identity.person_id == person.id))
        }
    email = work_email(user)
    if person is not None and email != person.email:
        if session.scalar(select(Person.id).where(Person.email == email)) is not None:
            raise UniquenessException(detail=f"the email '{email}' is already taken")
        person.email = email  # the row, its id and its history stay: only the address moves
        session.flush()
    fields = {
        "email": email,
        "name": _display_name(user),
        "role_level": user.user_type
        or (person.role_level.value if person is not None else "individual_contributor"),
        "team": team or "",
        "function": (enterprise.department if enterprise is not None else None)
        or (person.function if person is not None else ""),
        "github_login": identities.get(IdentityKind.GITHUB, ""),
        "jira_account_id": identities.get(IdentityKind.JIRA, ""),
        "ai_licence_date": _iso(person.ai_licence_date if person else None),
        "ai_adoption_date": _iso(person.ai_adoption_date if person else None),
        # Entra ID and Okta send preferredLanguage; Okta's profile also has locale (en_US).
        "language": user.preferred_language or user.locale or "",
    }
    problems = ProblemCollector("SCIM User")
    found = person_record(1, lambda column: str(fields.get(column) or ""), problems)
    try:
        problems.raise_if_any()
        assert found is not None
        created, _, _ = apply_people(session, [found], problems)
    except InputError as error:
        first = error.problems[0]
        raise InvalidValueException(detail=f"{_attribute(first.column)}: {first.message}") from None
    if person is None and not created:
        # A create that found the person already there: another request made them after
        # our uniqueness check (PostgreSQL's read committed sees its commit), so this one
        # must not report a creation of its own.
        raise UniquenessException(
            detail=f"the email '{found.email}' was created by another request at the same moment"
        )
    written = session.scalars(select(Person).where(Person.email == found.email)).one()
    user_name = (user.user_name or "").strip()
    written.user_name = user_name if user_name.lower() != found.email else None
    written.active = True if user.active is None else bool(user.active)
    written.external_id = user.external_id
    session.flush()
    return written


_ATTRIBUTES = {
    "email": "userName",
    "name": "displayName",
    "role_level": "userType",
    "function": f"{EnterpriseUser.__schema__}:department",
    "language": "preferredLanguage",
}


def _attribute(column: str | None) -> str:
    return _ATTRIBUTES.get(column or "", column or "User")


def _iso(day: dt.date | None) -> str:
    return day.isoformat() if day else ""


def work_email(user: ScimUser) -> str:
    """The person's work email: the primary (else the work, else the first) of `emails`, or
    the userName when no email is given (Okta's default: userName is the email)."""
    emails = [e for e in user.emails or [] if e.value]
    chosen = (
        next((e for e in emails if e.primary), None)
        or next((e for e in emails if e.type == "work"), None)
        or (emails[0] if emails else None)
    )
    return str(chosen.value if chosen else user.user_name or "").strip().lower()


def _user_name_owner(session: Session, user_name: str) -> str | None:
    value = user_name.strip().lower()
    return session.scalar(
        select(Person.id).where(
            or_(
                func.lower(Person.user_name) == value,
                and_(Person.user_name.is_(None), Person.email == value),
            )
        )
    )


def _check_unique(session: Session, user: ScimUser, person_id: str | None) -> None:
    """userName, the work email and externalId each name one person (409 otherwise)."""
    owner = _user_name_owner(session, user.user_name or "")
    if owner is not None and owner != person_id:
        raise UniquenessException(detail=f"userName '{user.user_name}' is already taken")
    email = work_email(user)
    owner = session.scalar(select(Person.id).where(Person.email == email))
    if owner is not None and owner != person_id:
        raise UniquenessException(detail=f"the email '{email}' is already taken")
    if user.external_id:
        owner = session.scalar(select(Person.id).where(Person.external_id == user.external_id))
        if owner is not None and owner != person_id:
            raise UniquenessException(detail=f"externalId '{user.external_id}' is already taken")


def create_user(session: Session, actor: str, user: ScimUser, base_url: str) -> ScimUser:
    _check_unique(session, user, None)
    try:
        person = write_user(session, user, None)
    except IntegrityError:
        # The same user POSTed twice at once (a provider retrying a slow request, two
        # provisioning cycles): both passed the check, the other's insert won (ours waited
        # for it to commit). The loser gets RFC 7644 §3.3's answer; the caller's scope rolls
        # its attempt back, as for any error, so nothing of it stays.
        raise UniquenessException(
            detail=f"userName '{user.user_name}' or its email was created by another request "
            "at the same moment"
        ) from None
    record(session, actor, "scim_create_user", person.id)
    return user_resource(session, person, base_url)


def replace_user(
    session: Session, actor: str, user_id: str, user: ScimUser, base_url: str
) -> ScimUser:
    person = find_person(session, user_id)
    _check_unique(session, user, person.id)
    person = write_user(session, user, person)
    record(session, actor, "scim_replace_user", person.id, {"active": person.active})
    return user_resource(session, person, base_url)


def patch_user(
    session: Session, actor: str, user_id: str, patch: PatchOp[ScimUser], base_url: str
) -> ScimUser:
    """Entra's and Okta's PATCH (mostly `replace` of `active`): applied to the user as it is,
    then written as a replacement, so a patch follows the same rules."""
    current = get_user(session, user_id, base_url)
    try:
        patch.patch(current)
    except SCIMException:
        raise
    except (ValueError, TypeError) as invalid:
        raise InvalidValueException(detail=str(invalid)) from None
    return replace_user(session, actor, user_id, current, base_url)


def equality_filter(filter_text: str, attributes: tuple[str, ...]) -> tuple[str, str]:
    """(attribute in lower case, value) of the one filter form Entra and Okta send,
    `attribute eq "value"` for one of `attributes`; anything else is refused naming them."""
    names = "|".join(attributes)
    match = re.match(rf'^\s*({names})\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$', filter_text, re.IGNORECASE)
    if match is None:
        supported = ", ".join(f'{a} eq "..."' for a in attributes)
        raise InvalidFilterException(detail=f"supported filters: {supported}")
    return match.group(1).lower(), match.group(2).replace('\\"', '"')


def list_users(
    session: Session, filter_text: str | None, start: int, count: int, base_url: str
) -> Page:
    """Users by email, paged (`startIndex` counts from 1); the filters Entra and Okta send:
    `userName eq "..."`, `externalId eq "..."` (and `id eq`)."""
    query = select(Person)
    if filter_text:
        attribute, value = equality_filter(filter_text, ("userName", "externalId", "id"))
        if attribute == "username":
            owner = _user_name_owner(session, value)
            query = query.where(Person.id == owner)
        elif attribute == "externalid":
            query = query.where(Person.external_id == value)
        else:
            query = query.where(Person.id == value)
    start = max(start, 1)
    count = min(max(count, 0), MAX_PAGE)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    people = session.scalars(query.order_by(Person.email).offset(start - 1).limit(count))
    return Page(total, start, [user_resource(session, p, base_url) for p in people])
