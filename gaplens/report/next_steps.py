"""Next steps from explicit rules over the report's own figures (docs/next-steps.md).

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
from gaplens.report.text import (
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
    "(docs/next-steps.md). The gap is treated as an implementation gap with a path forward: "
    "where AI is available but not yet part of how the work gets done."
)
REPEAT_AFTER_DAYS = 90
GAP_POINTS = 10.0
"""A leader-frontline gap this large (points), with its interval above 0, is worth a step."""
INTEGRATION_GAP = 0.20
"""Active minus integrated share (of the licensed) that calls for an integration step."""
UNSURE_SHARE = 0.50
INVOLVED_SHARE = 0.30

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
    """Executives report gains far more often than individual contributors."""
    gap = doc.headline.exec_ic_impact_gap
    if gap is None or gap.status is not FigureStatus.SHOWN or gap.value is None:
        return None
    if gap.value.low <= 0 or gap.value.estimate < GAP_POINTS:
        return None
    return _step(
        "perception-gap",
        "Put one shared picture in front of both sides",
        "Executives and individual contributors describe different realities. Go through "
        "this report with both together, starting from the measured figures rather than "
        "either side's perception, and agree which two or three workflows to look at first.",
        [
            f"Executives are {points(gap.value.estimate).replace('points', 'percentage points')}"
            f" more likely to report any gains (95% interval "
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
    return _step(
        "leaders-overestimate",
        "Set the next phase's success metric on measured data",
        f"Leaders' sense of the speed-up {_where(doc)} is ahead of what the work data shows. "
        "Before the next rollout phase, agree one success criterion on the measured metric "
        f"({row.measure}) with a baseline, a target and a review date, so progress is judged "
        "on the same number by everyone.",
        [
            f"Leaders perceive {signed(perceived.estimate)}% (n = {row.leaders_n}); measured "
            f"{signed(measured.estimate)}% ({signed(measured.low)} to {signed(measured.high)}).",
            f"Gap {signed(gap.estimate)} points (95% interval {points_range(gap.low, gap.high)}).",
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


@rule("idle-seats", 70)
def idle_seats(doc: ReportDocument) -> NextStep | None:
    """At least k licensed people were not active in the last 28 days."""
    adoption, cost = doc.adoption, doc.cost
    if adoption is None or adoption.status is not FigureStatus.SHOWN or adoption.licensed is None:
        return None
    active = next((s for s in adoption.stages if s.stage == "active_28d"), None)
    if active is None:
        return None
    idle = adoption.licensed - active.n
    if idle < doc.privacy.min_group_size:
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
    """Half or more of individual contributors do not know whether AI will change their job."""
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
            f"their job (n = {group.n}; published benchmark 78%).",
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
    return _step(
        "involvement",
        "Involve the people doing the work before the next phase",
        "Ask individual contributors which tasks they want AI to take off their plate and "
        "which they want to keep, before the next use cases are chosen, and show them what "
        "was decided from their answers.",
        [
            f"{_share_text(group.favourable)} of individual contributors feel involved in "
            f"decisions about AI in their work (n = {group.n}; published benchmark 12%).",
        ],
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
    """Always, once a pulse has answers: the gap is judged by whether it closes."""
    last = doc.survey.last_day
    if last is None:
        return None
    due = last + dt.timedelta(days=REPEAT_AFTER_DAYS)
    return _step(
        "measure-again",
        f"Measure again by {day(due)}",
        "Run the next pulse and refresh this report, to see whether the gap is closing and "
        "whether the steps above changed the figures.",
        [f"The latest pulse ({doc.survey.name}) closed on {last.isoformat()}."],
        "survey",
    )


def _money(amount: float, currency: str) -> str:
    return f"{currency} {amount:,.0f}"
