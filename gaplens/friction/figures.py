"""Pure friction arithmetic: what counts as a correction, minutes lost and saved, the trend.

No database and no privacy decisions here: the service picks the entries and the gate decides
which groups may be shown; these functions only turn a group's entries into numbers.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from gaplens.stats.intervals import (
    Estimate,
    bootstrap_mean,
    newcombe_difference,
    wilson_interval,
)

_SEPARATORS = re.compile(r"[\s_\-]+")
NET_SEED = 7919


def use_case_label(text: str) -> str:
    """What people typed, trimmed and with inner whitespace collapsed: the label shown."""
    return " ".join(text.split())


def use_case_key(text: str) -> str:
    """The grouping key: case-folded, with '-', '_' and runs of spaces made one space, so
    'Code-Review', 'code review' and 'code_review' (Slack style) land in one group."""
    return _SEPARATORS.sub(" ", text.casefold()).strip()


@dataclass(frozen=True)
class Fact:
    """One friction entry as the figures need it (ids are for the privacy gate only)."""

    id: str
    key: str
    label: str
    logged_on: dt.date
    minutes_correcting: int
    minutes_saved: int | None
    outcome: str
    team: str | None = None
    note: str | None = None


def needs_correction(fact: Fact) -> bool:
    """An output needed correction if it was fixed or thrown away, or took any minutes to fix;
    'kept' with 0 minutes is the only outcome that needed none."""
    return fact.outcome in ("fixed", "discarded") or fact.minutes_correcting > 0


def saved_counted(fact: Fact) -> int:
    """Self-reported minutes saved that still count: a discarded output saved nothing."""
    if fact.outcome == "discarded" or fact.minutes_saved is None:
        return 0
    return fact.minutes_saved


def net_eligible(fact: Fact) -> bool:
    """Net minutes need a saved figure; a discarded output has one by rule (zero)."""
    return fact.minutes_saved is not None or fact.outcome == "discarded"


def net_minutes(fact: Fact) -> int:
    return saved_counted(fact) - fact.minutes_correcting


@dataclass(frozen=True)
class GroupFigures:
    """Everything shown for one group of entries (a use case, a team within it)."""

    n: int
    corrected: int
    correction_rate: Estimate
    minutes_lost: int
    minutes_saved: int
    """Self-reported, counted only for outputs that were kept or fixed."""
    saved_claims_forfeited: int
    """Self-reported minutes of discarded outputs, which therefore do not count as saved."""
    net_n: int
    net_per_output: Estimate | None


def group_figures(facts: Sequence[Fact], min_net_n: int, seed: int = NET_SEED) -> GroupFigures:
    """Figures for a non-empty group. The net-minutes interval needs `min_net_n` eligible
    entries (the privacy threshold): fewer, and the figure would describe a smaller group."""
    if not facts:
        raise ValueError("group_figures needs at least one entry")
    corrected = sum(needs_correction(f) for f in facts)
    nets = [float(net_minutes(f)) for f in facts if net_eligible(f)]
    return GroupFigures(
        n=len(facts),
        corrected=corrected,
        correction_rate=wilson_interval(corrected, len(facts)),
        minutes_lost=sum(f.minutes_correcting for f in facts),
        minutes_saved=sum(saved_counted(f) for f in facts),
        saved_claims_forfeited=sum(f.minutes_saved or 0 for f in facts if f.outcome == "discarded"),
        net_n=len(nets),
        net_per_output=bootstrap_mean(nets, seed=seed) if len(nets) >= min_net_n else None,
    )


def month_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


@dataclass(frozen=True)
class MonthRate:
    month: str
    corrected: int
    n: int


@dataclass(frozen=True)
class TrendStep:
    """One shown month, and its change from the previous shown month when there is one."""

    month: str
    n: int
    rate: Estimate
    change: Estimate | None
    flag: str | None
    """'rising' or 'falling' only when the Newcombe interval of the change excludes zero."""


def correction_trend(months: Sequence[MonthRate]) -> list[TrendStep]:
    """Month-on-month changes of the correction rate, flagged only beyond noise.

    `months` are the months the gate lets through, in order; a change is computed between
    consecutive shown months. Newcombe's interval is used because each month is a small
    independent sample; a difference whose interval includes zero is not called a change.
    """
    steps: list[TrendStep] = []
    previous: MonthRate | None = None
    for month in sorted(months, key=lambda m: m.month):
        change = None
        flag = None
        if previous is not None:
            change = newcombe_difference(month.corrected, month.n, previous.corrected, previous.n)
            if change.low > 0:
                flag = "rising"
            elif change.high < 0:
                flag = "falling"
        steps.append(
            TrendStep(month.month, month.n, wilson_interval(month.corrected, month.n), change, flag)
        )
        previous = month
    return steps


def most_common_label(labels: Sequence[str]) -> str:
    """The label shown for a group: the most used spelling, ties broken alphabetically."""
    counts: dict[str, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    return min(counts, key=lambda label: (-counts[label], label))
