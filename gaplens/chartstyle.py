"""The charts' shared style: palette, fonts, widths and the Vega-Lite config.

A leaf module, so a capability draws a chart in the report's style (gaplens/adoption/chart.py)
without importing the report.
"""

from __future__ import annotations

from typing import Any

Spec = dict[str, Any]

VL_VERSION = "6.4"
SCHEMA_URL = "https://vega.github.io/schema/vega-lite/v6.4.1.json"
FONT = "DejaVu Sans"

INK = "#1F2933"
MUTED = "#52606D"
FAINT = "#9AA5B1"
GRID = "#E4E7EB"
BENCHMARK = "#7B4B94"
"""Published benchmarks: a muted purple, distinct from every group colour."""

GROUP_COLOURS: dict[str, str] = {
    "executive": "#0072B2",
    "manager": "#56B4E9",
    "individual_contributor": "#E69F00",
    "everyone": "#8C8C8C",
}
EXTRA_COLOURS = ("#009E73", "#CC79A7", "#D55E00", "#F0E442")

CHART_WIDTH = 660
"""Total width of every chart in CSS pixels, so charts line up on the page and in print."""
LABEL_WIDTH = 170
"""Room for the group names left of every plot, so plots line up from chart to chart."""
RIGHT_ROOM = 40
"""Room right of the plot for the value label at the end of the longest bar."""
PADDING = {"left": 2, "right": 4, "top": 6, "bottom": 2}
PLOT_WIDTH = CHART_WIDTH - LABEL_WIDTH - RIGHT_ROOM - PADDING["left"] - PADDING["right"]

CONFIG: Spec = {
    "font": FONT,
    "background": "white",
    "padding": PADDING,
    "view": {"stroke": None},
    "axis": {
        "labelFont": FONT,
        "titleFont": FONT,
        "labelColor": MUTED,
        "titleColor": MUTED,
        "labelFontSize": 11,
        "titleFontSize": 11,
        "titleFontWeight": "normal",
        "gridColor": GRID,
        "domainColor": "#CBD2D9",
        "tickColor": "#CBD2D9",
    },
    "axisY": {
        "grid": False,
        "domain": False,
        "ticks": False,
        "labelPadding": 10,
        "labelColor": INK,
        "labelFontSize": 11.5,
        "labelLimit": LABEL_WIDTH - 12,
        "labelLineHeight": 14,
        "minExtent": LABEL_WIDTH,
        "maxExtent": LABEL_WIDTH,
    },
    "header": {
        "labelFont": FONT,
        "titleFont": FONT,
        "labelColor": INK,
        "labelFontSize": 11.5,
        "labelFontWeight": "bold",
    },
    "text": {"font": FONT, "fontSize": 11, "color": INK},
}


PHONE_WIDTH = 320
"""A whole chart drawn for a 390 px phone (the page's and the card's padding taken off), at
1:1 so its text stays as large as on a desktop instead of shrinking to half."""


def narrow_config(label_width: int) -> Spec:
    """The style with a label column of `label_width` px, for a chart drawn for a phone."""
    axis_y = {
        **CONFIG["axisY"],
        "labelLimit": label_width - 8,
        "minExtent": label_width,
        "maxExtent": label_width,
        "labelFontSize": 10.5,
    }
    return {**CONFIG, "axisY": axis_y}
