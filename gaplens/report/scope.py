"""Which population and which period one report is about (docs/report-json.md, "Scope and
period").

A scope is the organisation, a function, or a team with every team below it. Survey figures
use the responses whose self-reported bands fall in the scope; figures about people (usage,
work, licences) use the directory; team-tagged friction entries use the scope's teams.

A period is an inclusive day range. A survey pulse belongs to the period in which it closed:
the day its latest release's answers run through (a week end, never the day of one person's
answer; `releases/pulses.py`). It is always used whole, so two reports never split one
pulse's respondents into sets that differ by a few people; a pulse without a release is not
answered yet for reports. Measured figures are as of the period's end, or the last day of
imported data if that comes first.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gaplens.dates import EARLIEST_DAY, LATEST_DAY, plausible_day
from gaplens.directory.models import Organisation, Person, Team
from gaplens.errors import InputError
from gaplens.metrics.schemas import MetricScope
from gaplens.perception.filters import PopulationFilter
from gaplens.releases.pulses import ReleasedPulse, latest_contribution_day, released_pulses
from gaplens.surveys.models import Survey, SurveyResponse
from gaplens.surveys.service import find_survey

ScopeKind = Literal["organisation", "function", "team"]
DEFAULT_PERIOD_DAYS = 365
SCOPE_HELP = "organisation, function:NAME or team:KEY"
PERIOD_HELP = "a quarter (2026-Q3), a half (2026-H2), a month (2026-09) or a year (2026)"
PERIOD_RULES = [
    "A survey pulse belongs to the period in which it closed: the day its latest release's "
    "answers run through (the end of a week, never the day of one answer). It is used whole; "
    "the report reads the latest pulse that closed in the period. A pulse with no release "
    "yet is not in any period.",
    "The gap trend follows that pulse's series: every pulse that closed by the period's end.",
    "Measured figures (usage, work items, the adoption funnel) are as of the period's end, "
    "or the last day of imported data if that is earlier; the metric registry compares each "
    "person's 90 days before and after their own adoption, ended by that day.",
    "Friction-log entries, feedback and licence costs count when they fall in the period.",
]


@dataclass(frozen=True)
class ScopeRequest:
    kind: ScopeKind = "organisation"
    key: str | None = None


def parse_scope(text: str | None) -> ScopeRequest:
    """'organisation' (or nothing), 'function:NAME' or 'team:KEY'."""
    value = (text or "").strip()
    if value.casefold() in ("", "organisation", "organization", "org"):
        return ScopeRequest()
    kind, sep, key = value.partition(":")
    kind = kind.strip().casefold()
    key = key.strip()
    if sep and kind in ("function", "team") and key:
        return ScopeRequest("function" if kind == "function" else "team", key)
    raise InputError.single(f"'{_clip(value)}' is not a scope (use {SCOPE_HELP})", column="scope")


@dataclass(frozen=True)
class PeriodRequest:
    start: dt.date
    end: dt.date
    label: str


_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.I)
_HALF = re.compile(r"^(\d{4})-?H([12])$", re.I)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")


def parse_period(
    period: str | None, start: str | dt.date | None = None, end: str | dt.date | None = None
) -> PeriodRequest | None:
    """A named period, or --from/--to (both, inclusive); None means the default period."""
    if period and (start or end):
        raise InputError.single("give either a period or --from/--to, not both", column="period")
    if start or end:
        if not (start and end):
            column = "to" if start else "from"
            raise InputError.single("--from and --to go together: give both", column=column)
        first, last = _day(start, "from"), _day(end, "to")
        if first > last:
            raise InputError.single("the period starts after it ends", column="from")
        return PeriodRequest(first, last, f"{first.isoformat()} to {last.isoformat()}")
    if not period:
        return None
    text = period.strip()
    if match := _QUARTER.match(text):
        year, quarter = int(match.group(1)), int(match.group(2))
        return _months(year, 3 * quarter - 2, 3, f"{year}-Q{quarter}")
    if match := _HALF.match(text):
        year, half = int(match.group(1)), int(match.group(2))
        return _months(year, 6 * half - 5, 6, f"{year}-H{half}")
    if (match := _MONTH.match(text)) and 1 <= int(match.group(2)) <= 12:
        year, month = int(match.group(1)), int(match.group(2))
        return _months(year, month, 1, f"{year}-{month:02d}")
    if match := _YEAR.match(text):
        return _months(int(match.group(1)), 1, 12, match.group(1))
    raise InputError.single(
        f"'{_clip(text)}' is not a period (use {PERIOD_HELP}, or --from/--to)", column="period"
    )


def _months(year: int, first_month: int, months: int, label: str) -> PeriodRequest:
    if not EARLIEST_DAY.year <= year <= LATEST_DAY.year:
        raise InputError.single(f"{year} is not a plausible year", column="period")
    last_month = first_month + months - 1
    last_day = calendar.monthrange(year, last_month)[1]
    return PeriodRequest(dt.date(year, first_month, 1), dt.date(year, last_month, last_day), label)


def _day(value: str | dt.date, column: str) -> dt.date:
    if isinstance(value, dt.date):
        return plausible_day(value, column)
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InputError.single(
            f"'{_clip(value)}' is not a date (YYYY-MM-DD)", column=column
        ) from None
    return plausible_day(day, column)


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


# --- resolving against the store -------------------------------------------------------------


@dataclass(frozen=True)
class ResolvedScope:
    kind: ScopeKind
    key: str | None
    name: str
    organisation_id: int
    organisation: str
    team_ids: tuple[int, ...] | None
    """Teams whose team-tagged records (friction entries) count: None = every record."""
    includes: tuple[str, ...] = ()
    """Names of the teams below a team scope."""

    @property
    def metric(self) -> MetricScope:
        """Whom the measured figures are about (persons in the directory)."""
        if self.kind == "team":
            assert self.team_ids
            return MetricScope(organisation_id=self.organisation_id, team_id=self.team_ids[0])
        if self.kind == "function":
            return MetricScope(organisation_id=self.organisation_id, function=self.key)
        return MetricScope(organisation_id=self.organisation_id)

    @property
    def population(self) -> PopulationFilter:
        """Whose survey responses count (self-reported bands)."""
        if self.kind == "team":
            return PopulationFilter(team=self.key)
        if self.kind == "function":
            return PopulationFilter(function=self.key)
        return PopulationFilter()

    @property
    def is_organisation(self) -> bool:
        return self.kind == "organisation"


def resolve_scope(session: Session, request: ScopeRequest) -> ResolvedScope:
    organisation = session.execute(
        select(Organisation.id, Organisation.name).order_by(Organisation.id)
    ).first()
    if organisation is None:
        if request.kind == "organisation":
            return ResolvedScope("organisation", None, "Organisation", 0, "Organisation", None)
        raise InputError.single("no organisation yet: import teams first", column="scope")
    org_id, org_name = organisation
    teams = session.execute(
        select(Team.id, Team.key, Team.name, Team.parent_id, Team.function).where(
            Team.organisation_id == org_id
        )
    ).all()
    if request.kind == "organisation":
        return ResolvedScope("organisation", None, org_name, org_id, org_name, None)
    children: dict[int | None, list[int]] = {}
    for tid, _, _, parent, _ in teams:
        children.setdefault(parent, []).append(tid)

    def subtree(root: int) -> list[int]:
        found, stack = [], [root]
        while stack:
            current = stack.pop()
            found.append(current)
            stack.extend(sorted(children.get(current, []), reverse=True))
        return found

    names = {tid: name for tid, _, name, _, _ in teams}
    if request.kind == "team":
        by_key = {key: tid for tid, key, _, _, _ in teams}
        if request.key not in by_key:
            close = sorted(k for k in by_key if request.key and request.key.casefold() in k)[:5]
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise InputError.single(
                f"unknown team '{_clip(request.key or '')}'{hint}", column="scope"
            )
        ids = subtree(by_key[request.key])
        return ResolvedScope(
            "team",
            request.key,
            names[ids[0]],
            org_id,
            org_name,
            tuple(ids),
            tuple(names[t] for t in ids[1:]),
        )
    known = reportable_functions(session)
    if request.key not in known:
        raise InputError.single(
            f"unknown function '{_clip(request.key or '')}' (known: {', '.join(known) or 'none'})",
            column="scope",
        )
    heads = [tid for tid, _, _, _, function in teams if function == request.key]
    ids = list(dict.fromkeys(t for head in heads for t in subtree(head)))
    return ResolvedScope(
        "function", request.key, request.key or "", org_id, org_name, tuple(ids) or (), ()
    )


def reportable_functions(session: Session) -> list[str]:
    """Functions named anywhere: in the directory, on teams, or in survey bands."""
    found: set[str] = set()
    for column in (Person.function, Team.function, SurveyResponse.function):
        found.update(f for f in session.scalars(select(column).distinct()) if f)
    return sorted(found)


Pulse = ReleasedPulse


def answered_pulses(session: Session) -> list[Pulse]:
    """Every survey with a release, oldest close (`answers_through`) first."""
    return released_pulses(session)


def last_data_day(session: Session) -> dt.date | None:
    """The latest day anything was recorded: what people contributed (answers, friction,
    feedback) by the last day its releases publish (`latest_contribution_day`), never by one
    contribution's own day (the latest entry's day would say when someone took part); the
    tools' exports (usage, work) by their own latest day."""
    from gaplens.telemetry.models import AiUsageDay
    from gaplens.work.models import WorkItem

    released = latest_contribution_day(session)
    days: list[dt.date] = [released] if released is not None else []
    usage = session.scalar(select(func.max(AiUsageDay.day)))
    if usage is not None:
        days.append(usage)
    resolved = session.scalar(select(func.max(WorkItem.resolved_at)))
    if resolved is not None:
        days.append(resolved.date())
    return max(days) if days else None


@dataclass(frozen=True)
class ResolvedPeriod:
    start: dt.date
    end: dt.date
    label: str
    named: bool
    """True for an explicit period (a quarter, --from/--to), False for the default."""
    pulses: list[Pulse] = field(default_factory=list)
    """Pulses that closed (by their latest release) in the period."""


def resolve_period(
    session: Session, request: PeriodRequest | None, today: dt.date | None = None
) -> ResolvedPeriod:
    """The explicit period, or by default the 12 months ending on the last day with data."""
    if request is not None:
        start, end, label, named = request.start, request.end, request.label, True
    else:
        end = last_data_day(session) or today or dt.date.today()
        start = end - dt.timedelta(days=DEFAULT_PERIOD_DAYS - 1)
        label, named = "the last 12 months of data", False
    pulses = [p for p in answered_pulses(session) if start <= p.answers_through <= end]
    return ResolvedPeriod(start, end, label, named, pulses)


def choose_survey(session: Session, period: ResolvedPeriod, survey_name: str | None) -> Survey:
    """The pulse the report reads: the named survey (which, once released, must have closed
    in the period), or the latest pulse that closed in the period.

    Without any released survey this is the latest survey, so a report can still say that
    there are not enough responses yet.
    """
    everything = answered_pulses(session)
    if survey_name is not None or not everything:
        survey = find_survey(session, survey_name)
        closed = next((p for p in everything if p.survey.id == survey.id), None)
        if closed is not None and not period.start <= closed.answers_through <= period.end:
            raise InputError.single(
                f"survey '{_clip(survey.name)}' has answers released through "
                f"{closed.answers_through.isoformat()}, outside the report period "
                f"{period.start.isoformat()} to {period.end.isoformat()}: "
                "choose a period that contains it",
                column="period",
            )
        return survey
    if period.pulses:
        return period.pulses[-1].survey
    listed = ", ".join(
        f"{p.survey.name} ({p.answers_through.isoformat()})" for p in everything[-5:]
    )
    raise InputError.single(
        f"no survey pulse closed between {period.start.isoformat()} and "
        f"{period.end.isoformat()}: a pulse closes on the day its latest release's answers "
        f"run through, and a pulse with no release yet has not closed (released pulses, "
        f"with that day: {listed})",
        column="period",
    )
