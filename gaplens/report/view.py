"""The report as display-ready text: what the HTML template (and so the PDF) lays out.

Every number is formatted here, and every figure whose status is not "shown" is replaced by
words here, so the template cannot show a hidden value by mistake.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from markupsafe import Markup

from gaplens.chartstyle import CHART_WIDTH
from gaplens.commitments.schemas import CommitmentsSection
from gaplens.modelling.schemas import ModellingSection
from gaplens.reflections.schemas import ReflectionsSummary
from gaplens.report import charts
from gaplens.report.calibration import CalibrationView, calibration_view
from gaplens.report.effects import EffectView, effect_view
from gaplens.report.heatmap import HeatmapView, heatmap_view
from gaplens.report.measures import ShareMeasure, share_measure
from gaplens.report.schemas import (
    BenchmarkOut,
    Comparison,
    CostSection,
    FigureStatus,
    GroupFigures,
    Interval,
    MeasuredReality,
    QuestionFigures,
    ReportDocument,
    Share,
    TimeFigure,
    UseCaseOut,
)
from gaplens.sections import registered_sections
from gaplens.tasks.schemas import TaskMapSection
from gaplens.wording import (
    FRONTLINE,
    LEADERS,
    MINUS,
    NBSP,
    NO_VALUE,
    TIMES,
    Figure,
    answers_window,
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
    """When the pulse's answers ran, from its releases: 'through <week end>'."""
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
    effects: list[EffectView] = field(default_factory=list)
    """AI's effect per metric from the staggered-adoption estimate, where released."""
    calibration: list[CalibrationView] = field(default_factory=list)
    """Perceived beside measured speed-up per AI-tenure band, per scope with a figure."""
    reflections: ReflectionsSummary | None = None
    scope: ScopeView | None = None
    trend: TrendView | None = None
    adoption: AdoptionView | None = None
    use_cases: UseCasesView | None = None
    cost: CostView | None = None
    tasks: TaskMapSection | None = None
    modelling: ModellingSection | None = None
    commitments: CommitmentsSection | None = None
    next_steps: NextStepsView | None = None
    contents: list[ContentsEntry] = field(default_factory=list)
    registered: list[ContentsEntry] = field(default_factory=list)
    brief: BriefView | None = None
    heatmap: HeatmapView | None = None
    """Registered sections present, in order: the template includes each one's partial."""


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
                mean = g.number.mean
                cells.append(
                    Figure(NO_VALUE) if mean is None else Figure(_number(mean, question.unit))
                )
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
    svg = charts.spec_to_svg(spec, described_by=f"chart-{key}-caption")
    match = re.search(r'<svg[^>]*\swidth="(\d+(?:\.\d+)?)"', svg)
    width = int(float(match.group(1))) if match else CHART_WIDTH
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


def headline_gap_view(doc: ReportDocument) -> GapView | None:
    """The headline card: the one gap (leaders minus the frontline); a published benchmark
    for the executive-only breakdown, where one is confirmed, sits beside it saying what it
    compares, so no two gaps appear unlabelled."""
    headline = doc.headline
    if headline.gap is None:
        return gap_view(headline.exec_ic_impact_gap, doc)
    view = gap_view(headline.gap, doc)
    assert view is not None
    point = None
    if doc.gap_trend is not None:
        point = next((p for p in doc.gap_trend.points if p.survey == doc.survey.name), None)
    ns = ""
    if view.shown and point is not None and point.leaders_n and point.frontline_n:
        ns = f"n = {point.leaders_n:,} leaders, {point.frontline_n:,} {FRONTLINE}"
    breakdown = headline.exec_ic_impact_gap
    bench = None
    if breakdown is not None and breakdown.benchmark is not None:
        if breakdown.status is FigureStatus.SHOWN and breakdown.value is not None:
            v = breakdown.value
            here = f"{points(v.estimate)} (95% interval {points_range(v.low, v.high)})"
        else:
            here = status_text(breakdown.status, doc.privacy.min_group_size).lower()
        note = (
            f"It compares executives alone with the frontline; here that breakdown, "
            f"executives minus {FRONTLINE}, is {here}."
        )
        bench = benchmark_view(breakdown.benchmark, note)
    return replace(view, ns=ns, benchmark=bench)


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
    # The list is already shuffled, so its head is a random sample; the JSON keeps all. A
    # text several people wrote word for word is quoted once: a sample is for reading.
    firsts: dict[str, CommentView] = {}
    for item in items:
        firsts.setdefault(item.text, item)
    distinct = list(firsts.values())
    sample = distinct[:COMMENTS_IN_REPORT]
    label = f"{count} comment{'s' if count != 1 else ''}"
    if len(sample) < count:
        label = f"{len(sample)} of {count} comments, picked at random"
    if len(distinct) < count:
        label += "; a text written word for word by several people is quoted once"
    return CommentsView(shown=True, count=label, items=sample)


def build_view(doc: ReportDocument) -> ReportView:
    impact = doc.perception.get(IMPACT_KEY)
    others = [
        question_view(q, doc)
        for key, q in doc.perception.items()
        if key != IMPACT_KEY and q.scale != "text"
    ]
    view = ReportView(
        title=doc.title,
        organisation=doc.organisation,
        survey_name=doc.survey.name,
        window=answers_window(doc.survey.answers_through),
        responses=(
            f"{doc.survey.responses:,}"
            if doc.survey.responses is not None
            else f"fewer than {doc.privacy.min_group_size}"
        ),
        generated=day(doc.generated_on),
        generated_iso=doc.generated_on.isoformat(),
        schema_version=doc.schema_version,
        statements=list(doc.headline.statements),
        gap=headline_gap_view(doc),
        impact=impact_view(impact, doc) if impact is not None else None,
        questions=others,
        comments=comments_view(doc),
        min_group_size=doc.privacy.min_group_size,
        min_comment_group_size=doc.privacy.min_comment_group_size,
        privacy_rules=list(doc.privacy.rules),
        method_notes=[*doc.method_notes, *(doc.drivers.method if doc.drivers else [])],
        measured=doc.measured,
        effects=effects_of(doc),
        calibration=calibration_views(doc),
        reflections=doc.reflections,
        scope=scope_view(doc),
        trend=trend_view(doc),
        adoption=adoption_view(doc),
        use_cases=use_cases_view(doc),
        cost=cost_view(doc),
        tasks=doc.tasks,
        modelling=doc.modelling,
        commitments=doc.commitments,
        next_steps=next_steps_view(doc),
        registered=registered(doc),
        brief=brief_view(doc),
        heatmap=heatmap_view(doc.heatmap) if doc.heatmap else None,
    )
    return replace(view, contents=contents(doc, view))


def effects_of(doc: ReportDocument) -> list[EffectView]:
    """The staggered estimate of each metric that has one, with its event-study chart and,
    for a speed metric, its counter-metrics' beside it."""
    if doc.measured is None:
        return []
    by_key = {o.metric.key: o for o in doc.measured.metrics}
    views = (
        effect_view(o, o.staggered, by_key, f"effect-{o.metric.key}-caption")
        for o in doc.measured.metrics
    )
    return [v for v in views if v is not None]


def calibration_views(doc: ReportDocument) -> list[CalibrationView]:
    """Each scope's perceived-beside-measured speed-up by AI tenure, with its chart."""
    if doc.measured is None:
        return []
    return [calibration_view(c) for c in doc.measured.calibration]


# --- scope, period and the sections after perception -----------------------------------------

BASIS_LABELS = {
    "measured": "Measured",
    "self_reported": "Self-reported",
    "assumption": "Assumption",
}
SOURCE_LABELS = {"friction_log": "Friction log", "feedback": "Feedback", "telemetry": "Telemetry"}
MEASURE_LABELS = {
    "correction_rate": "Outputs needing correction",
    "net_minutes": "Net minutes per output (saved minus correcting)",
    "working_share": "Share saying it works",
    "acceptance_rate": "Suggestions accepted",
}
DIRECTION_WORDS = {
    "widening": "Widening beyond noise",
    "narrowing": "Narrowing beyond noise",
    "no clear change": "No clear change (within noise)",
    "not enough data": "Not enough data for a trend yet",
}
KIND_LABELS = {
    "organisation": "Whole organisation",
    "function": "Function",
    "team": "Team (with the teams below it)",
}


@dataclass(frozen=True)
class ContentsEntry:
    anchor: str
    title: str


@dataclass(frozen=True)
class ScopeView:
    narrowed: bool
    """A function or a team, not the whole organisation."""
    name: str
    kind: str
    includes: str
    notes: list[str]
    period_label: str
    period_window: str
    pulses: str
    data_as_of: str
    rules: list[str]


@dataclass(frozen=True)
class TrendRow:
    survey: str
    closed: str
    in_period: bool
    gap: Figure | None
    ns: str
    hidden: str = ""


@dataclass(frozen=True)
class TrendView:
    series: str
    question: str
    direction: str
    verdict: str
    widening: bool
    rows: list[TrendRow]
    chart: Chart | None
    method: str


@dataclass(frozen=True)
class FunnelRow:
    label: str
    n: str
    of_licensed: Figure
    of_previous: Figure
    trained: str
    certified: str


@dataclass(frozen=True)
class AdoptionView:
    shown: bool
    headline: str
    as_of: str
    rows: list[FunnelRow]
    chart: Chart | None
    definitions: list[str]


@dataclass(frozen=True)
class EvidenceView:
    source: str
    measure: str
    value: Figure
    n: str
    lean: str
    text: str


@dataclass(frozen=True)
class UseCaseView:
    label: str
    status: str
    reason: str
    evidence: list[EvidenceView]


@dataclass(frozen=True)
class UseCasesView:
    window: str
    working: list[UseCaseView]
    friction: list[UseCaseView]
    others: str
    chart: Chart | None
    rules: list[str]
    notes: list[str]


@dataclass(frozen=True)
class InputView:
    label: str
    amount: str
    source: str
    basis: str


@dataclass(frozen=True)
class SeatRow:
    label: str
    seats: str
    seat_months: str
    price: str
    spend: str
    hidden: bool = False


@dataclass(frozen=True)
class PremiumView:
    """GitHub's measured premium request bill, a line apart from the seat prices."""

    amount: str
    requests: str
    months: str
    accounts: str
    models: list[tuple[str, str, str]]
    """(model, requests, amount), most spent first."""
    note: str


@dataclass(frozen=True)
class TimeView:
    label: str
    basis: str
    basis_key: str
    unit: str
    value: Figure
    n: str
    money: str
    note: str
    hidden: str = ""


@dataclass(frozen=True)
class CostView:
    shown: bool
    status: str
    currency: str
    window: str
    inputs: list[InputView]
    seats: list[SeatRow]
    licensed: str
    month_ends: str
    """The released month ends counted, in words ("12 month ends, October 2025 to ...")."""
    seat_months: str
    reason: str
    """Why seats are not shown or the spend is not released; empty when they are."""
    spend: str
    per_seat: str
    break_even: str
    measured: list[TimeView]
    self_reported: list[TimeView]
    chart: Chart | None
    notes: list[str]
    premium: PremiumView | None = None
    premium_reason: str = ""


@dataclass(frozen=True)
class StepView:
    rule: str
    title: str
    action: str
    evidence: list[str]


STEPS_IN_FULL = 8
"""Steps shown with their action and every figure; the rest (lower in priority) are listed
by title and first figure, so the section stays readable while nothing triggered is hidden."""


@dataclass(frozen=True)
class NextStepsView:
    framing: str
    steps: list[StepView]
    rules: int
    more: list[StepView] = field(default_factory=list)
    """Triggered steps beyond the first STEPS_IN_FULL, in priority order."""

    @property
    def triggered(self) -> int:
        return len(self.steps) + len(self.more)


def money(amount: float | None, currency: str) -> str:
    if amount is None:
        return NO_VALUE
    sign = MINUS if amount < -0.5 else ""
    return f"{sign}{currency}{NBSP}{abs(amount):,.0f}"


def hours_per_week(hours: float | None) -> str:
    """'1.5 hours per person per week', or minutes below an hour: '6 minutes per ...'."""
    if hours is None:
        return NO_VALUE
    if abs(hours) < 1:
        return f"{plain(hours * 60, 0)} minutes per person per week"
    return f"{plain(hours, 1)} hours per person per week"


def scope_view(doc: ReportDocument) -> ScopeView | None:
    if doc.scope is None or doc.period is None:
        return None
    period = doc.period
    pulses = ", ".join(p.name for p in period.pulses) or "none"
    return ScopeView(
        narrowed=doc.scope.kind != "organisation",
        name=doc.scope.name,
        kind=KIND_LABELS.get(doc.scope.kind, doc.scope.kind),
        includes=", ".join(doc.scope.includes),
        notes=list(doc.scope.notes),
        period_label=period.label if period.named else "Last 12 months of data",
        period_window=window(period.start, period.end),
        pulses=pulses,
        data_as_of=day(period.data_as_of) if period.data_as_of else "no usage or work data yet",
        rules=list(period.rules),
    )


def trend_view(doc: ReportDocument) -> TrendView | None:
    trend = doc.gap_trend
    if trend is None:
        return None
    k = doc.privacy.min_group_size
    rows: list[TrendRow] = []
    for p in trend.points:
        closed = day(p.answers_through) if p.answers_through else NO_VALUE
        if p.status == FigureStatus.SHOWN and p.gap_pp is not None:
            gap = p.gap_pp
            rows.append(
                TrendRow(
                    p.survey,
                    closed,
                    p.in_period,
                    Figure(
                        f"{signed(gap.estimate)} points", f"({points_range(gap.low, gap.high)})"
                    ),
                    f"{p.leaders_n} leaders, {p.frontline_n} frontline",
                )
            )
        else:
            words = status_text(FigureStatus(p.status), k)
            rows.append(TrendRow(p.survey, closed, p.in_period, None, NO_VALUE, hidden=words))
    verdict = DIRECTION_WORDS.get(trend.direction, trend.direction)
    if trend.change_pp is not None:
        c = trend.change_pp
        verdict += (
            f": {signed(c.estimate)} points since the previous pulse "
            f"(95% interval {points_range(c.low, c.high)})"
        )
    chart = chart_view(
        "gap_trend",
        charts.trend_chart(trend),
        "Gap per pulse in percentage points: dots, with 95% intervals as lines; blue pulses "
        "closed in this report's period, grey ones before it. 0 = no gap.",
    )
    return TrendView(
        series=trend.series or "not part of a series",
        question=trend.question,
        direction=trend.direction,
        verdict=verdict,
        widening=trend.direction == "widening",
        rows=rows,
        chart=chart,
        method=(
            f"The gap is the share of leaders ({LEADERS}) reporting high or some "
            f"gains minus the share of {FRONTLINE}, in percentage points, with a "
            "95% interval. A change between pulses is called widening or narrowing only when "
            "its 95% interval lies wholly on one side of zero."
        ),
    )


def _share_fig(share: Share | None) -> Figure:
    return share_figure(share) if share is not None else Figure(NO_VALUE)


def adoption_view(doc: ReportDocument) -> AdoptionView | None:
    adoption = doc.adoption
    if adoption is None:
        return None
    shown = adoption.status is FigureStatus.SHOWN
    rows = [
        FunnelRow(
            label=s.label,
            n=f"{s.n:,}",
            of_licensed=_share_fig(s.share_of_licensed),
            of_previous=_share_fig(s.share_of_previous),
            trained=NO_VALUE if s.trained is None else f"{s.trained:,}",
            certified=NO_VALUE if s.certified is None else f"{s.certified:,}",
        )
        for s in adoption.stages
    ]
    return AdoptionView(
        shown=shown,
        headline=adoption.headline,
        as_of=day(adoption.as_of),
        rows=rows,
        chart=chart_view(
            "adoption",
            charts.funnel_chart(adoption),
            "Share of licensed people reaching each stage. Light blue: what a vendor dashboard "
            "counts; orange: use that lasted and changed the work. Black lines: 95% interval.",
        ),
        definitions=list(adoption.definitions),
    )


def _evidence_figure(
    measure: str, value: float | None, low: float | None, high: float | None
) -> Figure:
    if value is None or low is None or high is None:
        return Figure(NO_VALUE)
    if measure == "net_minutes":
        return Figure(f"{signed(value, 1)} min", f"({signed(low, 1)} to {signed(high, 1)})")
    return Figure(percent(value), f"({percent_range(low, high)})")


def use_cases_view(doc: ReportDocument) -> UseCasesView | None:
    section = doc.use_cases
    if section is None:
        return None
    k = doc.privacy.min_group_size

    def one(u: UseCaseOut) -> UseCaseView:
        return UseCaseView(
            label=u.label,
            status=u.status,
            reason=u.reason,
            evidence=[
                EvidenceView(
                    source=SOURCE_LABELS.get(e.source, e.source),
                    measure=MEASURE_LABELS.get(e.measure, e.measure.replace("_", " ")),
                    value=_evidence_figure(e.measure, e.value, e.low, e.high),
                    n=str(e.n) if e.n is not None else f"fewer than {k}",
                    lean=e.lean,
                    text=e.text,
                )
                for e in u.evidence
            ],
        )

    others = []
    if section.unknown:
        others.append(
            f"{section.unknown} more use case{'s' if section.unknown != 1 else ''} "
            "not clearly either (too little data, or measures that disagree)"
        )
    if section.withheld:
        others.append(
            f"{section.withheld} logged outputs published only with other use cases "
            "(too few of theirs to be named)"
        )
    return UseCasesView(
        window=window(section.period_from, section.period_to),
        working=[one(u) for u in section.working],
        friction=[one(u) for u in section.friction],
        others="; ".join(others),
        chart=chart_view(
            "use_cases",
            charts.use_case_chart(section),
            "Share of logged AI outputs that needed correction (friction log). Green: works; "
            "vermillion: creates friction. Black lines: 95% interval; n: logged outputs.",
        ),
        rules=list(section.rules),
        notes=list(section.notes),
    )


def _time_view(t: TimeFigure, currency: str, k: int) -> TimeView:
    basis = BASIS_LABELS.get(t.basis.value, t.basis.value)
    if t.status is not FigureStatus.SHOWN or t.value is None:
        return TimeView(
            t.label,
            basis,
            t.basis.value,
            t.unit,
            Figure(NO_VALUE),
            NO_VALUE,
            NO_VALUE,
            t.note,
            hidden=status_text(t.status, k) or NO_VALUE,
        )
    v = t.value
    spread = "" if v.low == v.high else f"({plain(v.low, 1)}\u2013{plain(v.high, 1)})"
    value = Figure(plain(v.estimate, 1), spread)
    if t.money_per_person_month is not None:
        m = t.money_per_person_month
        worth = (
            f"{money(m.estimate, currency)} per person per month "
            f"({money(m.low, currency)}\u2013{money(m.high, currency)})"
        )
    elif t.total_value is not None and t.total_hours is not None:
        worth = f"{plain(t.total_hours, 0)} hours logged in all, {money(t.total_value, currency)}"
    else:
        worth = "not turned into money"
    return TimeView(
        t.label, basis, t.basis.value, t.unit, value, str(t.n or NO_VALUE), worth, t.note
    )


def _month_ends(days: Sequence[dt.date]) -> str:
    if not days:
        return ""
    if len(days) == 1:
        return f"the month end of {days[0]:%B %Y}"
    return f"{len(days)} month ends, {days[0]:%B %Y} to {days[-1]:%B %Y}"


def _premium_view(cost: CostSection) -> PremiumView | None:
    spend = cost.premium_requests
    if spend is None:
        return None
    cur = spend.currency
    months = spend.months
    return PremiumView(
        amount=money(spend.net_amount, cur),
        requests=f"{spend.requests:,.0f}",
        months=months[0] if len(months) == 1 else f"{months[0]} to {months[-1]}",
        accounts=", ".join(spend.accounts),
        models=[(m.model, f"{m.requests:,.0f}", money(m.net_amount, cur)) for m in spend.models],
        note=spend.note,
    )


def cost_view(doc: ReportDocument) -> CostView | None:
    cost = doc.cost
    if cost is None:
        return None
    k = doc.privacy.min_group_size
    cur = cost.currency
    shown = cost.status is FigureStatus.SHOWN
    seats = [
        SeatRow(
            label=line.label,
            seats=f"{line.seats:,}" if line.seats is not None else NO_VALUE,
            seat_months=f"{line.seat_months:,.0f}" if line.seat_months is not None else NO_VALUE,
            price=money(line.price_per_month, cur),
            spend=money(line.spend, cur),
            hidden=line.seats is None,
        )
        for line in cost.seats
    ]
    times = [_time_view(t, cur, k) for t in cost.time]
    start = doc.period.start if doc.period else None
    as_of = doc.period.data_as_of or doc.period.end if doc.period else None
    return CostView(
        shown=shown,
        status=status_text(cost.status, k) if not shown else "",
        currency=cur,
        window=window(start, as_of),
        inputs=[
            InputView(
                label=i.label,
                amount=f"{money(i.amount, cur)} {i.unit}",
                source=i.source,
                basis=BASIS_LABELS["assumption"],
            )
            for i in cost.inputs
        ],
        seats=seats,
        licensed=f"{cost.licensed:,}" if cost.licensed is not None else NO_VALUE,
        month_ends=_month_ends(cost.month_ends),
        seat_months=f"{cost.seat_months:,.0f}" if cost.seat_months is not None else NO_VALUE,
        reason=cost.reason or "",
        spend=(
            money(cost.spend, cur)
            if cost.spend is not None
            else f"{money(cost.spend_bounds.low, cur)} to {money(cost.spend_bounds.high, cur)}"
            if cost.spend_bounds is not None
            else "Not released"
        ),
        per_seat=money(cost.spend_per_seat_month, cur),
        break_even=hours_per_week(cost.break_even_hours_per_week),
        measured=[t for t in times if t.basis_key == "measured"],
        self_reported=[t for t in times if t.basis_key == "self_reported"],
        chart=chart_view(
            "cost",
            charts.cost_chart(cost),
            "Per licensed person per month. Purple: seat cost at the assumed prices; orange: "
            "hours people report saving, valued at the assumed hourly cost (self-reported; "
            "black lines: 95% interval). Measured time is not in this chart: it is minutes per "
            "logged output and elapsed time per work item, shown in the tables.",
        ),
        notes=list(cost.notes),
        premium=_premium_view(cost),
        premium_reason=cost.premium_reason or "",
    )


def next_steps_view(doc: ReportDocument) -> NextStepsView | None:
    section = doc.next_steps
    if section is None:
        return None
    steps = [StepView(s.rule, s.title, s.action, list(s.evidence)) for s in section.steps]
    return NextStepsView(
        framing=section.framing,
        steps=steps[:STEPS_IN_FULL],
        rules=len(section.rules),
        more=steps[STEPS_IN_FULL:],
    )


def registered(doc: ReportDocument) -> list[ContentsEntry]:
    """The registered sections (gaplens/sections.py) this document has, in their order."""
    return [
        ContentsEntry(entry.field, entry.title)
        for entry in registered_sections()
        if getattr(doc, entry.field, None) is not None
    ]


def contents(doc: ReportDocument, view: ReportView) -> list[ContentsEntry]:
    """The appendix in page order: the heatmap, the report's own sections, then every
    registered section (gaplens/sections.py) the document has, then the end matter."""
    items = [ContentsEntry("heatmap", "Teams against the organisation")] if doc.heatmap else []
    items.append(ContentsEntry("headline", "Headline"))
    if doc.gap_trend is not None:
        items.append(ContentsEntry("gap_trend", "The gap and its trend"))
    items.append(ContentsEntry("perception", "Perception by role level"))
    if view.questions:
        items.append(ContentsEntry("questions", "Question by question"))
    if doc.measured is not None:
        items.append(ContentsEntry("realities", "Three realities"))
    items += registered(doc)
    if doc.next_steps is not None:
        items.append(ContentsEntry("next_steps", "Next steps"))
    items.append(ContentsEntry("comments", "In their own words"))
    items.append(ContentsEntry("method", "How to read this & privacy"))
    return items


# --- the brief ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BriefBar:
    label: str
    value: str
    width: float
    """Share of the bar's full width, 0-100."""
    detail: str = ""
    tone: str = ""


@dataclass(frozen=True)
class BriefView:
    finding: str
    scope: str
    period: str
    leaders: str
    gap_value: str
    gap_detail: str
    gap_trend: str
    reality: list[BriefBar]
    reality_caption: str
    reality_missing: str
    adoption: list[BriefBar]
    adoption_line: str
    cost: str
    cost_basis: str
    working: str
    friction: str
    response: str
    steps: list[str]


def _bar(label: str, value: Interval | None, top: float, unit: str, tone: str) -> BriefBar:
    if value is None:
        return BriefBar(label, "not shown: too few answers to protect people", 0, tone=tone)
    width = max(0.0, min(100.0, value.estimate / top * 100)) if top > 0 else 0.0
    spread = f"95% interval {plain(value.low, 0)}{unit} to {plain(value.high, 0)}{unit}"
    return BriefBar(label, f"{plain(value.estimate, 0)}{unit}", width, spread, tone)


def brief_view(doc: ReportDocument) -> BriefView | None:
    brief = doc.brief
    if brief is None:
        return None
    gap = brief.gap
    gap_value, gap_detail, gap_trend = "Not shown", "", ""
    if gap is not None and gap.value is not None:
        v = gap.value
        gap_value = f"{signed(v.estimate)} points"
        gap_detail = (
            f"Leaders minus the frontline reporting high or some gains, {gap.survey} "
            f"(95% interval {points_range(v.low, v.high)}; {gap.leaders_n:,} leaders, "
            f"{gap.frontline_n:,} frontline)."
        )
        if gap.previous is not None and gap.change is not None:
            c = gap.change
            words = DIRECTION_WORDS.get(gap.direction, gap.direction)
            gap_trend = (
                f"{words}: {signed(gap.previous.estimate)} points in {gap.previous_survey}, "
                f"change {signed(c.estimate)} (95% interval {points_range(c.low, c.high)})."
            )
    elif gap is not None:
        gap_detail = "Too few answers in one of the groups to show the gap without risk to people."
    reality: list[BriefBar] = []
    caption, missing = "", ""
    if brief.reality is not None:
        r = brief.reality
        values = [x.estimate for x in (r.leaders, r.frontline, r.measured) if x is not None]
        top = max([*values, 1.0])
        reality = [
            _bar("Leaders perceive", r.leaders, top, "%", "lead"),
            _bar("The frontline perceives", r.frontline, top, "%", "front"),
            _bar("Measured for AI users", r.measured, top, "%", "measured"),
        ]
        caption = (
            f"How much faster AI makes the work: median answers of leaders ({LEADERS}) and "
            f"of the frontline, beside the measured change in {r.measure.split(' (')[0]} "
            "(AI users against people not yet using AI)."
        )
        if r.stability is not None:  # the counter-figures themselves are in the appendix
            caption += " Stability beside it: " + r.stability.verdict
        if r.measured is None:
            missing = r.reason or "Not measured for this scope."
    adoption: list[BriefBar] = []
    line = ""
    if brief.adoption is not None:
        a = brief.adoption
        for label, share, tone in (
            ("Use AI (active in the last 28 days)", a.active, "front"),
            ("Have it in their work (integrated)", a.integrated, "measured"),
        ):
            if share is not None:
                adoption.append(
                    BriefBar(
                        label,
                        percent(share.share),
                        share.share * 100,
                        f"{share.count:,} people",
                        tone,
                    )
                )
        if a.licensed:
            line = f"Of {a.licensed:,} licensed people, end of {a.as_of:%B %Y}."
    cost, basis = "", ""
    if brief.cost is not None:
        bc = brief.cost
        if round(bc.low) == round(bc.high):
            cost = f"{money(bc.low, bc.currency)} a month"
            basis = bc.basis
        else:
            cost = f"{money(bc.low, bc.currency)} to {money(bc.high, bc.currency)} a month"
            basis = (
                "A range: some licence counts are withheld to protect people, so the spend "
                f"lies between these. {bc.basis}"
            )
    res = brief.response
    if res.answered is None:
        response = f"Fewer than {doc.privacy.min_group_size} answered"
    elif res.of:
        lead = "at least " if res.at_least else ""
        asked = "invited" if res.basis == "invitations" else "people in scope"
        rate = percent(res.answered / res.of)
        response = f"{lead}{res.answered:,} of {res.of:,} {asked} answered ({rate})"
    else:
        response = f"{res.answered:,} answered"
    scope = doc.scope.name if doc.scope else doc.organisation
    period = ""
    if doc.period is not None:
        name = doc.period.label if doc.period.named else "Last 12 months"
        period = f"{name}, {window(doc.period.start, doc.period.end)}"
    return BriefView(
        finding=brief.finding,
        scope=scope if scope == doc.organisation else f"{doc.organisation} \u00b7 {scope}",
        period=period,
        leaders=brief.leaders,
        gap_value=gap_value,
        gap_detail=gap_detail,
        gap_trend=gap_trend,
        reality=reality,
        reality_caption=caption,
        reality_missing=missing,
        adoption=adoption,
        adoption_line=line,
        cost=cost,
        cost_basis=basis,
        working=", ".join(brief.working),
        friction=", ".join(brief.friction),
        response=sentence_case(response),
        steps=list(brief.next_steps),
    )
