"""Perceived speed-up (survey) against measured speed-up (workflow data), per scope.

Perceived: the median answer to `perceived_speedup` ("how much faster, in %") by role level,
with its bootstrap interval, from the perception figures (privacy thresholds included).
Measured: minus the difference in differences of the scope's workflow metric (cycle time
where there are issues, time to resolution where there are tickets), as a percentage of the
AI users' before-adoption level. The gap's interval combines both intervals (MOVER).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.directory.models import Organisation, Person
from gaplens.metrics.schemas import MetricFigure, MetricScope
from gaplens.metrics.service import metric_overview
from gaplens.perception.filters import PopulationFilter
from gaplens.perception.service import perception_figures
from gaplens.privacy import PrivacyGate, PrivacyPolicy, QueryRefused
from gaplens.realities.schemas import Interval, RealityRow, ThreeRealities
from gaplens.report.schemas import FigureStatus, QuestionFigures
from gaplens.stats import Estimate, mover_difference
from gaplens.surveys.models import Survey

QUESTION = "perceived_speedup"
WORKFLOW_METRICS = (
    ("cycle_time", "cycle time (issues)"),
    ("time_to_resolution", "time to resolution (tickets)"),
)
ORGANISATION = "Whole organisation"
NOTES = [
    "Perceived: median answer to 'how much faster does AI make your work (%)' by role level, "
    "95% bootstrap interval; leaders are executives, frontline are individual contributors.",
    "Measured: the change in the workflow metric of AI users before vs after their own "
    "adoption date, minus the same change for non-users (difference in differences), as a "
    "share of the users' level before adoption; positive = faster.",
    "Gap: perceived minus measured, in percentage points, with a MOVER interval.",
]


def _median(figures: dict[str, QuestionFigures], group: str) -> tuple[Interval | None, int | None]:
    question = figures.get(QUESTION)
    found = question.groups.get(group) if question else None
    if found is None or found.status != FigureStatus.SHOWN or found.number is None:
        return None, None
    median = found.number.median
    return Interval(estimate=median.estimate, low=median.low, high=median.high), found.n


def _measured(figure: MetricFigure) -> Interval | None:
    before = figure.parts.get("ai_users_before")
    if not figure.shown or not before or figure.value is None:
        return None
    assert figure.low is not None and figure.high is not None
    scale = -100.0 / before
    return Interval(estimate=figure.value * scale, low=figure.high * scale, high=figure.low * scale)


def _gap(perceived: Interval | None, measured: Interval | None) -> Interval | None:
    if perceived is None or measured is None:
        return None
    gap = mover_difference(
        Estimate(perceived.estimate, perceived.low, perceived.high),
        Estimate(measured.estimate, measured.low, measured.high),
    )
    return Interval(estimate=gap.value, low=gap.low, high=gap.high)


def data_as_of(session: Session, fallback: dt.date) -> dt.date:
    """The last day the imported usage or workflow data covers (the survey's end without)."""
    from sqlalchemy import func

    from gaplens.telemetry.models import AiUsageDay
    from gaplens.work.models import WorkItem

    usage = session.scalar(select(func.max(AiUsageDay.day)))
    resolved = session.scalar(select(func.max(WorkItem.resolved_at)))
    days = [d for d in (usage, resolved.date() if resolved else None) if d is not None]
    return max(days) if days else fallback


def three_realities(
    session: Session,
    survey: Survey,
    as_of: dt.date,
    policy: PrivacyPolicy,
    gate: PrivacyGate | None = None,
    viewer: str = "report",
) -> ThreeRealities:
    """The organisation and each function with any figure; the functions' perception goes
    through `gate` for `viewer` (pass the staff gate for a staff export)."""
    organisation = session.scalars(select(Organisation.id).order_by(Organisation.id)).first()
    functions = sorted({f for f in session.scalars(select(Person.function).distinct()) if f})
    rows: list[RealityRow] = []
    gate = gate if gate is not None else PrivacyGate(policy)
    for function in [None, *functions]:
        refused = False
        if function is None:
            _, figures = perception_figures(session, survey, policy)
        else:
            try:
                _, figures = perception_figures(
                    session, survey, policy, PopulationFilter(function=function), gate, viewer
                )
            except QueryRefused:
                figures, refused = {}, True
        leaders, leaders_n = _median(figures, "executive")
        frontline, frontline_n = _median(figures, "individual_contributor")
        measured: Interval | None = None
        measure, n = "", {}
        reason: str | None = "no workflow data imported"
        if organisation is not None:
            scope = MetricScope(organisation_id=organisation, function=function)
            for key, label in WORKFLOW_METRICS:
                figure = metric_overview(
                    session, key, scope, as_of, policy=policy
                ).users_vs_non_users
                measure, reason, n = label, figure.not_enough_data, figure.n
                measured = _measured(figure)
                if measured is not None:
                    break
        if function is not None and leaders is None and frontline is None and measured is None:
            continue
        rows.append(
            RealityRow(
                scope=function or ORGANISATION,
                measure=measure,
                leaders_perceived=leaders,
                leaders_n=leaders_n,
                frontline_perceived=frontline,
                frontline_n=frontline_n,
                measured=measured,
                measured_n=n if measured is not None else {},
                leaders_gap=_gap(leaders, measured),
                frontline_gap=_gap(frontline, measured),
                reason=None if measured is not None else reason,
                perception_refused=refused,
            )
        )
    return ThreeRealities(as_of=as_of.isoformat(), rows=rows, notes=NOTES)


@dataclass(frozen=True)
class RealityScope:
    """A report's scope: whose answers (declared filters) and whose work (the directory)."""

    label: str
    population: PopulationFilter
    metric: MetricScope


def scope_realities(
    session: Session,
    survey: Survey,
    as_of: dt.date,
    policy: PrivacyPolicy,
    scope: RealityScope,
    gate: PrivacyGate,
    viewer: str,
) -> ThreeRealities:
    """The one row of a report narrowed to a function or a team, its perception through the
    report's gate for `viewer` (the staff gate for a staff export, so rule 3 holds across the
    viewer's views); a refused population keeps its measured column and says so."""
    refused = False
    figures: dict[str, QuestionFigures] = {}
    try:
        _, figures = perception_figures(session, survey, policy, scope.population, gate, viewer)
    except QueryRefused:
        refused = True
    leaders, leaders_n = _median(figures, "executive")
    frontline, frontline_n = _median(figures, "individual_contributor")
    measured: Interval | None = None
    measure, n = "", {}
    reason: str | None = "no workflow data imported"
    for key, label in WORKFLOW_METRICS:
        figure = metric_overview(session, key, scope.metric, as_of, policy=policy)
        result = figure.users_vs_non_users
        measure, reason, n = label, result.not_enough_data, result.n
        measured = _measured(result)
        if measured is not None:
            break
    row = RealityRow(
        scope=scope.label,
        measure=measure,
        leaders_perceived=leaders,
        leaders_n=leaders_n,
        frontline_perceived=frontline,
        frontline_n=frontline_n,
        measured=measured,
        measured_n=n if measured is not None else {},
        leaders_gap=_gap(leaders, measured),
        frontline_gap=_gap(frontline, measured),
        reason=None if measured is not None else reason,
        perception_refused=refused,
    )
    return ThreeRealities(as_of=as_of.isoformat(), rows=[row], notes=NOTES)
