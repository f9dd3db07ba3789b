"""Next steps from explicit rules over the report's own figures.

Each rule is a small pure function of the whole ReportDocument that returns one step, with
the figures that triggered it, or None. Rules read only what is in the document, which holds
only gate-cleared figures, so a step can never reveal more than the report already shows; a
section that is None (or a figure that is not shown) simply triggers nothing. Steps are
framed as an implementation gap with a path forward, never as anyone's failing.

To add a rule (e.g. for a new section): write `def my_rule(doc) -> NextStep | None`, decorate
it with `@rule("my-rule", priority)`, keep it pure, document it in docs/next-steps.md and
test it on a constructed document that triggers it and one that does not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from gaplens.commitments.schemas import ClarityGroup, ClarityPoint, CommitmentsSection
from gaplens.criteria.rules import Status
from gaplens.criteria.schemas import CriterionOut
from gaplens.metrics.schemas import MetricFigure
from gaplens.report.schemas import (
    AdoptionSection,
    FigureStatus,
    GroupFigures,
    NextStep,
    NextSteps,
    ReportDocument,
    Share,
    UseCaseOut,
)
from gaplens.tasks.schemas import ReportFunction, TaskFigure, UseCaseMatch
from gaplens.wins.schemas import WinOut
from gaplens.wording import (
    FRONTLINE,
    LEADERS,
    MINUS,
    day,
    group_phrase,
    percent,
    percent_range,
    plain,
    points,
    points_range,
    signed,
)

FRAMING = (
    "Each step below comes from an explicit rule applied to the figures in this report "
    "(listed with the method notes at the end). The gap is treated as an implementation "
    "gap with a path forward: "
    "where AI is available but not yet part of how the work gets done."
)
REPEAT_AFTER_DAYS = 90
GAP_POINTS = 10.0
"""A leader-frontline gap this large (points), with its interval above 0, is worth a step."""
INTEGRATION_GAP = 0.20
"""Active minus integrated share (of the licensed) that calls for an integration step."""
UNSURE_SHARE = 0.50
INVOLVED_SHARE = 0.30
FEW_ADMIT_FAILURE = 1 / 3
"""Below this share of leaders' posts saying what the AI got wrong, modelling shows success
stories only, which teaches people that friction is not to be reported."""
REFLECTION_KEPT = 0.5
"""The one-week step keeping less than half of the first step's participation (intervals
apart) is a steep drop: the step that counters most forgetting reaches the fewest."""
STEPS_LISTED = 3
"""At most this many criteria, wins or tasks are named in one step's title and evidence."""

Rule = Callable[[ReportDocument], NextStep | None]


@dataclass(frozen=True)
class RuleSpec:
    id: str
    priority: int
    check: Rule


RULES: list[RuleSpec] = []


def rule(rule_id: str, priority: int) -> Callable[[Rule], Rule]:
    """Register a rule; `priority` orders the steps (lower first)."""

    def register(check: Rule) -> Rule:
        if any(r.id == rule_id for r in RULES):
            raise ValueError(f"rule {rule_id!r} is registered twice")
        RULES.append(RuleSpec(rule_id, priority, check))
        RULES.sort(key=lambda r: (r.priority, r.id))
        return check

    return register


def next_steps(doc: ReportDocument) -> NextSteps:
    """Every rule applied to the document; the steps in priority order."""
    steps = [step for spec in RULES if (step := spec.check(doc)) is not None]
    return NextSteps(steps=steps, framing=FRAMING, rules=[spec.id for spec in RULES])


def _step(rule_id: str, title: str, action: str, evidence: list[str], section: str) -> NextStep:
    spec = next(r for r in RULES if r.id == rule_id)
    return NextStep(
        rule=rule_id,
        priority=spec.priority,
        title=title,
        action=action,
        evidence=[e for e in evidence if e],
        section=section,
    )


def _where(doc: ReportDocument) -> str:
    """'in Engineering' / 'across Northwind Logistics'."""
    if doc.scope is None or doc.scope.kind == "organisation":
        return f"across {doc.organisation}"
    return f"in {doc.scope.name}"


def _shown(group: GroupFigures | None) -> bool:
    return group is not None and group.status is FigureStatus.SHOWN


def _share_text(share: Share) -> str:
    return f"{percent(share.share)} ({percent_range(share.low, share.high)})"


# --- rules -----------------------------------------------------------------------------------


@rule("gap-widening", 10)
def gap_widening(doc: ReportDocument) -> NextStep | None:
    """The leader-frontline gap widened beyond noise between the last two pulses."""
    trend = doc.gap_trend
    if trend is None or trend.direction != "widening" or trend.change_pp is None:
        return None
    shown = [p for p in trend.points if p.status == FigureStatus.SHOWN and p.gap_pp]
    if len(shown) < 2:
        return None
    before, latest = shown[-2], shown[-1]
    assert before.gap_pp is not None and latest.gap_pp is not None
    change = trend.change_pp
    return _step(
        "gap-widening",
        "Find out what changed since the last pulse",
        f"The gap between leaders and the frontline {_where(doc)} widened beyond noise "
        f"between {before.survey} and {latest.survey}. Before the next rollout phase, ask the "
        "people doing the work what changed for them with AI, in a session leaders attend, "
        "and share what you heard and what you will change.",
        [
            f"Gap {signed(before.gap_pp.estimate)} points ({before.survey}) to "
            f"{signed(latest.gap_pp.estimate)} points ({latest.survey}); change "
            f"{signed(change.estimate)} points "
            f"(95% interval {points_range(change.low, change.high)}).",
            f"n = {latest.leaders_n} leaders, {latest.frontline_n} individual contributors in "
            f"{latest.survey}.",
        ],
        "gap_trend",
    )


@rule("perception-gap", 20)
def perception_gap(doc: ReportDocument) -> NextStep | None:
    """Leaders report gains far more often than individual contributors (the one gap)."""
    gap = doc.headline.gap
    if gap is None or gap.status is not FigureStatus.SHOWN or gap.value is None:
        return None
    if gap.value.low <= 0 or gap.value.estimate < GAP_POINTS:
        return None
    return _step(
        "perception-gap",
        "Put one shared picture in front of both sides",
        "Leaders and the frontline describe different realities. Go through "
        "this report with both together, starting from the measured figures rather than "
        "either side's perception, and agree which two or three workflows to look at first.",
        [
            f"Leaders ({LEADERS}) are "
            f"{points(gap.value.estimate).replace('points', 'percentage points')} more likely "
            f"than {FRONTLINE} to report any gains (95% interval "
            f"{points_range(gap.value.low, gap.value.high)}).",
        ],
        "headline",
    )


@rule("leaders-overestimate", 30)
def leaders_overestimate(doc: ReportDocument) -> NextStep | None:
    """Leaders' perceived speed-up is above the measured one, beyond the interval."""
    if doc.measured is None or not doc.measured.realities.rows:
        return None
    row = doc.measured.realities.rows[0]
    gap, perceived, measured = row.leaders_gap, row.leaders_perceived, row.measured
    if gap is None or perceived is None or measured is None or gap.low <= 0:
        return None
    defined = _active_criteria(doc)
    if defined:
        title = "Judge the next phase on the measured figures"
        action = (
            f"Leaders' sense of the speed-up {_where(doc)} is ahead of what the work data "
            f"shows. Review progress on the measured figures of the {len(defined)} success "
            f"{'criterion' if len(defined) == 1 else 'criteria'} in this report rather than "
            "on impressions, and give any new phase its own criterion on the measured metric "
            f"({row.measure}) before it starts."
        )
    else:
        title = "Set the next phase's success metric on measured data"
        action = (
            f"Leaders' sense of the speed-up {_where(doc)} is ahead of what the work data "
            "shows. Before the next rollout phase, agree one success criterion on the measured "
            f"metric ({row.measure}) with a baseline, a target and a review date, so progress "
            "is judged on the same number by everyone."
        )
    return _step(
        "leaders-overestimate",
        title,
        action,
        [
            f"Leaders ({LEADERS}) perceive {signed(perceived.estimate)}% "
            f"(n = {row.leaders_n}); measured "
            f"{signed(measured.estimate)}% ({signed(measured.low)} to {signed(measured.high)}).",
            f"Gap {signed(gap.estimate)} points (95% interval {points_range(gap.low, gap.high)}).",
            "" if defined else f"No success criterion is defined {_where(doc)} yet.",
        ],
        "measured",
    )


def _evidence_line(use_case: UseCaseOut) -> str:
    parts = []
    for e in use_case.evidence:
        if e.value is None or e.low is None or e.high is None or e.n is None:
            continue
        if e.measure == "correction_rate":
            parts.append(
                f"{percent(e.value)} of outputs corrected ({percent_range(e.low, e.high)}, "
                f"n = {e.n})"
            )
        elif e.measure == "net_minutes":
            parts.append(
                f"net {signed(e.value)} minutes per output ({signed(e.low)} to "
                f"{signed(e.high)}, n = {e.n}; saved minutes self-reported)"
            )
        elif e.measure == "working_share":
            parts.append(f"{percent(e.value)} of feedback says it works (n = {e.n})")
    return f"{use_case.label}: " + ("; ".join(parts) if parts else use_case.reason)


@rule("fix-friction", 40)
def fix_friction(doc: ReportDocument) -> NextStep | None:
    """At least one use case is classed friction by the scorecard."""
    if doc.use_cases is None or not doc.use_cases.friction:
        return None
    names = [u.label for u in doc.use_cases.friction]
    return _step(
        "fix-friction",
        f"Fix or pause AI where it creates friction: {', '.join(names)}",
        "With the people who do this work, decide for each whether to change how AI is used "
        "(a review step, better prompts or guidance, another tool) or to stop using it there "
        "for now; keep logging corrections for a month to see whether it improved.",
        [_evidence_line(u) for u in doc.use_cases.friction],
        "use_cases",
    )


@rule("spread-what-works", 50)
def spread_what_works(doc: ReportDocument) -> NextStep | None:
    """At least one use case is classed working."""
    if doc.use_cases is None or not doc.use_cases.working:
        return None
    names = [u.label for u in doc.use_cases.working]
    return _step(
        "spread-what-works",
        f"Spread what works: {', '.join(names)}",
        "Ask the people who get value from these to show how they do it, write it down as a "
        "short playbook, and offer it to teams that have not tried them; measure the same "
        "figures next quarter.",
        [_evidence_line(u) for u in doc.use_cases.working],
        "use_cases",
    )


def _stage(adoption: AdoptionSection, stage: str) -> Share | None:
    found = next((s for s in adoption.stages if s.stage == stage), None)
    return found.share_of_licensed if found is not None else None


@rule("integration-gap", 60)
def integration_gap(doc: ReportDocument) -> NextStep | None:
    """Many licensed people are active, far fewer have AI in how their work gets done."""
    adoption = doc.adoption
    if adoption is None or adoption.status is not FigureStatus.SHOWN:
        return None
    active, integrated = _stage(adoption, "active_28d"), _stage(adoption, "integrated")
    if active is None or integrated is None:
        return None
    if active.share - integrated.share < INTEGRATION_GAP or active.low <= integrated.high:
        return None
    return _step(
        "integration-gap",
        "Move from access to integration",
        "Activity is not integration. Pair people who use AI but have not changed how they "
        "work with colleagues in the workflows that work, and report integration rather than "
        "activity as the adoption figure.",
        [
            f"Active in the last 28 days: {_share_text(active)} of {adoption.licensed} licensed.",
            f"Integrated: {_share_text(integrated)}.",
        ],
        "adoption",
    )


IDLE_SHARE = 0.10
"""Idle seats (licensed, not active in 28 days) worth a step: a tenth of the licensed."""


@rule("idle-seats", 70)
def idle_seats(doc: ReportDocument) -> NextStep | None:
    """At least 10% of the licensed people (and at least one) were not active in the last 28
    days. Both figures are already released, so this is a presentation rule, not a privacy
    threshold: a tenth idle is worth asking about; fewer is normal churn."""
    adoption, cost = doc.adoption, doc.cost
    if adoption is None or adoption.status is not FigureStatus.SHOWN or adoption.licensed is None:
        return None
    active = next((s for s in adoption.stages if s.stage == "active_28d"), None)
    if active is None:
        return None
    idle = adoption.licensed - active.n
    if idle <= 0 or idle < IDLE_SHARE * adoption.licensed:
        return None
    evidence = [
        f"{idle} of {adoption.licensed} licensed people had no recorded use in the 28 "
        f"days to {adoption.as_of.isoformat()} (measured)."
    ]
    if cost is not None and cost.status is FigureStatus.SHOWN and cost.spend_per_seat_month:
        monthly = idle * cost.spend_per_seat_month
        evidence.append(
            f"About {_money(monthly, cost.currency)} a month at the assumed seat prices "
            f"({_money(cost.spend_per_seat_month, cost.currency)} per licensed person)."
        )
    return _step(
        "idle-seats",
        f"Ask the {idle} people with unused seats what is in the way",
        "Before buying more seats, find out from people who have a licence but do not use it "
        "what stops them (training, tool fit, time), then reassign the seats nobody wants.",
        evidence,
        "adoption",
    )


@rule("business-case", 75)
def business_case(doc: ReportDocument) -> NextStep | None:
    """The hours people say they save are below what a seat needs to pay for itself."""
    cost = doc.cost
    if cost is None or cost.status is not FigureStatus.SHOWN:
        return None
    needed = cost.break_even_hours_per_week
    everyone = next((t for t in cost.time if t.key == "survey_hours_saved.everyone"), None)
    if needed is None or everyone is None or everyone.value is None:
        return None
    if everyone.value.high >= needed:
        return None
    return _step(
        "business-case",
        "Check the business case before expanding licences",
        "Even by people's own account, the time saved does not yet pay for a seat. Focus the "
        "next phase on the workflows that work before adding seats, and measure the time "
        "saved there rather than relying on estimates.",
        [
            f"Reported hours saved per week: {plain(everyone.value.estimate)} "
            f"({plain(everyone.value.low)} to {plain(everyone.value.high)}, n = {everyone.n}; "
            "self-reported).",
            f"A seat pays for itself at {plain(needed)} hours a week at the assumed hourly cost.",
        ],
        "cost",
    )


@rule("job-security", 80)
def job_security(doc: ReportDocument) -> NextStep | None:
    """Half or more of individual contributors do not know whether AI will change their job
    (when the commitments section shows no clarity figure: `what-stays-the-same` reads that
    section, with the statements beside it, and takes over)."""
    if _latest_clarity(doc.commitments) is not None:
        return None
    question = doc.perception.get("job_security_clarity")
    group = question.groups.get("individual_contributor") if question else None
    if not _shown(group) or group is None or group.shares is None or not group.n:
        return None
    unsure = sum(group.shares[o].count for o in ("no", "unsure") if o in group.shares)
    share = unsure / group.n
    if share < UNSURE_SHARE:
        return None
    return _step(
        "job-security",
        "Say what stays the same",
        "People cannot commit to a change they cannot see the end of. Publish what is not "
        "changing (roles, skills, knowledge that becomes more valuable) next to the plan for "
        "what is, and repeat the question in the next pulse.",
        [
            f"{percent(share)} of individual contributors do not know whether AI will change "
            f"their job (n = {group.n}).",
        ],
        "perception",
    )


@rule("involvement", 85)
def involvement(doc: ReportDocument) -> NextStep | None:
    """Few individual contributors feel involved in decisions about AI in their work."""
    question = doc.perception.get("decision_involvement")
    group = question.groups.get("individual_contributor") if question else None
    if not _shown(group) or group is None or group.favourable is None:
        return None
    if group.favourable.share >= INVOLVED_SHARE:
        return None
    tasks = doc.tasks
    evidence = [
        f"{_share_text(group.favourable)} of individual contributors feel involved in "
        f"decisions about AI in their work (n = {group.n}).",
    ]
    if tasks is not None and tasks.status == "shown" and tasks.respondents:
        action = (
            "People have said which tasks they want AI to take off their plate and which to "
            "keep (the task map). Show them what was decided from their answers, and invite "
            "those who named a task to shape its pilot."
        )
        evidence.append(f"{tasks.respondents} people answered the task map ({tasks.round}).")
    else:
        action = (
            "Ask individual contributors which tasks they want AI to take off their plate and "
            "which they want to keep, before the next use cases are chosen, and show them what "
            "was decided from their answers."
        )
    return _step(
        "involvement",
        "Involve the people doing the work before the next phase",
        action,
        evidence,
        "perception",
    )


@rule("more-responses", 90)
def more_responses(doc: ReportDocument) -> NextStep | None:
    """A role level could not be shown for the headline question."""
    impact = doc.perception.get("productivity_impact")
    if impact is None:
        return None
    hidden = [
        key
        for key in ("executive", "manager", "individual_contributor")
        if key in impact.groups and impact.groups[key].status is not FigureStatus.SHOWN
    ]
    if not hidden:
        return None
    return _step(
        "more-responses",
        "Invite more people to the next pulse",
        "Some role levels could not be shown because too few of them answered (or showing "
        "them would let a smaller group be worked out). Invite the whole scope with "
        "single-use links and remind once, so every level can be compared next time.",
        [
            "Not shown: "
            + ", ".join(group_phrase(k) for k in hidden)
            + f" (groups need at least {doc.privacy.min_group_size} people).",
        ],
        "perception",
    )


@rule("import-workflow-data", 92)
def import_workflow_data(doc: ReportDocument) -> NextStep | None:
    """No usage or workflow data has been imported: the third reality is missing."""
    if doc.measured is not None:
        return None
    return _step(
        "import-workflow-data",
        "Add the measured reality",
        "Perception alone is one opinion against another. Import the issue tracker or ticket "
        "exports and the AI usage exports (gaplens import jira, tickets, copilot-usage) so "
        "the report can show what the work data says.",
        ["No usage or workflow data has been imported yet."],
        "measured",
    )


@rule("measured-too-thin", 93)
def measured_too_thin(doc: ReportDocument) -> NextStep | None:
    """Data is imported, but the scope's measured speed-up cannot be estimated."""
    if doc.measured is None or not doc.measured.realities.rows:
        return None
    row = doc.measured.realities.rows[0]
    if row.measured is not None:
        return None
    return _step(
        "measured-too-thin",
        "Read the measured figures at a wider scope for now",
        f"The workflow data {_where(doc)} is too thin to measure a speed-up yet. Use the "
        "function's or the organisation's report for measured figures, and check that every "
        "team's issue or ticket exports are imported.",
        [f"Measured speed-up {_where(doc)}: {row.reason or 'not enough data'}."],
        "measured",
    )


@rule("measure-again", 99)
def measure_again(doc: ReportDocument) -> NextStep | None:
    """Always, once a pulse has a release: the gap is judged by whether it closes. Dated from
    the day its released answers run through, never from the day of one answer."""
    last = doc.survey.answers_through
    if last is None:
        return None
    due = last + dt.timedelta(days=REPEAT_AFTER_DAYS)
    return _step(
        "measure-again",
        f"Measure again by {day(due)}",
        "Run the next pulse and refresh this report, to see whether the gap is closing and "
        "whether the steps above changed the figures.",
        [f"The latest pulse ({doc.survey.name}) has answers released through {last.isoformat()}."],
        "survey",
    )


# --- rules over the sections of capabilities 9-14 ------------------------------------------


def _active_criteria(doc: ReportDocument) -> list[CriterionOut]:
    return [c for c in doc.criteria.criteria if not c.retired] if doc.criteria else []


def _amount(value: float) -> str:
    """A metric value in its own unit with two significant digits and a real minus sign:
    0.0632 -> '0.063', -0.634 -> '−0.63', 3.84 -> '3.8', 12.3 -> '12'."""
    size = abs(value)
    decimals = 0 if size >= 10 else 1 if size >= 1 else 2 if size >= 0.1 else 3
    return plain(value, decimals)


def _signed_amount(value: float) -> str:
    text = _amount(value)
    return text if text.startswith(MINUS) or float(text) == 0 else "+" + text


def _persons(n: dict[str, int]) -> str:
    """{'ai_users': 119, 'non_users': 280} -> '119 AI users, 280 non-users'."""
    names = {"ai_users": "AI users", "non_users": "non-users"}
    return ", ".join(f"{v} {names.get(k, k.replace('_', ' '))}" for k, v in n.items())


def _change_text(
    change: MetricFigure, unit: str, relative: tuple[float, float, float] | None
) -> str:
    """'+0.063 share of resolved items (95% interval +0.051 to +0.075; 119 AI users), +64%
    of the baseline'."""
    assert change.value is not None and change.low is not None and change.high is not None
    text = (
        f"{_signed_amount(change.value)} {unit} (95% interval {_signed_amount(change.low)} to "
        f"{_signed_amount(change.high)}"
    )
    text += f"; {_persons(change.n)})" if change.n else ")"
    if relative is not None:
        text += f", {signed(relative[0] * 100)}% of the baseline"
    return text


def _names(items: list[str]) -> str:
    shown = items[:STEPS_LISTED]
    more = len(items) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more else "")


def _criterion_line(c: CriterionOut) -> str:
    """'Phase (Metric, Scope): at risk, rule R1: why. Target … by …; measured … as of ….'"""
    status = c.status
    assert status is not None
    code, _, why = status.rule.partition(": ")
    head = f"{c.phase_name} ({c.metric.label}, {c.scope.label}): {status.label.lower()}"
    head += f", rule {code}: {why}." if why else "."
    target = f"Target {c.target_text} by {day(c.review_date)}"
    if c.target_change is not None and c.baseline is not None and c.baseline.value is not None:
        target += (
            f" (a change of {_signed_amount(c.target_change)} from the baseline of "
            f"{_amount(c.baseline.value)})"
        )
    if status.change is not None and status.change.shown and status.as_of is not None:
        target += (
            f"; measured {_change_text(status.change, c.metric.unit, status.relative)}, as of "
            f"{day(status.as_of)}"
        )
    return f"{head} {target}."


@rule("criterion-off-track", 35)
def criterion_off_track(doc: ReportDocument) -> NextStep | None:
    """A success criterion is at risk or missed, by its computed status (never typed in)."""
    off = [
        c
        for c in _active_criteria(doc)
        if c.status is not None and c.status.status in (Status.AT_RISK, Status.MISSED)
    ]
    if not off:
        return None
    missed = any(c.status is not None and c.status.status is Status.MISSED for c in off)
    names = _names([c.phase_name for c in off])
    if missed:
        title = f"Re-plan before the next phase: {names}"
        timing = (
            "The measured change did not reach the target agreed before the phase by its "
            "review date"
        )
    else:
        title = f"Re-plan before the review date: {names}"
        timing = (
            "The measured change is not heading for the target agreed before the phase, and "
            "there is still time before the review date"
        )
    return _step(
        "criterion-off-track",
        title,
        f"{timing}. With the people in the phase, look at what is in the way, then change "
        "how AI is used there, revise the criterion in the open (gaplens keeps every revision "
        "visible) or pause the rollout; widen it only once the figure moves.",
        [_criterion_line(c) for c in off[:STEPS_LISTED]],
        "criteria",
    )


@rule("criteria-missing", 45)
def criteria_missing(doc: ReportDocument) -> NextStep | None:
    """AI is rolled out in the scope (adoption or measured data) but no success criterion is
    defined for it (and `leaders-overestimate`, which asks for one, did not fire)."""
    if _active_criteria(doc) or leaders_overestimate(doc) is not None:
        return None
    evidence = [f"No success criterion is defined {_where(doc)}."]
    adoption = doc.adoption
    rolled_out = False
    if adoption is not None and adoption.status is FigureStatus.SHOWN and adoption.licensed:
        rolled_out = True
        active = _stage(adoption, "active_28d")
        evidence.append(
            f"{adoption.licensed} people hold an AI licence"
            + (f"; {_share_text(active)} were active in the last 28 days." if active else ".")
        )
    row = doc.measured.realities.rows[0] if doc.measured and doc.measured.realities.rows else None
    metric = row.measure if row is not None else "a metric from the registry"
    if row is not None and row.measured is not None:
        rolled_out = True
        evidence.append(
            f"Measured speed-up so far ({row.measure}): {signed(row.measured.estimate)}% "
            f"({signed(row.measured.low)} to {signed(row.measured.high)})."
        )
    if not rolled_out:
        return None
    return _step(
        "criteria-missing",
        "Define success before the next phase",
        "Before the next rollout phase, agree one success criterion: a metric "
        f"({metric}), its baseline computed from the data, a target and a review date "
        "(gaplens criteria add, or the criteria page), so the phase is judged on the same "
        "number by everyone and its status is computed, not asserted.",
        evidence,
        "criteria",
    )


def _win_line(w: WinOut) -> str:
    assert w.metric is not None and w.evidence is not None
    change = w.evidence.change
    text = (
        f"{w.title}: {w.metric.label}, {w.scope.label}, {day(w.after_start)} to {day(w.after_end)}"
    )
    if change.shown:
        text += f": {_change_text(change, w.metric.unit, w.evidence.relative)}"
    if w.method_label:
        text += f"; {w.method_label.lower()}"
    return text + "."


@rule("spread-a-win", 55)
def spread_a_win(doc: ReportDocument) -> NextStep | None:
    """A logged win whose metric improved beyond noise (computed from the data)."""
    wins = [
        w
        for w in (doc.wins.wins if doc.wins else [])
        if w.metric is not None and w.evidence is not None and w.evidence.verdict == "improved"
    ]
    if not wins:
        return None
    metrics = sorted({w.metric.label.lower() for w in wins if w.metric is not None})
    return _step(
        "spread-a-win",
        f"Spread a measured win: {_names([w.title for w in wins])}",
        "Ask the team behind each win what made it work, write it down, and offer it to "
        "teams where the same metric matters; measure the same metric "
        f"({', '.join(metrics)}) where it is tried next, so the next win is shown the same way.",
        [_win_line(w) for w in wins[:STEPS_LISTED]],
        "wins",
    )


def _shown_tasks(doc: ReportDocument) -> list[ReportFunction]:
    tasks = doc.tasks
    if tasks is None or tasks.status != "shown":
        return []
    return tasks.functions


def _task_line(function: str, task: TaskFigure) -> str:
    return (
        f"{function}, {task.label}: {percent(task.hate.value)} would hand it off "
        f"({percent_range(task.hate.low, task.hate.high)}, n = {task.n}); "
        f"{plain(task.hours_lost.value)} hours a week lost (self-reported); judgement "
        f"{plain(task.judgement.value)} of 5"
    )


def _working_matches(function: ReportFunction) -> list[tuple[TaskFigure, UseCaseMatch]]:
    by_key = {t.key: t for t in function.candidates}
    return [
        (by_key[m.task], m)
        for m in function.candidate_use_cases
        if m.status == "working" and m.task in by_key
    ]


@rule("task-pilot", 57)
def task_pilot(doc: ReportDocument) -> NextStep | None:
    """A task people want off their plate matches a use case the scorecard classes working."""
    found = [(f.function, t, m) for f in _shown_tasks(doc) for t, m in _working_matches(f)]
    if not found:
        return None
    function, task, match = found[0]
    title = f"Pilot {match.use_case} for {task.label.lower()} ({function})"
    if len(found) > 1:
        title += f", and {len(found) - 1} more"
    where = "" if doc.scope is None or doc.scope.kind == "organisation" else " organisation-wide"
    return _step(
        "task-pilot",
        title,
        "People named these tasks as ones they would hand off, and a use case that already "
        "works matches them. Start the next phase there: pilot it with the people who asked, "
        "with a success criterion on the function's metric defined before it starts.",
        [
            f"{_task_line(f, t)}. The scorecard classes {m.use_case} as working{where}."
            for f, t, m in found[:STEPS_LISTED]
        ],
        "tasks",
    )


@rule("task-needs-a-tool", 65)
def task_needs_a_tool(doc: ReportDocument) -> NextStep | None:
    """A function's top augmentation candidate matches no use case in the scorecard at all."""
    tasks = doc.tasks
    if tasks is None or not tasks.use_cases_known:
        return None
    found = [
        (f.function, f.candidates[0])
        for f in _shown_tasks(doc)
        if f.candidates and not any(m.task == f.candidates[0].key for m in f.candidate_use_cases)
    ]
    if not found:
        return None
    function, task = found[0]
    title = f"Ask for a tool or workflow for {task.label.lower()} ({function})"
    if len(found) > 1:
        title += f", and {len(found) - 1} more"
    return _step(
        "task-needs-a-tool",
        title,
        "People would hand these tasks off and they need little judgement, but no use case "
        "in the scorecard covers them yet. Ask the people who do them what a tool or "
        "workflow would have to do, find or build one with them, and pilot it with a "
        "success criterion before rolling it out.",
        [
            f"{_task_line(f, t)}; no use case in the scorecard matches it."
            for f, t in found[:STEPS_LISTED]
        ],
        "tasks",
    )


def _latest_clarity(
    section: CommitmentsSection | None,
) -> tuple[ClarityPoint, str, ClarityGroup] | None:
    """The latest pulse's clarity: individual contributors if shown, else everyone."""
    if section is None or section.clarity is None or not section.clarity.points:
        return None
    point = section.clarity.points[-1]
    for name, group in (
        ("individual contributors", point.individual_contributors),
        ("everyone", point.everyone),
    ):
        if group.status == "shown" and group.clarity is not None and group.n:
            return point, name, group
    return None


def _direction(direction: str) -> str:
    return "within noise" if direction == "no clear change" else f"{direction} beyond noise"


@rule("what-stays-the-same", 79)
def what_stays_the_same(doc: ReportDocument) -> NextStep | None:
    """Job-security clarity (commitments section) is low, or became less clear, with or
    without statements of what stays the same in force."""
    section = doc.commitments
    latest = _latest_clarity(section)
    if section is None or section.clarity is None or latest is None:
        return None
    point, name, group = latest
    assert group.clarity is not None
    change = section.clarity.change
    if group.clarity.share >= 1 - UNSURE_SHARE and (
        change is None or change.direction != "less clear"
    ):
        return None
    evidence = [
        f"Job-security clarity among {name}: {percent(group.clarity.share)} "
        f"({percent_range(group.clarity.low, group.clarity.high)}, n = {group.n}) in "
        f"{point.survey} say they know whether AI will change their job."
    ]
    if change is not None:
        evidence.append(
            f"Change since {change.from_survey}: {signed(change.change_pp.estimate)} points "
            f"(95% interval {points_range(change.change_pp.low, change.change_pp.high)}), "
            f"{_direction(change.direction)}."
        )
    statements = len(section.statements)
    if statements == 0:
        evidence.append("No statement of what stays the same is in force.")
        title, action = (
            "Say what stays the same",
            "People cannot commit to a change they cannot see the end of. Publish what is not "
            "changing (roles, skills, knowledge that becomes more valuable) next to the plan "
            "for what is; gaplens shows the statements on the survey and feedback pages. Ask "
            "the question again in the next pulse.",
        )
    else:
        own = sum(1 for s in section.statements if s.function)
        evidence.append(
            f"{statements} {'statement' if statements == 1 else 'statements'} of what stays "
            f"the same in force ({own} for one function)."
        )
        if change is not None and change.direction == "clearer":
            title, action = (
                "Keep saying what stays the same, where it is still unclear",
                "Clarity is rising beside the statements made, but most people still do not "
                "know. Ask individual contributors which changes they are unsure about and "
                "answer them in statements for their own function and role, with a review date.",
            )
        else:
            title, action = (
                "Make what stays the same concrete",
                "Statements are in force but clarity has not moved. Ask people which changes "
                "they are unsure about, answer them specifically for their function and role, "
                "with a review date, and repeat the question in the next pulse.",
            )
    return _step("what-stays-the-same", title, action, evidence, "commitments")


@rule("leaders-modelling", 87)
def leaders_modelling(doc: ReportDocument) -> NextStep | None:
    """Leaders posted nothing about their own AI work in the period, or few of their posts
    say what the AI got wrong."""
    section = doc.modelling
    if section is None:
        return None
    if section.posts == 0:
        return _step(
            "leaders-modelling",
            "Ask leaders to show their own AI work",
            "People copy what leaders do, not what they announce. Ask two or three leaders to "
            "write one short post each on a task where they use AI, including what it got "
            "wrong and how they caught it.",
            [
                f"No leader published a post about their own AI work between "
                f"{day(section.period_from)} and {day(section.period_to)} "
                f"({section.posts_all_time} before)."
            ],
            "modelling",
        )
    share = section.failure_share if section.failure_share is not None else 0.0
    if share >= FEW_ADMIT_FAILURE:
        return None
    return _step(
        "leaders-modelling",
        "Ask leaders to say what the AI got wrong",
        "Posts that only show success teach people that corrections are not to be mentioned. "
        "Ask leaders to include, in their next post, what the AI got wrong and how they "
        "caught it: it makes logging friction normal.",
        [
            f"{section.posts} {'post' if section.posts == 1 else 'posts'} by "
            f"{section.leaders_posting} {'leader' if section.leaders_posting == 1 else 'leaders'} "
            f"in the period; {section.admitting_failure} ({percent(share)}) say what the AI got "
            "wrong."
        ],
        "modelling",
    )


@rule("reflection-drop", 88)
def reflection_drop(doc: ReportDocument) -> NextStep | None:
    """Reflection participation at the one-week step is less than half of right after,
    beyond the intervals: the step that counters most forgetting reaches the fewest."""
    section = doc.reflections
    if section is None:
        return None
    steps = {s.step: s for s in section.steps}
    first, last = steps.get("now"), steps.get("week1")
    if first is None or last is None or first.rate is None or last.rate is None:
        return None
    if first.status != "shown" or last.status != "shown":
        return None
    if (
        last.rate.estimate > REFLECTION_KEPT * first.rate.estimate
        or last.rate.high >= first.rate.low
    ):
        return None
    return _step(
        "reflection-drop",
        "Keep people reflecting up to the one-week step",
        "Most of what people learn is gone within a week unless they stop to reflect, and the "
        "one-week prompt is where participation falls away. Shorten that prompt, send it as a "
        "Slack reminder as well as the email link (/gaplens reflect), and leave five minutes "
        "for it in a team meeting.",
        [
            f"{first.label}: {percent(first.rate.estimate)} of {first.invited} links used "
            f"({percent_range(first.rate.low, first.rate.high)}); {last.label.lower()}: "
            f"{percent(last.rate.estimate)} of {last.invited} "
            f"({percent_range(last.rate.low, last.rate.high)}).",
            f"Published reference: {section.reference.text} ({section.reference.source}).",
        ],
        "reflections",
    )


def _money(amount: float, currency: str) -> str:
    return f"{currency} {amount:,.0f}"
