"""Whole ISO weeks and their generalisation: week -> month -> quarter -> withheld.

A month here is the run of ISO weeks whose Thursday falls in it (the ISO rule for which
year a week belongs to), so every coarser period is a union of whole weeks and a class
never mixes part of a week with another: a week -> month -> quarter path is a lattice in
the sense of `privacy/recoding.py`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

LEVELS = ("quarter", "month", "week")
_WEEK = dt.timedelta(days=7)


@dataclass(frozen=True)
class Period:
    level: str
    start: dt.date
    end: dt.date

    def inside(self, first: dt.date, last: dt.date) -> bool:
        return first <= self.start and self.end <= last

    def overlaps(self, first: dt.date, last: dt.date) -> bool:
        return self.start <= last and first <= self.end

    def describe(self) -> str:
        if self.level == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        thursday = self.start + dt.timedelta(days=3)
        if self.level == "month":
            return f"{thursday.year:04d}-{thursday.month:02d}"
        return f"{thursday.year:04d}-Q{(thursday.month - 1) // 3 + 1}"


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def week(day: dt.date) -> Period:
    monday = monday_of(day)
    return Period("week", monday, monday + dt.timedelta(days=6))


def _weeks_of_months(year: int, first_month: int, months: int) -> tuple[dt.date, dt.date]:
    """First Monday and last Sunday of the ISO weeks whose Thursday lies in the months."""
    first = dt.date(year, first_month, 1)
    last_month = first_month + months - 1
    after = dt.date(year + last_month // 12, last_month % 12 + 1, 1)
    first_thursday = first + dt.timedelta(days=(3 - first.weekday()) % 7)
    last_day = after - dt.timedelta(days=1)
    last_thursday = last_day - dt.timedelta(days=(last_day.weekday() - 3) % 7)
    return first_thursday - dt.timedelta(days=3), last_thursday + dt.timedelta(days=3)


def month_of(period: Period) -> Period:
    thursday = period.start + dt.timedelta(days=3)
    return Period("month", *_weeks_of_months(thursday.year, thursday.month, 1))


def quarter_of(period: Period) -> Period:
    thursday = period.start + dt.timedelta(days=3)
    first = (thursday.month - 1) // 3 * 3 + 1
    return Period("quarter", *_weeks_of_months(thursday.year, first, 3))


@dataclass(frozen=True)
class WeekLattice:
    """week -> its month -> its quarter -> None (a quarter too small is withheld)."""

    def up(self, code: Period) -> Period | None:
        if code.level == "week":
            return month_of(code)
        if code.level == "month":
            return quarter_of(code)
        return None

    def rank(self, code: Period) -> int:
        return LEVELS.index(code.level) + 1

    def key(self, code: Period) -> tuple[str, ...]:
        return (code.level, code.start.isoformat())


def complete_months(cutoff: dt.date, periods: list[Period]) -> list[Period]:
    """The months of these periods whose last week ended before the cutoff."""
    months = {month_of(p) if p.level == "week" else p for p in periods if p.level != "quarter"}
    return sorted((m for m in months if m.end < cutoff), key=lambda m: m.start)


def last_weeks(today: dt.date, weeks: int) -> tuple[dt.date, dt.date]:
    """The last `weeks` complete ISO weeks before `today` (Monday to Sunday)."""
    monday = monday_of(today)
    return monday - _WEEK * max(1, weeks), monday - dt.timedelta(days=1)


def thursday_weeks(first: dt.date, last: dt.date) -> tuple[dt.date, dt.date]:
    """The Monday and Sunday of the ISO weeks whose Thursday lies in [first, last]: a
    calendar period snapped to whole weeks by the rule months and quarters use here (for a
    period already of whole weeks, itself). The Sunday may precede the Monday: no week."""
    start = monday_of(first)
    if start + dt.timedelta(days=3) < first:
        start += _WEEK
    end = monday_of(last) + dt.timedelta(days=6)
    if end - dt.timedelta(days=3) > last:
        end -= _WEEK
    return start, end


def describe_for_reader(period: Period) -> str:
    """A published period in words, with its days: "September 2026 (31 Aug to 27 Sep)"."""
    days = f"{period.start:%-d %b} to {period.end:%-d %b %Y}"
    if period.level == "week":
        return f"Week of {period.start:%-d %B %Y} ({days})"
    thursday = period.start + dt.timedelta(days=3)
    if period.level == "month":
        return f"{thursday:%B %Y} ({days})"
    return f"Q{(thursday.month - 1) // 3 + 1} {thursday.year} ({days})"


def newest_first(periods: set[Period]) -> list[Period]:
    """Latest end first; of periods ending together, the longest (it holds the others)."""
    return sorted(periods, key=lambda p: (p.end, p.end - p.start), reverse=True)


def months_between(first: dt.date, last: dt.date) -> list[Period]:
    """The published months (runs of ISO weeks) from the one holding `first` to the one
    holding `last`, newest first."""
    months = []
    month = month_of(week(last))
    while month.end >= first:
        months.append(month)
        month = month_of(week(month.start - dt.timedelta(days=1)))
    return months
