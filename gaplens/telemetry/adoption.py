"""Adoption dates from telemetry: for people with AI usage but no directory adoption date.

The measured release build calls `derive_adoption_dates` before it loads anyone: each
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

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from gaplens.config import SustainedUseRule
from gaplens.directory.models import Person
from gaplens.stats.sustained_use import first_sustained_use
from gaplens.telemetry.models import AiUsageDay, TelemetryAdoption

CHUNK = 500


def derive_adoption_dates(
    session: Session, organisation_id: int, through: dt.date, rule: SustainedUseRule
) -> int:
    """Store a derived adoption date for everyone who has none yet and whose AI usage up
    to `through` meets `rule`; returns how many were stored."""
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
    rows: list[dict[str, object]] = []
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
            found = first_sustained_use(
                days.get(person, ()), weeks=rule.weeks, days_per_week=rule.days_per_week
            )
            if found is not None:
                rows.append(
                    {
                        "person_id": person,
                        "adopted_on": found,
                        "weeks": rule.weeks,
                        "days_per_week": rule.days_per_week,
                        "data_through": through,
                    }
                )
    if rows:
        session.execute(insert(TelemetryAdoption), rows)
        session.flush()
    return len(rows)


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
