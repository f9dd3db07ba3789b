"""The metrics page's overview table as a chart: for every metric, its three comparisons
(after vs before adoption, AI users vs non-users, long vs new AI users) as a point on its
95% interval against a dashed zero, coloured by whether it moved beyond noise the way the
metric calls better or worse.

A Vega-Lite spec in the report's style (gaplens/chartstyle.py), one panel per metric on its
own scale (the metrics have different units), rendered to inline SVG by the web. Only
published figures are drawn; one without a figure stays in the table with its reason.
"""

from __future__ import annotations

from collections.abc import Sequence

from gaplens.chartstyle import (
    CONFIG,
    FAINT,
    PHONE_WIDTH,
    PLOT_WIDTH,
    SCHEMA_URL,
    Spec,
    narrow_config,
)
from gaplens.metrics.schemas import MetricFigure, MetricOverview
from gaplens.wording import signed

COMPARISONS = (
    ("before_after", "After vs before adoption"),
    ("users_vs_non_users", "AI users vs non-users"),
    ("by_tenure", "6+ months of AI vs newer"),
)
VERDICTS = (
    ("better", "Better beyond noise", "#009E73"),
    ("worse", "Worse beyond noise", "#D55E00"),
    ("unclear", "No clear change", "#9AA5B1"),
)
NARROW_LABELS = 104


def verdict(figure: MetricFigure, better: str) -> str:
    """'better' or 'worse' when the interval excludes 0, else 'unclear'."""
    if figure.low is None or figure.high is None:
        return "unclear"
    if figure.low > 0:
        return "better" if better == "higher" else "worse"
    if figure.high < 0:
        return "worse" if better == "higher" else "better"
    return "unclear"


def panel_title(overview: MetricOverview) -> str:
    """'Cycle time|days|lower is better': one line on a desktop, three on a phone."""
    metric = overview.metric
    return f"{metric.label}|{metric.unit}|{metric.better} is better"


def _rows(overviews: Sequence[MetricOverview]) -> list[Spec]:
    labels = {key: label for key, label, _ in VERDICTS}
    rows: list[Spec] = []
    for overview in overviews:
        for field, comparison in COMPARISONS:
            figure: MetricFigure = getattr(overview, field)
            if figure.value is None or figure.low is None or figure.high is None:
                continue
            rows.append(
                {
                    "metric": panel_title(overview),
                    "comparison": comparison,
                    "estimate": figure.value,
                    "low": figure.low,
                    "high": figure.high,
                    "verdict": labels[verdict(figure, overview.metric.better)],
                    "text": signed(figure.value, 2),
                }
            )
    return rows


def overview_chart(overviews: Sequence[MetricOverview], *, narrow: bool = False) -> Spec | None:
    """One panel per metric with a published comparison, in the table's order; None when
    none has one. `narrow`: the phone's version, fitted to `PHONE_WIDTH` at 1:1."""
    rows = _rows(overviews)
    if not rows:
        return None
    metrics = list(dict.fromkeys(str(r["metric"]) for r in rows))
    comparisons = [label for _, label in COMPARISONS]
    y: Spec = {"field": "comparison", "type": "nominal", "sort": comparisons, "title": None}
    config = CONFIG
    width = PLOT_WIDTH
    if narrow:
        y["axis"] = {"labelExpr": "split(replace(datum.label, ' vs ', ' vs|'), '|')"}
        config = narrow_config(NARROW_LABELS)
        width = PHONE_WIDTH - NARROW_LABELS - 44
    x: Spec = {
        "field": "estimate",
        "type": "quantitative",
        "scale": {"zero": True, "nice": True},
        "axis": {"title": None, "grid": True, "tickCount": 5, "format": "~g"},
    }
    colour: Spec = {
        "field": "verdict",
        "type": "nominal",
        "scale": {"domain": [v[1] for v in VERDICTS], "range": [v[2] for v in VERDICTS]},
        "legend": {
            "orient": "top",
            "title": None,
            "labelFontSize": 11,
            "symbolType": "circle",
            "direction": "vertical" if narrow else "horizontal",
        },
    }
    return {
        "$schema": SCHEMA_URL,
        "description": (
            "Each metric's change after adoption, against non-users and by AI tenure, with "
            "95% intervals, coloured by whether it moved beyond noise for the better or worse."
        ),
        "config": config,
        "data": {"values": rows},
        "facet": {
            "row": {
                "field": "metric",
                "type": "nominal",
                "sort": metrics,
                "title": None,
                "header": {
                    "labelOrient": "top",
                    "labelAnchor": "start",
                    "labelAngle": 0,
                    "labelPadding": 4,
                    "labelLimit": 0,
                    "labelExpr": (
                        "split(datum.label, '|')"
                        if narrow
                        else "replace(replace(datum.label, '|', ' ('), '|', ', ') + ')'"
                    ),
                    "labelFontSize": 11 if narrow else 11.5,
                },
            }
        },
        "spacing": 18,
        "resolve": {"scale": {"x": "independent"}},
        "spec": {
            "width": width,
            "height": {"step": 28 if narrow else 16},
            "layer": [
                {
                    "mark": {"type": "rule", "color": FAINT, "strokeDash": [4, 3]},
                    "encoding": {"x": {"datum": 0, "type": "quantitative"}},
                },
                {
                    "mark": {"type": "rule", "strokeWidth": 2},
                    "encoding": {
                        "y": y,
                        "x": {"field": "low", "type": "quantitative", "scale": x["scale"]},
                        "x2": {"field": "high"},
                        "color": colour,
                    },
                },
                {
                    "mark": {"type": "point", "filled": True, "size": 60, "opacity": 1},
                    "encoding": {"y": y, "x": x, "color": colour},
                },
                {
                    "mark": {"type": "text", "align": "left", "dx": 4, "fontSize": 10},
                    "encoding": {
                        "y": y,
                        "x": {"field": "high", "type": "quantitative"},
                        "text": {"field": "text"},
                    },
                },
            ],
        },
    }


def overview_findings(overviews: Sequence[MetricOverview]) -> list[str]:
    """The chart in words: each metric that moved beyond noise against non-users (the
    comparison that discounts what changed for everyone), e.g. 'Cycle time: better,
    −0.62 days (−0.97 to −0.27)'."""
    found = []
    for overview in overviews:
        figure = overview.users_vs_non_users
        outcome = verdict(figure, overview.metric.better)
        if outcome == "unclear" or figure.value is None or figure.low is None:
            continue
        found.append(
            f"{overview.metric.label}: {outcome}, {signed(figure.value, 2)} "
            f"{overview.metric.unit} ({signed(figure.low, 2)} to {signed(figure.high or 0.0, 2)})"
        )
    return found
