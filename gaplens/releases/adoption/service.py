"""Building the adoption release: the one place that reads the funnel's facts for figures.

One release per month end, built once the month is over and the telemetry covers it, and
never rewritten: a build only adds later months (up to the last 12 on the first build).
Contributors are the persons licensed by the month end; each one's "answer" is their
furthest stage, and whether they are trained and certified.

Persons start at (their team, their function) and a group that fails its check moves whole,
by parts, one step up the survey's lattice (function kept longest, team climbing to its
parent, then any): a group keeps, of each earlier joint group (the classes a person sat in
in every earlier month), the parts of at least k, and only if their furthest stages are not
all alike (a unanimous class would tell each member's stage). Of each earlier joint group,
the part not published now (persons who left or lost their licence, and persons withheld)
must be none or at least k, else the rest of it is withheld too: so every set of persons
that any combination of months can single out holds at least k (tested with the auditor).

Trained and certified counts are published over unions of whole classes whose members are
not all alike on them, never per stage (per stage they would split a class). So are the
counts of persons holding each AI tool (GitHub Copilot, Microsoft 365 Copilot, other = held
neither, as the usage exports show it): the cost section's seats and spend are sums of them.
For tools, classes left all alike at the top join a kept group instead of being withheld.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from gaplens.adoption.schemas import STAGES
from gaplens.adoption.service import load_facts, stages_reached, tools_held
from gaplens.directory.models import Organisation, Person
from gaplens.metrics.schemas import MetricScope
from gaplens.metrics.service import MeasuredData, load_measured
from gaplens.privacy.policy import PrivacyPolicy
from gaplens.privacy.recoding import Code, Lattice, Recoded, TeamTree, answers_ok, coarsen, whole
from gaplens.releases.adoption.models import (
    AdoptionReleaseClass,
    AdoptionReleaseGroup,
    AdoptionReleaseMember,
    dataset_of,
)
from gaplens.releases.models import Release, ReleaseNote
from gaplens.releases.service import (
    BuildOutcome,
    earlier_classes,
    previous_releases,
    team_tree,
    write_release,
)
from gaplens.telemetry.models import AiUsageDay
from gaplens.telemetry.schemas import SEAT_TOOLS

FIRST_MONTHS = 12
"""Month ends released by the first build: the latest twelve that are over and covered."""
COVERED_DAYS = 7
"""Usage exports arrive daily or weekly: a month end is covered once the organisation's
latest usage day is within the month's last week or later (no one in the organisation
using AI for a week means the export has not arrived yet)."""
TRAINED = "trained"
CERTIFIED = "certified"
FLAGS = (TRAINED, CERTIFIED)
QUESTIONS = (*FLAGS, *SEAT_TOOLS)
"""Yes/no questions published over unions of whole classes: trained, certified, and holding
each tool (a person may hold both exported tools; `other` is holding neither)."""
ALL_ALIKE = "all_alike"


def flag_of(person: Licensed, flag: str) -> bool:
    if flag == TRAINED:
        return person.trained
    if flag == CERTIFIED:
        return person.certified
    return flag in person.tools


@dataclass(frozen=True)
class Licensed:
    """One contributor of a month: where they start, what they answer, where they were."""

    code: Code
    stage: int
    """Index in STAGES of the furthest stage reached by the month end."""
    trained: bool
    certified: bool
    signature: tuple[int, ...]
    """Their class in every earlier release of the data set (0 where absent)."""
    tools: frozenset[str] = frozenset()
    """The AI tools they held by the month end (`tools_held`)."""


def month_end(day: dt.date) -> dt.date:
    following = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def previous_month_end(day: dt.date) -> dt.date:
    return day.replace(day=1) - dt.timedelta(days=1)


def months_to_release(
    latest_covered: dt.date | None, today: dt.date, released_through: dt.date | None
) -> list[dt.date]:
    """Month ends to release now, oldest first: over before `today`, covered by the usage
    data (its latest day, `latest_covered`, is in the month's last `COVERED_DAYS` days or
    later), after the last one released (or the latest `FIRST_MONTHS` on a first build)."""
    if latest_covered is None:
        return []
    covered = month_end(latest_covered)
    if latest_covered < covered - dt.timedelta(days=COVERED_DAYS - 1):
        covered = previous_month_end(covered)
    last = min(previous_month_end(today), covered)
    found: list[dt.date] = []
    end = last
    while (released_through is None and len(found) < FIRST_MONTHS) or (
        released_through is not None and end > released_through
    ):
        found.append(end)
        end = previous_month_end(end)
    return found[::-1]


def recode(
    persons: Mapping[str, Licensed],
    departed: Mapping[str, tuple[int, ...]],
    k: int,
    lattice: Lattice[Code],
) -> Recoded[str, Code]:
    """Classes for one month end (see the module docstring), as a pure function.

    `departed` holds the earlier signatures of persons published before who are no longer
    contributors. A joint group whose part left out now would be 1..k-1 is withheld whole
    and the recoding runs again without it, until none is (each round withholds more).
    """
    gone = Counter(signature for signature in departed.values() if any(signature))
    forced: set[str] = set()

    def split(members: Sequence[str]) -> tuple[Sequence[str], Sequence[str]]:
        parts: dict[Hashable, list[str]] = defaultdict(list)
        for member in members:
            parts[persons[member].signature].append(member)
        stay = [m for part in parts.values() if len(part) >= k for m in part]
        if len({persons[m].stage for m in stay}) < 2:
            return (), members
        return stay, [m for part in parts.values() if len(part) < k for m in part]

    while True:
        result = coarsen(
            {pid: p.code for pid, p in persons.items() if pid not in forced}, split, lattice
        )
        left_out = Counter(gone)
        for pid in forced | result.withheld:
            if any(signature := persons[pid].signature):
                left_out[signature] += 1
        bad = {signature for signature, n in left_out.items() if n < k}
        more = {pid for pid in result.codes if persons[pid].signature in bad}
        if not more:
            return Recoded(result.codes, frozenset(forced | result.withheld))
        forced |= more


def build_adoption_releases(
    session: Session,
    policy: PrivacyPolicy,
    *,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> list[tuple[str, BuildOutcome]]:
    """Release every month end that is due, for every organisation, each named for the
    command's report. Nothing is written for a month with no licensed person."""
    cutoff = today or dt.date.today()
    built: list[tuple[str, BuildOutcome]] = []
    for organisation_id, name in session.execute(
        select(Organisation.id, Organisation.name).order_by(Organisation.id)
    ):
        dataset = dataset_of(organisation_id)
        previous = previous_releases(session, dataset)
        through = previous[-1].answers_through if previous else None
        covered = session.scalar(
            select(func.max(AiUsageDay.day))
            .join(Person, Person.id == AiUsageDay.person_id)
            .where(Person.organisation_id == organisation_id)
        )
        months = months_to_release(covered, cutoff, through)
        if not months:
            built.append(
                (
                    f"Adoption ({name})",
                    BuildOutcome(
                        None,
                        "No new month end to release (a month is released once it is over "
                        "and the usage data covers it).",
                    ),
                )
            )
            continue
        # One load of the organisation's usage and work rows for every month to build (each
        # month reads them as of its end), instead of one per month: at 100,000 people the
        # per-month reloads of the work items were most of the build.
        loaded = load_measured(
            session,
            MetricScope(organisation_id=organisation_id),
            months[-1],
            policy=policy,
            earliest=months[0],
        )
        for end in months:
            view = loaded if end == months[-1] else loaded.at(end)
            outcome = _build_month(
                session, organisation_id, end, previous, policy, cutoff, now, view
            )
            if outcome.release is not None:
                previous = [*previous, outcome.release]
            built.append((f"Adoption ({name}) {end:%B %Y}", outcome))
    return built


def _contributors(
    session: Session,
    organisation_id: int,
    end: dt.date,
    previous: Sequence[Release],
    measured: MeasuredData | None = None,
) -> tuple[dict[str, Licensed], dict[str, tuple[int, ...]]]:
    """(persons licensed by `end` in the organisation, earlier signatures of those gone)."""
    earlier = earlier_classes(session, previous, AdoptionReleaseMember.person_id)
    nowhere = (0,) * len(previous)
    where = {
        pid: (team, function)
        for pid, team, function in session.execute(
            select(Person.id, Person.team_id, Person.function).where(
                Person.organisation_id == organisation_id
            )
        )
    }
    persons: dict[str, Licensed] = {}
    found = [facts for facts in load_facts(session, end, measured) if facts.person_id in where]
    held = tools_held(session, [facts.person_id for facts in found], end)
    for facts in found:
        team, function = where[facts.person_id]
        persons[facts.person_id] = Licensed(
            Code(team, function),
            STAGES.index(stages_reached(facts, end)[-1]),
            facts.trained,
            facts.certified,
            earlier.get(facts.person_id, nowhere),
            held[facts.person_id],
        )
    departed = {pid: signature for pid, signature in earlier.items() if pid not in persons}
    return persons, departed


def _build_month(
    session: Session,
    organisation_id: int,
    end: dt.date,
    previous: Sequence[Release],
    policy: PrivacyPolicy,
    cutoff: dt.date,
    now: dt.datetime | None,
    measured: MeasuredData | None = None,
) -> BuildOutcome:
    k = policy.min_group_size
    persons, departed = _contributors(session, organisation_id, end, previous, measured)
    if not persons:
        return BuildOutcome(None, f"No one held an AI licence by {end:%d %B %Y}.")
    tree = team_tree(session)
    classes = recode(persons, departed, k, tree)
    release = write_release(
        session,
        dataset=dataset_of(organisation_id),
        previous=previous,
        cutoff=cutoff,
        answers_through=end,
        now=now,
        k=k,
        included=len(classes.codes),
        withheld=len(classes.withheld),
    )
    rows = _write_classes(session, release, classes.codes, persons)
    groups = _write_groups(session, release, rows, classes.codes, persons, tree, k)
    if not rows:
        message = (
            f"Release {release.seq} ({end:%B %Y}): no group of at least {k} licensed people "
            "whose stages differ can be shown; the month is recorded as released."
        )
    else:
        message = (
            f"Release {release.seq} ({end:%B %Y}): {len(classes.codes)} licensed people in "
            f"{len(rows)} groups of at least {k}, {groups} training and tool groups."
        )
    return BuildOutcome(release, message)


def _write_classes(
    session: Session,
    release: Release,
    codes: Mapping[str, Code],
    persons: Mapping[str, Licensed],
) -> dict[Code, AdoptionReleaseClass]:
    members: dict[Code, list[str]] = defaultdict(list)
    for pid, code in codes.items():
        members[code].append(pid)
    rows: dict[Code, AdoptionReleaseClass] = {}
    for code in sorted(members, key=Code.key):
        furthest = [0] * len(STAGES)
        for pid in members[code]:
            furthest[persons[pid].stage] += 1
        rows[code] = AdoptionReleaseClass(
            release_id=release.id,
            team_id=code.team,
            function=code.function,
            n=len(members[code]),
            furthest=furthest,
        )
    session.add_all(rows.values())
    session.flush()
    if codes:
        session.execute(
            insert(AdoptionReleaseMember),
            [
                {
                    "release_id": release.id,
                    "person_id": pid,
                    "class_id": rows[code].id,
                    "stage": persons[pid].stage,
                    "trained": persons[pid].trained,
                    "certified": persons[pid].certified,
                    "tools": sorted(persons[pid].tools),
                }
                for pid, code in sorted(codes.items())
            ],
        )
    return rows


def _absorb(
    grouped: Recoded[int, Code],
    by_code: dict[Code, list[int]],
    code_of_class: Mapping[int, Code],
    tree: TeamTree,
) -> Recoded[int, Code]:
    """Tools only: the classes left all alike even at the top join one group that is kept
    (mixed, at least k), under the most specific code above all of them, rather than
    being withheld. The union of whole classes is still mixed and at least k, and the
    groups still partition the classes; but a scope's spend needs every class's count,
    and tool holding follows teams (a team all on one tool is common)."""
    left = sorted(grouped.withheld)

    def joined(code: Code) -> Code:
        return _join([code, *(code_of_class[c] for c in left)], tree)

    target = max(by_code, key=lambda code: (tree.rank(joined(code)), -len(by_code[code])))
    merged = joined(target)
    ids = by_code.pop(target) + left
    by_code.setdefault(merged, []).extend(ids)
    codes = {c: code for code, found in by_code.items() for c in found}
    return Recoded(codes, frozenset())


def _join(codes: Sequence[Code], tree: TeamTree) -> Code:
    """The most specific code on every one of `codes`' paths up the lattice."""

    def path(code: Code) -> list[Code]:
        found = [code]
        while (up := tree.up(found[-1])) is not None:
            found.append(up)
        return found

    common = set(path(codes[0]))
    for code in codes[1:]:
        common &= set(path(code))
    return max(common, key=tree.rank)


def _write_groups(
    session: Session,
    release: Release,
    rows: Mapping[Code, AdoptionReleaseClass],
    codes: Mapping[str, Code],
    persons: Mapping[str, Licensed],
    tree: TeamTree,
    k: int,
) -> int:
    """Per question (trained, certified, each tool), merge whole classes up the lattice until
    each group's members are not all alike on it; publish how many of them have it and how
    many not (withheld at the top: a note says so)."""
    in_class: dict[int, list[str]] = defaultdict(list)
    for pid, code in codes.items():
        in_class[rows[code].id].append(pid)
    code_of_class = {row.id: code for code, row in rows.items()}
    written = 0
    for flag in QUESTIONS:
        value = {pid: flag_of(persons[pid], flag) for pid in codes}

        def ok(group: Sequence[int], value: Mapping[str, bool] = value) -> bool:
            found = [value[pid] for c in group for pid in in_class[c]]
            return answers_ok(found, k)

        grouped = coarsen(code_of_class, whole(ok), tree)
        by_code: dict[Code, list[int]] = defaultdict(list)
        for class_id, code in grouped.codes.items():
            by_code[code].append(class_id)
        if flag in SEAT_TOOLS and grouped.withheld and by_code:
            grouped = _absorb(grouped, by_code, code_of_class, tree)
        for code in sorted(by_code, key=Code.key):
            ids = sorted(by_code[code])
            inside = [pid for c in ids for pid in in_class[c]]
            with_flag = sum(value[pid] for pid in inside)
            session.add(
                AdoptionReleaseGroup(
                    release_id=release.id,
                    question=flag,
                    team_id=code.team,
                    function=code.function,
                    n=len(inside),
                    counts=[len(inside) - with_flag, with_flag],
                    classes=ids,
                )
            )
            written += 1
        if rows and grouped.withheld:
            session.add(ReleaseNote(release_id=release.id, question=flag, reason=ALL_ALIKE))
    session.flush()
    return written
