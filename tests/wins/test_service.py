"""Wins on real databases: numbers read from measured releases built over constructed data
with known results, the month ends they are from, the self-reported label, bad input,
privacy (released whole classes only), and the report section."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from gaplens.db.engine import session_scope
from gaplens.errors import InputError
from gaplens.metrics.schemas import MetricScope
from gaplens.privacy import PrivacyPolicy
from gaplens.releases.measured.queries import measured_release, released_overviews
from gaplens.releases.measured.service import build_measured_release
from gaplens.wins.models import Win
from gaplens.wins.schemas import WinIn
from gaplens.wins.service import create_win, report_section, win_view, win_views
from tests.criteria.test_service import OFFSETS
from tests.metrics.builders import OrgBuilder, at

POLICY = PrivacyPolicy()
PERIOD = (dt.date(2026, 7, 1), dt.date(2026, 9, 28))  # 90 days
BEFORE = (dt.date(2026, 4, 2), dt.date(2026, 6, 30))  # the 90 days before it
LOGGED = dt.datetime(2026, 10, 5, 9, tzinfo=dt.UTC)
BEFORE_MONTH, AFTER_MONTH = dt.date(2026, 6, 30), dt.date(2026, 8, 31)


def support(org: OrgBuilder, before: float, after: float, people: int = 10) -> None:
    """Support agents' ticket resolution times, median exactly `before` in the 90 days to
    June's end and `after` in those to August's end, then the release of every month end
    the data reaches (a ticket on 10 September takes it past August)."""
    team = org.team("support")
    for offset in OFFSETS[:people]:
        agent = org.person(team, function="support")
        org.session.flush()
        org.item(agent, at(dt.date(2026, 5, 15)), before + offset, kind="ticket", started=False)
        org.item(agent, at(dt.date(2026, 8, 15)), after + offset, kind="ticket", started=False)
        org.item(agent, at(dt.date(2026, 9, 10)), after + offset, kind="ticket", started=False)
    org.session.flush()
    build_measured_release(org.session, org.id, POLICY, today=LOGGED.date())


def win(**changes) -> WinIn:
    values = {
        "title": "Ticket summaries cut resolution time",
        "source": "https://example.com/zendesk-export",
        "metric": "time_to_resolution",
        "function": "support",
        "after_start": PERIOD[0],
        "after_end": PERIOD[1],
    } | changes
    return WinIn(**values)


@pytest.mark.parametrize(
    ("after", "verdict"), [(0.6, "improved"), (1.0, "no_clear_change"), (1.4, "worsened")]
)
def test_numbers_come_from_the_data(db_url: str, after: float, verdict: str):
    with session_scope(db_url) as session:
        support(OrgBuilder(session), 1.0, after)
        view = win_view(session, create_win(session, win(), "ana", LOGGED), POLICY)
    assert not view.self_reported and view.metric is not None
    assert (view.before_start, view.before_end) == BEFORE  # as long, right before
    evidence = view.evidence
    assert evidence is not None
    assert evidence.before.value == pytest.approx(1.0) and evidence.before.n == {"persons": 10}
    assert evidence.figure.value == pytest.approx(after)
    assert evidence.change.value == pytest.approx(after - 1.0)
    assert evidence.change.n == {"baseline": 10, "current": 10}
    assert evidence.change.low <= after - 1.0 <= evidence.change.high
    assert evidence.relative is not None and evidence.relative[0] == pytest.approx(after - 1.0)
    assert evidence.verdict == verdict
    assert (evidence.before_month_end, evidence.month_end) == (BEFORE_MONTH, AFTER_MONTH)


def test_a_period_without_a_released_month_end_has_no_figure_yet(db_url: str):
    """A win inside September (not released: the data ends on the 10th) and one from 5 to
    25 August (its only month end, July's, lies before it) get no figure, said plainly."""
    with session_scope(db_url) as session:
        support(OrgBuilder(session), 1.0, 0.6)
        september = win(after_start=dt.date(2026, 9, 1), after_end=dt.date(2026, 9, 30))
        august = win(after_start=dt.date(2026, 8, 5), after_end=dt.date(2026, 8, 25))
        views = [
            win_view(session, create_win(session, body, "ana", LOGGED), POLICY)
            for body in (september, august)
        ]
    for view, before_month, reason in (
        (views[0], AFTER_MONTH, "no month end inside 2026-09-01 to 2026-09-30 is released"),
        (views[1], dt.date(2026, 7, 31), "no month end inside 2026-08-05 to 2026-08-25"),
    ):
        evidence = view.evidence
        assert evidence is not None and evidence.month_end is None and evidence.verdict is None
        assert evidence.before_month_end == before_month
        assert reason in str(evidence.change.not_enough_data)
        assert not evidence.figure.shown


def test_a_win_without_a_metric_is_self_reported(db_url: str):
    with session_scope(db_url) as session:
        support(OrgBuilder(session), 1.0, 0.6)
        body = WinIn(
            title="Meeting notes save time",
            source="what managers tell us",
            after_start=dt.date(2026, 9, 1),
            after_end=dt.date(2026, 9, 1),
        )
        view = win_view(session, create_win(session, body, "ana", LOGGED), POLICY)
    assert view.self_reported and view.evidence is None and view.metric is None
    assert view.method is None and view.scope.kind == "organisation"


def test_explicit_before_period(db_url: str):
    with session_scope(db_url) as session:
        support(OrgBuilder(session), 1.0, 0.6)
        body = win(before_start=dt.date(2026, 5, 1), before_end=dt.date(2026, 5, 31))
        view = win_view(session, create_win(session, body, "ana", LOGGED), POLICY)
    assert (view.before_start, view.before_end) == (dt.date(2026, 5, 1), dt.date(2026, 5, 31))
    assert view.evidence is not None and view.evidence.before.value == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"metric": "velocity"}, "metric", "unknown metric"),
        ({"function": None, "team": "nope"}, "team", "unknown team"),
        ({"function": "marketing"}, "function", "unknown function"),
        ({"after_start": None, "after_end": None}, "after_start", "give the period"),
        ({"after_end": None}, "after_end", "give both"),
        ({"after_end": dt.date(2026, 10, 30)}, "after_end", "in the future"),
        ({"after_end": dt.date(2026, 6, 1)}, "after_end", "ends before it starts"),
        ({"after_end": dt.date(2026, 7, 5)}, "after_end", "14 to 365 days"),
        (
            {"before_start": dt.date(2026, 6, 1), "before_end": dt.date(2026, 7, 15)},
            "before_end",
            "must end before the period starts",
        ),
        ({"before_start": dt.date(2026, 6, 1)}, "before_end", "or neither"),
    ],
)
def test_bad_wins_are_refused_and_nothing_is_written(db_url, changes, field, message):
    with session_scope(db_url) as session:
        support(OrgBuilder(session), 1.0, 0.6)
        with pytest.raises(InputError, match=message) as refused:
            create_win(session, win(**changes), "ana", LOGGED)
        assert refused.value.problems[0].column == field
        assert session.scalar(select(func.count()).select_from(Win)) == 0


def test_small_scopes_show_no_number(db_url: str):
    with session_scope(db_url) as session:
        support(OrgBuilder(session), 1.0, 0.6, people=4)
        view = win_view(session, create_win(session, win(), "ana", LOGGED), POLICY)
    assert view.evidence is not None
    assert "counted only in a larger group" in str(view.evidence.before.not_enough_data)
    assert view.evidence.change.not_enough_data is not None and view.evidence.verdict is None


def test_report_section_by_period_and_scope(db_url: str):
    with session_scope(db_url) as session:
        org = OrgBuilder(session)
        support(org, 1.0, 0.6)
        measured = create_win(session, win(), "ana", LOGGED)
        told = create_win(
            session,
            WinIn(title="Told", source="a manager", after_start=PERIOD[0], after_end=PERIOD[0]),
            "ana",
            LOGGED,
        )
        scope = MetricScope(organisation_id=org.id)
        year = report_section(session, scope, dt.date(2025, 10, 1), dt.date(2026, 9, 30), POLICY)
        before = report_section(session, scope, dt.date(2025, 1, 1), dt.date(2026, 6, 1), POLICY)
        listed = win_views(session, POLICY)
    assert year is not None and {w.id for w in year.wins} == {measured.id, told.id}
    assert before is None  # neither period overlaps it
    assert {w.id for w in listed} == {measured.id, told.id}


def test_a_win_and_a_criterion_two_people_apart_show_released_whole_classes(db_url: str):
    """A win on the support team and a criterion on the support function, which has two more
    people elsewhere: each reads the release's figure for its scope, so the two never differ
    by the two people (the function's figure holds the team's classes plus none or at least
    k more). The report renders those figures with their month ends."""
    from gaplens.criteria.schemas import CriterionIn
    from gaplens.criteria.service import create_criterion
    from gaplens.criteria.service import report_section as criteria_section

    with session_scope(db_url) as session:
        org = OrgBuilder(session)
        elsewhere = org.team("field-office")
        for offset in (0.2, -0.2):
            agent = org.person(elsewhere, function="support")
            session.flush()
            for day in (dt.date(2026, 5, 20), dt.date(2026, 8, 20)):
                org.item(agent, at(day), 1.0 + offset, kind="ticket", started=False)
        support(org, 1.0, 0.6)
        measured = create_win(session, win(function=None, team="support"), "ana", LOGGED)
        create_criterion(
            session,
            CriterionIn(
                phase_name="Summaries",
                phase_start=PERIOD[0],
                metric="time_to_resolution",
                function="support",
                target_kind="relative",
                target=-10,
            ),
            "ana",
            LOGGED - dt.timedelta(days=120),
            POLICY,
        )
        scope = MetricScope(organisation_id=org.id)
        year = (dt.date(2025, 10, 1), dt.date(2026, 9, 30))
        wins = report_section(session, scope, *year, POLICY)
        criteria = criteria_section(session, scope, *year, POLICY)
        published = {}
        for key, narrowed in (
            ("team", MetricScope(organisation_id=org.id, team_id=measured.team_id)),
            ("function", MetricScope(organisation_id=org.id, function="support")),
        ):
            found = measured_release(session, org.id, BEFORE_MONTH)
            assert found is not None
            [overview] = released_overviews(session, found, narrowed, ["time_to_resolution"])
            published[key] = overview.current
    assert wins is not None and criteria is not None
    [shown] = wins.wins
    assert shown.evidence is not None and shown.evidence.before == published["team"]
    assert criteria.criteria[0].baseline == published["function"]
    if published["function"].shown and published["team"].shown:
        gap = sum(published["function"].n.values()) - sum(published["team"].n.values())
        assert gap == 0 or gap >= POLICY.min_group_size
    from gaplens.report.render import render_html
    from tests.report.sample_document import sample_document

    html = render_html(sample_document().model_copy(update={"criteria": criteria, "wins": wins}))
    assert "month end 2026-06-30" in html and "month end 2026-08-31" in html
    assert "-10% from the baseline" in html and "No numbers:" not in html
