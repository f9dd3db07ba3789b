"""The gap trend page's team chart, in the report's style (gaplens/chartstyle.py), as a
Vega-Lite spec the web renders to inline SVG: every team's gap per pulse beside each other
(what the page's table holds). The organisation's line over pulses is the report's own
`trend_chart`.

Only shown cells are drawn; a hidden cell stays in the table with its reason in words.
"""

from __future__ import annotations

import math

from gaplens.chartstyle import (
    CONFIG,
    FAINT,
    MUTED,
    PHONE_WIDTH,
    PLOT_WIDTH,
    SCHEMA_URL,
    Spec,
    narrow_config,
)
from gaplens.figures import FigureStatus
from gaplens.perception.trend import TeamTrend, TrendOut
from gaplens.wording import signed

LATEST = "#0072B2"
EARLIER = ("#9AA5B1", "#7B8794", "#52606D", "#CBD2D9")
"""Earlier pulses in greys (the latest in blue), so the eye goes to where the gap is now."""


def _shown(team: TeamTrend) -> list[tuple[int, str, float, float, float]]:
    """(pulse index, pulse, estimate, low, high) of the team's shown cells."""
    return [
        (i, p.survey, p.gap_pp.estimate, p.gap_pp.low, p.gap_pp.high)
        for i, p in enumerate(team.points)
        if p.status == FigureStatus.SHOWN and p.gap_pp is not None
    ]


def _domain(values: list[float]) -> list[int]:
    """Whole tens around every interval end and 0, at least 40 points wide."""
    lo = math.floor(min([*values, 0.0]) / 10) * 10
    hi = math.ceil(max([*values, 0.0]) / 10) * 10
    return [lo, max(hi, lo + 40)]


def _pulse_colours(surveys: list[str]) -> Spec:
    earlier = [EARLIER[i % len(EARLIER)] for i in range(len(surveys) - 1)]
    return {
        "field": "pulse",
        "type": "nominal",
        "sort": surveys,
        "scale": {"domain": surveys, "range": [*earlier[::-1], LATEST]},
        "legend": {"orient": "top", "title": None, "labelFontSize": 11, "symbolType": "circle"},
    }


def _zero_rule() -> Spec:
    return {
        "mark": {"type": "rule", "color": FAINT, "strokeDash": [4, 3]},
        "encoding": {"x": {"datum": 0, "type": "quantitative"}},
    }


NARROW_LABELS = 96


def team_trend_chart(trend: TrendOut, *, narrow: bool = False) -> Spec | None:
    """Every row of the page's table (the organisation, then each team) with its gap in
    each pulse beside each other, the latest in blue; None when no cell is shown. `narrow`:
    the phone's version, fitted to `PHONE_WIDTH`."""
    cells = [(t.name, *cell) for t in trend.teams for cell in _shown(t)]
    if not cells:
        return None
    rows: list[Spec] = [
        {"team": name, "pulse": s, "estimate": e, "low": lo, "high": hi, "text": signed(e)}
        for name, _, s, e, lo, hi in cells
    ]
    teams = list(dict.fromkeys(name for name, *_ in cells))
    domain = _domain([c[4] for c in cells] + [c[5] for c in cells])
    y: Spec = {"field": "team", "type": "nominal", "sort": teams, "title": None}
    if narrow:  # a word a line: "Northwind / Logistics" rather than "Northwind Log…"
        y["axis"] = {"labelExpr": "split(datum.label, ' ')"}
    offset: Spec = {"field": "pulse", "type": "nominal", "sort": trend.surveys}
    x: Spec = {
        "field": "estimate",
        "type": "quantitative",
        "scale": {"domain": domain, "nice": False},
        "axis": {
            "title": "Gap (points): leaders minus individual contributors",
            "labelExpr": "datum.value > 0 ? '+' + datum.value : '' + datum.value",
            "grid": True,
            "tickCount": 6,
            "titleColor": MUTED,
        },
    }
    colour = _pulse_colours(trend.surveys)
    if narrow:  # one pulse a line, so the legend is no wider than the plot
        colour["legend"] = {**colour["legend"], "direction": "vertical"}
    return {
        "$schema": SCHEMA_URL,
        "description": (
            "The gap between leaders and individual contributors reporting productivity "
            "gains, per team and pulse, with 95% intervals; the latest pulse in blue."
        ),
        "config": narrow_config(NARROW_LABELS) if narrow else CONFIG,
        "data": {"values": rows},
        "width": PHONE_WIDTH - NARROW_LABELS - 58 if narrow else PLOT_WIDTH,
        "height": {"step": 14 * len(trend.surveys) + 6},
        "layer": [
            _zero_rule(),
            {
                "mark": {"type": "rule", "strokeWidth": 2},
                "encoding": {
                    "y": y,
                    "yOffset": offset,
                    "x": {"field": "low", "type": "quantitative"},
                    "x2": {"field": "high"},
                    "color": colour,
                },
            },
            {
                "mark": {"type": "point", "filled": True, "size": 60, "opacity": 1},
                "encoding": {"y": y, "yOffset": offset, "x": x, "color": colour},
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
