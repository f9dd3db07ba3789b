"""Attacking what was published: every release of a survey, solved as one system.

The auditor is given the finest thing any viewer could ever assemble: each released class
(its responses counted) and each released histogram (its responses' answers counted), for
every release of the data set at once. Any page, API answer, export or report is a sum of
these, so whatever the auditor cannot solve, no number of viewers combining views over time
can solve either.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.directory.models import Organisation
from gaplens.privacy.disclosure import AuditFindings, ReleasedCount, ReleasedHistogram, audit
from gaplens.releases.models import ReleaseHistogram
from gaplens.releases.service import (
    Value,
    class_members,
    dataset_of,
    previous_releases,
    released_series,
)
from gaplens.surveys.models import Survey


@dataclass(frozen=True)
class SurveyAudit:
    survey: str
    releases: int
    findings: AuditFindings


def audit_survey(
    session: Session, survey: Survey, *, k: int = 5, milp_limit: int = 20_000
) -> SurveyAudit:
    releases = previous_releases(session, dataset_of(survey))
    ids = [release.id for release in releases]
    members = {c: set(found) for c, found in class_members(session, ids).items()}
    series = {found.key: found for found in released_series(session, survey)}
    released = {rid for found in members.values() for rid in found}
    # Every member of a histogram's classes has a value: their answer, or "no answer" (the
    # histogram's last count), so the truth covers every released response.
    answers: dict[str, dict[str, Value]] = defaultdict(dict)
    for key, found in series.items():
        skip: Value = frozenset({found.values}) if found.multi else found.values
        for rid in released:
            answers[rid][key] = found.answers.get(rid, skip)
    counts = [ReleasedCount(frozenset(found)) for found in members.values()]
    histograms = []
    for question, classes, numbers in session.execute(
        select(ReleaseHistogram.question, ReleaseHistogram.classes, ReleaseHistogram.counts).where(
            ReleaseHistogram.release_id.in_(ids)
        )
    ):
        inside = frozenset(rid for class_id in classes for rid in members[class_id])
        histograms.append(
            ReleasedHistogram(question, inside, tuple(numbers), multi=series[question].multi)
        )
    findings = audit(counts, histograms, answers, k=k, milp_limit=milp_limit)
    return SurveyAudit(survey.name, len(releases), findings)


def audit_all(
    session: Session, *, survey: Survey | None = None, k: int = 5, milp_limit: int = 20_000
) -> list[tuple[str, int, AuditFindings]]:
    """(data set, releases, findings) for every data set with a release: each survey (or
    only `survey`), each task round, feedback, the friction log, reflections and each
    organisation's measured figures and adoption funnel."""
    from gaplens.releases.adoption.audit import adoption_findings
    from gaplens.releases.feedback.audit import feedback_findings
    from gaplens.releases.friction.audit import friction_findings
    from gaplens.releases.measured.audit import measured_findings, staggered_findings
    from gaplens.releases.reflections.audit import audit_reflections
    from gaplens.releases.reflections.service import DATASET as REFLECTIONS
    from gaplens.releases.service import release_count
    from gaplens.releases.tasks.audit import audit_task_round
    from gaplens.tasks.models import TaskRound

    surveys = (
        [survey] if survey is not None else session.scalars(select(Survey).order_by(Survey.id))
    )
    found = []
    for each in surveys:
        result = audit_survey(session, each, k=k, milp_limit=milp_limit)
        found.append((each.name, result.releases, result.findings))
    if survey is not None:
        return found
    for round_ in session.scalars(select(TaskRound).order_by(TaskRound.id)):
        releases, findings = audit_task_round(session, round_, k=k, milp_limit=milp_limit)
        if releases:
            found.append((f"Task round {round_.name}", releases, findings))
    releases, findings = feedback_findings(session, k=k, milp_limit=milp_limit)
    if releases:
        found.append(("Feedback", releases, findings))
    releases, findings = friction_findings(session, k=k, milp_limit=milp_limit)
    if releases:
        found.append(("Friction log", releases, findings))
    if count := release_count(session, REFLECTIONS):
        found.append(("Reflections", count, audit_reflections(session, k=k, milp_limit=milp_limit)))
    for organisation_id, name in session.execute(
        select(Organisation.id, Organisation.name).order_by(Organisation.id)
    ):
        releases, findings = measured_findings(session, organisation_id, k=k)
        if releases:
            found.append((f"Measured figures ({name})", releases, findings))
        releases, findings = staggered_findings(session, organisation_id, k=k)
        if releases:
            found.append((f"Staggered effects ({name})", releases, findings))
        releases, findings = adoption_findings(session, organisation_id, k=k, milp_limit=milp_limit)
        if releases:
            found.append((f"Adoption ({name})", releases, findings))
    return found
