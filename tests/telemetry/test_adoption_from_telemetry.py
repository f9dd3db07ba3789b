"""Adoption dates from telemetry: derived once by the measured release build, for people
with AI usage and no directory date, and read by every metric."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from gaplens.config import SustainedUseRule, sustained_use_rule
from gaplens.db.engine import session_scope
from gaplens.metrics.queries import day_number, load_persons
from gaplens.telemetry.adoption import adoption_date_sources, derive_adoption_dates
from gaplens.telemetry.models import TelemetryAdoption
from tests.metrics.builders import OrgBuilder


def test_first_sustained_use_becomes_the_adoption_date_once(db_url: str) -> None:
    monday = dt.date(2025, 3, 3)
    with session_scope(db_url) as session:
        org = OrgBuilder(session)
        team = org.team("eng")
        steady = org.person(team)  # uses AI one day a week from 3 March: adopted then
        tried = org.person(team)  # two weeks, then stops: not adopted
        listed = org.person(team, adoption=dt.date(2025, 1, 6))  # the directory's date wins
        for week in range(6):
            org.usage(steady, monday + dt.timedelta(days=7 * week + 2))
            org.usage(listed, monday + dt.timedelta(days=7 * week))
        for week in range(2):
            org.usage(tried, monday + dt.timedelta(days=7 * week))
        session.flush()
        rule = SustainedUseRule()
        derived = derive_adoption_dates(session, org.id, dt.date(2025, 4, 30), rule)
        assert derived == {steady.id: dt.date(2025, 3, 5)}
        stored = session.scalars(select(TelemetryAdoption)).one()
        assert (stored.person_id, stored.adopted_on) == (steady.id, dt.date(2025, 3, 5))
        assert (stored.weeks, stored.days_per_week) == (3, 1)
        # A third week makes the one who tried an adopter on the next build; the stored
        # date of the first stays as it was, whatever the rule says now.
        org.usage(tried, monday + dt.timedelta(days=14))
        session.flush()
        looser = SustainedUseRule(weeks=1, days_per_week=1)
        assert derive_adoption_dates(session, org.id, dt.date(2025, 5, 31), looser) == {
            tried.id: monday
        }
        persons = load_persons(session, org.id)
        adoption = dict(zip(persons.ids, persons.adoption.tolist(), strict=True))
        assert adoption[steady.id] == day_number(dt.date(2025, 3, 5))
        assert adoption[tried.id] == day_number(monday)
        assert adoption[listed.id] == day_number(dt.date(2025, 1, 6))
        assert adoption_date_sources(session, org.id) == (1, 2)


def test_the_rule_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert sustained_use_rule() == SustainedUseRule(3, 1)
    monkeypatch.setenv("GAPLENS_ADOPTION_WEEKS", "4")
    monkeypatch.setenv("GAPLENS_ADOPTION_DAYS_PER_WEEK", "2")
    assert sustained_use_rule() == SustainedUseRule(4, 2)
    monkeypatch.setenv("GAPLENS_ADOPTION_DAYS_PER_WEEK", "eight")
    with pytest.raises(ValueError, match="GAPLENS_ADOPTION_DAYS_PER_WEEK must be a whole number"):
        sustained_use_rule()
    monkeypatch.setenv("GAPLENS_ADOPTION_DAYS_PER_WEEK", "8")
    with pytest.raises(ValueError, match="GAPLENS_ADOPTION_DAYS_PER_WEEK must be between 1 and 7"):
        sustained_use_rule()
