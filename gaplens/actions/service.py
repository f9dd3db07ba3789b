"""The action plan: adopt a report's next step (idempotent per rule, scope and period), add an
action of one's own, change its owner, due date or status (every change kept), and the
report section on what happened to the last period's steps.

Actions are staff records: who owns what, by when. Their words are the report's own (an
adopted step's title, action and evidence, as shown) or what staff typed; nothing here reads
a person's answers, so nothing here goes through the privacy gate.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from gaplens.accounts.models import StaffUser
from gaplens.actions import queries
from gaplens.actions.models import Action, ActionChange
from gaplens.actions.schemas import (
    CLOSED,
    STATUS_LABELS,
    ActionOut,
    ActionScope,
    ActionsSection,
    ActionUpdate,
    ChangeOut,
    Proposal,
    Status,
)
from gaplens.errors import InputError
from gaplens.metrics.schemas import MetricScope
from gaplens.privacy import PrivacyPolicy
from gaplens.sections import SectionContext, section


def _actor(session: Session, email: str) -> StaffUser:
    user = queries.active_staff_by_email(session, email)
    if user is None:
        raise InputError.single(f"no active staff account {email!r}", column="actor")
    return user


def _owner(session: Session, email: str | None) -> StaffUser | None:
    """The owner named by email (None when blank); InputError naming `owner` otherwise."""
    if not email or not email.strip():
        return None
    user = queries.active_staff_by_email(session, email)
    if user is None:
        raise InputError.single(f"{email.strip()!r} is not an active staff account", column="owner")
    return user


def _check_due(due_on: dt.date | None, period_start: dt.date) -> None:
    if due_on is not None and due_on < period_start:
        raise InputError.single(
            f"the due date {due_on.isoformat()} is before the period it belongs to "
            f"(from {period_start.isoformat()})",
            column="due_on",
        )


def adopt(
    session: Session,
    proposal: Proposal,
    actor: str,
    now: dt.datetime,
    *,
    owner: str | None = None,
    due_on: dt.date | None = None,
) -> tuple[int, bool]:
    """Put a step into the plan: (its id, True) when new; (the existing id, False) when the
    same rule, scope and period is already there (nothing changes then)."""
    by = _actor(session, actor)
    key = proposal.scope.key or ""
    if proposal.rule is not None:
        existing = queries.find_adopted(
            session,
            proposal.organisation_id,
            proposal.rule,
            proposal.scope.kind,
            key,
            proposal.period_start,
            proposal.period_end,
        )
        if existing is not None:
            return existing.id, False
    owned = _owner(session, owner)
    _check_due(due_on, proposal.period_start)
    row = Action(
        organisation_id=proposal.organisation_id,
        rule=proposal.rule,
        scope_kind=proposal.scope.kind,
        scope_key=key,
        period_start=proposal.period_start,
        period_end=proposal.period_end,
        period_label=proposal.period_label,
        title=proposal.title,
        action=proposal.action,
        evidence="\n".join(proposal.evidence),
        owner_id=owned.id if owned else None,
        due_on=due_on,
        status=Status.OPEN.value,
        reason=None,
        created_at=now,
        created_by_id=by.id,
    )
    session.add(row)
    session.flush()
    note = "adopted from the report" if proposal.rule else "added to the plan"
    session.add(
        ActionChange(
            action_id=row.id,
            changed_at=now,
            changed_by_id=by.id,
            status_from=None,
            status_to=Status.OPEN.value,
            note=note,
        )
    )
    session.flush()
    return row.id, True


def _stored(session: Session, action_id: int) -> Action:
    row = session.get(Action, action_id)
    if row is None:
        raise InputError.single(f"no action {action_id}", column="id")
    return row


def action_exists(session: Session, action_id: int) -> bool:
    return session.get(Action, action_id) is not None


def update(
    session: Session, action_id: int, change: ActionUpdate, actor: str, now: dt.datetime
) -> None:
    """Change status, owner or due date; one history row records it.

    Dropped needs a reason; reopening a done or dropped action needs a note (the plan says
    why it came back); a change that changes nothing is refused, naming `status`."""
    row = _stored(session, action_id)
    by = _actor(session, actor)
    before = Status(row.status)
    after = change.status or before
    words: list[str] = []
    if after is Status.DROPPED and after is not before and not change.reason:
        raise InputError.single("say why the action is dropped", column="reason")
    if before in CLOSED and after not in CLOSED and not change.note:
        raise InputError.single(
            f"say why a {STATUS_LABELS[before].lower()} action is reopened", column="note"
        )
    if change.owner is not None:
        owned = _owner(session, change.owner)
        new_owner = owned.id if owned else None
        if new_owner != row.owner_id:
            row.owner_id = new_owner
            words.append(f"owner: {owned.display_name if owned else 'none'}")
    if change.clear_due and row.due_on is not None:
        row.due_on = None
        words.append("due date removed")
    elif change.due_on is not None and change.due_on != row.due_on:
        _check_due(change.due_on, row.period_start)
        row.due_on = change.due_on
        words.append(f"due {change.due_on.isoformat()}")
    if after is not before:
        row.status = after.value
        row.reason = change.reason if after is Status.DROPPED else None
        if change.reason and after is Status.DROPPED:
            words.append(f"reason: {change.reason}")
    elif not words:
        raise InputError.single(
            f"nothing to change: the action is already {STATUS_LABELS[before].lower()}",
            column="status",
        )
    if change.note:
        words.append(change.note)
    session.add(
        ActionChange(
            action_id=row.id,
            changed_at=now,
            changed_by_id=by.id,
            status_from=before.value,
            status_to=after.value,
            note="; ".join(words) or None,
        )
    )
    session.flush()


# --- views ----------------------------------------------------------------------------------


def _views(session: Session, rows: list[Action], today: dt.date) -> list[ActionOut]:
    if not rows:
        return []
    people = queries.staff(session)
    changes = queries.history(session, [r.id for r in rows])
    teams: dict[int, dict[str, str]] = {}
    organisations: dict[int, str] = {}
    result = []
    for row in rows:
        if row.scope_kind == "team":
            names = teams.setdefault(
                row.organisation_id, queries.team_names(session, row.organisation_id)
            )
            label = names.get(row.scope_key, row.scope_key)
        elif row.scope_kind == "function":
            label = row.scope_key
        else:
            if row.organisation_id not in organisations:
                organisations[row.organisation_id] = queries.organisation_name(
                    session, row.organisation_id
                )
            label = organisations[row.organisation_id]
        status = Status(row.status)
        owner = people.get(row.owner_id) if row.owner_id else None
        result.append(
            ActionOut(
                id=row.id,
                rule=row.rule,
                scope=ActionScope.model_validate(
                    {"kind": row.scope_kind, "key": row.scope_key or None}
                ),
                scope_label=label,
                period_start=row.period_start,
                period_end=row.period_end,
                period_label=row.period_label,
                title=row.title,
                action=row.action,
                evidence=[e for e in row.evidence.split("\n") if e],
                owner=owner.display_name if owner else None,
                owner_email=owner.email if owner else None,
                due_on=row.due_on,
                status=status,
                status_label=STATUS_LABELS[status],
                reason=row.reason,
                overdue=row.due_on is not None and row.due_on < today and status not in CLOSED,
                created_at=row.created_at,
                created_by=people[row.created_by_id].display_name,
                history=[
                    ChangeOut(
                        changed_at=c.changed_at,
                        changed_by=people[c.changed_by_id].display_name,
                        status_from=Status(c.status_from) if c.status_from else None,
                        status_to=Status(c.status_to),
                        note=c.note,
                    )
                    for c in changes[row.id]
                ],
            )
        )
    return result


def action_views(
    session: Session,
    today: dt.date,
    scope: ActionScope | None = None,
    status: Status | None = None,
) -> list[ActionOut]:
    """Every action (of one scope, of one status), newest period first."""
    rows = queries.actions(
        session, kind=scope.kind if scope else None, key=scope.key if scope else None
    )
    views = _views(session, rows, today)
    return [v for v in views if status is None or v.status is status]


def action_view_by_id(session: Session, action_id: int, today: dt.date) -> ActionOut:
    return _views(session, [_stored(session, action_id)], today)[0]


def owner_choices(session: Session) -> list[tuple[str, str]]:
    """(email, display name) of every active staff account, for the owner field."""
    return sorted(
        ((u.email, u.display_name) for u in queries.staff(session).values() if u.active),
        key=lambda pair: pair[1].casefold(),
    )


def organisation_id(session: Session) -> int:
    found = queries.first_organisation(session)
    if found is None:
        raise InputError.single("no organisation has been imported yet", column="scope")
    return found


def report_scope(session: Session, scope: MetricScope) -> ActionScope:
    """The report's scope in the plan's terms: a team by its key, a function by name."""
    if scope.team_id is not None:
        return ActionScope(kind="team", key=queries.team_key(session, scope.team_id))
    if scope.function is not None:
        return ActionScope(kind="function", key=scope.function)
    return ActionScope(kind="organisation")


@section("actions", title="What happened to the last steps", order=85)
def report_section(
    session: Session,
    scope: MetricScope,
    start: dt.date,
    end: dt.date,
    policy: PrivacyPolicy,
    context: SectionContext | None = None,
) -> ActionsSection | None:
    """The scope's actions proposed in periods starting before this one, with their status
    today (overdue marked), and the steps adopted for this period (the brief names their
    owner and status). None when the scope's plan has neither. Staff records only: the
    same for every viewer, and nothing in them is read from answers."""
    del context  # needs nothing the report has read
    del policy  # no figure of people here
    today = dt.date.today()
    mine = report_scope(session, scope)
    rows = queries.actions(session, scope.organisation_id, mine.kind, mine.key)
    earlier = [r for r in rows if r.period_start < start]
    current = [r for r in rows if r.period_start == start and r.period_end == end]
    if not earlier and not current:
        return None
    earlier_views = _views(session, earlier, today)
    return ActionsSection(
        as_of=today,
        earlier=earlier_views,
        this_period=_views(session, current, today),
        open_earlier=sum(v.status not in CLOSED for v in earlier_views),
        overdue=sum(v.overdue for v in earlier_views),
    )
