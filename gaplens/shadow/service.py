"""Shadow-AI view: which functions turn to unsanctioned tools, for what, and why."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gaplens.audit.service import record, staff_gate
from gaplens.directory.models import Person
from gaplens.perception.figures import share
from gaplens.privacy import PrivacyGate, PrivacyPolicy, QueryRefused, suppress_breakdown
from gaplens.report.schemas import FigureStatus
from gaplens.shadow.schemas import MeasuredUse, ShadowAiOut, ShadowGroup
from gaplens.surveys.models import BankQuestion, Survey, SurveyAnswer, SurveyResponse
from gaplens.surveys.question_bank import SHADOW_REASON, SHADOW_USE, entry
from gaplens.surveys.service import find_survey
from gaplens.telemetry.models import AiUsageDay

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
    as_of = session.scalar(
        select(func.max(SurveyResponse.answered_on)).where(SurveyResponse.survey_id == survey.id)
    )
    measured = measured_sanctioned_use(session, as_of, gate.policy) if as_of else {}
    if measured:
        groups = [g.model_copy(update={"measured": measured.get(g.group)}) for g in groups]
    return ShadowAiOut(
        survey=survey.name, groups=groups, measured_as_of=as_of if measured else None
    )


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
