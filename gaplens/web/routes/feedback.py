"""The anonymous feedback form and the leaders' digest."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from gaplens.audit.service import record
from gaplens.errors import InputError, InputProblem
from gaplens.feedback.schemas import KIND_LABELS, Digest, FeedbackKind
from gaplens.feedback.service import (
    digest,
    published_periods,
    submit_feedback,
    validate_feedback,
)
from gaplens.i18n import N_
from gaplens.releases.feedback.periods import Period, describe_for_reader, last_weeks
from gaplens.web.abuse import AnonymousRateLimiter
from gaplens.web.deps import AnyStaff, DbSession, settings
from gaplens.web.pages import render, render_error
from gaplens.web.routes.commitments import statement_cache
from gaplens.web.security import check_anonymous_csrf, new_form_token, set_form_cookie

router = APIRouter()


def feedback_page(
    request: Request,
    problems: list[InputProblem] | None = None,
    status_code: int = 200,
    **values: str,
) -> Response:
    token = new_form_token()
    response = render(
        request,
        "feedback.html.j2",
        status_code=status_code,
        title=N_("Anonymous feedback"),
        kinds=KIND_LABELS,
        form_token=token,
        problems=problems or [],
        values=values,
        statements=statement_cache(request).get(),
    )
    set_form_cookie(response, token, settings(request).secure_cookies, "/feedback")
    return response


@router.get("/feedback", response_class=HTMLResponse, include_in_schema=False)
def feedback_form(
    request: Request,
    kind: Annotated[str, Query(max_length=16)] = "",
    tool: Annotated[str, Query(max_length=100)] = "",
    use_case: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    """The form, with the kind, tool and use case selected from the query when given (the
    Teams reply's link: `?kind=friction&tool=copilot&use_case=code-review`). The words are
    never taken from a URL (they would sit in browser history and server logs)."""
    known = kind if kind in set(FeedbackKind) else ""
    return feedback_page(request, kind=known, tool=tool.strip(), use_case=use_case.strip())


@router.post("/feedback", include_in_schema=False)
def feedback_submit(
    request: Request,
    session: DbSession,
    kind: Annotated[str, Form(max_length=16)] = "",
    text: Annotated[str, Form(max_length=4000)] = "",
    tool: Annotated[str, Form(max_length=200)] = "",
    use_case: Annotated[str, Form(max_length=200)] = "",
    form_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_anonymous_csrf(request, form_token)
    address = request.client.host if request.client else None
    limiter: AnonymousRateLimiter = request.app.state.feedback_limiter
    if not limiter.allow(address):
        raise HTTPException(status_code=429, detail=N_("Too many submissions; try again later."))
    values = {"kind": kind, "text": text, "tool": tool, "use_case": use_case}
    try:
        item = validate_feedback({k: v for k, v in values.items() if v or k in ("kind", "text")})
    except InputError as error:  # show the form again with the message
        return feedback_page(request, error.problems, status_code=422, **values)
    submit_feedback(session, item, channel="web")
    return render(request, "thanks.html.j2", title=N_("Thank you"))


@router.get("/digest", response_class=HTMLResponse, include_in_schema=False)
def digest_page(
    request: Request,
    viewer: AnyStaff,
    session: DbSession,
    period: Annotated[str | None, Query(max_length=40)] = None,
    days: Annotated[int | None, Query(ge=7, le=366)] = None,
) -> Response:
    """Opens on the latest period the release publishes (not last week, which is empty
    whenever the latest feedback is older); `period` picks another published week, month
    or quarter; `days` keeps the API's meaning (the last days // 7 weeks before today)."""
    periods = published_periods(session)
    values = {period_value(p): p for p in periods}
    chosen: Period | None = None
    if period:
        if period not in values:
            return render_error(
                request, 422, "period: pick one of the published weeks, months or quarters"
            )
        chosen = values[period]
    elif days is None and periods:
        chosen = periods[0]
    if chosen is not None:
        result = digest(session, chosen.start, chosen.end)
        record(session, viewer.audit_key, "view_digest", "feedback", {"period": str(chosen)})
    else:
        result = build_digest(session, viewer.audit_key, days or 7)
    return render(
        request,
        "digest.html.j2",
        title="Feedback digest",
        viewer=viewer,
        digest=result,
        periods=[(value, describe_for_reader(p)) for value, p in values.items()],
        chosen=period_value(chosen) if chosen is not None else "",
    )


def period_value(period: Period) -> str:
    """A published period in a query string: its first and last day."""
    return f"{period.start.isoformat()}/{period.end.isoformat()}"


@router.get("/api/v1/feedback/digest", tags=["feedback"])
def digest_api(
    viewer: AnyStaff,
    session: DbSession,
    days: Annotated[int, Query(ge=7, le=366)] = 7,
) -> Digest:
    """Counts by kind, themes and comments for the last `days // 7` complete ISO weeks (the
    last complete week by default), read from the feedback release: counts are sums of
    published groups of at least 5 items lying wholly inside those weeks, themes and
    comments those of the completed months overlapping them (10 items of a kind or more).
    Every viewer gets the same figures."""
    return build_digest(session, viewer.audit_key, days)


def build_digest(session: DbSession, viewer: str, days: int) -> Digest:
    # `days` snaps to whole ISO weeks that are over: the release holds nothing else.
    weeks = max(1, days // 7)
    result = digest(session, *last_weeks(dt.date.today(), weeks))
    record(session, viewer, "view_digest", "feedback", {"weeks": weeks})
    return result


__all__ = ["FeedbackKind", "router"]
