"""Wins on real databases: numbers computed from constructed data with known results, the
self-reported label, bad input, privacy, and the report section."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from gaplens.audit.service import staff_gate
from gaplens.db.engine import session_scope
from gaplens.errors import InputError
from gaplens.metrics.schemas import MetricScope
from gaplens.privacy import PrivacyGate, PrivacyPolicy
from gaplens.wins.models import Win
from gaplens.wins.schemas import WinIn
from gaplens.wins.service import create_win, report_section, win_view, win_views
from tests.criteria.test_service import OFFSETS
from tests.metrics.builders import OrgBuilder, at

POLICY = PrivacyPolicy()
PERIOD = (dt.date(2026, 7, 1), dt.date(2026, 9, 28))  # 90 days
BEFORE = (dt.date(2026, 4, 2), dt.date(2026, 6, 30))  # the 90 days before it
LOGGED = dt.datetime(2026, 10, 5, 9, tzinfo=dt.UTC)


def support(org: OrgBuilder, before: float, after: float, people: int = 10) -> None:
    """Support agents' ticket resolution times, median exactly `before` then `after`."""
    team = org.team("support")
    for offset in OFFSETS[:people]:
        agent = org.person(team, function="support")
        org.session.flush()
        org.item(agent, at(dt.date(2026, 5, 15)), before + offset, kind="ticket", started=False)
        org.item(agent, at(dt.date(2026, 8, 15)), after + offset, kind="ticket", started=False)


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
        created = create_win(session, win(), "ana", LOGGED)
        plain = win_view(session, created, POLICY)
        staff = win_view(
            session, created, POLICY, gate=staff_gate(session, POLICY), viewer="staff:1"
        )
    assert plain.evidence is not None
    assert plain.evidence.before.not_enough_data == "fewer than 5 persons"
    assert plain.evidence.change.not_enough_data is not None and plain.evidence.verdict is None
    assert staff.evidence is None and staff.withheld == "fewer than 5 people in this scope"


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
        year = report_section(
            session, scope, dt.date(2025, 10, 1), dt.date(2026, 9, 30), POLICY, **fresh()
        )
        before = report_section(
            session, scope, dt.date(2025, 1, 1), dt.date(2026, 6, 1), POLICY, **fresh()
        )
        listed = win_views(session, POLICY)
    assert year is not None and {w.id for w in year.wins} == {measured.id, told.id}
    assert before is None  # neither period overlaps it
    assert {w.id for w in listed} == {measured.id, told.id}


def test_report_withholds_a_win_that_could_be_differenced_against_a_criterion(db_url: str):
    """A win on the support team and a criterion on the support function, which has two more
    people elsewhere: both withheld in the report; a self-reported win has no numbers and
    does not count."""
    from gaplens.criteria.schemas import CriterionIn
    from gaplens.criteria.service import create_criterion
    from gaplens.criteria.service import report_section as criteria_section

    with session_scope(db_url) as session:
        org = OrgBuilder(session)
        support(org, 1.0, 0.6)
        elsewhere = org.team("field-office")
        for _ in range(2):
            org.person(elsewhere, function="support")
        session.flush()
        measured = create_win(session, win(function=None, team="support"), "ana", LOGGED)
        told = create_win(
            session,
            WinIn(title="Told", source="x", team="field-office", after_start=PERIOD[0],
                  after_end=PERIOD[0]),
            "ana",
            LOGGED,
        )  # fmt: skip
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
        gate = PrivacyGate(POLICY)  # one report: both sections share its gate
        wins = report_section(session, scope, *year, POLICY, gate=gate, viewer="report")
        criteria = criteria_section(session, scope, *year, POLICY, gate=gate, viewer="report")
    assert wins is not None and criteria is not None
    by_id = {w.id: w for w in wins.wins}
    assert by_id[measured.id].evidence is None and by_id[measured.id].withheld
    assert by_id[told.id].self_reported and by_id[told.id].withheld is None
    assert criteria.criteria[0].status is None and criteria.criteria[0].withheld
    # withheld entries render as words, with the reason, and no number
    from gaplens.report.render import render_html
    from tests.report.sample_document import sample_document

    html = render_html(sample_document().model_copy(update={"criteria": criteria, "wins": wins}))
    assert html.count("No numbers: its people differ from another scope") == 2
    assert "-10% from the baseline" in html and "Told" in html


def fresh() -> dict[str, Any]:
    """A report's own gate and viewer, as the command line builds one per report."""
    return {"gate": PrivacyGate(POLICY), "viewer": "report"}
