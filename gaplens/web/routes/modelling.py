"""Leadership modelling: leaders' posts for everyone (no sign-in), written by leaders and
admins, and the anonymous "useful" mark (one per browser, rate limited like feedback)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from gaplens.accounts.schemas import StaffRole
from gaplens.accounts.service import Viewer
from gaplens.audit.service import record
from gaplens.directory.service import team_functions
from gaplens.errors import InputError
from gaplens.i18n import N_
from gaplens.modelling.schemas import Marked, PostIn, PostOut, PostPage
from gaplens.modelling.service import (
    NotAuthor,
    PostNotFound,
    authored_by,
    edit_post,
    get_post,
    list_posts,
    mark_useful,
    marked_by,
    new_reader_token,
    post_author_id,
    publish_post,
    valid_reader_token,
    validate_post,
)
from gaplens.web.abuse import AnonymousRateLimiter
from gaplens.web.deps import DbSession, optional_viewer, require, settings
from gaplens.web.pages import render, render_error
from gaplens.web.security import (
    check_anonymous_csrf,
    check_staff_csrf,
    new_form_token,
    same_origin,
    set_form_cookie,
)

router = APIRouter()
PostId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Author = Annotated[Viewer, Depends(require(StaffRole.LEADER, StaffRole.ADMIN))]
MaybeViewer = Annotated[Viewer | None, Depends(optional_viewer)]
Page = Annotated[int, Query(ge=1, le=10_000, description="Page of 20 posts, newest first.")]
READER_COOKIE = "gaplens_reader"
READER_COOKIE_DAYS = 400  # the longest lifetime browsers keep a cookie
FIELDS = ("title", "task", "tool", "what_worked", "what_went_wrong", "function")


def _can_write(viewer: Viewer | None) -> bool:
    return viewer is not None and viewer.role in (StaffRole.LEADER, StaffRole.ADMIN)


def _found(session: Session, post_id: PostId) -> PostOut:
    try:
        return get_post(session, post_id)
    except PostNotFound as missing:
        raise HTTPException(status_code=404, detail=str(missing)) from None


def _reader(request: Request) -> tuple[str, bool]:
    """This browser's reader token, and whether it is new (then the response sets it)."""
    token = request.cookies.get(READER_COOKIE)
    if valid_reader_token(token):
        assert token is not None
        return token, False
    return new_reader_token(), True


def _set_reader(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        READER_COOKIE,
        token,
        max_age=READER_COOKIE_DAYS * 86400,
        httponly=True,
        samesite="strict",
        secure=settings(request).secure_cookies,
        path="/",
    )


def _check_rate(request: Request) -> None:
    """Same budget per client as feedback, counted apart (a keyed hash held in memory)."""
    limiter: AnonymousRateLimiter = request.app.state.useful_limiter
    if not limiter.allow(request.client.host if request.client else None):
        raise HTTPException(status_code=429, detail=N_("Too many marks from here; try later."))


# --- pages for everyone -----------------------------------------------------------------


@router.get("/leaders", response_class=HTMLResponse, include_in_schema=False)
def posts_page(
    request: Request, session: DbSession, viewer: MaybeViewer, page: Page = 1
) -> Response:
    result = list_posts(session, page)
    token = new_form_token()
    marked = marked_by(session, request.cookies.get(READER_COOKIE), [p.id for p in result.posts])
    response = render(
        request,
        "leaders.html.j2",
        title=N_("How our leaders use AI"),
        viewer=viewer,
        result=result,
        marked=marked,
        can_write=_can_write(viewer),
        me=viewer.display_name if viewer else None,
        own=_own_posts(session, viewer, result.posts),
        form_token=token,
    )
    set_form_cookie(response, token, settings(request).secure_cookies, "/leaders")
    return response


def _own_posts(session: Session, viewer: Viewer | None, posts: list[PostOut]) -> set[int]:
    """Which of these posts the viewer wrote (they get an edit link)."""
    if viewer is None or not _can_write(viewer):
        return set()
    return authored_by(session, viewer.user_id, [p.id for p in posts])


@router.get("/leaders/new", response_class=HTMLResponse, include_in_schema=False)
def new_post_page(request: Request, session: DbSession, viewer: Author) -> Response:
    return _form(request, session, viewer, None, {})


@router.post("/leaders/new", include_in_schema=False)
async def new_post_submit(request: Request, session: DbSession, viewer: Author) -> Response:
    form = await request.form()
    check_staff_csrf(request, viewer.csrf_token, str(form.get("csrf_token") or ""))
    values, data = _form_data(form)
    try:
        post = publish_post(session, viewer.user_id, validate_post(data))
    except InputError as error:
        return _form(request, session, viewer, None, values, str(error), 422)
    record(session, viewer.audit_key, "publish_post", str(post.id))
    return RedirectResponse(f"/leaders/{post.id}", status_code=303)


@router.get("/leaders/{post_id}", response_class=HTMLResponse, include_in_schema=False)
def post_page(
    request: Request, session: DbSession, viewer: MaybeViewer, post_id: PostId
) -> Response:
    try:
        post = get_post(session, post_id)
    except PostNotFound:  # a respondent's page: the message in their language
        return render_error(request, 404, N_("There is no such post."))
    token = new_form_token()
    response = render(
        request,
        "leader_post.html.j2",
        title=post.title,
        viewer=viewer,
        post=post,
        marked=marked_by(session, request.cookies.get(READER_COOKIE), [post.id]),
        own=_own_posts(session, viewer, [post]),
        form_token=token,
    )
    set_form_cookie(response, token, settings(request).secure_cookies, "/leaders")
    return response


@router.get("/leaders/{post_id}/edit", response_class=HTMLResponse, include_in_schema=False)
def edit_post_page(
    request: Request, session: DbSession, viewer: Author, post_id: PostId
) -> Response:
    post = _found(session, post_id)
    _check_author(session, viewer, post_id)
    values = {name: getattr(post, name) or "" for name in FIELDS}
    values["nothing_went_wrong"] = "" if post.admits_failure else "on"
    return _form(request, session, viewer, post, values)


@router.post("/leaders/{post_id}/edit", include_in_schema=False)
async def edit_post_submit(
    request: Request, session: DbSession, viewer: Author, post_id: PostId
) -> Response:
    form = await request.form()
    check_staff_csrf(request, viewer.csrf_token, str(form.get("csrf_token") or ""))
    post = _found(session, post_id)
    _check_author(session, viewer, post_id)
    values, data = _form_data(form)
    try:
        edit_post(session, post_id, viewer.user_id, validate_post(data))
    except InputError as error:
        return _form(request, session, viewer, post, values, str(error), 422)
    record(session, viewer.audit_key, "edit_post", str(post_id))
    return RedirectResponse(f"/leaders/{post_id}", status_code=303)


@router.post("/leaders/{post_id}/useful", include_in_schema=False)
def useful_submit(
    request: Request,
    session: DbSession,
    post_id: PostId,
    form_token: Annotated[str, Form(max_length=200)] = "",
    back: Annotated[str, Form(max_length=10)] = "post",
    page: Annotated[int, Form(ge=1, le=10_000)] = 1,
) -> Response:
    check_anonymous_csrf(request, form_token)
    _check_rate(request)
    token, new = _reader(request)
    try:
        mark_useful(session, post_id, token)
    except PostNotFound as missing:
        raise HTTPException(status_code=404, detail=str(missing)) from None
    target = f"/leaders?page={page}#post-{post_id}" if back == "list" else f"/leaders/{post_id}"
    response = RedirectResponse(target, status_code=303)
    if new:
        _set_reader(request, response, token)
    return response


def _check_author(session: Session, viewer: Viewer, post_id: PostId) -> None:
    if post_author_id(session, post_id) != viewer.user_id:
        raise HTTPException(status_code=403, detail=str(NotAuthor()))


def _form_data(form: FormData) -> tuple[dict[str, str], dict[str, object]]:
    """What was typed (to show again) and what validation receives."""
    values = {name: str(form.get(name) or "") for name in (*FIELDS, "nothing_went_wrong")}
    data: dict[str, object] = {name: values[name] for name in FIELDS if values[name].strip()}
    for name in ("title", "task", "tool", "what_worked"):
        data.setdefault(name, values[name])
    data["nothing_went_wrong"] = values["nothing_went_wrong"] == "on"
    return values, data


def _form(
    request: Request,
    session: Session,
    viewer: Viewer,
    post: PostOut | None,
    values: dict[str, str],
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "leader_post_form.html.j2",
        status_code=status_code,
        title="Edit your post" if post else "Share how you use AI",
        viewer=viewer,
        post=post,
        values=values,
        functions=team_functions(session),
        error=error,
    )


# --- API ----------------------------------------------------------------------------------


@router.get("/api/v1/leaders/posts", tags=["modelling"])
def posts_api(session: DbSession, page: Page = 1) -> PostPage:
    """Leaders' posts on their own AI work, newest first, 20 a page. Public: no sign-in."""
    return list_posts(session, page)


@router.get(
    "/api/v1/leaders/posts/{post_id}",
    tags=["modelling"],
    responses={404: {"description": "no such post"}},
)
def post_api(session: DbSession, post_id: PostId) -> PostOut:
    """One post with its author's name and role, its edit day and its useful count."""
    return _found(session, post_id)


@router.post(
    "/api/v1/leaders/posts",
    status_code=201,
    tags=["modelling"],
    responses={422: {"description": "invalid post; the field is named"}},
)
def publish_api(request: Request, session: DbSession, viewer: Author, body: PostIn) -> PostOut:
    """Publish a post signed by you (leaders and admins). Say what the AI got wrong, or set
    `nothing_went_wrong`; one of the two, not both."""
    if not same_origin(request):
        raise HTTPException(status_code=403, detail="cross-site request refused")
    post = publish_post(session, viewer.user_id, body)
    record(session, viewer.audit_key, "publish_post", str(post.id))
    return get_post(session, post.id)


@router.put(
    "/api/v1/leaders/posts/{post_id}",
    tags=["modelling"],
    responses={403: {"description": "not your post"}, 404: {"description": "no such post"}},
)
def edit_api(
    request: Request, session: DbSession, viewer: Author, post_id: PostId, body: PostIn
) -> PostOut:
    """Change your own post; it then shows "edited" with the day."""
    if not same_origin(request):
        raise HTTPException(status_code=403, detail="cross-site request refused")
    _found(session, post_id)
    _check_author(session, viewer, post_id)
    edit_post(session, post_id, viewer.user_id, body)
    record(session, viewer.audit_key, "edit_post", str(post_id))
    return get_post(session, post_id)


@router.post(
    "/api/v1/leaders/posts/{post_id}/useful",
    tags=["modelling"],
    response_model=Marked,
    responses={201: {"description": "marked"}, 404: {"description": "no such post"}},
)
def useful_api(request: Request, session: DbSession, post_id: PostId) -> Response:
    """Mark a post useful, anonymously: once per browser (a random token in a cookie, stored
    only as a keyed hash), rate limited per client. 201 when new, 200 when already marked."""
    if not same_origin(request):
        raise HTTPException(status_code=403, detail="cross-site request refused")
    _check_rate(request)
    token, new = _reader(request)
    try:
        result = mark_useful(session, post_id, token)
    except PostNotFound as missing:
        raise HTTPException(status_code=404, detail=str(missing)) from None
    response = JSONResponse(result.model_dump(), status_code=201 if result.new else 200)
    if new:
        _set_reader(request, response, token)
    return response
