"""The report's cost section read from the adoption release: seats, seat-months and spend per
tool for a scope's cell of the released month ends in a period, checked against figures
worked out by hand from planted people and usage (real database, both backends)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, select, update

from gaplens.costs.schemas import WEEKS_PER_MONTH, CostInputsIn
from gaplens.costs.service import report_section, set_inputs
from gaplens.db.engine import session_scope
from gaplens.directory.models import Organisation, Team
from gaplens.metrics.schemas import MetricScope
from gaplens.privacy import PrivacyPolicy
from gaplens.releases.adoption.models import AdoptionReleaseGroup, AdoptionReleaseMember
from gaplens.releases.adoption.service import build_adoption_releases
from gaplens.releases.models import Release, ReleaseNote
from gaplens.report.schemas import CostSection, FigureStatus
from gaplens.sections import SectionContext
from gaplens.telemetry.schemas import GITHUB_COPILOT, M365_COPILOT, SEAT_TOOLS
from tests.releases.adoption_world import JANUARY, add_person, import_run, last_weeks, use
from tests.releases.world import NESTED, make_teams

POLICY = PrivacyPolicy()
MONTH_ENDS = [dt.date(2026, 1, 31), dt.date(2026, 2, 28), dt.date(2026, 3, 31)]


@pytest.fixture
def world(db_url: str) -> str:
    """Payments: six licensed from 1 January, three using GitHub Copilot at every month's
    end, three using nothing (a tool seen in no export: `other`). Ledger: six, two on
    GitHub Copilot, two on Microsoft 365 Copilot, two on nothing. January to March are
    released (the build on 2 April); each team is a class of its own every month.

    By hand, per month end: Engineering (both teams) 12 licensed, 5 GitHub Copilot, 2
    Microsoft 365 Copilot, 5 other. Payments alone holds no Microsoft 365 Copilot: all alike,
    so that count is published only with Ledger's, at Engineering."""
    with session_scope(db_url) as session:
        make_teams(session, NESTED)
        run = import_run(session)
        plan = [("eng-payments", GITHUB_COPILOT)] * 3 + [("eng-payments", None)] * 3
        plan += [("eng-ledger", GITHUB_COPILOT)] * 2 + [("eng-ledger", M365_COPILOT)] * 2
        plan += [("eng-ledger", None)] * 2
        for n, (team, tool) in enumerate(plan):
            pid = add_person(session, n, team, licence=JANUARY)
            if tool is not None:
                for end in MONTH_ENDS:
                    use(session, run, pid, last_weeks(end, 4), tool=tool)
        build_adoption_releases(session, POLICY, today=dt.date(2026, 4, 2))
    return db_url


def section(url: str, team: str | None, start: dt.date, end: dt.date) -> CostSection:
    with session_scope(url) as session:
        organisation = session.scalars(select(Organisation.id)).one()
        team_id = None if team is None else session.scalar(select(Team.id).where(Team.key == team))
        found = report_section(
            session,
            MetricScope(organisation_id=organisation, team_id=team_id),
            start,
            end,
            POLICY,
            SectionContext(as_of=end),
        )
        assert found is not None
        return found


def test_seats_and_spend_are_sums_of_released_cells_per_tool(world: str) -> None:
    with session_scope(world) as session:
        set_inputs(session, CostInputsIn(amounts={"seat_price.m365-copilot": 25.0}))
    cost = section(world, "eng", dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert cost.status is FigureStatus.SHOWN and cost.reason is None
    assert cost.month_ends == MONTH_ENDS
    assert cost.licensed == 12 and cost.seat_months == 36
    lines = {line.tools[0]: line for line in cost.seats}
    assert list(lines) == list(SEAT_TOOLS)
    assert [
        (lines[t].seats, lines[t].seat_months, lines[t].price_per_month) for t in SEAT_TOOLS
    ] == [(5, 15, 19.0), (2, 6, 25.0), (5, 15, 20.0)]
    assert lines[M365_COPILOT].spend == pytest.approx(6 * 25.0)
    spend = 15 * 19.0 + 6 * 25.0 + 15 * 20.0  # 735
    assert cost.spend == pytest.approx(spend)
    assert cost.spend_per_seat_month == pytest.approx(spend / 36)
    assert cost.break_even_hours_per_week == pytest.approx(spend / 36 / (75 * WEEKS_PER_MONTH))
    assert any("one month of a seat" in note for note in cost.notes)
    # the organisation is the same people here; a period of two month ends counts two
    assert section(world, None, dt.date(2026, 1, 1), dt.date(2026, 3, 31)) == cost
    later = section(world, "eng", dt.date(2026, 2, 1), dt.date(2026, 3, 31))
    assert later.seat_months == 24 and later.spend == pytest.approx(spend * 2 / 3)


def test_a_tool_count_withheld_for_the_scope_makes_the_total_not_released(world: str) -> None:
    """Payments holds no Microsoft 365 Copilot: that count is published only at
    Engineering, so Payments' spend would need it and is not shown; the lines that are
    released still are, and the spend is bounded by what the released counts allow."""
    with session_scope(world) as session:
        set_inputs(session, CostInputsIn(amounts={"seat_price.m365-copilot": 25.0}))
    cost = section(world, "eng-payments", dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert cost.status is FigureStatus.SHOWN
    assert cost.licensed == 6 and cost.seat_months == 18
    lines = {line.tools[0]: line for line in cost.seats}
    assert (lines[GITHUB_COPILOT].seats, lines[GITHUB_COPILOT].spend) == (3, 9 * 19.0)
    assert (lines["other"].seats, lines["other"].seat_months) == (3, 9)
    m365 = lines[M365_COPILOT]
    assert (m365.seats, m365.seat_months, m365.spend) == (None, None, None)
    assert cost.spend is None and cost.spend_per_seat_month is None
    assert cost.break_even_hours_per_week is None
    assert cost.reason is not None and cost.reason.startswith("Total spend not released")
    assert "Microsoft 365 Copilot holders are not released for this scope in January 2026" in (
        cost.reason
    )
    # By hand, per month: 3 x 19 (GitHub Copilot) + 3 x 20 (other) = 117 known; the six
    # licensed are all covered by those counts, so at least 0 and at most 6 hold Microsoft
    # 365 Copilot at 25. Three months: 351 to 351 + 18 x 25. The truth (351) lies inside.
    assert cost.spend_bounds is not None
    assert (cost.spend_bounds.low, cost.spend_bounds.high) == pytest.approx((351, 351 + 450))


def test_no_released_month_in_the_period_says_so(world: str) -> None:
    cost = section(world, "eng", dt.date(2025, 10, 1), dt.date(2025, 12, 31))
    assert cost.status is FigureStatus.NOT_ENOUGH_RESPONSES
    assert cost.licensed is None and cost.seats == [] and cost.spend is None
    assert cost.reason is not None and "No month end of the adoption release" in cost.reason


def test_a_month_released_before_tool_counts_leaves_the_spend_unknown(world: str) -> None:
    with session_scope(world) as session:
        january = session.scalars(select(Release).where(Release.seq == 1)).one()
        assert january.answers_through == MONTH_ENDS[0]
        session.execute(
            delete(AdoptionReleaseGroup).where(
                AdoptionReleaseGroup.release_id == january.id,
                AdoptionReleaseGroup.question.in_(SEAT_TOOLS),
            )
        )
        session.execute(delete(ReleaseNote).where(ReleaseNote.release_id == january.id))
        session.execute(
            update(AdoptionReleaseMember)
            .where(AdoptionReleaseMember.release_id == january.id)
            .values(tools=None)
        )
    cost = section(world, "eng", dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert cost.status is FigureStatus.SHOWN and cost.seat_months == 36
    assert cost.spend is None
    assert cost.reason is not None
    assert "the tool mix is not released for January 2026" in cost.reason
    lines = {line.tools[0]: line for line in cost.seats}
    assert lines[GITHUB_COPILOT].seats == 5 and lines[GITHUB_COPILOT].seat_months is None
    # February and March alone are whole again
    assert section(world, "eng", dt.date(2026, 2, 1), dt.date(2026, 3, 31)).spend is not None


def test_a_scope_differing_by_one_person_gets_the_same_seats_or_none(db_url: str) -> None:
    """Engineering = Payments + Ledger + one person directly in Engineering. That person is
    in no published class of their own, so Engineering's seats equal Payments' + Ledger's:
    the pair of scopes (asked by one viewer or two) tells nothing about them."""
    with session_scope(db_url) as session:
        make_teams(session, NESTED)
        run = import_run(session)
        for n in range(13):
            team = "eng" if n == 12 else ("eng-payments" if n < 6 else "eng-ledger")
            pid = add_person(session, n, team, licence=JANUARY)
            if n % 2:
                for end in MONTH_ENDS:
                    use(session, run, pid, last_weeks(end, 4))
        build_adoption_releases(session, POLICY, today=dt.date(2026, 4, 2))
    period = (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    eng = section(db_url, "eng", *period)
    parts = [section(db_url, team, *period) for team in ("eng-payments", "eng-ledger")]
    assert all(p.status is FigureStatus.SHOWN for p in parts)
    assert eng.licensed is not None and eng.seat_months is not None
    assert sum(p.licensed or 0 for p in parts) == 12
    difference = eng.licensed - sum(p.licensed or 0 for p in parts)
    assert difference == 0 or difference >= POLICY.min_group_size
    assert eng.seat_months - sum(p.seat_months or 0 for p in parts) in (0, 3 * difference)
    for tool in SEAT_TOOLS:
        whole = next(line for line in eng.seats if line.tools == [tool])
        split = [next(line for line in p.seats if line.tools == [tool]) for p in parts]
        if whole.seats is not None and all(line.seats is not None for line in split):
            assert whole.seats == sum(line.seats or 0 for line in split)
    # no one holds Microsoft 365 Copilot: a count of 0 of everyone would tell each person's
    assert eng.spend is None and eng.reason is not None
    assert (
        "Microsoft 365 Copilot holders are not released for January 2026, February 2026, "
        "March 2026: every licensed person was alike on it"
    ) in eng.reason
    with session_scope(db_url) as session:
        notes = set(session.scalars(select(ReleaseNote.question)))
    assert notes & set(SEAT_TOOLS) == {M365_COPILOT}  # (and trained, certified: no one)


def test_spend_bounds_count_everyone_at_least_once_and_hold_the_truth() -> None:
    """Pure bounds: a month with every count released is exact; one with a count withheld
    spans from the cheapest way to cover everyone not counted to everyone holding it."""
    from gaplens.costs.service import spend_bounds
    from gaplens.releases.adoption.queries import Cell

    prices = {GITHUB_COPILOT: 19.0, M365_COPILOT: 30.0, "other": 20.0}
    exact = Cell(
        licensed=10, furthest=(10,), flags={GITHUB_COPILOT: 6, M365_COPILOT: 5, "other": 1}
    )
    partly = Cell(
        licensed=10, furthest=(10,), flags={GITHUB_COPILOT: 4, M365_COPILOT: None, "other": 2}
    )
    assert spend_bounds([exact], prices) == pytest.approx((6 * 19 + 5 * 30 + 20,) * 2)
    low, high = spend_bounds([partly], prices)
    known = 4 * 19 + 2 * 20
    assert (low, high) == pytest.approx((known + 4 * 30, known + 10 * 30))
    for m365 in range(4, 11):  # every Microsoft 365 count consistent with the released ones
        assert low <= known + m365 * 30 <= high
