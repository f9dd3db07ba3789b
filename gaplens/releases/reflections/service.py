"""Building the reflections release: the one place that reads invitations, their use and
entries for figures.

Only whole months are released, and only once they are final: the month is over and every
link due in it has expired, so no invitation of it can still be sent or used and no
reflection can still be written in it. Each release covers the months after the previous
one's, so no invitation or entry is in two releases and a published count never changes:
participation moves only by the released classes of new months (each of at least k, with
some but not all links used). The later-usage comparison is published once the usage data
covers the 28 days after a class's +1-week step, over unions of whole classes.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from gaplens.directory.models import Person
from gaplens.privacy.policy import PrivacyPolicy
from gaplens.privacy.recoding import answers_ok, coarsen, whole
from gaplens.reflections import queries
from gaplens.reflections.models import ReflectionEntry, ReflectionInvitation
from gaplens.reflections.steps import LAST_STEP, expires_on
from gaplens.releases.models import Release
from gaplens.releases.reflections.lattice import (
    ReflectionCode,
    ReflectionLattice,
    month_key,
    period_bounds,
)
from gaplens.releases.reflections.models import (
    ReflectionReleaseClass,
    ReflectionReleaseGroup,
    ReflectionReleaseMember,
)
from gaplens.releases.service import BuildOutcome, team_tree
from gaplens.spent.service import REFLECTION, spent_among

DATASET = "reflections"
INVITATION = "invitation"
ENTRY = "entry"
CONFIDENCE = "confidence"
TEXTS = "texts"
USAGE = "usage"
USAGE_WINDOW_DAYS = 28
DAY_BINS = (0, 1, 3, 6, 11, 16, 21)
"""Lower edges of the active-day bins (0, 1-2, 3-5, 6-10, 11-15, 16-20, 21-28): days are
published only as counts in these bins, like survey numbers."""
DAY_BIN_MIDPOINTS = (0.0, 1.5, 4.0, 8.0, 13.0, 18.0, 24.5)
RATINGS = 6
"""Confidence counted as [not rated, 1, 2, 3, 4, 5]: not rating is an answer too."""


def day_bin(days: int) -> int:
    return max(i for i, edge in enumerate(DAY_BINS) if days >= edge)


@dataclass(frozen=True)
class _Invitation:
    id: str
    person: str
    code: ReflectionCode
    used: bool
    trigger_on: dt.date
    due_on: dt.date


@dataclass(frozen=True)
class _Entry:
    id: str
    code: ReflectionCode
    confidence: int | None
    text: str


def final_through(session: Session, cutoff: dt.date) -> dt.date:
    """The last day of the latest month that is over and whose links have all expired."""
    end = cutoff.replace(day=1) - dt.timedelta(days=1)
    last_due = session.scalar(
        select(func.max(ReflectionInvitation.due_on)).where(
            ReflectionInvitation.due_on >= end.replace(day=1),
            ReflectionInvitation.due_on <= end,
        )
    )
    if last_due is None or expires_on(last_due) < cutoff:
        return end
    return end.replace(day=1) - dt.timedelta(days=1)


def build_reflection_release(
    session: Session,
    policy: PrivacyPolicy,
    *,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> BuildOutcome:
    """Publish the final months since the last release, and any later-usage comparison the
    usage data now covers. Nothing is written unless a release results; the caller's
    session owns the commit."""
    cutoff = today or dt.date.today()
    k = policy.min_group_size
    previous = list(
        session.scalars(select(Release).where(Release.dataset == DATASET).order_by(Release.seq))
    )
    after = max((r.answers_through for r in previous), default=None)
    through = max(final_through(session, cutoff), after or dt.date.min)
    lattice = ReflectionLattice(team_tree(session))
    invitations = _invitations(session, after, through)
    entries = _entries(session, after, through)

    def class_ok(members: Sequence[str]) -> bool:
        """At least k invitations of at least k people, some but not all links used: a
        class where everyone (or no one) used their link tells each one's part."""
        chosen = [invitations[m] for m in members]
        return len({f.person for f in chosen}) >= k and answers_ok([f.used for f in chosen], k)

    invited = coarsen({i.id: i.code for i in invitations.values()}, whole(class_ok), lattice)
    written = coarsen(
        {e.id: e.code for e in entries.values()}, whole(lambda m: len(m) >= k), lattice
    )
    release = Release(
        dataset=DATASET,
        seq=len(previous) + 1,
        built_at=(now or dt.datetime.now(dt.UTC)).replace(tzinfo=None, microsecond=0),
        cutoff=cutoff,
        answers_through=through,
        min_group_size=k,
        included=len(invited.codes) + len(written.codes),
        withheld=len(invited.withheld) + len(written.withheld),
    )
    session.add(release)
    session.flush()
    invitation_classes = _write_classes(session, release, INVITATION, invited.codes, invitations)
    entry_classes = _write_classes(session, release, ENTRY, written.codes, {})
    _write_entry_groups(session, release, entry_classes, entries, lattice, policy)
    usage = _write_usage_groups(session, release, lattice, k)
    if not invitation_classes and not entry_classes and not usage:
        session.delete(release)
        session.flush()
        if after is not None and through <= after:
            return BuildOutcome(
                None,
                "No new whole months since the last release (a month is released once it "
                "is over and its links have expired).",
            )
        return BuildOutcome(
            None, f"Not released yet: no group of at least {k} can be shown for the new months."
        )
    return BuildOutcome(
        release,
        f"Release {release.seq} of reflections through {through:%B %Y}: "
        f"{len(invited.codes)} invitations and {len(written.codes)} reflections in groups of "
        f"at least {k}, {usage} later-usage groups.",
    )


def _invitations(
    session: Session, after: dt.date | None, through: dt.date
) -> dict[str, _Invitation]:
    """Invitations whose link was sent, due in the new months, coded by their person's
    team and function at the build (the code is then frozen in the release)."""
    i = ReflectionInvitation
    query = (
        select(
            i.id,
            i.person_id,
            i.step,
            i.due_on,
            i.trigger_on,
            i.token_hash,
            Person.team_id,
            Person.function,
        )
        .join(Person, Person.id == i.person_id)
        .where(i.due_on <= through, i.link_issued_on.is_not(None))
    )
    if after is not None:
        query = query.where(i.due_on > after)
    rows = session.execute(query).all()
    spent = spent_among(session, REFLECTION, (row.token_hash for row in rows))
    return {
        row.id: _Invitation(
            row.id,
            row.person_id,
            ReflectionCode(row.step, month_key(row.due_on), row.team_id, row.function),
            row.token_hash in spent,
            row.trigger_on,
            row.due_on,
        )
        for row in rows
    }


def _entries(session: Session, after: dt.date | None, through: dt.date) -> dict[str, _Entry]:
    """Reflections written in the new months: step (None from Slack), function and month."""
    e = ReflectionEntry
    query = select(e.id, e.step, e.function, e.written_in, e.learned, e.means, e.confidence).where(
        e.written_in <= through
    )
    if after is not None:
        query = query.where(e.written_in > after)
    return {
        row.id: _Entry(
            row.id,
            ReflectionCode(row.step, month_key(row.written_in), None, row.function),
            row.confidence,
            ". ".join(t for t in (row.learned, row.means) if t),
        )
        for row in session.execute(query)
    }


def _write_classes(
    session: Session,
    release: Release,
    kind: str,
    codes: Mapping[str, ReflectionCode],
    invitations: Mapping[str, _Invitation],
) -> dict[int, tuple[ReflectionCode, list[str]]]:
    """One row per code, its members recorded; returns class id -> (code, members)."""
    members: dict[ReflectionCode, list[str]] = defaultdict(list)
    for member, code in codes.items():
        members[code].append(member)
    rows: dict[ReflectionCode, ReflectionReleaseClass] = {}
    for code in sorted(members, key=_order):
        group = sorted(members[code])
        rows[code] = ReflectionReleaseClass(
            release_id=release.id,
            kind=kind,
            step=code.step,
            period=code.period,
            team_id=code.team,
            function=code.function,
            n=len(group),
            used=sum(invitations[m].used for m in group) if kind == INVITATION else None,
        )
    session.add_all(rows.values())
    session.flush()
    if codes:
        session.execute(
            insert(ReflectionReleaseMember),
            [
                {"release_id": release.id, "member": member, "class_id": rows[code].id}
                for member, code in sorted(codes.items())
            ],
        )
    return {rows[code].id: (code, sorted(members[code])) for code in rows}


def _order(code: ReflectionCode) -> tuple[str, ...]:
    values = (code.step, code.period, code.team, code.function)
    return tuple("" if v is None else f"{v}" for v in values)


def _groups(
    items: Mapping[int, ReflectionCode],
    ok: Callable[[Sequence[int]], bool],
    lattice: ReflectionLattice,
) -> dict[ReflectionCode, list[int]]:
    """Unions of whole classes, each passing `ok`, keyed by their (coarser) code."""
    grouped = coarsen(items, whole(ok), lattice)
    found: dict[ReflectionCode, list[int]] = defaultdict(list)
    for class_id, code in grouped.codes.items():
        found[code].append(class_id)
    return {code: sorted(found[code]) for code in sorted(found, key=_order)}


def _write_entry_groups(
    session: Session,
    release: Release,
    classes: Mapping[int, tuple[ReflectionCode, list[str]]],
    entries: Mapping[str, _Entry],
    lattice: ReflectionLattice,
    policy: PrivacyPolicy,
) -> None:
    """Confidence per step (ratings of at least k entries, never all alike) and the texts
    for themes (at least the comment threshold of reflections, any step)."""
    k, c = policy.min_group_size, policy.min_comment_group_size

    def ratings(group: Sequence[int]) -> list[int | None]:
        return [entries[m].confidence for cid in group for m in classes[cid][1]]

    stepped = {cid: code for cid, (code, _) in classes.items() if code.step is not None}
    for code, ids in _groups(stepped, lambda g: answers_ok(ratings(g), k), lattice).items():
        counts = [0] * RATINGS
        for rating in ratings(ids):
            counts[rating or 0] += 1
        session.add(_group(release, CONFIDENCE, code, sum(counts), {"ratings": counts}, ids))

    def texts(group: Sequence[int]) -> list[str]:
        return [entries[m].text for cid in group for m in classes[cid][1] if entries[m].text]

    any_step = {cid: replace(code, step=None) for cid, (code, _) in classes.items()}
    for code, ids in _groups(any_step, lambda g: len(texts(g)) >= c, lattice).items():
        written = sorted(texts(ids))  # a fixed order that follows the content, not the writing
        session.add(_group(release, TEXTS, code, len(written), {}, ids, written))
    session.flush()


def _group(
    release: Release,
    kind: str,
    code: ReflectionCode,
    n: int,
    counts: dict[str, list[int]],
    classes: list[int],
    texts: list[str] | None = None,
) -> ReflectionReleaseGroup:
    return ReflectionReleaseGroup(
        release_id=release.id,
        kind=kind,
        step=code.step,
        period=code.period,
        team_id=code.team,
        function=code.function,
        n=n,
        counts=counts,
        classes=classes,
        texts=texts,
    )


@dataclass(frozen=True)
class Unit:
    """A +1-week invitation in the comparison: used or not, active-day bins after and
    before (None when the usage data does not reach back before its trigger)."""

    used: bool
    after: int
    before: int | None


def _write_usage_groups(
    session: Session, release: Release, lattice: ReflectionLattice, k: int
) -> int:
    """Later usage over +1-week classes (of any release) that no usage group holds yet and
    whose 28 days after the step the usage data covers: unions of whole classes with at
    least k participants and k non-participants, each side's day bins never all alike."""
    as_of, start = queries.usage_as_of(session), queries.usage_start(session)
    if as_of is None or start is None:
        return 0
    units = _usage_units(session, as_of, start)
    if not units:
        return 0
    codes = {cid: code for cid, (code, _) in units.items()}

    def sides(group: Sequence[int]) -> tuple[list[Unit], list[Unit]]:
        found = [u for cid in group for u in units[cid][1]]
        return [u for u in found if u.used], [u for u in found if not u.used]

    def ok(group: Sequence[int]) -> bool:
        checks = []
        for side in sides(group):
            checks.append(answers_ok([u.after for u in side], k))
            before = [u.before for u in side]
            if None not in before:
                checks.append(answers_ok(before, k))
        return all(checks)

    written = 0
    for code, ids in _groups(codes, ok, lattice).items():
        participants, others = sides(ids)
        counts = {
            "after_participants": _bins(u.after for u in participants),
            "after_others": _bins(u.after for u in others),
        }
        if all(u.before is not None for u in participants + others):
            counts["before_participants"] = _bins(u.before or 0 for u in participants)
            counts["before_others"] = _bins(u.before or 0 for u in others)
        session.add(_group(release, USAGE, code, len(participants) + len(others), counts, ids))
        written += 1
    session.flush()
    return written


def _bins(values: Iterable[int]) -> list[int]:
    counts = [0] * len(DAY_BINS)
    for value in values:
        counts[value] += 1
    return counts


def _usage_units(
    session: Session, as_of: dt.date, start: dt.date
) -> dict[int, tuple[ReflectionCode, list[Unit]]]:
    """+1-week classes waiting for the comparison: no usage group holds them yet and the
    usage data covers the 28 days after their period."""
    taken = {
        cid
        for classes in session.scalars(
            select(ReflectionReleaseGroup.classes).where(ReflectionReleaseGroup.kind == USAGE)
        )
        for cid in classes
    }
    waiting = [
        row
        for row in session.scalars(
            select(ReflectionReleaseClass).where(
                ReflectionReleaseClass.kind == INVITATION, ReflectionReleaseClass.step == LAST_STEP
            )
        )
        if row.id not in taken
        and period_bounds(row.period)[1] + dt.timedelta(days=USAGE_WINDOW_DAYS) <= as_of
    ]
    return {
        cid: (code, [unit for _, unit in units])
        for cid, (code, units) in class_units(session, waiting, as_of, start).items()
    }


def class_units(
    session: Session, rows: Sequence[ReflectionReleaseClass], as_of: dt.date, start: dt.date
) -> dict[int, tuple[ReflectionCode, list[tuple[str, Unit]]]]:
    """Each class's invitations as comparison units, when every member is still there and
    its use is what the release said (else the class never enters a comparison)."""
    if not rows:
        return {}
    members: dict[int, list[str]] = defaultdict(list)
    for class_id, member in session.execute(
        select(ReflectionReleaseMember.class_id, ReflectionReleaseMember.member).where(
            ReflectionReleaseMember.class_id.in_([row.id for row in rows])
        )
    ):
        members[class_id].append(member)
    wanted = sorted(m for ids in members.values() for m in ids)
    facts = {
        row.id: row
        for row in session.execute(
            select(
                ReflectionInvitation.id,
                ReflectionInvitation.person_id,
                ReflectionInvitation.trigger_on,
                ReflectionInvitation.due_on,
                ReflectionInvitation.token_hash,
            ).where(ReflectionInvitation.id.in_(wanted))
        )
    }
    spent = spent_among(session, REFLECTION, (row.token_hash for row in facts.values()))
    first = min((row.trigger_on for row in facts.values()), default=as_of)
    days = queries.active_days(
        session,
        {row.person_id for row in facts.values()},
        first - dt.timedelta(days=USAGE_WINDOW_DAYS),
        as_of,
    )
    found: dict[int, tuple[ReflectionCode, list[tuple[str, Unit]]]] = {}
    for row in rows:
        ids = sorted(members[row.id])
        if len(ids) != row.n or any(m not in facts for m in ids):
            continue  # someone left the directory: the class would no longer add up
        units = [(m, _unit(facts[m], facts[m].token_hash in spent, days, start)) for m in ids]
        if sum(u.used for _, u in units) != row.used:
            continue
        code = ReflectionCode(row.step, row.period, row.team_id, row.function)
        found[row.id] = (code, units)
    return found


def _unit(fact: Any, used: bool, days: Mapping[str, Sequence[dt.date]], start: dt.date) -> Unit:
    active = days.get(fact.person_id, ())
    window = dt.timedelta(days=USAGE_WINDOW_DAYS)
    after = _days_between(active, fact.due_on + dt.timedelta(days=1), fact.due_on + window)
    before: int | None = None
    if fact.trigger_on - window >= start:
        before = day_bin(
            _days_between(active, fact.trigger_on - window, fact.trigger_on - dt.timedelta(days=1))
        )
    return Unit(used, day_bin(after), before)


def _days_between(days: Sequence[dt.date], first: dt.date, last: dt.date) -> int:
    """How many of the sorted `days` fall within [first, last]."""
    return bisect.bisect_right(days, last) - bisect.bisect_left(days, first)
