"""SCIM Groups are teams: `members` are the people in the team. A person is in one team, so
adding them to a group moves them there, and removing them from it moves them to the
waiting team ("Not yet in a team"). Moves go through the import's rules (`write_user`);
survey answers keep the team they were given with (responses carry it)."""

from __future__ import annotations

import re
from typing import Any

from scim2_models import (
    Group,
    InvalidValueException,
    Meta,
    NotFoundException,
    PatchOp,
    SCIMException,
    UniquenessException,
)
from scim2_models.resources.group import GroupMember
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gaplens.audit.service import record
from gaplens.connectors.directory_csv import TeamRecord
from gaplens.connectors.fields import KEY_PATTERN
from gaplens.directory.models import Person, Team
from gaplens.directory.service import apply_teams
from gaplens.errors import InputError, ProblemCollector
from gaplens.scim.service import (
    MAX_PAGE,
    Page,
    equality_filter,
    find_person,
    get_user,
    unassigned_team,
    write_user,
)


def group_resource(session: Session, team: Team, base_url: str, members: bool = True) -> Group:
    group = Group(
        id=team.key,
        external_id=team.external_id,
        display_name=team.name,
        meta=Meta(resource_type="Group", location=f"{base_url}/Groups/{team.key}"),
    )
    if members:
        people = session.scalars(
            select(Person.id).where(Person.team_id == team.id).order_by(Person.email)
        )
        group.members = [GroupMember(value=pid, ref=f"{base_url}/Users/{pid}") for pid in people]
    return group


def find_team(session: Session, group_id: str) -> Team:
    team = session.scalar(select(Team).where(Team.key == group_id)) if group_id else None
    if team is None:
        raise NotFoundException(detail=f"no group with id '{group_id}'")
    return team


def get_group(session: Session, group_id: str, base_url: str, members: bool = True) -> Group:
    return group_resource(session, find_team(session, group_id), base_url, members)


def list_groups(
    session: Session,
    filter_text: str | None,
    start: int,
    count: int,
    base_url: str,
    members: bool,
) -> tuple[int, int, list[Group]]:
    """Teams by key, paged; filters `displayName eq`, `externalId eq`, `id eq`."""
    query = select(Team)
    if filter_text:
        attribute, value = equality_filter(filter_text, ("displayName", "externalId", "id"))
        column = {"displayname": Team.name, "externalid": Team.external_id, "id": Team.key}
        query = query.where(column[attribute] == value)
    start = max(start, 1)
    count = min(max(count, 0), MAX_PAGE)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    teams = session.scalars(query.order_by(Team.key).offset(start - 1).limit(count))
    return total, start, [group_resource(session, t, base_url, members) for t in teams]


def _key_for(group: Group) -> str:
    """A new team's key: the externalId if it is a valid key, else the name made one."""
    if group.external_id and KEY_PATTERN.match(group.external_id):
        return str(group.external_id)
    key = re.sub(r"[^a-z0-9_.\-]+", "-", str(group.display_name or "").lower()).strip("-.")[:100]
    if not key:
        raise InvalidValueException(detail="displayName: a group needs a name")
    return key


def _write_team(session: Session, key: str, group: Group, team: Team | None) -> Team:
    problems = ProblemCollector("SCIM Group")
    name = str(group.display_name or "").strip()
    if not name or len(name) > 200:
        raise InvalidValueException(detail="displayName: 1 to 200 characters")
    parent = None
    if team is not None and team.parent_id is not None:
        parent = session.scalar(select(Team.key).where(Team.id == team.parent_id))
    found = TeamRecord(1, key, name, parent, team.function if team is not None else None)
    conflict = UniquenessException(
        detail=f"a group named '{name}' was created by another request at the same moment"
    )
    try:
        created, _, _ = apply_teams(session, [found], problems)
    except InputError as error:
        raise InvalidValueException(detail=error.problems[0].message) from None
    except IntegrityError:
        # Two creates at once: the other's insert won the unique key while ours waited. The
        # caller's scope rolls ours back, as for any error.
        raise conflict from None
    if team is None and not created:
        raise conflict  # made by another request after our check (read committed saw it)
    written = find_team(session, key)
    written.external_id = group.external_id
    return written


def _set_members(session: Session, team: Team, group: Group, base_url: str) -> dict[str, int]:
    """Make the team's people exactly the group's members: (moved in, moved out)."""
    wanted = [str(m.value) for m in group.members or [] if m.value]
    for pid in wanted:
        try:
            find_person(session, pid)
        except NotFoundException:
            raise InvalidValueException(detail=f"members: no user with id '{pid}'") from None
    current = set(session.scalars(select(Person.id).where(Person.team_id == team.id)))
    moved_in = [pid for pid in dict.fromkeys(wanted) if pid not in current]
    moved_out = sorted(current - set(wanted))
    waiting = unassigned_team(session) if moved_out else None
    for pid, destination in [(p, team.key) for p in moved_in] + [(p, waiting) for p in moved_out]:
        user = get_user(session, pid, base_url)
        write_user(session, user, find_person(session, pid), destination)
    return {"moved_in": len(moved_in), "moved_out": len(moved_out)}


def create_group(session: Session, actor: str, group: Group, base_url: str) -> Group:
    key = _key_for(group)
    if session.scalar(select(Team.id).where(Team.key == key)) is not None or session.scalar(
        select(Team.id).where(Team.name == str(group.display_name or "").strip())
    ):
        raise UniquenessException(detail=f"a group named '{group.display_name}' already exists")
    team = _write_team(session, key, group, None)
    moves = _set_members(session, team, group, base_url)
    record(session, actor, "scim_create_group", key, dict(moves))
    return group_resource(session, team, base_url)


def replace_group(
    session: Session, actor: str, group_id: str, group: Group, base_url: str
) -> Group:
    team = find_team(session, group_id)
    name = str(group.display_name or "").strip()
    if session.scalar(select(Team.id).where(Team.name == name, Team.id != team.id)):
        raise UniquenessException(detail=f"a group named '{name}' already exists")
    team = _write_team(session, team.key, group, team)
    moves = _set_members(session, team, group, base_url)
    record(session, actor, "scim_replace_group", team.key, dict(moves))
    return group_resource(session, team, base_url)


def entra_patch(body: Any) -> Any:
    """Entra ID removes members with `value` beside the path; RFC 7644 puts a filter in the
    path instead. Rewritten to the RFC's shape before scim2-models validates it."""
    if not isinstance(body, dict) or not isinstance(body.get("Operations"), list):
        return body
    operations: list[Any] = []
    for op in body["Operations"]:
        if (
            isinstance(op, dict)
            and str(op.get("op", "")).lower() == "remove"
            and str(op.get("path", "")).lower() == "members"
            and isinstance(op.get("value"), list)
        ):
            for member in op["value"]:
                value = member.get("value") if isinstance(member, dict) else None
                if not isinstance(value, str) or '"' in value or "\\" in value:
                    raise InvalidValueException(detail="members: a member to remove needs a value")
                operations.append({"op": "remove", "path": f'members[value eq "{value}"]'})
        else:
            operations.append(op)
    return {**body, "Operations": operations}


def patch_group(
    session: Session, actor: str, group_id: str, patch: PatchOp[Group], base_url: str
) -> Group:
    """`add`/`remove` of members and `replace` of displayName (Entra's and Okta's shapes),
    applied to the group as it is and written as a replacement."""
    current = get_group(session, group_id, base_url)
    try:
        patch.patch(current)
    except SCIMException:
        raise
    except (ValueError, TypeError) as invalid:
        raise InvalidValueException(detail=str(invalid)) from None
    return replace_group(session, actor, group_id, current, base_url)


__all__ = ["Page", "create_group", "get_group", "list_groups", "patch_group", "replace_group"]
