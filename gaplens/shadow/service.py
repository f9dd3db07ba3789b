"""Shadow-AI view: which functions turn to unsanctioned tools, for what, and why.

The survey columns read the survey's release; the measured column (licensed people active
with a sanctioned tool) reads the adoption release of the latest month end on or before the
survey's last day. Nothing here reads a person or a response."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from gaplens.adoption.schemas import STAGES
from gaplens.adoption.service import organisation_of
from gaplens.audit.service import record
from gaplens.figures import FigureStatus
from gaplens.perception.figures import share
from gaplens.privacy import PrivacyPolicy
from gaplens.releases.adoption.queries import (
    AdoptionRelease,
    latest_adoption_release,
    scope_predicate,
)
from gaplens.releases.queries import SurveyRelease, cell_predicate, latest_survey_release
from gaplens.releases.service import UNSANCTIONED
from gaplens.shadow.schemas import MeasuredUse, ShadowAiOut, ShadowGroup
from gaplens.surveys.models import Survey
from gaplens.surveys.question_bank import SHADOW_REASON, SHADOW_USE, entry
from gaplens.surveys.service import find_survey

TOOLS = entry("shadow_tools", 1)
SANCTIONED = 0
EVERYONE = "everyone"
UNSPECIFIED = "unspecified"


ACTIVE_FROM = STAGES.index("active_28d")
NO_MONTH = (
    "No month of the adoption release ends on or before the survey's last day (a month is "
    "released once it is over and the usage data covers it): no measured column."
)
MERGED = (
    "This function's licensed people are counted only with other functions in the adoption "
    "release, to protect individuals."
)


def measured_from_release(
    release: AdoptionRelease, functions: Sequence[str]
) -> dict[str, MeasuredUse]:
    """Per function (and 'everyone'): licensed people and how many were active with a
    sanctioned tool in the 28 days to the month end, read from the adoption release's cells
    (sums of published classes: the same for every viewer, never per request)."""
    result: dict[str, MeasuredUse] = {}
    for name in (EVERYONE, *functions):
        inside = scope_predicate(release.tree, None, None if name == EVERYONE else name)
        cell = release.cell(inside)
        if cell is None:
            result[name] = MeasuredUse(status=FigureStatus.NOT_ENOUGH_RESPONSES, reason=MERGED)
            continue
        active = sum(cell.furthest[ACTIVE_FROM:])
        result[name] = MeasuredUse(
            status=FigureStatus.SHOWN,
            licensed=cell.licensed,
            active_28d=share(active, cell.licensed),
        )
    return result


def released_shadow_ai(session: Session, survey: Survey, policy: PrivacyPolicy) -> ShadowAiOut:
    """Shadow AI per function from the survey's release: every share is a sum of published
    groups (each with at least k answers, never all alike), the same for every viewer."""
    release = latest_survey_release(session, survey)
    if release is None:
        return ShadowAiOut(
            survey=survey.name,
            groups=[ShadowGroup(group=EVERYONE, status=FigureStatus.NOT_ENOUGH_RESPONSES)],
        )
    functions = sorted({code.function for code, _ in release.classes if code.function})
    groups = [
        _released_group(release, name, None if name == EVERYONE else name)
        for name in (EVERYONE, *functions)
    ]
    organisation = organisation_of(session)
    adoption = (
        None
        if organisation is None
        else latest_adoption_release(session, organisation, release.answers_through)
    )
    if adoption is None:
        return ShadowAiOut(
            survey=survey.name,
            groups=groups,
            released_through=release.answers_through,
            measured_reason=NO_MONTH,
        )
    measured = measured_from_release(adoption, functions)
    return ShadowAiOut(
        survey=survey.name,
        groups=[g.model_copy(update={"measured": measured.get(g.group)}) for g in groups],
        released_through=release.answers_through,
        measured_as_of=adoption.month_end,
    )


def _released_group(release: SurveyRelease, name: str, function: str | None) -> ShadowGroup:
    inside = cell_predicate(release.tree, function=function)
    tools = release.answers(TOOLS.key, inside)
    if tools is None:
        return ShadowGroup(group=name, status=FigureStatus.NOT_ENOUGH_RESPONSES)
    n, counts = tools
    shadow = release.answers(UNSANCTIONED, inside)
    result = ShadowGroup(
        group=name,
        status=FigureStatus.SHOWN,
        n=n,
        sanctioned=share(counts[SANCTIONED], n),
        unsanctioned=None if shadow is None else share(shadow[1][1], shadow[0]),
    )
    uses = release.answers(SHADOW_USE.key, inside)
    reasons = release.answers(SHADOW_REASON.key, inside)
    if uses is None or reasons is None:
        return result.model_copy(update={"follow_up_status": FigureStatus.NOT_ENOUGH_RESPONSES})
    return result.model_copy(
        update={
            "unsanctioned_n": uses[0],
            "follow_up_status": FigureStatus.SHOWN,
            "uses": {
                option: share(uses[1][i], uses[0]) for i, option in enumerate(SHADOW_USE.options)
            },
            "reasons": {
                option: share(reasons[1][i], reasons[0])
                for i, option in enumerate(SHADOW_REASON.options)
            },
        }
    )


def viewer_shadow_ai(
    session: Session, viewer: str, survey_name: str | None, policy: PrivacyPolicy
) -> ShadowAiOut:
    """Shadow AI from the release, with the view written to the audit log."""
    survey = find_survey(session, survey_name)
    result = released_shadow_ai(session, survey, policy)
    record(session, viewer, "view_shadow_ai", survey.name)
    return result
