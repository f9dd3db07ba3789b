"""Success criteria on real databases: baselines, statuses and revisions read from measured
releases built over constructed data with known results, bad input everywhere, and the
privacy property: a criterion shows released figures of whole classes only, the same for
every viewer."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gaplens.criteria.models import CriterionRevision, SuccessCriterion
from gaplens.criteria.rules import Status
from gaplens.criteria.schemas import CriterionEdit, CriterionIn
from gaplens.criteria.service import (
    create_criterion,
    criteria_views,
    criterion_view,
    delete_criterion,
    edit_criterion,
    figure_text,
    report_section,
    retire_criterion,
)
from gaplens.db.engine import session_scope
from gaplens.errors import InputError
from gaplens.metrics.schemas import MetricScope
from gaplens.privacy import PrivacyPolicy
from gaplens.releases.measured.queries import measured_release, released_overviews
from gaplens.releases.measured.service import build_measured_release
from tests.metrics.builders import OrgBuilder, at

POLICY = PrivacyPolicy()
START = dt.date(2026, 3, 2)
BASELINE_END = dt.date(2026, 2, 28)  # the last month end before the phase
REVIEW = dt.date(2026, 6, 15)  # judged finally on the month end 2026-05-31
FINAL = dt.date(2026, 5, 31)
OFFSETS = [-0.5, 0.5, -0.25, 0.25, 0.0, -0.1, 0.1, 0.3, -0.3, 0.0]  # median 0
BEFORE = dt.date(2025, 12, 15)  # in the 90 days to February's end, not to March's
EARLY = dt.date(2026, 3, 20)  # in the 90 days to March's end and later ones
LATE = dt.date(2026, 6, 10)  # the data reaches May's end


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def now(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC)


def team_with_cycle_times(
    org: OrgBuilder, key: str, after: float, resolved: dt.date, people: int = 10, parent=None
):
    """`people` engineers: cycle time 4 + offset before the phase, `after` + offset in it,
    and an item on LATE so the data reaches May's end.

    The median of 4 + offsets is exactly 4.0 and of `after` + offsets exactly `after`, so the
    current-vs-baseline change is exactly after - 4 (the two items never share a released
    90-day window).
    """
    team = org.team(key, parent)
    for offset in OFFSETS[:people]:
        person = org.person(team)
        org.session.flush()  # the person before their items (no ORM relationship orders them)
        org.item(person, at(BEFORE), 4.0 + offset)
        org.item(person, at(resolved), after + offset)
        org.item(person, at(LATE), after + offset)
    return team


def release(session: Session, org: OrgBuilder, today: dt.date = dt.date(2026, 7, 1)) -> None:
    """Publish every month end the data reaches, as `gaplens release build` would."""
    session.flush()
    build_measured_release(session, org.id, POLICY, today=today)


def criterion(session: Session, **changes) -> SuccessCriterion:
    values = {
        "phase_name": "Copilot for every engineer",
        "phase_start": START,
        "metric": "cycle_time",
        "team": "eng",
        "target_kind": "relative",
        "target": -25,
        "method": "current_vs_baseline",
        "review_date": REVIEW,
    } | changes
    return create_criterion(
        session, CriterionIn(**values), "ana@acme.example", now(START - days(1)), POLICY
    )


def count(session: Session, table) -> int:
    return session.scalar(select(func.count()).select_from(table)) or 0


def test_baseline_is_the_released_value_of_the_month_end_before_the_start(db_url: str):
    with session_scope(db_url) as session:
        org = OrgBuilder(session)
        team_with_cycle_times(org, "eng", 2.0, EARLY)
        release(session, org)
        c = criterion(session)
        view = criterion_view(session, c, START - days(1), POLICY)
    assert view.baseline.value == pytest.approx(4.0)
    assert view.baseline.n == {"persons": 10}
    assert view.baseline.low is not None and view.baseline.low <= 4.0 <= view.baseline.high
    assert (view.baseline_start, view.baseline_end) == (BASELINE_END - days(89), BASELINE_END)
    assert view.target_change == pytest.approx(-1.0)  # -25% of 4 days
    assert view.target_level == pytest.approx(3.0)
    assert view.review_date == REVIEW
    assert not view.defined_after_start
    assert view.status is not None and view.status.status is Status.NOT_ENOUGH_DATA
    assert "starts on" in view.status.rule
    assert [r.kind for r in view.revisions] == ["created"] and view.edits == 0
    assert view.revisions[0].changes["baseline window"][1] == (
        f"{(BASELINE_END - days(89)).isoformat()} to {BASELINE_END.isoformat()} "
        "(released month end)"
    )


def test_no_figure_before_the_month_end_is_released_then_the_release_fills_it_in(db_url: str):
    """Defined before any release: no baseline and no status, said plainly; nothing is
    computed per request. Once the months are released, the same criterion reads them."""
    with session_scope(db_url) as session:
        org = OrgBuilder(session)
        team_with_cycle_times(org, "eng", 2.0, EARLY)
        c = criterion(session)
        before = criterion_view(session, c, REVIEW + days(10), POLICY)
        release(session, org)
        after = criterion_view(session, c, REVIEW + days(10), POLICY)
    assert not before.baseline.shown and before.target_change is None
    assert "no month end on or before 2026-02-28 is released yet" in str(
        before.baseline.not_enough_data
    )
    assert before.status is not None and before.status.status is Status.NOT_ENOUGH_DATA
    assert before.status.as_of is None and before.status.data_through is None
    assert "no month end after the phase start is released yet" in before.status.rule
    assert after.baseline.value == pytest.approx(4.0)
    assert after.status is not None and after.status.status is Status.MET
    assert after.status.as_of == FINAL and after.status.final


def test_review_date_defaults_to_ninety_days(db_url: str):
    with session_scope(db_url) as session:
        team_with_cycle_times(OrgBuilder(session), "eng", 2.0, EARLY)
        c = criterion(session, review_date=None)
    assert c.review_date == START + days(90)


@pytest.mark.parametrize(
    ("after", "resolved", "target", "today", "status", "rule"),
    [
        (2.0, EARLY, -25, REVIEW + days(10), Status.MET, "M1"),  # -50% vs -25% asked
        (2.0, EARLY, -75, REVIEW + days(10), Status.MISSED, "X1"),  # -50% vs -75% asked
        (4.0, EARLY, -25, REVIEW + days(10), Status.MISSED, "X1"),  # no change at all
        (2.0, EARLY, -75, dt.date(2026, 4, 5), Status.ON_TRACK, "T1"),  # March's end
        (4.0, EARLY, -25, dt.date(2026, 4, 5), Status.AT_RISK, "R1"),
        (5.0, EARLY, -25, dt.date(2026, 4, 5), Status.AT_RISK, "R1"),  # wrong way
        (2.0, EARLY, -25, dt.date(2026, 3, 25), Status.NOT_ENOUGH_DATA, "N"),  # Feb's end only
    ],
)
def test_status_from_constructed_data(db_url, after, resolved, target, today, status, rule):
    with session_scope(db_url) as session:
        org = OrgBuilder(session)
        team_with_cycle_times(org, "eng", after, resolved)
        release(session, org)
        c = criterion(session, target=target)
        view = criterion_view(session, c, today, POLICY)
    assert view.status is not None
    assert view.status.status is status, view.status.rule
    assert view.status.rule.startswith(rule)
    if status is not Status.NOT_ENOUGH_DATA:
        change = view.status.change
        assert change is not None and change.value == pytest.approx(after - 4.0)
        assert change.low <= after - 4.0 <= change.high
        assert view.status.relative is not None
        assert view.status.relative[0] == pytest.approx((after - 4.0) / 4.0)
        assert view.status.figure is not None and view.status.figure.value == pytest.approx(after)
        month_end = FINAL if today > REVIEW else dt.date(2026, 3, 31)
        assert view.status.as_of == month_end and view.status.final == (today > REVIEW)
        assert view.status.window_start == month_end - days(89)


def test_final_verdict_waits_for_the_last_month_end_before_the_review(db_url: str):
    """Today is past the review date, but only March is released: still provisional."""
    with session_scope(db_url) as session:
        org = OrgBuilder(session)
        team_with_cycle_times(org, "eng", 2.0, EARLY)
        release(session, org, today=dt.date(2026, 4, 10))  # the build of early April
        c = criterion(session)
        view = criterion_view(session, c, REVIEW + days(30), POLICY)
    assert view.status is not None
    assert view.status.status is Status.ON_TRACK and not view.status.final
    assert view.status.as_of == dt.date(2026, 3, 31) == view.status.data_through


def test_small_scope_has_no_figure_of_its_own(db_url: str):
    with session_scope(db_url) as session:
        org = OrgBuilder(session)
        team_with_cycle_times(org, "eng", 2.0, EARLY, people=4)
        release(session, org)
        c = criterion(session)
        view = criterion_view(session, c, REVIEW + days(1), POLICY)
    assert not view.baseline.shown and "counted only in a larger group" in str(
        view.baseline.not_enough_data
    )
    assert view.target_change is None and view.target_level is None
    assert view.status is not None and view.status.status is Status.NOT_ENOUGH_DATA
    assert "no baseline" in view.status.rule


def test_within_person_and_difference_in_differences(db_url: str):
    """Users drop by exactly 2 days after adopting, non-users by 0.5: DiD is -1.5, read from
    the release of June's end (the first whose after windows have ended)."""
    adopted = START
    review = adopted + days(130)
    with session_scope(db_url) as session:
        org = OrgBuilder(session)
        team = org.team("eng")
        for i, offset in enumerate(OFFSETS):
            user = org.person(team, adoption=adopted)
            org.item(user, at(adopted - days(30)), 3.0 + i * 0.1)
            org.item(user, at(adopted + days(50)), 3.0 + i * 0.1 - 2.0 + offset)
            other = org.person(team)
            org.item(other, at(adopted - days(30)), 8.0 + i * 0.2)
            org.item(other, at(adopted + days(50)), 7.5 + i * 0.2 + offset * 0.5)
        late = org.person(team)
        org.item(late, at(adopted + days(125)), 1.0)  # the data reaches June's end
        release(session, org, today=dt.date(2026, 8, 1))
        within = criterion(session, method="within_person", review_date=review)
        did = criterion(session, method="difference_in_differences", review_date=review)
        strict = criterion(
            session, method="difference_in_differences", review_date=review, target=-60
        )
        today = adopted + days(150)
        views = {c.id: criterion_view(session, c, today, POLICY) for c in (within, did, strict)}
    w, d, s = views[within.id], views[did.id], views[strict.id]
    assert w.baseline.n == {"persons": 20}
    assert w.status is not None and w.status.change is not None
    assert w.status.as_of == dt.date(2026, 6, 30) and w.status.window_start is None
    assert w.status.change.value == pytest.approx(-2.0) and w.status.change.n == {"ai_users": 10}
    assert d.status is not None and d.status.change is not None
    assert d.status.change.value == pytest.approx(-1.5)
    assert d.status.change.n == {"ai_users": 10, "non_users": 10}
    assert w.status.status is d.status.status is Status.MET
    # -60% of the baseline asks for more than the -1.5 days measured
    assert s.status is not None and s.status.status is Status.MISSED


def test_edits_before_the_start_are_free_but_recorded(db_url: str):
    with session_scope(db_url) as session:
        org = OrgBuilder(session)
        team_with_cycle_times(org, "eng", 2.0, EARLY)
        release(session, org)
        c = criterion(session)
        edit_criterion(
            session,
            c,
            CriterionEdit(target=-30, review_date=REVIEW + days(7)),
            "bo@acme.example",
            now(START - days(1)),
            POLICY,
        )
        view = criterion_view(session, c, START - days(1), POLICY)
    assert view.target == pytest.approx(-30) and view.target_change == pytest.approx(-1.2)
    last = view.revisions[-1]
    assert (last.number, last.kind, last.actor, last.after_start, last.reason) == (
        2,
        "edited",
        "bo@acme.example",
        False,
        None,
    )
    assert last.changes["target"] == ["-25% from the baseline", "-30% from the baseline"]
    assert last.changes["review date"] == [REVIEW.isoformat(), (REVIEW + days(7)).isoformat()]
    assert last.changes["required change"] == ["-1 days", "-1.2 days"]
    assert "baseline" not in last.changes  # nothing it depends on changed
    assert view.edits == 1 and view.edits_after_start == 0


def test_edits_after_the_start_need_a_reason_and_leave_a_visible_revision(db_url: str):
    with session_scope(db_url) as session:
        org = OrgBuilder(session)
        team_with_cycle_times(org, "eng", 2.0, EARLY)
        release(session, org)
        c = criterion(session)
        before = {k: getattr(c, k) for k in ("target", "review_date", "target_change")}
        for reason in (None, "", "  ", "late"):
            with pytest.raises(InputError, match="say why it changes") as refused:
                edit_criterion(
                    session,
                    c,
                    CriterionEdit(target=-10, reason=reason),
                    "bo@acme.example",
                    now(START + days(3)),
                    POLICY,
                )
            assert refused.value.problems[0].column == "reason"
        assert {k: getattr(c, k) for k in before} == before  # nothing half written
        assert count(session, CriterionRevision) == 1
        edit_criterion(
            session,
            c,
            CriterionEdit(target=-10, reason="Only half the teams got licences this phase"),
            "bo@acme.example",
            now(START + days(3)),
            POLICY,
        )
        view = criterion_view(session, c, REVIEW + days(1), POLICY)
    last = view.revisions[-1]
    assert last.after_start and last.reason == "Only half the teams got licences this phase"
    assert last.changes["target"] == ["-25% from the baseline", "-10% from the baseline"]
    assert view.edits == 1 and view.edits_after_start == 1


def test_changing_the_metric_reads_the_other_baseline_in_the_revision(db_url: str):
    with session_scope(db_url) as session:
        org = OrgBuilder(session)
        team_with_cycle_times(org, "eng", 2.0, EARLY)
        release(session, org)
        c = criterion(session)
        edit_criterion(
            session,
            c,
            CriterionEdit(metric="throughput", target=10),
            "bo@acme.example",
            now(START - days(1)),
            POLICY,
        )
        view = criterion_view(session, c, START - days(1), POLICY)
        found = measured_release(session, org.id, BASELINE_END)
        assert found is not None
        [released] = released_overviews(
            session, found, MetricScope(organisation_id=org.id, team_id=c.team_id), ["throughput"]
        )
    changes = view.revisions[-1].changes
    assert changes["metric"] == ["Cycle time", "Throughput"]
    assert changes["baseline"] == [
        "4 days (3.75 to 4.25; n 10)",
        figure_text(released.current, "items per person-week"),
    ]
    assert view.metric.key == "throughput" and view.baseline == released.current


def test_nothing_changed_is_refused(db_url: str):
    with session_scope(db_url) as session:
        org = OrgBuilder(session)
        team_with_cycle_times(org, "eng", 2.0, EARLY)
        release(session, org)
        c = criterion(session)
        with pytest.raises(InputError, match="nothing changed"):
            edit_criterion(
                session, c, CriterionEdit(target=-25), "bo", now(START - days(1)), POLICY
            )


def test_delete_only_before_the_start_and_retire_with_a_reason(db_url: str):
    with session_scope(db_url) as session:
        team_with_cycle_times(OrgBuilder(session), "eng", 2.0, EARLY)
        early, late = criterion(session), criterion(session, phase_name="Second")
        delete_criterion(session, early, START - days(1))
        assert count(session, SuccessCriterion) == 1 and count(session, CriterionRevision) == 1
        with pytest.raises(InputError, match="retire it with a reason instead"):
            delete_criterion(session, late, START)
        with pytest.raises(InputError, match="say why it is retired"):
            retire_criterion(session, late, " ", "bo", now(START + days(5)))
        retire_criterion(
            session, late, "Phase cancelled after the pilot", "bo", now(START + days(5))
        )
        with pytest.raises(InputError, match="already retired"):
            retire_criterion(session, late, "Again, why not", "bo", now(START + days(6)))
        with pytest.raises(InputError, match="retired and cannot be changed"):
            edit_criterion(
                session, late, CriterionEdit(target=-5, reason="x" * 10), "bo", now(START), POLICY
            )
        view = criterion_view(session, late, START + days(30), POLICY)
    assert view.retired and view.retired_reason == "Phase cancelled after the pilot"
    assert view.status is None
    assert [r.kind for r in view.revisions] == ["created", "retired"]
    assert view.revisions[-1].after_start and view.edits_after_start == 1


def test_defined_after_the_start_is_flagged(db_url: str):
    with session_scope(db_url) as session:
        team_with_cycle_times(OrgBuilder(session), "eng", 2.0, EARLY)
        c = create_criterion(
            session,
            CriterionIn(
                phase_name="Late",
                phase_start=START,
                metric="cycle_time",
                team="eng",
                target_kind="relative",
                target=-25,
                review_date=REVIEW,
            ),
            "ana",
            now(START + days(20)),
            POLICY,
        )
        view = criterion_view(session, c, REVIEW + days(1), POLICY)
    assert view.defined_after_start
    assert view.revisions[0].after_start


@pytest.mark.parametrize(
    ("changes", "fields", "message"),
    [
        ({"metric": "velocity"}, ["metric"], "unknown metric 'velocity'"),
        ({"team": "nope"}, ["team"], "unknown team 'nope'"),
        ({"team": None, "function": "Marketing"}, ["function"], "unknown function 'Marketing'"),
        ({"function": "engineering"}, ["scope"], "not both"),
        ({"target": 10}, ["target"], "wrong direction"),
        ({"target_kind": "value", "target": 4.5}, ["target"], "wrong direction"),
        ({"target": 0}, ["target"], "no change"),
        ({"review_date": START - days(1)}, ["review_date"], "must be after the phase start"),
        ({"review_date": START}, ["review_date"], "must be after the phase start"),
        (
            {"metric": "velocity", "team": "nope", "review_date": START},
            ["metric", "team", "review_date"],
            "unknown metric",
        ),
    ],
)
def test_bad_definitions_are_refused_and_nothing_is_written(db_url, changes, fields, message):
    with session_scope(db_url) as session:
        org = OrgBuilder(session)
        team_with_cycle_times(org, "eng", 2.0, EARLY)
        release(session, org)
        with pytest.raises(InputError, match=message) as refused:
            criterion(session, **changes)
        assert [p.column for p in refused.value.problems] == fields
        assert count(session, SuccessCriterion) == 0 and count(session, CriterionRevision) == 0


def test_bad_edits_leave_the_criterion_as_it_was(db_url: str):
    with session_scope(db_url) as session:
        team_with_cycle_times(OrgBuilder(session), "eng", 2.0, EARLY)
        c = criterion(session)
        for edit in (
            CriterionEdit(metric="velocity"),
            CriterionEdit(review_date=START - days(5)),
            CriterionEdit(target=15),
            CriterionEdit(target_kind="value"),
            CriterionEdit(team="nope"),
        ):
            with pytest.raises(InputError):
                edit_criterion(session, c, edit, "bo", now(START - days(1)), POLICY)
        assert (c.metric_key, c.review_date, c.target, c.team_id) == (
            "cycle_time",
            REVIEW,
            -0.25,
            c.team_id,
        )
        assert count(session, CriterionRevision) == 1


def test_a_criterion_on_a_team_minus_two_people_shows_released_whole_classes_only(db_url: str):
    """Eng holds two people of its own above Eng-A (10). A criterion on Eng-A and one on Eng
    (Eng-A plus those two) read the release's figures for those scopes and nothing else, so
    their figures never differ by the two: either Eng's two are counted only in a larger
    group (the same people as Eng-A's) or the difference is at least k. The revision
    history and the report publish the same numbers."""
    with session_scope(db_url) as session:
        org = OrgBuilder(session)
        parent = team_with_cycle_times(org, "eng", 2.0, EARLY, people=2)
        child = team_with_cycle_times(org, "eng-a", 2.0, EARLY, people=10, parent=parent)
        release(session, org)
        on_child = criterion(session, team="eng-a")
        on_parent = criterion(session, team="eng", phase_name="Everyone")
        views = {
            c.id: criterion_view(session, c, REVIEW + days(1), POLICY)
            for c in (on_child, on_parent)
        }
        published = {}
        for team in (parent, child):
            scope = MetricScope(organisation_id=org.id, team_id=team.id)
            for day in (BASELINE_END, FINAL):
                found = measured_release(session, org.id, day)
                assert found is not None and found.answers_through == day
                [overview] = released_overviews(session, found, scope, ["cycle_time"])
                published[(team.id, day)] = overview.current
        section = report_section(
            session, MetricScope(organisation_id=org.id), START, REVIEW + days(1), POLICY
        )
    for c, team in ((on_child, child), (on_parent, parent)):
        view = views[c.id]
        assert view.baseline == published[(team.id, BASELINE_END)]
        assert view.status is not None and view.status.figure == published[(team.id, FINAL)]
    for day in (BASELINE_END, FINAL):
        a, b = published[(child.id, day)], published[(parent.id, day)]
        if b.shown:
            gap = sum(b.n.values()) - sum(a.n.values())
            assert gap == 0 or gap >= POLICY.min_group_size, (day, gap)
    assert section is not None
    assert {c.id: c for c in section.criteria} == views  # the report: the same numbers


def test_report_section_keeps_the_scope_and_lists_retired_apart(db_url: str):
    with session_scope(db_url) as session:
        org = OrgBuilder(session)
        eng = team_with_cycle_times(org, "eng", 2.0, EARLY)
        ops = org.team("ops")
        for _ in range(5):
            org.person(ops, function="operations")
        release(session, org)
        engineering = criterion(session)
        operations = criterion(session, team=None, function="operations", phase_name="Ops")
        gone = criterion(session, phase_name="Gone")
        retire_criterion(session, gone, "Merged into the first one", "bo", now(START + days(2)))
        whole = report_section(
            session, MetricScope(organisation_id=org.id), START, REVIEW + days(5), POLICY
        )
        team = report_section(
            session,
            MetricScope(organisation_id=org.id, team_id=eng.id),
            START,
            REVIEW,
            POLICY,
        )
        function = report_section(
            session,
            MetricScope(organisation_id=org.id, function="operations"),
            START,
            REVIEW,
            POLICY,
        )
        later = report_section(
            session,
            MetricScope(organisation_id=org.id),
            REVIEW + days(1),
            REVIEW + days(9),
            POLICY,
        )
        listed = criteria_views(session, REVIEW + days(5), POLICY)
    assert whole is not None and team is not None and function is not None
    assert {c.id for c in whole.criteria} == {engineering.id, operations.id}
    assert [c.id for c in whole.retired] == [gone.id]
    assert {c.id for c in team.criteria} == {engineering.id}
    assert [c.id for c in function.criteria] == [operations.id]
    assert later is None  # every review date lies before that period
    assert whole.rules and listed[-1].id == gone.id  # retired last
    reported = {c.id: c for c in whole.criteria}[engineering.id]
    assert reported == {c.id: c for c in listed}[engineering.id]  # the page's figures
