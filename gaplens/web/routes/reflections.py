"""Reflection loops on the web: the anonymous answer page behind a single-use link (and its
JSON equivalent), the staff view, and the admin API to schedule and issue links."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.orm import Session

from gaplens.audit.service import record
from gaplens.errors import InputError, InputProblem
from gaplens.friction.service import complete_months
from gaplens.i18n import N_
from gaplens.reflections.schemas import (
    LinksRequest,
    ReflectionAnswer,
    ReflectionLink,
    ReflectionsSummary,
    ScheduleRequest,
    ScheduleSummary,
    Stored,
)
from gaplens.reflections.service import (
    NoOrganisationError,
    OpenReflection,
    filter_choices,
    issue_links,
    open_reflection,
    reflections_summary,
    released_months,
    schedule,
    submit_reflection,
    validate_reflection,
    view_scope,
)
from gaplens.reflections.steps import (
    PROMPT_CONFIDENCE,
    PROMPT_LEARNED,
    PROMPT_MEANS,
    TRIGGER_PHRASES,
    step,
)
from gaplens.surveys.intake import LinkNotUsable
from gaplens.web.abuse import AnonymousRateLimiter
from gaplens.web.deps import Admin, AnyStaff, DbSession, settings
from gaplens.web.pages import render, render_error
from gaplens.web.security import (
    check_anonymous_csrf,
    new_form_token,
    same_origin,
    set_form_cookie,
)

router = APIRouter()
Months = Annotated[int, Query(ge=1, le=24, description="Whole calendar months before this one.")]
TeamKey = Annotated[str | None, Query(max_length=100, description="A team key and its subteams.")]
Function = Annotated[str | None, Query(max_length=100, description="A function, e.g. Support.")]
By = Annotated[Literal["function", "team"], Query(description="Break participation down by.")]
Through = Annotated[
    str | None,
    Query(
        max_length=7,
        description="The last month shown, YYYY-MM (default: the latest the reflections "
        "release has invitations for).",
    ),
]
NEXT_STEP = {
    "now": N_("The next short prompt comes tomorrow."),
    "day1": N_("The last one comes in a week."),
    "week1": N_("That was the last one of this series."),
}


def _check_rate(request: Request) -> None:
    """A budget per client, counted apart from other forms (a keyed hash held in memory)."""
    limiter: AnonymousRateLimiter = request.app.state.reflection_limiter
    if not limiter.allow(request.client.host if request.client else None):
        raise HTTPException(
            status_code=429, detail=N_("Too many reflections from here; try later.")
        )


def reflection_page(
    request: Request,
    token: str,
    opened: OpenReflection,
    problems: list[InputProblem] | None = None,
    status_code: int = 200,
    values: dict[str, str] | None = None,
) -> Response:
    form_token = new_form_token()
    response = render(
        request,
        "reflection.html.j2",
        status_code=status_code,
        title=N_("A short reflection"),
        token=token,
        form_token=form_token,
        current=step(opened.step),
        why=TRIGGER_PHRASES[opened.trigger],
        expires_on=opened.expires_on,
        prompts={"learned": PROMPT_LEARNED, "means": PROMPT_MEANS},
        prompt_confidence=PROMPT_CONFIDENCE,
        problems=problems or [],
        values=values or {},
    )
    set_form_cookie(response, form_token, settings(request).secure_cookies, "/r/")
    return response


@router.get("/r/{token}", response_class=HTMLResponse, include_in_schema=False)
def answer_page(request: Request, session: DbSession, token: str) -> Response:
    try:
        opened = open_reflection(session, token)
    except LinkNotUsable as unusable:
        return render_error(request, unusable.status, unusable.template, unusable.values)
    return reflection_page(request, token, opened)


@router.post("/r/{token}", include_in_schema=False)
def answer_submit(
    request: Request,
    session: DbSession,
    token: str,
    learned: Annotated[str, Form(max_length=4000)] = "",
    means: Annotated[str, Form(max_length=4000)] = "",
    confidence: Annotated[str, Form(max_length=4)] = "",
    form_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_anonymous_csrf(request, form_token)
    _check_rate(request)
    values = {"learned": learned, "means": means, "confidence": confidence}
    try:
        opened = open_reflection(session, token)
        answer = validate_reflection(
            {"learned": learned, "means": means, "confidence": confidence or None}
        )
        submit_reflection(session, token, answer)
    except LinkNotUsable as unusable:
        return render_error(request, unusable.status, unusable.template, unusable.values)
    except InputError as error:  # the form again, with the message and what was typed
        session.rollback()
        return reflection_page(request, token, opened, error.problems, 422, values)
    return render(
        request,
        "reflection_thanks.html.j2",
        title=N_("Thank you"),
        next_step=NEXT_STEP[opened.step],
    )


@router.post(
    "/api/v1/reflections",
    status_code=201,
    tags=["reflections"],
    response_model=Stored,
    responses={
        404: {"description": "unknown link"},
        410: {"description": "used or expired link"},
        422: {"description": "invalid reflection; the field is named"},
    },
)
def submit_api(request: Request, session: DbSession, body: ReflectionAnswer) -> Response:
    """Store one reflection through its single-use link: what was learned and/or what it
    means for the work, and an optional confidence 1-5. Stored with the writer's function,
    the step and the month only; the link is spent (a keyed tag, gaplens.spent) and its
    invitation left as it was, so nothing records which entry it produced."""
    if not same_origin(request):
        raise HTTPException(status_code=403, detail="cross-site request refused")
    _check_rate(request)
    answer = validate_reflection(body.model_dump(exclude={"link"}))
    try:
        submit_reflection(session, body.link, answer)
    except LinkNotUsable as unusable:
        raise HTTPException(status_code=unusable.status, detail=str(unusable)) from None
    return JSONResponse(Stored().model_dump(), status_code=201)


def build_summary(
    session: Session,
    viewer: str,
    months: int,
    team: str | None,
    function: str | None,
    by: str,
    last: dt.date | None = None,
) -> ReflectionsSummary:
    """The release's figures for the cell asked for: the same for every viewer. `last`: the
    last day of the last month shown (default: the last month over before today)."""
    try:
        scope = view_scope(session, team, function)
    except NoOrganisationError as missing:
        raise HTTPException(404, str(missing)) from None
    today = last + dt.timedelta(days=1) if last is not None else dt.date.today()
    start, end = complete_months(today, months)
    result = reflections_summary(session, scope, start, end, by=by)
    detail: dict[str, object] = {"months": months, "team": team, "function": function, "by": by}
    record(session, viewer, "view_reflections", "reflections", detail)
    return result


def month_choices(session: Session, through: str | None) -> tuple[list[dt.date], dt.date | None]:
    """The released months (their last days, newest first) and the one asked for, or the
    latest with data; None when nothing is released. An unknown month raises ValueError."""
    months = released_months(session)
    if through:
        picked = [m for m in months if m.strftime("%Y-%m") == through]
        if not picked:
            raise ValueError("through: pick one of the released months (YYYY-MM)")
        return months, picked[0]
    return months, months[0] if months else None


@router.get("/api/v1/reflections", tags=["reflections"])
def summary_api(
    viewer: AnyStaff,
    session: DbSession,
    months: Months = 3,
    team: TeamKey = None,
    function: Function = None,
    by: By = "function",
) -> ReflectionsSummary:
    """Over whole past months, from the reflections release: participation per step (links
    sent, used, Wilson interval) by function or team, confidence per step, themes of what
    was written (released groups of 10+ reflections) and participants' later AI use against
    non-participants (observational). Every figure is a sum of published groups of at least
    5 links (some but not all used), the same for every viewer; a cell with none says why."""
    return build_summary(session, viewer.audit_key, months, team, function, by)


@router.get("/reflections", response_class=HTMLResponse, include_in_schema=False)
def summary_page(
    request: Request,
    viewer: AnyStaff,
    session: DbSession,
    months: Months = 3,
    team: TeamKey = None,
    function: Function = None,
    by: By = "function",
    through: Through = None,
) -> Response:
    """Opens on the months up to the latest the reflections release has invitations for."""
    try:
        choices, last = month_choices(session, through)
    except ValueError as unknown:
        return render_error(request, 422, str(unknown))
    result = build_summary(
        session, viewer.audit_key, months, team or None, function or None, by, last
    )
    teams, functions = filter_choices(session)
    return render(
        request,
        "reflections.html.j2",
        title="Reflection loops",
        viewer=viewer,
        summary=result,
        months=months,
        team=team or "",
        function=function or "",
        by=by,
        teams=teams,
        functions=functions,
        month_choices=choices,
        through=last.strftime("%Y-%m") if last is not None else "",
    )


@router.post("/api/v1/admin/reflections/schedule", tags=["admin"])
def schedule_api(viewer: Admin, session: DbSession, body: ScheduleRequest) -> ScheduleSummary:
    """Create the three invitations per training completion or first AI use since a day;
    re-running never duplicates (deterministic ids)."""
    result = schedule(session, body.since)
    record(session, viewer.audit_key, "schedule_reflections", str(body.since))
    return result


@router.post("/api/v1/admin/reflections/links", tags=["admin"])
def links_api(viewer: Admin, session: DbSession, body: LinksRequest) -> list[ReflectionLink]:
    """One single-use link per invitation due by `due` (email, step, due and expiry day, URL,
    subject, body) for the mail tool. Only the links' hashes are kept."""
    links = issue_links(session, body.due, body.base_url, reissue=body.reissue)
    record(session, viewer.audit_key, "issue_reflection_links", str(body.due), {"n": len(links)})
    return links
