"""Pure reflection figures: which series to schedule, participation per step, confidence,
themes and the later-usage comparison. Every group passes the privacy gate first.

Participation sets are invitation ids and text sets are entry ids, in their own namespaces,
so the gate's differencing history treats them as what they are: who was asked, and what
was written, which are never the same people as far as any query can tell.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from gaplens.privacy import Comment, PrivacyGate, QueryRefused
from gaplens.reflections.queries import EntryFact, InvitationFact, Trigger
from gaplens.reflections.schemas import (
    GroupParticipation,
    Interval,
    StepConfidence,
    StepParticipation,
    ThemeOut,
    ThemesOut,
    UsageComparison,
)
from gaplens.reflections.steps import LAST_STEP, STEPS, Step
from gaplens.stats import mean_interval, wilson_interval
from gaplens.stats.did import NotEnoughData, two_group_difference
from gaplens.themes import extract_themes

INVITATION_PREFIX = "reflection-invitation:"
ENTRY_PREFIX = "reflection-entry:"
MEMBER_CHARS = 32
"""The audit table's member column is 32 characters: members are 31 hex digits of a hash of
the prefixed id, after a letter naming the kind (i: invitation, e: entry)."""
OVERLAP_DAYS = 7
"""A trigger within a week of another series of the same person starts no new series."""
USAGE_WINDOW_DAYS = 28
COMMENT_SEED = 32452843
THEME_EXAMPLES = 2
PARTICIPANT_DEFINITION = (
    "Participants completed the +1-week reflection of their series; non-participants were "
    "sent that link and did not use it. Each +1-week invitation is one unit."
)
CAVEAT = (
    "Observational, not an experiment: people choose whether to reflect, and those who do "
    "may be the ones who would use AI more anyway. The same groups' use in the four weeks "
    "before their trigger is shown beside it: a gap there is selection; no gap there does "
    "not rule selection out (before a first use there is no usage at all)."
)


# --- scheduling ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    new: list[Trigger]
    already: int
    overlapping: int


def plan_series(
    triggers: Sequence[Trigger],
    existing: Mapping[str, tuple[str, dt.date]],
    series_id: Callable[[str], str],
) -> Plan:
    """Which triggers start a new series: not one already scheduled (same deterministic id),
    and not one within a week of another series of the same person (one loop at a time).
    Triggers are taken in day order, so the result does not depend on the query's order."""
    taken: dict[str, list[dt.date]] = defaultdict(list)
    for person, day in existing.values():
        taken[person].append(day)
    new: list[Trigger] = []
    already = overlapping = 0
    for trigger in sorted(triggers, key=lambda t: (t.day, t.key)):
        if series_id(trigger.key) in existing:
            already += 1
            continue
        days = taken[trigger.person_id]
        if any(abs((trigger.day - day).days) <= OVERLAP_DAYS for day in days):
            overlapping += 1
            continue
        days.append(trigger.day)
        new.append(trigger)
    return Plan(new, already, overlapping)


# --- participation -------------------------------------------------------------------------


def member(prefix: str, key: str) -> str:
    """One respondent as the query auditor sees it, apart from every other kind of id."""
    digest = hashlib.sha256((prefix + key).encode()).hexdigest()
    return prefix[len("reflection-")] + digest[: MEMBER_CHARS - 1]


def invitation_members(facts: Sequence[InvitationFact]) -> frozenset[str]:
    return frozenset(member(INVITATION_PREFIX, f.id) for f in facts)


def entry_members(facts: Sequence[EntryFact]) -> frozenset[str]:
    return frozenset(member(ENTRY_PREFIX, f.id) for f in facts)


def interval(successes: int, n: int) -> Interval:
    estimate = wilson_interval(successes, n)
    return Interval(estimate=estimate.value, low=estimate.low, high=estimate.high)


def step_participation(
    step: Step, facts: Sequence[InvitationFact], by: str, gate: PrivacyGate, viewer: str
) -> StepParticipation:
    """Links issued and used for one step, overall and per function or team.

    Only issued links count as invited: an invitation whose link never went out asked no
    one. Rows go through `gate.breakdown`, so a small group, or one derivable by
    subtraction, is counted as hidden and never listed."""
    k = gate.policy.min_group_size
    issued = [f for f in facts if f.step == step.key and f.issued]
    base = {"step": step.key, "label": step.label, "offset_days": step.offset_days}
    if len(issued) < k:
        return StepParticipation(
            **base, status="not_enough_data", reason=f"fewer than {k} links sent in the period"
        )
    groups: dict[str, list[InvitationFact]] = defaultdict(list)
    labels: dict[str, str] = {}
    for fact in issued:
        key = fact.function if by == "function" else fact.team_key
        groups[key].append(fact)
        labels[key] = fact.function if by == "function" else fact.team_name
    decisions = gate.breakdown(
        viewer,
        invitation_members(issued),
        {key: invitation_members(group) for key, group in sorted(groups.items())},
    )
    rows = [
        GroupParticipation(
            key=key,
            label=labels[key],
            invited=len(groups[key]),
            reflected=sum(f.used for f in groups[key]),
            rate=interval(sum(f.used for f in groups[key]), len(groups[key])),
        )
        for key, decision in decisions.items()
        if decision.shown
    ]
    used = sum(f.used for f in issued)
    return StepParticipation(
        **base,
        status="shown",
        invited=len(issued),
        reflected=used,
        rate=interval(used, len(issued)),
        groups=sorted(rows, key=lambda r: (-r.invited, r.label)),
        hidden_groups=len(groups) - len(rows),
    )


# --- what was written ----------------------------------------------------------------------


def confidence_by_step(
    entries: Sequence[EntryFact], gate: PrivacyGate, viewer: str
) -> list[StepConfidence]:
    """Mean self-rated confidence per step; Slack reflections have no step (remainder)."""
    rated = [e for e in entries if e.confidence is not None]
    by_step: dict[str, list[EntryFact]] = {s.key: [] for s in STEPS}
    for entry in rated:
        if entry.step in by_step:
            by_step[entry.step].append(entry)
    decisions = gate.breakdown(
        viewer, entry_members(rated), {key: entry_members(group) for key, group in by_step.items()}
    )
    result = []
    for step in STEPS:
        group = by_step[step.key]
        decision = decisions[step.key]
        if not decision.shown:
            status = "not_enough_data" if len(group) < gate.policy.min_group_size else "suppressed"
            result.append(StepConfidence(step=step.key, label=step.label, status=status))
            continue
        estimate = mean_interval([float(e.confidence or 0) for e in group])
        result.append(
            StepConfidence(
                step=step.key,
                label=step.label,
                status="shown",
                n=len(group),
                mean=Interval(estimate=estimate.value, low=estimate.low, high=estimate.high),
            )
        )
    return result


def themes_of(entries: Sequence[EntryFact], gate: PrivacyGate, viewer: str) -> ThemesOut:
    """Offline themes (TF-IDF + NMF) of what was written, only above the comment threshold.

    The texts go through `gate.comments` first (threshold, shuffle, per-viewer differencing
    of comment sets); a theme smaller than the threshold is not shown."""
    c = gate.policy.min_comment_group_size
    written = [e for e in entries if e.text.strip()]
    released = gate.comments(
        viewer,
        entry_members(written),
        [Comment(e.text, e.written_in) for e in written],
        seed=COMMENT_SEED,
    )
    if released is None:
        return ThemesOut(
            status="not_enough_data", reason=f"themes need at least {c} written reflections"
        )
    texts = sorted(r.text for r in released)  # canonical order: themes depend on content only
    themes = [
        ThemeOut(
            label=theme.label,
            terms=list(theme.terms),
            size=theme.size,
            sentiment_label=theme.sentiment_label,
            examples=[texts[i] for i in theme.representative[:THEME_EXAMPLES]],
        )
        for theme in extract_themes(texts, min_theme_size=c)
        if theme.size >= c
    ]
    return ThemesOut(status="shown", texts=len(texts), themes=themes)


# --- later usage ---------------------------------------------------------------------------


def days_between(days: Sequence[dt.date], first: dt.date, last: dt.date) -> int:
    """How many of the sorted `days` fall within [first, last]."""
    return bisect.bisect_right(days, last) - bisect.bisect_left(days, first)


def comparison_cutoff(as_of: dt.date, window: int = USAGE_WINDOW_DAYS) -> dt.date:
    """Last due day whose window is covered, rounded down to a month end, so the set of
    series compared changes only by whole months (not day by day) as data arrives."""
    covered = as_of - dt.timedelta(days=window)
    next_day = covered + dt.timedelta(days=1)
    return covered if next_day.day == 1 else covered.replace(day=1) - dt.timedelta(days=1)


def usage_comparison(
    facts: Sequence[InvitationFact],
    days: Mapping[str, Sequence[dt.date]],
    usage_start: dt.date | None,
    as_of: dt.date | None,
    gate: PrivacyGate,
    viewer: str,
    rng: np.random.Generator,
) -> UsageComparison:
    """Active AI-usage days in the 4 weeks after the +1-week step: participants minus
    non-participants, with a percentile bootstrap interval; each group needs k units."""
    k = gate.policy.min_group_size
    base = {
        "window_days": USAGE_WINDOW_DAYS,
        "participant_definition": PARTICIPANT_DEFINITION,
        "caveat": CAVEAT,
    }
    if as_of is None or usage_start is None:
        return UsageComparison(**base, status="not_enough_data", reason="no AI-usage data imported")
    cutoff = comparison_cutoff(as_of)
    units = [f for f in facts if f.step == LAST_STEP and f.issued and f.due_on <= cutoff]
    if not units:
        return UsageComparison(
            **base,
            status="not_enough_data",
            reason=f"usage data up to {as_of} covers no +1-week step of the period with the "
            f"{USAGE_WINDOW_DAYS} days after it",
        )
    participants = [f for f in units if f.used]
    others = [f for f in units if not f.used]
    try:
        decisions = gate.breakdown(
            viewer,
            invitation_members(units),
            {
                "participants": invitation_members(participants),
                "non_participants": invitation_members(others),
            },
        )
    except QueryRefused as refused:
        return UsageComparison(**base, status="suppressed", reason=str(refused))
    if not all(d.shown for d in decisions.values()):
        below = any(d.n < k for d in decisions.values())
        return UsageComparison(
            **base,
            status="not_enough_data" if below else "suppressed",
            reason=f"each group needs at least {k} people"
            if below
            else "withheld so that a smaller group cannot be worked out by comparing views",
        )

    def after(fact: InvitationFact) -> float:
        first = fact.due_on + dt.timedelta(days=1)
        last = fact.due_on + dt.timedelta(days=USAGE_WINDOW_DAYS)
        return float(days_between(days.get(fact.person_id, ()), first, last))

    def before(fact: InvitationFact) -> float:
        first = fact.trigger_on - dt.timedelta(days=USAGE_WINDOW_DAYS)
        last = fact.trigger_on - dt.timedelta(days=1)
        return float(days_between(days.get(fact.person_id, ()), first, last))

    groups = ("participants", "non-participants")
    later = two_group_difference(
        [after(f) for f in participants],
        [after(f) for f in others],
        rng,
        min_persons=k,
        groups=groups,
    )
    if isinstance(later, NotEnoughData):
        return UsageComparison(**base, status="not_enough_data", reason=later.reason)
    baseline: Interval | None = None
    earliest_trigger = min(f.trigger_on for f in units)
    if earliest_trigger - dt.timedelta(days=USAGE_WINDOW_DAYS) >= usage_start:
        earlier = two_group_difference(
            [before(f) for f in participants],
            [before(f) for f in others],
            rng,
            min_persons=k,
            groups=groups,
        )
        if not isinstance(earlier, NotEnoughData):
            baseline = Interval(estimate=earlier.estimate, low=earlier.low, high=earlier.high)
    return UsageComparison(
        **base,
        status="shown",
        participants=later.n_a,
        non_participants=later.n_b,
        participants_mean=later.value_a,
        non_participants_mean=later.value_b,
        difference=Interval(estimate=later.estimate, low=later.low, high=later.high),
        baseline_difference=baseline,
    )
