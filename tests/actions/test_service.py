"""The action plan on both databases: adopting is idempotent per rule, scope and period;
status changes are kept with who, when and why; dropped needs a reason; bad input names the
field; the report section shows earlier periods' steps with their status today."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from gaplens.accounts.models import StaffRole
from gaplens.accounts.service import create_user
from gaplens.actions.models import Action, ActionChange
from gaplens.actions.schemas import ActionScope, ActionUpdate, Proposal, Status
from gaplens.actions.service import action_view_by_id, action_views, adopt, report_section, update
from gaplens.db.engine import session_scope
from gaplens.directory.models import Organisation, Team
from gaplens.directory.service import import_teams
from gaplens.errors import InputError
from gaplens.metrics.schemas import MetricScope
from gaplens.privacy import PrivacyPolicy
from tests.files import TEAMS, write_csv

PASSWORD = "correct horse battery staple"
NOW = dt.datetime(2026, 7, 2, 9, 0, tzinfo=dt.UTC)
Q2 = (dt.date(2026, 4, 1), dt.date(2026, 6, 30), "2026-Q2")
Q3 = (dt.date(2026, 7, 1), dt.date(2026, 9, 30), "2026-Q3")


@pytest.fixture
def org(db_url: str, tmp_path: Path) -> int:
    with session_scope(db_url) as session:
        import_teams(session, write_csv(tmp_path / "teams.csv", TEAMS), "Acme")
        for name, role in (("leader", StaffRole.LEADER), ("analyst", StaffRole.ANALYST)):
            create_user(session, f"{name}@acme.example", name.title(), role, PASSWORD)
        return session.scalars(select(Organisation.id)).one()


def step(
    organisation_id: int,
    period: tuple[dt.date, dt.date, str] = Q2,
    scope: ActionScope | None = None,
    rule: str | None = "fix-friction",
) -> Proposal:
    return Proposal(
        organisation_id=organisation_id,
        scope=scope or ActionScope(kind="team", key="eng"),
        period_start=period[0],
        period_end=period[1],
        period_label=period[2],
        rule=rule,
        title="Fix or pause AI where it creates friction: ticket triage",
        action="With the people doing the work, fix how AI is used there or pause it.",
        evidence=["ticket triage: corrections 41% (30% to 52%), n 62"],
    )


def count(db_url: str, table: type) -> int:
    with session_scope(db_url) as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def test_adopting_is_idempotent_per_rule_scope_and_period(db_url: str, org: int):
    with session_scope(db_url) as session:
        first, created = adopt(session, step(org), "leader@acme.example", NOW)
        again, created_again = adopt(
            session, step(org), "leader@acme.example", NOW, owner="analyst@acme.example"
        )
        assert (created, created_again) == (True, False)
        assert again == first
        other_period, new_period = adopt(session, step(org, Q3), "leader@acme.example", NOW)
        other_scope, new_scope = adopt(
            session, step(org, scope=ActionScope(kind="organisation")), "leader@acme.example", NOW
        )
        own_one, _ = adopt(session, step(org, rule=None), "leader@acme.example", NOW)
        own_two, _ = adopt(session, step(org, rule=None), "leader@acme.example", NOW)
        assert new_period and new_scope and len({first, other_period, other_scope}) == 3
        assert own_one != own_two  # actions of one's own are never merged
        view = action_view_by_id(session, first, dt.date(2026, 7, 2))
    assert view.owner is None  # the second adopt changed nothing
    assert view.status is Status.OPEN and view.scope_label == "Engineering"
    assert view.evidence == ["ticket triage: corrections 41% (30% to 52%), n 62"]
    assert [h.note for h in view.history] == ["adopted from the report"]
    assert count(db_url, Action) == 5 and count(db_url, ActionChange) == 5


def test_status_changes_are_kept_and_dropped_needs_a_reason(db_url: str, org: int):
    with session_scope(db_url) as session:
        action_id, _ = adopt(session, step(org), "leader@acme.example", NOW)
        later = NOW + dt.timedelta(days=3)
        update(
            session,
            action_id,
            ActionUpdate(status=Status.IN_PROGRESS, owner="analyst@acme.example"),
            "leader@acme.example",
            later,
        )
        with pytest.raises(InputError) as no_reason:
            update(
                session,
                action_id,
                ActionUpdate(status=Status.DROPPED),
                "leader@acme.example",
                later,
            )
        assert no_reason.value.problems[0].column == "reason"
        update(
            session,
            action_id,
            ActionUpdate(status=Status.DROPPED, reason="The triage tool is being replaced"),
            "leader@acme.example",
            later,
        )
        with pytest.raises(InputError) as no_note:
            update(
                session, action_id, ActionUpdate(status=Status.OPEN), "leader@acme.example", later
            )
        assert no_note.value.problems[0].column == "note"
        with pytest.raises(InputError) as nothing:
            update(
                session,
                action_id,
                ActionUpdate(status=Status.DROPPED),
                "leader@acme.example",
                later,
            )
        assert nothing.value.problems[0].column == "status"
        update(
            session,
            action_id,
            ActionUpdate(status=Status.OPEN, note="The replacement was cancelled"),
            "leader@acme.example",
            later,
        )
        view = action_view_by_id(session, action_id, later.date())
    assert view.status is Status.OPEN and view.reason is None
    assert [(h.status_from, h.status_to) for h in view.history] == [
        (None, Status.OPEN),
        (Status.OPEN, Status.IN_PROGRESS),
        (Status.IN_PROGRESS, Status.DROPPED),
        (Status.DROPPED, Status.OPEN),
    ]
    assert view.history[1].note == "owner: Analyst"
    assert view.history[2].note == "reason: The triage tool is being replaced"
    assert view.history[3].changed_by == "Leader"
    assert view.owner_email == "analyst@acme.example"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"owner": "nobody@acme.example"}, "owner"),
        ({"due_on": "2026-03-01"}, "due_on"),  # before the period it belongs to
    ],
)
def test_bad_changes_name_the_field(db_url: str, org: int, change: dict[str, str], field: str):
    with session_scope(db_url) as session:
        action_id, _ = adopt(session, step(org), "leader@acme.example", NOW)
        with pytest.raises(InputError) as refused:
            update(
                session, action_id, ActionUpdate.model_validate(change), "leader@acme.example", NOW
            )
    assert refused.value.problems[0].column == field
    assert count(db_url, ActionChange) == 1


@pytest.mark.parametrize(
    ("values", "field"),
    [({"status": "finished"}, "status"), ({"due_on": "1066-10-14"}, "due_on"), ({"x": 1}, "x")],
)
def test_request_models_name_the_field(values: dict[str, object], field: str):
    with pytest.raises(ValidationError) as invalid:
        ActionUpdate.model_validate(values)
    assert invalid.value.errors()[0]["loc"] == (field,)


def test_adopting_for_an_unknown_owner_writes_nothing(db_url: str, org: int):
    with session_scope(db_url) as session, pytest.raises(InputError) as refused:
        adopt(session, step(org), "leader@acme.example", NOW, owner="ghost@acme.example")
    assert refused.value.problems[0].column == "owner"
    assert count(db_url, Action) == 0


def test_the_section_shows_earlier_steps_with_status_and_overdue(db_url: str, org: int):
    today = dt.date.today()
    with session_scope(db_url) as session:
        eng = session.scalars(select(Team.id).where(Team.key == "eng")).one()
        late, _ = adopt(
            session,
            step(org),
            "leader@acme.example",
            NOW,
            owner="analyst@acme.example",
            due_on=max(today - dt.timedelta(days=1), Q2[0]),
        )
        done, _ = adopt(
            session,
            step(org, rule="spread-what-works"),
            "leader@acme.example",
            NOW,
            due_on=Q2[0],
        )
        update(session, done, ActionUpdate(status=Status.DONE), "leader@acme.example", NOW)
        current, _ = adopt(
            session, step(org, Q3, rule="perception-gap"), "leader@acme.example", NOW
        )
        adopt(
            session,
            step(org, scope=ActionScope(kind="function", key="Support")),
            "leader@acme.example",
            NOW,
        )
        scope = MetricScope(organisation_id=org, team_id=eng)
        section = report_section(session, scope, Q3[0], Q3[1], PrivacyPolicy())
        before_any = report_section(
            session,
            scope,
            Q2[0] - dt.timedelta(days=91),
            Q2[0] - dt.timedelta(days=1),
            PrivacyPolicy(),
        )
    assert section is not None and before_any is None
    assert [a.id for a in section.earlier] == [late, done]  # the Support step is another scope
    assert [a.id for a in section.this_period] == [current]
    assert section.earlier[0].overdue and not section.earlier[1].overdue  # done is never overdue
    assert (section.open_earlier, section.overdue) == (1, 1)
    assert section.earlier[0].owner == "Analyst"


def test_listing_filters_by_scope_and_status(db_url: str, org: int):
    with session_scope(db_url) as session:
        adopt(session, step(org), "leader@acme.example", NOW)
        adopt(
            session, step(org, scope=ActionScope(kind="organisation")), "leader@acme.example", NOW
        )
        today = NOW.date()
        assert len(action_views(session, today)) == 2
        assert len(action_views(session, today, ActionScope(kind="organisation"))) == 1
        assert action_views(session, today, status=Status.DONE) == []
