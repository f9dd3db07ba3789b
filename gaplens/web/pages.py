"""Server-rendered pages: one Jinja environment with autoescaping, shared by every route."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse

from gaplens.wording import percent, percent_range


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("gaplens.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["percent"] = percent
    env.filters["percent_range"] = percent_range
    return env


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    viewer = context.pop("viewer", None)
    html = (
        environment()
        .get_template(template)
        .render(request_path=request.url.path, viewer=viewer, **context)
    )
    response = HTMLResponse(html, status_code=status_code)
    response.headers["cache-control"] = "no-store"
    return response


def render_error(request: Request, status_code: int, message: str) -> HTMLResponse:
    titles = {
        401: "Please sign in",
        403: "Not allowed",
        404: "Not found",
        413: "Too large",
        422: "Please check what you entered",
        429: "Too many attempts",
    }
    return render(
        request,
        "error.html.j2",
        status_code=status_code,
        title=titles.get(status_code, "Something went wrong"),
        message=message,
    )
