"""Building the friction release: the one place that reads friction entries for figures.

Entries enter only once their ISO week is over. Each entry starts at (its use case, its
team, its week); a group that fails its check moves whole one step up a fixed path: the
week to its month, then the team to its parent and on to "any team", then the month to
its quarter, then the use case to "any use case" (a quarter of use cases too small alone),
and is withheld beyond that until more arrive. A group is kept if, of each earlier class
its members sat in (and of the entries new to this release), there are none or at least k
entries whose outcomes are not all alike and whose corrections are not all alike: a
unanimous group would tell each member's outcome. An entry logged late into a finished
week is new, so it moves up until it has k new companions; a published class stays whole
in every later release and a release adds groups of at least k new entries or waits.

Minutes are sums over a class, published only where every part of the class (by earlier
class) holds entries whose minutes are not all alike: minutes are bounded (0 to a day), so
a sum of values not all alike pins none of them, and a sum of 0 (everyone 0) is never shown.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from gaplens.friction.figures import (
    Fact,
    needs_correction,
    saved_counted,
    use_case_key,
    use_case_label,
)
from gaplens.friction.models import OUTCOMES, FrictionEntry
from gaplens.privacy.policy import PrivacyPolicy
from gaplens.privacy.recoding import Split, TeamTree, answers_ok, coarsen
from gaplens.releases.feedback.periods import Period, monday_of, month_of, quarter_of, week
from gaplens.releases.friction.models import FrictionReleaseClass, FrictionReleaseMember
from gaplens.releases.models import Release
from gaplens.releases.service import (
    BuildOutcome,
    earlier_classes,
    previous_releases,
    team_tree,
    write_release,
)

DATASET = "friction"
_LEVEL_RANK = {"week": 3, "month": 2, "quarter": 1}


@dataclass(frozen=True)
class FrictionCode:
    """A use case (None: any), a team (None: any) and a period of whole ISO weeks."""

    use_case: str | None
    team: int | None
    period: Period


@dataclass(frozen=True)
class FrictionLattice:
    """(use case, team, week) -> (.., .., month) -> team up to any -> quarter -> any use
    case -> withheld. Months before teams: the page's trend is by month, and a team's
    month holds more entries than its week."""

    tree: TeamTree

    def up(self, code: FrictionCode) -> FrictionCode | None:
        if code.period.level == "week":
            return FrictionCode(code.use_case, code.team, month_of(code.period))
        if code.team is not None:
            return FrictionCode(code.use_case, self.tree.parents.get(code.team), code.period)
        if code.period.level == "month":
            return FrictionCode(code.use_case, None, quarter_of(code.period))
        if code.use_case is not None:
            return FrictionCode(None, None, code.period)
        return None

    def rank(self, code: FrictionCode) -> int:
        team = 0 if code.team is None else self.tree.depth(code.team) + 1
        return (code.use_case is not None) + team + _LEVEL_RANK[code.period.level]

    def key(self, code: FrictionCode) -> tuple[str, ...]:
        return (
            code.period.start.isoformat(),
            code.period.level,
            code.use_case or "",
            "" if code.team is None else f"{code.team:012d}",
        )


@dataclass(frozen=True)
class _Entry:
    key: str
    label: str
    team: int | None
    day: dt.date
    outcome: int
    corrected: bool
    lost: int
    saved: int
    signature: tuple[int, ...]


def releases_of(session: Session) -> list[Release]:
    return previous_releases(session, DATASET)


def entries_before(
    session: Session, cutoff: dt.date, previous: Sequence[Release]
) -> dict[str, _Entry]:
    """Entries of completed weeks, each with the class it sat in in every earlier release."""
    earlier = earlier_classes(session, previous, FrictionReleaseMember.entry_id)
    nowhere = (0,) * len(previous)
    rows = session.execute(
        select(
            FrictionEntry.id,
            FrictionEntry.use_case,
            FrictionEntry.team_id,
            FrictionEntry.logged_on,
            FrictionEntry.minutes_correcting,
            FrictionEntry.minutes_saved,
            FrictionEntry.outcome,
        )
        .where(FrictionEntry.logged_on < cutoff)
        .order_by(FrictionEntry.id)
    )
    found = {}
    for entry_id, use_case, team, day, correcting, saved, outcome in rows:
        fact = Fact(entry_id, "", "", day, correcting, saved, outcome)
        found[entry_id] = _Entry(
            key=use_case_key(use_case),
            label=use_case_label(use_case),
            team=team,
            day=day,
            outcome=OUTCOMES.index(outcome),
            corrected=needs_correction(fact),
            lost=correcting,
            saved=saved_counted(fact),
            signature=earlier.get(entry_id, nowhere),
        )
    return found


def _parts(members: Sequence[str], entries: Mapping[str, _Entry]) -> list[list[str]]:
    parts: dict[Hashable, list[str]] = defaultdict(list)
    for member in members:
        parts[entries[member].signature].append(member)
    return list(parts.values())


def kept_parts(entries: Mapping[str, _Entry], k: int) -> Split[str]:
    """`by_part` with the outcome check: each earlier class's share of a group (and the new
    entries' share) stays if it holds at least k entries whose outcomes are not all alike
    and whose corrections are not all alike."""

    def split(members: Sequence[str]) -> tuple[Sequence[str], Sequence[str]]:
        stay: list[str] = []
        for part in _parts(members, entries):
            if answers_ok([entries[m].outcome for m in part], k) and answers_ok(
                [entries[m].corrected for m in part], k
            ):
                stay.extend(part)
        kept = set(stay)
        return stay, [m for m in members if m not in kept]

    return split


def _minutes_sum(
    members: Sequence[str], entries: Mapping[str, _Entry], value: Callable[[_Entry], int]
) -> int | None:
    """The sum, if no part of the class has one value for all its entries."""
    for part in _parts(members, entries):
        if len({value(entries[m]) for m in part}) < 2:
            return None
    return sum(value(entries[m]) for m in members)


def _label(key: str, members: Sequence[str], entries: Mapping[str, _Entry], k: int) -> str:
    """The most used spelling if at least k entries used it; else the grouping key (one
    person's spelling is theirs)."""
    counts: dict[str, int] = defaultdict(int)
    for member in members:
        counts[entries[member].label] += 1
    label = min(counts, key=lambda text: (-counts[text], text))
    return label if counts[label] >= k else key


def build_friction_release(
    session: Session,
    policy: PrivacyPolicy,
    *,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> BuildOutcome:
    """Publish a new friction release if the entries of completed weeks allow one."""
    cutoff = monday_of(today or dt.date.today())
    k = policy.min_group_size
    previous = releases_of(session)
    entries = entries_before(session, cutoff, previous)
    new = {entry_id for entry_id, entry in entries.items() if not any(entry.signature)}
    if not new:
        return BuildOutcome(None, "No new friction entries from completed weeks.")
    recoded = coarsen(
        {
            entry_id: FrictionCode(entry.key, entry.team, week(entry.day))
            for entry_id, entry in entries.items()
        },
        kept_parts(entries, k),
        FrictionLattice(team_tree(session)),
    )
    if recoded.withheld - new:
        return BuildOutcome(
            None,
            "Not released: entries published before would fall out of their groups "
            f"(was the group size changed from {previous[-1].min_group_size} to {k}, or "
            "were entries deleted?).",
        )
    if not new & recoded.codes.keys():
        return BuildOutcome(
            None,
            f"Not released yet: fewer than {k} new entries of completed weeks can be shown "
            "together (or their outcomes are all alike). The release waits for more.",
        )
    release = write_release(
        session,
        dataset=DATASET,
        previous=previous,
        cutoff=cutoff,
        answers_through=cutoff - dt.timedelta(days=1),
        now=now,
        k=k,
        included=len(recoded.codes),
        withheld=len(recoded.withheld),
    )
    by_code: dict[FrictionCode, list[str]] = defaultdict(list)
    for entry_id, code in recoded.codes.items():
        by_code[code].append(entry_id)
    lattice_key = FrictionLattice(TeamTree({})).key
    rows: dict[FrictionCode, FrictionReleaseClass] = {}
    for code in sorted(by_code, key=lambda c: (c.period.start, *lattice_key(c))):
        members = by_code[code]
        outcomes = [0] * len(OUTCOMES)
        for member in members:
            outcomes[entries[member].outcome] += 1
        rows[code] = FrictionReleaseClass(
            release_id=release.id,
            use_case=code.use_case,
            label=None if code.use_case is None else _label(code.use_case, members, entries, k),
            team_id=code.team,
            level=code.period.level,
            start=code.period.start,
            end=code.period.end,
            n=len(members),
            outcomes=outcomes,
            corrected=sum(entries[m].corrected for m in members),
            minutes_lost=_minutes_sum(members, entries, lambda e: e.lost),
            minutes_saved=_minutes_sum(members, entries, lambda e: e.saved),
        )
    session.add_all(rows.values())
    session.flush()
    session.execute(
        insert(FrictionReleaseMember),
        [
            {"release_id": release.id, "entry_id": entry_id, "class_id": rows[code].id}
            for entry_id, code in sorted(recoded.codes.items())
        ],
    )
    return BuildOutcome(
        release,
        f"Release {release.seq}: {release.included} entries of weeks up to "
        f"{release.answers_through} in {len(rows)} groups of at least {k}.",
    )
