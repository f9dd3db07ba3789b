"""Attacking the reflections release: every release, pooled, solved as one system.

The auditor gets each invitation class (its links sent counted, and used as a 0/1 answer),
each entry class, each confidence group (ratings, not rating being an answer too), each
text group, and each later-usage group (a unit's answer is its use joined with its day
bin), for every release at once. Whatever the auditor cannot solve, no number of viewers
combining views over time can.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.privacy.disclosure import AuditFindings, ReleasedCount, ReleasedHistogram, audit
from gaplens.reflections import queries
from gaplens.reflections.models import ReflectionEntry, ReflectionInvitation
from gaplens.releases.models import Release
from gaplens.releases.reflections.models import (
    ReflectionReleaseClass,
    ReflectionReleaseGroup,
    ReflectionReleaseMember,
)
from gaplens.releases.reflections.service import (
    CONFIDENCE,
    DATASET,
    DAY_BINS,
    INVITATION,
    USAGE,
    class_units,
)
from gaplens.spent.service import REFLECTION, spent_among

USED = "used"
AFTER = "usage_after"
BEFORE = "usage_before"


def audit_reflections(session: Session, *, k: int = 5, milp_limit: int = 20_000) -> AuditFindings:
    ids = list(session.scalars(select(Release.id).where(Release.dataset == DATASET)))
    members: dict[int, set[str]] = defaultdict(set)
    for class_id, member in session.execute(
        select(ReflectionReleaseMember.class_id, ReflectionReleaseMember.member).where(
            ReflectionReleaseMember.release_id.in_(ids)
        )
    ):
        members[class_id].add(member)
    answers: dict[str, dict[str, int]] = defaultdict(dict)
    hashes: dict[str, str | None] = {
        invitation: hashed
        for invitation, hashed in session.execute(
            select(ReflectionInvitation.id, ReflectionInvitation.token_hash)
        )
    }
    spent = spent_among(session, REFLECTION, hashes.values())
    for invitation, hashed in hashes.items():
        answers[invitation][USED] = int(hashed in spent)
    for entry, rating in session.execute(select(ReflectionEntry.id, ReflectionEntry.confidence)):
        answers[entry][CONFIDENCE] = rating or 0
    classes = list(
        session.scalars(
            select(ReflectionReleaseClass).where(ReflectionReleaseClass.release_id.in_(ids))
        )
    )
    groups = list(
        session.scalars(
            select(ReflectionReleaseGroup).where(ReflectionReleaseGroup.release_id.in_(ids))
        )
    )
    _usage_answers(session, classes, groups, answers)
    counts = [ReleasedCount(frozenset(found)) for found in members.values()]
    histograms = [
        ReleasedHistogram(USED, frozenset(members[row.id]), (row.n - row.used, row.used))
        for row in classes
        if row.kind == INVITATION and row.used is not None
    ]
    for group in groups:
        inside = frozenset(m for cid in group.classes for m in members[cid])
        counts.append(ReleasedCount(inside))
        if group.kind == CONFIDENCE:
            histograms.append(ReleasedHistogram(CONFIDENCE, inside, tuple(group.counts["ratings"])))
        elif group.kind == USAGE:
            for question, key in ((AFTER, "after"), (BEFORE, "before")):
                if f"{key}_others" in group.counts:
                    joint = (*group.counts[f"{key}_others"], *group.counts[f"{key}_participants"])
                    histograms.append(ReleasedHistogram(question, inside, tuple(joint)))
    return audit(counts, histograms, answers, k=k, milp_limit=milp_limit)


def _usage_answers(
    session: Session,
    classes: list[ReflectionReleaseClass],
    groups: list[ReflectionReleaseGroup],
    answers: dict[str, dict[str, int]],
) -> None:
    """Each compared unit's use joined with its day bin: others 0..B-1, participants B..2B-1."""
    in_usage = {cid for g in groups if g.kind == USAGE for cid in g.classes}
    as_of, start = queries.usage_as_of(session), queries.usage_start(session)
    if not in_usage or as_of is None or start is None:
        return
    rows = [row for row in classes if row.id in in_usage]
    for _, units in class_units(session, rows, as_of, start).values():
        for member, unit in units:
            offset = len(DAY_BINS) if unit.used else 0
            answers[member][AFTER] = offset + unit.after
            if unit.before is not None:
                answers[member][BEFORE] = offset + unit.before
