"""Adoption dates from telemetry: for people with AI usage but no directory adoption date.

The measured release build finds them before it loads anyone (and stores them with its
release, so a child process loading work items sees the same dates through its request): each
person of the organisation whose directory row has no adoption date and who has no derived
date yet gets the first day of sustained use (`gaplens.stats.sustained_use`, rule from
`gaplens.config.sustained_use_rule`) over their AI-usage days up to the build's last month
end. A derived date is stored once and never recomputed, so every later release uses the
same date (the staggered panel freezes whatever a late date would change: see
gaplens/releases/measured/staggered.py). Someone whose use has not yet reached the rule is
looked at again by the next build.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from gaplens.config import SustainedUseRule
from gaplens.directory.models import Person
from gaplens.stats.sustained_use import first_sustained_use
from gaplens.telemetry.models import AiUsageDay, TelemetryAdoption

CHUNK = 500


def find_adoption_dates(
    session: Session, organisation_id: int, through: dt.date, rule: SustainedUseRule
) -> dict[str, dt.date]:
    """The first day of sustained use, by AI usage up to `through`, of everyone with no
    adoption date yet (neither the directory's nor a stored derived one) who meets `rule`."""
    candidates = list(
        session.scalars(
            select(Person.id)
            .outerjoin(TelemetryAdoption, TelemetryAdoption.person_id == Person.id)
            .where(
                Person.organisation_id == organisation_id,
                Person.ai_adoption_date.is_(None),
                TelemetryAdoption.person_id.is_(None),
            )
            .order_by(Person.id)
        )
    )
    found: dict[str, dt.date] = {}
    for start in range(0, len(candidates), CHUNK):
        chunk = candidates[start : start + CHUNK]
        days: dict[str, list[dt.date]] = defaultdict(list)
        for person, day in session.execute(
            select(AiUsageDay.person_id, AiUsageDay.day)
            .where(AiUsageDay.person_id.in_(chunk), AiUsageDay.day <= through)
            .distinct()
        ):
            days[person].append(day)
        for person in chunk:
            first = first_sustained_use(
                days.get(person, ()), weeks=rule.weeks, days_per_week=rule.days_per_week
            )
            if first is not None:
                found[person] = first
    return found


def store_adoption_dates(
    session: Session, found: Mapping[str, dt.date], through: dt.date, rule: SustainedUseRule
) -> None:
    """Store dates `find_adoption_dates` found, with the rule and the last day read."""
    if found:
        session.execute(
            insert(TelemetryAdoption),
            [
                {
                    "person_id": person,
                    "adopted_on": day,
                    "weeks": rule.weeks,
                    "days_per_week": rule.days_per_week,
                    "data_through": through,
                }
                for person, day in sorted(found.items())
            ],
        )
        session.flush()


def derive_adoption_dates(
    session: Session, organisation_id: int, through: dt.date, rule: SustainedUseRule
) -> dict[str, dt.date]:
    """Find and store the dates at once; returns them, by person."""
    found = find_adoption_dates(session, organisation_id, through, rule)
    store_adoption_dates(session, found, through, rule)
    return found


def derived_persons(session: Session, organisation_id: int) -> set[str]:
    """The people whose adoption date comes from telemetry (the directory gives none)."""
    return set(
        session.scalars(
            select(TelemetryAdoption.person_id)
            .join(Person, Person.id == TelemetryAdoption.person_id)
            .where(Person.organisation_id == organisation_id, Person.ai_adoption_date.is_(None))
        )
    )


def adoption_date_sources(session: Session, organisation_id: int) -> tuple[int, int]:
    """(from the directory, from telemetry): how many people of the organisation have an
    adoption date from each source."""
    directory = session.scalar(
        select(func.count())
        .select_from(Person)
        .where(Person.organisation_id == organisation_id, Person.ai_adoption_date.is_not(None))
    )
    return int(directory or 0), len(derived_persons(session, organisation_id))
