"""Interval estimators checked against statsmodels/scipy and published worked examples."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from gaplens.stats import (
    Estimate,
    bootstrap_mean,
    bootstrap_median,
    mean_interval,
    newcombe_difference,
    risk_ratio,
    wilson_interval,
)


def close(expected: float) -> Any:
    """Tight tolerance for closed-form results (abs term only matters near 0)."""
    return pytest.approx(expected, rel=1e-9, abs=1e-12)


# (x, n) grid including the boundaries x == 0 and x == n, and tiny n.
COUNT_GRID = [
    (x, n)
    for n in (1, 2, 5, 10, 17, 40, 263, 1000)
    for x in sorted({0, 1, n // 3, n // 2, n - 1, n})
    if 0 <= x <= n
]
CONFIDENCES = (0.80, 0.90, 0.95, 0.99)
PAIR_GRID = [
    (0, 10, 0, 12),
    (0, 10, 5, 12),
    (10, 10, 0, 12),
    (10, 10, 12, 12),
    (1, 3, 2, 3),
    (7, 20, 3, 25),
    (56, 70, 48, 80),
    (5, 56, 0, 29),
    (9, 10, 3, 10),
    (120, 400, 95, 410),
]


# --- Wilson -----------------------------------------------------------------------


@pytest.mark.parametrize("confidence", CONFIDENCES)
@pytest.mark.parametrize(("x", "n"), COUNT_GRID)
def test_wilson_matches_statsmodels(x: int, n: int, confidence: float) -> None:
    low, high = proportion_confint(x, n, alpha=1 - confidence, method="wilson")
    est = wilson_interval(x, n, confidence)
    assert est.value == close(x / n)
    assert est.low == close(float(low))
    assert est.high == close(float(high))
    assert est.confidence == confidence


def test_wilson_textbook_value() -> None:
    # Newcombe RG (1998) "Two-sided confidence intervals for the single proportion:
    # comparison of seven methods", Stat Med 17:857-872, Table I: 81/263, Wilson score
    # method -> 0.2553 to 0.3662 (verified by computation).
    est = wilson_interval(81, 263)
    assert round(est.low, 4) == 0.2553
    assert round(est.high, 4) == 0.3662


def test_wilson_boundaries_are_exact() -> None:
    assert wilson_interval(0, 20).low == 0.0
    assert wilson_interval(20, 20).high == 1.0
    assert wilson_interval(0, 20).high > 0.0
    assert wilson_interval(20, 20).low < 1.0


@given(n=st.integers(1, 5000), frac=st.floats(0, 1), confidence=st.floats(0.5, 0.999))
def test_wilson_properties(n: int, frac: float, confidence: float) -> None:
    x = round(frac * n)
    est = wilson_interval(x, n, confidence)
    assert 0.0 <= est.low <= est.value <= est.high <= 1.0


# --- Newcombe difference ---------------------------------------------------------


@pytest.mark.parametrize("confidence", CONFIDENCES)
@pytest.mark.parametrize(("x1", "n1", "x2", "n2"), PAIR_GRID)
def test_newcombe_matches_statsmodels(
    x1: int, n1: int, x2: int, n2: int, confidence: float
) -> None:
    low, high = confint_proportions_2indep(
        x1, n1, x2, n2, compare="diff", method="newcomb", alpha=1 - confidence
    )
    est = newcombe_difference(x1, n1, x2, n2, confidence)
    assert est.value == close(x1 / n1 - x2 / n2)
    assert est.low == close(float(low))
    assert est.high == close(float(high))


def test_newcombe_textbook_value() -> None:
    # Newcombe RG (1998) "Interval estimation for the difference between independent
    # proportions: comparison of eleven methods", Stat Med 17:873-890, Table II
    # example (a): 56/70 vs 48/80, method 10 -> 0.0524 to 0.3339.
    est = newcombe_difference(56, 70, 48, 80)
    assert est.value == close(0.2)
    assert round(est.low, 4) == 0.0524
    assert round(est.high, 4) == 0.3339


@given(
    n1=st.integers(1, 500),
    f1=st.floats(0, 1),
    n2=st.integers(1, 500),
    f2=st.floats(0, 1),
)
def test_newcombe_properties(n1: int, f1: float, n2: int, f2: float) -> None:
    est = newcombe_difference(round(f1 * n1), n1, round(f2 * n2), n2)
    assert -1.0 <= est.low <= est.value <= est.high <= 1.0


# --- Risk ratio ------------------------------------------------------------------

# statsmodels 0.15 `confint_proportions_2indep(compare="ratio", method="log")` sets
# addhalf = 0 (only "log-adjusted" adds 0.5), uses var = 1/x1 - 1/n1 + 1/x2 - 1/n2 and
# exp(log(rr) -/+ z*sqrt(var)): exactly the uncorrected Katz interval, so it is a
# valid reference. We also check against the formula written out with scipy.

NONZERO_PAIRS = [p for p in PAIR_GRID if p[0] > 0 and p[2] > 0]


@pytest.mark.parametrize("confidence", CONFIDENCES)
@pytest.mark.parametrize(("x1", "n1", "x2", "n2"), NONZERO_PAIRS)
def test_risk_ratio_matches_statsmodels_log(
    x1: int, n1: int, x2: int, n2: int, confidence: float
) -> None:
    low, high = confint_proportions_2indep(
        x1, n1, x2, n2, compare="ratio", method="log", alpha=1 - confidence
    )
    est = risk_ratio(x1, n1, x2, n2, confidence)
    assert est is not None
    assert est.value == close((x1 / n1) / (x2 / n2))
    assert est.low == close(float(low))
    assert est.high == close(float(high))


def test_risk_ratio_matches_hand_katz() -> None:
    x1, n1, x2, n2 = 56, 70, 48, 80
    rr = (56 / 70) / (48 / 80)
    z = stats.norm.ppf(0.975)
    se = math.sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2)
    est = risk_ratio(x1, n1, x2, n2)
    assert est is not None
    assert est.value == close(rr)
    assert est.low == close(rr * math.exp(-z * se))
    assert est.high == close(rr * math.exp(z * se))
    assert round(est.value, 4) == 1.3333
    assert (round(est.low, 4), round(est.high, 4)) == (1.0766, 1.6512)


@pytest.mark.parametrize(("x1", "x2"), [(0, 5), (5, 0), (0, 0)])
def test_risk_ratio_zero_cell_is_not_estimable(x1: int, x2: int) -> None:
    assert risk_ratio(x1, 20, x2, 30) is None


def test_risk_ratio_all_events_collapses_to_one() -> None:
    est = risk_ratio(10, 10, 12, 12)
    assert est == Estimate(1.0, 1.0, 1.0)


# --- Mean -------------------------------------------------------------------------


@pytest.mark.parametrize("confidence", CONFIDENCES)
@pytest.mark.parametrize(
    "values",
    [
        [40.0, 60.0],
        [0.0, 100.0, 50.0],
        [72.0, 65.5, 80.0, 91.0, 55.0, 68.0, 77.0],
        list(np.random.default_rng(3).uniform(0, 100, size=250)),
    ],
)
def test_mean_interval_matches_scipy(values: list[float], confidence: float) -> None:
    arr = np.asarray(values)
    low, high = stats.t.interval(confidence, arr.size - 1, loc=arr.mean(), scale=stats.sem(arr))
    est = mean_interval(values, confidence)
    assert est.value == close(float(arr.mean()))
    assert est.low == close(float(low))
    assert est.high == close(float(high))


def test_mean_interval_constant_values_zero_width() -> None:
    assert mean_interval([50.0, 50.0, 50.0]) == Estimate(50.0, 50.0, 50.0)


# --- Bootstrap median -------------------------------------------------------------


def test_bootstrap_median_deterministic_for_seed() -> None:
    values = list(np.random.default_rng(1).exponential(30, size=300))
    assert bootstrap_median(values, seed=7) == bootstrap_median(values, seed=7)
    assert bootstrap_median(values, seed=7) != bootstrap_median(values, seed=8)


def test_bootstrap_median_contains_sample_median() -> None:
    values = list(np.random.default_rng(2).normal(60, 15, size=201))
    est = bootstrap_median(values)
    assert est.value == float(np.median(values))
    assert est.low <= est.value <= est.high
    assert est.confidence == 0.95


def test_bootstrap_median_single_value() -> None:
    assert bootstrap_median([42.0]) == Estimate(42.0, 42.0, 42.0)


def test_bootstrap_median_matches_scipy_percentile_bootstrap() -> None:
    values = np.random.default_rng(5).lognormal(3.0, 0.7, size=120)
    ours = bootstrap_median(list(values), resamples=20_000, seed=1)
    theirs = stats.bootstrap(
        (values,), np.median, n_resamples=20_000, method="percentile", random_state=2
    ).confidence_interval
    spread = float(np.quantile(values, 0.75) - np.quantile(values, 0.25))
    assert ours.low == pytest.approx(theirs.low, abs=0.03 * spread)
    assert ours.high == pytest.approx(theirs.high, abs=0.03 * spread)


# --- Bootstrap mean ---------------------------------------------------------------


def test_bootstrap_mean_is_reproducible_and_brackets_the_mean() -> None:
    values = [-30.0, -5.0, 0.0, 4.0, 10.0, 12.0, 15.0, 60.0]
    a = bootstrap_mean(values, seed=3)
    assert a == bootstrap_mean(values, seed=3)
    assert a != bootstrap_mean(values, seed=4)
    assert a.value == pytest.approx(sum(values) / 8)
    assert a.low < a.value < a.high
    constant = bootstrap_mean([7.0] * 6)
    assert (constant.low, constant.value, constant.high) == (7.0, 7.0, 7.0)


def test_bootstrap_mean_matches_scipy_percentile_bootstrap() -> None:
    # 300 values x 20,000 resamples is large enough to be drawn in two halves.
    values = np.random.default_rng(6).exponential(12.0, size=300)
    ours = bootstrap_mean(list(values), resamples=20_000, seed=1)
    theirs = stats.bootstrap(
        (values,), np.mean, n_resamples=20_000, method="percentile", random_state=2
    ).confidence_interval
    standard_error = float(values.std() / np.sqrt(values.size))
    assert ours.low == pytest.approx(theirs.low, abs=0.05 * standard_error)
    assert ours.high == pytest.approx(theirs.high, abs=0.05 * standard_error)


@pytest.mark.parametrize(
    ("values", "kwargs"),
    [
        ([], {}),
        ([1.0, float("nan")], {}),
        ([1.0, 2.0], {"resamples": 0}),
        ([1.0], {"confidence": 1.0}),
    ],
)
def test_bootstrap_mean_rejects_bad_input(values: list[float], kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        bootstrap_mean(values, **kwargs)  # type: ignore[arg-type]


def test_bootstrap_median_coverage() -> None:
    # Exponential(scale=1) has true median ln 2; percentile bootstrap should cover it
    # in roughly 95% of repetitions.
    rng = np.random.default_rng(2024)
    true_median = math.log(2)
    reps = 200
    hits = 0
    for rep in range(reps):
        sample = rng.exponential(1.0, size=61)
        est = bootstrap_median(list(sample), resamples=1000, seed=rep)
        hits += est.low <= true_median <= est.high
    assert 0.88 <= hits / reps <= 0.99


# --- Validation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "n", "confidence"),
    [(0, 0, 0.95), (1, -3, 0.95), (-1, 10, 0.95), (11, 10, 0.95), (1, 10, 0.0), (1, 10, 1.0)],
)
def test_wilson_rejects_bad_input(x: int, n: int, confidence: float) -> None:
    with pytest.raises(ValueError):
        wilson_interval(x, n, confidence)


@pytest.mark.parametrize("func", [newcombe_difference, risk_ratio])
@pytest.mark.parametrize(
    "args",
    [(1, 0, 1, 10, 0.95), (11, 10, 1, 10, 0.95), (1, 10, -1, 10, 0.95), (1, 10, 1, 10, 1.5)],
)
def test_two_sample_rejects_bad_input(
    func: Callable[..., object], args: tuple[int, int, int, int, float]
) -> None:
    with pytest.raises(ValueError):
        func(*args)


def test_risk_ratio_validates_before_zero_check() -> None:
    with pytest.raises(ValueError):
        risk_ratio(0, 10, 1, 10, confidence=2.0)


@pytest.mark.parametrize(
    ("values", "confidence"),
    [([], 0.95), ([5.0], 0.95), ([1.0, float("nan")], 0.95), ([1.0, 2.0], 0.0)],
)
def test_mean_interval_rejects_bad_input(values: list[float], confidence: float) -> None:
    with pytest.raises(ValueError):
        mean_interval(values, confidence)


@pytest.mark.parametrize(
    ("values", "kwargs"),
    [
        ([], {}),
        ([1.0, float("inf")], {}),
        ([1.0, 2.0], {"confidence": 1.0}),
        ([1.0, 2.0], {"resamples": 0}),
    ],
)
def test_bootstrap_median_rejects_bad_input(values: list[float], kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        bootstrap_median(values, **kwargs)  # type: ignore[arg-type]


def test_mover_of_two_wilson_intervals_is_newcombe():
    """Newcombe's hybrid interval is MOVER over Wilson intervals (Zou & Donner 2008)."""
    from gaplens.stats import mover_difference

    for x1, n1, x2, n2 in [(56, 70, 48, 80), (5, 40, 30, 41), (0, 12, 3, 20)]:
        mover = mover_difference(wilson_interval(x1, n1), wilson_interval(x2, n2))
        newcombe = newcombe_difference(x1, n1, x2, n2)
        assert (mover.value, mover.low, mover.high) == pytest.approx(
            (newcombe.value, newcombe.low, newcombe.high)
        )


def test_mover_difference_of_differences_by_hand():
    from gaplens.stats import Estimate, mover_difference

    later = Estimate(0.30, 0.20, 0.42)
    earlier = Estimate(0.10, 0.02, 0.19)
    change = mover_difference(later, earlier)
    assert change.value == pytest.approx(0.20)
    assert change.low == pytest.approx(0.20 - ((0.10) ** 2 + (0.09) ** 2) ** 0.5)
    assert change.high == pytest.approx(0.20 + ((0.12) ** 2 + (0.08) ** 2) ** 0.5)
    with pytest.raises(ValueError):
        mover_difference(later, Estimate(0.1, 0.0, 0.2, confidence=0.9))
