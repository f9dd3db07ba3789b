"""Before/after and difference-in-differences over per-person values, with bootstrap intervals.

Heavy AI users were often faster before AI, so comparing users with non-users directly
mistakes who adopts for what adoption does. These estimators compare each person with
themself (before/after, pivoted on their own adoption date) and subtract the change
non-users went through over the same kind of window (difference-in-differences).

Intervals are percentile bootstraps that resample *persons* (each person's before and after
value travel together), stratified by group, so a group's size is fixed as in the data.
All functions are pure: arrays in, frozen dataclasses out, randomness from the caller's
seeded `numpy.random.Generator` so reports are reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

Statistic = Literal["mean", "median"]
FloatArray = npt.NDArray[np.float64]
ArrayLike = npt.ArrayLike

DEFAULT_MIN_PERSONS = 5
DEFAULT_RESAMPLES = 2000
# Resampled index matrices are drawn in blocks of at most this many cells, bounding memory.
_BLOCK_CELLS = 2_000_000


@dataclass(frozen=True)
class NotEnoughData:
    """A figure that cannot be given; `reason` says which group was too small, for the reader."""

    reason: str


@dataclass(frozen=True)
class ChangeEstimate:
    """Mean within-person change (after minus before) over `n` persons."""

    estimate: float
    low: float
    high: float
    n: int
    mean_before: float
    mean_after: float
    confidence: float = 0.95


@dataclass(frozen=True)
class DidEstimate:
    """Mean change of the treated minus mean change of the controls."""

    estimate: float
    low: float
    high: float
    n_treated: int
    n_control: int
    treated_change: float
    control_change: float
    confidence: float = 0.95


@dataclass(frozen=True)
class GroupDifference:
    """Statistic of group a minus statistic of group b (e.g. 6+ months tenure minus newer)."""

    estimate: float
    low: float
    high: float
    n_a: int
    n_b: int
    value_a: float
    value_b: float
    statistic: Statistic
    confidence: float = 0.95


@dataclass(frozen=True)
class SummaryEstimate:
    """A group's mean or median with its bootstrap interval."""

    estimate: float
    low: float
    high: float
    n: int
    statistic: Statistic
    confidence: float = 0.95


def _vector(values: ArrayLike, name: str) -> FloatArray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (drop persons without a value first)")
    return arr


def _check(confidence: float, resamples: int, min_persons: int) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    if resamples < 1:
        raise ValueError(f"resamples must be positive, got {resamples!r}")
    if min_persons < 1:
        raise ValueError(f"min_persons must be positive, got {min_persons!r}")


def _too_few(groups: dict[str, int], min_persons: int) -> NotEnoughData | None:
    for name, n in groups.items():
        if n == 0:
            return NotEnoughData(f"no {name} with data")
        if n < min_persons:
            return NotEnoughData(f"fewer than {min_persons} {name}")
    return None


def _percentiles(draws: FloatArray, confidence: float) -> tuple[float, float]:
    alpha = 1.0 - confidence
    low, high = np.quantile(draws, [alpha / 2.0, 1.0 - alpha / 2.0])
    return float(low), float(high)


def resampled_means(
    values: ArrayLike, rng: np.random.Generator, resamples: int = DEFAULT_RESAMPLES
) -> FloatArray:
    """Means of `resamples` with-replacement resamples of `values` (vectorised, in blocks).

    Deviations from the mean are gathered as float32 (half the memory traffic, which is
    what the time goes on) and summed in float64, so draws stay accurate to about 1e-7 of
    the values' spread.
    """
    arr = _vector(values, "values")
    n = arr.size
    if n == 0:
        raise ValueError("cannot resample an empty group")
    centre = float(arr.mean())
    deviations = (arr - centre).astype(np.float32)
    out = np.empty(resamples, dtype=np.float64)
    block = max(1, _BLOCK_CELLS // n)
    dtype = np.int32 if n < 2**31 else np.int64
    for start in range(0, resamples, block):
        rows = min(block, resamples - start)
        idx = rng.integers(0, n, size=(rows, n), dtype=dtype)
        out[start : start + rows] = deviations[idx].mean(axis=1, dtype=np.float64)
    return out + centre


def resampled_medians(
    values: ArrayLike, rng: np.random.Generator, resamples: int = DEFAULT_RESAMPLES
) -> FloatArray:
    """Medians of `resamples` with-replacement resamples of `values`, in O(resamples).

    A resample's k-th smallest index is floor(n * U_(k)) with U_(k) the k-th order statistic
    of n uniforms, which is Beta(k, n - k + 1); the next one is U_(k) + (1 - U_(k)) * V with
    V ~ Beta(1, n - k). Drawing those two numbers gives exactly the distribution of the
    resampled median without drawing n indices per resample, so a median over 10,000 people
    costs as little as one over 10.
    """
    arr = np.sort(_vector(values, "values"))
    n = arr.size
    if n == 0:
        raise ValueError("cannot resample an empty group")
    if n == 1:
        return np.full(resamples, arr[0])
    k = (n + 1) // 2  # 1-based rank of the (lower) middle order statistic
    u_k = rng.beta(k, n - k + 1, size=resamples)
    lower = np.minimum((u_k * n).astype(np.int64), n - 1)
    if n % 2:
        return arr[lower]
    u_next = u_k + (1.0 - u_k) * rng.beta(1, n - k, size=resamples)
    upper = np.minimum((u_next * n).astype(np.int64), n - 1)
    result: FloatArray = (arr[lower] + arr[upper]) / 2.0
    return result


def _resampled(
    values: FloatArray, statistic: Statistic, rng: np.random.Generator, resamples: int
) -> FloatArray:
    if statistic == "mean":
        return resampled_means(values, rng, resamples)
    return resampled_medians(values, rng, resamples)


def _point(values: FloatArray, statistic: Statistic) -> float:
    return float(values.mean() if statistic == "mean" else np.median(values))


def summarise(
    values: ArrayLike,
    rng: np.random.Generator,
    *,
    statistic: Statistic = "mean",
    resamples: int = DEFAULT_RESAMPLES,
    confidence: float = 0.95,
    min_persons: int = DEFAULT_MIN_PERSONS,
    group: str = "persons",
) -> SummaryEstimate | NotEnoughData:
    """One group's mean or median with a percentile bootstrap interval."""
    _check(confidence, resamples, min_persons)
    arr = _vector(values, "values")
    missing = _too_few({group: arr.size}, min_persons)
    if missing:
        return missing
    low, high = _percentiles(_resampled(arr, statistic, rng, resamples), confidence)
    return SummaryEstimate(_point(arr, statistic), low, high, arr.size, statistic, confidence)


def within_person_change(
    before: ArrayLike,
    after: ArrayLike,
    rng: np.random.Generator,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    confidence: float = 0.95,
    min_persons: int = DEFAULT_MIN_PERSONS,
    group: str = "persons",
) -> ChangeEstimate | NotEnoughData:
    """Mean of after - before over persons, resampling persons (pairs stay together).

    Each person is their own control, so differences in who adopted cancel out; what
    remains is the change plus whatever else changed over the same time (see DiD).
    """
    _check(confidence, resamples, min_persons)
    b, a = _vector(before, "before"), _vector(after, "after")
    if b.shape != a.shape:
        raise ValueError("before and after must have one value per person, in the same order")
    missing = _too_few({group: b.size}, min_persons)
    if missing:
        return missing
    change = a - b
    low, high = _percentiles(resampled_means(change, rng, resamples), confidence)
    return ChangeEstimate(
        float(change.mean()), low, high, b.size, float(b.mean()), float(a.mean()), confidence
    )


def difference_in_differences(
    treated_before: ArrayLike,
    treated_after: ArrayLike,
    control_before: ArrayLike,
    control_after: ArrayLike,
    rng: np.random.Generator,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    confidence: float = 0.95,
    min_persons: int = DEFAULT_MIN_PERSONS,
    groups: tuple[str, str] = ("treated persons", "control persons"),
) -> DidEstimate | NotEnoughData:
    """Mean change of the treated minus mean change of the controls, stratified bootstrap.

    Equal to the interaction coefficient of OLS `y ~ treated * post` on the balanced panel.
    It removes both fixed differences between the groups (users were faster before) and
    changes common to everyone (a new process, the season); it assumes the two groups
    would have changed alike without the treatment (parallel trends).
    """
    _, did = change_and_did(
        treated_before,
        treated_after,
        control_before,
        control_after,
        rng,
        resamples=resamples,
        confidence=confidence,
        min_persons=min_persons,
        groups=groups,
    )
    return did


def change_and_did(
    treated_before: ArrayLike,
    treated_after: ArrayLike,
    control_before: ArrayLike,
    control_after: ArrayLike,
    rng: np.random.Generator,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    confidence: float = 0.95,
    min_persons: int = DEFAULT_MIN_PERSONS,
    groups: tuple[str, str] = ("treated persons", "control persons"),
) -> tuple[ChangeEstimate | NotEnoughData, DidEstimate | NotEnoughData]:
    """The treated group's within-person change and the DiD, from one set of treated draws.

    Gives exactly what `within_person_change` and `difference_in_differences` give for
    the same fresh generator (both draw the treated group first), at the cost of one.
    """
    _check(confidence, resamples, min_persons)
    tb, ta = _vector(treated_before, "treated_before"), _vector(treated_after, "treated_after")
    cb, ca = _vector(control_before, "control_before"), _vector(control_after, "control_after")
    if tb.shape != ta.shape or cb.shape != ca.shape:
        raise ValueError("before and after must have one value per person, in the same order")
    missing = _too_few({groups[0]: tb.size}, min_persons)
    if missing:
        return missing, missing
    t_change = ta - tb
    t_draws = resampled_means(t_change, rng, resamples)
    t_mean = float(t_change.mean())
    low, high = _percentiles(t_draws, confidence)
    change = ChangeEstimate(
        t_mean, low, high, tb.size, float(tb.mean()), float(ta.mean()), confidence
    )
    missing = _too_few({groups[1]: cb.size}, min_persons)
    if missing:
        return change, missing
    c_change = ca - cb
    low, high = _percentiles(t_draws - resampled_means(c_change, rng, resamples), confidence)
    c_mean = float(c_change.mean())
    did = DidEstimate(t_mean - c_mean, low, high, tb.size, cb.size, t_mean, c_mean, confidence)
    return change, did


def two_group_difference(
    a: ArrayLike,
    b: ArrayLike,
    rng: np.random.Generator,
    *,
    statistic: Statistic = "mean",
    resamples: int = DEFAULT_RESAMPLES,
    confidence: float = 0.95,
    min_persons: int = DEFAULT_MIN_PERSONS,
    groups: tuple[str, str] = ("persons in group a", "persons in group b"),
) -> GroupDifference | NotEnoughData:
    """Statistic(a) - statistic(b) of per-person values, bootstrap resampling within groups."""
    _check(confidence, resamples, min_persons)
    xa, xb = _vector(a, "a"), _vector(b, "b")
    missing = _too_few({groups[0]: xa.size, groups[1]: xb.size}, min_persons)
    if missing:
        return missing
    draws = _resampled(xa, statistic, rng, resamples) - _resampled(xb, statistic, rng, resamples)
    low, high = _percentiles(draws, confidence)
    va, vb = _point(xa, statistic), _point(xb, statistic)
    return GroupDifference(va - vb, low, high, xa.size, xb.size, va, vb, statistic, confidence)
