"""When a survey pulse ran, as far as anyone may know it: from its releases only.

The first or last answer day of a pulse is the day one person answered, so no page, report
or export prints it, and no choice of pulse depends on it. A pulse is dated by its releases:
`answers_through` of the latest (the end of the week of the latest released answer, or the
day before the build if that came first) and the week of the first. A survey without a
release has no date at all: for reports it has not been answered yet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gaplens.releases.models import Release
from gaplens.releases.service import dataset_of
from gaplens.surveys.models import Survey


@dataclass(frozen=True)
class ReleasedPulse:
    """A pulse with at least one release, dated only by its releases."""

    survey: Survey
    first_week: dt.date
    """The Monday of the week of the first release's `answers_through`: the first week in
    which the pulse's answers were published (earlier answers fall in it or before)."""
    answers_through: dt.date
    """The latest release's `answers_through`: the pulse's "closed" date for reports."""


def released_pulses(
    session: Session, surveys: Sequence[Survey] | None = None
) -> list[ReleasedPulse]:
    """Pulses with a release (of `surveys`, or every survey), oldest `answers_through` first
    (ties by survey id); a survey without a release is left out."""
    found = list(session.scalars(select(Survey))) if surveys is None else list(surveys)
    by_dataset = {dataset_of(survey): survey for survey in found}
    if not by_dataset:
        return []
    rows = session.execute(
        select(
            Release.dataset, func.min(Release.answers_through), func.max(Release.answers_through)
        )
        .where(Release.dataset.in_(by_dataset))
        .group_by(Release.dataset)
    ).all()
    pulses = [
        ReleasedPulse(by_dataset[dataset], week_start(first), last) for dataset, first, last in rows
    ]
    return sorted(pulses, key=lambda p: (p.answers_through, p.survey.id))


def latest_released_day(session: Session) -> dt.date | None:
    """The latest `answers_through` of any survey release (None before the first)."""
    return session.scalar(
        select(func.max(Release.answers_through)).where(Release.dataset.like("survey:%"))
    )


def latest_contribution_day(session: Session) -> dt.date | None:
    """The latest day what people contributed is published through: a survey release's
    `answers_through`, or the last day of the latest published friction or feedback class
    (a week end). Never an entry's own day, and never a build's date (a friction release
    built today runs through last week whether or not anyone logged anything since)."""
    from gaplens.releases.feedback.models import FeedbackReleaseClass
    from gaplens.releases.friction.models import FrictionReleaseClass

    days = [
        session.scalar(select(func.max(column)))
        for column in (FrictionReleaseClass.end, FeedbackReleaseClass.end)
    ]
    days.append(latest_released_day(session))
    found = [day for day in days if day is not None]
    return max(found) if found else None


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())
