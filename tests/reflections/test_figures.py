"""The reflection figures read from a release, against known values.

These replaced the per-viewer gate tests (hiding small groups by complementary suppression,
refusing a near copy of an earlier view): figures are now sums over published classes, so
what a test must pin is the arithmetic over released cells and what a cell without one says.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from gaplens.privacy.recoding import TeamTree
from gaplens.reflections.figures import (
    confidence_by_step,
    step_participation,
    themes_of,
    usage_comparison,
)
from gaplens.reflections.steps import STEPS
from gaplens.releases.reflections.lattice import ReflectionCode, period_bounds, quarter_of
from gaplens.releases.reflections.queries import (
    ReflectionRelease,
    ReleasedClass,
    ReleasedGroup,
    cell,
)
from gaplens.releases.reflections.service import DAY_BIN_MIDPOINTS, day_bin

TREE = TeamTree({1: None, 2: 1, 3: 2})
MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))


def release(classes=(), groups=()) -> ReflectionRelease:
    return ReflectionRelease(1, MARCH[1], 5, tuple(classes), tuple(groups), TREE)


def invited(step: str, n: int, used: int, team: int | None, function: str | None, period="2026-03"):
    return ReleasedClass("invitation", ReflectionCode(step, period, team, function), n, used)


def test_participation_sums_released_classes_with_wilson():
    shown = release(
        [
            invited("now", 20, 13, 3, "Engineering"),
            invited("now", 6, 2, 1, None),  # small teams, counted at the root only
            invited("now", 5, 1, 2, "Engineering", period="2026-Q1"),  # a quarter: not in March
        ]
    )
    inside = cell(TREE, *MARCH)
    result = step_participation(STEPS[0], shown, inside, "function", {}, {})
    assert (result.status, result.invited, result.reflected) == ("shown", 26, 15)
    low, high = proportion_confint(15, 26, method="wilson")
    assert result.rate is not None
    assert result.rate.low == pytest.approx(low) and result.rate.high == pytest.approx(high)
    assert [(g.label, g.invited, g.reflected) for g in result.groups] == [("Engineering", 20, 13)]
    assert result.hidden_groups == 1
    labels, keys = {"pay": "Payments", "acme": "Acme"}, {3: "pay", 1: "acme"}
    by_team = step_participation(STEPS[0], shown, inside, "team", labels, keys)
    assert [(g.key, g.label, g.invited) for g in by_team.groups] == [
        ("pay", "Payments", 20),
        ("acme", "Acme", 6),  # the root's own class, small teams below it included
    ]
    team = step_participation(STEPS[0], shown, cell(TREE, *MARCH, team=2), "function", {}, {})
    assert team.invited == 20  # the root's class is above the team: not inside it
    nothing = step_participation(STEPS[1], shown, inside, "function", {}, {})
    assert nothing.status == "not_enough_data" and "expired" in (nothing.reason or "")
    quarter = cell(TREE, dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert step_participation(STEPS[0], shown, quarter, "function", {}, {}).invited == 31


def test_confidence_mean_with_t_interval_per_step():
    ratings = [0, 0, 1, 2, 2, 1]  # unrated, 1..5
    shown = release(
        groups=[
            ReleasedGroup(
                "confidence", ReflectionCode("now", "2026-03"), 6, {"ratings": tuple(ratings)}, ()
            )
        ]
    )
    result = {c.step: c for c in confidence_by_step(shown, cell(TREE, *MARCH))}
    values = [2, 3, 3, 4, 4, 5]
    now = result["now"]
    assert now.status == "shown" and now.n == 6 and now.mean is not None
    low, high = stats.t.interval(0.95, 5, loc=np.mean(values), scale=stats.sem(values))
    assert now.mean.estimate == pytest.approx(np.mean(values))
    assert (now.mean.low, now.mean.high) == (pytest.approx(low), pytest.approx(high))
    assert result["day1"].status == "not_enough_data" and result["day1"].mean is None


def test_themes_only_over_released_text_groups():
    assert themes_of(release(), cell(TREE, *MARCH), 10).status == "not_enough_data"
    texts = [f"Summaries of long ticket threads save me time, case {n}" for n in range(14)]
    texts += [f"Unit tests from Copilot need a careful review, case {n}" for n in range(12)]
    texts += ["A one-off remark about the canteen"]
    shown = release(
        groups=[ReleasedGroup("texts", ReflectionCode(None, "2026-03"), 27, {}, tuple(texts))]
    )
    found = themes_of(shown, cell(TREE, *MARCH), 10)
    assert found.status == "shown" and found.texts == 27
    assert len(found.themes) == 2 and all(t.size >= 10 for t in found.themes)
    assert all(e in texts for t in found.themes for e in t.examples)


def test_usage_comparison_over_released_day_bins():
    after_p = [0, 0, 0, 1, 3, 2, 0]  # 6 participants, mostly 11-20 days
    after_n = [1, 2, 3, 1, 0, 0, 0]  # 7 others, mostly under 6 days
    counts = {
        "after_participants": tuple(after_p),
        "after_others": tuple(after_n),
        "before_participants": (1, 2, 3, 0, 0, 0, 0),
        "before_others": (2, 3, 2, 0, 0, 0, 0),
    }
    shown = release(
        groups=[ReleasedGroup("usage", ReflectionCode("week1", "2026-03"), 13, counts, ())]
    )
    rng = np.random.Generator(np.random.PCG64(1))
    result = usage_comparison(shown, cell(TREE, *MARCH), rng)
    assert result.status == "shown" and (result.participants, result.non_participants) == (6, 7)
    mean_p = sum(c * m for c, m in zip(after_p, DAY_BIN_MIDPOINTS, strict=True)) / 6
    mean_n = sum(c * m for c, m in zip(after_n, DAY_BIN_MIDPOINTS, strict=True)) / 7
    assert result.difference is not None
    assert result.difference.estimate == pytest.approx(mean_p - mean_n)
    assert 0 < result.difference.low < result.difference.estimate < result.difference.high
    assert result.baseline_difference is not None
    none = usage_comparison(release(), cell(TREE, *MARCH), rng)
    assert none.status == "not_enough_data" and none.difference is None


def test_periods_bins_and_quarters():
    assert quarter_of("2026-11") == "2026-Q4"
    assert period_bounds("2026-Q1") == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert period_bounds("2026-02") == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert [day_bin(d) for d in (0, 1, 2, 3, 10, 11, 20, 21, 28)] == [0, 1, 1, 2, 3, 4, 5, 6, 6]
