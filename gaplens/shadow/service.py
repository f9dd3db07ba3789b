"""Shadow-AI view: which functions turn to unsanctioned tools, for what, and why."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.audit.service import record, staff_gate
from gaplens.perception.figures import share
from gaplens.privacy import PrivacyGate, PrivacyPolicy, QueryRefused
from gaplens.report.schemas import FigureStatus
from gaplens.shadow.schemas import ShadowAiOut, ShadowGroup
from gaplens.surveys.models import BankQuestion, Survey, SurveyAnswer, SurveyResponse
from gaplens.surveys.question_bank import SHADOW_REASON, SHADOW_USE, entry
from gaplens.surveys.service import find_survey

TOOLS = entry("shadow_tools", 1)
SANCTIONED = 0
EVERYONE = "everyone"
UNSPECIFIED = "unspecified"


@dataclass
class _Person:
    function: str
    tools: set[int] = field(default_factory=set)
    uses: set[int] = field(default_factory=set)
    reasons: set[int] = field(default_factory=set)


def shadow_ai(session: Session, survey: Survey, gate: PrivacyGate, viewer: str) -> ShadowAiOut:
    people = _answers(session, survey)
    by_function: dict[str, set[str]] = defaultdict(set)
    for rid, person in people.items():
        by_function[person.function].add(rid)
    everyone = frozenset(people)
    groups: list[ShadowGroup] = []
    try:
        decisions = gate.breakdown(
            viewer, everyone, {f: frozenset(ids) for f, ids in by_function.items()}
        )
    except QueryRefused:
        return ShadowAiOut(
            survey=survey.name,
            groups=[ShadowGroup(group=EVERYONE, status=FigureStatus.SUPPRESSED)],
        )
    k = gate.policy.min_group_size
    groups.append(_group(EVERYONE, [people[r] for r in everyone], k, len(everyone) >= k))
    for function in sorted(by_function):
        decision = decisions[function]
        members = [people[r] for r in by_function[function]]
        if decision.shown:
            groups.append(_group(function, members, k, True))
        else:
            status = (
                FigureStatus.NOT_ENOUGH_RESPONSES if decision.n < k else FigureStatus.SUPPRESSED
            )
            groups.append(ShadowGroup(group=function, status=status))
    return ShadowAiOut(survey=survey.name, groups=groups)


def viewer_shadow_ai(
    session: Session, viewer: str, survey_name: str | None, policy: PrivacyPolicy
) -> ShadowAiOut:
    """Shadow AI as one staff member may see it (rule 3 across their earlier views), audited."""
    survey = find_survey(session, survey_name)
    result = shadow_ai(session, survey, staff_gate(session, policy), viewer)
    record(session, viewer, "view_shadow_ai", survey.name)
    return result


def _group(name: str, members: list[_Person], k: int, shown: bool) -> ShadowGroup:
    if not shown or not members:
        return ShadowGroup(group=name, status=FigureStatus.NOT_ENOUGH_RESPONSES)
    n = len(members)
    shadow = [p for p in members if p.tools - {SANCTIONED}]
    result = ShadowGroup(
        group=name,
        status=FigureStatus.SHOWN,
        n=n,
        sanctioned=share(sum(SANCTIONED in p.tools for p in members), n),
        unsanctioned=share(len(shadow), n),
    )
    # The follow-ups describe a subgroup: it needs k of its own, and so does its complement
    # (or a reader could subtract it from n).
    m = len(shadow)
    if m < k or 0 < n - m < k:
        return result.model_copy(update={"follow_up_status": FigureStatus.NOT_ENOUGH_RESPONSES})
    return result.model_copy(
        update={
            "unsanctioned_n": m,
            "follow_up_status": FigureStatus.SHOWN,
            "uses": {
                option: share(sum(i in p.uses for p in shadow), m)
                for i, option in enumerate(SHADOW_USE.options)
            },
            "reasons": {
                option: share(sum(i in p.reasons for p in shadow), m)
                for i, option in enumerate(SHADOW_REASON.options)
            },
        }
    )


def _answers(session: Session, survey: Survey) -> dict[str, _Person]:
    """Everyone who answered the tools question, with their function band and follow-ups."""
    rows = session.execute(
        select(
            SurveyResponse.id,
            SurveyResponse.function,
            BankQuestion.key,
            SurveyAnswer.option_index,
        )
        .join(SurveyAnswer, SurveyAnswer.response_id == SurveyResponse.id)
        .join(BankQuestion, BankQuestion.id == SurveyAnswer.question_id)
        .where(
            SurveyResponse.survey_id == survey.id,
            BankQuestion.key.in_(["shadow_tools", SHADOW_USE.key, SHADOW_REASON.key]),
        )
    )
    people: dict[str, _Person] = {}
    for rid, function, key, option in rows:
        person = people.setdefault(rid, _Person(function or UNSPECIFIED))
        if option is None:
            continue
        {"shadow_tools": person.tools, SHADOW_USE.key: person.uses}.get(key, person.reasons).add(
            option
        )
    return {rid: p for rid, p in people.items() if p.tools}
