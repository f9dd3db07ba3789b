"""Constructed sections of capabilities 9-14 for the next-steps rules: small, valid documents
with known figures (Wilson intervals from statsmodels), each adjustable by its arguments."""

from __future__ import annotations

import datetime as dt

from statsmodels.stats.proportion import proportion_confint

from gaplens.commitments.schemas import (
    ClarityChange,
    ClarityGroup,
    ClarityPoint,
    ClarityTrend,
    CommitmentsSection,
    PointsChange,
    Proportion,
    StatementOut,
)
from gaplens.criteria.rules import STATUS_LABELS, Status
from gaplens.criteria.schemas import CriteriaSection, CriterionOut, ScopeOut, StatusOut
from gaplens.metrics.schemas import MetricDefinition, MetricFigure
from gaplens.modelling.schemas import ModellingSection
from gaplens.reflections.schemas import (
    Interval,
    Reference,
    ReflectionsSummary,
    StepConfidence,
    StepParticipation,
    ThemesOut,
    UsageComparison,
)
from gaplens.tasks.schemas import (
    Mean,
    ReportFunction,
    Share,
    TaskFigure,
    TaskMapSection,
    UseCaseMatch,
    Verdict,
)
from gaplens.wins.schemas import WinEvidence, WinOut, WinsSection

START, END = dt.date(2025, 4, 1), dt.date(2026, 3, 31)
REOPEN = MetricDefinition(
    key="reopen_rate",
    label="Reopen rate",
    unit="share of resolved items",
    better="lower",
    summary="mean",
    definition="Share of resolved items reopened.",
    data_needed="tickets with status history",
)
CYCLE = MetricDefinition(
    key="cycle_time",
    label="Cycle time",
    unit="days",
    better="lower",
    summary="median",
    definition="Median days from start to resolution.",
    data_needed="issues",
)


def wilson(count: int, n: int) -> tuple[float, float]:
    low, high = proportion_confint(count, n, alpha=0.05, method="wilson")
    return float(low), float(high)


# --- reflections ---------------------------------------------------------------------------


def _step(key: str, label: str, days: int, used: int, sent: int) -> StepParticipation:
    low, high = wilson(used, sent)
    return StepParticipation(
        step=key,
        label=label,
        offset_days=days,
        status="shown",
        invited=sent,
        reflected=used,
        rate=Interval(estimate=used / sent, low=low, high=high),
    )


def reflections(
    now: tuple[int, int] = (831, 1490), week: tuple[int, int] = (377, 1492)
) -> ReflectionsSummary:
    """Participation per step as (used, sent): by default 56% right after, 25% a week later."""
    return ReflectionsSummary(
        period_from=START,
        period_to=END,
        scope="Whole organisation",
        by="function",
        min_group_size=5,
        min_comment_group_size=10,
        steps=[
            _step("now", "Right after", 0, *now),
            _step("day1", "One day later", 1, 500, 1491),
            _step("week1", "One week later", 7, *week),
        ],
        confidence=[StepConfidence(step="now", label="Right after", status="not_enough_data")],
        themes=ThemesOut(status="not_enough_data", reason="too few"),
        later_usage=UsageComparison(
            status="not_enough_data", window_days=28, participant_definition="x", caveat="y"
        ),
        reference=Reference(
            text="Without reflection about 50% is forgotten within a day and 90% within a week",
            source="Forgetting-curve figures (source and year not yet confirmed)",
        ),
        notes=[],
    )


# --- task map ------------------------------------------------------------------------------


def task(key: str, label: str, function: str, hate: int = 40, n: int = 50) -> TaskFigure:
    low, high = wilson(hate, n)
    return TaskFigure(
        key=key,
        label=label,
        function=function,
        source="catalogue",
        n=n,
        hate=Share(count=hate, n=n, value=hate / n, low=low, high=high),
        keep=Share(count=2, n=n, value=2 / n, low=0.01, high=0.13),
        hours_lost=Mean(n=n, value=4.5, low=4.0, high=5.0),
        judgement=Mean(n=n, value=1.5, low=1.3, high=1.7),
        judgement_hint=1,
        augmentation_score=0.7,
        protect_score=0.2,
        verdict=Verdict.AUGMENT,
    )


def match(task_key: str, label: str, use_case: str, status: str) -> UseCaseMatch:
    return UseCaseMatch(
        task=task_key,
        task_label=label,
        use_case=use_case,
        status=status,
        reason="feedback and friction log lean " + status,
        matched_by="words",
        advice="Start here",
    )


def function_map(
    function: str, tasks: list[TaskFigure], matches: list[UseCaseMatch]
) -> ReportFunction:
    return ReportFunction(
        function=function,
        n=60,
        candidates=tasks,
        protect=[],
        free_tasks=[],
        personas=[],
        candidate_use_cases=matches,
    )


def tasks(*functions: ReportFunction, use_cases_known: bool = True) -> TaskMapSection:
    """By default: Engineering's test scaffolding matches working test generation;
    Operations' customs paperwork matches nothing."""
    if not functions:
        functions = (
            function_map(
                "Engineering",
                [
                    task("boilerplate", "Boilerplate code", "Engineering"),
                    task("test-scaffolding", "Test scaffolding", "Engineering", hate=30),
                ],
                [
                    match("boilerplate", "Boilerplate code", "code completion", "unknown"),
                    match("test-scaffolding", "Test scaffolding", "test generation", "working"),
                ],
            ),
            function_map(
                "Operations", [task("customs", "Customs paperwork", "Operations", 45)], []
            ),
        )
    return TaskMapSection(
        round="Task map",
        period_from=START,
        period_to=END,
        respondents=120,
        functions=list(functions),
        hidden_functions=0,
        rules=[],
        use_cases_known=use_cases_known,
    )


# --- leadership modelling and what stays the same ------------------------------------------


def modelling(posts: int = 6, failing: int = 4, leaders: int = 5) -> ModellingSection:
    return ModellingSection(
        period_from=START,
        period_to=END,
        posts=posts,
        admitting_failure=failing,
        failure_share=failing / posts if posts else None,
        leaders_posting=leaders,
        useful_marks=40,
        posts_all_time=max(posts, 3),
        summary="",
    )


def statement(n: int, function: str | None = None) -> StatementOut:
    return StatementOut(
        id=n,
        category="role",
        category_label="A role that stays",
        text=f"Statement {n}",
        stated_by="COO",
        function=function,
        published_on=dt.date(2026, 1, 5),
        review_on=None,
        revision=1,
        revised_on=None,
    )


def clarity_group(yes: int, n: int) -> ClarityGroup:
    low, high = wilson(yes, n)
    return ClarityGroup(
        status="shown", n=n, yes=yes, clarity=Proportion(share=yes / n, low=low, high=high)
    )


def commitments(
    statements: int = 2,
    ic: tuple[int, int] | None = (40, 200),
    direction: str | None = "clearer",
) -> CommitmentsSection:
    """Individual contributors' clarity in the latest pulse as (yes, n), None: suppressed;
    the change since the pulse before, by direction (None: no change computed)."""
    hidden = ClarityGroup(status="suppressed")
    latest = ClarityPoint(
        survey="Pulse 2026-Q1",
        first_week=dt.date(2026, 3, 2),
        answers_through=dt.date(2026, 3, 15),
        statements_in_force=statements,
        everyone=clarity_group(70, 260),
        individual_contributors=clarity_group(*ic) if ic else hidden,
    )
    change = None
    if direction is not None:
        estimate = {"clearer": 9.0, "no clear change": 1.0, "less clear": -8.0}[direction]
        change = ClarityChange(
            group="individual_contributors",
            from_survey="Pulse 2025-Q4",
            to_survey="Pulse 2026-Q1",
            change_pp=PointsChange(estimate=estimate, low=estimate - 4, high=estimate + 4),
            direction=direction,  # type: ignore[arg-type]
        )
    return CommitmentsSection(
        period_from=START,
        period_to=END,
        statements=[statement(n, "Support" if n == 1 else None) for n in range(statements)],
        made_in_period=statements,
        retired_in_period=0,
        since=dt.date(2025, 12, 1),
        made_since=statements,
        review_due=0,
        clarity=ClarityTrend(
            question="Do you know whether AI will change or replace your job?",
            series="Pulse",
            points=[latest],
            change=change,
            benchmark="78%",
        ),
        summary="",
    )


# --- success criteria and wins -------------------------------------------------------------


def figure(value: float, low: float, high: float, **n: int) -> MetricFigure:
    return MetricFigure(method="m", value=value, low=low, high=high, n=n or {"ai_users": 125})


def criterion(status: Status = Status.AT_RISK, *, retired: bool = False) -> CriterionOut:
    """Reopen rate in Support: target 0.08 from a baseline of 0.099, measured +0.063."""
    judged = StatusOut(
        status=status,
        label=STATUS_LABELS[status],
        rule={
            Status.AT_RISK: "R1: the metric is moving the wrong way",
            Status.MISSED: "X1: at the review date the target was not reached",
            Status.ON_TRACK: "T1: the whole interval is on the improving side",
            Status.MET: "M1: reached",
            Status.NOT_ENOUGH_DATA: "N: no baseline",
        }[status],
        as_of=dt.date(2026, 3, 31),
        final=status in (Status.MET, Status.MISSED),
        data_through=dt.date(2026, 3, 31),
        change=figure(0.063, 0.051, 0.075),
        relative=(0.64, 0.52, 0.76),
    )
    return CriterionOut(
        id=3,
        phase_name="AI-drafted replies",
        phase_start=dt.date(2025, 11, 3),
        metric=REOPEN,
        scope=ScopeOut(kind="function", label="Support", function="Support"),
        method="within_person",
        method_label="Within-person before/after",
        method_note="",
        baseline_start=dt.date(2025, 8, 5),
        baseline_end=dt.date(2025, 11, 2),
        baseline=figure(0.099, 0.09, 0.11, persons=300),
        target_kind="value",
        target=0.08,
        target_text="0.08 share of resolved items",
        target_level=0.08,
        target_change=-0.019,
        review_date=dt.date(2026, 5, 1),
        description=None,
        created_by="lead@example",
        created_at=dt.datetime(2025, 10, 30, 9),
        defined_after_start=False,
        retired=retired,
        revisions=[],
        edits=0,
        edits_after_start=0,
        status=judged,
    )


def criteria(*items: CriterionOut) -> CriteriaSection:
    return CriteriaSection(
        period_start=START, period_end=END, criteria=list(items), retired=[], rules=[]
    )


def win(verdict: str | None = "improved", *, metric: bool = True) -> WinOut:
    """Cycle time in Engineering, −0.56 days (−0.77 to −0.35) against non-users."""
    evidence = None
    if metric:
        evidence = WinEvidence(
            before=figure(3.6, 3.4, 3.8, persons=597),
            figure=figure(-0.56, -0.77, -0.35, ai_users=217, non_users=281),
            change=figure(-0.56, -0.77, -0.35, ai_users=217, non_users=281),
            relative=(-0.16, -0.21, -0.10),
            verdict=verdict,  # type: ignore[arg-type]
            verdict_text="",
        )
    return WinOut(
        id=2,
        title="Copilot users' cycle time fell",
        description=None,
        source="Jira export",
        self_reported=not metric,
        metric=CYCLE if metric else None,
        method="difference_in_differences" if metric else None,
        method_label="Difference-in-differences vs non-users" if metric else None,
        scope=ScopeOut(kind="function", label="Engineering", function="Engineering"),
        before_start=dt.date(2025, 10, 1),
        before_end=dt.date(2025, 12, 31),
        after_start=dt.date(2026, 1, 1),
        after_end=dt.date(2026, 3, 31),
        created_by="lead@example",
        created_at=dt.datetime(2026, 4, 2, 9),
        evidence=evidence,
    )


def wins(*items: WinOut) -> WinsSection:
    return WinsSection(period_start=START, period_end=END, wins=list(items))
