"""The performative-vs-real adoption funnel: licensed -> activated -> active -> sustained ->
integrated, per team and for the organisation, as of a date (rules in docs/metrics.md).

Vendor dashboards stop at "active in the last 28 days"; the later stages ask whether use
lasted and whether it changed the work, which is what a leader needs to know. Facts are
gathered with a few grouped queries; the stage rules are pure functions over them.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gaplens.adoption.schemas import STAGES, AdoptionFunnel, FunnelGroup, Share, StageFigure
from gaplens.directory.models import Person, Team
from gaplens.privacy import PrivacyPolicy, group_is_shown, suppress_breakdown
from gaplens.stats import wilson_interval
from gaplens.telemetry.models import (
    ANY_APP,
    GITHUB_COPILOT,
    M365_COPILOT,
    AiUsageDay,
    TrainingRecord,
)
from gaplens.work.models import WorkItem

WINDOW_DAYS = 28
WEEKS = 4
SUSTAINED_WEEKS = 3
ACCEPTANCE_RATE = 0.25
M365_MIN_APPS = 2
WORKFLOW_DAYS = 90
WORKFLOW_CHANGE = 0.10


@dataclass
class PersonFacts:
    """What the funnel needs to know about one licensed person, as of the funnel's date."""

    person_id: str
    team_id: int
    adoption_date: dt.date | None = None
    first_active: dt.date | None = None
    active_days: set[dt.date] = field(default_factory=set)
    copilot_rows: int = 0
    generations: int = 0
    acceptances: int = 0
    loc_added: int = 0
    m365_apps: set[str] = field(default_factory=set)
    resolved: list[tuple[dt.datetime, dt.datetime | None]] = field(default_factory=list)
    trained: bool = False
    certified: bool = False


def stages_reached(facts: PersonFacts, as_of: dt.date) -> list[str]:
    """The funnel stages a licensed person has reached; each stage implies the ones before."""
    reached = ["licensed"]
    if facts.first_active is None:
        return reached
    reached.append("activated")
    window_start = as_of - dt.timedelta(days=WINDOW_DAYS - 1)
    recent = {day for day in facts.active_days if window_start <= day <= as_of}
    if not recent:
        return reached
    reached.append("active_28d")
    weeks = {(as_of - day).days // 7 for day in recent}
    if len(weeks) < SUSTAINED_WEEKS:
        return reached
    reached.append("sustained")
    if output_kept(facts) or workflow_moved(facts, as_of):
        reached.append("integrated")
    return reached


def output_kept(facts: PersonFacts) -> bool:
    """Copilot output accepted (rate >= 0.25, or lines added); for Microsoft 365-only users,
    Copilot used in at least two apps."""
    if facts.copilot_rows:
        rate_ok = facts.generations > 0 and facts.acceptances / facts.generations >= ACCEPTANCE_RATE
        return rate_ok or facts.loc_added > 0
    return len(facts.m365_apps) >= M365_MIN_APPS


def workflow_moved(facts: PersonFacts, as_of: dt.date) -> bool:
    """Resolved work in the 90 days after adoption vs the 90 before: throughput up at least
    10%, or median cycle time down at least 10%. Needs the 90 days after to have passed."""
    adopted = facts.adoption_date or facts.first_active
    if adopted is None or adopted + dt.timedelta(days=WORKFLOW_DAYS) > as_of:
        return False
    span = dt.timedelta(days=WORKFLOW_DAYS)
    before = [(r, s) for r, s in facts.resolved if adopted - span <= r.date() < adopted]
    after = [(r, s) for r, s in facts.resolved if adopted <= r.date() < adopted + span]
    if before and len(after) >= (1 + WORKFLOW_CHANGE) * len(before):
        return True
    cycle_before = _cycle_hours(before)
    cycle_after = _cycle_hours(after)
    if not cycle_before or not cycle_after:
        return False
    median_before = statistics.median(cycle_before)
    return (
        median_before > 0
        and statistics.median(cycle_after) <= (1 - WORKFLOW_CHANGE) * median_before
    )


def _cycle_hours(items: Iterable[tuple[dt.datetime, dt.datetime | None]]) -> list[float]:
    return [(r - s).total_seconds() / 3600 for r, s in items if s is not None and r >= s]


def stage_figures(people: Sequence[PersonFacts], as_of: dt.date) -> list[StageFigure]:
    """Counts per stage with Wilson intervals, of the licensed and of the previous stage."""
    counts = dict.fromkeys(STAGES, 0)
    trained = dict.fromkeys(STAGES, 0)
    certified = dict.fromkeys(STAGES, 0)
    for person in people:
        for stage in stages_reached(person, as_of):
            counts[stage] += 1
            trained[stage] += person.trained
            certified[stage] += person.certified
    licensed = counts["licensed"]
    figures: list[StageFigure] = []
    previous: int | None = None
    for stage in STAGES:
        n = counts[stage]
        figures.append(
            StageFigure(
                stage=stage,
                n=n,
                share_of_licensed=_share(n, licensed),
                share_of_previous=_share(n, previous) if previous is not None else None,
                trained=trained[stage],
                certified=certified[stage],
            )
        )
        previous = n
    return figures


def _share(n: int, total: int) -> Share | None:
    if total <= 0:
        return None
    estimate = wilson_interval(n, total)
    return Share(value=estimate.value, low=estimate.low, high=estimate.high)


def headline(figures: Sequence[StageFigure]) -> str:
    by_stage = {figure.stage: figure for figure in figures}
    active = by_stage["active_28d"].share_of_licensed
    integrated = by_stage["integrated"].share_of_licensed
    if active is None or integrated is None:
        return "No one holds an AI licence yet."
    return (
        f"Dashboard says {active.value:.0%} adoption (active in the last 28 days / licensed), "
        f"integration is {integrated.value:.0%}."
    )


def adoption_funnel(
    session: Session, as_of: dt.date, policy: PrivacyPolicy | None = None
) -> AdoptionFunnel:
    """The funnel for the organisation and each team, small teams suppressed (privacy rules
    1 and 2: teams are cells of the organisation's licensed population)."""
    policy = policy or PrivacyPolicy()
    people = load_facts(session, as_of)
    teams = {
        tid: (key, name) for tid, key, name in session.execute(select(Team.id, Team.key, Team.name))
    }
    org_figures = stage_figures(people, as_of)
    licensed = len(people)
    org_shown = group_is_shown(licensed, policy)
    organisation = FunnelGroup(
        key="organisation",
        name="Organisation",
        shown=org_shown,
        suppression_reason=None if org_shown else "below_threshold",
        licensed=licensed if org_shown else None,
        stages=org_figures if org_shown else [],
    )
    by_team: dict[int, list[PersonFacts]] = defaultdict(list)
    for person in people:
        by_team[person.team_id].append(person)
    keys = {tid: teams.get(tid, (str(tid), str(tid)))[0] for tid in by_team}
    decisions = suppress_breakdown(
        licensed,
        {keys[tid]: len(by_team[tid]) for tid in sorted(by_team, key=keys.__getitem__)},
        policy,
    )
    groups: list[FunnelGroup] = []
    for tid in sorted(by_team, key=keys.__getitem__):
        decision = decisions[keys[tid]]
        name = teams.get(tid, (keys[tid], keys[tid]))[1]
        if decision.shown:
            groups.append(
                FunnelGroup(
                    key=keys[tid],
                    name=name,
                    shown=True,
                    licensed=decision.shown_n,
                    stages=stage_figures(by_team[tid], as_of),
                )
            )
        else:
            reason = decision.reason.value if decision.reason else "suppressed"
            groups.append(
                FunnelGroup(key=keys[tid], name=name, shown=False, suppression_reason=reason)
            )
    text = (
        headline(org_figures)
        if org_shown
        else f"Fewer than {policy.min_group_size} licensed people: the funnel is not shown."
    )
    return AdoptionFunnel(
        as_of=as_of,
        min_group_size=policy.min_group_size,
        organisation=organisation,
        teams=groups,
        headline=text,
    )


def load_facts(session: Session, as_of: dt.date) -> list[PersonFacts]:
    """Everything the stage rules read, for every person licensed on or before `as_of`."""
    facts: dict[str, PersonFacts] = {}
    for pid, team_id, adopted in session.execute(
        select(Person.id, Person.team_id, Person.ai_adoption_date).where(
            Person.ai_licence_date.is_not(None), Person.ai_licence_date <= as_of
        )
    ):
        facts[pid] = PersonFacts(
            pid, team_id, adoption_date=adopted if adopted and adopted <= as_of else None
        )
    if not facts:
        return []
    window_start = as_of - dt.timedelta(days=WINDOW_DAYS - 1)
    usage = AiUsageDay
    for pid, first in session.execute(
        select(usage.person_id, func.min(usage.day))
        .where(usage.day <= as_of)
        .group_by(usage.person_id)
    ):
        if pid in facts:
            facts[pid].first_active = first
    in_window = (usage.day >= window_start, usage.day <= as_of)
    for pid, day in session.execute(
        select(usage.person_id, usage.day).where(*in_window).distinct()
    ):
        if pid in facts:
            facts[pid].active_days.add(day)
    for pid, rows, generations, acceptances, loc_added in session.execute(
        select(
            usage.person_id,
            func.count(),
            func.coalesce(func.sum(usage.suggestions), 0),
            func.coalesce(func.sum(usage.acceptances), 0),
            func.coalesce(func.sum(usage.loc_added), 0),
        )
        .where(*in_window, usage.tool == GITHUB_COPILOT)
        .group_by(usage.person_id)
    ):
        if pid in facts:
            person = facts[pid]
            person.copilot_rows = int(rows)
            person.generations = int(generations or 0)
            person.acceptances = int(acceptances or 0)
            person.loc_added = int(loc_added or 0)
    for pid, app in session.execute(
        select(usage.person_id, usage.app)
        .where(*in_window, usage.tool == M365_COPILOT, usage.app != ANY_APP)
        .distinct()
    ):
        if pid in facts:
            facts[pid].m365_apps.add(app)
    _load_work(session, facts, as_of)
    for pid, kind in session.execute(
        select(TrainingRecord.person_id, TrainingRecord.kind)
        .where(TrainingRecord.completed_on <= as_of)
        .distinct()
    ):
        if pid in facts:
            facts[pid].trained |= kind == "training"
            facts[pid].certified |= kind == "certification"
    return list(facts.values())


def _load_work(session: Session, facts: dict[str, PersonFacts], as_of: dt.date) -> None:
    """Resolved work items around each adopter's adoption date (only where it can matter)."""
    adopted = [p.adoption_date or p.first_active for p in facts.values()]
    dates = [d for d in adopted if d is not None]
    if not dates:
        return
    since = dt.datetime.combine(min(dates) - dt.timedelta(days=WORKFLOW_DAYS), dt.time())
    until = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time())
    for pid, resolved, started in session.execute(
        select(WorkItem.person_id, WorkItem.resolved_at, WorkItem.started_at).where(
            WorkItem.person_id.is_not(None),
            WorkItem.resolved_at >= since,
            WorkItem.resolved_at < until,
        )
    ):
        if pid in facts and resolved is not None:
            facts[pid].resolved.append((resolved, started))
