"""Vega-Lite chart specs for the reality report, and their static SVG rendering.

Specs are plain JSON-able dicts (the same spec can be served to an interactive page and
rendered with vega-embed); `spec_to_svg` renders one offline with vl-convert for the HTML
and PDF report. Only figures whose status is "shown" are plotted: hidden figures are
described in words by the report, never drawn.

Design: one calm, colour-blind-safe palette (Okabe-Ito hues: leadership in blues, individual
contributors in orange, everyone in grey); every mark that carries a value is labelled with
it, and groups are named on the axis with their n, so nothing relies on colour alone.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Sequence
from functools import lru_cache

import vl_convert

from gaplens.chartstyle import (
    BENCHMARK,
    CHART_WIDTH,
    CONFIG,
    EXTRA_COLOURS,
    FAINT,
    GROUP_COLOURS,
    INK,
    LIGHT_BLUE,
    MUTED,
    ORANGE,
    PLOT_WIDTH,
    SCHEMA_URL,
    VL_VERSION,
    Spec,
)
from gaplens.metrics.schemas import StaggeredFigures
from gaplens.report.measures import share_measure
from gaplens.report.schemas import (
    AdoptionSection,
    Comparison,
    CostSection,
    FigureStatus,
    GapTrend,
    GroupFigures,
    QuestionFigures,
    ReportDocument,
    UseCasesSection,
)
from gaplens.wording import (
    NBSP,
    TIMES,
    group_label,
    percent,
    plain,
    points_range,
    ratio,
    ratio_range,
    signed,
)


def group_colour(key: str, order: Sequence[str]) -> str:
    if key in GROUP_COLOURS:
        return GROUP_COLOURS[key]
    extras = [g for g in order if g not in GROUP_COLOURS]
    index = extras.index(key) if key in extras else 0
    return EXTRA_COLOURS[index % len(EXTRA_COLOURS)]


def axis_label(key: str, n: int | None) -> str:
    """A two-line axis label, '|' separating the lines: 'Executives|n = 18'."""
    return f"{group_label(key)}|n = {n}" if n is not None else group_label(key)


def _shown_groups(
    question: QuestionFigures, order: Sequence[str]
) -> list[tuple[str, GroupFigures]]:
    keys = [g for g in order if g in question.groups]
    keys += [g for g in question.groups if g not in keys]
    return [
        (g, question.groups[g]) for g in keys if question.groups[g].status is FigureStatus.SHOWN
    ]


def _base(description: str) -> Spec:
    return {"$schema": SCHEMA_URL, "description": description, "config": CONFIG}


def _group_colour_encoding(keys: Sequence[str], order: Sequence[str]) -> Spec:
    return {
        "field": "group",
        "type": "nominal",
        "scale": {"domain": list(keys), "range": [group_colour(k, order) for k in keys]},
        "legend": None,
    }


def _y_groups(labels: Sequence[str]) -> Spec:
    return {
        "field": "label",
        "type": "nominal",
        "sort": list(labels),
        "title": None,
        "axis": {"labelExpr": "split(datum.label, '|')"},
    }


def _estimates(x: Spec, y: Spec, colour: Spec, *, size: int) -> list[Spec]:
    """Each estimate as a filled point on a rule from its interval's `low` to `high`."""
    return [
        {
            "mark": {"type": "rule", "strokeWidth": 2},
            "encoding": {
                "x": x,
                "y": {**y, "field": "low"},
                "y2": {"field": "high"},
                "color": colour,
            },
        },
        {
            "mark": {"type": "point", "filled": True, "size": size, "opacity": 1},
            "encoding": {"x": x, "y": y, "color": colour},
        },
    ]


def _haloed_text(mark: Spec, encoding: Spec) -> list[Spec]:
    """A text layer drawn twice, a white outline first, so labels stay legible over lines."""
    halo = {**mark, "stroke": "white", "strokeWidth": 4, "strokeJoin": "round"}
    return [{"mark": halo, "encoding": encoding}, {"mark": mark, "encoding": encoding}]


def _benchmark_line(value: float, text: str) -> list[Spec]:
    """A dashed vertical line at a published figure, labelled above the plot."""
    data = {"values": [{"bench": value, "text": text}]}
    x = {"field": "bench", "type": "quantitative"}
    return [
        {
            "data": data,
            "mark": {"type": "rule", "color": BENCHMARK, "strokeWidth": 2, "strokeDash": [5, 3]},
            "encoding": {"x": x},
        },
        {
            "data": data,
            "mark": {
                "type": "text",
                "color": BENCHMARK,
                "align": "left",
                "dx": 4,
                "baseline": "bottom",
                "y": -3,
                "fontSize": 10.5,
                "fontWeight": "bold",
            },
            "encoding": {"x": x, "text": {"field": "text"}},
        },
    ]


def _share_layers(y: Spec, colour: Spec, domain_max: float, axis_values: list[float]) -> list[Spec]:
    """Bar + Wilson interval whisker + value label, for shares on a 0..domain_max axis."""
    x: Spec = {
        "field": "share",
        "type": "quantitative",
        "scale": {"domain": [0, domain_max], "nice": False},
        "axis": {"format": ".0%", "values": axis_values, "title": None, "labelFlush": True},
    }
    whisker = {"type": "tick", "color": INK, "thickness": 1.4, "size": 9, "orient": "vertical"}
    return [
        {
            "mark": {"type": "bar", "height": {"band": 0.62}, "cornerRadiusEnd": 2},
            "encoding": {"y": y, "x": x, "color": colour},
        },
        {
            "mark": {"type": "rule", "color": INK, "strokeWidth": 1.4},
            "encoding": {
                "y": y,
                "x": {"field": "low", "type": "quantitative"},
                "x2": {"field": "high"},
            },
        },
        {"mark": whisker, "encoding": {"y": y, "x": {"field": "low", "type": "quantitative"}}},
        {"mark": whisker, "encoding": {"y": y, "x": {"field": "high", "type": "quantitative"}}},
        *_haloed_text(
            {"type": "text", "align": "left", "baseline": "middle", "dx": 6, "fontWeight": "bold"},
            {"y": y, "x": {"field": "high", "type": "quantitative"}, "text": {"field": "text"}},
        ),
    ]


def _share_domain(highs: Sequence[float]) -> tuple[float, list[float]]:
    """Axis extent for shares: up to the largest interval end rounded up to 10%, and ticks."""
    top = max(highs, default=0.0)
    domain_max = min(1.0, max(0.3, math.ceil(top * 10 - 1e-9) / 10))
    step = 0.25 if domain_max > 0.6 else 0.1
    values = [round(i * step, 4) for i in range(int(domain_max / step + 1e-9) + 1)]
    return domain_max, values


def productivity_impact_chart(question: QuestionFigures, group_order: Sequence[str]) -> Spec | None:
    """Share answering each option, by role level, with Wilson 95% intervals.

    Small multiples: one panel per answer, role levels down the side with their n.
    """
    groups = _shown_groups(question, group_order)
    rows: list[Spec] = []
    for key, figures in groups:
        for option in question.options:
            s = (figures.shares or {}).get(option)
            if s is None:
                continue
            rows.append(
                {
                    "group": key,
                    "label": axis_label(key, figures.n),
                    "option": option,
                    "share": s.share,
                    "low": s.low,
                    "high": s.high,
                    "text": percent(s.share),
                }
            )
    if not rows:
        return None
    keys = list(dict.fromkeys(str(r["group"]) for r in rows))
    labels = list(dict.fromkeys(str(r["label"]) for r in rows))
    domain_max, values = _share_domain([float(r["high"]) for r in rows])
    spacing = 30
    panels = len(question.options)
    width = max(70, (PLOT_WIDTH - spacing * (panels - 1)) // panels)
    layers = _share_layers(
        _y_groups(labels),
        _group_colour_encoding(keys, group_order),
        domain_max,
        values[::2] if len(values) > 3 else values,
    )
    spec = _base(
        f"{question.text} Share of each role level giving each answer, with 95% intervals."
    )
    spec.update(
        {
            "data": {"values": rows},
            "facet": {
                "column": {
                    "field": "option",
                    "type": "nominal",
                    "sort": list(question.options),
                    "title": None,
                    "header": {
                        "labelAnchor": "start",
                        "labelPadding": 8,
                        "labelExpr": "upper(slice(datum.label, 0, 1)) + slice(datum.label, 1)",
                    },
                }
            },
            "spacing": spacing,
            "spec": {"width": width, "height": {"step": 34}, "layer": layers},
        }
    )
    return spec


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split(" "):
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _comparison_rows(comparisons: Sequence[Comparison], question: QuestionFigures) -> list[Spec]:
    rows: list[Spec] = []
    for c in comparisons:
        if c.status is not FigureStatus.SHOWN or c.value is None:
            continue
        num = question.groups.get(c.numerator_group)
        den = question.groups.get(c.denominator_group)
        n_num = num.n if num is not None else None
        n_den = den.n if den is not None else None
        title = (
            f"{group_label(c.numerator_group)} vs {group_label(c.denominator_group).lower()}: "
            f"\u201c{c.option.replace(' ', NBSP)}\u201d"
        )
        lines = _wrap(title, 26)
        if n_num is not None and n_den is not None:
            lines.append(f"n = {n_num} vs {n_den}")
        row: Spec = {
            "label": "|".join(lines),
            "estimate": c.value.estimate,
            "low": c.value.low,
            "high": c.value.high,
        }
        bench = c.benchmark.value if c.benchmark is not None else None
        if c.kind == "risk_ratio":
            row["text"] = f"{ratio(c.value.estimate)}  ({ratio_range(c.value.low, c.value.high)})"
            if bench is not None:
                row["bench"] = bench
                row["bench_text"] = f"Published {bench:g}{TIMES}"
        else:
            row["text"] = (
                f"{signed(c.value.estimate)} pts  ({points_range(c.value.low, c.value.high)})"
            )
            if bench is not None:
                row["bench"] = bench
                row["bench_text"] = f"Published {signed(bench)}"
        rows.append(row)
    return rows


def _forest_panel(rows: list[Spec], kind: str) -> Spec:
    y: Spec = {
        "field": "label",
        "type": "nominal",
        "sort": [str(r["label"]) for r in rows],
        "title": None,
        "axis": {"labelExpr": "split(datum.label, '|')", "labelLineHeight": 14},
    }
    extent = [float(r["low"]) for r in rows] + [float(r["high"]) for r in rows]
    extent += [float(r["bench"]) for r in rows if "bench" in r]
    if kind == "risk_ratio":
        reference = 1.0
        lo_exp = math.floor(math.log2(max(1e-3, min([*extent, reference]))) - 1e-9)
        hi_exp = math.ceil(math.log2(max([*extent, reference])) + 1e-9)
        if hi_exp - lo_exp < 2:
            hi_exp += 1
        scale: Spec = {
            "type": "log",
            "base": 2,
            "domain": [2.0**lo_exp, 2.0**hi_exp],
            "nice": False,
        }
        axis: Spec = {
            "values": [2.0**e for e in range(lo_exp, hi_exp + 1)],
            "labelExpr": "format(datum.value, '~g') + '\u00d7'",
            "title": "Times as likely (log scale; 1\u00d7 = no difference)",
        }
    else:
        reference = 0.0
        lo_t = math.floor(min([*extent, reference]) / 20) * 20
        hi_t = math.ceil(max([*extent, reference]) / 20) * 20
        scale = {"domain": [lo_t, hi_t], "nice": False}
        axis = {
            "values": list(range(int(lo_t), int(hi_t) + 1, 20)),
            "labelExpr": "datum.value > 0 ? '+' + datum.value : '' + datum.value",
            "title": "Gap in percentage points (0 = no difference)",
        }
    x: Spec = {"field": "estimate", "type": "quantitative", "scale": scale, "axis": axis}
    layers: list[Spec] = [
        {
            "mark": {"type": "rule", "color": FAINT, "strokeDash": [4, 3]},
            "encoding": {"x": {"datum": reference, "type": "quantitative"}},
        },
        {
            "mark": {"type": "rule", "color": INK, "strokeWidth": 1.6},
            "encoding": {"y": y, "x": {**x, "field": "low"}, "x2": {"field": "high"}},
        },
    ]
    if any("bench" in r for r in rows):
        bench_x: Spec = {**x, "field": "bench"}
        layers += [
            {
                "transform": [{"filter": "isValid(datum.bench)"}],
                "mark": {
                    "type": "point",
                    "shape": "diamond",
                    "size": 150,
                    "filled": False,
                    "strokeWidth": 2,
                    "color": BENCHMARK,
                    "opacity": 1,
                },
                "encoding": {"y": y, "x": bench_x},
            },
            *[
                {"transform": [{"filter": "isValid(datum.bench)"}], **layer}
                for layer in _haloed_text(
                    {
                        "type": "text",
                        "baseline": "top",
                        "dy": 10,
                        "fontSize": 10.5,
                        "fontWeight": "bold",
                        "color": BENCHMARK,
                    },
                    {"y": y, "x": bench_x, "text": {"field": "bench_text"}},
                )
            ],
        ]
    layers += [
        {
            "mark": {"type": "point", "filled": True, "size": 70, "color": INK, "opacity": 1},
            "encoding": {"y": y, "x": x},
        },
        *_haloed_text(
            {"type": "text", "baseline": "bottom", "dy": -9, "fontWeight": "bold"},
            {"y": y, "x": x, "text": {"field": "text"}},
        ),
    ]
    return {
        "width": PLOT_WIDTH,
        "height": {"step": 70},
        "data": {"values": rows},
        "layer": layers,
    }


def comparisons_chart(question: QuestionFigures) -> Spec | None:
    """Forest plot of the shown risk ratios (log scale) and percentage-point gaps.

    Each row: the estimate (dot) with its 95% interval, and the published benchmark (a
    hollow purple diamond) where the comparison has one.
    """
    panels: list[Spec] = []
    ratio_rows = _comparison_rows(list(question.risk_ratios.values()), question)
    if ratio_rows:
        panels.append(_forest_panel(ratio_rows, "risk_ratio"))
    gap_rows = _comparison_rows(list(question.gaps_pp.values()), question)
    if gap_rows:
        panels.append(_forest_panel(gap_rows, "difference_pp"))
    if not panels:
        return None
    spec = _base(
        f"{question.text} Risk ratios and percentage-point gaps between role levels with 95% "
        "intervals; published benchmarks marked with a diamond."
    )
    if len(panels) == 1:
        spec.update(panels[0])
    else:
        spec.update({"vconcat": panels, "spacing": 28, "resolve": {"scale": {"x": "independent"}}})
    return spec


def share_chart(
    question: QuestionFigures, group_order: Sequence[str], bank_version: int
) -> Spec | None:
    """The question's summary share (favourable, or the share its benchmark counts) by role
    level, with 95% intervals and a line at the published benchmark when it is a share."""
    measure = share_measure(question, bank_version)
    if measure is None:
        return None
    rows: list[Spec] = []
    for key, figures in _shown_groups(question, group_order):
        s = measure.share(figures)
        if s is None:
            continue
        rows.append(
            {
                "group": key,
                "label": axis_label(key, figures.n),
                "share": s.share,
                "low": s.low,
                "high": s.high,
                "text": percent(s.share),
            }
        )
    if not rows:
        return None
    highs = [float(r["high"]) for r in rows]
    if measure.benchmark is not None:
        highs.append(measure.benchmark)
    domain_max, values = _share_domain(highs)
    keys = [str(r["group"]) for r in rows]
    layers = _share_layers(
        _y_groups([str(r["label"]) for r in rows]),
        _group_colour_encoding(keys, group_order),
        domain_max,
        values,
    )
    if measure.benchmark is not None:
        layers = (
            _benchmark_line(measure.benchmark, f"Published {percent(measure.benchmark)}") + layers
        )
    spec = _base(
        f"{question.text} Share answering {measure.label.lower()} by role level, with 95% "
        "intervals" + ("; dashed line: published benchmark." if measure.benchmark else ".")
    )
    spec.update(
        {
            "data": {"values": rows},
            "width": PLOT_WIDTH,
            "height": {"step": 34},
            "layer": layers,
        }
    )
    return spec


def number_chart(question: QuestionFigures, group_order: Sequence[str]) -> Spec | None:
    """Median by role level with its bootstrap 95% interval, and the published figure (in the
    question's unit) as a line when there is one."""
    unit = question.unit or ""
    suffix = "%" if unit == "%" else ""
    rows: list[Spec] = []
    for key, figures in _shown_groups(question, group_order):
        if figures.number is None:
            continue
        med = figures.number.median
        rows.append(
            {
                "group": key,
                "label": axis_label(key, figures.n),
                "estimate": med.estimate,
                "low": med.low,
                "high": med.high,
                "text": plain(med.estimate, 0 if suffix else 1) + suffix,
            }
        )
    if not rows:
        return None
    y = _y_groups([str(r["label"]) for r in rows])
    keys = [str(r["group"]) for r in rows]
    bench = question.benchmark.value if question.benchmark is not None else None
    extent = [float(r["low"]) for r in rows] + [float(r["high"]) for r in rows] + [0.0]
    if bench is not None:
        extent.append(bench)
    lo, hi = min(extent), max(extent)
    pad = (hi - lo) * 0.06 or 1.0
    x: Spec = {
        "field": "estimate",
        "type": "quantitative",
        "scale": {"domain": [lo - (pad if lo < 0 else 0), hi + pad], "nice": True},
        "axis": {
            "title": f"Median ({unit})" if unit else "Median",
            "tickCount": 6,
            "labelExpr": "replace(datum.label, '-', '\u2212')",
        },
    }
    layers: list[Spec] = []
    if bench is not None:
        layers += _benchmark_line(bench, f"Published {plain(bench, 0)}{suffix}")
    layers += [
        {
            "mark": {"type": "rule", "color": FAINT, "strokeDash": [4, 3]},
            "encoding": {"x": {"datum": 0, "type": "quantitative"}},
        },
        {
            "mark": {"type": "rule", "color": INK, "strokeWidth": 1.6},
            "encoding": {"y": y, "x": {**x, "field": "low"}, "x2": {"field": "high"}},
        },
        {
            "mark": {"type": "point", "filled": True, "size": 90, "opacity": 1},
            "encoding": {"y": y, "x": x, "color": _group_colour_encoding(keys, group_order)},
        },
        *_haloed_text(
            {"type": "text", "baseline": "bottom", "dy": -8, "fontWeight": "bold"},
            {"y": y, "x": x, "text": {"field": "text"}},
        ),
    ]
    spec = _base(f"{question.text} Median by role level with 95% intervals.")
    spec.update(
        {
            "data": {"values": rows},
            "width": PLOT_WIDTH,
            "height": {"step": 40},
            "layer": layers,
        }
    )
    return spec


def question_chart(
    question: QuestionFigures, group_order: Sequence[str], bank_version: int
) -> Spec | None:
    """The chart for a question other than productivity_impact, if it has one."""
    if question.scale == "number":
        return number_chart(question, group_order)
    return share_chart(question, group_order, bank_version)


def report_charts(doc: ReportDocument) -> dict[str, Spec]:
    """Every chart of a report, keyed '<question key>', '<question key>.comparisons' or the
    section's field name (gap_trend, adoption, use_cases, cost)."""
    charts: dict[str, Spec] = {}
    for key, question in doc.perception.items():
        if key == "productivity_impact":
            spec = productivity_impact_chart(question, doc.group_order)
        else:
            spec = question_chart(question, doc.group_order, doc.survey.bank_version)
        if spec is not None:
            charts[key] = spec
        comparisons = comparisons_chart(question)
        if comparisons is not None:
            charts[f"{key}.comparisons"] = comparisons
    charts.update(section_charts(doc))
    return charts


_UNSAFE_SVG = re.compile(r"<\s*(script|foreignObject|iframe|image|a)\b|<[^>]*\son[a-z]+\s*=", re.I)
"""Active content an inline chart must never carry (vl-convert escapes text content)."""


def spec_to_svg(spec: Spec, described_by: str | None = None) -> str:
    """Render a Vega-Lite spec to a standalone SVG string, offline.

    The SVG is ready to inline in HTML: element ids are prefixed with a hash of the spec
    so several charts can share a page, the root carries role="img" and an aria-label from
    the spec's description (its marks are hidden from assistive technology: CONFIG turns
    Vega's ARIA off, so a screen reader hears one named image, not hundreds of unnamed
    shapes), and namespace declarations are dropped (HTML does not need them).
    `described_by` is the id of the element that says in words what the chart shows
    (its caption), set as aria-describedby.
    """
    svg = _svg(json.dumps(spec, sort_keys=True, separators=(",", ":")))
    if described_by is None:
        return svg
    described = f'focusable="false" aria-describedby="{_attr(described_by)}"'
    return svg.replace('focusable="false"', described, 1)


@lru_cache(maxsize=128)
def _svg(spec_json: str) -> str:
    spec = json.loads(spec_json)
    svg = str(vl_convert.vegalite_to_svg(spec, vl_version=VL_VERSION, allowed_base_urls=[]))
    if _UNSAFE_SVG.search(svg):
        raise ValueError("chart SVG contains active content")
    prefix = "c" + hashlib.sha256(spec_json.encode()).hexdigest()[:10]
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", svg)
    svg = re.sub(r'href="#([^"]+)"', rf'href="#{prefix}-\1"', svg)
    svg = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg, count=2)
    label = _attr(str(spec.get("description", "Chart")))
    return svg.replace("<svg", f'<svg role="img" aria-label="{label}" focusable="false"', 1)


def _attr(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    )


# --- sections beyond perception --------------------------------------------------------------

IN_PERIOD = "#0072B2"
EARLIER = FAINT
DASHBOARD_STAGE = LIGHT_BLUE
REAL_STAGE = ORANGE
WORKING = "#009E73"
FRICTION = "#D55E00"
BASIS_COLOURS = {"assumption": BENCHMARK, "self_reported": ORANGE, "measured": "#0072B2"}
DASHBOARD_STAGES = ("licensed", "activated", "active_28d")
COST_GROUP_NAMES = {
    "everyone": "everyone",
    "executive": "executives",
    "manager": "managers",
    "individual_contributor": "frontline",
}


def trend_chart(trend: GapTrend) -> Spec | None:
    """The leader-frontline gap per pulse (points with Newcombe 95% intervals), oldest left;
    pulses in the report's period in blue, earlier ones in grey, 0 = no gap."""
    rows: list[Spec] = []
    for point in trend.points:
        if point.status != FigureStatus.SHOWN or point.gap_pp is None:
            continue
        gap = point.gap_pp
        rows.append(
            {
                "pulse": point.survey,
                "estimate": gap.estimate,
                "low": gap.low,
                "high": gap.high,
                "period": "in" if point.in_period else "before",
                "text": f"{signed(gap.estimate)}",
            }
        )
    if not rows:
        return None
    extent = [float(r["low"]) for r in rows] + [float(r["high"]) for r in rows] + [0.0]
    lo = math.floor(min(extent) / 10) * 10
    hi = math.ceil(max(extent) / 10) * 10
    if hi - lo < 20:
        hi = lo + 20
    x: Spec = {
        "field": "pulse",
        "type": "ordinal",
        "sort": [str(r["pulse"]) for r in rows],
        "title": None,
        "axis": {"labelAngle": 0, "labelLimit": 160, "labelPadding": 8},
    }
    y: Spec = {
        "field": "estimate",
        "type": "quantitative",
        "scale": {"domain": [lo, hi], "nice": False},
        "axis": {
            "title": "Gap (points)",
            "labelExpr": "datum.value > 0 ? '+' + datum.value : '' + datum.value",
            "grid": True,
            "tickCount": 5,
        },
    }
    colour: Spec = {
        "field": "period",
        "type": "nominal",
        "scale": {"domain": ["in", "before"], "range": [IN_PERIOD, EARLIER]},
        "legend": None,
    }
    layers: list[Spec] = [
        {
            "mark": {"type": "rule", "color": FAINT, "strokeDash": [4, 3]},
            "encoding": {"y": {"datum": 0, "type": "quantitative"}},
        },
        {
            "mark": {"type": "line", "color": FAINT, "strokeWidth": 1.5},
            "encoding": {"x": x, "y": y},
        },
        *_estimates(x, y, colour, size=110),
        *_haloed_text(
            {"type": "text", "align": "left", "dx": 9, "fontWeight": "bold"},
            {"x": x, "y": y, "text": {"field": "text"}},
        ),
    ]
    spec = _base(
        "The gap between leaders and individual contributors reporting productivity gains, per "
        "pulse, with 95% intervals."
    )
    spec.update(
        {
            "data": {"values": rows},
            "width": CHART_WIDTH - 80,
            "height": 230,
            "layer": layers,
        }
    )
    return spec


PRE_ADOPTION = FAINT
POST_ADOPTION = "#0072B2"


def event_study_chart(figures: StaggeredFigures, label: str, unit: str) -> Spec | None:
    """AI's effect on a metric by months since adoption (the event study): one point per
    month with its 95% interval, months before adoption in grey (they should sit on the
    zero line: adopters and their comparison group changing alike), months after in blue,
    a dashed zero line and a line where adoption happens."""
    rows: list[Spec] = [
        {
            "month": int(e.key),
            "estimate": e.estimate,
            "low": e.low,
            "high": e.high,
            "phase": "after" if int(e.key) >= 0 else "before",
        }
        for e in figures.event_study
        if isinstance(e.key, int)
    ]
    if not rows or figures.overall is None:
        return None
    extent = [float(r["low"]) for r in rows] + [float(r["high"]) for r in rows] + [0.0]
    span = max(extent) - min(extent) or 1.0
    lo, hi = min(extent) - 0.05 * span, max(extent) + 0.05 * span
    months = [int(r["month"]) for r in rows]
    x: Spec = {
        "field": "month",
        "type": "quantitative",
        "scale": {"domain": [min(months) - 0.6, max(months) + 0.6], "nice": False},
        "axis": {
            "title": "Months since adoption (negative: before)",
            "values": months,
            "format": "d",
            "grid": False,
        },
    }
    y: Spec = {
        "field": "estimate",
        "type": "quantitative",
        "scale": {"domain": [lo, hi], "nice": False, "zero": False},
        "axis": {
            "title": f"Effect ({unit})",
            "grid": True,
            "tickCount": 5,
            "minExtent": 40,
            "maxExtent": 60,
            "labelColor": MUTED,
            "labelFontSize": 11,
        },
    }
    colour: Spec = {
        "field": "phase",
        "type": "nominal",
        "scale": {"domain": ["before", "after"], "range": [PRE_ADOPTION, POST_ADOPTION]},
        "legend": None,
    }
    marker = {"values": [{"month": -0.5, "text": "adoption"}]}
    layers: list[Spec] = [
        {
            "data": {"values": [{}]},
            "mark": {"type": "rule", "color": FAINT, "strokeDash": [4, 3]},
            "encoding": {"y": {"datum": 0, "type": "quantitative"}},
        },
        {
            "data": marker,
            "mark": {"type": "rule", "color": BENCHMARK, "strokeWidth": 1.5},
            "encoding": {"x": {"field": "month", "type": "quantitative"}},
        },
        {
            "data": marker,
            "mark": {
                "type": "text",
                "color": BENCHMARK,
                "align": "left",
                "dx": 4,
                "baseline": "top",
                "y": 2,
                "fontSize": 10.5,
                "fontWeight": "bold",
            },
            "encoding": {
                "x": {"field": "month", "type": "quantitative"},
                "text": {"field": "text"},
            },
        },
        *_estimates(x, y, colour, size=70),
    ]
    spec = _base(
        f"{label}: AI's effect by months since adoption, with 95% intervals; months before "
        "adoption in grey should sit on the zero line."
    )
    spec.update(
        {"data": {"values": rows}, "width": CHART_WIDTH - 90, "height": 200, "layer": layers}
    )
    return spec


def _stage_label(label: str, n: int) -> str:
    return f"{label}|n = {n:,}"


def funnel_chart(adoption: AdoptionSection) -> Spec | None:
    """Share of licensed people reaching each stage, with Wilson 95% intervals: the stages a
    vendor dashboard reports in light blue, the ones that show real use in orange."""
    if adoption.status is not FigureStatus.SHOWN:
        return None
    rows: list[Spec] = []
    for stage in adoption.stages:
        share = stage.share_of_licensed
        if share is None:
            continue
        words = stage.label.split(" (")[0]
        rows.append(
            {
                "group": "dashboard" if stage.stage in DASHBOARD_STAGES else "real",
                "label": _stage_label(words, stage.n),
                "share": share.share,
                "low": share.low,
                "high": share.high,
                "text": percent(share.share),
            }
        )
    if not rows:
        return None
    colour: Spec = {
        "field": "group",
        "type": "nominal",
        "scale": {"domain": ["dashboard", "real"], "range": [DASHBOARD_STAGE, REAL_STAGE]},
        "legend": None,
    }
    layers = _share_layers(
        _y_groups([str(r["label"]) for r in rows]), colour, 1.0, [0, 0.25, 0.5, 0.75, 1.0]
    )
    spec = _base(
        "Adoption funnel: share of licensed people reaching each stage, with 95% intervals."
    )
    spec.update(
        {"data": {"values": rows}, "width": PLOT_WIDTH, "height": {"step": 34}, "layer": layers}
    )
    return spec


def use_case_chart(use_cases: UseCasesSection) -> Spec | None:
    """Correction rate per named use case (friction log, Wilson 95% interval): green for the
    ones that work, vermillion for the ones that create friction."""
    rows: list[Spec] = []
    for status, items in (("working", use_cases.working), ("friction", use_cases.friction)):
        for item in items:
            found = next(
                (
                    e
                    for e in item.evidence
                    if e.measure == "correction_rate" and e.value is not None and e.n is not None
                ),
                None,
            )
            if found is None or found.low is None or found.high is None or found.value is None:
                continue
            rows.append(
                {
                    "group": status,
                    "label": f"{item.label}|n = {found.n}",
                    "share": found.value,
                    "low": found.low,
                    "high": found.high,
                    "text": percent(found.value),
                }
            )
    if not rows:
        return None
    colour: Spec = {
        "field": "group",
        "type": "nominal",
        "scale": {"domain": ["working", "friction"], "range": [WORKING, FRICTION]},
        "legend": None,
    }
    domain_max, values = _share_domain([float(r["high"]) for r in rows])
    layers = _share_layers(_y_groups([str(r["label"]) for r in rows]), colour, domain_max, values)
    spec = _base(
        "Share of logged AI outputs that needed correction, per use case, with 95% intervals."
    )
    spec.update(
        {"data": {"values": rows}, "width": PLOT_WIDTH, "height": {"step": 34}, "layer": layers}
    )
    return spec


def cost_chart(cost: CostSection) -> Spec | None:
    """Per licensed person per month: the seat cost at the assumed prices beside the value of
    the hours people report saving (self-reported, at the assumed hourly cost)."""
    if cost.status is not FigureStatus.SHOWN or cost.spend_per_seat_month is None:
        return None
    money = cost.currency
    rows: list[Spec] = [
        {
            "basis": "assumption",
            "label": "Seat cost|assumed prices",
            "estimate": cost.spend_per_seat_month,
            "low": cost.spend_per_seat_month,
            "high": cost.spend_per_seat_month,
            "text": f"{money} {cost.spend_per_seat_month:,.0f}",
        }
    ]
    for figure in cost.time:
        value = figure.money_per_person_month
        if figure.status is not FigureStatus.SHOWN or value is None:
            continue
        who = COST_GROUP_NAMES.get(figure.key.split(".", 1)[-1], "")
        rows.append(
            {
                "basis": "self_reported",
                "label": f"Time saved: {who}|self-reported, n = {figure.n}",
                "estimate": value.estimate,
                "low": value.low,
                "high": value.high,
                "text": f"{money} {value.estimate:,.0f}",
            }
        )
    if len(rows) < 2:
        return None
    top = max(max(float(r["high"]) for r in rows), 1.0) * 1.15
    lowest = min(0.0, min(float(r["low"]) for r in rows) * 1.15)
    x: Spec = {
        "field": "estimate",
        "type": "quantitative",
        "scale": {"domain": [lowest, top], "nice": True},
        "axis": {"title": f"{money} per licensed person per month", "tickCount": 5, "grid": True},
    }
    y = _y_groups([str(r["label"]) for r in rows])
    colour: Spec = {
        "field": "basis",
        "type": "nominal",
        "scale": {
            "domain": ["assumption", "self_reported"],
            "range": [BASIS_COLOURS["assumption"], BASIS_COLOURS["self_reported"]],
        },
        "legend": None,
    }
    whisker = {"type": "tick", "color": INK, "thickness": 1.4, "size": 9, "orient": "vertical"}
    layers: list[Spec] = [
        {
            "mark": {"type": "bar", "height": {"band": 0.62}, "cornerRadiusEnd": 2},
            "encoding": {"y": y, "x": x, "color": colour},
        },
        {
            "mark": {"type": "rule", "color": INK, "strokeWidth": 1.4},
            "encoding": {"y": y, "x": {**x, "field": "low"}, "x2": {"field": "high"}},
        },
        {"mark": whisker, "encoding": {"y": y, "x": {"field": "low", "type": "quantitative"}}},
        {"mark": whisker, "encoding": {"y": y, "x": {"field": "high", "type": "quantitative"}}},
        *_haloed_text(
            {"type": "text", "align": "left", "baseline": "middle", "dx": 6, "fontWeight": "bold"},
            {"y": y, "x": {"field": "high", "type": "quantitative"}, "text": {"field": "text"}},
        ),
    ]
    spec = _base(
        "Seat cost per licensed person per month beside the value of the hours people report "
        "saving, with 95% intervals."
    )
    spec.update(
        {"data": {"values": rows}, "width": PLOT_WIDTH, "height": {"step": 40}, "layer": layers}
    )
    return spec


def section_charts(doc: ReportDocument) -> dict[str, Spec]:
    """The charts of the sections after perception, keyed by section."""
    found: dict[str, Spec | None] = {
        "gap_trend": trend_chart(doc.gap_trend) if doc.gap_trend else None,
        "adoption": funnel_chart(doc.adoption) if doc.adoption else None,
        "use_cases": use_case_chart(doc.use_cases) if doc.use_cases else None,
        "cost": cost_chart(doc.cost) if doc.cost else None,
    }
    return {key: spec for key, spec in found.items() if spec is not None}
