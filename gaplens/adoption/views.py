"""The report's section for performative vs real adoption (capability 7), registered with
gaplens/sections.py: the funnel of the released month end at or before the measured data
day, for the scope's cell. The same figures as /adoption, for every viewer."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from gaplens.adoption.schemas import AdoptionSection, FunnelStage
from gaplens.adoption.schemas import Share as FunnelShare
from gaplens.adoption.service import headline as funnel_headline
from gaplens.adoption.service import stage_figures
from gaplens.figures import FigureStatus, Share
from gaplens.metrics.schemas import MetricScope
from gaplens.privacy import PrivacyPolicy
from gaplens.releases.adoption.queries import latest_adoption_release, scope_predicate
from gaplens.sections import SectionContext, section

STAGE_LABELS = {
    "licensed": "Licence assigned",
    "activated": "Activated (used at least once)",
    "active_28d": "Active in the last 28 days",
    "sustained": "Sustained (3 of the last 4 weeks)",
    "integrated": "Integrated (output kept or workflow moved)",
}
FUNNEL_DEFINITIONS = [
    "Figures are for the latest released month end at or before the period's end, counted "
    "over groups of licensed people released to everyone; trained and certified count all "
    "licensed people of those groups, not each stage.",
    "Licensed: people with an AI licence by the month end (directory).",
    "Activated: any recorded use of an AI tool (usage exports).",
    "Active in the last 28 days: what vendor dashboards call adoption.",
    "Sustained: active in at least 3 of the last 4 weeks.",
    "Integrated: sustained, and the output is kept (Copilot acceptance rate of at least 25% "
    "or lines added; Microsoft 365 Copilot used in two or more apps) or the person's own "
    "workflow moved (throughput up or cycle time down by 10% in the 90 days after adoption).",
]


@section("adoption", title="Performative vs real adoption", order=10)
def report_section(
    session: Session,
    scope: MetricScope,
    start: dt.date,
    end: dt.date,
    policy: PrivacyPolicy,
    context: SectionContext | None = None,
) -> AdoptionSection | None:
    """The funnel as of the report's measured data day (`context.as_of`); None before any
    usage or work data is imported."""
    del start, end, policy  # the month end comes from the data day; releases are gated
    if context is None or context.as_of is None:
        return None
    return adoption_at(session, scope, context.as_of)


def adoption_at(session: Session, scope: MetricScope, as_of: dt.date) -> AdoptionSection:
    """The funnel of the released month end at or before `as_of`, for the scope's cell (the
    organisation, a team and the teams below it, or a function); a section saying so when no
    month end is released (the heatmap's adoption and integration cells read it too)."""
    release = latest_adoption_release(session, scope.organisation_id, as_of)
    if release is None:
        return AdoptionSection(
            as_of=as_of,
            status=FigureStatus.NOT_ENOUGH_RESPONSES,
            headline="No month of the adoption funnel is released yet (a month is released "
            "once it is over and the usage data covers it).",
            definitions=FUNNEL_DEFINITIONS,
        )
    cell = release.cell(scope_predicate(release.tree, scope.team_id, scope.function))
    if cell is None:
        return AdoptionSection(
            as_of=release.month_end,
            status=FigureStatus.NOT_ENOUGH_RESPONSES,
            headline="Not shown for this scope: its licensed people are counted in a larger "
            "group, to protect individuals.",
            definitions=FUNNEL_DEFINITIONS,
        )
    figures = stage_figures(cell.furthest, cell.flags)
    return AdoptionSection(
        as_of=release.month_end,
        status=FigureStatus.SHOWN,
        licensed=cell.licensed,
        stages=[
            FunnelStage(
                stage=f.stage,
                label=STAGE_LABELS[f.stage],
                n=f.n,
                share_of_licensed=_share(f.n, f.share_of_licensed),
                share_of_previous=_share(f.n, f.share_of_previous),
                trained=f.trained,
                certified=f.certified,
            )
            for f in figures
        ],
        headline=funnel_headline(figures),
        definitions=FUNNEL_DEFINITIONS,
    )


def _share(count: int, share: FunnelShare | None) -> Share | None:
    if share is None:
        return None
    return Share(count=count, share=share.value, low=share.low, high=share.high)
