"""Builds the scorecard from the friction and feedback releases (gaplens/releases/).

The rules live in `rules.py`. Nothing here reads a friction entry, a feedback item or a
telemetry row: a use case's figures are sums of the published friction classes and
feedback classes of that use case whose whole period lies in the view (and, for friction,
whose team is in its scope), so every viewer gets the same card and two views differ by
whole classes of at least k entries or items, never by one.

Feedback carries no team, so a card for a team leaves it out rather than count everyone's
feedback as the team's. Copilot telemetry no longer feeds the card: no release publishes
acceptance rates per Copilot feature (the measured release's AI-usage intensity is a
per-person level, not a use case). The card says so in `notes`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Sequence

from sqlalchemy.orm import Session

from gaplens.privacy import PrivacyPolicy
from gaplens.releases.feedback.periods import thursday_weeks
from gaplens.releases.feedback.queries import (
    FeedbackClass,
    FeedbackRelease,
    latest_feedback_release,
)
from gaplens.releases.friction.queries import (
    FrictionClass,
    FrictionRelease,
    Sums,
    latest_friction_release,
)
from gaplens.scorecard.rules import (
    Evidence,
    Status,
    classify,
    correction_evidence,
    feedback_evidence,
    net_minutes_of_groups,
)
from gaplens.scorecard.schemas import EvidenceOut, Scorecard, TopUseCases, UseCaseScore

FEATURE_USE_CASES: dict[str, str] = {
    "code_completion": "code completion",
    "chat_inline": "inline chat",
    "chat_panel_ask_mode": "chat questions",
    "chat_panel_edit_mode": "chat edits",
    "chat_panel_agent_mode": "agent mode",
    "chat_panel_custom_mode": "agent mode",
    "agent_edit": "agent mode",
}
"""Copilot `totals_by_feature[].feature` -> the use case it speaks for: the names the
friction form suggests, so logs name workflows the way the telemetry does."""

RULES = [
    "Figures are sums of the friction release's published groups (each of at least k = 5 "
    "logged outputs whose outcomes are not all alike) and of the feedback release's "
    "published groups of the use case (each of at least k = 5 items whose kinds are not all "
    "alike) lying wholly inside the period.",
    "Friction log leans friction when the correction-rate interval's lower bound is above 50%.",
    "Friction log leans working when the net-minutes interval (over the published groups) is "
    "wholly above 0, friction when wholly below 0.",
    "Feedback leans working when the interval of the share of working among working and "
    "friction items is wholly above 50%, friction when wholly below.",
    "Unknown when no measure has enough data, or when measures lean opposite ways.",
    "Friction when the friction log or feedback leans friction.",
    "Working when net minutes and feedback both lean working.",
    "Unknown otherwise.",
]
NO_FEEDBACK_RELEASE = (
    "Nothing published from the feedback channel yet, so feedback is not evidence here; a "
    "use case cannot be classed working until it is (working needs net minutes and "
    "feedback to agree)."
)
FEEDBACK_NO_TEAM = (
    "Feedback carries no team, so a team's card leaves it out rather than count everyone's "
    "feedback as the team's; a use case cannot be classed working for a team (working needs "
    "net minutes and feedback to agree)."
)
NO_TELEMETRY = (
    "Copilot acceptance rates per feature are not published in any release (the measured "
    "release's AI-usage intensity is a level per person, not per use case), so telemetry "
    "is not evidence here."
)


def scorecard(
    session: Session,
    start: dt.date,
    end: dt.date,
    *,
    team_ids: Collection[int] | None = None,
    release: FrictionRelease | None = None,
    feedback: FeedbackRelease | None = None,
) -> Scorecard:
    """Every use case published in [start, end], classed working / friction / unknown.

    [start, end] snaps to the ISO weeks whose Thursday lies in it (a calendar month or
    quarter becomes the release's month or quarter). A class counts only if its whole
    period (an ISO week, or the weeks of a month or a quarter) lies in those weeks and, with
    `team_ids`, its team is one of them. `release` and `feedback`: the latest friction and
    feedback releases, when the caller already loaded them."""
    if release is None:
        release = latest_friction_release(session)
    if feedback is None and team_ids is None:
        feedback = latest_feedback_release(session)
    return scorecard_of(release, start, end, team_ids, feedback)


def scorecard_of(
    release: FrictionRelease | None,
    start: dt.date,
    end: dt.date,
    team_ids: Collection[int] | None = None,
    feedback: FeedbackRelease | None = None,
) -> Scorecard:
    """The card from loaded releases: sums of their classes, no threshold decided here.
    With `team_ids`, `feedback` is not read (it carries no team)."""
    start, end = thursday_weeks(start, end)
    base = Scorecard(
        period_from=start,
        period_to=end,
        min_group_size=(
            PrivacyPolicy().min_group_size if release is None else release.min_group_size
        ),
        release=None if release is None else release.seq,
        released_through=None if release is None else release.through,
        feedback_release=None if feedback is None or team_ids is not None else feedback.seq,
        feedback_through=(None if feedback is None or team_ids is not None else feedback.through),
        use_cases=[],
        other_entries=0,
        notes=[],
        rules=RULES,
    )
    if release is None:
        return base.model_copy(
            update={
                "notes": [
                    "Nothing published from the friction log yet: entries are published "
                    "once their week is over and enough of them can be shown together.",
                    FEEDBACK_NO_TEAM if team_ids is not None else NO_FEEDBACK_RELEASE,
                    NO_TELEMETRY,
                ]
            }
        )
    k = release.min_group_size
    scope = None if team_ids is None else frozenset(team_ids)
    classes = release.inside(start, end, None if scope is None else scope.__contains__)
    by_key: dict[str, list[FrictionClass]] = defaultdict(list)
    for c in classes:
        if c.use_case is not None:
            by_key[c.use_case].append(c)
    said: dict[str, list[FeedbackClass]] | None = None
    if feedback is not None and scope is None:
        said = feedback.use_cases(start, end)
        for key in said:
            by_key.setdefault(key, [])
    scores = [
        score_use_case(key, mine, k, None if said is None else said.get(key, []))
        for key, mine in by_key.items()
    ]
    order = {Status.WORKING.value: 0, Status.FRICTION.value: 1, Status.UNKNOWN.value: 2}
    scores.sort(key=lambda s: (order[s.status], s.label))
    other = sum(c.n for c in classes if c.use_case is None)
    return base.model_copy(
        update={
            "use_cases": scores,
            "other_entries": other,
            "notes": _notes(
                release, None if scope is not None else feedback, start, end, scope, other
            ),
        }
    )


def _notes(
    release: FrictionRelease,
    feedback: FeedbackRelease | None,
    start: dt.date,
    end: dt.date,
    scope: frozenset[int] | None,
    other: int,
) -> list[str]:
    """What is not in the figures, and why, in plain words."""
    notes = []
    elsewhere = sorted({p.describe() for p in release.straddling(start, end)})
    if elsewhere:
        notes.append(
            "Entries of quiet weeks are published only with their month or quarter "
            f"({', '.join(elsewhere)}), which runs past this period, so they are not in "
            "these figures; a longer period includes them."
        )
    if end > release.through:
        notes.append(f"Weeks after {release.through} are not published yet.")
    if other:
        notes.append(
            f"{other} logged outputs are published only together with other use cases "
            "(their use case had too few entries in a quarter to be shown alone, or they "
            "were all alike), so no use case is named for them."
        )
    if scope is not None:
        notes.append(
            "For a team: groups published with the team or a team below it; entries of a "
            "team too small alone are published with its parent team or with no team, and "
            "are not counted here."
        )
        notes.append(FEEDBACK_NO_TEAM)
    elif feedback is None:
        notes.append(NO_FEEDBACK_RELEASE)
    else:
        notes += _feedback_notes(feedback, start, end)
    notes.append(NO_TELEMETRY)
    return notes


def _feedback_notes(feedback: FeedbackRelease, start: dt.date, end: dt.date) -> list[str]:
    """What of the feedback release is not in the use cases' feedback figures."""
    notes = []
    elsewhere = sorted({p.describe() for p in feedback.straddling(start, end)})
    if elsewhere:
        notes.append(
            "Feedback of quiet weeks is published only with its month or quarter "
            f"({', '.join(elsewhere)}), which runs past this period, so it is not in these "
            "figures."
        )
    if end > feedback.through:
        notes.append(f"Feedback of weeks after {feedback.through} is not published yet.")
    unnamed = sum(c.n for c in feedback.inside(start, end) if c.use_case is None)
    if unnamed:
        notes.append(
            f"{unnamed} feedback items are published with no use case (they named none, or "
            "their use case had too few items in a quarter to be shown alone, or its items "
            "were all of one kind), so they are not evidence for any use case."
        )
    return notes


def score_use_case(
    key: str,
    classes: Sequence[FrictionClass],
    k: int,
    feedback: Sequence[FeedbackClass] | None = None,
) -> UseCaseScore:
    """Evidence from one use case's published classes (friction, and feedback unless None:
    a team's card), then the rules. Pure: no database."""
    sums = Sums.of(classes)
    groups = [
        (c.minutes_saved - c.minutes_lost, c.n)
        for c in classes
        if c.minutes_saved is not None and c.minutes_lost is not None
    ]
    evidence: list[Evidence] = [
        correction_evidence(sums.corrected, sums.n, k),
        net_minutes_of_groups(groups),
    ]
    if feedback is not None:
        evidence.append(
            feedback_evidence(
                sum(c.count("working") for c in feedback),
                sum(c.count("friction") for c in feedback),
                k,
            )
        )
    verdict = classify(evidence)
    weight: dict[str, int] = defaultdict(int)
    for c in classes:
        weight[c.label or key] += c.n
    for f in feedback or ():
        weight[f.label or key] += f.n
    return UseCaseScore(
        key=key,
        label=min(weight, key=lambda text: (-weight[text], text)),
        status=verdict.status.value,
        reason=verdict.reason,
        evidence=[_out(e) for e in evidence],
    )


def _out(evidence: Evidence) -> EvidenceOut:
    estimate = evidence.estimate
    return EvidenceOut(
        source=evidence.source.value,
        measure=evidence.measure,
        n=evidence.n,
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
