"""Shadow-AI view: which functions turn to unsanctioned tools, for what, and why."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.audit.service import record
from gaplens.directory.models import Person
from gaplens.perception.figures import share
from gaplens.privacy import PrivacyPolicy, suppress_breakdown
from gaplens.releases.queries import SurveyRelease, cell_predicate, latest_survey_release
from gaplens.releases.service import UNSANCTIONED
from gaplens.report.schemas import FigureStatus
from gaplens.shadow.schemas import MeasuredUse, ShadowAiOut, ShadowGroup
from gaplens.surveys.models import Survey
from gaplens.surveys.question_bank import SHADOW_REASON, SHADOW_USE, entry
from gaplens.surveys.service import find_survey
from gaplens.telemetry.models import AiUsageDay

TOOLS = entry("shadow_tools", 1)
SANCTIONED = 0
EVERYONE = "everyone"
UNSPECIFIED = "unspecified"


def measured_sanctioned_use(
    session: Session, as_of: dt.date, policy: PrivacyPolicy
) -> dict[str, MeasuredUse]:
    """Per function (and 'everyone'): licensed people, and how many were active with a
    sanctioned tool in the 28 days to `as_of`. Small functions are hidden, with complementary
    suppression so no hidden function can be had by subtraction. Empty without telemetry."""
    if session.scalar(select(AiUsageDay.person_id).limit(1)) is None:
        return {}
    window_start = as_of - dt.timedelta(days=27)
    active = set(
        session.scalars(
            select(AiUsageDay.person_id)
            .where(AiUsageDay.day >= window_start, AiUsageDay.day <= as_of)
            .distinct()
        )
    )
    licensed: dict[str, list[str]] = defaultdict(list)
    for pid, function in session.execute(
        select(Person.id, Person.function).where(
            Person.ai_licence_date.is_not(None), Person.ai_licence_date <= as_of
        )
    ):
        licensed[function].append(pid)
    total = sum(len(ids) for ids in licensed.values())
    decisions = suppress_breakdown(total, {f: len(ids) for f, ids in licensed.items()}, policy)
    result: dict[str, MeasuredUse] = {}
    everyone = [pid for ids in licensed.values() for pid in ids]
    for name, ids, shown in [
        (EVERYONE, everyone, total >= policy.min_group_size),
        *((f, ids, decisions[f].shown) for f, ids in licensed.items()),
    ]:
        if not shown:
            result[name] = MeasuredUse(status=FigureStatus.NOT_ENOUGH_RESPONSES)
            continue
        n_active = sum(1 for pid in ids if pid in active)
        result[name] = MeasuredUse(
            status=FigureStatus.SHOWN, licensed=len(ids), active_28d=share(n_active, len(ids))
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
    as_of = release.answers_through
    measured = measured_sanctioned_use(session, as_of, policy)
    if measured:
        groups = [g.model_copy(update={"measured": measured.get(g.group)}) for g in groups]
    return ShadowAiOut(
        survey=survey.name, groups=groups, measured_as_of=as_of if measured else None
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
