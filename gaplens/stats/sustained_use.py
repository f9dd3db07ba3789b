"""A person's AI adoption date from usage telemetry: the first day of *sustained* use.

A directory file often has no adoption date for someone who plainly uses AI, and a single
day of trying a tool is not adoption. The rule, configurable: weeks are calendar weeks,
Monday to Sunday; a week *counts* when the person was active on at least `days_per_week`
distinct days in it; the adoption date is the first active day of the first run of at
least `weeks` consecutive counting weeks (defaults: 3 weeks, 1 day a week). A gap of one
week without enough activity breaks the run. Someone whose use never reaches such a run
has no adoption date (None): for a staggered-adoption estimate they are not yet treated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import TypeVar

DEFAULT_WEEKS = 3
DEFAULT_DAYS_PER_WEEK = 1

Key = TypeVar("Key")


def _week(day: dt.date) -> int:
    """Consecutive numbers for consecutive Monday-to-Sunday weeks (date.min is a Monday)."""
    return (day.toordinal() - 1) // 7


def _check(weeks: int, days_per_week: int) -> None:
    if weeks < 1:
        raise ValueError(f"weeks must be at least 1, got {weeks!r}")
    if not 1 <= days_per_week <= 7:
        raise ValueError(f"days_per_week must be between 1 and 7, got {days_per_week!r}")


def first_sustained_use(
    active_days: Iterable[dt.date],
    *,
    weeks: int = DEFAULT_WEEKS,
    days_per_week: int = DEFAULT_DAYS_PER_WEEK,
) -> dt.date | None:
    """The first active day of the first run of `weeks` consecutive calendar weeks with
    at least `days_per_week` active days each; None if there is no such run.

    `active_days` may repeat a day (several events on one day count once) and need not
    be sorted.
    """
    _check(weeks, days_per_week)
    by_week: dict[int, set[dt.date]] = {}
    for day in active_days:
        if isinstance(day, dt.datetime) or not isinstance(day, dt.date):
            raise ValueError(f"active days must be dates, got {day!r}")
        by_week.setdefault(_week(day), set()).add(day)
    counting = sorted(w for w, days in by_week.items() if len(days) >= days_per_week)
    run_start = 0
    for i, week in enumerate(counting):
        if i > 0 and week != counting[i - 1] + 1:
            run_start = i
        if i - run_start + 1 >= weeks:
            return min(by_week[counting[run_start]])
    return None


def first_sustained_use_by_person(
    active_days: Mapping[Key, Iterable[dt.date]],
    *,
    weeks: int = DEFAULT_WEEKS,
    days_per_week: int = DEFAULT_DAYS_PER_WEEK,
) -> dict[Key, dt.date | None]:
    """`first_sustained_use` for each person's active days."""
    _check(weeks, days_per_week)
    return {
        key: first_sustained_use(days, weeks=weeks, days_per_week=days_per_week)
        for key, days in active_days.items()
    }
