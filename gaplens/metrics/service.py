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
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

from gaplens.metrics.definitions import (
    LEVELS,
    DomainData,
    Metric,
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
class _Loaded:
    """The persons in scope (indexed 0..n-1) with their rows, pivots and team ids."""

    teams: TeamRows
    team_ids: IntArray
    adoption: FloatArray
    pivot: FloatArray
    data: DomainData


def _months_before(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _pivots(persons: PersonRows, as_of: dt.date) -> FloatArray:
    """Each person's pivot day: their own adoption date, or for non-users a pseudo-pivot.

    A non-user's pseudo-pivot is the median adoption date of the AI users in their own team
    (the rollout reached teams at different times), else of all the organisation's users,
    so both groups are compared over the same stretch of calendar time. People whose
    adoption date lies after `as_of` are neither users nor non-users yet: NaN.
    """
    adoption, teams = persons.adoption, persons.team_ids
    with np.errstate(invalid="ignore"):
        user = np.isfinite(adoption) & (adoption <= day_number(as_of))
    pivot = np.where(user, adoption, np.nan)
    non_user = np.isnan(adoption)
    if not user.any():
        return pivot
    team_codes, team_index = np.unique(teams, return_inverse=True)
    by_team = np.floor(
        group_median(team_index[user].astype(np.int64), adoption[user], team_codes.size)
    )
    overall = float(np.floor(np.median(adoption[user])))
    pseudo = np.where(np.isfinite(by_team[team_index]), by_team[team_index], overall)
    pivot[non_user] = pseudo[non_user]
    return pivot


def _load(
    session: Session, scope: MetricScope, settings: Settings, metrics: Sequence[Metric]
) -> _Loaded:
    teams = load_teams(session, scope.organisation_id)
    subtree: set[int] | None = None
    if scope.team_id is not None:
        if scope.team_id not in set(teams.ids.tolist()):
            raise ValueError(f"team {scope.team_id} is not in organisation {scope.organisation_id}")
        subtree = teams.subtree(scope.team_id)
    persons = load_persons(session, scope.organisation_id)
    pivot_all = _pivots(persons, settings.as_of)

    in_scope = np.ones(len(persons.ids), dtype=np.bool_)
    if subtree is not None:
        in_scope &= np.isin(persons.team_ids, sorted(subtree))
    if scope.function is not None:
        in_scope &= np.array([f == scope.function for f in persons.functions], dtype=np.bool_)
    positions = np.flatnonzero(in_scope)
    ids = [persons.ids[i] for i in positions]
    pivot = pivot_all[positions]

    starts = pivot[np.isfinite(pivot)] - settings.window_days
    since = day_of(min(starts.min(initial=np.inf), settings.end - settings.window_days))
    until = day_of(settings.end)
    people = scope_filter(scope.organisation_id, subtree, scope.function)
    sources = {metric.source for metric in metrics}
    work = load_work(session, ids, people, since, until) if "work" in sources else None
    usage = (
        load_usage(session, ids, people, scope.organisation_id, since, until)
        if "usage" in sources
        else None
    )
    data = DomainData(
        n_persons=len(ids),
        work=work if work is not None else WorkRows.empty(),
        usage=usage
        if usage is not None
        else UsageRows(np.empty(0, np.int64), np.empty(0, np.float64), None),
    )
    return _Loaded(teams, persons.team_ids[positions], persons.adoption[positions], pivot, data)


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


def _overview(
    metric: Metric, loaded: _Loaded, scope: MetricScope, settings: Settings
) -> MetricOverview:
    data, pivot, adoption = loaded.data, loaded.pivot, loaded.adoption
    w, r, k = settings.window_days, settings.ramp_days, settings.min_persons
    rng = settings.rng(metric)

    before = metric.per_person(data, pivot - w, pivot)
    after = metric.per_person(data, pivot + r, pivot + r + w)
    current = metric.per_person(data, settings.end - w, settings.end)
    with np.errstate(invalid="ignore"):
        complete = pivot + r + w <= settings.end
    users = np.isfinite(adoption) & np.isfinite(pivot)
    non_users = np.isnan(adoption) & np.isfinite(pivot)
    both = complete & np.isfinite(before) & np.isfinite(after)
    treated, control = users & both, non_users & both

    change, did = change_and_did(
        before[treated],
        after[treated],
        before[control],
        after[control],
        rng,
        resamples=settings.resamples,
        min_persons=k,
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
                "ai_users_before": float(before[treated].mean()),
                "ai_users_after": float(after[treated].mean()),
                "ai_users_change": did.treated_change,
                "non_users_before": float(before[control].mean()),
                "non_users_after": float(after[control].mean()),
                "non_users_change": did.control_change,
            },
        )

    cut = day_number(_months_before(settings.as_of, settings.tenure_months))
    observed = users & complete & np.isfinite(after)
    with np.errstate(invalid="ignore"):
        veteran = observed & (adoption <= cut)
    newer = observed & ~veteran
    months = settings.tenure_months
    split = two_group_difference(
        after[veteran],
        after[newer],
        rng,
        statistic=metric.summary,
        resamples=settings.resamples,
        min_persons=k,
        groups=(f"AI users of {months}+ months", f"AI users of under {months} months"),
    )
    method = f"difference of after-adoption {metric.summary}s, {months}+ months minus newer"
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

    return MetricOverview(
        metric=MetricDefinition.of(metric),
        scope=scope,
        as_of=settings.as_of,
        window_days=w,
        ramp_days=r,
        tenure_months=months,
        current=_summary_figure(metric, current, settings, rng),
        before_after=before_after,
        users_vs_non_users=users_vs_non_users,
        by_tenure=by_tenure,
        levels=_levels(current, settings) if metric.key == "ai_usage_intensity" else None,
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
    metrics = [get_metric(key) for key in keys] if keys is not None else list(REGISTRY.values())
    settings = Settings(
        as_of, window_days, ramp_days, tenure_months, policy or PrivacyPolicy(), resamples, seed
    )
    loaded = _load(session, scope, settings, metrics)
    return [_overview(metric, loaded, scope, settings) for metric in metrics]


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
    """The current value per team directly below the scope (each with its sub-teams).

    Cells are the persons contributing a value. Teams go through `suppress_breakdown`:
    a team below k is hidden, and so is any team whose absence would let a reader derive
    a hidden group of 1 to k-1 persons by subtracting the shown teams from the total.
    People placed directly in the scope's own team count in the total only.
    """
    metric = get_metric(metric_key)
    settings = Settings(
        as_of, window_days, policy=policy or PrivacyPolicy(), resamples=resamples, seed=seed
    )
    loaded = _load(session, scope, settings, [metric])
    current = metric.per_person(loaded.data, settings.end - window_days, settings.end)
    contributing = np.isfinite(current)
    rng = settings.rng(metric)

    teams = loaded.teams
    parent = -1 if scope.team_id is None else scope.team_id
    children = [i for i, p in enumerate(teams.parent_ids.tolist()) if p == parent]
    masks = {
        int(teams.ids[i]): np.isin(loaded.team_ids, sorted(teams.subtree(int(teams.ids[i]))))
        & contributing
        for i in children
    }
    decisions = suppress_breakdown(
        int(contributing.sum()),
        {str(team): int(mask.sum()) for team, mask in masks.items()},
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
        as_of=as_of,
        window_days=window_days,
        total=_summary_figure(metric, current, settings, rng),
        teams=rows,
    )
