"""Builds the scorecard from friction logs, feedback and Copilot telemetry.

The database is read here; the rules live in `rules.py`. Friction entries and feedback items
are each released as one breakdown by use case through the gate, exactly like the friction
summary, so a use case hidden there cannot be recovered here by subtraction.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gaplens.directory.identities import IdentityResolver
from gaplens.directory.models import IdentityKind
from gaplens.feedback.models import FeedbackItem
from gaplens.friction.figures import (
    Fact,
    group_figures,
    most_common_label,
    use_case_key,
    use_case_label,
)
from gaplens.friction.service import SERVICE_VIEWER, group_by_key, load_facts, members
from gaplens.privacy import PrivacyGate, PrivacyPolicy, QueryRefused
from gaplens.scorecard.rules import (
    Evidence,
    Lean,
    Source,
    Status,
    classify,
    correction_evidence,
    feedback_evidence,
    net_minutes_evidence,
    telemetry_evidence,
)
from gaplens.scorecard.schemas import EvidenceOut, Scorecard, TopUseCases, UseCaseScore
from gaplens.telemetry.models import (
    GITHUB_COPILOT,
    AiUsageDay,
    CopilotUserDay,
    CopilotUserDayFeature,
)

FEATURE_USE_CASES: dict[str, str] = {
    "code_completion": "code completion",
    "chat_inline": "inline chat",
    "chat_panel_ask_mode": "chat questions",
    "chat_panel_edit_mode": "chat edits",
    "chat_panel_agent_mode": "agent mode",
    "chat_panel_custom_mode": "agent mode",
    "agent_edit": "agent mode",
}
"""Copilot `totals_by_feature[].feature` -> the use case its acceptance rate speaks for.
People logging friction for these workflows should use these names (the form suggests them)."""

FEEDBACK_MEMBER_PREFIX = "feedback:"
TELEMETRY_MEMBER_PREFIX = "copilot:"
RULES = [
    "A measure counts only with at least k observations (k = the privacy threshold, 5).",
    "Friction log leans friction when the correction-rate interval's lower bound is above 50%.",
    "Friction log leans working when the net-minutes interval is wholly above 0, "
    "friction when wholly below 0.",
    "Feedback leans working when the working share's interval is wholly above 50%, "
    "friction when wholly below 50%.",
    "Telemetry leans working at an acceptance rate of 30% or more, friction below 20%; "
    "it never decides a class alone.",
    "Unknown when no measure has enough data, or when measures lean opposite ways.",
    "Friction when the friction log or feedback leans friction.",
    "Working when net minutes and feedback both lean working.",
    "Unknown otherwise.",
]


@dataclass
class FeatureUsage:
    feature: str
    acceptances: int = 0
    generations: int = 0
    users: set[str] = field(default_factory=set)
    withheld: bool = False
    """The users differ by fewer than k from a group this viewer already saw (rule 3)."""


@dataclass
class UseCaseInputs:
    """Everything known about one use case, before privacy and rules."""

    key: str
    labels: list[str] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    facts_shown: bool = False
    feedback_working: int = 0
    feedback_friction: int = 0
    feedback_shown: bool = False
    telemetry: list[FeatureUsage] = field(default_factory=list)


def scorecard(
    session: Session,
    start: dt.date,
    end: dt.date,
    *,
    gate: PrivacyGate | None = None,
    viewer: str = SERVICE_VIEWER,
    feature_map: Mapping[str, str] = FEATURE_USE_CASES,
    team_ids: Sequence[int] | None = None,
    people: Collection[str] | None = None,
    facts: Sequence[Fact] | None = None,
) -> Scorecard:
    """Every use case seen in the period, classed working / friction / unknown.

    Narrowed to a scope with `team_ids` (friction entries tagged with one of those teams)
    and `people` (their Copilot telemetry); feedback carries no team, so a narrowed
    scorecard leaves it out rather than count everyone's feedback as the scope's. `facts`:
    the same period's and teams' friction entries, when the caller already loaded them.
    """
    gate = gate if gate is not None else PrivacyGate(PrivacyPolicy())
    inputs: dict[str, UseCaseInputs] = {}

    def entry(key: str) -> UseCaseInputs:
        return inputs.setdefault(key, UseCaseInputs(key))

    if facts is None:
        facts = load_facts(session, start, end, team_ids)
    groups = group_by_key(facts)
    decisions = gate.breakdown(
        viewer, members(facts), {key: members(group) for key, group in groups.items()}
    )
    for key, group in groups.items():
        item = entry(key)
        item.facts = group
        item.labels.extend(f.label for f in group)
        item.facts_shown = decisions[key].shown

    narrowed = team_ids is not None or people is not None
    feedback = {} if narrowed else feedback_by_use_case(session, start, end)
    feedback_decisions = gate.breakdown(
        viewer,
        frozenset(row.member for rows in feedback.values() for row in rows),
        {key: frozenset(row.member for row in rows) for key, rows in feedback.items()},
    )
    for key, rows in feedback.items():
        item = entry(key)
        item.feedback_working = sum(row.kind == "working" for row in rows)
        item.feedback_friction = len(rows) - item.feedback_working
        item.feedback_shown = feedback_decisions[key].shown
        item.labels.extend(row.label for row in rows)

    for feature, usage in telemetry_by_feature(session, start, end, people).items():
        if feature in feature_map:
            usage.withheld = not _release_users(gate, viewer, usage.users)
            label = use_case_label(feature_map[feature])
            item = entry(use_case_key(label))
            item.telemetry.append(usage)
            item.labels.append(label)

    k = gate.policy.min_group_size
    mapped = {use_case_key(v) for v in feature_map.values()}
    scores = []
    withheld = 0
    for item in inputs.values():
        nameable = (
            (item.facts_shown or item.feedback_shown)
            or (item.key in mapped and any(len(u.users) >= k for u in item.telemetry))
            or len(item.facts) + item.feedback_working + item.feedback_friction >= k
        )
        if not nameable:
            withheld += 1
            continue
        scores.append(score_use_case(item, k))
    order = {Status.WORKING.value: 0, Status.FRICTION.value: 1, Status.UNKNOWN.value: 2}
    scores.sort(key=lambda s: (order[s.status], s.label))
    return Scorecard(
        period_from=start,
        period_to=end,
        min_group_size=k,
        use_cases=scores,
        withheld_use_cases=withheld,
        feature_map=dict(feature_map),
        rules=RULES,
    )


def score_use_case(item: UseCaseInputs, k: int) -> UseCaseScore:
    """Evidence from the released sources only, then the rules. Pure: no database."""
    evidence: list[Evidence] = []
    if item.facts_shown:
        figures = group_figures(item.facts, k)
        evidence.append(correction_evidence(figures.corrected, figures.n, k))
        evidence.append(net_minutes_evidence(figures.net_per_output, figures.net_n, k))
    elif item.facts:
        evidence.append(_withheld(Source.FRICTION_LOG, "correction_rate", k))
    if item.feedback_shown:
        evidence.append(feedback_evidence(item.feedback_working, item.feedback_friction, k))
    elif item.feedback_working or item.feedback_friction:
        evidence.append(_withheld(Source.FEEDBACK, "working_share", k))
    for usage in sorted(item.telemetry, key=lambda u: u.feature):
        if usage.withheld:
            evidence.append(_withheld(Source.TELEMETRY, f"acceptance_rate:{usage.feature}", k))
            continue
        evidence.append(
            telemetry_evidence(
                usage.feature, usage.acceptances, usage.generations, len(usage.users), k
            )
        )
    verdict = classify(evidence)
    return UseCaseScore(
        key=item.key,
        label=most_common_label(item.labels) if item.labels else item.key,
        status=verdict.status.value,
        reason=verdict.reason,
        evidence=[_out(e) for e in evidence],
    )


def _release_users(gate: PrivacyGate, viewer: str, users: set[str]) -> bool:
    """Whether a feature's pooled counts may be shown: a group of at least k Copilot users
    that is not within k of a user group this viewer saw before (e.g. a month earlier)."""
    members = frozenset(TELEMETRY_MEMBER_PREFIX + user for user in users)
    if len(members) < gate.policy.min_group_size:
        return True  # shown as "fewer than k" without a number; nothing to audit
    try:
        return gate.release_group(viewer, members)
    except QueryRefused:
        return False


def _withheld(source: Source, measure: str, k: int) -> Evidence:
    return Evidence(source, measure, 0, None, Lean.NEUTRAL, f"fewer than {k}, or withheld")


def _out(evidence: Evidence) -> EvidenceOut:
    estimate = evidence.estimate
    return EvidenceOut(
        source=evidence.source.value,
        measure=evidence.measure,
        n=evidence.n if estimate is not None else None,
        value=estimate.value if estimate else None,
        low=estimate.low if estimate else None,
        high=estimate.high if estimate else None,
        lean=evidence.lean.value,
        text=evidence.text,
    )


def top_use_cases(card: Scorecard, working: int = 3, friction: int = 3) -> TopUseCases:
    """The two or three that work (largest sure net gain first) and the few that hurt (most
    sure correction rate first), for the report's 'what works / what creates friction'."""

    def bound(score: UseCaseScore, measure: str, side: str) -> float:
        for e in score.evidence:
            if e.measure == measure and e.low is not None and e.high is not None:
                return e.low if side == "low" else e.high
        return float("-inf") if side == "low" else float("inf")

    works = [s for s in card.use_cases if s.status == Status.WORKING.value]
    hurts = [s for s in card.use_cases if s.status == Status.FRICTION.value]
    works.sort(key=lambda s: (-bound(s, "net_minutes", "low"), s.label))
    hurts.sort(
        key=lambda s: (
            -bound(s, "correction_rate", "low"),
            bound(s, "net_minutes", "high"),
            s.label,
        )
    )
    return TopUseCases(working=works[:working], friction=hurts[:friction])


@dataclass(frozen=True)
class FeedbackRow:
    kind: str
    member: str
    """The item's id as the gate sees it."""
    label: str


def feedback_by_use_case(
    session: Session, start: dt.date, end: dt.date
) -> dict[str, list[FeedbackRow]]:
    """Working and friction feedback naming a use case, grouped by use-case key."""
    rows = session.execute(
        select(FeedbackItem.id, FeedbackItem.kind, FeedbackItem.use_case).where(
            FeedbackItem.received_on >= start,
            FeedbackItem.received_on <= end,
            FeedbackItem.kind.in_(("working", "friction")),
            FeedbackItem.use_case.is_not(None),
        )
    ).all()
    result: dict[str, list[FeedbackRow]] = defaultdict(list)
    for item_id, kind, use_case in rows:
        key = use_case_key(use_case or "")
        if key:
            member = f"{FEEDBACK_MEMBER_PREFIX}{item_id}"
            result[key].append(FeedbackRow(kind, member, use_case_label(use_case or "")))
    return dict(result)


def telemetry_by_feature(
    session: Session, start: dt.date, end: dt.date, people: Collection[str] | None = None
) -> dict[str, FeatureUsage]:
    """Acceptances and generations per Copilot feature, with the users behind them.

    From `copilot_user_day_feature` (the report's `totals_by_feature`, parsed at import),
    summed in SQL per feature and user; when no user-day in the period has feature detail,
    the per-person `ai_usage_day` counts for GitHub Copilot stand in for `code_completion`
    (the legacy metrics count code completions only). With `people`, only their rows count
    (logins resolved through the directory's identities).
    """
    usage: dict[str, FeatureUsage] = {}
    logins: set[str] | None = None
    if people is not None:
        wanted = set(people)
        resolver = IdentityResolver.load(session, [IdentityKind.GITHUB])
        logins = {value for value, person in resolver.by_value.items() if person in wanted}
    first: dict[str, tuple[dt.date, str]] = {}
    f = CopilotUserDayFeature
    for feature, login, day, generations, acceptances in session.execute(
        select(
            f.feature,
            f.user_login,
            func.min(f.day),
            func.sum(f.generations),
            func.sum(f.acceptances),
        )
        .where(f.day >= start, f.day <= end)
        .group_by(f.feature, f.user_login)
    ):
        if logins is not None and login.lower() not in logins:
            continue
        item = usage.get(feature)
        if item is None:
            item = usage[feature] = FeatureUsage(feature)
            first[feature] = (day, login)
        else:
            first[feature] = min(first[feature], (day, login))
        item.generations += int(generations)
        item.acceptances += int(acceptances)
        item.users.add(login)
    if usage:
        order = _first_seen_order(session, first)
        return {feature: usage[feature] for feature in order}
    totals = session.execute(
        select(
            AiUsageDay.person_id,
            func.coalesce(func.sum(AiUsageDay.suggestions), 0),
            func.coalesce(func.sum(AiUsageDay.acceptances), 0),
        )
        .where(
            AiUsageDay.tool == GITHUB_COPILOT,
            AiUsageDay.day >= start,
            AiUsageDay.day <= end,
            AiUsageDay.suggestions.is_not(None),
        )
        .group_by(AiUsageDay.person_id)
    ).all()
    if people is not None:
        wanted = set(people)
        totals = [row for row in totals if row[0] in wanted]
    if totals:
        item = FeatureUsage("code_completion")
        for person, suggested, accepted in totals:
            item.generations += int(suggested or 0)
            item.acceptances += int(accepted or 0)
            item.users.add(person)
        usage["code_completion"] = item
    return usage


def _first_seen_order(session: Session, first: Mapping[str, tuple[dt.date, str]]) -> list[str]:
    """Features in the order a walk through the period's user-days in (day, login) order
    meets them, within one user-day in the order its export listed them: the order their
    user groups go through the gate, so which of two near-equal groups is withheld does not
    depend on how the database returns rows."""
    shared = Counter(first.values())
    position: dict[tuple[dt.date, str], list[str]] = {}
    for day, login in (pair for pair, features in shared.items() if features > 1):
        text = session.scalar(
            select(CopilotUserDay.features).where(
                CopilotUserDay.day == day, CopilotUserDay.user_login == login
            )
        )
        position[(day, login)] = _listed_names(text)

    def key(feature: str) -> tuple[dt.date, str, int, str]:
        day, login = first[feature]
        names = position.get((day, login), [])
        return day, login, names.index(feature) if feature in names else len(names), feature

    return sorted(first, key=key)


def _listed_names(text: str | None) -> list[str]:
    """The feature names of one stored `totals_by_feature`, in the export's order."""
    try:
        data = json.loads(text) if text else None
    except ValueError:
        return []
    if isinstance(data, dict):
        return [str(name) for name in data]
    if isinstance(data, list):
        return [
            e["feature"] for e in data if isinstance(e, dict) and isinstance(e.get("feature"), str)
        ]
    return []
