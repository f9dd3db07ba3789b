"""Builds the FastAPI application: one function, so tests and `gaplens serve` share it."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from gaplens import __version__
from gaplens.commitments.service import StatementCache
from gaplens.errors import InputError, check_problems
from gaplens.i18n import N_
from gaplens.privacy import configured_policy
from gaplens.surveys.intake import AnswerIntake
from gaplens.web.abuse import AnonymousRateLimiter
from gaplens.web.assets import STATIC_DIR
from gaplens.web.deps import LoginRequired
from gaplens.web.pages import render_error
from gaplens.web.routes import (
    actions,
    admin,
    api,
    auth,
    commitments,
    connections,
    costs,
    criteria,
    dashboard,
    exports,
    feedback,
    friction,
    health,
    imports,
    mail,
    measured,
    modelling,
    public,
    reflections,
    reports,
    scim,
    scim_admin,
    slack,
    surveys,
    tasks,
    teams,
    users,
    wins,
)
from gaplens.web.routes.scim import install_scim_errors
from gaplens.web.schedule import (
    mail_trigger,
    release_trigger,
    start_mail_schedule,
    start_release_schedule,
    start_sync_schedule,
)
from gaplens.web.security import CrossSiteMiddleware, HardeningMiddleware
from gaplens.web.settings import UPLOAD_PREFIX, WebSettings
from gaplens.web.sso import OidcClient

log = logging.getLogger("gaplens.web")


def wants_json(request: Request) -> bool:
    return request.url.path.startswith(("/api/", "/integrations/")) or (
        "application/json" in request.headers.get("accept", "")
        and "text/html" not in request.headers.get("accept", "")
    )


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Startup objects (routes, templates, models) never die: move them out of the collector's
    # view, so full collections under load scan only what requests create.
    gc.collect()
    gc.freeze()
    trigger = app.state.release_trigger
    scheduler = None
    if trigger is not None:
        scheduler = start_release_schedule(
            trigger, app.state.settings.database_url, app.state.policy
        )
    app.state.release_scheduler = scheduler
    sync_scheduler = None
    sync_stop = threading.Event()
    if app.state.sync_trigger is not None:
        sync_scheduler = start_sync_schedule(
            app.state.sync_trigger, app.state.settings.database_url, app.state.policy, sync_stop
        )
    app.state.sync_scheduler = sync_scheduler
    mail_scheduler = None
    if app.state.mail_trigger is not None:
        mail_scheduler = start_mail_schedule(
            app.state.mail_trigger, app.state.settings.database_url
        )
    app.state.mail_scheduler = mail_scheduler
    yield
    if sync_scheduler is not None:
        # A sync under way stops after the unit it is storing (committed with its cursor).
        sync_stop.set()
        sync_scheduler.shutdown(wait=True)
    if mail_scheduler is not None:
        # A round under way finishes, so what it sent is recorded (it may take a while).
        mail_scheduler.shutdown(wait=True)
    if scheduler is not None:
        # A build under way finishes (and commits, and gives its lease back) first.
        scheduler.shutdown(wait=True)
    # Answers still queued are written before the worker exits (graceful shutdown).
    app.state.answer_intake.close()


def create_app(settings: WebSettings | None = None) -> FastAPI:
    settings = settings or WebSettings.from_environment()
    app = FastAPI(
        title="gaplens",
        version=__version__,
        description="The gap between what leadership believes AI does and what the work shows. "
        "Every figure is an aggregate read from a privacy release.",
        docs_url=None,  # Swagger UI would load from a CDN; the spec is at /openapi.json
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    # One OpenID relying party per app: it keeps the provider's metadata and keys.
    app.state.oidc_client = OidcClient(settings.oidc) if settings.oidc else None
    # The one privacy policy every route reads (through `deps.Policy`), never built per route.
    app.state.policy = configured_policy()
    # Parsed here so a bad schedule stops the server at startup (None: builds run from cron).
    app.state.release_trigger = release_trigger(settings.release_schedule)
    app.state.sync_trigger = release_trigger(settings.sync_schedule, "GAPLENS_SYNC_SCHEDULE")
    app.state.mail_trigger = mail_trigger(settings.mail_schedule)
    # Per app (so per worker): an address is only ever held as a keyed hash, in memory.
    app.state.feedback_limiter = AnonymousRateLimiter(
        limit=settings.feedback_per_hour, window_seconds=3600
    )
    app.state.friction_limiter = AnonymousRateLimiter(
        limit=settings.feedback_per_hour, window_seconds=3600
    )
    app.state.useful_limiter = AnonymousRateLimiter(
        limit=settings.feedback_per_hour, window_seconds=3600
    )
    app.state.response_limiter = AnonymousRateLimiter(
        limit=settings.responses_per_hour, window_seconds=3600
    )
    app.state.reflection_limiter = AnonymousRateLimiter(
        limit=settings.feedback_per_hour, window_seconds=3600
    )
    # Sign-ins started per client: each stores its state until used or ten minutes pass.
    app.state.sso_limiter = AnonymousRateLimiter(
        limit=settings.sso_starts_per_hour, window_seconds=3600
    )
    # One per worker: cached survey forms and the group-commit writer for answers.
    app.state.answer_intake = AnswerIntake(settings.database_url)
    # Statements of what stays the same, for the answer and feedback pages without a query.
    app.state.statements = StatementCache(settings.database_url)
    routers = (
        health.router,
        public.router,
        auth.router,
        dashboard.router,
        feedback.router,
        friction.router,
        slack.router,
        teams.router,
        surveys.router,
        admin.router,
        connections.router,
        mail.router,
        users.router,
        api.router,
        exports.router,
        costs.router,
        imports.router,
        measured.router,
        measured.pages,
        reflections.router,
        tasks.router,
        modelling.router,
        commitments.router,
        criteria.router,
        criteria.pages,
        actions.router,
        actions.pages,
        wins.router,
        wins.pages,
        reports.pages,
        scim.router,
        scim_admin.router,
    )
    for router in routers:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")  # after the routes
    install_error_handlers(app)
    install_scim_errors(app)
    # Inside the hardening middleware, so its 403 carries the security headers too.
    app.add_middleware(CrossSiteMiddleware, allowed_origins=settings.allowed_origins)
    app.add_middleware(
        HardeningMiddleware,
        max_body_bytes=settings.max_body_bytes,
        streamed_prefixes=(UPLOAD_PREFIX,),
    )
    return app


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _: LoginRequired) -> Response:
        if wants_json(request):
            return JSONResponse({"error": "sign in required"}, status_code=401)
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.exception_handler(InputError)
    async def input_error(request: Request, error: InputError) -> Response:
        problems = [
            {"message": p.message, "field": p.column or p.source, "row": p.row}
            for p in error.problems
        ]
        if wants_json(request):
            return JSONResponse({"error": str(error), "problems": problems}, status_code=422)
        return render_error(request, 422, str(error))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        if wants_json(request):
            return JSONResponse(
                {"error": error.detail}, status_code=error.status_code, headers=error.headers
            )
        return render_error(request, error.status_code, str(error.detail))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> Response:
        problems = [
            {"message": e.get("msg", "invalid"), "field": ".".join(str(p) for p in e["loc"])}
            for e in error.errors()
        ]
        if wants_json(request):
            return JSONResponse({"error": "invalid request", "problems": problems}, status_code=422)
        text = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
        # On a page, each problem in the page's language (a respondent's form, sent with a
        # field longer than the form allows, is answered in the form's language).
        shown = check_problems(error.errors(), skip_location=1)
        return render_error(request, 422, text, problems=shown)

    @app.exception_handler(StarletteHTTPException)
    async def no_route(request: Request, error: StarletteHTTPException) -> Response:
        """A mistyped or cut-off link (`/r/` without its token) is a page in the reader's
        language, not a JSON body; the API and other statuses keep FastAPI's answer."""
        if error.status_code != 404 or wants_json(request):
            return await http_exception_handler(request, error)
        return render_error(request, 404, N_("There is no page at this address."))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> Response:
        log.error(
            "internal error on %s %s: %s", request.method, request.url.path, type(error).__name__
        )
        # uvicorn drops the keep-alive connection after an unhandled error; saying so lets
        # the client open a new one instead of losing its next request on a dead socket.
        if wants_json(request):
            response: Response = JSONResponse({"error": "internal error"}, status_code=500)
        else:
            response = render_error(request, 500, N_("Something went wrong on our side."))
        response.headers["Connection"] = "close"
        return response
