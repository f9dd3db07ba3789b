"""Surveys as pages list them: plain values, never the table rows, so adapters need no
`models` import (issue 12)."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.privacy import PrivacyPolicy, participation_shown
from gaplens.surveys.collection import participation
from gaplens.surveys.models import Survey


class SurveyListing(NamedTuple):
    """A survey as the admin list shows it."""

    id: int
    name: str
    series: str | None
    closed_on: dt.date | None


class SurveyParticipation(NamedTuple):
    """A listed survey with its invitations sent and the used ones that may be shown
    ("at least N of M", `privacy.participation_shown`)."""

    survey: SurveyListing
    sent: int
    used_shown: int


def survey_names(session: Session) -> list[str]:
    """Every survey's name, newest first."""
    return list(session.scalars(select(Survey.name).order_by(Survey.id.desc())))


def series_names(session: Session) -> list[str]:
    """The named series of survey pulses, sorted."""
    return sorted({s for s in session.scalars(select(Survey.series)) if s})


def survey_participation(session: Session, policy: PrivacyPolicy) -> list[SurveyParticipation]:
    """Every survey, newest first, with its participation as it may be shown."""
    rows = []
    for survey in session.scalars(select(Survey).order_by(Survey.id.desc())):
        sent, used = participation(session, survey)
        listing = SurveyListing(survey.id, survey.name, survey.series, survey.closed_on)
        rows.append(SurveyParticipation(listing, sent, participation_shown(sent, used, policy)))
    return rows
