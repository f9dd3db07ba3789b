"""Perception calibrated, ready for a page or the report: per AI-tenure band, how much
faster people feel beside how much faster the work data shows, as a chart and sentences.

One helper for `/metrics` and the report, so both say the same thing the same way. Only
figures that are shown are drawn; a band without one is said in words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup

from gaplens.chartstyle import (
    CHART_WIDTH,
    CONFIG,
    FAINT,
    LABEL_WIDTH,
    SCHEMA_URL,
    Spec,
)
from gaplens.realities.schemas import Calibration
from gaplens.report.charts import spec_to_svg
from gaplens.wording import plain

PERCEIVED = "#E69F00"
"""What people say (the report's self-reported colour)."""
MEASURED = "#0072B2"
"""What the work data shows (the report's measured colour)."""
SIDES = ("How fast they feel", "Measured")


def calibration_chart(found: Calibration) -> Spec | None:
    """One row per tenure band: perceived (orange) and measured (blue) speed-up in %, each a
    point on its 95% interval and labelled with its value, a dashed line at 0 (no change)."""
    rows: list[Spec] = []
    for band in found.bands:
        for side, value in zip(SIDES, (band.perceived, band.measured), strict=True):
            if value is None:
                continue
            rows.append(
                {
                    "band": band.label[:1].upper() + band.label[1:],
                    "side": side,
                    "estimate": value.estimate,
                    "low": value.low,
                    "high": value.high,
                    "text": f"{plain(value.estimate, 0)}%",
                }
            )
    if not rows:
        return None
    labels = [b.label[:1].upper() + b.label[1:] for b in found.bands]
    extent = [float(r["low"]) for r in rows] + [float(r["high"]) for r in rows] + [0.0]
    x: Spec = {
        "field": "estimate",
        "type": "quantitative",
        "scale": {"domain": [min(extent), max(extent)], "nice": True},
        "axis": {"title": "Faster with AI (%), 95% interval", "grid": True, "tickCount": 6},
    }
    y: Spec = {"field": "band", "type": "nominal", "sort": labels, "title": None}
    offset: Spec = {"field": "side", "type": "nominal", "sort": list(SIDES)}
    colour: Spec = {
        "field": "side",
        "type": "nominal",
        "scale": {"domain": list(SIDES), "range": [PERCEIVED, MEASURED]},
        "legend": {"orient": "top", "title": None, "labelFontSize": 11},
    }
    layers: list[Spec] = [
        {
            "data": {"values": [{}]},
            "mark": {"type": "rule", "color": FAINT, "strokeDash": [4, 3]},
            "encoding": {"x": {"datum": 0, "type": "quantitative"}},
        },
        {
            "mark": {"type": "rule", "strokeWidth": 2},
            "encoding": {
                "x": {**x, "field": "low"},
                "x2": {"field": "high"},
                "y": y,
                "yOffset": offset,
                "color": colour,
            },
        },
        {
            "mark": {"type": "point", "filled": True, "size": 70, "opacity": 1},
            "encoding": {"x": x, "y": y, "yOffset": offset, "color": colour},
        },
        {
            "mark": {"type": "text", "dy": -9, "fontSize": 10.5},
            "encoding": {"x": x, "y": y, "yOffset": offset, "text": {"field": "text"}},
        },
    ]
    return {
        "$schema": SCHEMA_URL,
        "description": (
            f"{found.scope}: how much faster people feel with AI beside how much faster the "
            "work data shows, by how long they have used AI, with 95% intervals."
        ),
        "config": CONFIG,
        "data": {"values": rows},
        "width": CHART_WIDTH - LABEL_WIDTH - 40,
        "height": {"step": 26},
        "layer": layers,
    }


@dataclass(frozen=True)
class CalibrationView:
    """One scope's calibration with its chart (None when no band has a figure), described by
    the caption whose id is `caption_id` (the chart's aria-describedby)."""

    calibration: Calibration
    chart: Markup | None
    caption_id: str


def calibration_view(found: Calibration) -> CalibrationView:
    caption_id = "calibration-" + re.sub(r"[^a-z0-9]+", "-", found.scope.lower()).strip("-")
    spec = calibration_chart(found)
    chart = Markup(spec_to_svg(spec, caption_id + "-caption")) if spec is not None else None
    return CalibrationView(found, chart, caption_id + "-caption")
