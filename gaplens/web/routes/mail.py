"""Invitations by email or Slack: each survey's schedule, what was sent, what failed.

Sending runs after the response (a round is rate-limited and may take minutes); the page
shows its outcome on the next load, and the audit log records who asked for it."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gaplens.audit.service import record
from gaplens.errors import InputError
from gaplens.mail.runner import send_now
from gaplens.mail.service import mail_overview, note_stopped, open_surveys, schedule_survey
from gaplens.surveys.service import survey_with_id
from gaplens.web.deps import Admin, DbSession
from gaplens.web.pages import render
from gaplens.web.security import check_staff_csrf

router = APIRouter()
ACTIONS = ("send", "remind", "remind-closing")


def _page(
    request: Request,
    viewer: Admin,
    session: DbSession,
    *,
    error: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "admin_mail.html.j2",
        status_code=status_code,
        title="Invitations",
        viewer=viewer,
        overview=mail_overview(session),
        surveys=open_surveys(session),
        error=error,
        notice=notice,
        today=dt.date.today(),
    )


@router.get("/admin/mail", response_class=HTMLResponse, include_in_schema=False)
def mail_page(request: Request, viewer: Admin, session: DbSession) -> Response:
    return _page(request, viewer, session)


def _date(value: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InputError.single(f"'{value}' is not a date (YYYY-MM-DD)", column=field) from None


@router.post("/admin/mail/schedule", include_in_schema=False)
def schedule_form(
    request: Request,
    viewer: Admin,
    session: DbSession,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    survey_id: Annotated[int, Form()] = 0,
    opens_on: Annotated[str, Form(max_length=20)] = "",
    closes_on: Annotated[str, Form(max_length=20)] = "",
    reminders: Annotated[str, Form(max_length=100)] = "3,7",
    closing_reminder: Annotated[str, Form(max_length=10)] = "",
    team: Annotated[str, Form(max_length=100)] = "",
    channel: Annotated[str, Form(max_length=16)] = "email",
) -> Response:
    check_staff_csrf(request, viewer.csrf_token, csrf_token)
    survey = survey_with_id(session, survey_id)
    if survey is None:
        return _page(request, viewer, session, error="choose a survey", status_code=422)
    try:
        days = [int(d) for d in reminders.replace(" ", "").split(",") if d]
    except ValueError:
        return _page(
            request,
            viewer,
            session,
            error=f"reminders: '{reminders}' is not a list of days such as 3,7",
            status_code=422,
        )
    try:
        schedule_survey(
            session,
            survey,
            opens_on=_date(opens_on, "opens_on"),
            closes_on=_date(closes_on, "closes_on"),
            reminder_days=days,
            closing_reminder=bool(closing_reminder),
            team=team.strip() or None,
            channel=channel,
        )
    except InputError as error:
        session.rollback()
        return _page(request, viewer, session, error=str(error), status_code=422)
    record(session, viewer.audit_key, "mail_schedule", survey.name, {"channel": channel})
    return RedirectResponse("/admin/mail", status_code=303)


@router.post("/admin/mail/{survey_id}/{action}", include_in_schema=False)
def send_form(
    request: Request,
    viewer: Admin,
    session: DbSession,
    background: BackgroundTasks,
    survey_id: int,
    action: str,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_staff_csrf(request, viewer.csrf_token, csrf_token)
    survey = survey_with_id(session, survey_id)
    if survey is None or action not in ACTIONS:
        return _page(request, viewer, session, error="no such survey or action", status_code=404)
    url = request.app.state.settings.database_url
    actor = viewer.audit_key

    def run() -> None:
        try:
            send_now(url, survey_id, action, actor)
        except InputError as error:
            note_stopped(url, survey_id, str(error))

    background.add_task(run)
    what = "Invitations" if action == "send" else "Reminders"
    notice = f"{what} for {survey.name} are being sent; reload this page to see the outcome."
    return _page(request, viewer, session, notice=notice, status_code=202)
