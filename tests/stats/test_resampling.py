"""The bootstrap engine: resampled means (drawn in two halves for large groups) and medians."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from gaplens.stats.resampling import (
    SPLIT_MIN_CELLS,
    _fill_in_parts,
    resampled_means,
    resampled_medians,
)
from tests.stats.seeded import rng


@pytest.mark.parametrize("n", [1, 2, 5, 6, 25, 40])
def test_fast_median_resampling_matches_brute_force(n: int) -> None:
    """The Beta order-statistic sampler has the distribution of resampling n indices."""
    values = np.round(rng(n).lognormal(1.0, 0.8, n), 1)  # ties included
    fast = resampled_medians(values, rng(1), 20_000)
    idx = rng(2).integers(0, n, size=(20_000, n))
    brute = np.median(values[idx], axis=1)
    if n == 1:
        assert np.all(fast == values[0])
        return
    assert stats.ks_2samp(fast, brute).pvalue > 0.001
    for q in (0.025, 0.5, 0.975):
        assert np.quantile(fast, q) == pytest.approx(np.quantile(brute, q), abs=0.25)


@pytest.mark.parametrize(("n", "resamples"), [(400, 4000), (30, 4000)])
def test_resampled_means_are_centred_with_the_right_spread(n: int, resamples: int) -> None:
    # 400 x 4000 cells is drawn in two halves, 30 x 4000 in one piece.
    assert (n * resamples >= SPLIT_MIN_CELLS) == (n == 400)
    values = rng(3).exponential(2.0, n)
    draws = resampled_means(values, rng(4), resamples)
    assert draws.shape == (resamples,)
    assert draws.mean() == pytest.approx(
        values.mean(), abs=4 * values.std() / np.sqrt(n * resamples)
    )
    assert draws.std() == pytest.approx(values.std() / np.sqrt(n), rel=0.05)


def test_split_means_match_brute_force_resampling() -> None:
    values = rng(7).lognormal(1.0, 0.9, 500)
    draws = resampled_means(values, rng(8), 2000)  # 1,000,000 cells: two halves
    idx = rng(9).integers(0, values.size, size=(2000, values.size))
    brute = values[idx].mean(axis=1)
    assert stats.ks_2samp(draws, brute).pvalue > 0.001


def test_the_halves_are_independent_draws() -> None:
    values = rng(10).normal(size=1000)
    draws = resampled_means(values, rng(11), 2000)
    first, second = draws[:1000], draws[1000:]
    assert not np.array_equal(first, second)
    assert abs(stats.pearsonr(first, second[::-1]).statistic) < 0.15


def test_same_generator_state_same_draws() -> None:
    values = rng(12).normal(size=2000)
    assert np.array_equal(
        resampled_means(values, rng(13), 2000), resampled_means(values, rng(13), 2000)
    )
    assert not np.array_equal(
        resampled_means(values, rng(13), 2000), resampled_means(values, rng(14), 2000)
    )


@pytest.mark.parametrize("use_thread", [True, False])
def test_halves_are_the_same_on_one_core_and_two(use_thread: bool) -> None:
    deviations = rng(15).normal(size=800).astype(np.float32)
    sequential = np.empty(3000)
    _fill_in_parts(deviations, rng(16).spawn(2), np.array_split(sequential, 2), use_thread=False)
    out = np.empty(3000)
    _fill_in_parts(deviations, rng(16).spawn(2), np.array_split(out, 2), use_thread=use_thread)
    assert np.array_equal(out, sequential)


def test_a_failure_on_the_second_thread_reaches_the_caller() -> None:
    deviations = np.ones(10, dtype=np.float32)
    parts = np.array_split(np.empty(20), 2)
    broken: list[np.random.Generator] = [object(), rng()]  # type: ignore[list-item]
    with pytest.raises(AttributeError):
        _fill_in_parts(deviations, broken, parts, use_thread=True)


@pytest.mark.parametrize(
    ("values", "resamples"), [([], 10), ([1.0, float("inf")], 10), ([[1.0], [2.0]], 10), ([1.0], 0)]
)
def test_bad_groups_are_refused(values: list[float], resamples: int) -> None:
    for draw in (resampled_means, resampled_medians):
        with pytest.raises(ValueError):
            draw(values, rng(), resamples)
