"""Administration: building surveys from the bank plus custom questions, and answer links."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from gaplens.audit.service import record
from gaplens.errors import InputError, InputProblem
from gaplens.i18n import available, language_name
from gaplens.releases.closing import close_and_release
from gaplens.surveys.collection import create_open_link
from gaplens.surveys.queries import survey_participation
from gaplens.surveys.question_bank import bank
from gaplens.surveys.schemas import CustomQuestionIn, SurveyCreate, SurveyCreated
from gaplens.surveys.service import (
    create_survey,
    find_survey,
    survey_named,
    survey_questions,
    survey_with_id,
)
from gaplens.web.deps import Admin, DbSession, Policy, privacy_policy
from gaplens.web.pages import render
from gaplens.web.security import check_staff_csrf

router = APIRouter()


class OpenLink(BaseModel):
    survey: str
    path: str
    """Relative answer URL; any earlier open link of the survey stops working."""


@router.post("/api/v1/admin/surveys", status_code=201, tags=["admin"])
def create_survey_api(viewer: Admin, session: DbSession, body: SurveyCreate) -> SurveyCreated:
    """Create a survey from bank questions (all by default) plus up to ten custom ones."""
    survey = create_survey(session, body)
    record(session, viewer.audit_key, "create_survey", survey.name)
    return SurveyCreated(
        name=survey.name,
        bank_version=survey.bank_version,
        questions=[entry.key for _, entry in survey_questions(session, survey)],
    )


@router.post("/api/v1/admin/surveys/{name}/open-link", status_code=201, tags=["admin"])
def open_link_api(viewer: Admin, session: DbSession, name: str) -> OpenLink:
    survey = find_survey(session, name)
    token = create_open_link(session, survey)
    record(session, viewer.audit_key, "create_open_link", survey.name)
    return OpenLink(survey=survey.name, path=f"/s/{token}")


class Closed(BaseModel):
    survey: str
    closed_on: dt.date
    release: str
    """What the release built at close did, in words (no count of a small group)."""


@router.post(
    "/api/v1/admin/surveys/{name}/close",
    tags=["admin"],
    responses={404: {"description": "no such survey"}, 422: {"description": "already closed"}},
)
def close_survey_api(viewer: Admin, session: DbSession, policy: Policy, name: str) -> Closed:
    """Close a survey: its links stop accepting answers (410), and its release is built at
    once, including today's answers."""
    survey = survey_named(session, name)
    if survey is None:
        raise HTTPException(status_code=404, detail=f"no survey named '{name}'")
    built = close_and_release(session, survey, policy)
    record(session, viewer.audit_key, "close_survey", survey.name)
    assert survey.closed_on is not None
    return Closed(survey=survey.name, closed_on=survey.closed_on, release=built.message)


@router.get("/admin/surveys", response_class=HTMLResponse, include_in_schema=False)
def surveys_page(request: Request, viewer: Admin, session: DbSession) -> Response:
    return _page(request, viewer, session)


def _page(
    request: Request,
    viewer: Admin,
    session: DbSession,
    error: str | None = None,
    link: str | None = None,
    status_code: int = 200,
    notice: str | None = None,
) -> Response:
    policy = privacy_policy(request)
    return render(
        request,
        "admin_surveys.html.j2",
        status_code=status_code,
        title="Surveys",
        viewer=viewer,
        surveys=survey_participation(session, policy),
        bank=bank(),
        other_languages=[(code, language_name(code)) for code in available()[1:]],
        k=policy.min_group_size,
        error=error,
        link=link,
        notice=notice,
    )


@router.post("/admin/surveys", include_in_schema=False)
async def create_survey_form(request: Request, viewer: Admin, session: DbSession) -> Response:
    form = await request.form()
    check_staff_csrf(request, viewer.csrf_token, str(form.get("csrf_token") or ""))
    custom = []
    for n in (1, 2, 3):
        text = str(form.get(f"custom_{n}_text") or "").strip()
        if text:
            options = str(form.get(f"custom_{n}_options") or "").splitlines()
            texts = {
                code: str(form.get(f"custom_{n}_text_{code}") or "").strip()
                for code in available()[1:]
            }
            custom.append(
                {
                    "text": text,
                    "scale": str(form.get(f"custom_{n}_scale") or "text"),
                    "options": [o for o in options if o.strip()],
                    "texts": {code: t for code, t in texts.items() if t},
                }
            )
    try:
        spec = SurveyCreate.model_validate(
            {
                "name": str(form.get("name") or ""),
                "series": str(form.get("series") or "") or None,
                "bank_questions": [str(k) for k in form.getlist("bank_questions")],
                "custom_questions": [CustomQuestionIn.model_validate(c) for c in custom],
            }
        )
        survey = create_survey(session, spec)
    except ValidationError as invalid:
        problems = [
            InputProblem(e["msg"], column=".".join(str(p) for p in e["loc"]))
            for e in invalid.errors()
        ]
        return _page(request, viewer, session, str(InputError(problems)), status_code=422)
    except InputError as error:
        return _page(request, viewer, session, str(error), status_code=422)
    record(session, viewer.audit_key, "create_survey", survey.name)
    token = create_open_link(session, survey)
    return _page(request, viewer, session, link=f"/s/{token}")


@router.post("/admin/surveys/{survey_id}/open-link", include_in_schema=False)
def rotate_link_form(
    request: Request,
    viewer: Admin,
    session: DbSession,
    survey_id: int,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_staff_csrf(request, viewer.csrf_token, csrf_token)
    survey = survey_with_id(session, survey_id)
    if survey is None:
        return RedirectResponse("/admin/surveys", status_code=303)
    token = create_open_link(session, survey)
    record(session, viewer.audit_key, "create_open_link", survey.name)
    return _page(request, viewer, session, link=f"/s/{token}")


@router.post("/admin/surveys/{survey_id}/close", include_in_schema=False)
def close_survey_form(
    request: Request,
    viewer: Admin,
    session: DbSession,
    policy: Policy,
    survey_id: int,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_staff_csrf(request, viewer.csrf_token, csrf_token)
    survey = survey_with_id(session, survey_id)
    if survey is None:
        return RedirectResponse("/admin/surveys", status_code=303)
    try:
        built = close_and_release(session, survey, policy)
    except InputError as error:  # already closed (e.g. in another tab)
        return _page(request, viewer, session, str(error), status_code=422)
    record(session, viewer.audit_key, "close_survey", survey.name)
    notice = f"{survey.name} is closed: its links no longer accept answers. {built.message}"
    return _page(request, viewer, session, notice=notice)
