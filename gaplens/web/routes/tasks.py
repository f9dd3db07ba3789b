"""The task preference map: the anonymous answer page (/t/TOKEN) and its JSON twin, the staff
map and personas pages and API, and the admin catalogue and rounds."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from gaplens.accounts.service import Viewer
from gaplens.audit.service import record
from gaplens.db.engine import session_scope
from gaplens.directory.queries import team_choices
from gaplens.errors import InputError, InputProblem
from gaplens.i18n import N_
from gaplens.imports.service import ConnectorSummary
from gaplens.privacy import PrivacyPolicy
from gaplens.releases.tasks.service import build_task_release
from gaplens.surveys.collection import LinkNotUsable
from gaplens.tasks.answers import (
    FREE_SLOTS,
    JUDGEMENT_LABELS,
    MAX_HOURS,
    STANCE_LABELS,
    form_answers,
)
from gaplens.tasks.queries import round_names
from gaplens.tasks.schemas import (
    CatalogueIn,
    CatalogueOut,
    CatalogueTaskIn,
    FormOut,
    LinkOut,
    PersonasView,
    RoundIn,
    RoundOut,
    Stored,
    TaskAnswersIn,
    TaskMapView,
)
from gaplens.tasks.service import (
    OpenRound,
    Submission,
    catalogue,
    catalogue_out,
    create_open_link,
    find_round,
    get_or_create_round,
    import_answers,
    import_catalogue,
    open_round,
    remove_task,
    replace_catalogue,
    round_out,
    rounds,
    save_task,
    submission_from_api,
    submit_answers,
    validate_catalogue,
)
from gaplens.tasks.views import TaskScope, personas_view, task_map
from gaplens.web.abuse import AnonymousRateLimiter
from gaplens.web.deps import Admin, AnyStaff, DbSession, Policy, privacy_policy, settings
from gaplens.web.pages import render, render_error
from gaplens.web.routes.imports import ImportOut, received_file
from gaplens.web.routes.surveys import ROLE_CHOICES
from gaplens.web.security import (
    check_anonymous_csrf,
    check_staff_csrf,
    new_form_token,
    same_origin,
    set_form_cookie,
)

router = APIRouter()
RoundName = Annotated[
    str | None, Query(max_length=200, description="A task map round (default: the latest).")
]
FunctionName = Annotated[str | None, Query(max_length=100, description="One function.")]
TeamKey = Annotated[str | None, Query(max_length=100, description="A team key and its subteams.")]


def _check_rate(request: Request) -> None:
    """Counted with survey answers: the same budget per client (a keyed hash in memory)."""
    limiter: AnonymousRateLimiter = request.app.state.response_limiter
    if not limiter.allow(request.client.host if request.client else None):
        raise HTTPException(status_code=429, detail=N_("Too many answers from here; try later."))


# --- answering --------------------------------------------------------------------------


def answer_page(
    request: Request,
    token: str,
    opened: OpenRound,
    function: str | None,
    *,
    error: str | None = None,
    problems: list[InputProblem] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    form_token = new_form_token()
    tasks = opened.tasks.get(function or "")
    kinds = ("stance", "hours", "judgement")
    labels = {f"{kind}.{t.key}": t.label for t in tasks or () for kind in kinds}
    response = render(
        request,
        "tasks_answer.html.j2",
        status_code=status_code,
        title=opened.round.name,
        round=opened.round,
        token=token,
        form_token=form_token,
        functions=sorted(opened.tasks),
        function=function if tasks else None,
        tasks=tasks or [],
        teams=opened.teams.get(function or "", []),
        roles=ROLE_CHOICES,
        stances=STANCE_LABELS,
        judgements=JUDGEMENT_LABELS,
        free_slots=range(1, FREE_SLOTS + 1),
        max_hours=MAX_HOURS,
        error=error,
        problems=[(labels.get(p.column or "", p.column or ""), p) for p in problems or []],
        invalid={p.column for p in problems or []},
        values=values or {},
    )
    set_form_cookie(response, form_token, settings(request).secure_cookies, "/t/")
    return response


@router.get("/t/{token}", response_class=HTMLResponse, include_in_schema=False)
def answer_form(
    request: Request, session: DbSession, token: str, function: FunctionName = None
) -> Response:
    try:
        opened = open_round(session, token)
    except LinkNotUsable as unusable:
        return render_error(request, unusable.status, str(unusable))
    return answer_page(request, token, opened, function)


@router.post("/t/{token}", include_in_schema=False)
async def answer_submit(request: Request, session: DbSession, token: str) -> Response:
    form = await request.form()
    check_anonymous_csrf(request, str(form.get("form_token") or ""))
    _check_rate(request)
    values = {key: str(form.get(key) or "")[:400] for key in form if key != "form_token"}
    try:
        opened = open_round(session, token)
    except LinkNotUsable as unusable:
        return render_error(request, unusable.status, str(unusable))
    function = values.get("function", "")
    keys = [t.key for t in opened.tasks.get(function, [])]
    submission = Submission(
        values.get("role_level", ""), function, values.get("team", ""), form_answers(values, keys)
    )
    try:
        submit_answers(session, token, submission)
    except LinkNotUsable as unusable:
        return render_error(request, unusable.status, str(unusable))
    except InputError as error:  # the form again, with the messages and what was typed
        session.rollback()
        return answer_page(
            request,
            token,
            opened,
            function,
            error=str(error),
            problems=error.problems,
            values=values,
            status_code=422,
        )
    return render(request, "tasks_thanks.html.j2", title=N_("Thank you"))


@router.get(
    "/api/v1/tasks/form/{token}",
    tags=["tasks"],
    responses={404: {"description": "unknown link"}, 410: {"description": "used invitation"}},
)
def form_api(session: DbSession, token: str) -> FormOut:
    """The tasks a link's round asks, per function, to build an answer form."""
    try:
        return open_round(session, token).form()
    except LinkNotUsable as unusable:
        raise HTTPException(status_code=unusable.status, detail=str(unusable)) from None


@router.post(
    "/api/v1/tasks/answers",
    status_code=201,
    tags=["tasks"],
    response_model=Stored,
    responses={
        404: {"description": "unknown link"},
        410: {"description": "used invitation"},
        422: {"description": "invalid answers; the field is named"},
    },
)
def answers_api(request: Request, session: DbSession, body: TaskAnswersIn) -> Response:
    """Submit one anonymous set of task answers: every catalogue task of your function (keep
    / hate / neither, hours per week lost, judgement 1-5) and up to five tasks of your own.
    Stored with the day only; no account, address or time of day."""
    if not same_origin(request):
        raise HTTPException(status_code=403, detail="cross-site request refused")
    _check_rate(request)
    try:
        submit_answers(session, body.link, submission_from_api(body))
    except LinkNotUsable as unusable:
        raise HTTPException(status_code=unusable.status, detail=str(unusable)) from None
    return JSONResponse(Stored().model_dump(), status_code=201)


# --- staff views ------------------------------------------------------------------------


def build_map(
    session: Session,
    policy: PrivacyPolicy,
    viewer: Viewer,
    round_name: str | None,
    function: str | None,
    team: str | None,
) -> TaskMapView:
    scope = TaskScope(function=function or None, team=team or None)
    result = task_map(session, round_name or None, scope, policy=policy)
    record(session, viewer.audit_key, "view_task_map", result.round or "", {"scope": result.scope})
    return result


def build_personas(
    session: Session,
    policy: PrivacyPolicy,
    viewer: Viewer,
    round_name: str | None,
    function: str | None,
    team: str | None,
) -> PersonasView:
    scope = TaskScope(function=function or None, team=team or None)
    result = personas_view(
        session,
        round_name or None,
        scope,
        policy=policy,
    )
    record(
        session, viewer.audit_key, "view_task_personas", result.round or "", {"scope": result.scope}
    )
    return result


def _choices(session: Session) -> dict[str, Any]:
    return {
        "rounds": round_names(session),
        "functions": sorted(catalogue(session)),
        "teams": team_choices(session),
    }


@router.get("/api/v1/tasks/map", tags=["tasks"])
def map_api(
    viewer: AnyStaff,
    session: DbSession,
    policy: Policy,
    round: RoundName = None,
    function: FunctionName = None,
    team: TeamKey = None,
) -> TaskMapView:
    """Ranked augmentation candidates and tasks to protect, per function and team, from the
    round's release: each factor with its n and interval, summed over published groups of
    at least 5 (the same for every viewer); free-text tasks need 10 people."""
    return build_map(session, policy, viewer, round, function, team)


@router.get("/api/v1/tasks/personas", tags=["tasks"])
def personas_api(
    viewer: AnyStaff,
    session: DbSession,
    policy: Policy,
    round: RoundName = None,
    function: FunctionName = None,
    team: TeamKey = None,
) -> PersonasView:
    """Personas clustered from answer patterns (each at least 5 people) and their playbooks:
    tasks to augment and keep, matching scorecard use cases, metrics to measure."""
    return build_personas(session, policy, viewer, round, function, team)


@router.get("/api/v1/tasks/catalogue", tags=["tasks"])
def catalogue_api(viewer: AnyStaff, session: DbSession) -> CatalogueOut:
    """The task catalogue per function, as admins seeded it."""
    return catalogue_out(session)


@router.get("/tasks/map", response_class=HTMLResponse, include_in_schema=False)
def map_page(
    request: Request,
    viewer: AnyStaff,
    session: DbSession,
    policy: Policy,
    round: RoundName = None,
    function: FunctionName = None,
    team: TeamKey = None,
) -> Response:
    result = build_map(session, policy, viewer, round, function, team)
    return render(
        request,
        "tasks_map.html.j2",
        title="Task preference map",
        viewer=viewer,
        view=result,
        selected={"round": result.round, "function": function or "", "team": team or ""},
        **_choices(session),
    )


@router.get("/tasks/personas", response_class=HTMLResponse, include_in_schema=False)
def personas_page(
    request: Request,
    viewer: AnyStaff,
    session: DbSession,
    policy: Policy,
    round: RoundName = None,
    function: FunctionName = None,
    team: TeamKey = None,
) -> Response:
    result = build_personas(session, policy, viewer, round, function, team)
    return render(
        request,
        "tasks_personas.html.j2",
        title="Personas and playbooks",
        viewer=viewer,
        view=result,
        selected={"round": result.round, "function": function or "", "team": team or ""},
        **_choices(session),
    )


# --- administration ---------------------------------------------------------------------


@router.post("/api/v1/admin/tasks/catalogue", tags=["admin"])
def catalogue_replace_api(viewer: Admin, session: DbSession, body: CatalogueIn) -> CatalogueOut:
    """Replace the catalogue of every function named in the body (others are untouched)."""
    spec = validate_catalogue(body.model_dump())
    replace_catalogue(session, spec.tasks)
    record(session, viewer.audit_key, "replace_task_catalogue", "catalogue")
    return catalogue_out(session)


@router.get("/api/v1/admin/tasks/rounds", tags=["admin"])
def rounds_api(viewer: Admin, session: DbSession) -> list[RoundOut]:
    return rounds(session)


@router.post("/api/v1/admin/tasks/rounds", status_code=201, tags=["admin"])
def create_round_api(viewer: Admin, session: DbSession, body: RoundIn) -> RoundOut:
    """Start a round: it asks the catalogue as it is now, until its first answer."""
    round_, created = get_or_create_round(session, body.name)
    if not created:
        raise InputError.single(f"a round named '{round_.name}' already exists", column="name")
    record(session, viewer.audit_key, "create_task_round", round_.name)
    return round_out(session, round_)


@router.post("/api/v1/admin/tasks/rounds/{name}/open-link", status_code=201, tags=["admin"])
def open_link_api(viewer: Admin, session: DbSession, name: str) -> LinkOut:
    round_ = find_round(session, name)
    token = create_open_link(session, round_)
    record(session, viewer.audit_key, "create_task_open_link", round_.name)
    return LinkOut(round=round_.name, path=f"/t/{token}")


def _import(
    url: str, actor: str, kind: str, work: Callable[[Session], ConnectorSummary]
) -> ConnectorSummary:
    """One import in its own transaction (off the event loop), audited with its row count."""
    with session_scope(url) as session:
        summary: ConnectorSummary = work(session)
        record(session, actor, f"import_{kind}", summary.source, {"rows": summary.rows_written})
    return summary


FILE_BODY = {
    "requestBody": {
        "required": True,
        "content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}},
    }
}
FileName = Annotated[
    str, Query(min_length=1, max_length=200, description="Name shown in errors and history")
]


def _out(summary: ConnectorSummary) -> ImportOut:
    return ImportOut(
        kind=summary.kind,
        source=summary.source,
        rows_read=summary.rows_read,
        rows_written=summary.rows_written,
        rows_unresolved=summary.rows_unresolved,
        summary=summary.describe(),
    )


@router.post(
    "/api/v1/admin/imports/tasks/catalogue",
    status_code=201,
    tags=["admin"],
    openapi_extra=FILE_BODY,
    responses={422: {"description": "the file has problems (row and column named)"}},
)
async def catalogue_upload(
    request: Request, viewer: Admin, filename: FileName = "catalogue.csv"
) -> ImportOut:
    """Import a task catalogue CSV (the body is the file); replaces the named functions'."""
    async with received_file(request, filename) as path:
        summary = await run_in_threadpool(
            _import,
            settings(request).database_url,
            viewer.audit_key,
            "task_catalogue",
            lambda s: import_catalogue(s, path),
        )
    return _out(summary)


@router.post(
    "/api/v1/admin/imports/tasks/answers",
    status_code=201,
    tags=["admin"],
    openapi_extra=FILE_BODY,
    responses={422: {"description": "the file has problems (row and column named)"}},
)
async def answers_upload(
    request: Request,
    viewer: Admin,
    round: Annotated[str, Query(min_length=2, max_length=200, description="The round")],
    filename: FileName = "task-answers.csv",
) -> ImportOut:
    """Import task answers exported from another tool (one row per respondent and task)."""

    policy = privacy_policy(request)

    def work(session: Session) -> ConnectorSummary:
        done = import_answers(session, path, round)
        built = build_task_release(session, find_round(session, done.round), policy)
        return ConnectorSummary(
            "task-answers",
            done.source,
            done.rows,
            done.responses,
            detail=f"{done.describe()}. {built.message}",
        )

    async with received_file(request, filename) as path:
        summary = await run_in_threadpool(
            _import, settings(request).database_url, viewer.audit_key, "task_answers", work
        )
    return _out(summary)


def admin_page(
    request: Request,
    viewer: Viewer,
    session: Session,
    *,
    error: str | None = None,
    notice: str | None = None,
    link: str | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "admin_tasks.html.j2",
        status_code=status_code,
        title="Task catalogue",
        viewer=viewer,
        catalogue=catalogue(session),
        rounds=rounds(session),
        error=error,
        notice=notice,
        link=link,
        values=values or {},
    )


@router.get("/admin/tasks", response_class=HTMLResponse, include_in_schema=False)
def admin_tasks(request: Request, viewer: Admin, session: DbSession) -> Response:
    return admin_page(request, viewer, session)


@router.post("/admin/tasks/task", include_in_schema=False)
def admin_save_task(
    request: Request,
    viewer: Admin,
    session: DbSession,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    function: Annotated[str, Form(max_length=200)] = "",
    key: Annotated[str, Form(max_length=200)] = "",
    label: Annotated[str, Form(max_length=400)] = "",
    needs_judgement: Annotated[str, Form(max_length=10)] = "",
    use_cases: Annotated[str, Form(max_length=1000)] = "",
    metrics: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    check_staff_csrf(request, viewer.csrf_token, csrf_token)
    values = {
        "function": function,
        "key": key,
        "label": label,
        "needs_judgement": needs_judgement,
        "use_cases": use_cases,
        "metrics": metrics,
    }
    try:
        task = CatalogueTaskIn.model_validate(
            {
                "function": function,
                "key": key,
                "label": label,
                "judgement_hint": needs_judgement.strip() or None,
                "use_cases": [p.strip() for p in use_cases.split(";") if p.strip()],
                "metrics": [p.strip() for p in metrics.split(";") if p.strip()],
            }
        )
        save_task(session, task)
    except ValidationError as invalid:
        problems = [
            InputProblem(e["msg"], column=".".join(str(p) for p in e["loc"]))
            for e in invalid.errors()
        ]
        return admin_page(
            request,
            viewer,
            session,
            error=str(InputError(problems)),
            values=values,
            status_code=422,
        )
    except InputError as error:
        session.rollback()
        return admin_page(
            request, viewer, session, error=str(error), values=values, status_code=422
        )
    record(session, viewer.audit_key, "save_task", f"{task.function}/{task.key}")
    return admin_page(request, viewer, session, notice=f"Saved '{task.label}' in {task.function}.")


@router.post("/admin/tasks/task/remove", include_in_schema=False)
def admin_remove_task(
    request: Request,
    viewer: Admin,
    session: DbSession,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    function: Annotated[str, Form(max_length=200)] = "",
    key: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_staff_csrf(request, viewer.csrf_token, csrf_token)
    try:
        remove_task(session, function, key)
    except InputError as error:
        return admin_page(request, viewer, session, error=str(error), status_code=422)
    record(session, viewer.audit_key, "remove_task", f"{function}/{key}")
    return admin_page(request, viewer, session, notice=f"Removed '{key}' from {function}.")


@router.post("/admin/tasks/catalogue", include_in_schema=False)
async def admin_catalogue_file(request: Request, viewer: Admin, session: DbSession) -> Response:
    form = await request.form()
    check_staff_csrf(request, viewer.csrf_token, str(form.get("csrf_token") or ""))
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return admin_page(
            request, viewer, session, error="Choose a CSV file to import.", status_code=422
        )
    name = Path(upload.filename).name or "catalogue.csv"
    with tempfile.TemporaryDirectory(prefix="gaplens-upload-") as folder:
        path = Path(folder) / name
        path.write_bytes(await upload.read())
        try:
            summary = import_catalogue(session, path)
        except InputError as error:
            session.rollback()
            return admin_page(request, viewer, session, error=str(error), status_code=422)
    record(session, viewer.audit_key, "import_task_catalogue", name, {"rows": summary.rows_written})
    return admin_page(request, viewer, session, notice=summary.describe())


@router.post("/admin/tasks/rounds", include_in_schema=False)
def admin_create_round(
    request: Request,
    viewer: Admin,
    session: DbSession,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    name: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    check_staff_csrf(request, viewer.csrf_token, csrf_token)
    try:
        round_, created = get_or_create_round(session, name)
        if not created:
            raise InputError.single(f"a round named '{round_.name}' already exists", column="name")
    except InputError as error:
        session.rollback()
        return admin_page(
            request, viewer, session, error=str(error), values={"round": name}, status_code=422
        )
    token = create_open_link(session, round_)
    record(session, viewer.audit_key, "create_task_round", round_.name)
    return admin_page(request, viewer, session, link=f"/t/{token}")


@router.post("/admin/tasks/rounds/open-link", include_in_schema=False)
def admin_open_link(
    request: Request,
    viewer: Admin,
    session: DbSession,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    name: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    check_staff_csrf(request, viewer.csrf_token, csrf_token)
    try:
        round_ = find_round(session, name)
    except InputError:
        return RedirectResponse("/admin/tasks", status_code=303)
    token = create_open_link(session, round_)
    record(session, viewer.audit_key, "create_task_open_link", round_.name)
    return admin_page(request, viewer, session, link=f"/t/{token}")
