"""Builds the report document from the store; renderers only ever see what this returns."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gaplens.metrics.schemas import MetricOverview, MetricScope
from gaplens.metrics.stability import with_stability
from gaplens.perception.figures import ROLE_LABELS
from gaplens.perception.gap import gap_comparison
from gaplens.perception.service import released_perception, team_id_of
from gaplens.privacy import (
    PrivacyPolicy,
)
from gaplens.realities.schemas import ThreeRealities
from gaplens.releases.feedback.periods import thursday_weeks
from gaplens.releases.friction.queries import (
    FrictionClass,
    FrictionRelease,
    latest_friction_release,
)
from gaplens.releases.measured.queries import (
    measured_release,
    released_overviews,
    released_staggered,
)
from gaplens.releases.models import Release
from gaplens.releases.queries import (
    cell_predicate,
    latest_survey_release,
    reading_releases,
    released_comments,
)
from gaplens.report.brief import build_brief, response_rate
from gaplens.report.heatmap import build_heatmap
from gaplens.report.next_steps import next_steps
from gaplens.report.schemas import (
    AdoptionSection,
    CommentsOut,
    Comparison,
    FigureStatus,
    Headline,
    Heatmap,
    MeasuredReality,
    PeriodInfo,
    PrivacyInfo,
    PulseInfo,
    QuestionFigures,
    ReportDocument,
    ScopeInfo,
    SurveyInfo,
)
from gaplens.report.scope import (
    PERIOD_RULES,
    PeriodRequest,
    ResolvedPeriod,
    ResolvedScope,
    ScopeRequest,
    answered_pulses,
    choose_survey,
    last_data_day,
    resolve_period,
    resolve_scope,
)
from gaplens.report.sections import trend_section
from gaplens.scorecard.schemas import Scorecard
from gaplens.scorecard.service import scorecard, top_use_cases
from gaplens.sections import SectionContext, registered_sections
from gaplens.surveys.models import Survey
from gaplens.wording import FRONTLINE, LEADERS

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
    "Gap trend: a change between pulses is called widening or narrowing only when its "
    "interval (MOVER) excludes zero.",
    "AI's measured effect (organisation and functions): each month's adopters against people "
    "not yet using AI over the same calendar months (staggered adoption, Callaway & Sant'Anna "
    "2021), with 95% bootstrap intervals over persons; relative figures bootstrap the effect and "
    "the level together. Months before adoption test whether the groups already diverged. "
    "Where it is not published (teams), users vs non-users around each one's own date "
    "(difference in differences), whose comparison windows can fall in other months. "
    "Adoption dates are the directory's, else the first of 3 weeks in a row of AI use "
    "(telemetry; configurable, docs/metrics.md).",
    "Feeling beside measurement, by AI tenure: the median answer to 'by what percentage has AI "
    "made you faster' per tenure band (its interval includes the fixed bins numbers are "
    "released in) beside the measured speed-up at the matching months since adoption (under "
    "1 month: the adoption month; 1 to 6 months: months 1-5; 6 months or more: month 6 on); "
    "the difference in points with an interval combining both (MOVER: the two are "
    "independent samples). As in METR's 2025 trial (Becker et al.), where developers felt 20% "
    "faster and were measured 19% slower.",
    "Stability beside speed: every speed measure (cycle time, throughput, story points, time "
    "to resolution) is shown with AI's effect on its counter-measures, the share of work "
    "reopened and the rework per item, from the same release and the same comparison, "
    "because DORA's 2025 report (State of AI-assisted Software Development) found AI raising "
    "throughput and instability together. The verdict calls a change only when its 95% "
    "interval leaves out zero. Change failure rate is not shown: no imported data has "
    "deployments.",
    "Cost: every figure is labelled measured, self-reported or assumption, and self-reported "
    "time is never added to measured time.",
    "Next steps come from explicit rules over the figures in this report (docs/next-steps.md).",
]


SCOPE_NOTES = {
    "organisation": [],
    "function": [
        "Survey figures: responses whose self-reported function is this one.",
        "Measured figures, licences and adoption: people whose function in the directory is "
        "this one.",
        "Friction-log entries: those tagged with one of the function's teams.",
    ],
    "team": [
        "Survey figures: responses whose self-reported team is this team or one below it.",
        "Measured figures, licences and adoption: people in this team or a team below it.",
        "Friction-log entries: those tagged with one of these teams.",
    ],
}


def build_report(
    session: Session,
    survey_name: str | None,
    policy: PrivacyPolicy,
    today: dt.date | None = None,
    *,
    scope_request: ScopeRequest | None = None,
    period_request: PeriodRequest | None = None,
) -> ReportDocument:
    """One report for one scope and one period (gaplens/report/scope.py says which data
    each covers). Every figure is read from releases, so the same scope and period give
    every viewer, page and export the same report."""
    resolved = resolve_scope(session, scope_request or ScopeRequest())
    period = resolve_period(session, period_request, today)
    survey = choose_survey(session, period, survey_name)
    as_of = measured_as_of(session, period.end)
    with reading_releases(session):
        return _build_report(session, survey, policy, today, resolved, period, as_of)


def _build_report(
    session: Session,
    survey: Survey,
    policy: PrivacyPolicy,
    today: dt.date | None,
    resolved: ResolvedScope,
    period: ResolvedPeriod,
    as_of: dt.date | None,
) -> ReportDocument:
    pulse = next((p for p in answered_pulses(session) if p.survey.id == survey.id), None)
    population = resolved.population
    # Figures come from the survey's latest release, the same for every viewer and export.
    released = released_perception(session, survey, population)
    perception = released.figures
    responses = released.respondents or 0
    scope_team = team_id_of(session, population.team) if population.team else None

    # The contract every section builder follows: scope, [start, end] inclusive, policy,
    # and what the report has already read (the context); each reads its capability's
    # releases, so nothing here depends on who asks.
    scope: MetricScope = resolved.metric
    start, end = period.start, period.end
    # Use cases and friction minutes: sums of the friction release's classes in the period.
    friction = latest_friction_release(session)
    card = scorecard(session, start, end, team_ids=resolved.team_ids, release=friction)
    realities = scope_realities_of(session, survey, resolved, as_of)
    context = SectionContext(
        survey=survey,
        as_of=as_of,
        scorecard=card,
        perception=perception,
        friction=friction_classes(friction, start, end, resolved.team_ids),
        realities=realities.rows[0] if realities and realities.rows else None,
    )
    # Registered sections (gaplens/sections.py): each capability's own builder, in order.
    sections = {
        entry.field: entry.build(session, scope, start, end, policy, context)
        for entry in registered_sections()
    }
    adoption = sections.get("adoption")
    measured = measured_section(
        session,
        survey,
        resolved,
        as_of,
        realities,
        card,
        adoption if isinstance(adoption, AdoptionSection) else None,
    )
    document = ReportDocument(
        title="AI reality report",
        organisation=resolved.organisation,
        generated_on=today or dt.date.today(),
        survey=SurveyInfo(
            name=survey.name,
            bank_version=survey.bank_version,
            responses=responses or None,  # released classes: 0 or at least k
            answers_through=pulse.answers_through if pulse else None,
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
        headline=build_headline(
            perception, gap_comparison(released.release, scope_team, population.function)
        ),
        perception=perception,
        comments=comments_section(session, survey, resolved),
        method_notes=METHOD_NOTES,
        measured=measured,
        scope=ScopeInfo(
            kind=resolved.kind,
            key=resolved.key,
            name=resolved.name,
            includes=list(resolved.includes),
            notes=SCOPE_NOTES[resolved.kind],
        ),
        period=PeriodInfo(
            label=period.label,
            start=start,
            end=end,
            named=period.named,
            pulses=[
                PulseInfo(name=p.survey.name, answers_through=p.answers_through)
                for p in period.pulses
            ],
            data_as_of=as_of,
            rules=PERIOD_RULES,
        ),
        gap_trend=trend_section(session, survey, resolved, period),
        heatmap=(
            build_heatmap(session, survey, period, as_of, friction, policy)
            if resolved.is_organisation
            else None
        ),
        **sections,
    )
    document = document.model_copy(update={"next_steps": next_steps(document)})
    response = response_rate(session, survey, resolved, document.survey.responses, policy)
    return document.model_copy(update={"brief": build_brief(document, response)})


ReleaseState = tuple[str, int | None, dt.date | None, dt.date]


def release_state(session: Session, today: dt.date | None = None) -> ReleaseState:
    """What a figure read from releases for the default period can depend on: the database,
    its latest release (releases are only ever added), the last day of data (the default
    period's end) and the day. Equal states give equal figures, for any viewer."""
    return (
        session.get_bind().engine.url.render_as_string(hide_password=True),
        session.scalar(select(func.max(Release.id))),
        last_data_day(session),
        today or dt.date.today(),
    )


HeatmapKey = tuple[str, int | None, dt.date | None, dt.date, PrivacyPolicy]
HEATMAPS: dict[HeatmapKey, Heatmap | None] = {}
"""Dashboard heatmaps by (database, latest release id, last day of data, day, policy):
releases are never rewritten, so a heatmap changes only when a release is added (or new
data or the day moves the default period); every viewer gets the same one, computed once
instead of per request."""
HEATMAPS_KEPT = 8


def dashboard_heatmap(
    session: Session, policy: PrivacyPolicy, today: dt.date | None = None
) -> Heatmap | None:
    """The organisation report's heatmap for the default period (the last 12 months of
    data), read from the same releases, for the dashboard; None before any pulse."""
    key: HeatmapKey = (*release_state(session, today), policy)
    if key not in HEATMAPS:
        if len(HEATMAPS) >= HEATMAPS_KEPT:
            HEATMAPS.pop(next(iter(HEATMAPS)))
        HEATMAPS[key] = _dashboard_heatmap(session, policy, today)
    return HEATMAPS[key]


def _dashboard_heatmap(
    session: Session, policy: PrivacyPolicy, today: dt.date | None
) -> Heatmap | None:
    if not answered_pulses(session):
        return None
    period = resolve_period(session, None, today)
    survey = choose_survey(session, period, None)
    as_of = measured_as_of(session, period.end)
    friction = latest_friction_release(session)
    with reading_releases(session):
        return build_heatmap(session, survey, period, as_of, friction, policy)


def measured_as_of(session: Session, end: dt.date) -> dt.date | None:
    """The day measured figures are as of: the period's end, or the last imported day of
    usage or work data if earlier; None when none has been imported."""
    from gaplens.realities.service import data_as_of
    from gaplens.telemetry.models import AiUsageDay
    from gaplens.work.models import WorkItem

    has_data = any(
        session.scalar(select(column).limit(1)) is not None
        for column in (AiUsageDay.person_id, WorkItem.id)
    )
    if not has_data:
        return None
    return min(end, data_as_of(session, end))


def scope_realities_of(
    session: Session, survey: Survey, scope: ResolvedScope, as_of: dt.date | None
) -> ThreeRealities | None:
    """The three realities: every row for the organisation, the scope's own row otherwise;
    None before usage or work data is imported."""
    from gaplens.realities.service import RealityScope, scope_realities, three_realities

    if as_of is None:
        return None
    if scope.is_organisation:
        return three_realities(session, survey, as_of)
    target = RealityScope(scope.name, scope.population, scope.metric)
    return scope_realities(session, survey, as_of, target)


def measured_section(
    session: Session,
    survey: Survey,
    scope: ResolvedScope,
    as_of: dt.date | None,
    realities: ThreeRealities | None,
    card: Scorecard,
    adoption: AdoptionSection | None,
) -> MeasuredReality | None:
    """Every metric for the scope, the three realities, the adoption line and the use cases
    that work or hurt, when tool exports have been imported; every part already passed its
    own privacy thresholds."""
    from gaplens.realities.calibration import calibration
    from gaplens.realities.service import ORGANISATION

    if as_of is None or realities is None:
        return None
    if scope.is_organisation:
        functions = [r.scope for r in realities.rows if r.kind == "function"]
        scopes = [(ORGANISATION, scope.metric)] + [
            (f, scope.metric.model_copy(update={"function": f})) for f in functions
        ]
        calibrated = [
            c
            for c in calibration(session, survey, as_of, scopes)
            if c.measure or c.kind == "organisation"
        ]
    else:
        calibrated = calibration(session, survey, as_of, [(scope.name, scope.metric)])
    top = top_use_cases(card)
    headline = None
    if adoption is not None and adoption.status is FigureStatus.SHOWN:
        headline = adoption.headline
    return MeasuredReality(
        as_of=as_of,
        realities=realities,
        adoption_headline=headline,
        working_use_cases=[f"{u.label}: {u.reason}" for u in top.working],
        friction_use_cases=[f"{u.label}: {u.reason}" for u in top.friction],
        metrics=released_metrics(session, scope.metric, as_of),
        calibration=calibrated,
    )


def released_metrics(session: Session, scope: MetricScope, as_of: dt.date) -> list[MetricOverview]:
    """Every metric for the scope from the latest measured release at or before `as_of`
    (the same figures every page and export shows); none before the first release."""
    release = measured_release(session, scope.organisation_id, as_of)
    if release is None:
        return []
    # With the staggered-adoption estimate where the release publishes one (organisation
    # and functions): the report's AI effect comes from it.
    # Each speed metric with its counter-metrics' effects from the same release and
    # estimator beside it (docs/metrics.md, "Stability beside speed").
    return with_stability(
        [
            o.model_copy(
                update={"staggered": released_staggered(session, release, o.metric.key, scope)}
            )
            for o in released_overviews(session, release, scope)
        ]
    )


def friction_classes(
    release: FrictionRelease | None,
    start: dt.date,
    end: dt.date,
    team_ids: tuple[int, ...] | None,
) -> list[FrictionClass]:
    """The friction log's published classes lying wholly inside the ISO weeks whose
    Thursday lies in [start, end] (and, for a team, published with one of its teams): the
    same classes the scorecard sums."""
    if release is None:
        return []
    scope = None if team_ids is None else frozenset(team_ids).__contains__
    return release.inside(*thursday_weeks(start, end), scope)


def comments_section(
    session: Session, survey: Survey, scope: ResolvedScope | None = None
) -> CommentsOut:
    """The scope's comments from the survey's release: only groups of at least the comment
    threshold of people who wrote one, month-dated, shuffled, the same in every export."""
    population = scope.population if scope is not None else None
    team = team_id_of(session, population.team) if population and population.team else None
    function = population.function if population else None
    release = latest_survey_release(session, survey)
    if release is None:
        return CommentsOut(status=FigureStatus.NOT_ENOUGH_RESPONSES)
    inside = cell_predicate(release.tree, team=team, function=function)
    found = released_comments(session, survey, inside, seed=COMMENT_SEED)
    if found is None:
        return CommentsOut(status=FigureStatus.NOT_ENOUGH_RESPONSES)
    _, comments = found
    return CommentsOut(
        status=FigureStatus.SHOWN,
        n=len(comments),
        comments=[{"text": text, "month": month} for text, month in comments],
    )


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%"


def build_headline(
    perception: dict[str, QuestionFigures], gap: Comparison | None = None
) -> Headline:
    """Plain sentences, each tied to a figure, framed as a gap to close rather than blame.
    `gap` is the one defined gap (gaplens/perception/gap.py); the executive-only gap stays
    beside it as a labelled breakdown. It carries no published benchmark: the brief's
    38-point executive-frontline figure has no confirmed source and year (`HELD_BACK`)."""
    statements: list[str] = []
    impact = perception.get("productivity_impact")
    breakdown: Comparison | None = None
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
            breakdown = any_gap.model_copy(update={"benchmark": None})
    if gap is not None and gap.value and gap.status is FigureStatus.SHOWN:
        statements.append(
            f"The gap between leaders ({LEADERS}) and {FRONTLINE} in reporting any gains is "
            f"{gap.value.estimate:.0f} points (95% CI {gap.value.low:.0f} to "
            f"{gap.value.high:.0f})."
        )
    if breakdown is not None and breakdown.value and breakdown.status is FigureStatus.SHOWN:
        statements.append(
            f"Executives alone against {FRONTLINE}: {breakdown.value.estimate:.0f} points (95% CI "
            f"{breakdown.value.low:.0f} to {breakdown.value.high:.0f})."
        )
    clarity = perception.get("job_security_clarity")
    ic = ROLE_LABELS["individual_contributor"].lower()
    if clarity is not None:
        group = clarity.groups.get("individual_contributor")
        if group and group.status is FigureStatus.SHOWN and group.shares:
            unsure = group.shares["no"].count + group.shares["unsure"].count
            n = group.n or 0
            statements.append(
                f"{_pct(unsure / n)} of {ic} do not know whether AI will change their job (n={n})."
            )
    involvement = perception.get("decision_involvement")
    if involvement is not None:
        group = involvement.groups.get("individual_contributor")
        if group and group.favourable and group.status is FigureStatus.SHOWN:
            statements.append(
                f"{_pct(group.favourable.share)} of {ic} feel involved in decisions about how AI "
                f"is deployed in their work (n={group.n})."
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
    return Headline(statements=statements, gap=gap, exec_ic_impact_gap=breakdown)
