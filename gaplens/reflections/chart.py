"""Participation by step as a small server-rendered SVG (no script, no external resource).

Drawn by hand rather than through Vega-Lite: three bars with their intervals need no chart
engine, and the same markup serves the staff page, the HTML report and the PDF.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from gaplens.reflections.schemas import StepParticipation

WIDTH = 560
ROW = 44
LABEL_WIDTH = 150
BAR_WIDTH = WIDTH - LABEL_WIDTH - 120
BAR = "#0072B2"
INK = "#1F2933"
MUTED = "#52606D"
GRID = "#E4E7EB"


def _x(share: float) -> float:
    return LABEL_WIDTH + max(0.0, min(1.0, share)) * BAR_WIDTH


def participation_svg(steps: Sequence[StepParticipation]) -> Markup:
    """Share of links used per step with its 95% interval; hidden steps say so in words."""
    height = ROW * len(steps) + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" '
        'aria-labelledby="reflection-chart-title" font-family="DejaVu Sans, sans-serif" '
        'font-size="12">',
        '<title id="reflection-chart-title">Share of reflection links used, by step, with '
        "95% intervals</title>",
    ]
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        x = _x(tick)
        parts.append(
            f'<line x1="{x:.1f}" y1="4" x2="{x:.1f}" y2="{height - 22}" stroke="{GRID}"/>'
            f'<text x="{x:.1f}" y="{height - 8}" fill="{MUTED}" text-anchor="middle">'
            f"{tick * 100:.0f}%</text>"
        )
    for index, step in enumerate(steps):
        y = 8 + index * ROW
        label = escape(step.label)
        parts.append(f'<text x="0" y="{y + 19}" fill="{INK}">{label}</text>')
        if step.status != "shown" or step.rate is None:
            parts.append(
                f'<text x="{LABEL_WIDTH}" y="{y + 19}" fill="{MUTED}" font-style="italic">'
                "not enough data</text>"
            )
            continue
        rate = step.rate
        parts.append(
            f'<rect x="{LABEL_WIDTH}" y="{y + 6}" width="{_x(rate.estimate) - LABEL_WIDTH:.1f}" '
            f'height="18" fill="{BAR}" opacity="0.85"/>'
            f'<line x1="{_x(rate.low):.1f}" y1="{y + 15}" x2="{_x(rate.high):.1f}" '
            f'y2="{y + 15}" stroke="{INK}" stroke-width="1.5"/>'
            f'<line x1="{_x(rate.low):.1f}" y1="{y + 10}" x2="{_x(rate.low):.1f}" '
            f'y2="{y + 20}" stroke="{INK}"/>'
            f'<line x1="{_x(rate.high):.1f}" y1="{y + 10}" x2="{_x(rate.high):.1f}" '
            f'y2="{y + 20}" stroke="{INK}"/>'
            f'<text x="{_x(1.0) + 8:.1f}" y="{y + 19}" fill="{INK}">'
            f"{rate.estimate * 100:.0f}% · n={step.invited}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
