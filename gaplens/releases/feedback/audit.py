"""Attacking every feedback release at once: class counts, kind counts and theme sizes.

Each class (of a use case or of none, for a week, month or quarter) is a released count
and a histogram of kinds (the same question in every release, so differences between
releases are part of the system); each month's themes of a
kind are a histogram over the month's classes (value: in this theme, or not in any theme of
this kind). Whatever the auditor cannot solve, no combination of digests can.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.feedback.models import FeedbackItem
from gaplens.privacy.disclosure import AuditFindings, ReleasedCount, ReleasedHistogram, audit
from gaplens.releases.feedback.models import (
    FeedbackReleaseClass,
    FeedbackReleaseMember,
    FeedbackReleaseText,
)
from gaplens.releases.feedback.service import DATASET, kind_index, releases_of

Answers = dict[str, dict[str, int | frozenset[int]]]


def feedback_findings(
    session: Session, *, k: int = 5, milp_limit: int = 20_000
) -> tuple[int, AuditFindings]:
    """(releases, findings) over everything ever published from the feedback channel."""
    releases = releases_of(session)
    ids = [release.id for release in releases]
    members: dict[int, set[str]] = defaultdict(set)
    for class_id, item_id in session.execute(
        select(FeedbackReleaseMember.class_id, FeedbackReleaseMember.item_id).where(
            FeedbackReleaseMember.release_id.in_(ids)
        )
    ):
        members[class_id].add(f"feedback:{item_id}")
    answers: Answers = defaultdict(dict)
    for item_id, kind in session.execute(select(FeedbackItem.id, FeedbackItem.kind)):
        answers[f"feedback:{item_id}"]["kind"] = kind_index(kind)
    counts = [ReleasedCount(frozenset(found)) for found in members.values()]
    histograms = [
        ReleasedHistogram("kind", frozenset(members[row.id]), tuple(row.counts))
        for row in session.scalars(
            select(FeedbackReleaseClass).where(FeedbackReleaseClass.release_id.in_(ids))
        )
    ]
    for row in session.scalars(
        select(FeedbackReleaseText).where(FeedbackReleaseText.release_id.in_(ids))
    ):
        question = f"theme:{row.month}:{row.kind}"
        inside = frozenset(m for class_id in row.classes for m in members[class_id])
        # Only themes published with a size are counted; members of one named without its
        # size are, to an attacker, among the rest (value 0).
        sized = [theme for theme in row.themes if theme["size"] is not None]
        sizes = [theme["size"] for theme in sized]
        for number, theme in enumerate(sized, start=1):
            for item_id in theme["members"]:
                answers[f"feedback:{item_id}"][question] = number
        if not sizes:
            continue  # no theme published with a size: nothing counted
        for member in inside:
            answers[member].setdefault(question, 0)
        histograms.append(ReleasedHistogram(question, inside, (len(inside) - sum(sizes), *sizes)))
    return len(releases), audit(counts, histograms, answers, k=k, milp_limit=milp_limit)


__all__ = ["DATASET", "feedback_findings"]
