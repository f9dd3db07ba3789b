"""The report's section for what works and what creates friction (capability 4), registered
with gaplens/sections.py: the scorecard's clearest use cases, from the scorecard the report
built for its period and scope from the friction release."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from gaplens.metrics.schemas import MetricScope
from gaplens.privacy import PrivacyPolicy
from gaplens.scorecard.schemas import (
    EvidenceItem,
    Scorecard,
    UseCaseOut,
    UseCaseScore,
    UseCasesSection,
)
from gaplens.scorecard.service import top_use_cases
from gaplens.sections import SectionContext, section


@section("use_cases", title="What works, what creates friction", order=20)
def report_section(
    session: Session,
    scope: MetricScope,
    start: dt.date,
    end: dt.date,
    policy: PrivacyPolicy,
    context: SectionContext | None = None,
) -> UseCasesSection | None:
    """The use cases of the report's scorecard (`context.scorecard`, for the same period and
    scope); None when it names no use case and withholds no entry."""
    del session, scope, start, end, policy  # the scorecard is already narrowed and gated
    card: Scorecard | None = None if context is None else context.scorecard
    if card is None or not (card.use_cases or card.other_entries):
        return None
    return use_cases_section(card)


def use_cases_section(card: Scorecard) -> UseCasesSection:
    """The two or three use cases that clearly work and the few that clearly hurt, with the
    evidence and n behind each class (docs/scorecard.md)."""
    top = top_use_cases(card)
    named = {u.key for u in (*top.working, *top.friction)}
    notes = [
        "Classes come from the scorecard's rules over the friction log's release: sums of "
        "its published groups (each of at least k entries) lying wholly inside the period.",
        *card.notes,
    ]
    return UseCasesSection(
        period_from=card.period_from,
        period_to=card.period_to,
        working=[_use_case(u) for u in top.working],
        friction=[_use_case(u) for u in top.friction],
        unknown=sum(1 for u in card.use_cases if u.key not in named and u.status == "unknown"),
        withheld=card.other_entries,
        rules=list(card.rules),
        notes=notes,
    )


def _use_case(score: UseCaseScore) -> UseCaseOut:
    return UseCaseOut(
        key=score.key,
        label=score.label,
        status=score.status,
        reason=score.reason,
        evidence=[
            EvidenceItem(
                source=e.source,
                measure=e.measure,
                n=e.n,
                value=e.value,
                low=e.low,
                high=e.high,
                lean=e.lean,
                text=e.text,
            )
            for e in score.evidence
        ],
    )
