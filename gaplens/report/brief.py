"""The brief: the report's first two pages, built by rules from figures already in the
document (every one read from releases), so it says nothing the appendix does not back.

One gap is used everywhere (gaplens/perception/gap.py): leaders (executives and managers)
minus the frontline (individual contributors) on the share reporting high or some
productivity gains, per pulse, as the gap trend computes it.
"""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gaplens.actions.schemas import ActionOut
from gaplens.directory.models import Person
from gaplens.figures import FigureStatus, Interval
from gaplens.privacy import PrivacyPolicy, participation_shown
from gaplens.report.schemas import (
    Brief,
    BriefAdoption,
    BriefCost,
    BriefGap,
    BriefReality,
    BriefResponse,
    ReportDocument,
)
from gaplens.report.scope import ResolvedScope
from gaplens.surveys.collection import participation
from gaplens.surveys.models import Survey
from gaplens.wording import LEADERS_DEFINITION, day, percent, points, signed

BRIEF_STEPS = 3


def response_rate(
    session: Session,
    survey: Survey,
    scope: ResolvedScope,
    responses: int | None,
    policy: PrivacyPolicy,
) -> BriefResponse:
    """Responses of the people asked: of invitations sent when the survey sent them (shown
    "at least N of M", never exactly, `participation_shown`), else the released respondents
    of the people in the scope's directory."""
    sent, used = participation(session, survey)
    if sent:
        return BriefResponse(
            answered=participation_shown(sent, used, policy),
            of=sent,
            basis="invitations",
            at_least=True,
        )
    query = (
        select(func.count())
        .select_from(Person)
        .where(Person.organisation_id == scope.organisation_id)
    )
    if scope.kind == "function":
        query = query.where(Person.function == scope.key)
    elif scope.kind == "team" and scope.team_ids:
        query = query.where(Person.team_id.in_(scope.team_ids))
    people = session.scalar(query) or 0
    return BriefResponse(answered=responses, of=people or None, basis="directory")


def _scope_words(doc: ReportDocument) -> str:
    if doc.scope is None or doc.scope.kind == "organisation":
        return f"across {doc.organisation}"
    return f"in {doc.scope.name}"


def brief_gap(doc: ReportDocument) -> BriefGap | None:
    trend = doc.gap_trend
    if trend is None:
        return None
    shown = [p for p in trend.points if p.status == FigureStatus.SHOWN and p.gap_pp]
    if not shown:
        return BriefGap(definition=LEADERS_DEFINITION, direction=trend.direction)
    latest = shown[-1]
    previous = shown[-2] if len(shown) > 1 else None
    return BriefGap(
        definition=LEADERS_DEFINITION,
        survey=latest.survey,
        value=latest.gap_pp,
        leaders_n=latest.leaders_n,
        frontline_n=latest.frontline_n,
        previous_survey=previous.survey if previous else None,
        previous=previous.gap_pp if previous else None,
        change=trend.change_pp,
        direction=trend.direction,
    )


def brief_adoption(doc: ReportDocument) -> BriefAdoption | None:
    adoption = doc.adoption
    if adoption is None or adoption.status is not FigureStatus.SHOWN:
        return None
    stages = {s.stage: s for s in adoption.stages}
    active, integrated = stages.get("active_28d"), stages.get("integrated")
    if active is None or integrated is None:
        return None
    return BriefAdoption(
        as_of=adoption.as_of,
        licensed=adoption.licensed,
        active=active.share_of_licensed,
        integrated=integrated.share_of_licensed,
        integrated_n=integrated.n,
    )


def brief_cost(doc: ReportDocument, adoption: BriefAdoption | None) -> BriefCost | None:
    """Spend per month divided by the people with AI integrated into their work."""
    cost = doc.cost
    if cost is None or adoption is None or not adoption.integrated_n or not cost.period_months:
        return None
    per = cost.period_months * adoption.integrated_n
    if cost.spend is not None:
        low = high = cost.spend / per
    elif cost.spend_bounds is not None:
        low, high = cost.spend_bounds.low / per, cost.spend_bounds.high / per
    else:
        return None
    return BriefCost(
        currency=cost.currency,
        low=low,
        high=high,
        integrated=adoption.integrated_n,
        months=cost.period_months,
        basis=(
            f"Licence spend over {cost.period_months:.0f} months at the assumed list prices "
            f"(measured seats), per month, divided by the {adoption.integrated_n:,} people with "
            f"AI integrated into their work at the end of {adoption.as_of:%B %Y} (measured)."
        ),
    )


def _interval(value: BaseModel | None) -> Interval | None:
    """The realities' own interval type as the report's."""
    return None if value is None else Interval.model_validate(value.model_dump())


def brief_reality(doc: ReportDocument) -> BriefReality | None:
    if doc.measured is None or not doc.measured.realities.rows:
        return None
    row = doc.measured.realities.rows[0]
    if row.leaders_perceived is None and row.frontline_perceived is None and row.measured is None:
        return None
    # Executives alone: a breakdown of the leaders, from the scope's perception figures.
    speedup = doc.perception.get("perceived_speedup")
    executives = speedup.groups.get("executive") if speedup else None
    shown = executives is not None and executives.status is FigureStatus.SHOWN
    median = executives.number.median if shown and executives and executives.number else None
    return BriefReality(
        measure=row.measure,
        leaders=_interval(row.leaders_perceived),
        leaders_n=row.leaders_n,
        executives=median,
        executives_n=executives.n if median is not None and executives else None,
        frontline=_interval(row.frontline_perceived),
        frontline_n=row.frontline_n,
        measured=_interval(row.measured),
        reason=row.reason,
        stability=row.stability,
    )


def finding(
    doc: ReportDocument,
    gap: BriefGap | None,
    reality: BriefReality | None,
    adoption: BriefAdoption | None,
) -> str:
    """One sentence specific to this scope and period, from the figures by rules: the gap
    and its direction first, then the clearest measured fact."""
    where = _scope_words(doc)
    parts: list[str] = []
    if gap is not None and gap.value is not None:
        size = gap.value.estimate
        if gap.value.low > 0:
            parts.append(
                f"Leaders {where} report gains from AI {points(size)} more often than the frontline"
            )
        elif gap.value.high < 0:
            parts.append(
                f"The frontline {where} reports gains from AI {points(size)} more often "
                "than leaders"
            )
        else:
            parts.append(f"Leaders and the frontline {where} report gains from AI about as often")
        if gap.direction in ("widening", "narrowing") and gap.previous is not None:
            before = f"{signed(gap.previous.estimate)} points"
            parts[-1] += (
                f", and the gap {gap.direction[:-3]}ed since the last pulse (from {before})"
            )
    measured = reality.measured if reality else None
    if reality is not None and measured is not None and (measured.low > 0 or measured.high < 0):
        what = reality.measure.split(" (")[0]
        verb = "fell" if measured.estimate > 0 else "rose"
        parts.append(f"measured {what} {verb} {abs(measured.estimate):.0f}% for AI users")
        # Speed is not told without stability beside it (docs/metrics.md).
        counters = reality.stability.counters if reality.stability else []
        worse = [
            f"{c.label.lower()} {'rose' if c.better == 'lower' else 'fell'}"
            for c in counters
            if c.direction == "worse"
        ]
        if worse:
            parts[-1] += f", but {' and '.join(worse)}"
    elif adoption is not None and adoption.active and adoption.integrated:
        parts.append(
            f"{percent(adoption.active.share)} of licensed people use AI but "
            f"{percent(adoption.integrated.share)} have it in their work"
        )
    if not parts:
        return (
            f"Not enough released figures yet {where} to compare leaders with the frontline "
            "or to measure AI's effect."
        )
    sentence = "; ".join(parts)
    return sentence[:1].upper() + sentence[1:] + "."


def planned(title: str, action: ActionOut | None) -> str:
    """A step's title, with its owner and status when it is already in the action plan."""
    if action is None:
        return title
    parts = [
        f"owner {action.owner}" if action.owner else "no owner yet",
        action.status_label.lower(),
    ]
    if action.due_on is not None:
        parts.append(f"due {day(action.due_on)}")
    return f"{title} (in the action plan: {', '.join(parts)})"


def build_brief(doc: ReportDocument, response: BriefResponse) -> Brief:
    gap = brief_gap(doc)
    reality = brief_reality(doc)
    adoption = brief_adoption(doc)
    steps = doc.next_steps.steps[:BRIEF_STEPS] if doc.next_steps else []
    adopted = {a.rule: a for a in doc.actions.this_period if a.rule} if doc.actions else {}
    return Brief(
        finding=finding(doc, gap, reality, adoption),
        leaders=LEADERS_DEFINITION,
        gap=gap,
        reality=reality,
        adoption=adoption,
        cost=brief_cost(doc, adoption),
        working=[u.label for u in doc.use_cases.working[:3]] if doc.use_cases else [],
        friction=[u.label for u in doc.use_cases.friction[:3]] if doc.use_cases else [],
        response=response,
        next_steps=[planned(s.title, adopted.get(s.rule)) for s in steps],
    )
