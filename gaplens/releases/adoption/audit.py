"""Attacking every adoption release of an organisation at once.

Rows are the class member sets of every month end; each month end is its own three
questions: a person's furthest stage (a histogram per class), trained, certified and holding
each AI tool (a yes/no histogram per group of whole classes; tools only in months built with
them). The truth is what each person counted as
when the month was released (kept beside their class, so a person who has since left is
still checked). Whatever the auditor cannot solve, no combination of views can.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.privacy.disclosure import AuditFindings, ReleasedCount, ReleasedHistogram, audit
from gaplens.releases.adoption.models import (
    AdoptionReleaseClass,
    AdoptionReleaseGroup,
    AdoptionReleaseMember,
    dataset_of,
)
from gaplens.releases.service import previous_releases
from gaplens.telemetry.schemas import SEAT_TOOLS

MEMBER = "adoption:"


def question(kind: str, month: str) -> str:
    return f"{kind}@{month}"


def adoption_findings(
    session: Session, organisation_id: int, *, k: int = 5, milp_limit: int = 20_000
) -> tuple[int, AuditFindings]:
    """(releases, findings) over everything ever published of the organisation's funnel."""
    releases = previous_releases(session, dataset_of(organisation_id))
    month = {r.id: f"{r.answers_through:%Y-%m}" for r in releases}
    members: dict[int, set[str]] = defaultdict(set)
    answers: dict[str, dict[str, int | frozenset[int]]] = defaultdict(dict)
    m = AdoptionReleaseMember
    for release_id, class_id, pid, stage, trained, certified, tools in session.execute(
        select(
            m.release_id, m.class_id, m.person_id, m.stage, m.trained, m.certified, m.tools
        ).where(m.release_id.in_(month))
    ):
        who = MEMBER + pid
        members[class_id].add(who)
        answers[who][question("stage", month[release_id])] = stage
        answers[who][question("trained", month[release_id])] = int(trained)
        answers[who][question("certified", month[release_id])] = int(certified)
        if tools is not None:
            for tool in SEAT_TOOLS:
                answers[who][question(tool, month[release_id])] = int(tool in tools)
    counts = [ReleasedCount(frozenset(found)) for found in members.values()]
    histograms = [
        ReleasedHistogram(
            question("stage", month[row.release_id]),
            frozenset(members[row.id]),
            tuple(row.furthest),
        )
        for row in session.scalars(
            select(AdoptionReleaseClass).where(AdoptionReleaseClass.release_id.in_(month))
        )
    ]
    for row in session.scalars(
        select(AdoptionReleaseGroup).where(AdoptionReleaseGroup.release_id.in_(month))
    ):
        inside = frozenset(who for class_id in row.classes for who in members[class_id])
        histograms.append(
            ReleasedHistogram(
                question(row.question, month[row.release_id]), inside, tuple(row.counts)
            )
        )
    return len(releases), audit(counts, histograms, answers, k=k, milp_limit=milp_limit)
