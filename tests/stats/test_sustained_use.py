"""Adoption dates from telemetry: the first day of the first sustained run of use."""

from __future__ import annotations

import datetime as dt

import pytest

from gaplens.stats.sustained_use import first_sustained_use, first_sustained_use_by_person

MONDAY = dt.date(2026, 3, 2)


def day(week: int, weekday: int = 0) -> dt.date:
    """`weekday` (0 = Monday) of the `week`-th week after MONDAY's."""
    return MONDAY + dt.timedelta(weeks=week, days=weekday)


def test_exactly_three_consecutive_weeks_is_sustained_from_the_first_active_day():
    days = [day(0, 3), day(1, 6), day(2, 0)]
    assert first_sustained_use(days) == day(0, 3)


def test_two_weeks_is_not_enough():
    assert first_sustained_use([day(0), day(1)]) is None


def test_a_gap_week_breaks_the_run_and_the_later_run_counts():
    # Tried in week 0, nothing in week 1, used weeks 2-3, nothing in week 4, then 5-7.
    days = [day(0, 2), day(2), day(3), day(5, 4), day(6), day(7, 1), day(8)]
    assert first_sustained_use(days) == day(5, 4)


def test_a_sunday_and_the_next_monday_are_different_weeks():
    sunday, monday = day(0, 6), day(1, 0)
    assert first_sustained_use([sunday, monday, day(2, 3)]) == sunday
    assert first_sustained_use([sunday, monday], weeks=2) == sunday
    assert first_sustained_use([day(0, 0), day(0, 6)], weeks=2) is None


def test_days_per_week_counts_distinct_days():
    once_each = [day(0), day(1), day(2)]
    assert first_sustained_use(once_each, days_per_week=2) is None
    # Many events on one day are one active day.
    assert first_sustained_use(once_each * 5, days_per_week=2) is None
    twice = [day(0, 4), day(0, 1), day(1), day(1, 2), day(2), day(2, 2), day(3)]
    assert first_sustained_use(twice, days_per_week=2) == day(0, 1)
    # Week 0 has one day only: the run starts in week 1.
    assert first_sustained_use([day(0), *twice[2:], day(3, 1)], days_per_week=2) == day(1)


def test_unsorted_input_and_a_one_week_rule():
    assert first_sustained_use([day(4), day(2, 5), day(3)], weeks=1) == day(2, 5)


def test_never_used_or_never_sustained_is_none():
    assert first_sustained_use([]) is None
    assert first_sustained_use([day(0), day(2), day(4), day(6)]) is None


def test_by_person():
    result = first_sustained_use_by_person(
        {"ana": [day(0), day(1), day(2)], "bo": [day(0)], "cy": []}, weeks=3
    )
    assert result == {"ana": day(0), "bo": None, "cy": None}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weeks": 0}, "weeks must be at least 1"),
        ({"days_per_week": 8}, "days_per_week must be between 1 and 7"),
        ({"days_per_week": 0}, "days_per_week must be between 1 and 7"),
    ],
)
def test_rule_is_checked(kwargs, message):
    with pytest.raises(ValueError, match=message):
        first_sustained_use([day(0)], **kwargs)


def test_timestamps_are_refused():
    with pytest.raises(ValueError, match="active days must be dates"):
        first_sustained_use([dt.datetime(2026, 3, 2, 9, 0)])
