"""SQL for the action plan: actions by scope and period, their history, staff names."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.accounts.models import StaffUser
from gaplens.actions.models import Action, ActionChange
from gaplens.directory.models import Organisation, Team


def find_adopted(
    session: Session,
    organisation_id: int,
    rule: str,
    kind: str,
    key: str,
    start: dt.date,
    end: dt.date,
) -> Action | None:
    return session.scalars(
        select(Action).where(
            Action.organisation_id == organisation_id,
            Action.rule == rule,
            Action.scope_kind == kind,
            Action.scope_key == key,
            Action.period_start == start,
            Action.period_end == end,
        )
    ).first()


def actions(
    session: Session,
    organisation_id: int | None = None,
    kind: str | None = None,
    key: str | None = None,
) -> list[Action]:
    """Newest period first, then in the order they were added."""
    query = select(Action)
    if organisation_id is not None:
        query = query.where(Action.organisation_id == organisation_id)
    if kind is not None:
        query = query.where(Action.scope_kind == kind, Action.scope_key == (key or ""))
    return list(
        session.scalars(query.order_by(Action.period_start.desc(), Action.period_end, Action.id))
    )


def history(session: Session, action_ids: list[int]) -> dict[int, list[ActionChange]]:
    result: dict[int, list[ActionChange]] = {i: [] for i in action_ids}
    if not action_ids:
        return result
    rows = session.scalars(
        select(ActionChange)
        .where(ActionChange.action_id.in_(action_ids))
        .order_by(ActionChange.changed_at, ActionChange.id)
    )
    for row in rows:
        result[row.action_id].append(row)
    return result


def staff(session: Session) -> dict[int, StaffUser]:
    return {u.id: u for u in session.scalars(select(StaffUser))}


def active_staff_by_email(session: Session, email: str) -> StaffUser | None:
    return session.scalars(
        select(StaffUser).where(StaffUser.email == email.strip().lower(), StaffUser.active)
    ).first()


def team_names(session: Session, organisation_id: int) -> dict[str, str]:
    rows = session.execute(
        select(Team.key, Team.name).where(Team.organisation_id == organisation_id)
    )
    return {key: name for key, name in rows}


def team_key(session: Session, team_id: int) -> str | None:
    return session.scalar(select(Team.key).where(Team.id == team_id))


def organisation_name(session: Session, organisation_id: int) -> str:
    return session.scalar(select(Organisation.name).where(Organisation.id == organisation_id)) or ""


def first_organisation(session: Session) -> int | None:
    return session.scalars(select(Organisation.id).order_by(Organisation.id)).first()
