"""Collecting answers online: open and single-use links, and storing one anonymous response.

Tokens are random and stored only as SHA-256 hashes. Using an invitation and storing the
response happen in one transaction, yet nothing written links the two: the invitation's row
is not touched, and the spent tag written with the response needs the server's key to be
matched to it (gaplens.spent).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from gaplens.directory.models import Person, Team
from gaplens.errors import InputError
from gaplens.i18n import N_
from gaplens.spent.service import SURVEY, spent_among
from gaplens.surveys.intake import (
    INVITATION,
    OPEN,
    LinkNotUsable,
    check_link,
    load_form,
    load_link,
    prepare_response,
    store_responses,
    token_hash,
)
from gaplens.surveys.models import Survey, SurveyLink
from gaplens.surveys.question_bank import BankEntry


@dataclass(frozen=True)
class OpenSurvey:
    survey: Survey
    questions: list[tuple[int, BankEntry]]
    link_kind: str


def _still_open(survey: Survey) -> None:
    if survey.closed_on is not None:
        raise InputError.single(
            f"survey '{survey.name}' was closed on {survey.closed_on.isoformat()}: "
            "it takes no new links"
        )


def create_open_link(session: Session, survey: Survey) -> str:
    """A new open link; any earlier open link for the survey stops working."""
    _still_open(survey)
    session.execute(
        delete(SurveyLink).where(SurveyLink.survey_id == survey.id, SurveyLink.kind == OPEN)
    )
    token = secrets.token_urlsafe(18)
    session.add(SurveyLink(token_hash=token_hash(token), survey_id=survey.id, kind=OPEN))
    session.flush()
    return token


def create_invitations(
    session: Session, survey: Survey, people: Sequence[Person]
) -> list[tuple[str, str]]:
    """One single-use token per person, returned once as (email, token) for the mail tool."""
    _still_open(survey)
    links = []
    for person in people:
        token = secrets.token_urlsafe(18)
        session.add(
            SurveyLink(
                token_hash=token_hash(token),
                survey_id=survey.id,
                kind=INVITATION,
                person_id=person.id,
            )
        )
        links.append((person.email, token))
    session.flush()
    return links


def open_survey(session: Session, token: str) -> OpenSurvey:
    if not token or len(token) > 100:
        raise LinkNotUsable(N_("This survey link is not valid."), 404)
    connection = session.connection()
    link = check_link(load_link(connection, token_hash(token)))
    form = load_form(connection, link.survey_id)
    return OpenSurvey(form.survey, list(form.questions), link.kind)


def submit_response(
    session: Session, token: str, values: Mapping[str, str], today: dt.date | None = None
) -> None:
    """Validate everything, then use the link and store the response, or store nothing.

    The one-at-a-time path (the HTML form, tests); the JSON API batches through
    `AnswerIntake`, over the same `prepare_response` and `store_responses`."""
    if not token or len(token) > 100:
        raise LinkNotUsable(N_("This survey link is not valid."), 404)
    connection = session.connection()
    link = check_link(load_link(connection, token_hash(token)))
    form = load_form(connection, link.survey_id)

    def team_id(key: str) -> int | None:
        return session.scalar(select(Team.id).where(Team.key == key))

    prepared = prepare_response(form, link, values, team_id, today or dt.date.today())
    (refused,) = store_responses(connection, [prepared])
    if refused is not None:
        raise refused


__all__ = ["INVITATION", "OPEN", "LinkNotUsable", "OpenSurvey", "token_hash"]


def close_survey(session: Session, survey: Survey, today: dt.date | None = None) -> None:
    """Stop the survey's links accepting answers, from now on.

    The UPDATE takes the survey row's lock (PostgreSQL), so an answer batch under way
    commits first and one that comes later sees the survey closed (`store_responses`): the
    release built in this same transaction holds every answer there will ever be."""
    if survey.closed_on is not None:
        raise InputError.single(
            f"survey '{survey.name}' was already closed on {survey.closed_on.isoformat()}"
        )
    survey.closed_on = today or dt.date.today()
    session.flush()


def participation(session: Session, survey: Survey) -> tuple[int, int]:
    """(invitations sent, invitations used), the second through the server's key: the
    database alone says how many tags were spent, never whose."""
    hashes = session.scalars(
        select(SurveyLink.token_hash).where(
            SurveyLink.survey_id == survey.id, SurveyLink.kind == INVITATION
        )
    ).all()
    return len(hashes), len(spent_among(session, SURVEY, hashes))
