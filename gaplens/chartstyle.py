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
FAINT = "#7B8794"
"""Reference lines and earlier periods: the lightest ink that still has 3:1 on white."""
GRID = "#E4E7EB"
"""Gridlines only: a reading aid behind the labelled values, not a mark that carries data."""
AXIS_LINE = "#7B8794"
BENCHMARK = "#7B4B94"
"""Published benchmarks: a muted purple, distinct from every group colour."""

LIGHT_BLUE = "#3B8FD0"
ORANGE = "#B36B00"
GROUP_COLOURS: dict[str, str] = {
    "executive": "#0072B2",
    "manager": LIGHT_BLUE,
    "individual_contributor": ORANGE,
    "everyone": "#8C8C8C",
}
"""Okabe-Ito hues, the light ones darkened: every mark has at least 3:1 against the white
chart (WCAG 1.4.11), and the groups are also named on the axis, never by colour alone."""
EXTRA_COLOURS = ("#009E73", "#CC79A7", "#D55E00", "#857600")

CHART_WIDTH = 660
"""Total width of every chart in CSS pixels, so charts line up on the page and in print."""
LABEL_WIDTH = 170
"""Room for the group names left of every plot, so plots line up from chart to chart."""
RIGHT_ROOM = 40
"""Room right of the plot for the value label at the end of the longest bar."""
PADDING = {"left": 2, "right": 4, "top": 6, "bottom": 2}
PLOT_WIDTH = CHART_WIDTH - LABEL_WIDTH - RIGHT_ROOM - PADDING["left"] - PADDING["right"]

CONFIG: Spec = {
    # The SVG root is one named image (report.charts.spec_to_svg); Vega's own ARIA would give
    # every mark a role without a name, which screen readers read as noise.
    "aria": False,
    "mark": {"aria": False},
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
        "domainColor": AXIS_LINE,
        "tickColor": AXIS_LINE,
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
