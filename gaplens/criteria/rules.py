"""The status rules: how a measured change and a target become a status. Pure functions.

A criterion asks for a change from its baseline (`required`, in the metric's unit, signed: a
cycle-time target of -15% of a 4-day baseline requires -0.6 days). The measurement method gives
the measured change with its 95% interval. Both are turned into *improvement* (the sign
flipped for metrics where lower is better), so every rule reads the same way for every metric:

- **not enough data** (N): no baseline, no measured figure (the metric service's reason,
  e.g. fewer than 5 persons), the phase has not run `MIN_PHASE_DAYS` yet, or no data after the
  phase start has been imported.
- Before the review date (or while the imported data does not yet reach it):
  - **on track** (T1) when the whole interval lies on the improving side of no change, or
    (T2) when the estimate has already reached the target;
  - **at risk** (R1) otherwise.
- At the review date, with data up to it:
  - **met** (M1) when the estimate reached the target and the interval excludes no change;
  - **missed** (X1) otherwise.

docs/success-criteria.md states the same rules for readers; tests/criteria/test_rules.py
checks each one on constructed numbers.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

Better = Literal["lower", "higher"]
TargetKind = Literal["value", "relative"]

MIN_PHASE_DAYS = 14
"""Days of data after the phase start before any status other than "not enough data"."""


class Status(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    MET = "met"
    MISSED = "missed"
    NOT_ENOUGH_DATA = "not_enough_data"


STATUS_LABELS = {
    Status.ON_TRACK: "On track",
    Status.AT_RISK: "At risk",
    Status.MET: "Met",
    Status.MISSED: "Missed",
    Status.NOT_ENOUGH_DATA: "Not enough data",
}


@dataclass(frozen=True)
class Change:
    """A measured change (after minus before, in the metric's unit) with its interval."""

    value: float
    low: float
    high: float


@dataclass(frozen=True)
class Judgement:
    status: Status
    rule: str
    """The rule that decided, in words (shown next to the status)."""


@dataclass(frozen=True)
class Evaluation:
    """When a criterion is judged: the last day of data used, and whether it is final."""

    as_of: dt.date
    final: bool
    """True once the review date has passed and the imported data reaches it."""


def evaluation_point(today: dt.date, review_date: dt.date, data_through: dt.date) -> Evaluation:
    """Judge on data up to the review date at most, and never past the imported data.

    Before the review date the status is provisional (on track / at risk). At or after it,
    met / missed is decided only once the data reaches the review date; until then the
    provisional rules still apply to the data there is.
    """
    as_of = min(today, review_date, data_through)
    return Evaluation(as_of=as_of, final=as_of == review_date)


def not_enough_time(
    phase_start: dt.date, as_of: dt.date, data_through: dt.date, today: dt.date
) -> str | None:
    """Why a phase cannot be judged yet (not started, no data after its start, or too few
    days of data), or None."""
    if as_of < phase_start:
        if today < phase_start:
            return f"the phase starts on {phase_start.isoformat()}"
        return f"no data after the phase start yet (imported data ends {data_through.isoformat()})"
    days = (as_of - phase_start).days + 1
    if days < MIN_PHASE_DAYS:
        return f"the phase has {days} day(s) of data; a status needs at least {MIN_PHASE_DAYS} days"
    return None


def sign(better: Better) -> int:
    """+1 when higher is better, -1 when lower is: multiplies a change into improvement."""
    return 1 if better == "higher" else -1


def required_change(kind: TargetKind, target: float, baseline: float | None) -> float | None:
    """The change from the baseline a target asks for, in the metric's unit.

    A "value" target is a level (e.g. 3.2 days): the change is target - baseline. A
    "relative" target is a fraction of the baseline (e.g. -0.15): the change is
    target * baseline. None without a baseline.
    """
    if baseline is None:
        return None
    if kind == "value":
        return target - baseline
    return target * baseline


def direction_problem(
    kind: TargetKind, target: float, baseline: float | None, better: Better, unit: str
) -> str | None:
    """Why a target points the wrong way (or is impossible), or None if it is acceptable."""
    if not math.isfinite(target):
        return "the target must be a finite number"
    word = "lower" if better == "lower" else "higher"
    if kind == "relative":
        if target == 0:
            return "a relative target of 0% asks for no change"
        if sign(better) * target < 0:
            return (
                f"the target is in the wrong direction: {word} is better for this metric, "
                f"so a relative target must be {'negative' if better == 'lower' else 'positive'}"
            )
        if target <= -1:
            return "a relative target cannot reduce the metric by 100% or more"
        return None
    if target < 0:
        return "the target cannot be negative: this metric is never below 0"
    change = required_change(kind, target, baseline)
    if change is not None and baseline is not None and sign(better) * change <= 0:
        return (
            f"the target is in the wrong direction: {word} is better for this metric and the "
            f"baseline is {baseline:.3g} {unit}, so the target must be {word} than that"
        )
    return None


def judge(
    change: Change | None,
    required: float | None,
    better: Better,
    *,
    final: bool,
    missing: str | None = None,
) -> Judgement:
    """The status of a criterion from its measured change and the change its target requires.

    `missing` is the reason there is no figure (from the metric service or the phase's
    timing); it wins over everything else.
    """
    if missing is not None:
        return Judgement(Status.NOT_ENOUGH_DATA, f"N: {missing}")
    if required is None:
        return Judgement(Status.NOT_ENOUGH_DATA, "N: no baseline, so no target to measure against")
    if change is None:
        return Judgement(Status.NOT_ENOUGH_DATA, "N: no measured figure")
    s = sign(better)
    goal = s * required
    if goal <= 0:
        raise ValueError("a target must ask for an improvement")
    estimate = s * change.value
    low = min(s * change.low, s * change.high)
    reached = estimate >= goal
    beyond_noise = low > 0
    if final:
        if reached and beyond_noise:
            return Judgement(
                Status.MET,
                "M1: at the review date the estimate reached the target and its interval "
                "excludes no change",
            )
        if not reached:
            return Judgement(
                Status.MISSED, "X1: at the review date the estimate had not reached the target"
            )
        return Judgement(
            Status.MISSED,
            "X1: at the review date the estimate reached the target, but its interval "
            "includes no change, so the change is not distinguishable from noise",
        )
    if beyond_noise:
        return Judgement(
            Status.ON_TRACK,
            "T1: the whole interval of the measured change lies on the improving side",
        )
    if reached:
        return Judgement(Status.ON_TRACK, "T2: the estimate has already reached the target")
    if max(s * change.low, s * change.high) < 0:
        return Judgement(
            Status.AT_RISK,
            "R1: the metric is moving the wrong way (the whole interval is on the worse side)",
        )
    return Judgement(
        Status.AT_RISK,
        "R1: the estimate has not reached the target and its interval includes no change",
    )
