"""Pure functions from released answer counts to report figures.

Nothing here touches the database or decides what may be shown: the input is a release's
counts per group (gaplens/releases/), already cleared; the output is the report's figure
models with their intervals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gaplens.directory.schemas import RoleLevel
from gaplens.figures import (
    BenchmarkOut,
    Comparison,
    FigureStatus,
    GroupFigures,
    Interval,
    NumberSummary,
    QuestionFigures,
    Share,
)
from gaplens.privacy.binning import EDGES
from gaplens.stats import (
    Estimate,
    binned_median,
    mean_interval,
    newcombe_difference,
    risk_ratio,
    wilson_interval,
)
from gaplens.surveys.question_bank import AGREE5_SCORES, Audience, BankEntry, Benchmark, Scale

EVERYONE = "everyone"
ROLE_ORDER: tuple[str, ...] = (
    RoleLevel.EXECUTIVE.value,
    RoleLevel.MANAGER.value,
    RoleLevel.INDIVIDUAL_CONTRIBUTOR.value,
)
GROUP_ORDER: tuple[str, ...] = (*ROLE_ORDER, EVERYONE)
ROLE_LABELS = {
    RoleLevel.EXECUTIVE.value: "Executives",
    RoleLevel.MANAGER.value: "Managers",
    RoleLevel.INDIVIDUAL_CONTRIBUTOR.value: "Individual contributors",
    EVERYONE: "Everyone",
}
EXEC = RoleLevel.EXECUTIVE.value
IC = RoleLevel.INDIVIDUAL_CONTRIBUTOR.value


def benchmark_out(benchmark: Benchmark | None) -> BenchmarkOut | None:
    if benchmark is None:
        return None
    return BenchmarkOut(
        text=benchmark.text,
        source=benchmark.source,
        value=benchmark.value,
        population=benchmark.population,
        options=list(benchmark.options),
    )


def interval(estimate: Estimate, scale: float = 1.0) -> Interval:
    return Interval(
        estimate=estimate.value * scale,
        low=estimate.low * scale,
        high=estimate.high * scale,
        confidence=estimate.confidence,
    )


def share(count: int, n: int) -> Share:
    wilson = wilson_interval(count, n)
    return Share(count=count, share=wilson.value, low=wilson.low, high=wilson.high)


@dataclass(frozen=True)
class _GroupData:
    n: int
    counts: list[int]


def group_figures(entry: BankEntry, data: _GroupData) -> GroupFigures:
    """Figures for a group the release publishes."""
    if entry.scale in (Scale.CHOICE, Scale.AGREE5, Scale.MULTI):
        shares = {
            option: share(count, data.n)
            for option, count in zip(entry.options, data.counts, strict=True)
        }
        favourable = None
        if entry.positive_options:
            positive = sum(
                count
                for option, count in zip(entry.options, data.counts, strict=True)
                if option in entry.positive_options
            )
            favourable = share(positive, data.n)
        score = None
        if entry.scale is Scale.AGREE5 and data.n >= 2:
            values = [
                AGREE5_SCORES[index]
                for index, count in enumerate(data.counts)
                for _ in range(count)
            ]
            score = interval(mean_interval(values))
        return GroupFigures(
            status=FigureStatus.SHOWN, n=data.n, shares=shares, favourable=favourable, score=score
        )
    return GroupFigures(status=FigureStatus.SHOWN, n=data.n)


@dataclass(frozen=True)
class ComparisonSpec:
    """One declared comparison between two role levels on one or more answers."""

    key: str
    label: str
    kind: str  # "risk_ratio" or "difference_pp"
    options: tuple[str, ...]
    numerator: str
    denominator: str
    benchmark: BenchmarkOut | None = None


def compare(
    spec: ComparisonSpec,
    entry: BankEntry,
    data: Mapping[str, _GroupData],
    groups: Mapping[str, GroupFigures],
) -> Comparison:
    """A comparison is only computed between groups the gate showed; otherwise it says why."""
    a, b = spec.numerator, spec.denominator
    base = Comparison(
        label=spec.label,
        status=FigureStatus.SHOWN,
        kind=spec.kind,
        numerator_group=a,
        denominator_group=b,
        option=" or ".join(spec.options),
        benchmark=spec.benchmark,
    )
    for group in (a, b):
        if groups[group].status is not FigureStatus.SHOWN:
            reason = f"{ROLE_LABELS[group]}: {groups[group].reason or 'not shown'}"
            return base.model_copy(update={"status": groups[group].status, "reason": reason})
    indices = [entry.options.index(option) for option in spec.options]
    x1 = sum(data[a].counts[i] for i in indices)
    x2 = sum(data[b].counts[i] for i in indices)
    if spec.kind == "difference_pp":
        estimate = newcombe_difference(x1, data[a].n, x2, data[b].n)
        return base.model_copy(update={"value": interval(estimate, scale=100.0)})
    ratio = risk_ratio(x1, data[a].n, x2, data[b].n)
    if ratio is None:
        return base.model_copy(
            update={
                "status": FigureStatus.NOT_ESTIMABLE,
                "reason": "Not estimable: no one in one of the groups chose this answer",
            }
        )
    return base.model_copy(update={"value": interval(ratio)})


GARTNER = "Gartner 2025 AI in the Enterprise survey"
PRODUCTIVITY_RATIOS = (
    ComparisonSpec(
        "high_gains_executive_vs_ic",
        "Executives vs individual contributors: reporting high gains",
        "risk_ratio",
        ("high gains",),
        EXEC,
        IC,
        BenchmarkOut(
            text="Executives are 4x more likely to report high gains", source=GARTNER, value=4.0
        ),
    ),
    ComparisonSpec(
        "no_difference_ic_vs_executive",
        "Individual contributors vs executives: reporting no difference",
        "risk_ratio",
        ("no difference",),
        IC,
        EXEC,
        BenchmarkOut(
            text="Individual contributors are 5x more likely to say no difference",
            source=GARTNER,
            value=5.0,
        ),
    ),
)
PRODUCTIVITY_GAPS = (
    ComparisonSpec(
        "high_gains_executive_minus_ic",
        "High gains: executives minus individual contributors (points)",
        "difference_pp",
        ("high gains",),
        EXEC,
        IC,
    ),
    ComparisonSpec(
        "no_difference_ic_minus_executive",
        "No difference: individual contributors minus executives (points)",
        "difference_pp",
        ("no difference",),
        IC,
        EXEC,
    ),
    ComparisonSpec(
        "any_gains_executive_minus_ic",
        "Any gains (high or some): executives minus individual contributors (points)",
        "difference_pp",
        ("high gains", "some gains"),
        EXEC,
        IC,
    ),
)


def productivity_risk_ratios(
    entry: BankEntry, data: Mapping[str, _GroupData], groups: Mapping[str, GroupFigures]
) -> dict[str, Comparison]:
    return {spec.key: compare(spec, entry, data, groups) for spec in PRODUCTIVITY_RATIOS}


def productivity_gaps(
    entry: BankEntry, data: Mapping[str, _GroupData], groups: Mapping[str, GroupFigures]
) -> dict[str, Comparison]:
    return {spec.key: compare(spec, entry, data, groups) for spec in PRODUCTIVITY_GAPS}


RELEASE_HIDDEN = (
    "Not shown: too few answers in this group could be published without singling someone "
    "out (fewer than {k}, or all alike)"
)


def released_question_figures(
    entry: BankEntry,
    cells: Mapping[str, tuple[int, list[int]] | None],
    k: int,
) -> QuestionFigures:
    """Figures from a release's answer counts per group (role levels and everyone).

    The release already decided what may be published: a group with counts is shown, one
    without says why in words. Numbers arrive as counts per fixed bin, so their median is the
    grouped median with an interval that includes the binning (stats.binned_median).
    """
    groups: dict[str, GroupFigures] = {}
    data: dict[str, _GroupData] = {}
    for group in GROUP_ORDER:
        if entry.audience is Audience.LEADERS and group == IC:
            groups[group] = GroupFigures(
                status=FigureStatus.NOT_ENOUGH_RESPONSES,
                reason="Asked of executives and managers only",
            )
            continue
        cell = cells.get(group)
        if cell is None:
            groups[group] = GroupFigures(
                status=FigureStatus.NOT_ENOUGH_RESPONSES, reason=RELEASE_HIDDEN.format(k=k)
            )
            continue
        answered, counts = cell
        if entry.scale is Scale.NUMBER:
            median = binned_median(counts, EDGES)
            groups[group] = GroupFigures(
                status=FigureStatus.SHOWN,
                n=answered,
                number=NumberSummary(median=interval(median)),
            )
            continue
        data[group] = _GroupData(answered, list(counts))
        groups[group] = group_figures(entry, data[group])
    return _question(entry, groups, data)


def _question(
    entry: BankEntry, groups: dict[str, GroupFigures], data: Mapping[str, _GroupData]
) -> QuestionFigures:
    """One question's figures from its groups; productivity impact adds its comparisons."""
    figures = QuestionFigures(
        key=entry.key,
        text=entry.text,
        scale=entry.scale.value,
        audience=entry.audience.value,
        options=list(entry.options),
        unit=entry.unit,
        groups=groups,
        benchmark=benchmark_out(entry.benchmark),
    )
    if entry.key == "productivity_impact":
        figures = figures.model_copy(
            update={
                "risk_ratios": productivity_risk_ratios(entry, data, groups),
                "gaps_pp": productivity_gaps(entry, data, groups),
            }
        )
    return figures
