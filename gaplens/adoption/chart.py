"""The funnel per team as a chart: what the dashboard counts (active in the last 28 days)
beside what changed the work (integrated), each as a share of the team's licensed people.

A Vega-Lite spec in the report's style (palette, fonts, widths from `report.charts`), rendered
to inline SVG by `report.charts.spec_to_svg`. Only shown groups are drawn; a suppressed team
is listed by the page in words, never plotted.
"""

from __future__ import annotations

from gaplens.adoption.schemas import AdoptionFunnel, FunnelGroup
from gaplens.chartstyle import CONFIG, LIGHT_BLUE, ORANGE, PLOT_WIDTH, SCHEMA_URL, Spec
from gaplens.wording import percent

BARS = (
    ("active_28d", "Active in the last 28 days", LIGHT_BLUE),
    ("integrated", "Integrated into the work", ORANGE),
)


def _rows(group: FunnelGroup) -> list[Spec]:
    label = f"{group.name}|{group.licensed} licensed"
    rows = []
    for stage, name, _ in BARS:
        figure = next((f for f in group.stages if f.stage == stage), None)
        if figure is None or figure.share_of_licensed is None:
            continue
        share = figure.share_of_licensed
        rows.append(
            {
                "label": label,
                "stage": name,
                "share": share.value,
                "low": share.low,
                "high": share.high,
                "text": percent(share.value),
            }
        )
    return rows


def funnel_chart(funnel: AdoptionFunnel) -> Spec | None:
    """Two bars per shown group (the organisation first, then each shown team), with 95%
    Wilson intervals; None when nothing may be shown."""
    groups = [funnel.organisation, *funnel.teams]
    rows = [row for group in groups if group.shown for row in _rows(group)]
    if not rows:
        return None
    labels = list(dict.fromkeys(str(r["label"]) for r in rows))
    y = {
        "field": "label",
        "type": "nominal",
        "sort": labels,
        "title": None,
        "axis": {"labelExpr": "split(datum.label, '|')"},
    }
    colour = {
        "field": "stage",
        "type": "nominal",
        "scale": {"domain": [b[1] for b in BARS], "range": [b[2] for b in BARS]},
        "legend": {"orient": "top", "title": None, "labelFontSize": 11},
    }
    offset = {"field": "stage", "type": "nominal", "sort": [b[1] for b in BARS]}
    x = {
        "field": "share",
        "type": "quantitative",
        "scale": {"domain": [0, 1]},
        "axis": {"format": "%", "values": [0, 0.25, 0.5, 0.75, 1], "title": "Share of licensed"},
    }
    return {
        "$schema": SCHEMA_URL,
        "description": (
            "Adoption funnel per team: the share of licensed people active with AI in the last "
            "28 days beside the share for whom AI is integrated into the work, with 95% "
            "intervals."
        ),
        "config": CONFIG,
        "data": {"values": rows},
        "width": PLOT_WIDTH,
        "height": {"step": 16},
        "layer": [
            {
                "mark": {"type": "bar", "height": {"band": 0.9}},
                "encoding": {"y": y, "yOffset": offset, "x": x, "color": colour},
            },
            {
                "mark": {"type": "rule", "color": "#52606D"},
                "encoding": {
                    "y": y,
                    "yOffset": offset,
                    "x": {"field": "low", "type": "quantitative"},
                    "x2": {"field": "high"},
                },
            },
            {
                "mark": {"type": "text", "align": "left", "dx": 4, "fontSize": 10},
                "encoding": {
                    "y": y,
                    "yOffset": offset,
                    "x": {"field": "high", "type": "quantitative"},
                    "text": {"field": "text"},
                },
            },
        ],
    }
