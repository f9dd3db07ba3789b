"""Stability beside speed: a speed metric's counter-metrics and a verdict in plain words.

DORA's 2025 report (State of AI-assisted Software Development) finds AI raising throughput
and instability together, so a faster cycle time says little until one knows whether more
of the work came back. Every reader that shows a speed figure (the report, `/metrics`, the
API, the three realities, the brief) takes the counter-metrics' effects from the same
release, the same scope and the same estimator as the speed figure, and the verdict here.
The verdict calls a change only when its 95% interval leaves zero out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from gaplens.metrics.registry import get_metric
from gaplens.metrics.schemas import (
    CounterFigure,
    Direction,
    MetricFigure,
    MetricOverview,
    StabilityCheck,
    StaggeredFigures,
)

Method = Literal["staggered", "users_vs_non_users"]

SPEED_WORDS = {"lower": ("faster", "slower"), "higher": ("more done", "less done")}
"""A speed metric's better and worse change: lower is better for times, higher for output."""
COUNTER_WORDS = {
    "reopen_rate": (
        "less work was reopened",
        "more work was reopened",
        "reopened work",
    ),
    "rework_cycles": (
        "less work went back for rework",
        "more work went back for rework",
        "rework",
    ),
}
"""Per counter-metric: its better change, its worse change, and its name in a sentence."""


def direction(low: float, high: float, better: str) -> Direction:
    """Better, worse or unclear, from where the interval lies against zero."""
    if low > 0:
        return "better" if better == "higher" else "worse"
    if high < 0:
        return "better" if better == "lower" else "worse"
    return "unclear"


def _words(key: str, label: str) -> tuple[str, str, str]:
    return COUNTER_WORDS.get(
        key, (f"{label.lower()} improved", f"{label.lower()} worsened", label.lower())
    )


def verdict(speed: Direction, better: str, counters: Sequence[CounterFigure]) -> str:
    """One sentence: the speed change, then what happened to stability, e.g. "Faster, but
    more work was reopened." or "No clear change in speed or in stability."."""
    gain, loss = SPEED_WORDS[better]
    head = {"better": gain, "worse": loss, "unclear": "no clear change in speed"}[speed]
    measured = [c for c in counters if c.direction is not None]
    worse = [_words(c.key, c.label)[1] for c in measured if c.direction == "worse"]
    improved = [_words(c.key, c.label)[0] for c in measured if c.direction == "better"]
    missing = [_words(c.key, c.label)[2] for c in counters if c.direction is None]
    if worse:
        joint = "but" if speed != "worse" else "and"
        sentence = f"{head}, {joint} {' and '.join(worse)}"
        if improved:
            sentence += f" (while {' and '.join(improved)})"
    elif improved:
        joint = "and" if speed != "worse" else "but"
        sentence = f"{head}, {joint} {' and '.join(improved)}"
    elif measured:
        sentence = (
            "no clear change in speed or in stability"
            if speed == "unclear"
            else f"{head}, with no sign of less stable work"
        )
    else:
        sentence = f"{head}; stability could not be measured here"
    if missing and measured:
        sentence += f" ({' and '.join(missing)}: not enough data)"
    return sentence[:1].upper() + sentence[1:] + "."


def _from_staggered(key: str, figures: StaggeredFigures | None) -> CounterFigure:
    metric = get_metric(key)
    base = {"key": key, "label": metric.label, "unit": metric.unit, "better": metric.better}
    if figures is None or figures.overall is None:
        reason = "not published for this scope"
        if figures is not None and figures.not_enough_data:
            reason = figures.not_enough_data
        return CounterFigure(**base, not_enough_data=reason)
    o = figures.overall
    return CounterFigure(
        **base,
        estimate=o.estimate,
        low=o.low,
        high=o.high,
        direction=direction(o.low, o.high, metric.better),
    )


def _from_figure(key: str, figure: MetricFigure) -> CounterFigure:
    metric = get_metric(key)
    base = {"key": key, "label": metric.label, "unit": metric.unit, "better": metric.better}
    if figure.value is None or figure.low is None or figure.high is None:
        return CounterFigure(**base, not_enough_data=figure.not_enough_data or "no figure")
    return CounterFigure(
        **base,
        estimate=figure.value,
        low=figure.low,
        high=figure.high,
        direction=direction(figure.low, figure.high, metric.better),
    )


def counter_figures(
    speed_key: str, method: Method, overviews: Mapping[str, MetricOverview]
) -> list[CounterFigure]:
    """The counter-metrics' effects by `method` ("staggered": the released staggered
    estimate's overall effect; else the users-vs-non-users difference in differences),
    from `overviews` (the same release and scope as the speed figure, by metric key)."""
    out = []
    for key in get_metric(speed_key).counter_metrics:
        overview = overviews.get(key)
        if overview is None:
            metric = get_metric(key)
            out.append(
                CounterFigure(
                    key=key,
                    label=metric.label,
                    unit=metric.unit,
                    better=metric.better,
                    not_enough_data="not in this release",
                )
            )
        elif method == "staggered":
            out.append(_from_staggered(key, overview.staggered))
        else:
            out.append(_from_figure(key, overview.users_vs_non_users))
    return out


def stability_check(
    speed_key: str,
    method: Method,
    speed: Direction,
    overviews: Mapping[str, MetricOverview],
) -> StabilityCheck:
    """The counter-figures beside a speed figure whose interval lies `speed`-wards."""
    counters = counter_figures(speed_key, method, overviews)
    return StabilityCheck(
        method=method,
        speed=speed,
        counters=counters,
        verdict=verdict(speed, get_metric(speed_key).better, counters),
    )


def did_check(
    overview: MetricOverview, overviews: Mapping[str, MetricOverview]
) -> StabilityCheck | None:
    """The stability check beside a speed metric's users-vs-non-users difference in
    differences (None for another kind of metric, or a speed figure without an interval),
    for where that figure is shown even when a staggered estimate exists (`/metrics`'
    table). `overviews`: the same release and scope, by metric key."""
    metric = get_metric(overview.metric.key)
    f = overview.users_vs_non_users
    if metric.kind != "speed" or f.low is None or f.high is None:
        return None
    return stability_check(
        metric.key, "users_vs_non_users", direction(f.low, f.high, metric.better), overviews
    )


def with_stability(overviews: Sequence[MetricOverview]) -> list[MetricOverview]:
    """`overviews` (one release and scope, `staggered` already attached where published)
    with each speed metric's stability check beside its effect: the staggered estimate's
    where the speed metric has one, else the difference in differences, as the report and
    `/metrics` show the speed figure. A speed metric without an effect gets none."""
    by_key = {o.metric.key: o for o in overviews}
    out = []
    for o in overviews:
        metric = get_metric(o.metric.key)
        check = None
        s = o.staggered.overall if o.staggered is not None else None
        if metric.kind == "speed" and s is not None:
            check = stability_check(
                metric.key, "staggered", direction(s.low, s.high, metric.better), by_key
            )
        else:
            check = did_check(o, by_key)
        out.append(o.model_copy(update={"stability": check}) if check is not None else o)
    return out
