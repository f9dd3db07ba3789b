"""Report sections built from other capabilities' services, narrowed to the report's scope.

The gap trend (capability 2) and performative vs real adoption (7) read releases, the same
for every viewer; so do the scorecard's clearest use cases (4), from the friction release. Sets
of people go through the same gate as survey respondents, so a tracker pair of reports (a
team, then the team without one sub-team) is refused for them too.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from gaplens.adoption.schemas import Share as FunnelShare
from gaplens.adoption.service import headline as funnel_headline
from gaplens.adoption.service import stage_figures
from gaplens.perception.service import team_id_of
from gaplens.perception.trend import TrendOut, released_population_trend
from gaplens.releases.adoption.queries import latest_adoption_release, scope_predicate
from gaplens.report.schemas import (
    AdoptionSection,
    EvidenceItem,
    FigureStatus,
    FunnelStage,
    GapTrend,
    Share,
    TrendPulse,
    UseCaseOut,
    UseCasesSection,
)
from gaplens.report.scope import ResolvedPeriod, ResolvedScope, answered_pulses
from gaplens.scorecard.schemas import Scorecard, UseCaseScore
from gaplens.scorecard.service import top_use_cases
from gaplens.surveys.models import Survey
from gaplens.wording import GAP_QUESTION

STAGE_LABELS = {
    "licensed": "Licence assigned",
    "activated": "Activated (used at least once)",
    "active_28d": "Active in the last 28 days",
    "sustained": "Sustained (3 of the last 4 weeks)",
    "integrated": "Integrated (output kept or workflow moved)",
}
FUNNEL_DEFINITIONS = [
    "Figures are for the latest released month end at or before the period's end, counted "
    "over groups of licensed people released to everyone; trained and certified count all "
    "licensed people of those groups, not each stage.",
    "Licensed: people with an AI licence by the month end (directory).",
    "Activated: any recorded use of an AI tool (usage exports).",
    "Active in the last 28 days: what vendor dashboards call adoption.",
    "Sustained: active in at least 3 of the last 4 weeks.",
    "Integrated: sustained, and the output is kept (Copilot acceptance rate of at least 25% "
    "or lines added; Microsoft 365 Copilot used in two or more apps) or the person's own "
    "workflow moved (throughput up or cycle time down by 10% in the 90 days after adoption).",
]


# --- the gap and its trend -------------------------------------------------------------------


def trend_section(
    session: Session,
    survey: Survey,
    scope: ResolvedScope,
    period: ResolvedPeriod,
) -> GapTrend:
    """The gap per pulse of the survey's series, for the scope's responses, up to the period's
    end; the latest change is called widening or narrowing only beyond its interval."""
    pulses = [
        p
        for p in answered_pulses(session)
        if p.answers_through <= period.end
        and (p.survey.id == survey.id or (survey.series and p.survey.series == survey.series))
    ]
    population = scope.population
    team = team_id_of(session, population.team) if population.team else None
    points, change, direction = released_population_trend(
        session, [p.survey for p in pulses], team, population.function
    )
    return GapTrend(
        series=survey.series,
        question=GAP_QUESTION,
        points=[
            TrendPulse(
                survey=point.survey,
                answers_through=pulse.answers_through,
                in_period=period.start <= pulse.answers_through <= period.end,
                status=str(point.status),
                gap_pp=point.gap_pp,
                leaders_n=point.leaders_n,
                frontline_n=point.frontline_n,
            )
            for pulse, point in zip(pulses, points, strict=True)
        ],
        change_pp=change,
        direction=direction,
        method=TrendOut.model_fields["method"].default,
    )


# --- performative vs real adoption -----------------------------------------------------------


def adoption_section(session: Session, scope: ResolvedScope, as_of: dt.date) -> AdoptionSection:
    """The funnel of the released month end at or before `as_of`, for the scope's cell (the
    organisation, a team and the teams below it, or a function); a section saying so when no
    month end is released. The same figures as /adoption, for every viewer."""
    release = latest_adoption_release(session, scope.organisation_id, as_of)
    if release is None:
        return AdoptionSection(
            as_of=as_of,
            status=FigureStatus.NOT_ENOUGH_RESPONSES,
            headline="No month of the adoption funnel is released yet (a month is released "
            "once it is over and the usage data covers it).",
            definitions=FUNNEL_DEFINITIONS,
        )
    team = scope.team_ids[0] if scope.kind == "team" and scope.team_ids else None
    function = scope.key if scope.kind == "function" else None
    cell = release.cell(scope_predicate(release.tree, team, function))
    if cell is None:
        return AdoptionSection(
            as_of=release.month_end,
            status=FigureStatus.NOT_ENOUGH_RESPONSES,
            headline="Not shown for this scope: its licensed people are counted in a larger "
            "group, to protect individuals.",
            definitions=FUNNEL_DEFINITIONS,
        )
    figures = stage_figures(cell.furthest, cell.flags)
    return AdoptionSection(
        as_of=release.month_end,
        status=FigureStatus.SHOWN,
        licensed=cell.licensed,
        stages=[
            FunnelStage(
                stage=f.stage,
                label=STAGE_LABELS[f.stage],
                n=f.n,
                share_of_licensed=_share(f.n, f.share_of_licensed),
                share_of_previous=_share(f.n, f.share_of_previous),
                trained=f.trained,
                certified=f.certified,
            )
            for f in figures
        ],
        headline=funnel_headline(figures),
        definitions=FUNNEL_DEFINITIONS,
    )


def _share(count: int, share: FunnelShare | None) -> Share | None:
    if share is None:
        return None
    return Share(count=count, share=share.value, low=share.low, high=share.high)


# --- what works and what creates friction ----------------------------------------------------


def use_cases_section(card: Scorecard) -> UseCasesSection:
    """The two or three use cases that clearly work and the few that clearly hurt, with the
    evidence and n behind each class (docs/scorecard.md)."""
    top = top_use_cases(card)
    named = {u.key for u in (*top.working, *top.friction)}
    notes = [
        "Classes come from the scorecard's rules over the friction log's release: sums of "
        "its published groups (each of at least k entries) lying wholly inside the period.",
        *card.notes,
    ]
    return UseCasesSection(
        period_from=card.period_from,
        period_to=card.period_to,
        working=[_use_case(u) for u in top.working],
        friction=[_use_case(u) for u in top.friction],
        unknown=sum(1 for u in card.use_cases if u.key not in named and u.status == "unknown"),
        withheld=card.other_entries,
        rules=list(card.rules),
        notes=notes,
    )


def _use_case(score: UseCaseScore) -> UseCaseOut:
    return UseCaseOut(
        key=score.key,
        label=score.label,
        status=score.status,
        reason=score.reason,
        evidence=[
            EvidenceItem(
                source=e.source,
                measure=e.measure,
                n=e.n,
                value=e.value,
                low=e.low,
                high=e.high,
                lean=e.lean,
                text=e.text,
            )
            for e in score.evidence
        ],
    )
