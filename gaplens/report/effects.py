"""The staggered-adoption estimate of one metric, ready for a page or the report: the
figures as released, the event-study chart as inline SVG, and the words around them.

One helper for `/metrics` and the report, so both say the same thing the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from gaplens.metrics.schemas import MetricOverview, StaggeredEffect, StaggeredFigures
from gaplens.report.charts import event_study_chart, spec_to_svg

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


def effect_view(
    overview: MetricOverview, figures: StaggeredFigures | None, caption_id: str | None = None
) -> EffectView | None:
    """The view of `figures` for `overview`'s metric (None when there are none);
    `caption_id` names the element whose words describe the chart (aria-describedby)."""
    if figures is None:
        return None
    metric = overview.metric
    spec = event_study_chart(figures, metric.label, metric.unit)
    return EffectView(
        key=metric.key,
        label=metric.label,
        unit=metric.unit,
        better=metric.better,
        figures=figures,
        chart=Markup(spec_to_svg(spec, caption_id)) if spec is not None else None,
    )
