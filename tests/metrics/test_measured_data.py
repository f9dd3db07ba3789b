"""One load of an organisation serves every scope in it with exactly the figures that a
separate load per scope gives (the report relies on this to load work items once)."""

from __future__ import annotations

import datetime as dt

import pytest

from gaplens.db.engine import session_scope
from gaplens.metrics import MetricScope, metric_overviews, team_breakdown
from gaplens.metrics.service import load_measured
from gaplens.work.schemas import TICKET
from tests.metrics.builders import OrgBuilder, at

AS_OF = dt.date(2025, 12, 31)
PIVOTS = [dt.date(2025, 5, 5), dt.date(2025, 6, 2), dt.date(2025, 8, 1)]


def build(url: str) -> int:
    """Two departments with sub-teams, users and non-users, issues, tickets and usage days."""
    with session_scope(url) as session:
        org = OrgBuilder(session)
        eng = org.team("eng")
        teams = [eng, org.team("payments", eng), org.team("search", eng), org.team("support")]
        for t, team in enumerate(teams):
            function = "support" if team.key == "support" else "engineering"
            for i in range(14):
                adopted = PIVOTS[(i + t) % 3] if i % 3 else None
                person = org.person(team, adoption=adopted, function=function)
                kind = TICKET if function == "support" else "issue"
                for j, day in enumerate(range(20, 360, 9)):
                    moment = at(dt.date(2025, 1, 1) + dt.timedelta(days=day))
                    faster = adopted is not None and moment.date() > adopted
                    span = 1.0 + (i % 5) * 0.3 + (j % 4) * 0.2 - (0.6 if faster else 0.0)
                    org.item(
                        person,
                        moment,
                        span,
                        kind=kind,
                        reopens=(i + j) % 7 == 0,
                        reworks=(i * j) % 3,
                        points=float(1 + j % 5) if kind == "issue" else None,
                        sprint=f"S{day // 14}" if kind == "issue" else None,
                    )
                if adopted is not None:
                    for day in range(0, 200, 3 + i % 3):
                        org.usage(person, adopted + dt.timedelta(days=day))
        session.flush()
        return org.id


def scopes(url: str, org_id: int) -> list[MetricScope]:
    from sqlalchemy import select

    from gaplens.directory.models import Team

    with session_scope(url) as session:
        team_ids = session.scalars(select(Team.id).order_by(Team.id)).all()
    return [
        MetricScope(organisation_id=org_id),
        MetricScope(organisation_id=org_id, function="engineering"),
        MetricScope(organisation_id=org_id, function="support"),
        *(MetricScope(organisation_id=org_id, team_id=t) for t in team_ids),
        MetricScope(organisation_id=org_id, team_id=team_ids[0], function="engineering"),
    ]


def test_every_scope_of_one_load_equals_its_own_load(db_url: str):
    org_id = build(db_url)
    with session_scope(db_url) as session:
        measured = load_measured(session, MetricScope(organisation_id=org_id), AS_OF)
        for scope in scopes(db_url, org_id):
            alone = [o.model_dump() for o in metric_overviews(session, scope, AS_OF)]
            shared = [o.model_dump() for o in measured.overviews(scope)]
            assert shared == alone, scope
            assert any(o["users_vs_non_users"]["value"] is not None for o in alone)
        org = MetricScope(organisation_id=org_id)
        assert measured.team_breakdown("cycle_time", org).model_dump() == (
            team_breakdown(session, "cycle_time", org, AS_OF).model_dump()
        )


def test_the_difference_in_differences_alone_names_its_persons(db_url: str):
    org_id = build(db_url)
    with session_scope(db_url) as session:
        org = MetricScope(organisation_id=org_id)
        fresh = load_measured(session, org, AS_OF, ["cycle_time"])
        for scope in scopes(db_url, org_id):
            figure, persons = fresh.users_vs_non_users("cycle_time", scope)
            (overview,) = metric_overviews(session, scope, AS_OF, ["cycle_time"])
            assert figure == overview.users_vs_non_users
            if figure.value is not None:
                assert len(persons) == sum(figure.n.values())


def test_a_scope_outside_the_loaded_one_is_refused(db_url: str):
    org_id = build(db_url)
    with session_scope(db_url) as session:
        support = MetricScope(organisation_id=org_id, function="support")
        measured = load_measured(session, support, AS_OF, ["time_to_resolution"])
        with pytest.raises(ValueError, match="not within"):
            measured.overviews(MetricScope(organisation_id=org_id))
        with pytest.raises(ValueError, match="needs usage rows"):
            measured.overviews(support, ["ai_usage_intensity"])
        (shown,) = measured.overviews(support, ["time_to_resolution"])
        assert shown == metric_overviews(session, support, AS_OF, ["time_to_resolution"])[0]


def test_metrics_computed_together_on_two_threads_equal_one_at_a_time(db_url: str):
    org_id = build(db_url)
    with session_scope(db_url) as session:
        org = MetricScope(organisation_id=org_id)
        together = load_measured(session, org, AS_OF).overviews(org)  # every metric at once
        one_by_one = load_measured(session, org, AS_OF)
        assert len(together) > 2
        for overview in together:
            (alone,) = one_by_one.overviews(org, [overview.metric.key])
            assert alone.model_dump() == overview.model_dump()
