"""Pure reflection figures: which series to schedule, and the staff view's figures read
from the reflections release (participation per step, confidence, themes, later usage).

Every figure is a sum over published classes and groups inside the cell asked for
(`gaplens.releases.reflections`), so it is the same for every viewer and no set of views
can split a group: nothing here decides a threshold or reads an invitation or an entry.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from gaplens.reflections.queries import Trigger
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
from gaplens.releases.reflections.lattice import ReflectionCode
from gaplens.releases.reflections.queries import Predicate, ReflectionRelease, ReleasedGroup
from gaplens.releases.reflections.service import (
    CONFIDENCE,
    DAY_BIN_MIDPOINTS,
    INVITATION,
    TEXTS,
    USAGE,
    USAGE_WINDOW_DAYS,
)
from gaplens.stats import mean_interval, wilson_interval
from gaplens.stats.did import NotEnoughData, two_group_difference
from gaplens.themes import extract_themes

OVERLAP_DAYS = 7
"""A trigger within a week of another series of the same person starts no new series."""
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
NOT_RELEASED = (
    "no released group in this cell: a month is released once it is over and its links have "
    "expired, in groups of at least {k} links sent where some but not all were used"
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


def interval(successes: int, n: int) -> Interval:
    estimate = wilson_interval(successes, n)
    return Interval(estimate=estimate.value, low=estimate.low, high=estimate.high)


def both(first: Predicate, second: Predicate) -> Predicate:
    return lambda code: first(code) and second(code)


def of_step(key: str) -> Predicate:
    return lambda code: code.step == key


def step_participation(
    step: Step,
    release: ReflectionRelease | None,
    inside: Predicate,
    by: str,
    labels: Mapping[str, str],
    team_keys: Mapping[int, str],
) -> StepParticipation:
    """Links sent and used for one step in the cell, overall and per function or team.

    A row is the classes released at exactly that function or team; classes released only
    above it (a team too small on its own counts at its parent) are in the total, and
    `hidden_groups` says how many there are."""
    base = {"step": step.key, "label": step.label, "offset_days": step.offset_days}
    if release is None:
        return StepParticipation(**base, status="not_enough_data", reason="nothing released yet")
    here = both(inside, of_step(step.key))
    invited, used = release.invitations(here)
    if not invited:
        return StepParticipation(
            **base,
            status="not_enough_data",
            reason=NOT_RELEASED.format(k=release.min_group_size),
        )
    keys: dict[str, Predicate] = {}
    hidden = 0
    for code in release.codes(INVITATION, here):
        key = code.function if by == "function" else _team_key(code, team_keys)
        if key is None:
            hidden += 1
        elif key not in keys:
            keys[key] = _row(by, code)
    rows = []
    for key, row in keys.items():
        n, reflected = release.invitations(both(here, row))
        rows.append(
            GroupParticipation(
                key=key,
                label=labels.get(key, key),
                invited=n,
                reflected=reflected,
                rate=interval(reflected, n),
            )
        )
    return StepParticipation(
        **base,
        status="shown",
        invited=invited,
        reflected=used,
        rate=interval(used, invited),
        groups=sorted(rows, key=lambda r: (-r.invited, r.label)),
        hidden_groups=hidden,
    )


def _team_key(code: ReflectionCode, team_keys: Mapping[int, str]) -> str | None:
    return None if code.team is None else team_keys.get(code.team, str(code.team))


def _row(by: str, code: ReflectionCode) -> Predicate:
    if by == "function":
        function = code.function
        return lambda c: c.function == function
    team = code.team
    return lambda c: c.team == team


# --- what was written ----------------------------------------------------------------------


def confidence_by_step(
    release: ReflectionRelease | None, inside: Predicate
) -> list[StepConfidence]:
    """Mean self-rated confidence per step with a t-interval, over the released rating
    counts inside the cell (Slack reflections have no step and are in none)."""
    result = []
    for step in STEPS:
        found = (
            [] if release is None else release.grouped(CONFIDENCE, both(inside, of_step(step.key)))
        )
        values = [
            float(rating)
            for group in found
            for rating, count in enumerate(group.counts["ratings"])
            if rating
            for _ in range(count)
        ]
        if len(values) < 2:
            result.append(StepConfidence(step=step.key, label=step.label, status="not_enough_data"))
            continue
        estimate = mean_interval(values)
        result.append(
            StepConfidence(
                step=step.key,
                label=step.label,
                status="shown",
                n=len(values),
                mean=Interval(estimate=estimate.value, low=estimate.low, high=estimate.high),
            )
        )
    return result


def themes_of(
    release: ReflectionRelease | None, inside: Predicate, min_theme_size: int
) -> ThemesOut:
    """Offline themes (TF-IDF + NMF) of the released texts inside the cell: each released
    text group holds at least the comment threshold of reflections, and a theme smaller than
    it is not formed."""
    found = [] if release is None else release.grouped(TEXTS, inside)
    if not found:
        return ThemesOut(
            status="not_enough_data",
            reason=f"themes need a released group of at least {min_theme_size} written "
            "reflections in the period",
        )
    texts = sorted(text for group in found for text in group.texts)
    themes = [
        ThemeOut(
            label=theme.label,
            terms=list(theme.terms),
            size=theme.size,
            sentiment_label=theme.sentiment_label,
            examples=[texts[i] for i in theme.representative[:THEME_EXAMPLES]],
        )
        for theme in extract_themes(texts, min_theme_size=min_theme_size)
    ]
    return ThemesOut(status="shown", texts=len(texts), themes=themes)


# --- later usage ---------------------------------------------------------------------------


def usage_comparison(
    release: ReflectionRelease | None, inside: Predicate, rng: np.random.Generator
) -> UsageComparison:
    """Active AI-usage days in the 4 weeks after the +1-week step: participants minus
    non-participants, over the released usage groups inside the cell (each with at least k
    of both, days in fixed bins), with a percentile bootstrap interval over the bins'
    midpoints. Beside it the same for the 4 weeks before the trigger, when released."""
    base = {
        "window_days": USAGE_WINDOW_DAYS,
        "participant_definition": PARTICIPANT_DEFINITION,
        "caveat": CAVEAT,
    }
    found = [] if release is None else release.grouped(USAGE, both(inside, of_step(LAST_STEP)))
    if release is None or not found:
        return UsageComparison(
            **base,
            status="not_enough_data",
            reason=f"no released comparison in this cell: it needs usage data covering the "
            f"{USAGE_WINDOW_DAYS} days after the +1-week step, and enough participants and "
            "non-participants (at least k of each, their days not all alike)",
        )
    sums = _sum_bins(found)
    groups = ("participants", "non-participants")
    later = two_group_difference(
        _values(sums["after_participants"]),
        _values(sums["after_others"]),
        rng,
        min_persons=1,
        groups=groups,
    )
    if isinstance(later, NotEnoughData):
        return UsageComparison(**base, status="not_enough_data", reason=later.reason)
    baseline: Interval | None = None
    if all("before_participants" in g.counts for g in found):
        earlier = two_group_difference(
            _values(sums["before_participants"]),
            _values(sums["before_others"]),
            rng,
            min_persons=1,
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


def _sum_bins(groups: Sequence[ReleasedGroup]) -> dict[str, list[int]]:
    sums: dict[str, list[int]] = defaultdict(lambda: [0] * len(DAY_BIN_MIDPOINTS))
    for group in groups:
        for key, counts in group.counts.items():
            for index, count in enumerate(counts):
                sums[key][index] += count
    return sums


def _values(counts: Sequence[int]) -> list[float]:
    """Each unit at its bin's midpoint: the days themselves are never published."""
    return [DAY_BIN_MIDPOINTS[i] for i, count in enumerate(counts) for _ in range(count)]
