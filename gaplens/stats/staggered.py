"""Staggered adoption: group-time effects by adoption cohort (Callaway & Sant'Anna, 2021).

People adopt AI in different months. Comparing each adopter's before/after change with
non-users pivoted on some other date puts the two groups' windows in different calendar
months, so anything else that changed in between (a new process, a reorganisation, the
season) is counted as AI. This estimator compares like with like:

* ATT(g, t): for the cohort first treated in period g, the change in its mean outcome from
  a base period to period t, minus the same change, over the same two calendar periods,
  for a control group that is untreated in both: the never-treated, or the never-treated
  plus the cohorts not yet treated by then (first treated after max(t, base)).
* The base period of a post-adoption cell is the last period before g. For pre-adoption
  cells (placebos) it is the previous period ("varying", the default of the R `did`
  package) or the same last period before g ("universal", whose cell at g-1 is 0).
* Aggregations follow `did::aggte`: "simple" (post cells weighted by cohort size),
  "group" (each cohort's mean over its post cells, cohorts weighted by size), "dynamic"
  (the event study: effect by time since adoption, including negative times = placebos)
  and "calendar" (effect by period among the cohorts already treated).
* Windows of time since adoption (`windows`, e.g. months 1 to 5): the post cells whose
  event time lies in the window, weighted by cohort size as "simple" weights every post
  cell, with the adopters' level without AI over the same cells, so the window's speed-up
  is a ratio whose two parts are redrawn together (a survey's "AI tenure" band read
  against what the work data shows at that tenure).

Intervals are percentile intervals of a bootstrap that resamples *persons* with
replacement (all of a person's periods travel together) and recomputes every cell and
every aggregation, cohort weights included, so each figure carries the uncertainty of
everything it is built from. Draws are computed from per-cohort sums, one matrix product
per cohort per block of resamples: 2,000 persons x 24 periods x 999 resamples take about a
second.

Missing cells (a person with no value in a period, or NaN) are handled as the `differences`
package does for panels: a cell uses the persons observed in both of its periods. A cell
with no such treated or control person cannot be computed; it is left out and the
aggregations renormalise their weights over the cells that remain. A row whose outcome is
NaN counts as absent. Persons first treated in or before the first period they have a
value in are dropped (they have no untreated period); persons first treated after the
last period they have a value in count as never treated. On a balanced panel these are
the R `did` package's rules; per person, they are the `differences` package's.

Pure: arrays in, frozen dataclasses out, randomness from the caller's seeded generator.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

ControlGroup = Literal["never_treated", "not_yet_treated"]
BasePeriod = Literal["varying", "universal"]
CellRule = Callable[[int, int, "FloatArray", "FloatArray"], bool]
"""(cohort, period, treated changes, control changes) -> whether the cell may be estimated."""
PreTrendVerdict = Literal["none_detected", "diverging", "untestable"]

DEFAULT_RESAMPLES = 999
DEFAULT_PRE_TREND_ALPHA = 0.05
# Resampled person weights are built in blocks of at most this many cells (resamples x
# persons), so memory stays bounded whatever the panel's size.
_BLOCK_CELLS = 2_000_000

PRE_TREND_SENTENCES: dict[PreTrendVerdict, str] = {
    "none_detected": "Pre-trends: none detected (before adoption, adopters and their "
    "comparison group changed alike).",
    "diverging": "The groups were already diverging before adoption: do not trust the estimate.",
    "untestable": "Pre-trends could not be checked: no period before adoption can be compared.",
}


@dataclass(frozen=True)
class Effect:
    """One estimated effect with its bootstrap percentile interval.

    `key` is what it is the effect of: a cohort, an event time or a period (None for an
    overall figure).
    """

    key: int | None
    estimate: float
    low: float
    high: float


@dataclass(frozen=True)
class CellEffect:
    """ATT(g, t): cohort `cohort`'s effect in `period`, measured against `base_period`."""

    cohort: int
    period: int
    base_period: int
    event_time: int
    estimate: float
    low: float
    high: float
    n_treated: int
    n_control: int

    @property
    def post(self) -> bool:
        """Whether the cohort was already treated in this period."""
        return self.period >= self.cohort


@dataclass(frozen=True)
class Aggregation:
    """Effects by cohort, event time or period, and their overall average."""

    kind: Literal["group", "dynamic", "calendar"]
    overall: Effect
    effects: tuple[Effect, ...]

    def effect(self, key: int) -> Effect:
        """The effect for `key` (a cohort, event time or period)."""
        for item in self.effects:
            if item.key == key:
                return item
        raise KeyError(key)


@dataclass(frozen=True)
class PreTrendCheck:
    """Joint Wald test that every pre-adoption event-study effect is zero.

    The statistic uses the bootstrap covariance of the pre-adoption effects (event times
    below zero that are not zero by construction); `p_value` is from the chi-squared
    distribution with `dof` degrees of freedom (the covariance's rank).
    """

    verdict: PreTrendVerdict
    statistic: float
    dof: int
    p_value: float
    alpha: float

    @property
    def sentence(self) -> str:
        """The verdict in words, for the report."""
        return PRE_TREND_SENTENCES[self.verdict]


@dataclass(frozen=True)
class Ratio:
    """Effect / counterfactual level, with the ratio bootstrapped (both parts redrawn)."""

    estimate: float
    low: float
    high: float


Window = tuple[int, int | None]
"""Months since adoption from the first to the last, both included (None: no end)."""


@dataclass(frozen=True)
class WindowEffect:
    """The effect over the post cells whose time since adoption lies in `window`, the
    adopters' level without AI over the same cells, and their ratio (all bootstrapped from
    the same resamples); NaN where no cell of the window could be estimated."""

    window: Window
    effect: Effect
    counterfactual: Effect
    speed_up: Ratio


@dataclass(frozen=True)
class StaggeredResult:
    """Every group-time effect, its aggregations and the pre-trend check."""

    cells: tuple[CellEffect, ...]
    simple: Effect
    by_cohort: Aggregation
    by_event_time: Aggregation
    by_period: Aggregation
    pre_trends: PreTrendCheck
    counterfactual: Effect
    speed_up: Ratio
    by_window: tuple[WindowEffect, ...]
    control_group: ControlGroup
    base_period: BasePeriod
    n_persons: int
    n_dropped_already_treated: int
    cohort_sizes: tuple[tuple[int, int], ...]
    resamples: int
    confidence: float
    simple_draws: FloatArray = field(repr=False, compare=False)
    counterfactual_draws: FloatArray = field(repr=False, compare=False)

    def cell(self, cohort: int, period: int) -> CellEffect:
        """ATT(cohort, period)."""
        for item in self.cells:
            if item.cohort == cohort and item.period == period:
                return item
        raise KeyError((cohort, period))


# --------------------------------------------------------------------------- input


@dataclass(frozen=True)
class _Panel:
    periods: IntArray  # sorted period values
    values: FloatArray  # persons x periods, NaN where missing
    cohort: FloatArray  # per person: first treated period, inf if never
    n_dropped: int


def _as_vector(values: npt.ArrayLike, name: str, n: int | None = None) -> npt.NDArray[np.generic]:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    if n is not None and arr.size != n:
        raise ValueError(f"{name} has {arr.size} rows, person has {n}: one row each")
    return arr


def _whole_numbers(values: npt.NDArray[np.generic], name: str, *, allow_never: bool) -> FloatArray:
    try:
        arr = values.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numbers (period numbers, e.g. months)") from None
    never = (
        ~np.isfinite(arr) & (np.isnan(arr) | (arr > 0))
        if allow_never
        else np.zeros_like(arr, dtype=bool)
    )
    bad = ~never & (~np.isfinite(arr) | (arr != np.round(arr)))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name}: row {row} is {values[row].item()!r}, not a whole period number")
    return np.where(never, np.inf, arr)


def _panel(
    person: npt.ArrayLike,
    period: npt.ArrayLike,
    outcome: npt.ArrayLike,
    first_treated: npt.ArrayLike,
    *,
    keep_late_cohorts: bool = False,
) -> _Panel:
    person_arr = _as_vector(person, "person")
    n = person_arr.size
    period_f = _whole_numbers(_as_vector(period, "period", n), "period", allow_never=False)
    try:
        y = _as_vector(outcome, "outcome", n).astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError("outcome must be numbers (NaN where missing)") from None
    if np.isinf(y).any():
        row = int(np.flatnonzero(np.isinf(y))[0])
        raise ValueError(f"outcome: row {row} is infinite")
    cohort_rows = _whole_numbers(
        _as_vector(first_treated, "first_treated", n), "first_treated", allow_never=True
    )
    persons, pidx = np.unique(person_arr, return_inverse=True)
    # One first-treated period per person.
    order = np.argsort(pidx, kind="stable")
    same_person = pidx[order][1:] == pidx[order][:-1]
    differs = same_person & (cohort_rows[order][1:] != cohort_rows[order][:-1])
    if differs.any():
        at = int(np.flatnonzero(differs)[0])
        a, b = int(order[at]), int(order[at + 1])
        raise ValueError(
            f"first_treated: person {persons[pidx[a]].item()!r} has two values "
            f"({cohort_rows[a]:g} in row {a}, {cohort_rows[b]:g} in row {b})"
        )
    cohort = np.full(persons.size, np.inf)
    cohort[pidx] = cohort_rows
    # Rows with a missing outcome are absent cells; periods come from the observed rows.
    observed = ~np.isnan(y)
    if not observed.any():
        raise ValueError("outcome: no row has a value")
    periods = np.unique(period_f[observed]).astype(np.int64)
    if periods.size < 2:
        raise ValueError("period: at least two periods with values are needed")
    tpos = np.searchsorted(periods, period_f)
    key = pidx[observed] * periods.size + tpos[observed]
    uniq, counts = np.unique(key, return_counts=True)
    if (counts > 1).any():
        dup_key = uniq[np.flatnonzero(counts > 1)[0]]
        rows = np.flatnonzero(observed)[key == dup_key][:2]
        raise ValueError(
            f"rows {int(rows[0])} and {int(rows[1])} are both person "
            f"{persons[pidx[rows[0]]].item()!r} in period {int(period_f[rows[0]])}: one row each"
        )
    values = np.full((persons.size, periods.size), np.nan)
    values[pidx[observed], tpos[observed]] = y[observed]
    seen = np.isfinite(values)
    keep = seen.any(axis=1)
    values, cohort, seen = values[keep], cohort[keep], seen[keep]
    first_seen = periods[np.argmax(seen, axis=1)]
    last_seen = periods[periods.size - 1 - np.argmax(seen[:, ::-1], axis=1)]
    # Per person, as the `differences` package does (on a balanced panel these are the R
    # package's rules): first treated after their last value, they are untreated
    # whenever seen, so never treated; treated by their first value, they have no
    # untreated period to compare with, so they are dropped.
    if not keep_late_cohorts:
        cohort = np.where(cohort > last_seen, np.inf, cohort)
    early = cohort <= first_seen
    return _Panel(periods, values[~early], cohort[~early], int(early.sum()))


# --------------------------------------------------------------------------- cells


@dataclass(frozen=True)
class _Cells:
    cohort: IntArray  # per cell: cohort value
    cohort_group: IntArray  # per cell: index of its cohort among the groups
    t_pos: IntArray
    base_pos: IntArray
    pair: IntArray  # per cell: index into the unique (base, t) pairs
    pair_t: IntArray
    pair_base: IntArray
    control: BoolArray  # cells x groups: which groups are controls
    zero: BoolArray  # universal base period's reference cell (0 by construction)
    event_time: IntArray
    post: BoolArray


def _cells(
    periods: IntArray, cohorts: IntArray, control_group: ControlGroup, base_period: BasePeriod
) -> _Cells:
    """The (g, t) cells and their base periods, as the R `did` package enumerates them.

    Groups are the cohorts in order, then the never-treated as the last group.
    """
    group_value = np.append(cohorts.astype(np.float64), np.inf)
    rows: list[tuple[int, int, int, int, bool]] = []
    for k, g in enumerate(cohorts.tolist()):
        last_before = int(np.searchsorted(periods, g, side="left")) - 1
        first = 1 if base_period == "varying" else 0
        for t in range(first, periods.size):
            post = periods[t] >= g
            base = t - 1 if base_period == "varying" and not post else last_before
            rows.append((g, k, t, base, base == t))
    cohort = np.array([r[0] for r in rows], dtype=np.int64)
    group = np.array([r[1] for r in rows], dtype=np.int64)
    t_pos = np.array([r[2] for r in rows], dtype=np.int64)
    base_pos = np.array([r[3] for r in rows], dtype=np.int64)
    zero = np.array([r[4] for r in rows], dtype=bool)
    pairs, pair = np.unique(np.stack([base_pos, t_pos], axis=1), axis=0, return_inverse=True)
    later = np.maximum(periods[t_pos], periods[base_pos]).astype(np.float64)
    if control_group == "never_treated":
        control = np.broadcast_to(np.isinf(group_value), (cohort.size, group_value.size)).copy()
    else:
        control = (group_value[None, :] > later[:, None]) & (
            group_value[None, :] != cohort[:, None]
        )
    return _Cells(
        cohort=cohort,
        cohort_group=group,
        t_pos=t_pos,
        base_pos=base_pos,
        pair=pair.reshape(-1).astype(np.int64),
        pair_t=pairs[:, 1].astype(np.int64),
        pair_base=pairs[:, 0].astype(np.int64),
        control=control,
        zero=zero,
        event_time=(periods[t_pos] - cohort).astype(np.int64),
        post=periods[t_pos] >= cohort,
    )


# ----------------------------------------------------------------------- estimates


@dataclass(frozen=True)
class _Draws:
    """Every figure for a batch of person weightings (row 0 of the point is the data)."""

    cells: FloatArray  # batch x cells
    simple: FloatArray  # batch
    group: FloatArray  # batch x cohorts
    group_overall: FloatArray
    dynamic: FloatArray  # batch x event times
    dynamic_overall: FloatArray
    calendar: FloatArray  # batch x periods
    calendar_overall: FloatArray
    counterfactual: FloatArray  # batch
    window: FloatArray  # batch x windows
    window_counterfactual: FloatArray  # batch x windows


def _weighted_mean(values: FloatArray, weights: FloatArray, member: FloatArray) -> FloatArray:
    """Per batch row, the `weights`-weighted mean of the finite `values` in each column
    of `member` (cells x keys); NaN where a key has no finite value."""
    finite = np.isfinite(values)
    num = np.where(finite, values * weights, 0.0) @ member
    den = np.where(finite, weights, 0.0) @ member
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = num / den
    return out


def _nanmean_rows(values: FloatArray) -> FloatArray:
    finite = np.isfinite(values)
    count = finite.sum(axis=1)
    total = np.where(finite, values, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = total / count
    return out


@dataclass(frozen=True)
class _Design:
    panel: _Panel
    cells: _Cells
    groups: list[IntArray]  # person indices per group (cohorts..., never)
    change: list[FloatArray]  # per group: persons x pairs, 0 where not observed in both
    valid: list[FloatArray]  # per group: persons x pairs, 1 where observed in both
    level: list[FloatArray]  # per group: persons x pairs, outcome at t (0 if invalid)
    event_times: IntArray
    group_member: FloatArray  # cells x cohorts (post cells only)
    dynamic_member: FloatArray  # cells x event times
    calendar_periods: IntArray
    calendar_member: FloatArray  # cells x periods (post cells only)
    window_member: FloatArray  # cells x windows (post cells only)
    withheld: BoolArray  # cells a caller's rule left out: NaN in the point and every draw


def _withheld(
    cells: _Cells,
    periods: IntArray,
    change: list[FloatArray],
    valid: list[FloatArray],
    rule: CellRule | None,
) -> BoolArray:
    out = np.zeros(cells.cohort.size, dtype=bool)
    if rule is None:
        return out
    for i in range(cells.cohort.size):
        if cells.zero[i]:
            continue
        p = cells.pair[i]
        k = cells.cohort_group[i]
        treated = change[k][valid[k][:, p] > 0, p]
        control = np.concatenate(
            [change[g][valid[g][:, p] > 0, p] for g in np.flatnonzero(cells.control[i]).tolist()]
            or [np.empty(0)]
        )
        out[i] = not rule(int(cells.cohort[i]), int(periods[cells.t_pos[i]]), treated, control)
    return out


def _design(
    panel: _Panel,
    control_group: ControlGroup,
    base_period: BasePeriod,
    rule: CellRule | None = None,
    windows: tuple[Window, ...] = (),
) -> _Design:
    cohorts = np.unique(panel.cohort[np.isfinite(panel.cohort)]).astype(np.int64)
    if cohorts.size == 0:
        raise ValueError("first_treated: nobody is first treated within the panel's periods")
    if control_group == "never_treated" and not np.isinf(panel.cohort).any():
        raise ValueError(
            "first_treated: nobody is never treated; use control_group='not_yet_treated'"
        )
    cells = _cells(panel.periods, cohorts, control_group, base_period)
    group_value = np.append(cohorts.astype(np.float64), np.inf)
    groups = [np.flatnonzero(panel.cohort == value) for value in group_value]
    change, valid, level = [], [], []
    for members in groups:
        y = panel.values[members]
        at_t, at_base = y[:, cells.pair_t], y[:, cells.pair_base]
        ok = np.isfinite(at_t) & np.isfinite(at_base)
        change.append(np.where(ok, at_t - at_base, 0.0))
        valid.append(ok.astype(np.float64))
        level.append(np.where(ok, at_t, 0.0))
    post = cells.post.astype(np.float64)
    group_member = (cells.cohort_group[:, None] == np.arange(cohorts.size)[None, :]) * post[:, None]
    event_times = np.unique(cells.event_time)
    dynamic_member = (cells.event_time[:, None] == event_times[None, :]).astype(np.float64)
    calendar_periods = panel.periods[panel.periods >= cohorts.min()]
    calendar_member = (panel.periods[cells.t_pos][:, None] == calendar_periods[None, :]) * post[
        :, None
    ]
    window_member = np.zeros((cells.cohort.size, len(windows)), dtype=np.float64)
    for j, (first, last) in enumerate(windows):
        inside = cells.post & (cells.event_time >= first)
        if last is not None:
            inside &= cells.event_time <= last
        window_member[:, j] = inside
    return _Design(
        panel=panel,
        cells=cells,
        groups=groups,
        change=change,
        valid=valid,
        level=level,
        event_times=event_times,
        group_member=group_member.astype(np.float64),
        dynamic_member=dynamic_member,
        calendar_periods=calendar_periods,
        calendar_member=calendar_member.astype(np.float64),
        window_member=window_member,
        withheld=_withheld(cells, panel.periods, change, valid, rule),
    )


def _evaluate(design: _Design, weights: FloatArray) -> _Draws:
    """Every figure for each row of `weights` (batch x persons: how often each person is
    drawn; a row of ones is the data itself)."""
    cells = design.cells
    sums, counts, levels, sizes = [], [], [], []
    for members, change, valid, level in zip(
        design.groups, design.change, design.valid, design.level, strict=True
    ):
        w = weights[:, members]
        sums.append(w @ change)
        counts.append(w @ valid)
        levels.append(w @ level)
        sizes.append(w.sum(axis=1))
    s = np.stack(sums, axis=1)  # batch x groups x pairs
    c = np.stack(counts, axis=1)
    lv = np.stack(levels, axis=1)
    size = np.stack(sizes, axis=1)  # batch x groups
    k = cells.cohort_group
    pair = cells.pair
    t_sum, t_count, t_level = s[:, k, pair], c[:, k, pair], lv[:, k, pair]
    control = cells.control.astype(np.float64)  # cells x groups
    c_sum = np.einsum("bgc,cg->bc", s[:, :, pair], control)
    c_count = np.einsum("bgc,cg->bc", c[:, :, pair], control)
    with np.errstate(invalid="ignore", divide="ignore"):
        att = t_sum / t_count - c_sum / c_count
        treated_level = t_level / t_count
    att = np.where(cells.zero[None, :], 0.0, att)
    att = np.where(design.withheld[None, :], np.nan, att)
    cohort_size = size[:, k]  # batch x cells: the cell's cohort size (pg)
    post = cells.post
    post_member = post.astype(np.float64)[:, None]
    simple = _weighted_mean(att, cohort_size, post_member)[:, 0]
    counterfactual = _weighted_mean(treated_level - att, cohort_size, post_member)[:, 0]
    group = _weighted_mean(att, np.ones_like(att), design.group_member)
    group_overall = _weighted_mean(
        group, size[:, :-1], np.ones((group.shape[1], 1), dtype=np.float64)
    )[:, 0]
    dynamic = _weighted_mean(att, cohort_size, design.dynamic_member)
    dynamic_overall = _nanmean_rows(dynamic[:, design.event_times >= 0])
    calendar = _weighted_mean(att, cohort_size, design.calendar_member)
    calendar_overall = _nanmean_rows(calendar)
    window = _weighted_mean(att, cohort_size, design.window_member)
    window_counterfactual = _weighted_mean(treated_level - att, cohort_size, design.window_member)
    return _Draws(
        cells=att,
        simple=simple,
        group=group,
        group_overall=group_overall,
        dynamic=dynamic,
        dynamic_overall=dynamic_overall,
        calendar=calendar,
        calendar_overall=calendar_overall,
        counterfactual=counterfactual,
        window=window,
        window_counterfactual=window_counterfactual,
    )


def _resample_weights(rng: np.random.Generator, resamples: int, persons: int) -> FloatArray:
    """How often each person is drawn in each of `resamples` with-replacement resamples."""
    idx = rng.integers(0, persons, size=(resamples, persons))
    idx += (np.arange(resamples) * persons)[:, None]
    counts = np.bincount(idx.ravel(), minlength=resamples * persons)
    return counts.reshape(resamples, persons).astype(np.float64)


def _bootstrap(design: _Design, rng: np.random.Generator, resamples: int) -> _Draws:
    persons = design.panel.values.shape[0]
    block = max(1, _BLOCK_CELLS // persons)
    parts: list[_Draws] = []
    for start in range(0, resamples, block):
        rows = min(block, resamples - start)
        parts.append(_evaluate(design, _resample_weights(rng, rows, persons)))
    return _Draws(
        **{
            name: np.concatenate([getattr(p, name) for p in parts], axis=0)
            for name in _Draws.__dataclass_fields__
        }
    )


def _interval(draws: FloatArray, confidence: float) -> tuple[FloatArray, FloatArray]:
    alpha = 1.0 - confidence
    finite = np.isfinite(draws)
    low = np.full(draws.shape[1:], np.nan)
    high = np.full(draws.shape[1:], np.nan)
    if draws.ndim == 1:
        if finite.any():
            lo, hi = np.quantile(draws[finite], [alpha / 2.0, 1.0 - alpha / 2.0])
            return np.asarray(lo), np.asarray(hi)
        return low, high
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns stay NaN
        lo_hi = np.nanquantile(draws, [alpha / 2.0, 1.0 - alpha / 2.0], axis=0)
    return lo_hi[0], lo_hi[1]


def _effects(
    keys: npt.NDArray[np.int64] | list[int | None],
    point: FloatArray,
    draws: FloatArray,
    confidence: float,
) -> tuple[Effect, ...]:
    low, high = _interval(draws, confidence)
    return tuple(
        Effect(None if key is None else int(key), float(p), float(lo), float(hi))
        for key, p, lo, hi in zip(keys, point, low, high, strict=True)
    )


def _one(point: FloatArray, draws: FloatArray, confidence: float) -> Effect:
    return _effects([None], point.reshape(1), draws.reshape(-1, 1), confidence)[0]


def pre_trend_check(
    event_times: npt.ArrayLike,
    point: npt.ArrayLike,
    draws: npt.ArrayLike,
    *,
    alpha: float = DEFAULT_PRE_TREND_ALPHA,
) -> PreTrendCheck:
    """Joint Wald test of the pre-adoption event-study effects against zero.

    Rule: take the effects at negative event times (placebos: the adopters' change minus
    the controls' over periods when nobody in the cohort had adopted yet), leaving out
    those that are zero by construction; W = theta' S^+ theta with S the bootstrap
    covariance (S^+ its pseudo-inverse) is compared with chi-squared(rank S). p < alpha:
    "diverging"; otherwise "none detected"; no testable pre-period: "untestable". A
    non-significant result is not proof of parallel trends (the test may lack power);
    the event study's placebo intervals show how large a divergence could hide.
    """
    e = np.asarray(event_times, dtype=np.int64)
    theta = np.asarray(point, dtype=np.float64)
    d = np.asarray(draws, dtype=np.float64)
    pre = (e < 0) & np.isfinite(theta)
    if d.ndim != 2 or d.shape[1] != e.size or theta.shape != e.shape:
        raise ValueError("draws must be resamples x event times, point one per event time")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN column has no spread
        pre &= np.nan_to_num(np.nanstd(d, axis=0)) > 1e-12
    sub = d[:, pre]
    sub = sub[np.isfinite(sub).all(axis=1)]
    if not pre.any() or sub.shape[0] < 2:
        return PreTrendCheck("untestable", math.nan, 0, math.nan, alpha)
    if sub.shape[0] < 2:
        return PreTrendCheck("untestable", math.nan, 0, math.nan, alpha)
    cov = np.atleast_2d(np.cov(sub, rowvar=False))
    rank = int(np.linalg.matrix_rank(cov))
    if rank == 0:
        return PreTrendCheck("untestable", math.nan, 0, math.nan, alpha)
    stat = float(theta[pre] @ np.linalg.pinv(cov) @ theta[pre])
    from scipy.special import chdtrc  # `stats.chi2.sf` bit for bit, without `scipy.stats`

    p = float(chdtrc(rank, stat))
    verdict: PreTrendVerdict = "diverging" if p < alpha else "none_detected"
    return PreTrendCheck(verdict, stat, rank, p, alpha)


def ratio_interval(
    numerator: float,
    numerator_draws: npt.ArrayLike,
    denominator: float,
    denominator_draws: npt.ArrayLike,
    *,
    confidence: float = 0.95,
) -> Ratio:
    """numerator / denominator with the percentile interval of the per-resample ratios.

    Both draws must come from the same resamples (draw i of each from resample i), so
    the interval carries the uncertainty of both parts and their correlation, not that
    of the numerator alone as if the denominator were known exactly.
    """
    num = np.asarray(numerator_draws, dtype=np.float64)
    den = np.asarray(denominator_draws, dtype=np.float64)
    if num.shape != den.shape or num.ndim != 1:
        raise ValueError("numerator and denominator draws must pair up, one per resample")
    with np.errstate(invalid="ignore", divide="ignore"):
        ratios = num / den
    ratios = ratios[np.isfinite(ratios)]
    estimate = numerator / denominator if denominator != 0 else math.nan
    if ratios.size == 0:
        return Ratio(estimate, math.nan, math.nan)
    alpha = 1.0 - confidence
    low, high = np.quantile(ratios, [alpha / 2.0, 1.0 - alpha / 2.0])
    return Ratio(float(estimate), float(low), float(high))


def _window_effect(
    window: Window, point: _Draws, draws: _Draws, j: int, confidence: float
) -> WindowEffect:
    effect = _one(point.window[:, j], draws.window[:, j], confidence)
    level = _one(point.window_counterfactual[:, j], draws.window_counterfactual[:, j], confidence)
    return WindowEffect(
        window=window,
        effect=effect,
        counterfactual=level,
        speed_up=ratio_interval(
            effect.estimate,
            draws.window[:, j],
            level.estimate,
            draws.window_counterfactual[:, j],
            confidence=confidence,
        ),
    )


def staggered_did(
    person: npt.ArrayLike,
    period: npt.ArrayLike,
    outcome: npt.ArrayLike,
    first_treated: npt.ArrayLike,
    rng: np.random.Generator,
    *,
    control_group: ControlGroup = "never_treated",
    base_period: BasePeriod = "varying",
    resamples: int = DEFAULT_RESAMPLES,
    confidence: float = 0.95,
    pre_trend_alpha: float = DEFAULT_PRE_TREND_ALPHA,
    cell_rule: CellRule | None = None,
    keep_late_cohorts: bool = False,
    windows: tuple[Window, ...] = (),
) -> StaggeredResult:
    """Group-time effects of a staggered adoption and their aggregations.

    One row per person and period: `person` (any ids), `period` (whole period numbers,
    e.g. months counted from some start), `outcome` (NaN where missing) and
    `first_treated` (the person's first treated period, the same on all their rows; NaN
    or +inf for never treated). Unconditional parallel trends, no covariates, no
    anticipation.

    `cell_rule` (cohort, period, the treated and the control persons' changes) says whether
    a cell may be estimated at all; a cell it refuses is left out of the point estimate and
    of every resample alike, and the aggregations renormalise over the rest (a release
    withholds cells of too few people this way). `keep_late_cohorts`: a person first
    treated after their last value keeps their cohort instead of counting as never treated,
    so a person's role cannot change when a later month adds a value of theirs.
    `windows`: spans of time since adoption to aggregate over (`StaggeredResult.by_window`,
    in the same order).
    """
    if control_group not in ("never_treated", "not_yet_treated"):
        raise ValueError(
            f"control_group must be 'never_treated' or 'not_yet_treated', got {control_group!r}"
        )
    if base_period not in ("varying", "universal"):
        raise ValueError(f"base_period must be 'varying' or 'universal', got {base_period!r}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    if resamples < 2:
        raise ValueError(f"resamples must be at least 2, got {resamples!r}")
    for first, last in windows:
        if first < 0 or (last is not None and last < first):
            raise ValueError(
                f"window ({first}, {last}): months since adoption from 0 up, first <= last"
            )
    panel = _panel(person, period, outcome, first_treated, keep_late_cohorts=keep_late_cohorts)
    design = _design(panel, control_group, base_period, cell_rule, tuple(windows))
    persons = panel.values.shape[0]
    point = _evaluate(design, np.ones((1, persons)))
    draws = _bootstrap(design, rng, resamples)
    cells = design.cells
    cell_low, cell_high = _interval(draws.cells, confidence)
    valid_counts = np.stack([v.sum(axis=0) for v in design.valid], axis=0)  # groups x pairs
    t_obs = valid_counts[cells.cohort_group, cells.pair].astype(np.int64)
    c_obs = (valid_counts[:, cells.pair].T * cells.control).sum(axis=1).astype(np.int64)
    cell_effects = tuple(
        CellEffect(
            cohort=int(cells.cohort[i]),
            period=int(panel.periods[cells.t_pos[i]]),
            base_period=int(panel.periods[cells.base_pos[i]]),
            event_time=int(cells.event_time[i]),
            estimate=float(point.cells[0, i]),
            low=float(cell_low[i]),
            high=float(cell_high[i]),
            n_treated=int(t_obs[i]),
            n_control=int(c_obs[i]),
        )
        for i in range(cells.cohort.size)
    )
    cohorts = np.unique(cells.cohort)
    simple = _one(point.simple, draws.simple, confidence)
    counterfactual = _one(point.counterfactual, draws.counterfactual, confidence)
    by_cohort = Aggregation(
        "group",
        _one(point.group_overall, draws.group_overall, confidence),
        _effects(cohorts, point.group[0], draws.group, confidence),
    )
    by_event_time = Aggregation(
        "dynamic",
        _one(point.dynamic_overall, draws.dynamic_overall, confidence),
        _effects(design.event_times, point.dynamic[0], draws.dynamic, confidence),
    )
    by_period = Aggregation(
        "calendar",
        _one(point.calendar_overall, draws.calendar_overall, confidence),
        _effects(design.calendar_periods, point.calendar[0], draws.calendar, confidence),
    )
    sizes = tuple(
        (int(g), int(members.size)) for g, members in zip(cohorts, design.groups[:-1], strict=True)
    )
    return StaggeredResult(
        cells=cell_effects,
        simple=simple,
        by_cohort=by_cohort,
        by_event_time=by_event_time,
        by_period=by_period,
        pre_trends=pre_trend_check(
            design.event_times, point.dynamic[0], draws.dynamic, alpha=pre_trend_alpha
        ),
        counterfactual=counterfactual,
        speed_up=ratio_interval(
            simple.estimate,
            draws.simple,
            counterfactual.estimate,
            draws.counterfactual,
            confidence=confidence,
        ),
        by_window=tuple(
            _window_effect(window, point, draws, j, confidence) for j, window in enumerate(windows)
        ),
        control_group=control_group,
        base_period=base_period,
        n_persons=persons,
        n_dropped_already_treated=panel.n_dropped,
        cohort_sizes=sizes,
        resamples=resamples,
        confidence=confidence,
        simple_draws=draws.simple,
        counterfactual_draws=draws.counterfactual,
    )
