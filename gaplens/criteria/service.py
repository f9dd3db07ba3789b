"""Defining, revising and judging success criteria. Services take the caller's session and
never commit; every input is checked before anything is written, so a refused request leaves
the store exactly as it was.

Every number is a figure of the measured release (`criteria/measure.py`), the same for every
viewer. A criterion's baseline is the released current value of the last month end before
the phase start; a copy is stored for the revision history when the criterion is defined or
what it depends on changes (metric, scope, phase start), and every read takes it from the
release again (a month end released later fills it in; a release is never rewritten). The
status is judged on every read (`rules.judge`) on the latest released month end at or before
the review date. Before the phase starts, edits are free but recorded; from the start on,
every edit needs a reason and is shown to everyone with the criterion.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from gaplens.criteria.measure import (
    METHOD_NOTES,
    METHODS,
    ResolvedScope,
    current_at,
    first_organisation,
    measure,
    month_end_before,
    resolve_scope,
    scope_of,
)
from gaplens.criteria.models import CriterionRevision, SuccessCriterion
from gaplens.criteria.report import report_criteria
from gaplens.criteria.rules import (
    MIN_PHASE_DAYS,
    STATUS_LABELS,
    Change,
    TargetKind,
    direction_problem,
    judge,
    required_change,
)
from gaplens.criteria.schemas import (
    CriteriaSection,
    CriterionEdit,
    CriterionIn,
    CriterionOut,
    RevisionOut,
    ScopeOut,
    StatusOut,
)
from gaplens.directory.models import Team
from gaplens.errors import InputError, InputProblem
from gaplens.metrics.definitions import Metric
from gaplens.metrics.registry import UnknownMetricError, get_metric
from gaplens.metrics.schemas import MetricDefinition, MetricFigure, MetricScope
from gaplens.metrics.service import DEFAULT_WINDOW_DAYS
from gaplens.privacy import PrivacyPolicy
from gaplens.releases.measured.queries import measured_release
from gaplens.sections import SectionContext, section

DEFAULT_REVIEW_DAYS = 90
MIN_REASON = 5
RULES = [
    "Every figure is the measured release's, published per month end for every viewer alike: "
    "the baseline is the current value of the last month end before the phase start, the "
    "status reads the latest released month end at or before the review date.",
    "Not enough data: no baseline, no released figure (the scope's people are counted only in "
    "a larger group, or no month end is released yet), or the released month end is not yet "
    "14 days after the phase start.",
    "Before the review date: on track when the whole 95% interval of the measured change lies "
    "on the improving side of no change, or the estimate has already reached the target; at "
    "risk otherwise.",
    "At the review date (once the last month end before it is released): met when the "
    "estimate reached the target and its interval excludes no change; missed otherwise.",
    "Edits after the start need a reason and are listed with the criterion.",
]


@dataclass(frozen=True)
class _Spec:
    """A complete, checked definition (what the table row will hold)."""

    phase_name: str
    phase_start: dt.date
    metric_key: str
    team_id: int | None
    function: str | None
    method: str
    baseline_days: int
    target_kind: TargetKind
    target: float
    review_date: dt.date
    description: str | None


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.3g}"


def figure_text(figure: MetricFigure | None, unit: str) -> str:
    """One line for a figure: value, unit, interval and n, or why there is no number."""
    if figure is None:
        return "—"
    if not figure.shown:
        return f"not enough data: {figure.not_enough_data}"
    n = " / ".join(str(v) for v in figure.n.values())
    return (
        f"{_number(figure.value)} {unit} ({_number(figure.low)} to {_number(figure.high)}; n {n})"
    )


def target_text(kind: str, target: float, unit: str) -> str:
    if kind == "relative":
        return f"{target * 100:+.3g}% from the baseline"
    return f"{target:.3g} {unit}"


def _stored_target(kind: str, entered: float) -> float:
    """Relative targets are entered in percent and stored as a fraction of the baseline."""
    return entered / 100.0 if kind == "relative" else entered


def _entered_target(kind: str, stored: float) -> float:
    return stored * 100.0 if kind == "relative" else stored


def _organisation(session: Session) -> int:
    organisation = first_organisation(session)
    if organisation is None:
        raise InputError.single("no organisation yet: import teams and people first")
    return organisation


def _check(
    session: Session, organisation_id: int, values: dict[str, Any]
) -> tuple[_Spec, Metric, ResolvedScope]:
    """Every problem with a definition at once, as one InputError; nothing is read twice."""
    problems: list[InputProblem] = []
    metric: Metric | None = None
    try:
        metric = get_metric(str(values["metric"]))
    except UnknownMetricError as unknown:
        problems.append(InputProblem(str(unknown), column="metric"))
    resolved = resolve_scope(
        session, organisation_id, values.get("team"), values.get("function"), problems
    )
    name = str(values.get("phase_name") or "").strip()
    if not name:
        problems.append(InputProblem("name the rollout phase", column="phase_name"))
    start: dt.date = values["phase_start"]
    review: dt.date = values.get("review_date") or start + dt.timedelta(days=DEFAULT_REVIEW_DAYS)
    if review <= start:
        problems.append(
            InputProblem(
                f"the review date ({review.isoformat()}) must be after the phase start "
                f"({start.isoformat()})",
                column="review_date",
            )
        )
    method = str(values.get("method") or "")
    if method not in METHODS:
        problems.append(
            InputProblem(f"unknown method {method!r}; known: {', '.join(METHODS)}", column="method")
        )
    kind = values.get("target_kind")
    if kind not in ("value", "relative"):
        problems.append(
            InputProblem("the target is a 'value' or a 'relative' change", column="target_kind")
        )
    days = int(values.get("baseline_days") or 90)
    if not 14 <= days <= 365:
        problems.append(
            InputProblem("the baseline window is 14 to 365 days", column="baseline_days")
        )
    if problems or metric is None or resolved is None:
        raise InputError(problems)
    description = str(values.get("description") or "").strip() or None
    spec = _Spec(
        phase_name=name,
        phase_start=start,
        metric_key=metric.key,
        team_id=resolved.scope.team_id,
        function=resolved.scope.function,
        method=method,
        baseline_days=days,
        target_kind=kind,  # type: ignore[arg-type]  # checked above
        target=_stored_target(str(kind), float(values["target"])),
        review_date=review,
        description=description,
    )
    return spec, metric, resolved


def baseline_month_end(phase_start: dt.date) -> dt.date:
    """The month end a criterion's baseline is read from: the last one before the phase."""
    return month_end_before(phase_start - dt.timedelta(days=1))


def compute_baseline(
    session: Session, metric_key: str, scope: MetricScope, phase_start: dt.date
) -> tuple[MetricFigure, dt.date]:
    """The released current value of the last month end before the phase start (the 90
    days to it), and that month end. Not released yet: a figure saying so."""
    end = baseline_month_end(phase_start)
    figure, released = current_at(session, metric_key, scope, end)
    if released is not None and released != end:
        summary = f"{get_metric(metric_key).summary} of per-person values"
        figure = MetricFigure.missing(
            summary,
            f"the month end before the phase start ({end.isoformat()}) is not released yet "
            f"(the latest released is {released.isoformat()})",
        )
    return figure, end


def _target_change(spec: _Spec, metric: Metric, baseline: MetricFigure) -> float | None:
    base = baseline.value if baseline.shown else None
    problem = direction_problem(spec.target_kind, spec.target, base, metric.better, metric.unit)
    if problem:
        raise InputError.single(problem, column="target")
    return required_change(spec.target_kind, spec.target, base)


def _display(
    spec: _Spec,
    metric: Metric,
    scope_label: str,
    baseline: MetricFigure,
    baseline_end: dt.date,
    change: float | None,
) -> dict[str, str | None]:
    """The criterion as the revision history shows it, field by field."""
    return {
        "phase": spec.phase_name,
        "phase start": spec.phase_start.isoformat(),
        "metric": metric.label,
        "scope": scope_label,
        "method": METHODS[spec.method],
        "baseline window": (
            f"{(baseline_end - dt.timedelta(days=DEFAULT_WINDOW_DAYS - 1)).isoformat()} to "
            f"{baseline_end.isoformat()} (released month end)"
        ),
        "baseline": figure_text(baseline, metric.unit),
        "target": target_text(spec.target_kind, spec.target, metric.unit),
        "required change": None if change is None else f"{change:+.3g} {metric.unit}",
        "review date": spec.review_date.isoformat(),
        "description": spec.description,
    }


def _revision(
    session: Session,
    criterion: SuccessCriterion,
    kind: str,
    actor: str,
    now: dt.datetime,
    reason: str | None,
    changes: dict[str, list[str | None]],
    *,
    after_start: bool,
) -> None:
    number = (
        session.scalar(
            select(CriterionRevision.number)
            .where(CriterionRevision.criterion_id == criterion.id)
            .order_by(CriterionRevision.number.desc())
            .limit(1)
        )
        or 0
    )
    session.add(
        CriterionRevision(
            criterion_id=criterion.id,
            number=number + 1,
            at=now,
            actor=actor,
            kind=kind,
            after_start=after_start,
            reason=reason,
            changes=changes,
        )
    )
    session.flush()


def create_criterion(
    session: Session, body: CriterionIn, actor: str, now: dt.datetime, policy: PrivacyPolicy
) -> SuccessCriterion:
    """Define a criterion: checked, baseline computed, stored with its first revision."""
    organisation = _organisation(session)
    spec, metric, resolved = _check(session, organisation, body.model_dump())
    baseline, baseline_end = compute_baseline(
        session, spec.metric_key, resolved.scope, spec.phase_start
    )
    change = _target_change(spec, metric, baseline)
    criterion = SuccessCriterion(
        organisation_id=organisation,
        **asdict(spec),
        baseline=baseline.model_dump(mode="json"),
        baseline_end=baseline_end,
        target_change=change,
        created_by=actor,
        created_at=now,
    )
    session.add(criterion)
    session.flush()
    shown = _display(spec, metric, resolved.label, baseline, baseline_end, change)
    _revision(
        session,
        criterion,
        "created",
        actor,
        now,
        None,
        {key: [None, value] for key, value in shown.items() if value is not None},
        after_start=started(criterion, now.date()),
    )
    return criterion


def _spec_of(criterion: SuccessCriterion) -> _Spec:
    return _Spec(
        phase_name=criterion.phase_name,
        phase_start=criterion.phase_start,
        metric_key=criterion.metric_key,
        team_id=criterion.team_id,
        function=criterion.function,
        method=criterion.method,
        baseline_days=criterion.baseline_days,
        target_kind=criterion.target_kind,  # type: ignore[arg-type]  # stored checked
        target=criterion.target,
        review_date=criterion.review_date,
        description=criterion.description,
    )


def _team_key(session: Session, team_id: int | None) -> str | None:
    return None if team_id is None else session.scalar(select(Team.key).where(Team.id == team_id))


def started(criterion: SuccessCriterion | CriterionOut, today: dt.date) -> bool:
    return today >= criterion.phase_start


def edit_criterion(
    session: Session,
    criterion: SuccessCriterion,
    edit: CriterionEdit,
    actor: str,
    now: dt.datetime,
    policy: PrivacyPolicy,
) -> SuccessCriterion:
    """Change a criterion. After its phase started a reason is required; either way the
    change is recorded (who, when, old and new, why)."""
    if criterion.retired_at is not None:
        raise InputError.single("this criterion is retired and cannot be changed")
    given = edit.model_fields_set - {"reason", "recompute_baseline"}
    old = _spec_of(criterion)
    values: dict[str, Any] = {
        "phase_name": old.phase_name,
        "phase_start": old.phase_start,
        "metric": old.metric_key,
        "team": _team_key(session, old.team_id),
        "function": old.function,
        "method": old.method,
        "baseline_days": old.baseline_days,
        "target_kind": old.target_kind,
        "target": _entered_target(old.target_kind, old.target),
        "review_date": old.review_date,
        "description": old.description,
    }
    if {"team", "function"} & given:
        values["team"], values["function"] = None, None  # a new scope replaces the old one
    for key in given:
        value = getattr(edit, key)
        if value is None and key not in ("team", "function", "description"):
            continue
        values[key] = value
    if "target_kind" in given and "target" not in given:
        raise InputError.single("give the new target with its kind", column="target")
    reason = (edit.reason or "").strip() or None
    after_start = started(criterion, now.date())
    if after_start and (reason is None or len(reason) < MIN_REASON):
        raise InputError.single(
            f"the phase started on {criterion.phase_start.isoformat()}: say why it changes "
            f"(a reason of at least {MIN_REASON} characters); the revision is shown with it",
            column="reason",
        )
    organisation = criterion.organisation_id
    spec, metric, resolved = _check(session, organisation, values)
    old_metric = get_metric(old.metric_key)
    old_scope = scope_of(session, organisation, old.team_id, old.function)
    old_baseline = MetricFigure.model_validate(criterion.baseline)
    # Always from the release: the same figure unless what it depends on changed (metric,
    # scope, phase start) or its month end has been released since.
    baseline, baseline_end = compute_baseline(
        session, spec.metric_key, resolved.scope, spec.phase_start
    )
    change = _target_change(spec, metric, baseline)
    before = _display(
        old,
        old_metric,
        old_scope.label,
        old_baseline,
        criterion.baseline_end,
        criterion.target_change,
    )
    after = _display(spec, metric, resolved.label, baseline, baseline_end, change)
    changes = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    if not changes:
        raise InputError.single("nothing changed")
    for key, value in asdict(spec).items():
        setattr(criterion, key, value)
    criterion.baseline = baseline.model_dump(mode="json")
    criterion.baseline_end = baseline_end
    criterion.target_change = change
    session.flush()
    _revision(session, criterion, "edited", actor, now, reason, changes, after_start=after_start)
    return criterion


def retire_criterion(
    session: Session, criterion: SuccessCriterion, reason: str, actor: str, now: dt.datetime
) -> SuccessCriterion:
    """Stop judging a criterion, keeping it and its history visible with the reason."""
    reason = reason.strip()
    if criterion.retired_at is not None:
        raise InputError.single("this criterion is already retired")
    if len(reason) < MIN_REASON:
        raise InputError.single(
            f"say why it is retired (at least {MIN_REASON} characters)", column="reason"
        )
    criterion.retired_at, criterion.retired_by, criterion.retired_reason = now, actor, reason
    session.flush()
    _revision(
        session,
        criterion,
        "retired",
        actor,
        now,
        reason,
        {"retired": [None, "yes"]},
        after_start=started(criterion, now.date()),
    )
    return criterion


def delete_criterion(session: Session, criterion: SuccessCriterion, today: dt.date) -> None:
    """Only before the phase starts: after that a criterion can be retired, never deleted."""
    if started(criterion, today):
        raise InputError.single(
            f"the phase started on {criterion.phase_start.isoformat()}: a criterion cannot be "
            "deleted after its start; retire it with a reason instead",
            column="id",
        )
    session.execute(delete(CriterionRevision).where(CriterionRevision.criterion_id == criterion.id))
    session.delete(criterion)
    session.flush()


# --- reading ---------------------------------------------------------------------------------


def released_through(session: Session, organisation_id: int) -> dt.date | None:
    """The latest month end the measured release covers (None: nothing released yet)."""
    release = measured_release(session, organisation_id)
    return None if release is None else release.answers_through


def _too_early(
    criterion: SuccessCriterion, month_end: dt.date | None, through: dt.date | None, today: dt.date
) -> str | None:
    """Why the phase cannot be judged on a released month end yet, or None."""
    if today < criterion.phase_start:
        return f"the phase starts on {criterion.phase_start.isoformat()}"
    if month_end is None or month_end < criterion.phase_start:
        latest = through.isoformat() if through is not None else "none yet"
        return (
            "no month end after the phase start is released yet (metric figures are published "
            f"per month end once the month is over; released through: {latest})"
        )
    days = (month_end - criterion.phase_start).days + 1
    if days < MIN_PHASE_DAYS:
        return (
            f"the released month end {month_end.isoformat()} is {days} day(s) into the phase; "
            f"a status needs at least {MIN_PHASE_DAYS} days"
        )
    return None


def _status(
    session: Session,
    criterion: SuccessCriterion,
    metric: Metric,
    scope: MetricScope,
    baseline: MetricFigure,
    target_change: float | None,
    today: dt.date,
    through: dt.date | None,
) -> StatusOut:
    """Judged on the latest released month end at or before the review date (and today);
    final once the last month end before the review date is released and the date passed."""
    release = measured_release(
        session, criterion.organisation_id, min(today, criterion.review_date)
    )
    month_end = None if release is None else release.answers_through
    final = (
        today >= criterion.review_date
        and month_end is not None
        and month_end == month_end_before(criterion.review_date)
    )

    def out(judgement: Any, **figures: Any) -> StatusOut:  # a StatusOut with the common fields
        return StatusOut(
            status=judgement.status,
            label=STATUS_LABELS[judgement.status],
            rule=judgement.rule,
            as_of=month_end,
            final=final,
            data_through=through,
            **figures,
        )

    early = _too_early(criterion, month_end, through, today)
    if early is not None:
        return out(judge(None, None, metric.better, final=final, missing=early))
    if not baseline.shown:
        reason = f"no baseline ({baseline.not_enough_data})"
        return out(judge(None, None, metric.better, final=final, missing=reason))
    assert month_end is not None
    measured = measure(
        session,
        metric.key,
        scope,
        criterion.method,
        baseline,
        criterion.phase_start,
        month_end,
    )
    window_start = None
    if measured.window_days is not None and measured.month_end is not None:
        window_start = measured.month_end - dt.timedelta(days=measured.window_days - 1)
    figures = {
        "window_start": window_start,
        "figure": measured.figure,
        "change": measured.change,
        "relative": measured.relative(baseline),
    }
    if not measured.change.shown:
        missing = str(measured.change.not_enough_data)
        return out(judge(None, None, metric.better, final=final, missing=missing), **figures)
    c = measured.change
    assert c.value is not None and c.low is not None and c.high is not None
    judgement = judge(Change(c.value, c.low, c.high), target_change, metric.better, final=final)
    return out(judgement, **figures)


def _read_target_change(criterion: SuccessCriterion, baseline: MetricFigure) -> float | None:
    """The change the target asks for from the released baseline; None without one, or when
    the baseline released since definition makes a level target point the wrong way."""
    if not baseline.shown:
        return None
    metric = get_metric(criterion.metric_key)
    kind: TargetKind = criterion.target_kind  # type: ignore[assignment]  # stored checked
    if direction_problem(kind, criterion.target, baseline.value, metric.better, metric.unit):
        return None
    return required_change(kind, criterion.target, baseline.value)


def criterion_view(
    session: Session,
    criterion: SuccessCriterion,
    today: dt.date,
    policy: PrivacyPolicy,
    *,
    through: dt.date | None = None,
) -> CriterionOut:
    """The criterion with its status judged now on the measured release. Every viewer gets
    the same (nothing is per viewer); `policy` is unused, the release was built under it."""
    del policy
    metric = get_metric(criterion.metric_key)
    resolved = scope_of(session, criterion.organisation_id, criterion.team_id, criterion.function)
    baseline, baseline_end = compute_baseline(
        session, criterion.metric_key, resolved.scope, criterion.phase_start
    )
    target_change = _read_target_change(criterion, baseline)
    status = None
    if criterion.retired_at is None:
        status = _status(
            session,
            criterion,
            metric,
            resolved.scope,
            baseline,
            target_change,
            today,
            through
            if through is not None
            else released_through(session, criterion.organisation_id),
        )
    revisions = [
        RevisionOut(
            number=r.number,
            at=r.at,
            actor=r.actor,
            kind=r.kind,
            after_start=r.after_start,
            reason=r.reason,
            changes=r.changes,
        )
        for r in session.scalars(
            select(CriterionRevision)
            .where(CriterionRevision.criterion_id == criterion.id)
            .order_by(CriterionRevision.number)
        )
    ]
    edits = [r for r in revisions if r.kind != "created"]
    level = None
    if target_change is not None and baseline.value is not None:
        level = baseline.value + target_change
    kind = "team" if criterion.team_id else "function" if criterion.function else "organisation"
    return CriterionOut(
        id=criterion.id,
        phase_name=criterion.phase_name,
        phase_start=criterion.phase_start,
        metric=MetricDefinition.of(metric),
        scope=ScopeOut(
            kind=kind,
            label=resolved.label,
            team=resolved.team_key,
            function=criterion.function,
        ),
        method=criterion.method,
        method_label=METHODS[criterion.method],
        method_note=METHOD_NOTES[criterion.method],
        baseline_start=baseline_end - dt.timedelta(days=DEFAULT_WINDOW_DAYS - 1),
        baseline_end=baseline_end,
        baseline=baseline,
        target_kind=criterion.target_kind,
        target=_entered_target(criterion.target_kind, criterion.target),
        target_text=target_text(criterion.target_kind, criterion.target, metric.unit),
        target_level=level,
        target_change=target_change,
        review_date=criterion.review_date,
        description=criterion.description,
        created_by=criterion.created_by,
        created_at=criterion.created_at,
        defined_after_start=criterion.created_at.date() >= criterion.phase_start,
        retired=criterion.retired_at is not None,
        retired_at=criterion.retired_at,
        retired_by=criterion.retired_by,
        retired_reason=criterion.retired_reason,
        revisions=revisions,
        edits=len(edits),
        edits_after_start=sum(r.after_start for r in edits),
        status=status,
    )


def all_criteria(session: Session) -> list[SuccessCriterion]:
    """Active criteria first (by review date), retired ones after."""
    rows = session.scalars(
        select(SuccessCriterion).order_by(
            SuccessCriterion.review_date, SuccessCriterion.phase_start, SuccessCriterion.id
        )
    )
    return sorted(rows, key=lambda c: c.retired_at is not None)


def criteria_views(session: Session, today: dt.date, policy: PrivacyPolicy) -> list[CriterionOut]:
    """Every criterion as every viewer sees it."""
    rows = all_criteria(session)
    through = released_through(session, rows[0].organisation_id) if rows else None
    return [criterion_view(session, c, today, policy, through=through) for c in rows]


@section("criteria", title="Success criteria", order=70)
def report_section(
    session: Session,
    scope: MetricScope,
    start: dt.date,
    end: dt.date,
    policy: PrivacyPolicy,
    context: SectionContext | None = None,
) -> CriteriaSection | None:
    """Criteria of the scope not reviewed before the period, judged on the measured release
    as of `end` (the latest released month end at or before it, or at or before the review
    date if earlier).

    That includes criteria for phases starting after `end`: agreeing on them before the next
    phase is the point, and they show as not started yet. None when there are none. Every
    figure is a released one, so a report, a page and another report publish the same
    numbers for the same scope and month end.
    """
    del context  # needs nothing the report has read
    rows = report_criteria(session, scope, start, end)
    if not rows:
        return None
    through = released_through(session, scope.organisation_id)
    views = [criterion_view(session, c, end, policy, through=through) for c in rows]
    return CriteriaSection(
        period_start=start,
        period_end=end,
        criteria=[v for v in views if not v.retired],
        retired=[v for v in views if v.retired],
        rules=RULES,
    )


# --- by id, for adapters ---------------------------------------------------------------------
# Pages and commands name a criterion by its number and get views back: they never hold a
# table row (issue 12, "the gate as the only door").


def _stored(session: Session, criterion_id: int) -> SuccessCriterion:
    criterion = session.get(SuccessCriterion, criterion_id)
    if criterion is None:
        raise InputError.single(f"no success criterion {criterion_id}", column="id")
    return criterion


def criterion_exists(session: Session, criterion_id: int) -> bool:
    return session.get(SuccessCriterion, criterion_id) is not None


def criterion_view_by_id(
    session: Session, criterion_id: int, today: dt.date, policy: PrivacyPolicy
) -> CriterionOut:
    return criterion_view(session, _stored(session, criterion_id), today, policy)


def define_criterion(
    session: Session, body: CriterionIn, actor: str, now: dt.datetime, policy: PrivacyPolicy
) -> int:
    """`create_criterion`, returning the new criterion's id."""
    return create_criterion(session, body, actor, now, policy).id


def edit_criterion_by_id(
    session: Session,
    criterion_id: int,
    edit: CriterionEdit,
    actor: str,
    now: dt.datetime,
    policy: PrivacyPolicy,
) -> None:
    edit_criterion(session, _stored(session, criterion_id), edit, actor, now, policy)


def retire_criterion_by_id(
    session: Session, criterion_id: int, reason: str, actor: str, now: dt.datetime
) -> None:
    retire_criterion(session, _stored(session, criterion_id), reason, actor, now)


def delete_criterion_by_id(session: Session, criterion_id: int, today: dt.date) -> None:
    delete_criterion(session, _stored(session, criterion_id), today)


def form_values(session: Session, criterion_id: int, view: CriterionOut) -> dict[str, str]:
    """The stored definition as the edit form shows it: the target as entered (`view`),
    the scope as `team:KEY` / `function:NAME`."""
    criterion = _stored(session, criterion_id)
    scope = ""
    if view.scope.team:
        scope = f"team:{view.scope.team}"
    elif view.scope.function:
        scope = f"function:{view.scope.function}"
    return {
        "phase_name": criterion.phase_name,
        "phase_start": criterion.phase_start.isoformat(),
        "metric": criterion.metric_key,
        "scope": scope,
        "target_kind": criterion.target_kind,
        "target": f"{view.target:g}",
        "method": criterion.method,
        "review_date": criterion.review_date.isoformat(),
        "baseline_days": str(criterion.baseline_days),
        "description": criterion.description or "",
    }
