"""Logging wins and computing their evidence. Services take the caller's session and never
commit; every input is checked before anything is written.

A win's numbers are never stored: they are figures of the measured release for the win's
metric and scope, read whenever the win is read (nobody can type a number in), the same for
every viewer. A period snaps to released month ends: the before value is the current value of
the month end at or before the before period's end; the method's figure is that of the month
end at or before the win's end, which must lie in the win's period (else: no figure yet).
The before period defaults to one as long as the win's period, ending the day before it
starts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.criteria.measure import (
    METHODS,
    current_at,
    first_organisation,
    measure,
    resolve_scope,
    scope_of,
)
from gaplens.criteria.report import report_wins
from gaplens.criteria.rules import sign
from gaplens.criteria.schemas import ScopeOut
from gaplens.errors import InputError, InputProblem
from gaplens.metrics.definitions import Metric
from gaplens.metrics.registry import UnknownMetricError, get_metric
from gaplens.metrics.schemas import MetricDefinition, MetricScope
from gaplens.privacy import PrivacyPolicy
from gaplens.sections import SectionContext, section
from gaplens.wins.models import Win
from gaplens.wins.schemas import Verdict, WinEvidence, WinIn, WinOut, WinsSection

MIN_PERIOD_DAYS = 14
MAX_PERIOD_DAYS = 365


def _period_problems(
    body: WinIn, today: dt.date, with_metric: bool, problems: list[InputProblem]
) -> tuple[dt.date | None, dt.date | None]:
    """Checks the periods; returns the before period (derived when not given)."""
    start, end = body.after_start, body.after_end
    if (start is None) != (end is None):
        problems.append(InputProblem("give both the first and the last day", column="after_end"))
        return None, None
    if start is None or end is None:
        problems.append(
            InputProblem(
                "when did it happen? give the period (after_start and after_end)",
                column="after_start",
            )
        )
        return None, None
    if end < start:
        problems.append(InputProblem("the period ends before it starts", column="after_end"))
        return None, None
    if end > today:
        problems.append(
            InputProblem(
                f"the period ends in the future ({end.isoformat()}); a win is evidence so far",
                column="after_end",
            )
        )
    days = (end - start).days + 1
    if days > MAX_PERIOD_DAYS or (with_metric and days < MIN_PERIOD_DAYS):
        shortest = MIN_PERIOD_DAYS if with_metric else 1
        problems.append(
            InputProblem(
                f"the period is {days} days; it must be {shortest} to {MAX_PERIOD_DAYS} days",
                column="after_end",
            )
        )
    b_start, b_end = body.before_start, body.before_end
    if (b_start is None) != (b_end is None):
        problems.append(
            InputProblem("give both days of the before period, or neither", column="before_end")
        )
        return None, None
    if b_start is None or b_end is None:
        if not with_metric:
            return None, None
        b_end = start - dt.timedelta(days=1)
        return b_end - dt.timedelta(days=days - 1), b_end
    if b_end < b_start:
        problems.append(
            InputProblem("the before period ends before it starts", column="before_end")
        )
    elif b_end >= start:
        problems.append(
            InputProblem("the before period must end before the period starts", column="before_end")
        )
    elif with_metric and not MIN_PERIOD_DAYS <= (b_end - b_start).days + 1 <= MAX_PERIOD_DAYS:
        problems.append(
            InputProblem(
                f"the before period must be {MIN_PERIOD_DAYS} to {MAX_PERIOD_DAYS} days",
                column="before_end",
            )
        )
    return b_start, b_end


def create_win(session: Session, body: WinIn, actor: str, now: dt.datetime) -> Win:
    """Log a win; every problem is reported at once and nothing is written on any."""
    organisation = first_organisation(session)
    if organisation is None:
        raise InputError.single("no organisation yet: import teams and people first")
    problems: list[InputProblem] = []
    metric: Metric | None = None
    if body.metric:
        try:
            metric = get_metric(body.metric)
        except UnknownMetricError as unknown:
            problems.append(InputProblem(str(unknown), column="metric"))
    resolved = resolve_scope(session, organisation, body.team, body.function, problems)
    before_start, before_end = _period_problems(body, now.date(), bool(body.metric), problems)
    if problems or resolved is None:
        raise InputError(problems)
    win = Win(
        organisation_id=organisation,
        title=body.title,
        description=body.description or None,
        source=body.source,
        metric_key=metric.key if metric else None,
        method=body.method if metric else None,
        team_id=resolved.scope.team_id,
        function=resolved.scope.function,
        before_start=before_start,
        before_end=before_end,
        after_start=body.after_start,
        after_end=body.after_end,
        created_by=actor,
        created_at=now,
    )
    session.add(win)
    session.flush()
    return win


def _verdict(metric: Metric, low: float, high: float) -> tuple[Verdict, str]:
    s = sign(metric.better)
    improving_low = min(s * low, s * high)
    improving_high = max(s * low, s * high)
    if improving_low > 0:
        return "improved", "Improved: the whole 95% interval is on the better side of no change."
    if improving_high < 0:
        return (
            "worsened",
            "The data does not back this win: the metric got worse beyond noise.",
        )
    return (
        "no_clear_change",
        "No clear change: the 95% interval includes no change, so the data cannot tell yet.",
    )


def evidence(session: Session, win: Win, metric: Metric, scope: MetricScope) -> WinEvidence:
    """The win's numbers from the measured release, with the month ends they are from."""
    assert win.method is not None
    assert win.before_start is not None and win.before_end is not None
    before, before_month = current_at(session, metric.key, scope, win.before_end)
    measured = measure(
        session, metric.key, scope, win.method, before, win.after_start, win.after_end
    )
    found = {
        "before": before,
        "before_month_end": before_month,
        "figure": measured.figure,
        "month_end": measured.month_end,
    }
    change = measured.change
    if not change.shown:
        text = f"Not enough data: {change.not_enough_data}."
        return WinEvidence(**found, change=change, verdict_text=text)
    assert change.low is not None and change.high is not None
    verdict, text = _verdict(metric, change.low, change.high)
    return WinEvidence(
        **found,
        change=change,
        relative=measured.relative(before),
        verdict=verdict,
        verdict_text=text,
    )


def win_view(session: Session, win: Win, policy: PrivacyPolicy) -> WinOut:
    """A win with its numbers read now from the measured release; every viewer gets the
    same (`policy` is unused: the release was built under it)."""
    del policy
    resolved = scope_of(session, win.organisation_id, win.team_id, win.function)
    metric = get_metric(win.metric_key) if win.metric_key else None
    found = None
    if metric is not None:
        found = evidence(session, win, metric, resolved.scope)
    kind: Any = "team" if win.team_id else "function" if win.function else "organisation"
    return WinOut(
        id=win.id,
        title=win.title,
        description=win.description,
        source=win.source,
        self_reported=metric is None,
        metric=MetricDefinition.of(metric) if metric else None,
        method=win.method,
        method_label=METHODS[win.method] if win.method else None,
        scope=ScopeOut(
            kind=kind, label=resolved.label, team=resolved.team_key, function=win.function
        ),
        before_start=win.before_start,
        before_end=win.before_end,
        after_start=win.after_start,
        after_end=win.after_end,
        created_by=win.created_by,
        created_at=win.created_at,
        evidence=found,
    )


def win_view_by_id(session: Session, win_id: int, policy: PrivacyPolicy) -> WinOut | None:
    """The win numbered `win_id` as every viewer sees it; None if there is none."""
    win = session.get(Win, win_id)
    return None if win is None else win_view(session, win, policy)


def log_win(session: Session, body: WinIn, actor: str, now: dt.datetime) -> int:
    """`create_win`, returning the new win's id (adapters hold ids and views, never rows)."""
    return create_win(session, body, actor, now).id


def all_wins(session: Session) -> list[Win]:
    """Newest first, by the end of their period."""
    return list(session.scalars(select(Win).order_by(Win.after_end.desc(), Win.id.desc())))


def win_views(session: Session, policy: PrivacyPolicy) -> list[WinOut]:
    return [win_view(session, w, policy) for w in all_wins(session)]


@section("wins", title="What\u2019s working: wins", order=80)
def report_section(
    session: Session,
    scope: MetricScope,
    start: dt.date,
    end: dt.date,
    policy: PrivacyPolicy,
    context: SectionContext | None = None,
) -> WinsSection | None:
    """Wins of the scope whose period overlaps [start, end], with their released numbers;
    None when there are none. The same figures as on the wins pages for every reader."""
    del context  # needs nothing the report has read
    wins = report_wins(session, scope, start, end)
    if not wins:
        return None
    return WinsSection(
        period_start=start,
        period_end=end,
        wins=[win_view(session, w, policy) for w in wins],
    )
