"""The quick anonymous friction log (form and JSON), the friction summary and the scorecard."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.orm import Session

from gaplens.audit.service import record
from gaplens.errors import InputError, InputProblem
from gaplens.friction.schemas import (
    OUTCOME_LABELS,
    SEVERITY_LABELS,
    FrictionEntryIn,
    FrictionSummary,
    Logged,
)
from gaplens.friction.service import (
    log_entry,
    published_months,
    released_months,
    team_choices,
    use_case_friction,
    validate_entry,
)
from gaplens.i18n import N_
from gaplens.releases.feedback.periods import Period
from gaplens.scorecard.schemas import Scorecard
from gaplens.scorecard.service import FEATURE_USE_CASES, scorecard, top_use_cases
from gaplens.web.abuse import AnonymousRateLimiter
from gaplens.web.deps import AnyStaff, DbSession, settings
from gaplens.web.pages import render, render_error
from gaplens.web.security import (
    check_anonymous_csrf,
    new_form_token,
    same_origin,
    set_form_cookie,
)

router = APIRouter()
SUGGESTED_USE_CASES = sorted(
    {*FEATURE_USE_CASES.values(), "code review", "writing tests", "documentation", "email drafts"}
)
SUGGESTED_TOOLS = ["GitHub Copilot", "Microsoft 365 Copilot", "ChatGPT", "Claude", "Gemini"]
Months = Annotated[int, Query(ge=1, le=24, description="Whole calendar months before this one.")]
TeamKey = Annotated[str | None, Query(max_length=100, description="A team key and its subteams.")]


def _check_rate(request: Request) -> None:
    """Same budget per client as feedback, counted apart (a keyed hash held in memory)."""
    limiter: AnonymousRateLimiter = request.app.state.friction_limiter
    if not limiter.allow(request.client.host if request.client else None):
        raise HTTPException(status_code=429, detail=N_("Too many entries from here; try later."))


def friction_page(
    request: Request,
    session: Session,
    problems: list[InputProblem] | None = None,
    status_code: int = 200,
    values: dict[str, str] | None = None,
) -> Response:
    token = new_form_token()
    response = render(
        request,
        "friction.html.j2",
        status_code=status_code,
        title=N_("Log AI friction"),
        severities={s.value: label for s, label in SEVERITY_LABELS.items()},
        outcomes={o.value: label for o, label in OUTCOME_LABELS.items()},
        teams=team_choices(session),
        use_cases=SUGGESTED_USE_CASES,
        tools=SUGGESTED_TOOLS,
        form_token=token,
        problems=problems or [],
        values=values or {},
    )
    set_form_cookie(response, token, settings(request).secure_cookies, "/friction")
    return response


@router.get("/friction", response_class=HTMLResponse, include_in_schema=False)
def friction_form(request: Request, session: DbSession) -> Response:
    return friction_page(request, session)


@router.post("/friction", include_in_schema=False)
def friction_submit(
    request: Request,
    session: DbSession,
    use_case: Annotated[str, Form(max_length=200)] = "",
    tool: Annotated[str, Form(max_length=200)] = "",
    minutes_correcting: Annotated[str, Form(max_length=10)] = "",
    minutes_saved: Annotated[str, Form(max_length=10)] = "",
    severity: Annotated[str, Form(max_length=16)] = "",
    outcome: Annotated[str, Form(max_length=16)] = "",
    team: Annotated[str, Form(max_length=200)] = "",
    note: Annotated[str, Form(max_length=4000)] = "",
    form_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_anonymous_csrf(request, form_token)
    _check_rate(request)
    values = {
        "use_case": use_case,
        "tool": tool,
        "minutes_correcting": minutes_correcting,
        "minutes_saved": minutes_saved,
        "severity": severity,
        "outcome": outcome,
        "team": team,
        "note": note,
    }
    optional = ("minutes_saved", "team", "note")
    try:
        entry = validate_entry({k: v for k, v in values.items() if v or k not in optional})
        log_entry(session, entry, source="web")
    except InputError as error:  # the form again, with the message and what was typed
        return friction_page(request, session, error.problems, 422, values)
    return render(request, "friction_thanks.html.j2", title=N_("Logged — thank you"))


@router.post(
    "/api/v1/friction",
    status_code=201,
    tags=["friction"],
    response_model=Logged,
    responses={422: {"description": "invalid entry; the field is named"}},
)
def friction_api(request: Request, session: DbSession, body: FrictionEntryIn) -> Response:
    """Log one AI output anonymously: use case, tool, minutes, severity, outcome, optional
    team and note. Stored with the day only; no account, address or time of day."""
    if not same_origin(request):
        raise HTTPException(status_code=403, detail="cross-site request refused")
    _check_rate(request)
    log_entry(session, body, source="api")
    return JSONResponse(Logged().model_dump(), status_code=201)


Through = Annotated[
    str | None,
    Query(
        max_length=7,
        description="The last published month shown, YYYY-MM (default: the "
        "latest the release publishes entries for).",
    ),
]


def month_choices(session: Session, through: str | None) -> tuple[list[Period], Period | None]:
    """The release's months (newest first) and the one asked for, or the latest with data;
    None when there is no release yet. An unknown month raises ValueError."""
    months = published_months(session)
    if through:
        picked = [m for m in months if m.describe() == through]
        if not picked:
            raise ValueError("through: pick one of the published months")
        return months, picked[0]
    return months, months[0] if months else None


def build_summary(
    session: Session, viewer: str, months: int, team: str | None, last: Period | None = None
) -> FrictionSummary:
    """Read from the latest friction release: the same figures for every viewer. `last`:
    the last month shown (default: the last month over before today)."""
    today = last.end + dt.timedelta(days=1) if last is not None else None
    result = use_case_friction(session, team or None, months, today)
    record(session, viewer, "view_friction", "friction", {"months": months, "team": team})
    return result


def build_scorecard(
    session: Session, viewer: str, months: int, last: Period | None = None
) -> Scorecard:
    """Read from the latest friction release, over the same whole published months as the
    friction summary: the same card for every viewer."""
    today = last.end + dt.timedelta(days=1) if last is not None else dt.date.today()
    start, end = released_months(today, months)
    result = scorecard(session, start, end)
    record(session, viewer, "view_scorecard", "scorecard", {"months": months})
    return result


@router.get("/api/v1/friction/use-cases", tags=["friction"])
def friction_use_cases_api(
    viewer: AnyStaff, session: DbSession, months: Months = 3, team: TeamKey = None
) -> FrictionSummary:
    """Per use case, over whole published months (runs of ISO weeks, finished): correction
    rate (Wilson), minutes lost vs saved (self-reported), net minutes per output, the
    monthly trend and teams, read from the latest friction release: sums of published
    groups of at least 5 entries whose outcomes are not all alike, the same for every
    viewer. `notes` say in words what is not shown and why."""
    return build_summary(session, viewer.audit_key, months, team)


@router.get("/api/v1/scorecard", tags=["friction"])
def scorecard_api(viewer: AnyStaff, session: DbSession, months: Months = 3) -> Scorecard:
    """Every use case published in the last whole published months (runs of finished ISO
    weeks), classed working / friction / unknown with its evidence and n: sums of the
    friction release's groups, the same for every viewer. `notes` say in words what is not
    in the figures and why."""
    return build_scorecard(session, viewer.audit_key, months)


@router.get("/friction/summary", response_class=HTMLResponse, include_in_schema=False)
def friction_summary_page(
    request: Request,
    viewer: AnyStaff,
    session: DbSession,
    months: Months = 3,
    team: TeamKey = None,
    through: Through = None,
) -> Response:
    """Opens on the months up to the latest the release has entries for."""
    try:
        choices, last = month_choices(session, through)
    except ValueError as unknown:
        return render_error(request, 422, str(unknown))
    result = build_summary(session, viewer.audit_key, months, team, last)
    return render(
        request,
        "friction_summary.html.j2",
        title="Friction audit",
        viewer=viewer,
        summary=result,
        months=months,
        team=team or "",
        teams=team_choices(session),
        month_choices=choices,
        through=last.describe() if last is not None else "",
    )


@router.get("/scorecard", response_class=HTMLResponse, include_in_schema=False)
def scorecard_page(
    request: Request,
    viewer: AnyStaff,
    session: DbSession,
    months: Months = 3,
    through: Through = None,
) -> Response:
    """Opens on the months up to the latest the friction release has entries for."""
    try:
        choices, last = month_choices(session, through)
    except ValueError as unknown:
        return render_error(request, 422, str(unknown))
    result = build_scorecard(session, viewer.audit_key, months, last)
    return render(
        request,
        "scorecard.html.j2",
        title="Use-case scorecard",
        viewer=viewer,
        card=result,
        top=top_use_cases(result),
        months=months,
        month_choices=choices,
        through=last.describe() if last is not None else "",
    )
