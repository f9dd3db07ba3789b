"""Server-rendered pages: one Jinja environment with autoescaping, shared by every route."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from gaplens.errors import InputProblem
from gaplens.i18n import (
    COOKIE,
    DEFAULT_LANGUAGE,
    LANGUAGE_PARAMETER,
    N_,
    available,
    date_words,
    language_name,
    negotiate,
    number_words,
    translate,
    translations,
)
from gaplens.releases.feedback.periods import describe_for_reader
from gaplens.wording import percent, percent_range, signed

_LANGUAGE: ContextVar[str] = ContextVar("gaplens_language", default=DEFAULT_LANGUAGE)
"""The language of the page being rendered: set around one render, read by `_` and the
date and number filters (one shared environment serves every language)."""


def _gettext(message: str) -> str:
    return translations(_LANGUAGE.get()).gettext(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_LANGUAGE.get()).ngettext(singular, plural, n)


# The filters take the context only so that Jinja never folds them on a constant when it
# compiles a template (`2000 | number_words` would be fixed in the first page's language).


@jinja2.pass_context
def _translated(_: jinja2.runtime.Context, message: str) -> str:
    return _gettext(message)


@jinja2.pass_context
def _problem(_: jinja2.runtime.Context, problem: InputProblem) -> str:
    """A validation message in the page's language, the value it quotes filled in after
    translation (a message without values is looked up as it is)."""
    if problem.template is None:
        return _gettext(problem.message)
    language = _LANGUAGE.get()
    return translate(language, problem.template, **_value_words(problem.values, language))


def _value_words(values: tuple[tuple[str, object], ...], language: str) -> dict[str, object]:
    """A problem's values as the language writes them: days and numbers through Babel
    ("7. Dezember 2026", "2.000"), typed text as it was typed."""
    words: dict[str, object] = {}
    for name, value in values:
        if isinstance(value, dt.date):
            words[name] = date_words(value, language)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            words[name] = number_words(value, language)
        else:
            words[name] = value
    return words


@jinja2.pass_context
def _date(_: jinja2.runtime.Context, day: dt.date) -> str:
    return date_words(day, _LANGUAGE.get())


@jinja2.pass_context
def _number(_: jinja2.runtime.Context, value: float) -> str:
    return number_words(value, _LANGUAGE.get())


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("gaplens.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
    )
    env.policies["ext.i18n.trimmed"] = True  # as babel.cfg extracts them
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    # `| tr` for a dynamic string (a label, a question, a message): translated if the
    # catalogue has it, and escaped like any value (`_()` would mark an unknown string safe).
    env.filters["tr"] = _translated
    env.filters["problem_words"] = _problem
    env.filters["capitalize_first"] = capitalize_first
    env.filters["date_words"] = _date
    env.filters["number_words"] = _number
    env.filters["percent"] = percent
    env.filters["percent_range"] = percent_range
    env.filters["signed"] = signed
    env.filters["chart"] = one_image
    env.filters["period_words"] = describe_for_reader
    return env


def capitalize_first(text: str) -> str:
    """An answer option as a label: its first letter upper case, the rest as written (a
    translation may already start upper case, as German nouns do)."""
    return text[:1].upper() + text[1:]


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
            NavLink("/admin/connections", "Connections", "/admin/connections", admin_only=True),
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


RESPONDENT_TEMPLATES = frozenset(
    {
        "survey.html.j2",
        "survey_thanks.html.j2",
        "tasks_answer.html.j2",
        "tasks_thanks.html.j2",
        "reflection.html.j2",
        "reflection_thanks.html.j2",
        "feedback.html.j2",
        "thanks.html.j2",
        "friction.html.j2",
        "friction_thanks.html.j2",
        "commitments.html.j2",
        "leaders.html.j2",
        "leader_post.html.j2",
        "home.html.j2",
        "error.html.j2",
    }
)
"""Pages a respondent sees, shown in the browser's language (or the one picked with the
switch) when no staff member is signed in; every other page, and every page a signed-in
staff member sees, stays English."""


@dataclass(frozen=True)
class LanguageLink:
    code: str
    name: str
    href: str
    current: bool


def page_language(request: Request, template: str, signed_in: bool) -> tuple[str, str | None]:
    """The page's language, and the language to remember in the cookie (when the visitor
    just picked one with the switch)."""
    if signed_in or template not in RESPONDENT_TEMPLATES:
        return DEFAULT_LANGUAGE, None
    picked = request.query_params.get(LANGUAGE_PARAMETER)
    if picked in available():
        return str(picked), str(picked)
    return negotiate(request.headers.get("accept-language"), request.cookies.get(COOKIE)), None


def language_links(request: Request, language: str) -> list[LanguageLink]:
    """The switch: this page in each language (other query parameters kept)."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != LANGUAGE_PARAMETER]
    return [
        LanguageLink(
            code,
            language_name(code),
            f"{request.url.path}?{urlencode([*kept, (LANGUAGE_PARAMETER, code)])}",
            code == language,
        )
        for code in available()
    ]


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    viewer = context.pop("viewer", None)
    language, remember = page_language(request, template, viewer is not None)
    translated = viewer is None and template in RESPONDENT_TEMPLATES
    token = _LANGUAGE.set(language)
    try:
        html = (
            environment()
            .get_template(template)
            .render(
                request_path=request.url.path,
                viewer=viewer,
                navigation=navigation(str(viewer.role)) if viewer is not None else [],
                lang=language,
                languages=language_links(request, language) if translated else [],
                **context,
            )
        )
    finally:
        _LANGUAGE.reset(token)
    response = HTMLResponse(html, status_code=status_code)
    response.headers["cache-control"] = "no-store"
    response.headers["content-language"] = language
    if remember is not None:
        settings = getattr(request.app.state, "settings", None)
        response.set_cookie(
            COOKIE,
            remember,
            max_age=365 * 24 * 3600,
            path="/",
            httponly=True,
            samesite="lax",
            secure=bool(getattr(settings, "secure_cookies", False)),
        )
    return response


def render_error(
    request: Request,
    status_code: int,
    message: str,
    values: Mapping[str, object] | None = None,
    problems: Sequence[InputProblem] = (),
) -> HTMLResponse:
    """The error page; `message` is looked up in the catalogue on a respondent page, and with
    `values` it is a template whose `%(name)s` are filled in after translation (a day in
    the page's way of writing days). `problems`, when given, are listed instead, each
    translated."""
    titles = {
        401: N_("Please sign in"),
        403: N_("Not allowed"),
        404: N_("Not found"),
        410: N_("This link can no longer be used"),
        413: N_("Too large"),
        422: N_("Please check what you entered"),
        429: N_("Too many attempts"),
    }
    return render(
        request,
        "error.html.j2",
        status_code=status_code,
        title=titles.get(status_code, N_("Something went wrong")),
        problem=InputProblem.worded(message, values) if values else InputProblem(message),
        problems=list(problems),
    )
