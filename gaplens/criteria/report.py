"""Which criteria and wins a report holds, and the privacy pass over their scopes.

A report is one document for every reader, so the per-viewer differencing audit of the staff
pages cannot apply. But its scopes are chosen by whoever defines criteria and logs wins: a
criterion on a team and another on its parent with three more people would let a reader
subtract one figure from the other. So within a report, a scope under k people, or one whose
people differ from another scope's in the same report by 1 to k-1, shows no numbers (both of
such a pair: the rule does not depend on the order of the entries). Criteria and wins are
checked together, because the two sections are read together.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.criteria.measure import scope_members, scope_of, within
from gaplens.criteria.models import SuccessCriterion
from gaplens.metrics.schemas import MetricScope
from gaplens.privacy import PrivacyPolicy
from gaplens.wins.models import Win

ScopeKey = tuple[int | None, str | None]
"""(team id, function) of a criterion's or win's scope; (None, None) is the organisation."""


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


def differencing_pairs(
    members: dict[ScopeKey, frozenset[str]], policy: PrivacyPolicy
) -> dict[ScopeKey, str]:
    """Scopes to withhold: below k, or within 1 to k-1 people of another scope. Pure."""
    k = policy.min_group_size
    withheld = {
        key: f"fewer than {k} people in this scope" for key, m in members.items() if len(m) < k
    }
    keys = sorted(members, key=lambda key: (key[0] or 0, key[1] or ""))
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            if 0 < len(members[a] ^ members[b]) < k:
                reason = (
                    f"its people differ from another scope in this report by fewer than {k}, "
                    "so comparing the two could reveal individuals"
                )
                withheld.setdefault(a, reason)
                withheld.setdefault(b, reason)
    return withheld


def report_withheld(
    session: Session,
    scope: MetricScope,
    start: dt.date,
    end: dt.date,
    policy: PrivacyPolicy,
) -> dict[ScopeKey, str]:
    """Why each scope of the report's criteria and wins is withheld, for those that are.

    Self-reported wins carry no numbers, so their scopes do not count.
    """
    keys = {(c.team_id, c.function) for c in report_criteria(session, scope, start, end)}
    keys.update(
        (w.team_id, w.function) for w in report_wins(session, scope, start, end) if w.metric_key
    )
    members = {
        key: scope_members(session, scope_of(session, scope.organisation_id, *key).scope)
        for key in keys
    }
    return differencing_pairs(members, policy)
