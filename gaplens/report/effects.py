"""The staggered-adoption estimate of one metric, ready for a page or the report: the
figures as released, the event-study chart as inline SVG, and the words around them.

One helper for `/metrics` and the report, so both say the same thing the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from markupsafe import Markup

from gaplens.metrics.schemas import (
    CounterFigure,
    MetricOverview,
    StabilityCheck,
    StaggeredEffect,
    StaggeredFigures,
)
from gaplens.report.charts import event_study_chart, spec_to_svg
from gaplens.wording import signed

LABEL = "adopters vs people not yet using AI, same months"
"""The short method label shown beside a figure from the staggered estimate."""
OLD_LABEL = "users vs non-users, around each one's own date"
"""The short label of the older users-vs-non-users difference in differences."""


@dataclass(frozen=True)
class EffectView:
    """One metric's staggered estimate for a scope, with its chart and sentences."""

    key: str
    label: str
    unit: str
    better: str
    figures: StaggeredFigures
    chart: Markup | None
    stability: StabilityCheck | None = None
    """For a speed metric: its counter-metrics beside it, from the same release and
    estimator, with the verdict."""
    counter_events: list[tuple[str, str, dict[int, StaggeredEffect]]] = field(default_factory=list)
    """Each counter-metric's event study (its column heading, unit, and effects by months
    since adoption), for the columns beside the speed metric's."""

    @property
    def shown(self) -> bool:
        return self.figures.overall is not None

    @property
    def overall(self) -> str:
        o = self.figures.overall
        return "" if o is None else _effect(o, self.unit)

    @property
    def speed_up(self) -> str:
        """The effect relative to the adopters' level without AI, in %, both parts
        bootstrapped together."""
        s = self.figures.speed_up
        if s is None:
            return ""
        return (
            f"{100 * s.estimate:+.1f}% ({100 * s.low:+.1f}% to {100 * s.high:+.1f}%) of the "
            "level adopters would have had without AI"
        )

    @property
    def counters(self) -> list[str]:
        """Each counter-metric's effect beside the speed figure, in words."""
        return (
            [] if self.stability is None else [counter_effect(c) for c in self.stability.counters]
        )

    def counter_cells(self, key: int | str | None) -> list[str]:
        """The counter-metrics' event-study cells for months since adoption `key`."""
        if not isinstance(key, int):
            return ["" for _ in self.counter_events]
        return [event_cell(events.get(key), unit) for _, unit, events in self.counter_events]

    @property
    def n(self) -> str:
        n = self.figures.n
        return (
            f"{n.get('treated_persons', 0):,} adopters in {n.get('cohorts', 0)} monthly cohorts, "
            f"{n.get('control_persons', 0):,} people not yet using AI"
        )

    @property
    def sources(self) -> str:
        """Where the adopters' dates came from, in words ('' when not recorded)."""
        got = self.figures.adoption_sources
        if not got:
            return ""
        parts = []
        for source, words in (("directory", "the directory"), ("telemetry", "AI-usage telemetry")):
            count = got.get(source)
            parts.append(f"{'too few to show' if count is None else f'{count:,}'} from {words}")
        return "Adoption dates: " + ", ".join(parts) + "."


def _effect(e: StaggeredEffect, unit: str) -> str:
    return f"{e.estimate:+.2f} {unit} ({e.low:+.2f} to {e.high:+.2f})"


def _is_share(unit: str) -> bool:
    return unit.startswith("share")


def _scaled(c: CounterFigure | StaggeredEffect, unit: str) -> tuple[str, str, str]:
    """Estimate, low and high as a reader writes them: a share in percentage points (one
    decimal), anything else in its unit (two decimals); real minus signs, never "-0"."""
    assert c.estimate is not None and c.low is not None and c.high is not None
    scale, decimals = (100.0, 1) if _is_share(unit) else (1.0, 2)
    return (
        signed(scale * c.estimate, decimals),
        signed(scale * c.low, decimals),
        signed(scale * c.high, decimals),
    )


def counter_effect(c: CounterFigure) -> str:
    """A counter-metric's effect in words: a share in percentage points, anything else in
    its unit; or why there is none."""
    if c.estimate is None or c.low is None or c.high is None:
        return f"{c.label}: not enough data ({c.not_enough_data})"
    est, low, high = _scaled(c, c.unit)
    unit = "percentage points" if _is_share(c.unit) else c.unit
    return f"{c.label}: {est} {unit} ({low} to {high})"


def event_cell(e: StaggeredEffect | None, unit: str) -> str:
    """One counter-metric's event-study effect for a table cell ('' where none)."""
    if e is None:
        return ""
    est, low, high = _scaled(e, unit)
    return f"{est} ({low} to {high})"


def counter_heading(label: str, unit: str) -> str:
    return f"{label} ({'percentage points' if _is_share(unit) else unit})"


def effect_view(
    overview: MetricOverview,
    figures: StaggeredFigures | None,
    others: Mapping[str, MetricOverview] | None = None,
    caption_id: str | None = None,
) -> EffectView | None:
    """The view of `figures` for `overview`'s metric (None when there are none), with its
    counter-metrics' event studies from `others` (the same release and scope) beside it;
    `caption_id` names the element whose words describe the chart (aria-describedby)."""
    if figures is None:
        return None
    metric = overview.metric
    spec = event_study_chart(figures, metric.label, metric.unit)
    events = []
    stability = overview.stability
    if stability is not None and stability.method == "staggered":
        for c in stability.counters:
            got = (others or {}).get(c.key)
            if got is not None and got.staggered is not None and got.staggered.event_study:
                events.append(
                    (
                        counter_heading(c.label, c.unit),
                        c.unit,
                        {
                            int(e.key): e
                            for e in got.staggered.event_study
                            if isinstance(e.key, int)
                        },
                    )
                )
    return EffectView(
        key=metric.key,
        label=metric.label,
        unit=metric.unit,
        better=metric.better,
        figures=figures,
        chart=Markup(spec_to_svg(spec, caption_id)) if spec is not None else None,
        stability=stability,
        counter_events=events,
    )
