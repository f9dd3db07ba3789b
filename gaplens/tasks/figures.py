"""Per-task figures and the two rankings, as pure functions over answers already released.

The ranking formula (docs/tasks.md) is a plain average of three factors in [0, 1], each
shown on its own with its n and interval, so a reader can see *why* a task ranks high:

    augmentation score = (share who hate it
                          + min(mean hours lost per week, 10) / 10
                          + (5 - mean judgement) / 4) / 3

    protect score      = (share who want to keep it + (mean judgement - 1) / 4) / 2

A task is one to protect when at least half want to keep it or its mean judgement is 4 or
more (people's judgement is not to be automated away, even if they dislike the task); an
augmentation candidate when it is not one to protect and at least as many hate it as want
to keep it; otherwise neither. Scores rank; the intervals carry the uncertainty.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from gaplens.privacy.binning import bin_bounds
from gaplens.stats.intervals import Estimate, bootstrap_mean, mean_interval, wilson_interval
from gaplens.tasks.answers import MAX_HOURS
from gaplens.tasks.models import STANCES
from gaplens.tasks.schemas import Mean, Share, TaskFigure, Verdict

HOURS_CAP = 10.0
"""Hours per week at which the time factor saturates: a quarter of a working week."""
PROTECT_KEEP_SHARE = 0.5
PROTECT_JUDGEMENT = 4.0
BOOTSTRAP_SEED = 20260
FREE_PREFIX = "free:"
RANKING_RULES = [
    "Augmentation score = (share who hate it + min(mean hours lost per week, 10) / 10 "
    "+ (5 − mean judgement) / 4) / 3, from 0 to 1.",
    "Protect score = (share who want to keep it + (mean judgement − 1) / 4) / 2.",
    "To protect: at least half want to keep it, or its mean judgement is 4 or more.",
    "Augmentation candidate: not one to protect, and at least as many hate it as keep it.",
    "Shares have Wilson 95% intervals, hours a bootstrap interval of the mean, judgement a "
    "t interval of the mean; the scores rank, the intervals show how sure each factor is.",
    "Ties: higher share who hate it (or keep it), then more answers, then the label.",
]


@dataclass(frozen=True)
class AnswerFact:
    """One answered task as the figures need it; `response` is for the privacy gate only."""

    response: str
    task: str
    """Catalogue key, or FREE_PREFIX + the folded label for a free task."""
    label: str
    stance: str
    hours: float
    judgement: int


@dataclass(frozen=True)
class TaskMeta:
    function: str
    label: str
    source: str
    """'catalogue' or 'free'."""
    judgement_hint: int | None = None


@dataclass(frozen=True)
class TaskPoint:
    """Point estimates of one task in one group: enough to rank, cheap to compute."""

    task: str
    n: int
    hate: int
    keep: int
    mean_hours: float
    mean_judgement: float

    @property
    def hate_share(self) -> float:
        return self.hate / self.n

    @property
    def keep_share(self) -> float:
        return self.keep / self.n

    @property
    def time_factor(self) -> float:
        return min(self.mean_hours, HOURS_CAP) / HOURS_CAP

    @property
    def low_judgement(self) -> float:
        return (5.0 - self.mean_judgement) / 4.0

    @property
    def augmentation_score(self) -> float:
        return (self.hate_share + self.time_factor + self.low_judgement) / 3.0

    @property
    def protect_score(self) -> float:
        return (self.keep_share + (self.mean_judgement - 1.0) / 4.0) / 2.0

    @property
    def verdict(self) -> Verdict:
        if self.keep_share >= PROTECT_KEEP_SHARE or self.mean_judgement >= PROTECT_JUDGEMENT:
            return Verdict.PROTECT
        if self.hate >= self.keep:
            return Verdict.AUGMENT
        return Verdict.NEITHER


def by_task(facts: Iterable[AnswerFact]) -> dict[str, list[AnswerFact]]:
    groups: dict[str, list[AnswerFact]] = defaultdict(list)
    for fact in facts:
        groups[fact.task].append(fact)
    return dict(groups)


def task_point(task: str, facts: Sequence[AnswerFact]) -> TaskPoint:
    n = len(facts)
    if n == 0:
        raise ValueError("a task point needs at least one answer")
    return TaskPoint(
        task=task,
        n=n,
        hate=sum(f.stance == "hate" for f in facts),
        keep=sum(f.stance == "keep" for f in facts),
        mean_hours=sum(f.hours for f in facts) / n,
        mean_judgement=sum(f.judgement for f in facts) / n,
    )


def rank(points: Iterable[TaskPoint]) -> tuple[list[TaskPoint], list[TaskPoint]]:
    """(augmentation candidates, tasks to protect), each best first; ties as RANKING_RULES."""
    items = list(points)
    augment = [p for p in items if p.verdict is Verdict.AUGMENT]
    protect = [p for p in items if p.verdict is Verdict.PROTECT]
    augment.sort(key=lambda p: (-round(p.augmentation_score, 9), -p.hate_share, -p.n, p.task))
    protect.sort(key=lambda p: (-round(p.protect_score, 9), -p.keep_share, -p.n, p.task))
    return augment, protect


def share(count: int, n: int) -> Share:
    wilson = wilson_interval(count, n)
    return Share(count=count, n=n, value=wilson.value, low=wilson.low, high=wilson.high)


def _mean(estimate: Estimate, n: int) -> Mean:
    return Mean(n=n, value=estimate.value, low=estimate.low, high=estimate.high)


def judgement_mean(values: Sequence[float]) -> Estimate:
    """t interval of the mean; a single answer (never released, n >= 5) would have none."""
    if len(values) < 2:
        value = float(values[0])
        return Estimate(value, value, value)
    return mean_interval(values)


def task_figure(point: TaskPoint, facts: Sequence[AnswerFact], meta: TaskMeta) -> TaskFigure:
    """The full figure of one released task: every factor with its n and interval."""
    hours = bootstrap_mean([f.hours for f in facts], seed=BOOTSTRAP_SEED)
    judgement = judgement_mean([float(f.judgement) for f in facts])
    return TaskFigure(
        key=point.task,
        label=meta.label,
        function=meta.function,
        source=meta.source,
        n=point.n,
        hate=share(point.hate, point.n),
        keep=share(point.keep, point.n),
        hours_lost=_mean(hours, point.n),
        judgement=_mean(judgement, point.n),
        judgement_hint=meta.judgement_hint,
        augmentation_score=round(point.augmentation_score, 4),
        protect_score=round(point.protect_score, 4),
        verdict=point.verdict,
    )


def ranked_figures(
    facts: Sequence[AnswerFact], meta: Mapping[str, TaskMeta], top: int | None = None
) -> tuple[list[TaskFigure], list[TaskFigure]]:
    """Both rankings for one released group, intervals computed only for what is shown."""
    groups = by_task(facts)
    augment, protect = rank(task_point(task, group) for task, group in groups.items())
    cut = slice(None) if top is None else slice(top)
    return (
        [task_figure(p, groups[p.task], meta[p.task]) for p in augment[cut]],
        [task_figure(p, groups[p.task], meta[p.task]) for p in protect[cut]],
    )


# --- figures from released counts --------------------------------------------------------

RELEASED_RULES = [
    "Hours lost are published as counts per fixed bin (0 to under 1, 1 to under 2, 2 to "
    "under 5, 5 to under 10, 10 to under 25, 25 to 40): the mean is shown as the range it "
    "must lie in, and the score uses the middle of that range.",
]


@dataclass(frozen=True)
class Counted:
    """One task's released counts over a cell: stance in STANCES order (keep, hate,
    neither), hours per fixed bin, judgement 1-5; every series over the same n answers."""

    n: int
    stance: tuple[int, ...]
    hours: tuple[int, ...]
    judgement: tuple[int, ...]


def hours_range(counts: Sequence[int]) -> tuple[float, float]:
    """The lowest and highest mean the binned hours allow (answers are 0 to MAX_HOURS)."""
    n = sum(counts)
    low = sum(c * max(bin_bounds(i)[0], 0.0) for i, c in enumerate(counts) if c)
    high = sum(c * min(bin_bounds(i)[1], MAX_HOURS) for i, c in enumerate(counts) if c)
    return low / n, high / n


def counted_point(task: str, counted: Counted) -> TaskPoint:
    low, high = hours_range(counted.hours)
    judgement = sum((i + 1) * c for i, c in enumerate(counted.judgement)) / counted.n
    return TaskPoint(
        task=task,
        n=counted.n,
        hate=counted.stance[STANCES.index("hate")],
        keep=counted.stance[STANCES.index("keep")],
        mean_hours=(low + high) / 2,
        mean_judgement=judgement,
    )


def counted_figure(point: TaskPoint, counted: Counted, meta: TaskMeta) -> TaskFigure:
    """The full figure of one task from released counts: judgement is exact (1-5 counts),
    hours are the range the bins allow."""
    low, high = hours_range(counted.hours)
    values = [float(i + 1) for i, c in enumerate(counted.judgement) for _ in range(c)]
    judgement = judgement_mean(values)
    return TaskFigure(
        key=point.task,
        label=meta.label,
        function=meta.function,
        source=meta.source,
        n=point.n,
        hate=share(point.hate, point.n),
        keep=share(point.keep, point.n),
        hours_lost=Mean(n=point.n, value=point.mean_hours, low=low, high=high),
        judgement=_mean(judgement, point.n),
        judgement_hint=meta.judgement_hint,
        augmentation_score=round(point.augmentation_score, 4),
        protect_score=round(point.protect_score, 4),
        verdict=point.verdict,
    )


def ranked_counted(
    counted: Mapping[str, Counted], meta: Mapping[str, TaskMeta], top: int | None = None
) -> tuple[list[TaskFigure], list[TaskFigure]]:
    """Both rankings for one cell of a release."""
    augment, protect = rank(counted_point(task, c) for task, c in counted.items())
    cut = slice(None) if top is None else slice(top)
    return (
        [counted_figure(p, counted[p.task], meta[p.task]) for p in augment[cut]],
        [counted_figure(p, counted[p.task], meta[p.task]) for p in protect[cut]],
    )
