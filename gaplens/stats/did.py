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

from gaplens.stats.resampling import (
    finite_vector,
    percentiles,
    resampled_means,
    resampled_medians,
)

Statistic = Literal["mean", "median"]
FloatArray = npt.NDArray[np.float64]
ArrayLike = npt.ArrayLike

DEFAULT_MIN_PERSONS = 5
DEFAULT_RESAMPLES = 2000


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
    arr = finite_vector(values, "values")
    missing = _too_few({group: arr.size}, min_persons)
    if missing:
        return missing
    low, high = percentiles(_resampled(arr, statistic, rng, resamples), confidence)
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
    b, a = finite_vector(before, "before"), finite_vector(after, "after")
    if b.shape != a.shape:
        raise ValueError("before and after must have one value per person, in the same order")
    missing = _too_few({group: b.size}, min_persons)
    if missing:
        return missing
    change = a - b
    low, high = percentiles(resampled_means(change, rng, resamples), confidence)
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
    tb, ta = (
        finite_vector(treated_before, "treated_before"),
        finite_vector(treated_after, "treated_after"),
    )
    cb, ca = (
        finite_vector(control_before, "control_before"),
        finite_vector(control_after, "control_after"),
    )
    if tb.shape != ta.shape or cb.shape != ca.shape:
        raise ValueError("before and after must have one value per person, in the same order")
    missing = _too_few({groups[0]: tb.size}, min_persons)
    if missing:
        return missing, missing
    t_change = ta - tb
    t_draws = resampled_means(t_change, rng, resamples)
    t_mean = float(t_change.mean())
    low, high = percentiles(t_draws, confidence)
    change = ChangeEstimate(
        t_mean, low, high, tb.size, float(tb.mean()), float(ta.mean()), confidence
    )
    missing = _too_few({groups[1]: cb.size}, min_persons)
    if missing:
        return change, missing
    c_change = ca - cb
    low, high = percentiles(t_draws - resampled_means(c_change, rng, resamples), confidence)
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
    xa, xb = finite_vector(a, "a"), finite_vector(b, "b")
    missing = _too_few({groups[0]: xa.size, groups[1]: xb.size}, min_persons)
    if missing:
        return missing
    draws = _resampled(xa, statistic, rng, resamples) - _resampled(xb, statistic, rng, resamples)
    low, high = percentiles(draws, confidence)
    va, vb = _point(xa, statistic), _point(xb, statistic)
    return GroupDifference(va - vb, low, high, xa.size, xb.size, va, vb, statistic, confidence)
