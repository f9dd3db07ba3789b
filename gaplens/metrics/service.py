"""Leadership metrics for a scope: current value, before/after adoption, DiD, AI tenure.

Each call loads the domain tables it needs once (persons, teams, then work items and/or AI
usage days of the persons in scope, only the columns the metrics read), and everything else
is numpy over those columns, so all metrics for a 10,000-person organisation over a year
take seconds. Services take the caller's session and never commit.

Windows are half-open day ranges. `as_of` is the last day observed, so the current window is
the `window_days` days ending with it. A person's before window is the `window_days` days
before their pivot (their adoption date); the after window starts `ramp_days` later, skipping
the weeks when people are still learning the tool, and must have ended by `as_of`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import zlib
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

from gaplens.metrics.definitions import (
    LEVELS,
    DomainData,
    Metric,
    Window,
    group_median,
    usage_levels,
)
from gaplens.metrics.queries import (
    PersonRows,
    TeamRows,
    UsageRows,
    WorkRows,
    day_number,
    day_of,
    load_persons,
    load_teams,
    load_usage,
    load_work,
    person_bound,
    scope_filter,
)
from gaplens.metrics.registry import REGISTRY, get_metric
from gaplens.metrics.schemas import (
    MetricDefinition,
    MetricFigure,
    MetricOverview,
    MetricScope,
    TeamBreakdown,
    TeamFigure,
    UsageLevels,
)
from gaplens.privacy import PrivacyPolicy, suppress_breakdown
from gaplens.stats.did import (
    DEFAULT_RESAMPLES,
    NotEnoughData,
    change_and_did,
    summarise,
    two_group_difference,
)
from gaplens.stats.intervals import mean_interval

if TYPE_CHECKING:
    from gaplens.metrics.prefetch import WorkPrefetch

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

DEFAULT_WINDOW_DAYS = 90
DEFAULT_RAMP_DAYS = 14
DEFAULT_TENURE_MONTHS = 6


@dataclass(frozen=True)
class Settings:
    """How the figures are computed; one object so every metric in a call agrees."""

    as_of: dt.date
    window_days: int = DEFAULT_WINDOW_DAYS
    ramp_days: int = DEFAULT_RAMP_DAYS
    tenure_months: int = DEFAULT_TENURE_MONTHS
    policy: PrivacyPolicy = field(default_factory=PrivacyPolicy)
    resamples: int = DEFAULT_RESAMPLES
    seed: int = 0

    def __post_init__(self) -> None:
        if self.window_days < 1:
            raise ValueError(f"window_days must be at least 1, got {self.window_days}")
        if self.ramp_days < 0:
            raise ValueError(f"ramp_days must not be negative, got {self.ramp_days}")
        if self.tenure_months < 1:
            raise ValueError(f"tenure_months must be at least 1, got {self.tenure_months}")

    @property
    def end(self) -> int:
        """Day number just after the last observed day."""
        return day_number(self.as_of) + 1

    @property
    def min_persons(self) -> int:
        # The privacy floor is 5, the statistical minimum too; a stricter policy wins.
        return self.policy.min_group_size

    def rng(self, metric: Metric) -> np.random.Generator:
        """Seeded per metric, so adding a metric never changes another's intervals."""
        return np.random.default_rng([self.seed, zlib.crc32(metric.key.encode())])


@dataclass(frozen=True)
class _Population:
    """The persons of the loaded scope (indexed 0..n-1, in id order) with their rows."""

    scope: MetricScope
    teams: TeamRows
    ids: list[str]
    team_ids: IntArray
    functions: npt.NDArray[np.object_]
    adoption: FloatArray
    pivot: FloatArray
    data: DomainData
    sources: frozenset[str]
    since: float
    """Day number of the first day the rows cover (they cover [since, until))."""
    until: float


@dataclass(frozen=True)
class _Values:
    """One metric's per-person values over the three windows, for every loaded person."""

    before: FloatArray
    after: FloatArray
    current: FloatArray


def _months_before(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _pivots(persons: PersonRows, as_of: dt.date) -> FloatArray:
    return pivots_of(persons.adoption, persons.team_ids, as_of)


def pivots_of(adoption: FloatArray, teams: IntArray, as_of: dt.date) -> FloatArray:
    """Each person's pivot day: their own adoption date, or for non-users a pseudo-pivot.

    A non-user's pseudo-pivot is the median adoption date of the AI users in their own team
    (the rollout reached teams at different times), else of all the organisation's users,
    so both groups are compared over the same stretch of calendar time. It is taken over
    every adoption date known, whatever `as_of`, so a non-user's windows (and values) are
    the same in every month's release: a release admits them once with those values
    (gaplens/releases/measured). People whose adoption date lies after `as_of` are neither
    users nor non-users yet: NaN.
    """
    known = np.isfinite(adoption)
    with np.errstate(invalid="ignore"):
        user = known & (adoption <= day_number(as_of))
    pivot = np.where(user, adoption, np.nan)
    non_user = ~known
    if not known.any():
        return pivot
    team_codes, team_index = np.unique(teams, return_inverse=True)
    by_team = np.floor(
        group_median(team_index[known].astype(np.int64), adoption[known], team_codes.size)
    )
    overall = float(np.floor(np.median(adoption[known])))
    pseudo = np.where(np.isfinite(by_team[team_index]), by_team[team_index], overall)
    pivot[non_user] = pseudo[non_user]
    return pivot


PendingWork = Callable[[], WorkRows]
"""Work rows still being loaded (by a child process): called once, when first needed."""


def _load(
    session: Session,
    scope: MetricScope,
    settings: Settings,
    sources: frozenset[str],
    prefetch: WorkPrefetch | None = None,
    *,
    share: float = 1.0,
    earliest: dt.date | None = None,
    adopted: Mapping[str, dt.date] | None = None,
) -> tuple[_Population, PendingWork | None]:
    """The scope's persons and rows. With `prefetch`, the work rows are left pending: the
    returned callable loads this process's share of them (if the child loads only the
    first `prefetch.share` of the persons) and takes the child's, or loads those too if
    the child failed or loaded another span. `share`: load only the work rows of that
    share of the persons (what the child runs)."""
    teams = load_teams(session, scope.organisation_id)
    subtree: set[int] | None = None
    if scope.team_id is not None:
        if scope.team_id not in set(teams.ids.tolist()):
            raise ValueError(f"team {scope.team_id} is not in organisation {scope.organisation_id}")
        subtree = teams.subtree(scope.team_id)
    persons = load_persons(session, scope.organisation_id)
    if adopted:
        for i, person in enumerate(persons.ids):
            if person in adopted and np.isnan(persons.adoption[i]):
                persons.adoption[i] = day_number(adopted[person])
    pivot_all = _pivots(persons, settings.as_of)
    functions = np.array(persons.functions, dtype=object)

    in_scope = np.ones(len(persons.ids), dtype=np.bool_)
    if subtree is not None:
        in_scope &= np.isin(persons.team_ids, sorted(subtree))
    if scope.function is not None:
        in_scope &= functions == scope.function
    positions = np.flatnonzero(in_scope)
    ids = [persons.ids[i] for i in positions]
    pivot = pivot_all[positions]

    starts = pivot[np.isfinite(pivot)] - settings.window_days
    first_end = settings.end if earliest is None else min(settings.end, day_number(earliest) + 1)
    since = day_of(min(starts.min(initial=np.inf), first_end - settings.window_days))
    until = day_of(settings.end)
    people = scope_filter(scope.organisation_id, subtree, scope.function)
    work = WorkRows.empty()
    pending: PendingWork | None = None
    usage = UsageRows(np.empty(0, np.int64), np.empty(0, np.float64), None)
    if ids and "work" in sources:
        n = len(ids)
        bound = person_bound(n, share if prefetch is None else prefetch.share)
        first = None if bound >= n else (0, bound)
        if prefetch is None:
            work = load_work(session, people, since, until, first)
        else:
            span = (scope, settings, since, until, first)

            def pending() -> WorkRows:
                rest = (
                    None if first is None else load_work(session, people, since, until, (bound, n))
                )
                head = prefetch.take(*span)
                if head is None:
                    head = load_work(session, people, since, until, first)
                return head if rest is None else WorkRows.concat([head, rest])

    if ids and "usage" in sources:
        usage = load_usage(session, people, scope.organisation_id, since, until)
    population = _Population(
        scope=scope,
        teams=teams,
        ids=ids,
        team_ids=persons.team_ids[positions],
        functions=functions[positions],
        adoption=persons.adoption[positions],
        pivot=pivot,
        data=DomainData(n_persons=len(ids), work=work, usage=usage),
        sources=sources,
        since=float(day_number(since)),
        until=float(day_number(until)),
    )
    return population, pending


def _summary_figure(
    metric: Metric, values: FloatArray, settings: Settings, rng: np.random.Generator
) -> MetricFigure:
    """The scope's mean (t interval) or median (bootstrap interval) of per-person values."""
    method = f"{metric.summary} of per-person values"
    values = values[np.isfinite(values)]
    if values.size == 0:
        return MetricFigure.missing(method, "no persons with data")
    if values.size < settings.min_persons:
        return MetricFigure.missing(method, f"fewer than {settings.min_persons} persons")
    if metric.summary == "mean":
        mean = mean_interval(values.tolist())
        return MetricFigure(
            method=method,
            value=mean.value,
            low=mean.low,
            high=mean.high,
            n={"persons": values.size},
        )
    result = summarise(
        values,
        rng,
        statistic="median",
        resamples=settings.resamples,
        min_persons=settings.min_persons,
    )
    assert not isinstance(result, NotEnoughData)  # sizes checked above
    return MetricFigure(
        method=method,
        value=result.estimate,
        low=result.low,
        high=result.high,
        n={"persons": result.n},
    )


@dataclass(frozen=True)
class _Windows:
    """Each person's before, after and current windows, shared by every metric."""

    before: Window
    after: Window
    current: Window

    @classmethod
    def of(cls, population: _Population, settings: Settings) -> _Windows:
        data, pivot = population.data, population.pivot
        w, r = settings.window_days, settings.ramp_days
        return cls(
            before=Window(data, pivot - w, pivot),
            after=Window(data, pivot + r, pivot + r + w),
            current=Window(data, settings.end - w, settings.end),
        )


def _values(metric: Metric, windows: _Windows) -> _Values:
    return _Values(
        before=metric.over(windows.before),
        after=metric.over(windows.after),
        current=metric.over(windows.current),
    )


def _values_on_threads(metrics: Sequence[Metric], windows: _Windows) -> dict[str, _Values]:
    """`_values` of each metric, every (metric, window) pair a task for two threads. The
    windows' work-item masks, which every work metric shares, are worked out first, one
    window per task, so no two tasks compute the same mask."""
    spans = (windows.before, windows.after, windows.current)
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="gaplens-metrics") as pool:
        if any(metric.source == "work" for metric in metrics):
            list(pool.map(Window.prepare, spans))
        tasks = {
            metric.key: [pool.submit(metric.over, span) for span in spans] for metric in metrics
        }
        return {
            key: _Values(*(task.result() for task in window_tasks))
            for key, window_tasks in tasks.items()
        }


@dataclass(frozen=True)
class Contributors:
    """Who each figure of a metric is about: boolean masks over the persons whose values are
    given. `contributors` gives everyone with data."""

    current: BoolArray
    treated: BoolArray
    """AI users with values before and after adoption (windows ended by `as_of`)."""
    control: BoolArray
    """Non-users with values around their pseudo-adoption date."""
    veteran: BoolArray
    """Users whose after window has ended, of `tenure_months` or more at `as_of`, with a
    current value."""
    newer: BoolArray
    """The same, of less."""

    def restricted(self, mask: BoolArray) -> Contributors:
        return Contributors(
            self.current & mask,
            self.treated & mask,
            self.control & mask,
            self.veteran & mask,
            self.newer & mask,
        )


def tenure_bands(
    pivot: FloatArray, adoption: FloatArray, settings: Settings
) -> tuple[BoolArray, BoolArray]:
    """(veteran, newer): AI users whose after window has ended by `as_of` (so their current
    window lies wholly after adoption and the ramp), split at `tenure_months` of use."""
    with np.errstate(invalid="ignore"):
        complete = pivot + settings.ramp_days + settings.window_days <= settings.end
        veteran = adoption <= day_number(_months_before(settings.as_of, settings.tenure_months))
    users = np.isfinite(adoption) & np.isfinite(pivot) & complete
    return users & veteran, users & ~veteran


def contributors(
    values: _Values, pivot: FloatArray, adoption: FloatArray, settings: Settings
) -> Contributors:
    """Everyone with data for each figure."""
    with np.errstate(invalid="ignore"):
        complete = pivot + settings.ramp_days + settings.window_days <= settings.end
    users = np.isfinite(adoption) & np.isfinite(pivot)
    non_users = np.isnan(adoption) & np.isfinite(pivot)
    both = complete & np.isfinite(values.before) & np.isfinite(values.after)
    current = np.isfinite(values.current)
    veteran, newer = tenure_bands(pivot, adoption, settings)
    return Contributors(
        current=current,
        treated=users & both,
        control=non_users & both,
        veteran=veteran & current,
        newer=newer & current,
    )


@dataclass(frozen=True)
class Sample:
    """The values each figure of one metric is computed from (already selected)."""

    current: FloatArray
    treated_before: FloatArray
    treated_after: FloatArray
    control_before: FloatArray
    control_after: FloatArray
    veteran: FloatArray
    """Current values of AI users of `tenure_months` or more."""
    newer: FloatArray

    @classmethod
    def of(cls, values: _Values, who: Contributors) -> Sample:
        return cls(
            current=values.current[who.current],
            treated_before=values.before[who.treated],
            treated_after=values.after[who.treated],
            control_before=values.before[who.control],
            control_after=values.after[who.control],
            veteran=values.current[who.veteran],
            newer=values.current[who.newer],
        )


def _did(
    sample: Sample, settings: Settings, rng: np.random.Generator
) -> tuple[MetricFigure, MetricFigure]:
    """Before vs after (AI users) and the difference in differences, from one set of draws."""
    change, did = change_and_did(
        sample.treated_before,
        sample.treated_after,
        sample.control_before,
        sample.control_after,
        rng,
        resamples=settings.resamples,
        min_persons=settings.min_persons,
        groups=(
            "AI users with values before and after adoption",
            "non-users with values around the pseudo-adoption date",
        ),
    )
    if isinstance(change, NotEnoughData):
        before_after = MetricFigure.missing("mean within-person change", change.reason)
    else:
        before_after = MetricFigure(
            method="mean within-person change",
            value=change.estimate,
            low=change.low,
            high=change.high,
            n={"ai_users": change.n},
            parts={"before": change.mean_before, "after": change.mean_after},
        )
    method = "difference-in-differences of mean within-person changes"
    if isinstance(did, NotEnoughData):
        users_vs_non_users = MetricFigure.missing(method, did.reason)
    else:
        users_vs_non_users = MetricFigure(
            method=method,
            value=did.estimate,
            low=did.low,
            high=did.high,
            n={"ai_users": did.n_treated, "non_users": did.n_control},
            parts={
                "ai_users_before": float(sample.treated_before.mean()),
                "ai_users_after": float(sample.treated_after.mean()),
                "ai_users_change": did.treated_change,
                "non_users_before": float(sample.control_before.mean()),
                "non_users_after": float(sample.control_after.mean()),
                "non_users_change": did.control_change,
            },
        )
    return before_after, users_vs_non_users


def overview_of(
    metric: Metric,
    sample: Sample,
    scope: MetricScope,
    settings: Settings,
    levels: UsageLevels | None = None,
) -> MetricOverview:
    """All figures of one metric from the values selected for each of them."""
    w, r, k = settings.window_days, settings.ramp_days, settings.min_persons
    rng = settings.rng(metric)
    before_after, users_vs_non_users = _did(sample, settings, rng)

    months = settings.tenure_months
    split = two_group_difference(
        sample.veteran,
        sample.newer,
        rng,
        statistic=metric.summary,
        resamples=settings.resamples,
        min_persons=k,
        groups=(f"AI users of {months}+ months", f"AI users of under {months} months"),
    )
    method = f"difference of current {metric.summary}s, AI users of {months}+ months minus newer"
    if isinstance(split, NotEnoughData):
        by_tenure = MetricFigure.missing(method, split.reason)
    else:
        by_tenure = MetricFigure(
            method=method,
            value=split.estimate,
            low=split.low,
            high=split.high,
            n={
                f"tenure_{months}_months_plus": split.n_a,
                f"tenure_under_{months}_months": split.n_b,
            },
            parts={f"{months}_months_plus": split.value_a, f"under_{months}_months": split.value_b},
        )
    if levels is None and metric.key == "ai_usage_intensity":
        levels = _levels(sample.current, settings)
    return MetricOverview(
        metric=MetricDefinition.of(metric),
        scope=scope,
        as_of=settings.as_of,
        window_days=w,
        ramp_days=r,
        tenure_months=months,
        current=_summary_figure(metric, sample.current, settings, rng),
        before_after=before_after,
        users_vs_non_users=users_vs_non_users,
        by_tenure=by_tenure,
        levels=levels,
    )


def _levels(current: FloatArray, settings: Settings) -> UsageLevels | None:
    """Persons per usage level, through complementary suppression like any breakdown."""
    values = current[np.isfinite(current)]
    split = usage_levels(values)
    if split is None or values.size < settings.min_persons:
        return None
    users = values.size - split.counts["none"]
    if users < settings.min_persons:
        return None  # quartile cut points of fewer than k people would describe them
    decisions = suppress_breakdown(values.size, split.counts, settings.policy)
    return UsageLevels(
        cut_points=split.cut_points,
        counts={level: decisions[level].shown_n for level in LEVELS},
        n=values.size,
    )


class MeasuredData:
    """The domain rows of one population (an organisation, or any scope in it), loaded once.

    Any scope inside the loaded one is a mask over its persons, and each metric's per-person
    values are computed once and reused by every scope: a person's value does not depend on
    the scope they are looked at in (pivots come from the whole organisation). So a report
    with the organisation, each function and each team costs one load, not one per scope
    and metric group, and gives exactly the figures separate calls would.
    """

    def __init__(
        self, population: _Population, settings: Settings, pending: PendingWork | None = None
    ) -> None:
        self._population = population
        self._pending = pending
        self.settings = settings
        self._values: dict[str, _Values] = {}
        self._windows: _Windows | None = None
        self._did: dict[tuple[str, MetricScope], MetricFigure] = {}

    @property
    def scope(self) -> MetricScope:
        return self._population.scope

    @property
    def teams(self) -> TeamRows:
        return self._population.teams

    @property
    def person_ids(self) -> list[str]:
        """The loaded persons, in the order every mask and array uses."""
        return self._population.ids

    def loaded(self, source: str) -> bool:
        """Whether the rows of `source` ("work" or "usage") were loaded."""
        return source in self._population.sources

    @property
    def since(self) -> float:
        """Day number of the first day the loaded rows cover."""
        return self._population.since

    @property
    def until(self) -> float:
        """Day number just after the last day the loaded rows cover."""
        return self._population.until

    def _with_work(self) -> _Population:
        """The population with its work rows, waiting for them if they are still pending
        (everything else about the population is known without them)."""
        if self._pending is not None:
            pending, self._pending = self._pending, None
            data = self._population.data
            self._population = replace(self._population, data=replace(data, work=pending()))
        return self._population

    @property
    def work(self) -> WorkRows:
        """The loaded work items (`person` indexes `person_ids`); empty if not loaded."""
        return self._with_work().data.work

    @property
    def usage(self) -> UsageRows:
        """The loaded AI-usage days (`person` indexes `person_ids`); empty if not loaded."""
        return self._population.data.usage

    def mask(self, scope: MetricScope) -> BoolArray:
        """The loaded persons who are in `scope`, which must lie within the loaded scope."""
        loaded = self._population.scope
        if scope.organisation_id != loaded.organisation_id or (
            loaded.function is not None and scope.function != loaded.function
        ):
            raise ValueError(f"{scope} is not within the loaded {loaded}")
        population = self._population
        mask = np.ones(len(population.ids), dtype=np.bool_)
        if scope.team_id is not None:
            if scope.team_id not in set(population.teams.ids.tolist()):
                raise ValueError(
                    f"team {scope.team_id} is not in organisation {scope.organisation_id}"
                )
            subtree = population.teams.subtree(scope.team_id)
            if loaded.team_id is not None and not subtree <= population.teams.subtree(
                loaded.team_id
            ):
                raise ValueError(f"{scope} is not within the loaded {loaded}")
            mask &= np.isin(population.team_ids, sorted(subtree))
        if scope.function is not None:
            mask &= population.functions == scope.function
        return mask

    def values(self, metric: Metric) -> _Values:
        self._compute_values([metric])
        return self._values[metric.key]

    def _compute_values(self, metrics: Sequence[Metric]) -> None:
        """Each metric's values over the three windows, once. Several metrics at a time run
        on two threads: the work is numpy's, over arrays of the load's rows, and numpy lets
        go of the GIL for it (a report's seven metrics at 10,000 people: 0.29 -> 0.15 s)."""
        for metric in metrics:
            if metric.source not in self._population.sources:
                raise ValueError(f"{metric.key} needs {metric.source} rows, which were not loaded")
        missing = list({m.key: m for m in metrics if m.key not in self._values}.values())
        if not missing:
            return
        if self._windows is None:
            self._windows = _Windows.of(self._with_work(), self.settings)
        if len(missing) == 1:
            self._values[missing[0].key] = _values(missing[0], self._windows)
        else:
            self._values.update(_values_on_threads(missing, self._windows))

    def month_values(self, metric: Metric, start: dt.date, end: dt.date) -> FloatArray:
        """Each loaded person's value of `metric` over [start, end) (a calendar month for
        the staggered-adoption panel), from the rows already loaded (load with `earliest`
        so they reach back to `start`)."""
        if metric.source not in self._population.sources:
            raise ValueError(f"{metric.key} needs {metric.source} rows, which were not loaded")
        if day_number(start) < self.since or day_number(end) > self.until:
            raise ValueError(f"{start} to {end} is outside the loaded rows")
        return metric.between(self._with_work().data, start, end)

    def contributors(self, metric: Metric) -> Contributors:
        """Everyone loaded with data for each of the metric's figures."""
        population = self._population
        return contributors(
            self.values(metric), population.pivot, population.adoption, self.settings
        )

    def pivots(self) -> tuple[FloatArray, FloatArray]:
        """(pivot, adoption) day numbers of the loaded persons."""
        return self._population.pivot, self._population.adoption

    def team_ids(self) -> IntArray:
        return self._population.team_ids

    def functions(self) -> npt.NDArray[np.object_]:
        return self._population.functions

    def at(self, as_of: dt.date) -> MeasuredData:
        """The same loaded rows seen as of an earlier day: pivots and windows move, the rows
        do not (load with `earliest` so they reach back far enough)."""
        if as_of > self.settings.as_of:
            raise ValueError(f"{as_of} is after the loaded {self.settings.as_of}")
        population = self._with_work()
        pivot = pivots_of(population.adoption, population.team_ids, as_of)
        if population.scope.team_id is not None or population.scope.function is not None:
            raise ValueError("rebasing needs the whole organisation loaded (pseudo-pivots)")
        settings = replace(self.settings, as_of=as_of)
        return MeasuredData(replace(population, pivot=pivot), settings)

    def overviews(
        self, scope: MetricScope, keys: Sequence[str] | None = None
    ) -> list[MetricOverview]:
        """Overviews of several metrics (default: all, in registry order) for `scope`."""
        metrics = [get_metric(k) for k in keys] if keys is not None else list(REGISTRY.values())
        mask = self.mask(scope)
        self._compute_values(metrics)
        found = []
        for metric in metrics:
            who = self.contributors(metric).restricted(mask)
            overview = overview_of(
                metric, Sample.of(self.values(metric), who), scope, self.settings
            )
            self._did[(metric.key, scope)] = overview.users_vs_non_users
            found.append(overview)
        return found

    def users_vs_non_users(
        self, metric_key: str, scope: MetricScope
    ) -> tuple[MetricFigure, frozenset[str]]:
        """The difference in differences alone (equal to the overview's), with the ids of
        the persons behind it (AI users and non-users with values before and after), so a
        caller can put that group through the privacy gate."""
        metric = get_metric(metric_key)
        who = self.contributors(metric).restricted(self.mask(scope))
        figure = self._did.get((metric_key, scope))
        if figure is None:  # the overview's own draws: the rng's first use in both
            sample = Sample.of(self.values(metric), who)
            _, figure = _did(sample, self.settings, self.settings.rng(metric))
            self._did[(metric_key, scope)] = figure
        ids = self._population.ids
        positions = np.flatnonzero(who.treated | who.control)
        return figure, frozenset(ids[i] for i in positions.tolist())

    def team_breakdown(self, metric_key: str, scope: MetricScope) -> TeamBreakdown:
        """The current value per team directly below the scope (each with its sub-teams).

        Cells are the persons contributing a value. Teams go through `suppress_breakdown`:
        a team below k is hidden, and so is any team whose absence would let a reader derive
        a hidden group of 1 to k-1 persons by subtracting the shown teams from the total.
        People placed directly in the scope's own team count in the total only.
        """
        metric = get_metric(metric_key)
        settings = self.settings
        mask = self.mask(scope)
        current = self.values(metric).current[mask]
        team_ids = self._population.team_ids[mask]
        contributing = np.isfinite(current)
        rng = settings.rng(metric)

        teams = self._population.teams
        parent = -1 if scope.team_id is None else scope.team_id
        children = [i for i, p in enumerate(teams.parent_ids.tolist()) if p == parent]
        masks = {
            int(teams.ids[i]): np.isin(team_ids, sorted(teams.subtree(int(teams.ids[i]))))
            & contributing
            for i in children
        }
        decisions = suppress_breakdown(
            int(contributing.sum()),
            {str(team): int(m.sum()) for team, m in masks.items()},
            settings.policy,
        )
        rows = []
        for i in children:
            team = int(teams.ids[i])
            shown = decisions[str(team)].shown
            rows.append(
                TeamFigure(
                    team_id=team,
                    team_key=teams.keys[i],
                    team_name=teams.names[i],
                    current=_summary_figure(metric, current[masks[team]], settings, rng)
                    if shown
                    else None,
                    suppressed=not shown,
                )
            )
        return TeamBreakdown(
            metric=MetricDefinition.of(metric),
            scope=scope,
            as_of=settings.as_of,
            window_days=settings.window_days,
            total=_summary_figure(metric, current, settings, rng),
            teams=rows,
        )


def load_measured(
    session: Session,
    scope: MetricScope,
    as_of: dt.date,
    keys: Sequence[str] | None = None,
    window_days: int = DEFAULT_WINDOW_DAYS,
    *,
    ramp_days: int = DEFAULT_RAMP_DAYS,
    tenure_months: int = DEFAULT_TENURE_MONTHS,
    policy: PrivacyPolicy | None = None,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    prefetch: WorkPrefetch | None = None,
    earliest: dt.date | None = None,
    adopted: Mapping[str, dt.date] | None = None,
) -> MeasuredData:
    """Load what the metrics `keys` (default: all) need for `scope` and every scope in it.
    `prefetch` (gaplens/metrics/prefetch.py): work rows a child process is loading; they
    are waited for only when a figure first needs them. `earliest`: load rows far enough
    back for `MeasuredData.at` any day from then on."""
    metrics = [get_metric(key) for key in keys] if keys is not None else list(REGISTRY.values())
    settings = Settings(
        as_of, window_days, ramp_days, tenure_months, policy or PrivacyPolicy(), resamples, seed
    )
    sources = frozenset(metric.source for metric in metrics)
    population, pending = _load(
        session, scope, settings, sources, prefetch, earliest=earliest, adopted=adopted
    )
    return MeasuredData(population, settings, pending)


def metric_overviews(
    session: Session,
    scope: MetricScope,
    as_of: dt.date,
    keys: Sequence[str] | None = None,
    window_days: int = DEFAULT_WINDOW_DAYS,
    *,
    ramp_days: int = DEFAULT_RAMP_DAYS,
    tenure_months: int = DEFAULT_TENURE_MONTHS,
    policy: PrivacyPolicy | None = None,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> list[MetricOverview]:
    """Overviews of several metrics (default: all, in registry order) from one load."""
    data = load_measured(
        session,
        scope,
        as_of,
        keys,
        window_days,
        ramp_days=ramp_days,
        tenure_months=tenure_months,
        policy=policy,
        resamples=resamples,
        seed=seed,
    )
    return data.overviews(scope, keys)


def metric_overview(
    session: Session,
    metric_key: str,
    scope: MetricScope,
    as_of: dt.date,
    window_days: int = DEFAULT_WINDOW_DAYS,
    *,
    ramp_days: int = DEFAULT_RAMP_DAYS,
    tenure_months: int = DEFAULT_TENURE_MONTHS,
    policy: PrivacyPolicy | None = None,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> MetricOverview:
    """One metric for a scope: (a) before vs after each user's own adoption, (b) users vs
    non-users as difference-in-differences, (c) 6+ months of AI tenure vs newer, (d) the
    current value; each with n and interval, or "not enough data" and why."""
    (overview,) = metric_overviews(
        session,
        scope,
        as_of,
        [metric_key],
        window_days,
        ramp_days=ramp_days,
        tenure_months=tenure_months,
        policy=policy,
        resamples=resamples,
        seed=seed,
    )
    return overview


def team_breakdown(
    session: Session,
    metric_key: str,
    scope: MetricScope,
    as_of: dt.date,
    window_days: int = DEFAULT_WINDOW_DAYS,
    *,
    policy: PrivacyPolicy | None = None,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> TeamBreakdown:
    """The current value per team directly below the scope; see `MeasuredData.team_breakdown`."""
    data = load_measured(
        session,
        scope,
        as_of,
        [metric_key],
        window_days,
        policy=policy,
        resamples=resamples,
        seed=seed,
    )
    return data.team_breakdown(metric_key, scope)


def work_rows(
    session: Session,
    scope: MetricScope,
    settings: Settings,
    share: float = 1.0,
    *,
    earliest: dt.date | None = None,
    adopted: Mapping[str, dt.date] | None = None,
) -> tuple[float, float, tuple[int, int] | None, WorkRows]:
    """The work items `load_measured` would load for `scope` under `settings`, or those of
    the first `share` of its persons, with the span they cover (first and just-after-last
    day numbers) and the person range (None: all): what a prefetching child runs.
    `adopted`: adoption dates the parent derived in its still open transaction (the child
    cannot see them), so both compute the same pivots and span."""
    population, _ = _load(
        session,
        scope,
        settings,
        frozenset({"work"}),
        share=share,
        earliest=earliest,
        adopted=adopted,
    )
    n = len(population.ids)
    bound = person_bound(n, share)
    first = None if bound >= n else (0, bound)
    return population.since, population.until, first, population.data.work
