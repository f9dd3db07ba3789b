"""Answering a survey: the page behind an open or single-use link, and the JSON equivalent."""

from __future__ import annotations

import asyncio
import datetime as dt

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from gaplens.commitments.schemas import StatementOut
from gaplens.directory.queries import team_options
from gaplens.errors import InputError
from gaplens.i18n import N_
from gaplens.surveys.collection import LinkNotUsable, OpenSurvey, open_survey, submit_response
from gaplens.surveys.intake import AnswerIntake, prepare_response
from gaplens.surveys.question_bank import AGREE5_OPTIONS
from gaplens.web.abuse import AnonymousRateLimiter
from gaplens.web.deps import DbSession, settings
from gaplens.web.pages import render, render_error
from gaplens.web.routes.commitments import statement_cache
from gaplens.web.security import check_anonymous_csrf, new_form_token, set_form_cookie

router = APIRouter()
ROLE_CHOICES = {
    "executive": N_("Executive"),
    "manager": N_("Manager"),
    "individual_contributor": N_("Individual contributor"),
}
TENURE_LABELS = {
    "none": N_("I don't use AI tools"),
    "<1": N_("Under a month"),
    "1-6": N_("1–6 months"),
    "6+": N_("More than 6 months"),
}


class ResponseIn(BaseModel):
    """An anonymous response. Bands are self-reported; nothing identifies the respondent."""

    model_config = ConfigDict(extra="forbid")

    link: str = Field(min_length=8, max_length=100)
    role_level: str = Field(max_length=32)
    team: str | None = Field(default=None, max_length=100)
    function: str | None = Field(default=None, max_length=100)
    ai_tenure: str | None = Field(default=None, max_length=8)
    answers: dict[str, str | float | list[str]] = Field(default_factory=dict, max_length=100)


class Stored(BaseModel):
    status: str = "stored"


def _limiter(request: Request) -> AnonymousRateLimiter:
    limiter: AnonymousRateLimiter = request.app.state.response_limiter
    return limiter


def _check_rate(request: Request) -> None:
    if not _limiter(request).allow(request.client.host if request.client else None):
        raise HTTPException(status_code=429, detail=N_("Too many answers from here; try later."))


def survey_page(
    request: Request,
    session: DbSession,
    token: str,
    opened: OpenSurvey,
    error: InputError | None = None,
    status_code: int = 200,
    statements: list[StatementOut] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    """The form; after a refused answer, with the problems and what was typed (kept in the
    page only, so a browser without JavaScript does not lose the answers)."""
    form_token = new_form_token()
    teams = team_options(session)
    response = render(
        request,
        "survey.html.j2",
        status_code=status_code,
        title=opened.survey.name,
        survey=opened.survey,
        questions=[entry for _, entry in opened.questions],
        token=token,
        form_token=form_token,
        roles=ROLE_CHOICES,
        teams=teams,
        functions=sorted({f for _, _, f in teams if f}),
        tenure=TENURE_LABELS,
        agree5=AGREE5_OPTIONS,
        problems=error.problems if error else [],
        values=values or {},
        statements=statements or [],
    )
    set_form_cookie(response, form_token, settings(request).secure_cookies, "/s/")
    return response


@router.get("/s/{token}", response_class=HTMLResponse, include_in_schema=False)
def answer_page(request: Request, session: DbSession, token: str) -> Response:
    try:
        opened = open_survey(session, token)
    except LinkNotUsable as unusable:
        return render_error(request, unusable.status, str(unusable))
    # What stays the same, from the worker's cache (no query while it is fresh).
    return survey_page(request, session, token, opened, statements=statement_cache(request).get())


@router.post("/s/{token}", include_in_schema=False)
async def answer_submit(request: Request, session: DbSession, token: str) -> Response:
    form = await request.form()
    check_anonymous_csrf(request, str(form.get("form_token") or ""))
    _check_rate(request)
    values: dict[str, str] = {}
    for key in set(form.keys()) - {"form_token"}:
        values[key] = ";".join(str(v) for v in form.getlist(key) if str(v).strip())
    try:
        submit_response(session, token, values)
    except LinkNotUsable as unusable:
        return render_error(request, unusable.status, str(unusable))
    except InputError as error:
        session.rollback()
        opened = open_survey(session, token)
        statements = statement_cache(request).peek()  # never a query on the answer path
        return survey_page(request, session, token, opened, error, 422, statements, values)
    return render(request, "survey_thanks.html.j2", title=N_("Thank you"))


@router.post(
    "/api/v1/responses",
    status_code=201,
    tags=["surveys"],
    response_model=Stored,
    responses={404: {"description": "unknown link"}, 410: {"description": "used invitation"}},
)
async def submit_json(request: Request, body: ResponseIn) -> Response:
    """Submit one anonymous response through an open link or a single-use invitation.
    Acknowledged (201) only once the response is committed."""
    _check_rate(request)
    values = {
        "role_level": body.role_level,
        "team": body.team or "",
        "function": body.function or "",
        "ai_tenure": body.ai_tenure or "",
    }
    for key, value in body.answers.items():
        values[key] = ";".join(value) if isinstance(value, list) else str(value)
    intake: AnswerIntake = request.app.state.answer_intake
    try:
        # Validation runs here, in memory, when link and questions are cached; the database
        # is touched in a worker thread only on a cache miss, and the write is batched with
        # concurrent answers by the intake's writer thread (see gaplens/surveys/intake.py).
        found = intake.cached(body.link)
        if found is None:
            found = await run_in_threadpool(intake.lookup, body.link)
        if intake.needs_team_refresh(body.team):
            await run_in_threadpool(intake.refresh_teams, body.team)
        link, form = found
        prepared = prepare_response(form, link, values, intake.cached_team_id, dt.date.today())
        await asyncio.wrap_future(intake.submit(prepared))
    except LinkNotUsable as unusable:
        raise HTTPException(status_code=unusable.status, detail=str(unusable)) from None
    return JSONResponse(Stored().model_dump(), status_code=201)
