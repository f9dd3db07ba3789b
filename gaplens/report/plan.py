"""From a report to the action plan: the step to adopt is read from the report the system
builds for that scope and period, never from text a client sends, so an adopted action says
exactly what the report showed (docs/actions.md)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from gaplens.actions.schemas import ActionScope, Proposal
from gaplens.errors import InputError
from gaplens.privacy import PrivacyPolicy
from gaplens.report.schemas import NextStep
from gaplens.report.scope import parse_period, parse_scope, resolve_period, resolve_scope
from gaplens.report.service import build_report


def report_steps(
    session: Session, policy: PrivacyPolicy, scope: str | None, period: str | None
) -> tuple[Proposal, list[NextStep]]:
    """The scope's report for the period (the default: the last 12 months of data): where
    and when (as a proposal without a step) and its next steps in priority order."""
    scope_request = parse_scope(scope)
    period_request = parse_period(period)
    resolved = resolve_scope(session, scope_request)
    window = resolve_period(session, period_request)
    document = build_report(
        session, None, policy, scope_request=scope_request, period_request=period_request
    )
    where = Proposal(
        organisation_id=resolved.organisation_id,
        scope=ActionScope(kind=resolved.kind, key=resolved.key),
        period_start=window.start,
        period_end=window.end,
        period_label=window.label,
        rule=None,
        title="",
        action="",
    )
    return where, document.next_steps.steps if document.next_steps else []


def proposal(
    session: Session, policy: PrivacyPolicy, scope: str | None, period: str | None, rule: str
) -> Proposal:
    """The step of `rule` in the scope's report for the period; InputError naming `rule`
    when that report has no such step."""
    where, steps = report_steps(session, policy, scope, period)
    step = next((s for s in steps if s.rule == rule), None)
    if step is None:
        fired = ", ".join(s.rule for s in steps) or "none"
        raise InputError.single(
            f"the report for this scope and period has no step {rule!r} (its steps: {fired})",
            column="rule",
        )
    return where.model_copy(
        update={
            "rule": step.rule,
            "title": step.title,
            "action": step.action,
            "evidence": list(step.evidence),
        }
    )


def own_period(period: str | None, today: dt.date) -> tuple[dt.date, dt.date, str]:
    """The period an action of one's own belongs to: the named one, or today's quarter."""
    request = parse_period(period or f"{today.year}-Q{(today.month - 1) // 3 + 1}")
    assert request is not None
    return request.start, request.end, request.label


def own_scope(session: Session, scope: str | None) -> tuple[int, ActionScope]:
    """The organisation and the scope named as the report names them (checked to exist)."""
    resolved = resolve_scope(session, parse_scope(scope))
    return resolved.organisation_id, ActionScope(kind=resolved.kind, key=resolved.key)
