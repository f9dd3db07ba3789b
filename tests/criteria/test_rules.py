"""Each status rule on constructed numbers, for metrics where lower and where higher is better.

Changes are written in improvement units and flipped for lower-is-better metrics, so every
case is checked in both orientations with the same expected status.
"""

from __future__ import annotations

import datetime as dt

import pytest

from gaplens.criteria.rules import (
    MIN_PHASE_DAYS,
    Change,
    Status,
    direction_problem,
    evaluation_point,
    judge,
    not_enough_time,
    required_change,
)

D = dt.date


def oriented(better: str, value: float, low: float, high: float, required: float):
    """A change and a requirement given as improvements, in the metric's own direction."""
    s = 1 if better == "higher" else -1
    lo, hi = sorted((s * low, s * high))
    return Change(s * value, lo, hi), s * required


BOTH = pytest.mark.parametrize("better", ["lower", "higher"])


@BOTH
@pytest.mark.parametrize(
    ("value", "low", "high", "final", "status", "rule"),
    [
        # before the review date
        (0.5, 0.2, 0.8, False, Status.ON_TRACK, "T1"),  # clearly improving, goal not reached
        (1.2, -0.1, 2.5, False, Status.ON_TRACK, "T2"),  # reached, interval includes 0
        (1.0, -0.5, 2.5, False, Status.ON_TRACK, "T2"),  # exactly at the goal counts
        (0.3, -0.2, 0.8, False, Status.AT_RISK, "R1"),  # neither
        (-0.6, -0.9, -0.3, False, Status.AT_RISK, "R1"),  # moving the wrong way
        (0.5, 0.0, 1.0, False, Status.AT_RISK, "R1"),  # a bound at 0 does not exclude 0
        # at the review date
        (1.2, 0.4, 2.0, True, Status.MET, "M1"),
        (1.0, 0.1, 1.9, True, Status.MET, "M1"),  # exactly at the goal counts
        (0.5, 0.2, 0.8, True, Status.MISSED, "X1"),  # beyond noise, but short of the goal
        (1.2, -0.1, 2.5, True, Status.MISSED, "X1"),  # reached, but not beyond noise
        (-0.6, -0.9, -0.3, True, Status.MISSED, "X1"),
    ],
)
def test_status_rules(better, value, low, high, final, status, rule):
    change, required = oriented(better, value, low, high, 1.0)
    judgement = judge(change, required, better, final=final)
    assert judgement.status is status
    assert judgement.rule.startswith(rule)


def test_wrong_way_and_short_of_goal_are_told_apart():
    wrong = judge(Change(0.5, 0.2, 0.8), -1.0, "lower", final=False)
    short = judge(Change(-0.3, -0.8, 0.2), -1.0, "lower", final=False)
    assert wrong.status is short.status is Status.AT_RISK
    assert "wrong way" in wrong.rule and "wrong way" not in short.rule


def test_not_enough_data_wins_over_everything():
    reason = "fewer than 5 AI users with values before and after adoption"
    judgement = judge(Change(-2, -3, -1), -1.0, "lower", final=True, missing=reason)
    assert judgement.status is Status.NOT_ENOUGH_DATA and reason in judgement.rule
    assert judge(None, -1.0, "lower", final=False).status is Status.NOT_ENOUGH_DATA
    no_baseline = judge(Change(-2, -3, -1), None, "lower", final=True)
    assert no_baseline.status is Status.NOT_ENOUGH_DATA and "baseline" in no_baseline.rule


def test_a_target_must_ask_for_an_improvement():
    with pytest.raises(ValueError, match="improvement"):
        judge(Change(-2, -3, -1), 0.5, "lower", final=True)


@pytest.mark.parametrize(
    ("today", "review", "through", "as_of", "final"),
    [
        (D(2026, 3, 1), D(2026, 5, 1), D(2026, 9, 30), D(2026, 3, 1), False),  # before review
        (D(2026, 6, 1), D(2026, 5, 1), D(2026, 9, 30), D(2026, 5, 1), True),  # after, data there
        (D(2026, 5, 1), D(2026, 5, 1), D(2026, 5, 1), D(2026, 5, 1), True),  # on the day
        (D(2026, 12, 1), D(2026, 11, 1), D(2026, 9, 30), D(2026, 9, 30), False),  # data short
    ],
)
def test_evaluation_point(today, review, through, as_of, final):
    point = evaluation_point(today, review, through)
    assert (point.as_of, point.final) == (as_of, final)


def test_too_early_to_judge():
    start = D(2026, 5, 4)
    before = D(2026, 5, 1)
    assert "starts on 2026-05-04" in str(not_enough_time(start, before, before, before))
    assert "no data after the phase start yet (imported data ends 2026-05-01)" in str(
        not_enough_time(start, before, before, D(2026, 6, 1))
    )
    day_13 = start + dt.timedelta(days=MIN_PHASE_DAYS - 2)
    assert "13 day(s)" in str(not_enough_time(start, day_13, day_13, day_13))
    day_14 = start + dt.timedelta(days=MIN_PHASE_DAYS - 1)
    assert not_enough_time(start, day_14, day_14, day_14) is None


def test_required_change():
    assert required_change("relative", -0.15, 4.0) == pytest.approx(-0.6)
    assert required_change("value", 3.2, 4.0) == pytest.approx(-0.8)
    assert required_change("value", 3.2, None) is None


@pytest.mark.parametrize(
    ("kind", "target", "baseline", "better", "problem"),
    [
        ("relative", 0.10, 4.0, "lower", "wrong direction"),
        ("relative", -0.10, 1.2, "higher", "wrong direction"),
        ("relative", 0.0, 4.0, "lower", "no change"),
        ("relative", -1.0, 4.0, "lower", "100%"),
        ("value", 4.5, 4.0, "lower", "wrong direction"),
        ("value", 4.0, 4.0, "lower", "wrong direction"),  # the baseline itself is no target
        ("value", 1.0, 1.2, "higher", "wrong direction"),
        ("value", -1.0, None, "lower", "negative"),
        ("value", float("nan"), 4.0, "lower", "finite"),
    ],
)
def test_targets_in_the_wrong_direction_are_refused(kind, target, baseline, better, problem):
    assert problem in str(direction_problem(kind, target, baseline, better, "days"))


@pytest.mark.parametrize(
    ("kind", "target", "baseline", "better"),
    [
        ("relative", -0.15, 4.0, "lower"),
        ("relative", 0.20, 1.2, "higher"),
        ("value", 3.2, 4.0, "lower"),
        ("value", 1.5, 1.2, "higher"),
        ("value", 3.2, None, "lower"),  # no baseline: the direction cannot be checked yet
    ],
)
def test_targets_in_the_right_direction_pass(kind, target, baseline, better):
    assert direction_problem(kind, target, baseline, better, "days") is None
