"""Success criteria on real databases: baselines, statuses and revisions on constructed data
with known results, bad input everywhere, and the privacy rules on staff views."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gaplens.audit.service import staff_gate
from gaplens.criteria.models import CriterionRevision, SuccessCriterion
from gaplens.criteria.rules import Status
from gaplens.criteria.schemas import CriterionEdit, CriterionIn
from gaplens.criteria.service import (
    create_criterion,
    criteria_views,
    criterion_view,
    delete_criterion,
    edit_criterion,
    report_section,
    retire_criterion,
)
from gaplens.db.engine import session_scope
from gaplens.errors import InputError
from gaplens.metrics.schemas import MetricScope
from gaplens.privacy import PrivacyGate, PrivacyPolicy
from tests.metrics.builders import OrgBuilder, at

POLICY = PrivacyPolicy()
START = dt.date(2026, 3, 2)
REVIEW = START + dt.timedelta(days=60)
OFFSETS = [-0.5, 0.5, -0.25, 0.25, 0.0, -0.1, 0.1, 0.3, -0.3, 0.0]  # median 0
BEFORE = START - dt.timedelta(days=30)


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def now(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC)


def team_with_cycle_times(
    org: OrgBuilder, key: str, after: float, resolved: dt.date, people: int = 10, parent=None
):
    """`people` engineers: cycle time 4 + offset before the phase, `after` + offset in it.

    The median of 4 + offsets is exactly 4.0 and of `after` + offsets exactly `after`, so the
    current-vs-baseline change is exactly after - 4.
    """
    team = org.team(key, parent)
    for offset in OFFSETS[:people]:
        person = org.person(team)
        org.session.flush()  # the person before their items (no ORM relationship orders them)
        org.item(person, at(BEFORE), 4.0 + offset)
        org.item(person, at(resolved), after + offset)
    return team


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


def test_baseline_is_computed_from_the_data_before_the_start(db_url: str):
    with session_scope(db_url) as session:
        org = OrgBuilder(session)
        team_with_cycle_times(org, "eng", 2.0, REVIEW)
        c = criterion(session)
        view = criterion_view(session, c, START - days(1), POLICY)
    assert view.baseline is not None and view.baseline.value == pytest.approx(4.0)
    assert view.baseline.n == {"persons": 10}
    assert view.baseline.low is not None and view.baseline.low <= 4.0 <= view.baseline.high
    assert (view.baseline_start, view.baseline_end) == (START - days(90), START - days(1))
    assert view.target_change == pytest.approx(-1.0)  # -25% of 4 days
    assert view.target_level == pytest.approx(3.0)
    assert view.review_date == REVIEW
    assert not view.defined_after_start
    assert view.status is not None and view.status.status is Status.NOT_ENOUGH_DATA
    assert "starts on" in view.status.rule
    assert [r.kind for r in view.revisions] == ["created"] and view.edits == 0


def test_review_date_defaults_to_ninety_days(db_url: str):
    with session_scope(db_url) as session:
        team_with_cycle_times(OrgBuilder(session), "eng", 2.0, REVIEW)
        c = criterion(session, review_date=None)
    assert c.review_date == START + days(90)


@pytest.mark.parametrize(
    ("after", "resolved", "target", "today", "status", "rule"),
    [
        (2.0, REVIEW, -25, REVIEW + days(10), Status.MET, "M1"),  # -50% vs -25% asked
        (2.0, REVIEW, -75, REVIEW + days(10), Status.MISSED, "X1"),  # -50% vs -75% asked
        (4.0, REVIEW, -25, REVIEW + days(10), Status.MISSED, "X1"),  # no change at all
        (2.0, START + days(20), -75, START + days(25), Status.ON_TRACK, "T1"),
        (4.0, START + days(20), -25, START + days(25), Status.AT_RISK, "R1"),
        (5.0, START + days(20), -25, START + days(25), Status.AT_RISK, "R1"),  # wrong way
        (2.0, START + days(10), -25, START + days(12), Status.NOT_ENOUGH_DATA, "N"),  # 11 days
    ],
)
def test_status_from_constructed_data(db_url, after, resolved, target, today, status, rule):
    with session_scope(db_url) as session:
        team_with_cycle_times(OrgBuilder(session), "eng", after, resolved)
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


def test_final_verdict_waits_for_data_up_to_the_review_date(db_url: str):
    """Today is past the review date, but the data ends before it: still provisional."""
    with session_scope(db_url) as session:
        team_with_cycle_times(OrgBuilder(session), "eng", 2.0, START + days(40))
        c = criterion(session)
        view = criterion_view(session, c, REVIEW + days(30), POLICY)
    assert view.status is not None
    assert view.status.status is Status.ON_TRACK and not view.status.final
    assert view.status.as_of == START + days(40) == view.status.data_through


def test_small_scope_has_not_enough_data(db_url: str):
    with session_scope(db_url) as session:
        team_with_cycle_times(OrgBuilder(session), "eng", 2.0, REVIEW, people=4)
        c = criterion(session)
        view = criterion_view(session, c, REVIEW + days(1), POLICY)
    assert view.baseline is not None and view.baseline.not_enough_data == "fewer than 5 persons"
    assert view.target_change is None and view.target_level is None
    assert view.status is not None and view.status.status is Status.NOT_ENOUGH_DATA
    assert "fewer than 5 persons" in view.status.rule


def test_within_person_and_difference_in_differences(db_url: str):
    """Users drop by exactly 2 days after adopting, non-users by 0.5: DiD is -1.5."""
    adopted = START
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
        org.item(late, at(adopted + days(120)), 1.0)  # the data reaches the review date
        session.flush()
        within = criterion(session, method="within_person", review_date=adopted + days(110))
        did = criterion(
            session, method="difference_in_differences", review_date=adopted + days(110)
        )
        strict = criterion(
            session, method="difference_in_differences", review_date=adopted + days(110), target=-60
        )
        today = adopted + days(150)
        views = {c.id: criterion_view(session, c, today, POLICY) for c in (within, did, strict)}
    w, d, s = views[within.id], views[did.id], views[strict.id]
    assert w.baseline is not None and w.baseline.n == {"persons": 20}
    assert w.status is not None and w.status.change is not None
    assert w.status.change.value == pytest.approx(-2.0) and w.status.change.n == {"ai_users": 10}
    assert d.status is not None and d.status.change is not None
    assert d.status.change.value == pytest.approx(-1.5)
    assert d.status.change.n == {"ai_users": 10, "non_users": 10}
    assert w.status.status is d.status.status is Status.MET
    # -60% of the baseline asks for more than the -1.5 days measured
    assert s.status is not None and s.status.status is Status.MISSED


def test_edits_before_the_start_are_free_but_recorded(db_url: str):
    with session_scope(db_url) as session:
        team_with_cycle_times(OrgBuilder(session), "eng", 2.0, REVIEW)
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
        team_with_cycle_times(OrgBuilder(session), "eng", 2.0, REVIEW)
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


def test_changing_the_metric_recomputes_the_baseline_in_the_revision(db_url: str):
    with session_scope(db_url) as session:
        team_with_cycle_times(OrgBuilder(session), "eng", 2.0, REVIEW)
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
    changes = view.revisions[-1].changes
    assert changes["metric"] == ["Cycle time", "Throughput"]
    assert changes["baseline"][0].startswith("4 days") and "items per person-week" in str(
        changes["baseline"][1]
    )
    assert view.metric.key == "throughput" and view.target_change is not None
    assert view.target_change > 0


def test_nothing_changed_is_refused(db_url: str):
    with session_scope(db_url) as session:
        team_with_cycle_times(OrgBuilder(session), "eng", 2.0, REVIEW)
        c = criterion(session)
        with pytest.raises(InputError, match="nothing changed"):
            edit_criterion(
                session, c, CriterionEdit(target=-25), "bo", now(START - days(1)), POLICY
            )


def test_delete_only_before_the_start_and_retire_with_a_reason(db_url: str):
    with session_scope(db_url) as session:
        team_with_cycle_times(OrgBuilder(session), "eng", 2.0, REVIEW)
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
        team_with_cycle_times(OrgBuilder(session), "eng", 2.0, REVIEW)
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
        team_with_cycle_times(OrgBuilder(session), "eng", 2.0, REVIEW)
        with pytest.raises(InputError, match=message) as refused:
            criterion(session, **changes)
        assert [p.column for p in refused.value.problems] == fields
        assert count(session, SuccessCriterion) == 0 and count(session, CriterionRevision) == 0


def test_bad_edits_leave_the_criterion_as_it_was(db_url: str):
    with session_scope(db_url) as session:
        team_with_cycle_times(OrgBuilder(session), "eng", 2.0, REVIEW)
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


def test_a_narrowed_scope_is_withheld_from_a_viewer_who_could_difference_it(db_url: str):
    """Team A (7 people) is shown to a viewer; its parent (A plus 3 people) would reveal
    those 3 by subtraction, so the parent's numbers are withheld from that viewer, also in
    the revision history. The report, one document for everyone, withholds both."""
    with session_scope(db_url) as session:
        org = OrgBuilder(session)
        parent = team_with_cycle_times(org, "eng", 2.0, REVIEW, people=3)
        team_with_cycle_times(org, "eng-a", 2.0, REVIEW, people=7, parent=parent)
        child = criterion(session, team="eng-a")
        whole = criterion(session, team="eng")
        edit_criterion(
            session,
            whole,
            CriterionEdit(recompute_baseline=True, target=-30),
            "bo",
            now(START - days(1)),
            POLICY,
        )
        gate = staff_gate(session, POLICY)
        shown = criterion_view(
            session, child, REVIEW + days(1), POLICY, gate=gate, viewer="staff:1"
        )
        hidden = criterion_view(
            session, whole, REVIEW + days(1), POLICY, gate=gate, viewer="staff:1"
        )
        other = criterion_view(
            session, whole, REVIEW + days(1), POLICY, gate=gate, viewer="staff:2"
        )
        section = report_section(
            session, MetricScope(organisation_id=org.id), START, REVIEW + days(1), POLICY, **fresh()
        )
    assert shown.withheld is None and shown.status is not None and shown.baseline is not None
    assert hidden.withheld is not None and "fewer than 5 people" in hidden.withheld
    assert hidden.baseline is None and hidden.status is None and hidden.target_change is None
    assert hidden.target_level is None
    for revision in hidden.revisions:
        for field in ("baseline", "required change"):
            assert revision.changes.get(field, ["withheld"])[-1] == "withheld"
    assert other.withheld is None and other.baseline is not None  # per viewer
    assert section is not None and {c.id for c in section.criteria} == {child.id, whole.id}
    for reported in section.criteria:
        assert reported.status is None and reported.baseline is None
        assert reported.withheld is not None and "differ from another scope" in reported.withheld


def test_a_scope_below_five_people_shows_no_numbers_to_staff(db_url: str):
    with session_scope(db_url) as session:
        team_with_cycle_times(OrgBuilder(session), "eng", 2.0, REVIEW, people=4)
        c = criterion(session)
        view = criterion_view(
            session, c, REVIEW, POLICY, gate=staff_gate(session, POLICY), viewer="staff:1"
        )
    assert view.withheld == "fewer than 5 people in this scope" and view.baseline is None


def test_report_section_keeps_the_scope_and_lists_retired_apart(db_url: str):
    with session_scope(db_url) as session:
        org = OrgBuilder(session)
        eng = team_with_cycle_times(org, "eng", 2.0, REVIEW)
        ops = org.team("ops")
        for _ in range(5):
            org.person(ops, function="operations")
        session.flush()
        engineering = criterion(session)
        operations = criterion(session, team=None, function="operations", phase_name="Ops")
        gone = criterion(session, phase_name="Gone")
        retire_criterion(session, gone, "Merged into the first one", "bo", now(START + days(2)))
        whole = report_section(
            session, MetricScope(organisation_id=org.id), START, REVIEW + days(5), POLICY, **fresh()
        )
        team = report_section(
            session,
            MetricScope(organisation_id=org.id, team_id=eng.id),
            START,
            REVIEW,
            POLICY,
            **fresh(),
        )
        function = report_section(
            session,
            MetricScope(organisation_id=org.id, function="operations"),
            START,
            REVIEW,
            POLICY,
            **fresh(),
        )
        later = report_section(
            session,
            MetricScope(organisation_id=org.id),
            REVIEW + days(1),
            REVIEW + days(9),
            POLICY,
            **fresh(),
        )
        listed = criteria_views(session, REVIEW + days(5), POLICY)
    assert whole is not None and team is not None and function is not None
    assert {c.id for c in whole.criteria} == {engineering.id, operations.id}
    assert [c.id for c in whole.retired] == [gone.id]
    assert {c.id for c in team.criteria} == {engineering.id}
    assert [c.id for c in function.criteria] == [operations.id]
    assert later is None  # every review date lies before that period
    assert whole.rules and listed[-1].id == gone.id  # retired last


def test_report_privacy_pass_is_pure_and_order_free():
    from gaplens.criteria.report import differencing_pairs

    people = [f"p{n}" for n in range(30)]
    members = {
        (None, None): frozenset(people),  # the organisation
        (1, None): frozenset(people[:10]),  # a team
        (2, None): frozenset(people[:13]),  # its parent: 3 more people
        (None, "support"): frozenset(people[15:30]),
        (3, None): frozenset(people[:4]),  # too small
        (4, None): frozenset(people[:10]),  # the same people as team 1: nothing new
    }
    withheld = differencing_pairs(members, POLICY)
    assert set(withheld) == {(1, None), (2, None), (3, None), (4, None)}
    assert "fewer than 5 people" in withheld[(3, None)]
    assert "differ from another scope" in withheld[(2, None)]
    assert differencing_pairs(dict(reversed(list(members.items()))), POLICY) == withheld
    assert differencing_pairs({(1, None): frozenset(people[:10])}, POLICY) == {}


def test_criteria_share_the_differencing_history_of_the_metric_views(db_url: str):
    """A viewer who saw a metric page for team A cannot get A's parent (3 more people) from
    a criterion either: one history across metric views, criteria and wins."""
    from gaplens.metrics.service import viewer_metrics

    with session_scope(db_url) as session:
        org = OrgBuilder(session)
        parent = team_with_cycle_times(org, "eng", 2.0, REVIEW, people=3)
        child = team_with_cycle_times(org, "eng-a", 2.0, REVIEW, people=7, parent=parent)
        whole = criterion(session, team="eng")
        gate = staff_gate(session, POLICY)
        scope = MetricScope(organisation_id=org.id, team_id=child.id)
        viewer_metrics(session, gate, "staff:1", scope, REVIEW, ["cycle_time"])
        seen = criterion_view(session, whole, REVIEW, POLICY, gate=gate, viewer="staff:1")
        fresh = criterion_view(session, whole, REVIEW, POLICY, gate=gate, viewer="staff:2")
    assert seen.withheld is not None and seen.status is None and seen.baseline is None
    assert fresh.withheld is None and fresh.status is not None


def fresh() -> dict[str, Any]:
    """A report's own gate and viewer, as the command line builds one per report."""
    return {"gate": PrivacyGate(POLICY), "viewer": "report"}
