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

import numpy as np
import numpy.typing as npt
from scipy import stats

# Bootstrap resamples are drawn in blocks so memory stays bounded for large inputs.
_BOOTSTRAP_BLOCK_CELLS = 2_000_000


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
    return float(stats.norm.isf((1.0 - confidence) / 2.0))


def _finite_array(values: Sequence[float]) -> npt.NDArray[np.float64]:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError("values must be a one-dimensional sequence of numbers")
    if not np.all(np.isfinite(arr)):
        raise ValueError("values must be finite (no NaN or infinity)")
    return arr


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
    arr = _finite_array(values)
    n = arr.size
    if n < 2:
        raise ValueError(f"mean_interval needs at least 2 values, got {n}")
    mean = float(arr.mean())
    sem = float(arr.std(ddof=1)) / math.sqrt(n)
    half = float(stats.t.isf((1.0 - confidence) / 2.0, n - 1)) * sem
    return Estimate(value=mean, low=mean - half, high=mean + half, confidence=confidence)


def _resample_medians(
    sorted_values: npt.NDArray[np.float64], idx: npt.NDArray[np.integer]
) -> npt.NDArray[np.float64]:
    """Median of each row of sorted_values[idx], without materialising the resamples.

    Because sorted_values is non-decreasing, the k-th smallest of sorted_values[idx]
    is sorted_values at the k-th smallest index, so we only partition integer indices.
    """
    n = idx.shape[1]
    k = n // 2
    medians: npt.NDArray[np.float64]
    if n % 2:
        part = np.partition(idx, k, axis=1)
        medians = sorted_values[part[:, k]]
    else:
        part = np.partition(idx, (k - 1, k), axis=1)
        medians = (sorted_values[part[:, k - 1]] + sorted_values[part[:, k]]) / 2.0
    return medians


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
    if resamples < 1:
        raise ValueError(f"resamples must be positive, got {resamples!r}")
    arr = _finite_array(values)
    n = arr.size
    if n == 0:
        raise ValueError("bootstrap_median needs at least 1 value")
    sorted_values = np.sort(arr)
    rng = np.random.default_rng(seed)
    medians = np.empty(resamples, dtype=np.float64)
    block = max(1, _BOOTSTRAP_BLOCK_CELLS // n)
    for start in range(0, resamples, block):
        rows = min(block, resamples - start)
        idx = rng.integers(0, n, size=(rows, n), dtype=np.int32 if n < 2**31 else np.int64)
        medians[start : start + rows] = _resample_medians(sorted_values, idx)
    alpha = 1.0 - confidence
    low, high = np.quantile(medians, [alpha / 2.0, 1.0 - alpha / 2.0])
    return Estimate(
        value=float(np.median(arr)),
        low=float(low),
        high=float(high),
        confidence=confidence,
    )
