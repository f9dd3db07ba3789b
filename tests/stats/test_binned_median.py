"""The grouped median against the textbook formula, and its interval against exact data."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from scipy import stats

from gaplens.privacy.binning import EDGES, number_bin
from gaplens.stats import binned_median


def test_grouped_median_is_the_textbook_formula():
    # classes 0-10, 10-20, 20-30, 30-40 with 5, 8, 12, 5: n/2 = 15 falls in 20-30,
    # median = 20 + (15 - 13) / 12 * 10 = 21.67 (the standard worked example's shape)
    estimate = binned_median([5, 8, 12, 5], [0, 10, 20, 30, 40])
    assert estimate.value == pytest.approx(20 + 2 / 12 * 10)


def test_interval_is_the_order_statistic_interval_widened_to_bins():
    rng = random.Random(5)
    values = sorted(rng.gauss(10, 15) for _ in range(80))
    counts = [0] * (len(EDGES) - 1)
    for value in values:
        counts[number_bin(value)] += 1
    estimate = binned_median(counts, EDGES)
    n = len(values)
    lower = max(int(stats.binom.ppf(0.025, n, 0.5)), 1)
    exact_low, exact_high = values[lower - 1], values[n - lower]
    assert estimate.low <= exact_low and exact_high <= estimate.high
    assert estimate.low <= float(np.median(values)) <= estimate.high
    assert all(math.isfinite(x) for x in (estimate.value, estimate.low, estimate.high))


def test_coverage_of_the_true_median_in_repeated_samples():
    """At least 95% of intervals from samples of 30 cover the population median."""
    rng = np.random.default_rng(11)
    covered = 0
    for _ in range(400):
        sample = rng.normal(3.0, 6.0, 30)
        counts = [0] * (len(EDGES) - 1)
        for value in sample:
            counts[number_bin(float(value))] += 1
        estimate = binned_median(counts, EDGES)
        covered += estimate.low <= 3.0 <= estimate.high
    assert covered / 400 >= 0.95


def test_bad_bins_are_refused():
    with pytest.raises(ValueError, match="one more"):
        binned_median([1, 2], [0, 1])
    with pytest.raises(ValueError, match="at least 1"):
        binned_median([0, 0], [0, 1, 2])
