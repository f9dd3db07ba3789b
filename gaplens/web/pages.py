"""Server-rendered pages: one Jinja environment with autoescaping, shared by every route."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from gaplens.releases.feedback.periods import describe_for_reader
from gaplens.wording import percent, percent_range, signed


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("gaplens.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["percent"] = percent
    env.filters["percent_range"] = percent_range
    env.filters["signed"] = signed
    env.filters["chart"] = one_image
    env.filters["period_words"] = describe_for_reader
    return env


_INNER_ARIA = re.compile(
    r'\s(?:role="graphics-[a-z]+"|aria-roledescription="[^"]*"|aria-label="[^"]*")'
)


def one_image(svg: str) -> Markup:
    """An inline chart as one image for assistive technology: the root <svg> keeps its
    role="img" and label; the roles and labels Vega puts on every mark group inside are
    dropped (axe's svg-img-alt flags the unlabelled ones, and a screen reader would read
    each bar; the page's table carries the numbers)."""
    head, sep, rest = str(svg).partition(">")
    return Markup(head + sep + _INNER_ARIA.sub("", rest))


@dataclass(frozen=True)
class NavLink:
    href: str
    label: str
    prefix: str
    """Paths starting with this mark the link current (its own page and pages below it)."""
    admin_only: bool = False

    def current(self, path: str) -> bool:
        return path == self.href or path.startswith(self.prefix)


@dataclass(frozen=True)
class NavGroup:
    label: str
    links: tuple[NavLink, ...]

    def current(self, path: str) -> bool:
        return any(link.current(path) for link in self.links)


NAVIGATION = (
    NavGroup(
        "Perception",
        (
            NavLink("/dashboard", "Dashboard", "/dashboard"),
            NavLink("/trend", "Gap trend", "/trend"),
            NavLink("/shadow", "Shadow AI", "/shadow"),
            NavLink("/reflections", "Reflections", "/reflections"),
            NavLink("/tasks/map", "Task map", "/tasks/"),
        ),
    ),
    NavGroup(
        "Measured",
        (
            NavLink("/metrics", "Metrics", "/metrics"),
            NavLink("/adoption", "Adoption", "/adoption"),
            NavLink("/criteria", "Success criteria", "/criteria"),
            NavLink("/wins", "What's working", "/wins"),
        ),
    ),
    NavGroup(
        "Friction & feedback",
        (
            NavLink("/friction/summary", "Friction", "/friction/summary"),
            NavLink("/scorecard", "Scorecard", "/scorecard"),
            NavLink("/digest", "Feedback digest", "/digest"),
        ),
    ),
    NavGroup(
        "Plans",
        (
            NavLink("/reports", "Reality report", "/reports"),
            NavLink("/actions", "Action plan", "/actions"),
            NavLink("/leaders", "Leaders' AI work", "/leaders"),
            NavLink("/commitments", "What stays the same", "/commitments"),
        ),
    ),
    NavGroup(
        "Admin",
        (
            NavLink("/admin/surveys", "Surveys", "/admin/surveys", admin_only=True),
            NavLink("/admin/mail", "Invitations", "/admin/mail", admin_only=True),
            NavLink("/admin/users", "Accounts", "/admin/users", admin_only=True),
            NavLink("/admin/tasks", "Task catalogue", "/admin/tasks", admin_only=True),
        ),
    ),
)
"""The staff menu: a few labelled groups (15 links in a row did not fit a phone or 1280 px)."""


def navigation(role: str) -> list[NavGroup]:
    """The groups and links this staff role may open (empty groups left out)."""
    groups = []
    for group in NAVIGATION:
        links = tuple(link for link in group.links if role == "admin" or not link.admin_only)
        if links:
            groups.append(NavGroup(group.label, links))
    return groups


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    viewer = context.pop("viewer", None)
    html = (
        environment()
        .get_template(template)
        .render(
            request_path=request.url.path,
            viewer=viewer,
            navigation=navigation(str(viewer.role)) if viewer is not None else [],
            **context,
        )
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
