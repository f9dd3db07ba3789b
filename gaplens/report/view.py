"""The report as display-ready text: what the HTML template (and so the PDF) lays out.

Every number is formatted here, and every figure whose status is not "shown" is replaced by
words here, so the template cannot show a hidden value by mistake.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from markupsafe import Markup

from gaplens.commitments.schemas import CommitmentsSection
from gaplens.modelling.schemas import ModellingSection
from gaplens.reflections.schemas import ReflectionsSummary
from gaplens.report import charts
from gaplens.report.measures import ShareMeasure, share_measure
from gaplens.report.schemas import (
    BenchmarkOut,
    Comparison,
    FigureStatus,
    GroupFigures,
    MeasuredReality,
    QuestionFigures,
    ReportDocument,
    Share,
)
from gaplens.report.text import (
    NO_VALUE,
    TIMES,
    Figure,
    day,
    group_label,
    group_phrase,
    month,
    options_phrase,
    percent,
    percent_range,
    plain,
    points,
    points_range,
    quoted,
    ratio,
    ratio_range,
    sentence_case,
    signed,
    status_text,
    window,
)

IMPACT_KEY = "productivity_impact"
NOT_ASKED_LEADERS = "Not asked (executives and managers only)"

SCALE_NOTES = {
    "choice": "One answer per person.",
    "multi": "People could choose more than one answer, so shares do not add up to 100%.",
    "agree5": "Five-point agree/disagree scale; score 0\u2013100 (strongly disagree = 0, "
    "strongly agree = 100).",
    "number": "A number per person; medians are shown because answers are skewed.",
}


@dataclass(frozen=True)
class Row:
    label: str
    n: str
    cells: list[Figure]
    hidden: str | None = None
    """Words replacing the whole row when the group's figures are not shown."""
    total: bool = False


@dataclass(frozen=True)
class Table:
    caption: str
    columns: list[str]
    rows: list[Row]


@dataclass(frozen=True)
class Chart:
    key: str
    svg: Markup
    width: int
    caption: str
    not_shown: list[str] = field(default_factory=list)
    """'Executives: not enough responses (fewer than 5)' for groups left out of the chart."""


@dataclass(frozen=True)
class BenchmarkView:
    text: str
    source: str
    note: str = ""


@dataclass(frozen=True)
class ComparisonView:
    label: str
    shown: bool
    lead: str = ""
    value: str = ""
    rest: str = ""
    ns: str = ""
    published: str = ""
    status: str = ""

    @property
    def sentence(self) -> str:
        return " ".join(x for x in (self.lead, self.value, self.rest) if x)


@dataclass(frozen=True)
class GapView:
    label: str
    shown: bool
    value: str = ""
    interval: str = ""
    description: str = ""
    ns: str = ""
    benchmark: BenchmarkView | None = None
    status: str = ""


@dataclass(frozen=True)
class QuestionView:
    key: str
    text: str
    scale_note: str
    audience_note: str
    table: Table
    chart: Chart | None = None
    chart_missing: str = ""
    benchmark: BenchmarkView | None = None
    ratios: list[ComparisonView] = field(default_factory=list)
    gaps: list[ComparisonView] = field(default_factory=list)
    comparisons_chart: Chart | None = None


@dataclass(frozen=True)
class CommentView:
    text: str
    month: str


@dataclass(frozen=True)
class CommentsView:
    shown: bool
    count: str = ""
    items: list[CommentView] = field(default_factory=list)
    status: str = ""


@dataclass(frozen=True)
class ReportView:
    title: str
    organisation: str
    survey_name: str
    window: str
    responses: str
    generated: str
    generated_iso: str
    schema_version: str
    statements: list[str]
    gap: GapView | None
    impact: QuestionView | None
    questions: list[QuestionView]
    comments: CommentsView
    min_group_size: int
    min_comment_group_size: int
    privacy_rules: list[str]
    method_notes: list[str]
    measured: MeasuredReality | None = None
    reflections: ReflectionsSummary | None = None
    modelling: ModellingSection | None = None
    commitments: CommitmentsSection | None = None


# --- building ---------------------------------------------------------------------------------


def ordered_groups(
    question: QuestionFigures, order: Sequence[str]
) -> list[tuple[str, GroupFigures]]:
    keys = [g for g in order if g in question.groups]
    keys += [g for g in question.groups if g not in keys]
    return [(g, question.groups[g]) for g in keys]


def share_figure(share: Share | None) -> Figure:
    if share is None:
        return Figure(NO_VALUE)
    return Figure(percent(share.share), f"({percent_range(share.low, share.high)})")


def _number(value: float, unit: str | None) -> str:
    if unit == "%":
        return plain(value, 0) + "%"
    return plain(value, 1)


def _number_range(low: float, high: float, unit: str | None) -> str:
    if unit == "%":
        return f"({plain(low, 0)}\u2013{plain(high, 0)}%)"
    return f"({plain(low, 1)}\u2013{plain(high, 1)})"


def _is_total(key: str) -> bool:
    return key == "everyone"


def question_table(
    question: QuestionFigures, doc: ReportDocument, measure: ShareMeasure | None
) -> Table:
    """Per role level: n, then the question's summary figures, each with its 95% interval."""
    k = doc.privacy.min_group_size
    groups = ordered_groups(question, doc.group_order)
    shown = [g for _, g in groups if g.status is FigureStatus.SHOWN]
    columns: list[str] = []

    option_columns = question.scale in ("choice", "multi") and any(g.shares for g in shown)
    # The summary share gets its own column unless it is just one answer's column repeated.
    measure_column = measure is not None and not (option_columns and len(measure.options) == 1)
    score_column = question.scale != "number" and any(g.score is not None for g in shown)
    if question.scale == "number":
        unit = question.unit
        columns += [f"Median ({unit})" if unit else "Median", "Mean"]
    else:
        if measure is not None and measure_column:
            columns.append(measure.label)
        if option_columns:
            columns += [sentence_case(o) for o in question.options]
        if score_column:
            columns.append("Score (0\u2013100)")

    rows: list[Row] = []
    for key, g in groups:
        label = group_label(key)
        if g.status is not FigureStatus.SHOWN:
            words = group_status_words(question, key, g, k)
            rows.append(Row(label, NO_VALUE, [], hidden=words, total=_is_total(key)))
            continue
        cells: list[Figure] = []
        if question.scale == "number":
            if g.number is None:
                cells += [Figure(NO_VALUE), Figure(NO_VALUE)]
            else:
                med = g.number.median
                cells.append(
                    Figure(
                        _number(med.estimate, question.unit),
                        _number_range(med.low, med.high, question.unit),
                    )
                )
                cells.append(Figure(_number(g.number.mean, question.unit)))
        else:
            if measure is not None and measure_column:
                cells.append(share_figure(measure.share(g)))
            if option_columns:
                cells += [share_figure((g.shares or {}).get(o)) for o in question.options]
            if score_column:
                if g.score is None:
                    cells.append(Figure(NO_VALUE))
                else:
                    cells.append(
                        Figure(
                            f"{g.score.estimate:.0f}",
                            f"({g.score.low:.0f}\u2013{g.score.high:.0f})",
                        )
                    )
        if len(cells) != len(columns):  # pragma: no cover - a bug in this function
            raise AssertionError(f"{question.key}: {len(cells)} cells for {len(columns)} columns")
        n = str(g.n) if g.n is not None else NO_VALUE
        rows.append(Row(label, n, cells, total=_is_total(key)))
    caption = f"{question.text} By role level, with 95% intervals in brackets."
    return Table(caption=caption, columns=columns, rows=rows)


def chart_view(key: str, spec: dict[str, object] | None, caption: str) -> Chart | None:
    if spec is None:
        return None
    svg = charts.spec_to_svg(spec)
    match = re.search(r'<svg[^>]*\swidth="(\d+(?:\.\d+)?)"', svg)
    width = int(float(match.group(1))) if match else charts.CHART_WIDTH
    return Chart(key=key, svg=Markup(svg), width=width, caption=caption)


def not_shown_groups(question: QuestionFigures, doc: ReportDocument) -> list[str]:
    k = doc.privacy.min_group_size
    return [
        f"{group_label(key)}: {group_status_words(question, key, g, k)}"
        for key, g in ordered_groups(question, doc.group_order)
        if g.status is not FigureStatus.SHOWN
    ]


LEADER_GROUPS = frozenset({"executive", "manager", "everyone"})


def group_status_words(question: QuestionFigures, key: str, group: GroupFigures, k: int) -> str:
    """Words for a group without figures. A leaders-only question was never put to other
    groups, so they read 'Not asked' rather than 'Not enough responses'."""
    if question.audience == "leaders" and key not in LEADER_GROUPS:
        return NOT_ASKED_LEADERS
    return status_text(group.status, k)


def benchmark_view(bench: BenchmarkOut | None, note: str = "") -> BenchmarkView | None:
    if bench is None:
        return None
    return BenchmarkView(text=bench.text, source=bench.source, note=note)


def _ns(c: Comparison, question: QuestionFigures | None) -> str:
    if question is None:
        return ""
    num = question.groups.get(c.numerator_group)
    den = question.groups.get(c.denominator_group)
    if num is None or den is None or num.n is None or den.n is None:
        return ""
    if num.status is not FigureStatus.SHOWN or den.status is not FigureStatus.SHOWN:
        return ""
    return (
        f"n = {num.n} {group_phrase(c.numerator_group)}, "
        f"{den.n} {group_phrase(c.denominator_group)}"
    )


def comparison_view(c: Comparison, question: QuestionFigures | None, k: int) -> ComparisonView:
    num = group_label(c.numerator_group)
    den = group_phrase(c.denominator_group)
    if c.status is not FigureStatus.SHOWN or c.value is None:
        status = status_text(c.status, k) if c.status is not FigureStatus.SHOWN else NO_VALUE
        return ComparisonView(label=c.label, shown=False, status=status)  # never a number
    v = c.value
    published = ""
    if c.benchmark is not None and c.benchmark.value is not None:
        b = c.benchmark.value
        figure = f"{b:g}{TIMES}" if c.kind == "risk_ratio" else f"{signed(b)} points"
        published = f"Published: {figure}, {c.benchmark.source}"
    elif c.benchmark is not None:
        published = f"Published: {c.benchmark.text} ({c.benchmark.source})"
    if c.kind == "risk_ratio":
        return ComparisonView(
            label=c.label,
            shown=True,
            lead=f"{num} are",
            value=f"{ratio(v.estimate)} as likely",
            rest=f"({ratio_range(v.low, v.high)}) as {den} to answer {quoted(c.option)}.",
            ns=_ns(c, question),
            published=published,
        )
    if round(v.estimate) == 0:
        direction = "about the same"
    else:
        direction = f"{points(v.estimate)} {'higher' if v.estimate > 0 else 'lower'}"
    return ComparisonView(
        label=c.label,
        shown=True,
        lead=f"The share answering {quoted(c.option)} is",
        value=direction,
        rest=f"({points_range(v.low, v.high)}) among {group_phrase(c.numerator_group)} "
        f"than among {den}.",
        ns=_ns(c, question),
        published=published,
    )


def gap_view(c: Comparison | None, doc: ReportDocument) -> GapView | None:
    if c is None:
        return None
    k = doc.privacy.min_group_size
    bench = benchmark_view(c.benchmark)
    if c.status is not FigureStatus.SHOWN or c.value is None:
        status = status_text(c.status, k) if c.status is not FigureStatus.SHOWN else NO_VALUE
        return GapView(label=c.label, shown=False, status=status, benchmark=bench)
    v = c.value
    if c.kind == "risk_ratio":
        value = ratio(v.estimate)
        interval = f"95% interval {ratio_range(v.low, v.high)}"
        description = (
            f"{group_label(c.numerator_group)} are {ratio(v.estimate)} as likely as "
            f"{group_phrase(c.denominator_group)} to answer {quoted(c.option)}."
        )
    else:
        value = points(v.estimate)
        interval = f"95% interval {points_range(v.low, v.high)}"
        more = "more" if v.estimate >= 0 else "less"
        description = (
            f"{group_label(c.numerator_group)} are "
            f"{points(v.estimate).replace('points', 'percentage points')} "
            f"{more} likely than {group_phrase(c.denominator_group)} to answer {quoted(c.option)}."
        )
    return GapView(
        label=c.label,
        shown=True,
        value=value,
        interval=interval,
        description=description,
        ns=_ns(c, doc.perception.get(IMPACT_KEY)),
        benchmark=bench,
    )


def _audience_note(question: QuestionFigures) -> str:
    if question.audience == "leaders":
        return "Asked of executives and managers only."
    return ""


def impact_view(question: QuestionFigures, doc: ReportDocument) -> QuestionView:
    k = doc.privacy.min_group_size
    spec = charts.productivity_impact_chart(question, doc.group_order)
    chart = chart_view(
        question.key,
        spec,
        "Share of each role level giving each answer. Bars: share; black lines: 95% "
        "interval; n: people who answered.",
    )
    if chart is not None:
        chart = Chart(
            chart.key, chart.svg, chart.width, chart.caption, not_shown_groups(question, doc)
        )
    comparisons = chart_view(
        f"{question.key}.comparisons",
        charts.comparisons_chart(question),
        "Dots: this organisation, with 95% interval. Purple diamonds: the published benchmark.",
    )
    return QuestionView(
        key=question.key,
        text=question.text,
        scale_note=SCALE_NOTES.get(question.scale, ""),
        audience_note=_audience_note(question),
        table=question_table(question, doc, None),
        chart=chart,
        chart_missing="" if chart is not None else _no_chart(question, doc),
        benchmark=benchmark_view(question.benchmark),
        ratios=[comparison_view(c, question, k) for c in question.risk_ratios.values()],
        gaps=[comparison_view(c, question, k) for c in question.gaps_pp.values()],
        comparisons_chart=comparisons,
    )


def _no_chart(question: QuestionFigures, doc: ReportDocument) -> str:
    missing = not_shown_groups(question, doc)
    if missing and len(missing) == len(question.groups):
        return "No chart: no role level's figures can be shown."
    return ""


def question_view(question: QuestionFigures, doc: ReportDocument) -> QuestionView:
    k = doc.privacy.min_group_size
    measure = share_measure(question, doc.survey.bank_version)
    spec = charts.question_chart(question, doc.group_order, doc.survey.bank_version)
    if question.scale == "number":
        caption = "Median by role level. Dots: median; lines: 95% interval; n: people who answered."
    elif measure is not None:
        answers = options_phrase([quoted(o) for o in measure.options]) or "favourably"
        caption = f"Share answering {answers} by role level"
        if measure.benchmark is not None:
            caption += (
                f": the answers the published {percent(measure.benchmark)} counts (dashed line)"
            )
        caption += ". Bars: share; black lines: 95% interval; n: people who answered."
    else:
        caption = ""
    chart = chart_view(question.key, spec, caption)
    if chart is not None:
        chart = Chart(
            chart.key, chart.svg, chart.width, chart.caption, not_shown_groups(question, doc)
        )
    return QuestionView(
        key=question.key,
        text=question.text,
        scale_note=SCALE_NOTES.get(question.scale, ""),
        audience_note=_audience_note(question),
        table=question_table(question, doc, measure),
        chart=chart,
        chart_missing="" if chart is not None else _no_chart(question, doc),
        benchmark=benchmark_view(question.benchmark),
        ratios=[comparison_view(c, question, k) for c in question.risk_ratios.values()],
        gaps=[comparison_view(c, question, k) for c in question.gaps_pp.values()],
        comparisons_chart=chart_view(
            f"{question.key}.comparisons",
            charts.comparisons_chart(question),
            "Dots: this organisation, with 95% interval. Purple diamonds: the published benchmark.",
        ),
    )


COMMENTS_IN_REPORT = 24
"""An executive report quotes a sample; every released comment stays in the JSON."""


def comments_view(doc: ReportDocument) -> CommentsView:
    c = doc.comments
    if c.status is not FigureStatus.SHOWN:
        return CommentsView(
            shown=False, status=status_text(c.status, doc.privacy.min_comment_group_size)
        )
    items = [
        CommentView(text=item.get("text", ""), month=month(item.get("month", "")))
        for item in c.comments
        if item.get("text", "").strip()
    ]
    count = len(items)
    label = f"{count} comment{'s' if count != 1 else ''}"
    if count > COMMENTS_IN_REPORT:
        # The list is already shuffled, so its head is a random sample; the JSON keeps all.
        label = f"{COMMENTS_IN_REPORT} of {count} comments, picked at random"
    return CommentsView(shown=True, count=label, items=items[:COMMENTS_IN_REPORT])


def build_view(doc: ReportDocument) -> ReportView:
    impact = doc.perception.get(IMPACT_KEY)
    others = [
        question_view(q, doc)
        for key, q in doc.perception.items()
        if key != IMPACT_KEY and q.scale != "text"
    ]
    return ReportView(
        title=doc.title,
        organisation=doc.organisation,
        survey_name=doc.survey.name,
        window=window(doc.survey.first_day, doc.survey.last_day),
        responses=f"{doc.survey.responses:,}",
        generated=day(doc.generated_on),
        generated_iso=doc.generated_on.isoformat(),
        schema_version=doc.schema_version,
        statements=list(doc.headline.statements),
        gap=gap_view(doc.headline.exec_ic_impact_gap, doc),
        impact=impact_view(impact, doc) if impact is not None else None,
        questions=others,
        comments=comments_view(doc),
        min_group_size=doc.privacy.min_group_size,
        min_comment_group_size=doc.privacy.min_comment_group_size,
        privacy_rules=list(doc.privacy.rules),
        method_notes=list(doc.method_notes),
        measured=doc.measured,
        reflections=doc.reflections,
        modelling=doc.modelling,
        commitments=doc.commitments,
    )
