"""Relative importance against a reference (every order of entry, fitted by statsmodels) and
against planted worlds: a strong driver ranks first away from zero, a null one includes it."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import statsmodels.api as sm

from gaplens.stats.importance import relative_importance, shapley_r2


def _reference(
    x: np.ndarray, y: np.ndarray, groups: list[list[int]], adjusted: bool
) -> list[float]:
    """LMG by definition: each factor's gain in R² averaged over all p! orders of entry, each
    model fitted by statsmodels OLS with an intercept (a different route from the subset
    weights the estimator uses)."""

    def r2(factors: tuple[int, ...]) -> float:
        if not factors:
            return 0.0
        cols = [c for f in sorted(factors) for c in groups[f]]
        fit = sm.OLS(y, sm.add_constant(x[:, cols])).fit()
        return float(fit.rsquared_adj if adjusted else fit.rsquared)

    p = len(groups)
    cache: dict[tuple[int, ...], float] = {}
    totals = [0.0] * p
    orders = list(itertools.permutations(range(p)))
    for order in orders:
        entered: tuple[int, ...] = ()
        for f in order:
            before = cache.setdefault(tuple(sorted(entered)), r2(tuple(sorted(entered))))
            entered = (*entered, f)
            after = cache.setdefault(tuple(sorted(entered)), r2(tuple(sorted(entered))))
            totals[f] += after - before
    return [t / len(orders) for t in totals]


def _world(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, list[list[int]]]:
    """Correlated factors, one of them a three-level band as two indicator columns."""
    z = rng.normal(size=n)
    a = z + rng.normal(size=n)
    b = 0.5 * z + rng.normal(size=n)
    band = rng.integers(0, 3, size=n)
    c = rng.binomial(1, 0.3, size=n).astype(float)
    x = np.column_stack([a, b, band == 1, band == 2, c]).astype(float)
    y = 2 * a + 0.7 * b + 1.5 * (band == 2) + 0.2 * c + rng.normal(scale=2, size=n)
    return x, y, [[0], [1], [2, 3], [4]]


@pytest.mark.parametrize("adjusted", [False, True])
@pytest.mark.parametrize("seed", range(3))
def test_shares_equal_the_reference_over_every_order_of_entry(seed: int, adjusted: bool):
    x, y, groups = _world(np.random.default_rng(seed), 80)
    shares, r2 = shapley_r2(x, y, groups, adjusted=adjusted)
    expected = _reference(x, y, groups, adjusted)
    np.testing.assert_allclose(shares, expected, atol=1e-10)
    full = sm.OLS(y, sm.add_constant(x)).fit()
    assert r2 == pytest.approx(full.rsquared_adj if adjusted else full.rsquared, abs=1e-10)
    assert sum(shares) == pytest.approx(r2, abs=1e-10)  # the parts add up to the whole


def test_the_order_factors_are_listed_in_changes_nothing():
    x, y, groups = _world(np.random.default_rng(7), 60)
    shares, _ = shapley_r2(x, y, groups)
    swapped = x[:, [4, 2, 3, 1, 0]]
    again, _ = shapley_r2(swapped, y, [[0], [1, 2], [3], [4]])  # c, band, b, a
    np.testing.assert_allclose(again, shares[::-1], atol=1e-12)


def test_a_planted_strong_driver_ranks_first_and_a_null_one_includes_zero():
    rng = np.random.default_rng(11)
    n = 300
    strong = rng.normal(size=n)
    weak = rng.normal(size=n)
    null = rng.normal(size=n) + 0.3 * weak  # goes with a factor, not with the outcome
    y = 1.0 * strong + 0.3 * weak + rng.normal(size=n)
    found = relative_importance(
        np.column_stack([null, weak, strong]),
        y,
        [[0], [1], [2]],
        ["null", "weak", "strong"],
        np.random.default_rng(1),
    )
    ranked = sorted(zip(found.shares, found.factors, strict=True), reverse=True)
    assert ranked[0][1] == "strong"
    assert found.low[2] > 0.2  # well away from zero
    assert found.low[0] <= 0 <= found.high[0]
    assert found.signs[1:] == (1, 1)
    assert found.r2_low <= found.r2 <= found.r2_high


@pytest.mark.parametrize("seed", range(20))
def test_a_null_driver_interval_covers_zero_in_most_worlds(seed: int):
    """Coverage, not one lucky draw: across worlds with no driver at all, the interval of
    each factor includes zero nearly always."""
    rng = np.random.default_rng(100 + seed)
    n = 120
    x = rng.normal(size=(n, 3))
    y = rng.normal(size=n)
    found = relative_importance(x, y, [[0], [1], [2]], ["a", "b", "c"], rng, resamples=300)
    misses = sum(not (lo <= 0 <= hi) for lo, hi in zip(found.low, found.high, strict=True))
    assert misses <= 1


def test_bad_shapes_are_refused_in_words():
    x = np.zeros((10, 2))
    with pytest.raises(ValueError, match="exactly one non-empty factor"):
        shapley_r2(x, np.zeros(10), [[0]])
    with pytest.raises(ValueError, match="finite"):
        shapley_r2(np.full((10, 1), np.nan), np.zeros(10), [[0]])
    with pytest.raises(ValueError, match="cannot fit"):
        relative_importance(
            np.zeros((3, 2)), np.zeros(3), [[0], [1]], ["a", "b"], np.random.default_rng(0)
        )
