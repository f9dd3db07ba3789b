"""Three realities per team, from releases: a team's perceived and measured figures are
sums of published classes (the survey's and the measured release's), so a row is shown when
classes lie inside it, and no row minus another describes fewer than 5 people."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from gaplens.db.engine import session_scope
from gaplens.perception.filters import PopulationFilter
from gaplens.perception.service import released_perception
from gaplens.privacy import PrivacyPolicy
from gaplens.realities.service import three_realities
from gaplens.releases.service import build_all
from gaplens.surveys.service import find_survey, import_responses
from tests.files import write_csv
from tests.metrics.builders import OrgBuilder, at

AS_OF = dt.date(2025, 12, 31)
ADOPTED = dt.date(2025, 6, 2)


def staff(org: OrgBuilder, team, n: int, function: str) -> None:
    """n people, half AI users: cycle time 4 -> 2 days for users, 4 -> 3.5 for the others."""
    for i in range(n):
        user = i % 2 == 0
        person = org.person(team, adoption=ADOPTED if user else None, function=function)
        spread = 0.1 * (i // 2)
        org.item(person, at(ADOPTED - dt.timedelta(days=30)), 4.0 + spread)
        after = (2.0 if user else 3.5) + spread + 0.04 * (i % 3 - 1)  # changes not all alike
        org.item(person, at(ADOPTED + dt.timedelta(days=50)), after)
        org.item(person, at(dt.date(2025, 12, 1)), 3.0 + spread)  # the data reaches November


def answers(team: str, function: str, role: str, count: int, speedup: int, start: int):
    return [
        {
            "response_id": f"r{start + i}",
            "answered_on": "2025-12-01",
            "role_level": role,
            "team": team,
            "function": function,
            "perceived_speedup": str(speedup + (i % 3) * 10),  # across bins
        }
        for i in range(count)
    ]


def build(url: str, tmp_path: Path) -> None:
    """Eng = Eng-A (12 people, 13 respondents) + Eng-B (12 people, no respondents) + 2
    people and 2 respondents in Eng itself; Ops has 10 people and 6 respondents; 2 more
    Operations people sit in Eng-B."""
    with session_scope(url) as session:
        org = OrgBuilder(session)
        eng = org.team("eng")
        eng_a, eng_b = org.team("eng-a", eng), org.team("eng-b", eng)
        ops = org.team("ops")
        staff(org, eng_a, 12, "Engineering")
        staff(org, eng_b, 12, "Engineering")
        staff(org, eng, 2, "Engineering")
        staff(org, ops, 10, "Operations")
        staff(org, eng_b, 2, "Operations")
        session.flush()
    rows = [
        *answers("eng-a", "Engineering", "individual_contributor", 8, 10, 0),
        *answers("eng-a", "Engineering", "executive", 5, 40, 100),
        *answers("eng", "Engineering", "individual_contributor", 2, 10, 200),
        *answers("ops", "Operations", "individual_contributor", 6, 5, 300),
    ]
    with session_scope(url) as session:
        import_responses(session, write_csv(tmp_path / "r.csv", rows), "Pulse")
        build_all(session, PrivacyPolicy(), today=dt.date(2026, 1, 5))


def test_team_rows_follow_the_privacy_rules(db_url: str, tmp_path: Path):
    build(db_url, tmp_path)
    with session_scope(db_url) as session:
        survey = find_survey(session, "Pulse")
        realities = three_realities(session, survey, AS_OF)
        rows = {(r.kind, r.scope): r for r in realities.rows}
        assert [r.kind for r in realities.rows] == [
            "organisation",
            "function",
            "function",
            "team",
            "team",
            "team",
            "team",
        ]
        # The organisation's measured figure is the staggered-adoption estimate the release
        # publishes for it (its frozen panel: 19 adopters against 19 not yet using AI).
        org = rows[("organisation", "Whole organisation")]
        assert org.measured is not None and org.measured_method == "staggered"
        assert org.measured_n == {"treated_persons": 19, "control_persons": 19, "cohorts": 1}
        # Team rows keep the users-vs-non-users figures, the release's sums of classes:
        # Eng's own two people and the two Operations people in Eng-B are too few for a
        # class anywhere below the top, so they are counted in no team's, and no team row
        # minus another gives anyone.
        assert {r.measured_method for r in realities.rows if r.kind == "team"} == {
            "users_vs_non_users"
        }
        # Beside every measured speed-up: its counter-metrics by the same estimator.
        for row in realities.rows:
            if row.measured is not None:
                assert row.stability is not None and row.stability.method == row.measured_method
                assert [c.key for c in row.stability.counters] == ["reopen_rate", "rework_cycles"]
                assert row.stability.verdict.startswith("Faster")

        # Eng's respondents are Eng-A's plus 2 of its own: those 2 are in no published group
        # of Eng (too few), so Eng's perceived figures are exactly Eng-A's, and subtracting
        # one row from the other gives nobody.
        eng, eng_a = rows[("team", "Eng")], rows[("team", "Eng-A")]
        assert eng.frontline_perceived is not None and eng.frontline_n == 8
        assert eng_a.frontline_perceived == eng.frontline_perceived
        assert eng_a.leaders_perceived == eng.leaders_perceived
        assert eng_a.measured is not None and eng_a.measured_n == {"ai_users": 6, "non_users": 6}
        assert eng_a.team_key == "eng-a"

        # Eng = Eng-A + Eng-B exactly (whole classes); Ops is its own class.
        eng_b, ops = rows[("team", "Eng-B")], rows[("team", "Ops")]
        assert eng.measured_n == {"ai_users": 12, "non_users": 12}
        assert eng_b.measured_n == {"ai_users": 6, "non_users": 6}
        assert ops.measured_n == {"ai_users": 5, "non_users": 5}
        assert ops.frontline_perceived is not None  # same respondents as Operations
        assert realities.as_of == "2025-11-30"  # the latest measured month released

        # A team row that is shown says what a filtered perception view says.
        figures = released_perception(session, survey, PopulationFilter(team="eng")).figures
        ic = figures["perceived_speedup"].groups["individual_contributor"]
        assert ic.number is not None and eng.frontline_perceived is not None
        assert eng.frontline_perceived.estimate == ic.number.median.estimate
        assert eng.frontline_perceived.low == ic.number.median.low
        assert eng_b.frontline_perceived is None  # nobody answered
        assert realities.teams_left_out == 0


def test_a_team_below_the_threshold_gets_no_row(db_url: str, tmp_path: Path):
    """Tiny has 4 people and 3 respondents: nothing about it is shown. (Without Other, Big
    would be the organisation minus Tiny and withheld too.)"""
    with session_scope(db_url) as session:
        org = OrgBuilder(session)
        big, other, tiny = org.team("big"), org.team("other"), org.team("tiny")
        staff(org, big, 12, "Engineering")
        staff(org, other, 12, "Engineering")
        staff(org, tiny, 4, "Engineering")
        session.flush()
    rows = answers("big", "Engineering", "individual_contributor", 9, 10, 0)
    rows += answers("other", "Engineering", "individual_contributor", 9, 10, 20)
    rows += answers("tiny", "Engineering", "individual_contributor", 3, 50, 50)
    with session_scope(db_url) as session:
        import_responses(session, write_csv(tmp_path / "r.csv", rows), "Pulse")
        build_all(session, PrivacyPolicy(), today=dt.date(2026, 1, 5))
        realities = three_realities(session, find_survey(session, None), AS_OF)
    assert [r.scope for r in realities.rows if r.kind == "team"] == ["Big", "Other"]
    assert realities.teams_left_out == 1
