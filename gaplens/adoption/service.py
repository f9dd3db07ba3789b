"""The performative-vs-real adoption funnel: licensed -> activated -> active -> sustained ->
integrated, per team and for the organisation, as of a month end (rules in docs/metrics.md).

The stage rules and `load_facts` feed the release builder (gaplens/releases/adoption/); the
funnel itself (`adoption_funnel`) reads the published release of a month end only.

Vendor dashboards stop at "active in the last 28 days"; the later stages ask whether use
lasted and whether it changed the work, which is what a leader needs to know. Facts are
gathered with a few grouped queries; the stage rules are pure functions over them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from gaplens.adoption.schemas import STAGES, AdoptionFunnel, FunnelGroup, Share, StageFigure
from gaplens.directory.models import Organisation, Person, Team
from gaplens.metrics.definitions import group_median
from gaplens.metrics.queries import (
    as_date,
    day_number,
    day_of,
    fetch_tuples,
    load_work,
)
from gaplens.metrics.service import MeasuredData
from gaplens.privacy import PrivacyPolicy
from gaplens.releases.adoption.queries import latest_adoption_release, month_ends
from gaplens.stats import wilson_interval
from gaplens.telemetry.models import AiUsageDay, TrainingRecord
from gaplens.telemetry.queries import m365_licence_holders
from gaplens.telemetry.schemas import (
    ANY_APP,
    CODE_TOOLS,
    GITHUB_COPILOT,
    M365_COPILOT,
    OTHER_TOOL,
)

WINDOW_DAYS = 28
WEEKS = 4
SUSTAINED_WEEKS = 3
ACCEPTANCE_RATE = 0.25
M365_MIN_APPS = 2
WORKFLOW_DAYS = 90
WORKFLOW_CHANGE = 0.10
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass
class PersonFacts:
    """What the funnel needs to know about one licensed person, as of the funnel's date."""

    person_id: str
    team_id: int
    adoption_date: dt.date | None = None
    first_active: dt.date | None = None
    active_days: set[dt.date] = field(default_factory=set)
    copilot_rows: int = 0
    """Coding-assistant usage rows in the window (GitHub Copilot, Cursor, Claude Code)."""
    generations: int = 0
    acceptances: int = 0
    loc_added: int = 0
    m365_apps: set[str] = field(default_factory=set)
    resolved: list[tuple[dt.datetime, dt.datetime | None]] = field(default_factory=list)
    """(resolved, started) of the person's resolved work, for `workflow_moved`."""
    moved: bool | None = None
    """`workflow_moved`, when `load_facts` already decided it for everyone at once."""
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
    moved = facts.moved if facts.moved is not None else workflow_moved(facts, as_of)
    if output_kept(facts) or moved:
        reached.append("integrated")
    return reached


def output_kept(facts: PersonFacts) -> bool:
    """Coding-assistant output accepted (rate >= 0.25, or lines added, over GitHub Copilot,
    Cursor and Claude Code alike); for Microsoft 365-only users, Copilot used in at least two
    apps."""
    if facts.copilot_rows:
        rate_ok = facts.generations > 0 and facts.acceptances / facts.generations >= ACCEPTANCE_RATE
        return rate_ok or facts.loc_added > 0
    return len(facts.m365_apps) >= M365_MIN_APPS


def workflow_moved(facts: PersonFacts, as_of: dt.date) -> bool:
    """Resolved work in the 90 days after adoption vs the 90 before: throughput up at least
    10%, or median cycle time down at least 10%. Needs the 90 days after to have passed."""
    adopted = facts.adoption_date or facts.first_active
    if adopted is None or not facts.resolved:
        return False
    resolved = [r for r, _ in facts.resolved]
    started = [s for _, s in facts.resolved]
    moved = workflow_moved_all(
        np.zeros(len(resolved), dtype=np.int64),
        np.array([_days(r) for r in resolved], dtype=np.float64),
        np.array([np.nan if s is None else _days(s) for s in started], dtype=np.float64),
        np.array([day_number(adopted)], dtype=np.float64),
        as_of,
    )
    return bool(moved[0])


def _days(moment: dt.datetime) -> float:
    return (moment - _EPOCH).total_seconds() / 86400.0


_EPOCH = dt.datetime(1970, 1, 1)


def workflow_moved_all(
    person: IntArray, resolved: FloatArray, started: FloatArray, adopted: FloatArray, as_of: dt.date
) -> BoolArray:
    """`workflow_moved` for many people at once, over day numbers (days since 1970-01-01).

    `person` indexes `adopted` (NaN: no adoption date and no activity) for each resolved
    item; `started` is NaN for an item never marked started. Cycle hours count items
    started no later than resolved; an item's day is the calendar day it was resolved on.
    """
    n = adopted.size
    span = float(WORKFLOW_DAYS)
    with np.errstate(invalid="ignore"):
        eligible = np.isfinite(adopted) & (adopted + span <= day_number(as_of))
        keep = np.isfinite(resolved) & eligible[person]
        person, resolved, started = person[keep], resolved[keep], started[keep]
        day = np.floor(resolved)
        pivot = adopted[person]
        before = (day >= pivot - span) & (day < pivot)
        after = (day >= pivot) & (day < pivot + span)
        timed = np.isfinite(started) & (resolved >= started)
    hours = (resolved - started) * 24.0
    n_before = np.bincount(person[before], minlength=n)
    n_after = np.bincount(person[after], minlength=n)
    faster = (n_before > 0) & (n_after >= (1 + WORKFLOW_CHANGE) * n_before)
    cycle_before = group_median(person[before & timed], hours[before & timed], n)
    cycle_after = group_median(person[after & timed], hours[after & timed], n)
    with np.errstate(invalid="ignore"):
        quicker = (cycle_before > 0) & (cycle_after <= (1 - WORKFLOW_CHANGE) * cycle_before)
    return eligible & (faster | quicker)


def stage_figures(
    furthest: Sequence[int], flags: Mapping[str, int | None] | None = None
) -> list[StageFigure]:
    """Counts per stage (those whose furthest stage is it or later) with Wilson intervals, of
    the licensed and of the previous stage, from released counts by furthest stage. Trained
    and certified are counts over whole groups, so they sit on the licensed stage only."""
    flags = flags or {}
    counts = [sum(furthest[i:]) for i in range(len(STAGES))]
    licensed = counts[0]
    figures: list[StageFigure] = []
    previous: int | None = None
    for stage, n in zip(STAGES, counts, strict=True):
        first = stage == STAGES[0]
        figures.append(
            StageFigure(
                stage=stage,
                n=n,
                share_of_licensed=_share(n, licensed),
                share_of_previous=_share(n, previous) if previous is not None else None,
                trained=flags.get("trained") if first else None,
                certified=flags.get("certified") if first else None,
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


MERGED = "merged with a larger group to protect individuals"
"""Why a team has no funnel of its own: its classes were generalised above it (or it has no
licensed person at all; the release does not say which)."""


def organisation_of(session: Session) -> int | None:
    return session.scalars(select(Organisation.id).order_by(Organisation.id)).first()


def released_month_ends(session: Session) -> list[dt.date]:
    """The month ends the adoption funnel is released for, newest first: what the page
    offers to pick, the first being the latest with data."""
    organisation = organisation_of(session)
    return [] if organisation is None else month_ends(session, organisation)


def adoption_funnel(
    session: Session,
    as_of: dt.date,
    policy: PrivacyPolicy | None = None,
    *,
    organisation_id: int | None = None,
    by_team: bool = True,
) -> AdoptionFunnel:
    """The funnel of the latest released month end at or before `as_of`, for the
    organisation and each team (a team's cell holds its teams below it), read from the
    release only: every viewer gets the same figures."""
    policy = policy or PrivacyPolicy()
    organisation_id = organisation_id or organisation_of(session)
    release = (
        None
        if organisation_id is None
        else latest_adoption_release(session, organisation_id, as_of)
    )
    k = release.min_group_size if release else policy.min_group_size
    if release is None:
        return AdoptionFunnel(
            as_of=as_of,
            min_group_size=k,
            organisation=FunnelGroup(
                key="organisation",
                name="Organisation",
                shown=False,
                suppression_reason="no month end released yet",
            ),
            teams=[],
            headline=(
                "No month of the adoption funnel is released yet: a month is released once "
                "it is over and the usage data covers it."
            ),
        )
    whole = release.cell(lambda code: True)
    org_figures = stage_figures(whole.furthest, whole.flags) if whole else []
    organisation = FunnelGroup(
        key="organisation",
        name="Organisation",
        shown=whole is not None,
        suppression_reason=None
        if whole
        else f"no group of at least {k} licensed people whose stages differ",
        licensed=whole.licensed if whole else None,
        stages=org_figures,
    )
    groups: list[FunnelGroup] = []
    if by_team:
        cells = release.team_cells()
        for tid, key, name in session.execute(
            select(Team.id, Team.key, Team.name)
            .where(Team.organisation_id == organisation_id)
            .order_by(Team.key)
        ):
            cell = cells.get(tid)
            if cell is None:
                groups.append(
                    FunnelGroup(key=key, name=name, shown=False, suppression_reason=MERGED)
                )
                continue
            groups.append(
                FunnelGroup(
                    key=key,
                    name=name,
                    shown=True,
                    licensed=cell.licensed,
                    stages=stage_figures(cell.furthest, cell.flags),
                )
            )
    text = (
        headline(org_figures)
        if whole
        else f"No group of at least {k} licensed people could be shown for "
        f"{release.month_end:%B %Y}."
    )
    return AdoptionFunnel(
        as_of=release.month_end,
        requested=as_of,
        min_group_size=k,
        organisation=organisation,
        teams=groups,
        headline=text,
    )


def load_facts(
    session: Session, as_of: dt.date, measured: MeasuredData | None = None
) -> list[PersonFacts]:
    """Everything the stage rules read, for every person licensed on or before `as_of`."""
    # Plain driver tuples (dates converted once here): SQLAlchemy's per-value date parsing
    # for SQLite cost more than the queries for a large organisation.
    facts: dict[str, PersonFacts] = {}
    for pid, team_id, adoption in fetch_tuples(
        session,
        select(Person.id, Person.team_id, Person.ai_adoption_date).where(_licensed_by(as_of)),
    ):
        adopted = as_date(adoption)
        facts[pid] = PersonFacts(
            pid, team_id, adoption_date=adopted if adopted and adopted <= as_of else None
        )
    if not facts:
        return []
    window_start = as_of - dt.timedelta(days=WINDOW_DAYS - 1)
    usage = AiUsageDay
    in_window = (usage.day >= window_start, usage.day <= as_of)
    if not _active_days_from(measured, facts, as_of):
        for pid, first in fetch_tuples(
            session,
            select(usage.person_id, func.min(usage.day))
            .where(usage.day <= as_of)
            .group_by(usage.person_id),
        ):
            if pid in facts:
                facts[pid].first_active = as_date(first)
        days: dict[object, dt.date] = {}  # each distinct day converted once
        for pid, day in fetch_tuples(
            session, select(usage.person_id, usage.day).where(*in_window).distinct()
        ):
            if pid in facts:
                found = days.get(day)
                if found is None:
                    found = days[day] = as_date(day) or as_of  # the column is never NULL
                facts[pid].active_days.add(found)
    for pid, rows, generations, acceptances, loc_added in session.execute(
        select(
            usage.person_id,
            func.count(),
            func.coalesce(func.sum(usage.suggestions), 0),
            func.coalesce(func.sum(usage.acceptances), 0),
            func.coalesce(func.sum(usage.loc_added), 0),
        )
        .where(*in_window, usage.tool.in_(CODE_TOOLS))
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
    _decide_workflow(session, facts, as_of, measured)
    for pid, kind in session.execute(
        select(TrainingRecord.person_id, TrainingRecord.kind)
        .where(TrainingRecord.completed_on <= as_of)
        .distinct()
    ):
        if pid in facts:
            facts[pid].trained |= kind == "training"
            facts[pid].certified |= kind == "certification"
    return list(facts.values())


def tools_held(
    session: Session, person_ids: Iterable[str], as_of: dt.date
) -> dict[str, frozenset[str]]:
    """The AI tools each person held by `as_of`, as the usage exports show them: GitHub
    Copilot or Microsoft 365 Copilot once any usage day of that tool is on record, Microsoft
    365 Copilot too once the person is listed in its usage report (it lists every licensed
    user, active or not); `other` for a person no export mentions. For the release builder
    only (it is the one reader of person rows for figures)."""
    tools: dict[str, set[str]] = {pid: set() for pid in person_ids}
    if not tools:
        return {}
    for pid, tool in session.execute(
        select(AiUsageDay.person_id, AiUsageDay.tool)
        .where(AiUsageDay.day <= as_of, AiUsageDay.tool.in_((GITHUB_COPILOT, M365_COPILOT)))
        .distinct()
    ):
        if pid in tools:
            tools[pid].add(tool)
    for holder in m365_licence_holders(session, as_of):
        if holder in tools:
            tools[holder].add(M365_COPILOT)
    return {pid: frozenset(held or {OTHER_TOOL}) for pid, held in tools.items()}


def _active_days_from(
    measured: MeasuredData | None, facts: dict[str, PersonFacts], as_of: dt.date
) -> bool:
    """Set everyone's first active day and active days in the window from the usage days an
    already loaded `MeasuredData` holds, when they are all of these people's usage days up
    to `as_of` (the organisation's first usage day is within the loaded span); False if
    they are not, and nothing was set."""
    if (
        measured is None
        or not measured.loaded("usage")
        or measured.settings.as_of != as_of
        or not facts.keys() <= set(measured.person_ids)
    ):
        return False
    usage = measured.usage
    if usage.coverage_start is not None and usage.coverage_start < measured.since:
        return False
    ids = measured.person_ids
    last = day_number(as_of)
    with np.errstate(invalid="ignore"):
        keep = usage.day <= last
    person, day = usage.person[keep], usage.day[keep]
    first = np.full(len(ids), np.inf)
    np.minimum.at(first, person, day)
    for i in np.flatnonzero(np.isfinite(first)).tolist():
        found = facts.get(ids[i])
        if found is not None:
            found.first_active = day_of(first[i])
    recent = day >= last - (WINDOW_DAYS - 1)
    dates = {d: day_of(d) for d in np.unique(day[recent]).tolist()}
    for i, d in zip(person[recent].tolist(), day[recent].tolist(), strict=True):
        found = facts.get(ids[i])
        if found is not None:
            found.active_days.add(dates[d])
    return True


def _decide_workflow(
    session: Session,
    facts: dict[str, PersonFacts],
    as_of: dt.date,
    measured: MeasuredData | None,
) -> None:
    """Set `moved` for every licensed person from their resolved work, in one pass.

    The work rows of an already loaded `MeasuredData` are reused when they cover everyone
    here over the days the rule can look at; otherwise the rows are loaded (day numbers,
    the same query the metrics use).
    """
    people = list(facts.values())
    adopted = np.array(
        [
            np.nan if (d := p.adoption_date or p.first_active) is None else day_number(d)
            for p in people
        ],
        dtype=np.float64,
    )
    for person in people:
        person.moved = False
    if not np.isfinite(adopted).any():
        return
    since = float(np.nanmin(adopted)) - WORKFLOW_DAYS
    until = day_number(as_of) + 1
    rows, resolved, started, order = _work_rows(session, facts, as_of, measured, since, until)
    # `order[i]` is the position in `people` of the i-th person the work rows index.
    moved = workflow_moved_all(order[rows], resolved, started, adopted, as_of)
    for person, flag in zip(people, moved.tolist(), strict=True):
        person.moved = flag


def _work_rows(
    session: Session,
    facts: dict[str, PersonFacts],
    as_of: dt.date,
    measured: MeasuredData | None,
    since: float,
    until: float,
) -> tuple[IntArray, FloatArray, FloatArray, IntArray]:
    """Each resolved or open item's person (indexing `order`), resolved and started day
    numbers, and `order`: each of those persons' position in `facts`."""
    position = {pid: i for i, pid in enumerate(facts)}
    if (
        measured is not None
        and measured.loaded("work")
        and measured.settings.as_of == as_of
        and measured.since <= since
        and measured.until >= until
        and position.keys() <= set(measured.person_ids)
    ):
        ids = measured.person_ids
        order = np.array([position.get(pid, -1) for pid in ids], dtype=np.int64)
        work = measured.work
        keep = order[work.person] >= 0
        return work.person[keep], work.resolved[keep], work.started[keep], order
    licensed = select(Person.id).where(_licensed_by(as_of))
    work = load_work(session, licensed, day_of(since), day_of(until))
    # load_work indexes the persons in the database's id order
    in_order = session.scalars(licensed.order_by(Person.id))
    order = np.array([position[pid] for pid in in_order], dtype=np.int64)
    return work.person, work.resolved, work.started, order


def _licensed_by(as_of: dt.date) -> ColumnElement[bool]:
    return and_(Person.ai_licence_date.is_not(None), Person.ai_licence_date <= as_of)
