"""Metric overviews and team breakdowns on real databases, with planted effects."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from gaplens.db.engine import session_scope
from gaplens.metrics import MetricScope, metric_overview, metric_overviews, team_breakdown
from gaplens.metrics.queries import PersonRows
from gaplens.metrics.service import _pivots
from gaplens.privacy import PrivacyPolicy
from gaplens.work.schemas import TICKET
from tests.metrics.builders import OrgBuilder, at

AS_OF = dt.date(2025, 12, 31)
ADOPTED = dt.date(2025, 6, 2)  # more than 6 months before AS_OF
NEWER = dt.date(2025, 8, 1)  # after window 15 Aug - 13 Nov: complete by AS_OF
LATE = dt.date(2025, 11, 1)  # after window not over by AS_OF
OFFSETS = [-0.5, 0.5, -0.25, 0.25, 0.0, -0.1, 0.1, 0.3, -0.3, 0.0]  # sum 0


def days(n: float) -> dt.timedelta:
    return dt.timedelta(days=n)


def plant_cycle(org: OrgBuilder, person, pivot: dt.date, before: float, after: float) -> None:
    """One issue in the before window and one in the after window, with these cycle times."""
    org.item(person, at(pivot - days(30)), before)
    org.item(person, at(pivot + days(50)), after)


def test_planted_did_with_selection_effect(db_url: str):
    """Users were faster before AI (3 vs 8 days); their cycle time drops by 2 days after
    adoption while non-users' drops by 0.5 over the same weeks: DiD is -1.5, while the raw
    users-minus-non-users comparison after adoption says -6.5."""
    with session_scope(db_url) as session:
        org = OrgBuilder(session)
        eng = org.team("eng")
        for i, offset in enumerate(OFFSETS):
            user = org.person(eng, adoption=ADOPTED)
            plant_cycle(org, user, ADOPTED, 3.0 + i * 0.1, 3.0 + i * 0.1 - 2.0 + offset)
        for i, offset in enumerate(reversed(OFFSETS)):
            other = org.person(eng)  # pseudo-pivot: the team's median adoption date
            plant_cycle(org, other, ADOPTED, 8.0 + i * 0.2, 8.0 + i * 0.2 - 0.5 + offset * 0.5)
        session.flush()
        overview = metric_overview(
            session, "cycle_time", MetricScope(organisation_id=org.id), AS_OF
        )

    change = overview.before_after
    assert change.value == pytest.approx(-2.0)
    assert change.n == {"ai_users": 10}
    assert change.low is not None and change.high is not None
    assert change.low < -2.0 < change.high

    did = overview.users_vs_non_users
    assert did.value == pytest.approx(-1.5)
    assert did.low is not None and did.high is not None
    assert did.low <= -1.5 <= did.high
    assert did.high - did.low < 1.0
    assert did.n == {"ai_users": 10, "non_users": 10}
    raw = did.parts["ai_users_after"] - did.parts["non_users_after"]
    assert raw == pytest.approx(-6.5 + (0.45 - 0.9))  # mostly who adopted, not what AI did
    assert not did.low <= raw <= did.high
    assert did.parts["ai_users_change"] == pytest.approx(-2.0)
    assert did.parts["non_users_change"] == pytest.approx(-0.5)
    assert overview.current.not_enough_data == "no persons with data"  # nothing in Oct-Dec
    assert overview.metric.key == "cycle_time" and overview.metric.better == "lower"


def test_tenure_split(db_url: str):
    with session_scope(db_url) as session:
        org = OrgBuilder(session)
        team = org.team("eng")
        now = AS_OF - days(30)  # in the current window: the split compares current values
        for i in range(5):
            veteran = org.person(team, adoption=ADOPTED)
            plant_cycle(org, veteran, ADOPTED, 5.0, 3.0)
            org.item(veteran, at(now), 1.8 + i * 0.1)  # median 2.0
            newer = org.person(team, adoption=NEWER)
            plant_cycle(org, newer, NEWER, 5.0, 3.0)
            org.item(newer, at(now), 3.8 + i * 0.1)  # median 4.0
        late = org.person(team, adoption=LATE)  # after window still open: left out
        plant_cycle(org, late, LATE, 5.0, 0.0)
        org.item(late, at(now), 0.5)
        session.flush()
        overview = metric_overview(
            session, "cycle_time", MetricScope(organisation_id=org.id), AS_OF
        )

    tenure = overview.by_tenure
    assert tenure.value == pytest.approx(-2.0)
    assert tenure.n == {"tenure_6_months_plus": 5, "tenure_under_6_months": 5}
    assert tenure.parts == {
        "6_months_plus": pytest.approx(2.0),
        "under_6_months": pytest.approx(4.0),
    }
    assert tenure.low is not None and tenure.high is not None
    assert tenure.low <= -2.0 <= tenure.high
    assert overview.before_after.n == {"ai_users": 10}
    assert overview.users_vs_non_users.not_enough_data == (
        "no non-users with values around the pseudo-adoption date with data"
    )


def test_not_enough_data(db_url: str):
    with session_scope(db_url) as session:
        org = OrgBuilder(session)
        team = org.team("eng")
        for _ in range(6):
            plant_cycle(org, org.person(team, adoption=ADOPTED), ADOPTED, 4.0, 3.0)
        for _ in range(4):
            plant_cycle(org, org.person(team), ADOPTED, 4.0, 4.0)
        session.flush()
        scope = MetricScope(organisation_id=org.id)
        overview = metric_overview(session, "cycle_time", scope, AS_OF)
        empty = OrgBuilder(session, "Empty")
        nothing = metric_overview(
            session, "throughput", MetricScope(organisation_id=empty.id), AS_OF
        )

    assert overview.before_after.value == pytest.approx(-1.0)
    did = overview.users_vs_non_users
    assert did.value is None and did.n == {}
    assert did.not_enough_data == (
        "fewer than 5 non-users with values around the pseudo-adoption date"
    )
    assert overview.by_tenure.not_enough_data == "no AI users of 6+ months with data"  # none now
    for figure in (nothing.current, nothing.before_after, nothing.users_vs_non_users):
        assert figure.value is None and figure.not_enough_data
    assert nothing.current.not_enough_data == "no persons with data"


def test_pseudo_pivot_is_team_median_else_organisation_median():
    persons = PersonRows(
        ids=[str(i) for i in range(7)],
        team_ids=np.array([1, 1, 1, 1, 3, 2, 2]),
        functions=["x"] * 7,
        adoption=np.array([10.0, 20.0, 41.0, np.nan, 100.0, np.nan, 5000.0]),
    )
    pivots = _pivots(persons, dt.date(1970, 1, 1) + days(4000))
    # team 1 users: 10, 20, 41 -> 20; team 2's only adopter adopted after as_of (no pivot,
    # not a user yet) but their date still sets the team's pseudo-pivot (every known date
    # counts, so a non-user's windows do not move from one month to the next)
    assert pivots.tolist()[:6] == [10.0, 20.0, 41.0, 20.0, 100.0, 5000.0]
    assert np.isnan(pivots[6])
    # a team with no adopter at all takes the organisation's: median(10, 20, 41, 100, 5000)
    lonely = PersonRows(
        ids=["a", "b", "c"],
        team_ids=np.array([1, 1, 9]),
        functions=["x"] * 3,
        adoption=np.array([10.0, 30.0, np.nan]),
    )
    assert _pivots(lonely, dt.date(1970, 1, 1) + days(4000)).tolist() == [10.0, 30.0, 20.0]


def test_scope_team_with_sub_teams_and_function(db_url: str):
    current = dt.date(2025, 12, 1)
    with session_scope(db_url) as session:
        org = OrgBuilder(session)
        product = org.team("product")
        web = org.team("web", parent=product)
        support = org.team("support")
        people = [org.person(product) for _ in range(3)] + [org.person(web) for _ in range(3)]
        people += [org.person(web, function="design")]
        for p in people:
            # 09:00 start, resolved 21:00 two days later: 2.5 days on both backends
            org.item(p, dt.datetime(2025, 12, 3, 21), 2.5)
        agents = [org.person(support, function="support") for _ in range(5)]
        for a in agents:
            org.item(a, at(current), 0.25, kind=TICKET, started=False)
        session.flush()
        team_scope = MetricScope(organisation_id=org.id, team_id=product.id)
        cycle = metric_overview(session, "cycle_time", team_scope, AS_OF)
        engineers = MetricScope(organisation_id=org.id, team_id=product.id, function="engineering")
        narrowed = metric_overview(session, "cycle_time", engineers, AS_OF)
        support_scope = MetricScope(organisation_id=org.id, function="support")
        tickets = metric_overview(session, "time_to_resolution", support_scope, AS_OF)
        with pytest.raises(ValueError, match="not in organisation"):
            metric_overview(
                session, "cycle_time", MetricScope(organisation_id=org.id, team_id=-5), AS_OF
            )

    assert cycle.current.value == pytest.approx(2.5)
    assert cycle.current.n == {"persons": 7}
    assert narrowed.current.n == {"persons": 6}
    assert tickets.current.value == pytest.approx(0.25)
    assert tickets.current.n == {"persons": 5}


def test_ai_usage_intensity_before_after_and_levels(db_url: str):
    with session_scope(db_url) as session:
        org = OrgBuilder(session)
        team = org.team("eng")
        users = [org.person(team, adoption=ADOPTED) for _ in range(6)]
        others = [org.person(team) for _ in range(5)]
        org.usage(others[0], dt.date(2025, 1, 2))  # telemetry starts well before adoption
        for i, user in enumerate(users):
            for d in range(14, 104):  # the after window: Mon/Wed/Fri-like, 3 days a week
                if d % 7 in (0, 2, 4):
                    org.usage(user, ADOPTED + days(d), app="vscode")
                    org.usage(user, ADOPTED + days(d), app="jetbrains")  # same day: once
            for d in range(i + 1):  # current window: 1..6 active days
                org.usage(user, AS_OF - days(d))
        session.flush()
        overview = metric_overview(
            session, "ai_usage_intensity", MetricScope(organisation_id=org.id), AS_OF
        )

    per_week = sum(1 for d in range(90) if d % 7 in (0, 2, 4)) / (90 / 7)
    assert overview.before_after.value == pytest.approx(per_week)
    assert overview.users_vs_non_users.value == pytest.approx(per_week)
    assert overview.users_vs_non_users.parts["non_users_change"] == 0.0
    assert overview.current.n == {"persons": 11}
    assert overview.current.value == pytest.approx(21 / 11 / (90 / 7))
    levels = overview.levels
    assert levels is not None and levels.n == 11
    expected_cuts = np.quantile(np.arange(1, 7) / (90 / 7), [0.25, 0.5, 0.75])
    assert levels.cut_points == pytest.approx(tuple(expected_cuts))
    # 5 with no usage shown; the four usage levels hold 1-2 persons each: all hidden,
    # and together (6) they are at least k, so nothing is derivable by subtraction
    assert levels.counts == {
        "none": 5,
        "minimal": None,
        "light": None,
        "moderate": None,
        "heavy": None,
    }


def test_team_breakdown_suppression_survives_subtraction(db_url: str):
    with session_scope(db_url) as session:
        org = OrgBuilder(session)
        alpha, beta, gamma = org.team("alpha"), org.team("beta"), org.team("gamma")
        beta_web = org.team("beta-web", parent=beta)
        sizes = {alpha: 6, beta: 4, beta_web: 3, gamma: 3}
        expected_sum = {"alpha": 0.0, "beta": 0.0, "gamma": 0.0}
        for team, size in sizes.items():
            root = "beta" if team is beta_web else team.key
            for i in range(size):
                person = org.person(team)
                for j in range(i % 3 + 1):  # 1-3 items resolved in the window
                    org.item(person, at(AS_OF - days(5 + j)))
                expected_sum[root] += (i % 3 + 1) / (90 / 7)
        org.person(gamma)  # no work items: contributes nothing
        session.flush()
        breakdown = team_breakdown(
            session, "throughput", MetricScope(organisation_id=org.id), AS_OF
        )

    k = PrivacyPolicy().min_group_size
    total = breakdown.total
    assert total.n == {"persons": 16}
    rows = {row.team_key: row for row in breakdown.teams}
    assert set(rows) == {"alpha", "beta", "gamma"}  # top-level teams; beta includes beta-web
    # gamma (3) is below k; hiding it alone would leave it derivable as total minus the
    # others, so the smallest shown team (alpha, 6) is hidden too: beta (7) alone is shown.
    assert rows["gamma"].suppressed and rows["gamma"].current is None
    assert rows["alpha"].suppressed and rows["alpha"].current is None
    beta_figure = rows["beta"].current
    assert not rows["beta"].suppressed and beta_figure is not None
    assert beta_figure.n == {"persons": 7}
    assert beta_figure.value == pytest.approx(expected_sum["beta"] / 7)

    shown = [row.current for row in breakdown.teams if row.current is not None]
    hidden_n = total.n["persons"] - sum(f.n["persons"] for f in shown)
    assert hidden_n == 0 or hidden_n >= k
    assert total.value is not None
    derived_sum = total.value * total.n["persons"] - sum(f.value * f.n["persons"] for f in shown)
    assert derived_sum == pytest.approx(expected_sum["alpha"] + expected_sum["gamma"])
    assert hidden_n == 9  # the sum a reader can derive covers 9 persons, never gamma's 3


def test_overviews_for_all_metrics_from_one_load(db_url: str):
    with session_scope(db_url) as session:
        org = OrgBuilder(session)
        team = org.team("eng")
        for i in range(6):
            person = org.person(team, adoption=ADOPTED if i < 3 else None)
            org.item(
                person, at(AS_OF - days(3)), 2.0, points=3.0, sprint="S1", reopens=i % 2, reworks=i
            )
            org.item(person, at(AS_OF - days(40)), 4.0, kind=TICKET, points=5.0, sprint="S2")
            org.usage(person, AS_OF - days(1))
        org.usage(person, dt.date(2025, 1, 1))  # telemetry covers the whole year
        session.flush()
        overviews = metric_overviews(session, MetricScope(organisation_id=org.id), AS_OF)

    current = {o.metric.key: o.current.value for o in overviews}
    assert current == {
        "story_points_per_sprint": pytest.approx(4.0),
        "throughput": pytest.approx(2 / (90 / 7)),
        "cycle_time": pytest.approx(2.0),
        "time_to_resolution": pytest.approx(5.0),  # created a day before the 4-day start
        "reopen_rate": pytest.approx(0.25),
        "rework_cycles": pytest.approx(1.25),
        "ai_usage_intensity": pytest.approx(7 / 90),  # 1 day in 90/7 weeks
    }
    for overview in overviews:
        assert overview.current.n == {"persons": 6}
        assert overview.model_dump_json()
