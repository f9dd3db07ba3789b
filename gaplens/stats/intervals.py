"""Interval estimates for survey statistics.

Every number gaplens reports comes with an interval, because survey groups are often
small and a bare percentage overstates how much we know. The methods are chosen for
good coverage at small n and at 0% / 100%, where textbook Wald intervals fail.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gaplens.stats.resampling import (
    finite_vector,
    percentiles,
    resampled_means,
    resampled_medians,
)


def _scipy_stats() -> Any:
    """SciPy's distributions, imported on first use: `scipy.stats` takes seconds to import
    (a sync's release rebuild paid them), and only the sign test's binomial quantile needs it.
    The normal and t quantiles come from `scipy.special`, which `scipy.stats` itself calls
    for them (the same bits) and which imports in a fraction of the time."""
    from scipy import stats

    return stats


def _t_isf(q: float, df: int) -> float:
    """Student's t inverse survival function: `stats.t.isf(q, df)`, bit for bit."""
    from scipy.special import stdtrit

    return -float(stdtrit(df, q))


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its two-sided confidence interval."""

    value: float
    low: float
    high: float
    confidence: float = 0.95


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")


def _check_count(successes: int, n: int) -> None:
    if n <= 0:
        raise ValueError(f"n must be positive, got {n!r}")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be in [0, n={n}], got {successes!r}")


@functools.lru_cache(maxsize=16)
def _z(confidence: float) -> float:
    """Two-sided standard normal critical value (cached: a report asks for it thousands of
    times, always at 95%, and SciPy's call costs more than the interval itself)."""
    from scipy.special import ndtri

    return -float(ndtri((1.0 - confidence) / 2.0))  # `stats.norm.isf`, bit for bit


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> Estimate:
    """Proportion with the Wilson score interval.

    Wilson stays inside [0, 1] and keeps near-nominal coverage for small n and for
    0 or n successes, where the Wald interval collapses to zero width.
    """
    _check_count(successes, n)
    _check_confidence(confidence)
    z = _z(confidence)
    p = successes / n
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2.0 * n)) / denom
    half = z * math.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n)) / denom
    # Analytically low == 0 at x == 0 and high == 1 at x == n; pin those exactly and clamp
    # floating-point residue so the interval always contains p and stays inside [0, 1].
    low = 0.0 if successes == 0 else min(p, max(0.0, centre - half))
    high = 1.0 if successes == n else max(p, min(1.0, centre + half))
    return Estimate(value=p, low=low, high=high, confidence=confidence)


def newcombe_difference(x1: int, n1: int, x2: int, n2: int, confidence: float = 0.95) -> Estimate:
    """Difference p1 - p2 with Newcombe's hybrid score interval (1998, method 10).

    Built from the two Wilson intervals, so it inherits their good behaviour at small
    n and at the boundaries, unlike the Wald difference interval.
    """
    diff = mover_difference(
        wilson_interval(x1, n1, confidence), wilson_interval(x2, n2, confidence)
    )
    # Analytically inside [-1, 1]; clamp only rounding residue.
    return Estimate(diff.value, max(-1.0, diff.low), min(1.0, diff.high), confidence)


def mover_difference(a: Estimate, b: Estimate) -> Estimate:
    """a - b from two independent estimates' own intervals (MOVER, Zou & Donner 2008).

    Newcombe's interval is MOVER applied to two Wilson intervals; applied to two
    differences it gives the interval of a change in a gap between two survey pulses.
    """
    if not math.isclose(a.confidence, b.confidence):
        raise ValueError("both estimates need the same confidence level")
    diff = a.value - b.value
    lower = math.sqrt((a.value - a.low) ** 2 + (b.high - b.value) ** 2)
    upper = math.sqrt((a.high - a.value) ** 2 + (b.value - b.low) ** 2)
    return Estimate(diff, diff - lower, diff + upper, a.confidence)


def risk_ratio(x1: int, n1: int, x2: int, n2: int, confidence: float = 0.95) -> Estimate | None:
    """Ratio (x1/n1) / (x2/n2) with the log (Katz) interval.

    Returns None when either count is zero: the log ratio is then undefined, and we
    would rather say "not estimable" than silently invent a continuity correction.
    """
    _check_count(x1, n1)
    _check_count(x2, n2)
    _check_confidence(confidence)
    if x1 == 0 or x2 == 0:
        return None
    rr = (x1 / n1) / (x2 / n2)
    se = math.sqrt(1.0 / x1 - 1.0 / n1 + 1.0 / x2 - 1.0 / n2)
    half = _z(confidence) * se
    log_rr = math.log(rr)
    return Estimate(
        value=rr,
        low=math.exp(log_rr - half),
        high=math.exp(log_rr + half),
        confidence=confidence,
    )


def mean_interval(values: Sequence[float], confidence: float = 0.95) -> Estimate:
    """Mean with a Student t interval, for 0-100 sentiment scores.

    The t interval accounts for estimating the spread from the same small sample.
    A sample with no spread gets a zero-width interval rather than NaN.
    """
    _check_confidence(confidence)
    arr = finite_vector(values)
    n = arr.size
    if n < 2:
        raise ValueError(f"mean_interval needs at least 2 values, got {n}")
    mean = float(arr.mean())
    sem = float(arr.std(ddof=1)) / math.sqrt(n)
    half = _t_isf((1.0 - confidence) / 2.0, n - 1) * sem
    return Estimate(value=mean, low=mean - half, high=mean + half, confidence=confidence)


def bootstrap_median(
    values: Sequence[float],
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
) -> Estimate:
    """Median with a percentile bootstrap interval.

    Scores are often skewed or bunched at the scale ends, so the median has no handy
    closed-form interval; the bootstrap avoids a distributional assumption. The seed
    makes reports reproducible run to run.
    """
    _check_confidence(confidence)
    arr = finite_vector(values)
    n = arr.size
    if n == 0:
        raise ValueError("bootstrap_median needs at least 1 value")
    low, high = percentiles(
        resampled_medians(arr, np.random.default_rng(seed), resamples), confidence
    )
    return Estimate(value=float(np.median(arr)), low=low, high=high, confidence=confidence)


def bootstrap_mean(
    values: Sequence[float], confidence: float = 0.95, resamples: int = 2000, seed: int = 0
) -> Estimate:
    """Mean with a percentile bootstrap interval.

    The mean, not the median, where per-item figures times items must give the totals
    leaders weigh (minutes per output, hours per task). Such minutes are skewed (many small
    fixes, a few lost afternoons), so the interval is bootstrapped rather than assumed
    normal; the seed keeps reports reproducible.
    """
    _check_confidence(confidence)
    arr = finite_vector(values)
    if arr.size == 0:
        raise ValueError("bootstrap_mean needs at least 1 value")
    low, high = percentiles(
        resampled_means(arr, np.random.default_rng(seed), resamples), confidence
    )
    mean = float(arr.mean())
    # Quantiles of resampled means can miss the sample mean by rounding only; keep it inside.
    return Estimate(mean, min(mean, low), max(mean, high), confidence)


def binned_median(
    counts: Sequence[int], edges: Sequence[float], confidence: float = 0.95
) -> Estimate:
    """Median of values known only by their bin, with a distribution-free interval.

    The point is the grouped median (linear interpolation inside the median's bin, the
    textbook formula L + (n/2 - F) / f * w). The interval is the order-statistic interval
    for a median (ranks l and n - l + 1 from Binomial(n, 1/2)), widened to the edges of the
    bins those order statistics fall in, so it carries both the sampling and the binning
    uncertainty. Infinite outer edges are clamped to the nearest finite edge.
    """
    _check_confidence(confidence)
    if len(edges) != len(counts) + 1:
        raise ValueError("edges must have one more entry than counts")
    if any(c < 0 for c in counts):
        raise ValueError("bin counts must not be negative")
    n = int(sum(counts))
    if n == 0:
        raise ValueError("binned_median needs at least 1 value")
    finite = [e for e in edges if math.isfinite(e)]
    low_clamp, high_clamp = min(finite), max(finite)

    def edge(value: float) -> float:
        return min(max(value, low_clamp), high_clamp)

    cumulative = np.cumsum(np.asarray(counts, dtype=np.int64))

    def bin_of_rank(rank: int) -> int:
        """The bin holding the rank-th smallest value (1-based)."""
        return int(np.searchsorted(cumulative, rank, side="left"))

    half = n / 2
    index = int(np.searchsorted(cumulative, half, side="left"))
    before = 0 if index == 0 else int(cumulative[index - 1])
    low_edge, high_edge = edge(edges[index]), edge(edges[index + 1])
    point = low_edge + (half - before) / counts[index] * (high_edge - low_edge)

    alpha = 1 - confidence
    lower_rank = max(int(_scipy_stats().binom.ppf(alpha / 2, n, 0.5)), 1)
    upper_rank = n - lower_rank + 1
    low = edge(edges[bin_of_rank(lower_rank)])
    high = edge(edges[bin_of_rank(upper_rank) + 1])
    return Estimate(value=float(point), low=float(low), high=float(high), confidence=confidence)


def cluster_mean(groups: Sequence[tuple[float, int]], confidence: float = 0.95) -> Estimate | None:
    """Mean per item from groups known only by (sum, items), with a cluster interval.

    Released figures publish sums over whole groups, never single items, so the spread
    between items is unknown; the spread between groups is what is left. The interval is
    the cluster-robust one for a ratio estimator (each group one cluster, Student t with
    groups - 1 degrees of freedom): wide when few groups disagree. None with fewer than two
    groups (no spread to estimate) or no items.
    """
    _check_confidence(confidence)
    items = sum(size for _, size in groups)
    if len(groups) < 2 or items <= 0:
        return None
    mean = sum(total for total, _ in groups) / items
    m = len(groups)
    spread = sum((total - mean * size) ** 2 for total, size in groups) * m / (m - 1)
    half = _t_isf((1.0 - confidence) / 2.0, m - 1) * math.sqrt(spread) / items
    return Estimate(mean, mean - half, mean + half, confidence)
