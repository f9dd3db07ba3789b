"""One class per leadership metric: what it means exactly, and how rows become per-person values.

Every metric turns domain rows into one value per person over a window [start, end) of day
numbers, given per person so the same code serves a calendar window (the current value) and
windows pivoted on each person's own adoption date (before/after). A person without the
data a metric needs gets NaN, which means "no value", never zero.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np
import numpy.typing as npt

from gaplens.metrics.queries import UsageRows, WorkRows, day_number

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

Better = Literal["lower", "higher"]
Summary = Literal["mean", "median"]
Source = Literal["work", "usage"]
Kind = Literal["speed", "stability", "usage"]
STABILITY_COUNTERS = ("reopen_rate", "rework_cycles")
"""The counter-metrics of every speed metric: AI can raise throughput and instability
together (DORA, State of AI-assisted Software Development, 2025), so a speed figure is
never shown without them. Change failure rate would belong here too, but no import
carries deployments."""


@dataclass(frozen=True)
class DomainData:
    """The rows of one load, for `n_persons` persons indexed 0..n-1."""

    n_persons: int
    work: WorkRows
    usage: UsageRows


def _group_sum(person: IntArray, weights: FloatArray, n: int) -> FloatArray:
    return np.bincount(person, weights=weights, minlength=n).astype(np.float64)


def _group_count(person: IntArray, n: int) -> FloatArray:
    return np.bincount(person, minlength=n).astype(np.float64)


def group_median(person: IntArray, values: FloatArray, n: int) -> FloatArray:
    """Median of `values` per person (NaN where a person has none), without a Python loop."""
    out = np.full(n, np.nan)
    if person.size == 0:
        return out
    # Sorted by value, then stably by person: the same order as lexsort((values, person))
    # at about half its cost (the person ids usually arrive sorted already).
    by_value = np.argsort(values)
    sorted_values = values[by_value[np.argsort(person[by_value], kind="stable")]]
    counts = np.bincount(person, minlength=n)
    starts = np.cumsum(counts) - counts
    has = counts > 0
    lower = starts[has] + (counts[has] - 1) // 2
    upper = starts[has] + counts[has] // 2
    out[has] = (sorted_values[lower] + sorted_values[upper]) / 2.0
    return out


def _ratio(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    out = np.full(numerator.shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


class Metric(ABC):
    """A leadership metric. Subclasses set the class attributes and `_compute`."""

    key: ClassVar[str]
    label: ClassVar[str]
    unit: ClassVar[str]
    better: ClassVar[Better]
    summary: ClassVar[Summary]  # how a group of per-person values is summarised
    source: ClassVar[Source]
    data_needed: ClassVar[str]
    kind: ClassVar[Kind]
    """Speed (how fast or how much work gets done), stability (how much of it comes back)
    or usage (AI use itself)."""
    counter_metrics: ClassVar[tuple[str, ...]] = ()
    """For a speed metric: the stability metrics shown beside it, so a gain in speed
    bought with work that comes back is seen as such."""
    monthly: ClassVar[bool] = True
    """Whether a per-person value over one calendar month means something before and after
    adoption alike, so the staggered-adoption estimate is published for it."""

    @property
    def definition(self) -> str:
        """The exact definition: the class docstring, as one paragraph."""
        return " ".join((type(self).__doc__ or "").split())

    def per_person(self, data: DomainData, start: npt.ArrayLike, end: npt.ArrayLike) -> FloatArray:
        """Value per person over [start, end) (day numbers, scalars or one per person)."""
        return self.over(Window(data, start, end))

    def over(self, window: Window) -> FloatArray:
        """Value per person over `window`, which other metrics may share."""
        values = self._compute(window.data, window)
        values[~window.valid] = np.nan
        return values

    def between(self, data: DomainData, start: dt.date, end: dt.date) -> FloatArray:
        """Value per person from `start` (inclusive) to `end` (exclusive), calendar dates."""
        return self.per_person(data, day_number(start), day_number(end))

    @abstractmethod
    def _compute(self, data: DomainData, window: Window) -> FloatArray:
        """Per-person values; windows that are invalid are blanked by `over`."""


class Window:
    """One window [start, end) per person (day numbers) over one load's rows, with the work
    items it selects worked out once: every work metric over the same windows (a report
    computes six of them, three windows each) shares one gather of each person's bounds."""

    def __init__(self, data: DomainData, start: npt.ArrayLike, end: npt.ArrayLike) -> None:
        n = data.n_persons
        self.data = data
        self.start = np.broadcast_to(np.asarray(start, dtype=np.float64), (n,))
        self.end = np.broadcast_to(np.asarray(end, dtype=np.float64), (n,))
        self.valid = np.isfinite(self.start) & np.isfinite(self.end) & (self.end > self.start)
        self._masks: tuple[BoolArray, BoolArray] | None = None

    @property
    def resolved(self) -> BoolArray:
        """Work items resolved within their person's window."""
        return self._work_masks()[0]

    @property
    def active(self) -> BoolArray:
        """Work items created before their person's window ends and not resolved before it
        starts."""
        return self._work_masks()[1]

    def prepare(self) -> None:
        """Work out the work-item masks now rather than on first use (one window per
        thread, when several metrics are computed at once)."""
        self._work_masks()

    def _work_masks(self) -> tuple[BoolArray, BoolArray]:
        if self._masks is None:
            work = self.data.work
            low, high = self.start[work.person], self.end[work.person]
            t = work.resolved
            with np.errstate(invalid="ignore"):
                resolved = np.isfinite(t) & (t >= low) & (t < high)
            open_at_start = ~(t < low)  # NaN (unresolved) compares False
            self._masks = (resolved, (work.created < high) & open_at_start)
        return self._masks


def _weeks(start: FloatArray, end: FloatArray) -> FloatArray:
    return (end - start) / 7.0


class StoryPointsPerSprint(Metric):
    """Story points of the person's items resolved in the window, divided by the number of
    distinct sprints among the person's items that were active in the window (created before
    its end and not resolved before its start). Only items carrying a sprint count, on both
    sides; an unestimated item adds 0 points. No value without such a sprint."""

    key = "story_points_per_sprint"
    label = "Story points per sprint"
    unit = "points per sprint"
    better = "higher"
    summary = "mean"
    source = "work"
    data_needed = "work items with sprint, story points and resolution time (Jira)"
    kind = "speed"
    counter_metrics = STABILITY_COUNTERS

    def _compute(self, data: DomainData, window: Window) -> FloatArray:
        w, n = data.work, data.n_persons
        in_sprint = w.sprint >= 0
        done = window.resolved & in_sprint
        points = _group_sum(w.person[done], np.nan_to_num(w.points[done]), n)
        active = window.active & in_sprint
        sprints = max(int(w.sprint.max(initial=-1)) + 1, 1)
        pairs = np.unique(w.person[active] * sprints + w.sprint[active])
        sprint_count = _group_count(pairs // sprints, n)
        return _ratio(points, sprint_count)


class Throughput(Metric):
    """Work items (issues and tickets) the person resolved in the window, per week of the
    window. Counted for persons with at least one item active in the window (created
    before its end and not resolved before its start), so someone who worked but finished
    nothing counts as 0, and someone with no tracked work has no value."""

    key = "throughput"
    label = "Throughput"
    unit = "items per person-week"
    better = "higher"
    summary = "mean"
    source = "work"
    data_needed = "work items with creation and resolution times"
    kind = "speed"
    counter_metrics = STABILITY_COUNTERS

    def _compute(self, data: DomainData, window: Window) -> FloatArray:
        w, n = data.work, data.n_persons
        resolved = _group_count(w.person[window.resolved], n)
        active = _group_count(w.person[window.active], n)
        values = _ratio(resolved, _weeks(window.start, window.end))
        values[active == 0] = np.nan
        return values


class CycleTime(Metric):
    """Median, over the person's issues resolved in the window, of the days from started_at
    (or created_at when the item was never marked started) to resolved_at. Negative spans
    (clock or import errors) count as 0."""

    key = "cycle_time"
    label = "Cycle time"
    unit = "days"
    better = "lower"
    summary = "median"
    source = "work"
    data_needed = "issues with start (or creation) and resolution times"
    kind = "speed"
    counter_metrics = STABILITY_COUNTERS

    def _compute(self, data: DomainData, window: Window) -> FloatArray:
        w = data.work
        keep = window.resolved & ~w.is_ticket
        began = np.where(np.isfinite(w.started), w.started, w.created)[keep]
        days = np.maximum(w.resolved[keep] - began, 0.0)
        return group_median(w.person[keep], days, data.n_persons)


class TimeToResolution(Metric):
    """Median, over the person's tickets resolved in the window, of the days from created_at
    to resolved_at (support and service tickets: the customer's wait). Negative spans count
    as 0."""

    key = "time_to_resolution"
    label = "Time to resolution"
    unit = "days"
    better = "lower"
    summary = "median"
    source = "work"
    data_needed = "tickets with creation and resolution times (Zendesk, ServiceNow)"
    kind = "speed"
    counter_metrics = STABILITY_COUNTERS

    def _compute(self, data: DomainData, window: Window) -> FloatArray:
        w = data.work
        keep = window.resolved & w.is_ticket
        days = np.maximum(w.resolved[keep] - w.created[keep], 0.0)
        return group_median(w.person[keep], days, data.n_persons)


class ReopenRate(Metric):
    """Share of the person's items (issues and tickets) resolved in the window that were
    reopened at least once (reopen_count >= 1), from 0 to 1. Items whose source cannot tell
    (no status history, no reopen count) are left out, not counted as never reopened."""

    key = "reopen_rate"
    label = "Reopen rate"
    unit = "share of resolved items"
    better = "lower"
    summary = "mean"
    source = "work"
    data_needed = "resolved work items with reopen counts"
    kind = "stability"

    def _compute(self, data: DomainData, window: Window) -> FloatArray:
        w, n = data.work, data.n_persons
        keep = window.resolved & ~np.isnan(w.reopens)
        reopened = (w.reopens[keep] >= 1).astype(np.float64)
        return _ratio(_group_sum(w.person[keep], reopened, n), _group_count(w.person[keep], n))


class ReworkCycles(Metric):
    """Mean rework_count (times an item went back from review or testing to in progress)
    per item of the person's resolved in the window, over items with a status history."""

    key = "rework_cycles"
    label = "Rework cycles"
    unit = "cycles per resolved item"
    better = "lower"
    summary = "mean"
    source = "work"
    data_needed = "resolved work items with rework counts (status transitions)"
    kind = "stability"

    def _compute(self, data: DomainData, window: Window) -> FloatArray:
        w, n = data.work, data.n_persons
        keep = window.resolved & ~np.isnan(w.reworks)
        return _ratio(
            _group_sum(w.person[keep], w.reworks[keep], n), _group_count(w.person[keep], n)
        )


class AiUsageIntensity(Metric):
    """Days in the window on which the person used any AI tool or app (one or more
    ai_usage_day rows), per week of the window: 0 to 7. Everyone in scope has a value, 0
    without usage, but only for windows starting on or after the first day the
    organisation has any usage data, since earlier days are unknown rather than idle."""

    key = "ai_usage_intensity"
    label = "AI usage intensity"
    unit = "active days per week"
    better = "higher"
    summary = "mean"
    source = "usage"
    data_needed = "AI-tool usage per person per day (GitHub Copilot, Microsoft 365 Copilot)"
    kind = "usage"
    monthly = False  # no "before": nobody used AI before adopting it

    def _compute(self, data: DomainData, window: Window) -> FloatArray:
        u, n = data.usage, data.n_persons
        start, end = window.start, window.end
        keep = (u.day >= start[u.person]) & (u.day < end[u.person])
        values = _group_count(u.person[keep], n) / _weeks(start, end)
        if u.coverage_start is None:
            values[:] = np.nan
        else:
            values[start < u.coverage_start] = np.nan
        return values


LEVELS = ("none", "minimal", "light", "moderate", "heavy")


@dataclass(frozen=True)
class LevelSplit:
    """Persons per usage level and the quartile cut points (active days per week) used."""

    cut_points: tuple[float, float, float]
    counts: dict[str, int]


def usage_levels(values: npt.ArrayLike) -> LevelSplit | None:
    """DX-style levels: none = 0 active days; then quartiles of intensity among users.

    minimal <= Q1 < light <= Q2 < moderate <= Q3 < heavy, where Q1..Q3 are the quartiles
    (linear interpolation) of the values above zero. Relative cut points keep four usage
    groups of similar size in any organisation; the cut points are reported with them.
    None when nobody used AI.
    """
    arr = np.asarray(values, dtype=np.float64)
    arr = arr[np.isfinite(arr)]
    users = arr[arr > 0]
    if users.size == 0:
        return None
    q1, q2, q3 = (float(q) for q in np.quantile(users, [0.25, 0.5, 0.75]))
    counts = {
        "none": int(np.sum(arr <= 0)),
        "minimal": int(np.sum(users <= q1)),
        "light": int(np.sum((users > q1) & (users <= q2))),
        "moderate": int(np.sum((users > q2) & (users <= q3))),
        "heavy": int(np.sum(users > q3)),
    }
    return LevelSplit((q1, q2, q3), counts)
