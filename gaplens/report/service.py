"""Builds the report document from the store; renderers only ever see what this returns."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.criteria.service import report_section as criteria_section
from gaplens.directory.models import Organisation
from gaplens.metrics.schemas import MetricScope
from gaplens.perception.figures import ROLE_LABELS, benchmark_out
from gaplens.perception.queries import QuestionAggregate, SurveyAggregate
from gaplens.perception.service import perception_figures
from gaplens.privacy import Comment, PrivacyPolicy, release_comments
from gaplens.realities.service import data_as_of
from gaplens.reflections.service import report_section as reflections_section
from gaplens.reflections.service import report_window
from gaplens.report.schemas import (
    CommentsOut,
    Comparison,
    FigureStatus,
    Headline,
    MeasuredReality,
    PrivacyInfo,
    QuestionFigures,
    ReportDocument,
    SurveyInfo,
)
from gaplens.surveys.models import Survey
from gaplens.surveys.question_bank import DERIVED_BENCHMARKS, Scale
from gaplens.surveys.service import find_survey, survey_questions
from gaplens.wins.service import report_section as wins_section

COMMENT_SEED = 7919
PRIVACY_RULES = [
    "A number is shown only for a group of at least {k} respondents.",
    "Free-text comments are shown only for groups of at least {c}, shuffled, with the month only.",
    "A subgroup is shown only if the rest of its parent group also has at least {k} people; "
    "if hidden groups add up to fewer than {k}, the next-smallest group is hidden too.",
    "Responses carry no name, account, IP address or exact time; no one can see an "
    "individual response, including administrators.",
]
METHOD_NOTES = [
    "Shares use Wilson 95% score intervals.",
    "Differences between role levels are in percentage points with Newcombe's hybrid score "
    "interval.",
    "'N times as likely' figures are risk ratios with a log-method (Katz) 95% interval.",
    "Medians of self-reported numbers use a percentile bootstrap interval (2,000 resamples).",
    "Agree/disagree items are scored 0/25/50/75/100 as in Microsoft's Copilot Dashboard, with a "
    "t-interval for the mean.",
    "These are perceptions. Measured reality (telemetry, work items) is compared in later "
    "sections as it is imported.",
]


def build_report(
    session: Session,
    survey_name: str | None,
    policy: PrivacyPolicy,
    today: dt.date | None = None,
) -> ReportDocument:
    survey = find_survey(session, survey_name)
    aggregate, perception = perception_figures(session, survey, policy)
    organisation = session.scalars(select(Organisation.name).order_by(Organisation.id)).first()
    organisation_id = session.scalars(select(Organisation.id).order_by(Organisation.id)).first()
    scope = MetricScope(organisation_id=organisation_id) if organisation_id is not None else None
    period_end = data_as_of(session, today or dt.date.today())  # the year the data covers
    period_start = period_end - dt.timedelta(days=364)
    headline = build_headline(perception)
    return ReportDocument(
        title="AI reality report",
        organisation=organisation or "Organisation",
        generated_on=today or dt.date.today(),
        survey=SurveyInfo(
            name=survey.name,
            bank_version=survey.bank_version,
            responses=sum(aggregate.responses_by_role.values()),
            first_day=aggregate.first_day,
            last_day=aggregate.last_day,
        ),
        privacy=PrivacyInfo(
            min_group_size=policy.min_group_size,
            min_comment_group_size=policy.min_comment_group_size,
            rules=[
                rule.format(k=policy.min_group_size, c=policy.min_comment_group_size)
                for rule in PRIVACY_RULES
            ],
        ),
        group_order=["executive", "manager", "individual_contributor", "everyone"],
        headline=headline,
        perception=perception,
        comments=comments_section(session, survey, aggregate, policy),
        method_notes=METHOD_NOTES,
        measured=measured_section(session, survey, aggregate.last_day, policy),
        reflections=reflections_section(
            session, *report_window(session, today or dt.date.today()), policy
        ),
        criteria=criteria_section(session, scope, period_start, period_end, policy)
        if scope
        else None,
        wins=wins_section(session, scope, period_start, period_end, policy) if scope else None,
    )


def measured_section(
    session: Session, survey: Survey, survey_end: dt.date | None, policy: PrivacyPolicy
) -> MeasuredReality | None:
    """Every metric for the organisation, the three realities, the adoption line and the use
    cases that work or hurt, when tool exports have been imported; every part already passed
    its own privacy thresholds. The organisation's work items and usage days are loaded
    once and shared by all of them (every function and team is a mask over the same rows)."""
    from gaplens.adoption.service import adoption_funnel
    from gaplens.metrics.schemas import MetricScope
    from gaplens.metrics.service import load_measured
    from gaplens.realities.service import data_as_of, three_realities
    from gaplens.scorecard.service import scorecard, top_use_cases
    from gaplens.telemetry.models import AiUsageDay
    from gaplens.work.models import WorkItem

    has_data = any(
        session.scalar(select(column).limit(1)) is not None
        for column in (AiUsageDay.person_id, WorkItem.id)
    )
    if not has_data:
        return None
    as_of = data_as_of(session, survey_end or dt.date.today())
    organisation = session.scalars(select(Organisation.id).order_by(Organisation.id)).first()
    measured = None
    metrics = []
    if organisation is not None:
        scope = MetricScope(organisation_id=organisation)
        measured = load_measured(session, scope, as_of, policy=policy)
        metrics = measured.overviews(scope)
    funnel = adoption_funnel(session, as_of, policy, measured=measured)
    card = top_use_cases(scorecard(session, as_of - dt.timedelta(days=365), as_of))
    return MeasuredReality(
        as_of=as_of,
        realities=three_realities(session, survey, as_of, policy, measured),
        adoption_headline=funnel.headline if funnel.organisation.licensed else None,
        working_use_cases=[f"{u.label}: {u.reason}" for u in card.working],
        friction_use_cases=[f"{u.label}: {u.reason}" for u in card.friction],
        metrics=metrics,
    )


def comments_section(
    session: Session, survey: Survey, aggregate: SurveyAggregate, policy: PrivacyPolicy
) -> CommentsOut:
    texts: list[tuple[str, dt.date]] = []
    for question_id, entry in survey_questions(session, survey):
        if entry.scale is Scale.TEXT:
            texts.extend(aggregate.questions.get(question_id, QuestionAggregate()).texts)
    released = release_comments(
        [Comment(text, day) for text, day in texts],
        sum(aggregate.responses_by_role.values()),
        policy,
        seed=COMMENT_SEED,
    )
    if released is None:
        return CommentsOut(status=FigureStatus.NOT_ENOUGH_RESPONSES)
    return CommentsOut(
        status=FigureStatus.SHOWN,
        n=len(released),
        comments=[{"text": c.text, "month": c.month} for c in released],
    )


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%"


def build_headline(perception: dict[str, QuestionFigures]) -> Headline:
    """Plain sentences, each tied to a figure, framed as a gap to close rather than blame."""
    statements: list[str] = []
    impact = perception.get("productivity_impact")
    gap: Comparison | None = None
    if impact is not None:
        high = impact.risk_ratios.get("high_gains_executive_vs_ic")
        if high and high.value and high.status is FigureStatus.SHOWN:
            statements.append(
                f"Executives are {high.value.estimate:.1f}x as likely as individual contributors "
                f"to report high productivity gains from AI (95% CI {high.value.low:.1f}-"
                f"{high.value.high:.1f}; published benchmark 4x)."
            )
        none = impact.risk_ratios.get("no_difference_ic_vs_executive")
        if none and none.value and none.status is FigureStatus.SHOWN:
            statements.append(
                f"Individual contributors are {none.value.estimate:.1f}x as likely as executives "
                f"to say AI has made no difference (95% CI {none.value.low:.1f}-"
                f"{none.value.high:.1f}; published benchmark 5x)."
            )
        any_gap = impact.gaps_pp.get("any_gains_executive_minus_ic")
        if any_gap is not None:
            gap = any_gap.model_copy(
                update={"benchmark": benchmark_out(DERIVED_BENCHMARKS["exec_ic_impact_gap"])}
            )
            if gap.value and gap.status is FigureStatus.SHOWN:
                statements.append(
                    f"The executive-frontline gap in reporting any gains is "
                    f"{gap.value.estimate:.0f} points (95% CI {gap.value.low:.0f} to "
                    f"{gap.value.high:.0f}; Goldman Sachs found 38)."
                )
    clarity = perception.get("job_security_clarity")
    ic = ROLE_LABELS["individual_contributor"].lower()
    if clarity is not None:
        group = clarity.groups.get("individual_contributor")
        if group and group.status is FigureStatus.SHOWN and group.shares:
            unsure = group.shares["no"].count + group.shares["unsure"].count
            n = group.n or 0
            statements.append(
                f"{_pct(unsure / n)} of {ic} do not know whether AI will change their job "
                f"(n={n}; published benchmark 78%)."
            )
    involvement = perception.get("decision_involvement")
    if involvement is not None:
        group = involvement.groups.get("individual_contributor")
        if group and group.favourable and group.status is FigureStatus.SHOWN:
            statements.append(
                f"{_pct(group.favourable.share)} of {ic} feel involved in decisions about how AI "
                f"is deployed in their work (n={group.n}; published benchmark 12%)."
            )
    if statements:
        statements.append(
            "This is an implementation gap, not a failing of either side: the next step is to "
            "measure where AI changes the work, and to involve the people doing it before the "
            "next rollout phase."
        )
    else:
        statements.append(
            "Not enough responses yet to compare role levels; figures appear once each group "
            "has enough respondents to protect anonymity."
        )
    return Headline(statements=statements, exec_ic_impact_gap=gap)
