"""Attacking every friction release at once: class counts, outcomes and corrections.

Each class is a released count, a histogram of outcomes (kept, fixed, discarded) and a
histogram of corrections (not needed, needed), the same questions in every release, so
differences between releases are part of the system. Minutes are sums the auditor does not
model; the builder publishes one only over parts whose minutes are not all alike, and the
auditor proves no part is split. Whatever it cannot solve, no combination of views can.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.friction.figures import Fact, needs_correction
from gaplens.friction.models import OUTCOMES, FrictionEntry
from gaplens.privacy.disclosure import AuditFindings, ReleasedCount, ReleasedHistogram, audit
from gaplens.releases.friction.models import FrictionReleaseClass, FrictionReleaseMember
from gaplens.releases.friction.service import DATASET, releases_of

MEMBER = "friction:"


def friction_findings(
    session: Session, *, k: int = 5, milp_limit: int = 20_000
) -> tuple[int, AuditFindings]:
    """(releases, findings) over everything ever published from the friction log."""
    releases = releases_of(session)
    ids = [release.id for release in releases]
    members: dict[int, set[str]] = defaultdict(set)
    for class_id, entry_id in session.execute(
        select(FrictionReleaseMember.class_id, FrictionReleaseMember.entry_id).where(
            FrictionReleaseMember.release_id.in_(ids)
        )
    ):
        members[class_id].add(MEMBER + entry_id)
    answers: dict[str, dict[str, int | frozenset[int]]] = defaultdict(dict)
    for entry_id, day, correcting, saved, outcome in session.execute(
        select(
            FrictionEntry.id,
            FrictionEntry.logged_on,
            FrictionEntry.minutes_correcting,
            FrictionEntry.minutes_saved,
            FrictionEntry.outcome,
        )
    ):
        fact = Fact(entry_id, "", "", day, correcting, saved, outcome)
        answers[MEMBER + entry_id] = {
            "outcome": OUTCOMES.index(outcome),
            "corrected": int(needs_correction(fact)),
        }
    counts = [ReleasedCount(frozenset(found)) for found in members.values()]
    histograms = []
    for row in session.scalars(
        select(FrictionReleaseClass).where(FrictionReleaseClass.release_id.in_(ids))
    ):
        inside = frozenset(members[row.id])
        histograms.append(ReleasedHistogram("outcome", inside, tuple(row.outcomes)))
        histograms.append(
            ReleasedHistogram("corrected", inside, (row.n - row.corrected, row.corrected))
        )
    return len(releases), audit(counts, histograms, answers, k=k, milp_limit=milp_limit)


__all__ = ["DATASET", "friction_findings"]
