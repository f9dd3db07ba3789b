"""Which criteria and wins a report holds.

Their figures are the measured release's (`criteria/measure.py`): every scope's figure is a
sum over whole published classes, the same in every report and on every page, so no two
scopes in a report can be subtracted down to fewer than k people and no pass over the
report's scopes is needed.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.criteria.measure import within
from gaplens.criteria.models import SuccessCriterion
from gaplens.metrics.schemas import MetricScope
from gaplens.wins.models import Win


def report_criteria(
    session: Session, scope: MetricScope, start: dt.date, end: dt.date
) -> list[SuccessCriterion]:
    """Criteria of the scope not reviewed before the period (later phases included)."""
    del end  # criteria for phases after the period are shown as not started
    rows = session.scalars(
        select(SuccessCriterion)
        .where(
            SuccessCriterion.organisation_id == scope.organisation_id,
            SuccessCriterion.review_date >= start,
        )
        .order_by(SuccessCriterion.review_date, SuccessCriterion.phase_start, SuccessCriterion.id)
    )
    return [c for c in rows if within(session, scope, c.team_id, c.function)]


def report_wins(session: Session, scope: MetricScope, start: dt.date, end: dt.date) -> list[Win]:
    """Wins of the scope whose period overlaps [start, end], newest first."""
    rows = session.scalars(
        select(Win)
        .where(
            Win.organisation_id == scope.organisation_id,
            Win.after_start <= end,
            Win.after_end >= start,
        )
        .order_by(Win.after_end.desc(), Win.id.desc())
    )
    return [w for w in rows if within(session, scope, w.team_id, w.function)]
