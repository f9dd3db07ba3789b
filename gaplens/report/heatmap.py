"""The team-by-measure heatmap: every team (with the teams below it) and the organisation on
five measures, each against the organisation's value.

Every cell is read from releases through the same functions the report's sections use, so a
team's cell shows exactly what that team's own report shows, and a hidden cell is hidden for
the same reason, said in words.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.adoption.views import adoption_at
from gaplens.directory.models import Team
from gaplens.figures import FigureStatus
from gaplens.privacy import PrivacyPolicy
from gaplens.realities.service import speed_up
from gaplens.releases.feedback.periods import thursday_weeks
from gaplens.releases.friction.queries import FrictionRelease, Sums
from gaplens.releases.measured.queries import measured_release
from gaplens.releases.models import Release
from gaplens.report.schemas import Heatmap, HeatmapCell, HeatmapColumn, HeatmapRow
from gaplens.report.scope import ResolvedPeriod, ResolvedScope, ScopeRequest, resolve_scope
from gaplens.report.sections import trend_section
from gaplens.stats import wilson_interval
from gaplens.surveys.models import Survey
from gaplens.wording import FRONTLINE, LEADERS, signed

COLUMNS = [
    HeatmapColumn(
        measure="gap",
        label="Perception gap",
        unit="pp",
        better="lower",
        definition=f"Leaders ({LEADERS}) reporting high or some productivity gains from AI "
        f"minus {FRONTLINE}, in points, at the latest pulse of the period.",
    ),
    HeatmapColumn(
        measure="adoption",
        label="Adoption",
        unit="%",
        better="higher",
        definition="Licensed people active with AI in the last 28 days.",
    ),
    HeatmapColumn(
        measure="integration",
        label="Integration",
        unit="%",
        better="higher",
        definition="Licensed people with AI integrated into their work.",
    ),
    HeatmapColumn(
        measure="friction",
        label="Friction",
        unit="%",
        better="lower",
        definition="Logged AI outputs that needed correction in the period.",
    ),
    HeatmapColumn(
        measure="metric_change",
        label="Cycle time, faster by",
        unit="%",
        better="higher",
        definition="How much faster issues are closed by people using AI (positive = faster).",
    ),
]
CHANGE_METRIC = "cycle_time"
NOTES = [
    "A team's row counts the teams below it too.",
    "Better or worse means the team's 95% interval excludes the organisation's value; "
    "'similar' means it does not.",
    "Hidden cells follow the same privacy rules as the team's own report.",
]
NO_MEASURED = "no usage or work data imported"


def teams_in_order(session: Session, organisation_id: int) -> list[str]:
    """Team keys depth first (each team right above the teams below it), by name; a single
    top team is left out, being the organisation's row."""
    rows = session.execute(
        select(Team.id, Team.key, Team.name, Team.parent_id).where(
            Team.organisation_id == organisation_id
        )
    ).all()
    children: dict[int | None, list[tuple[str, int, str]]] = {}
    for tid, key, name, parent in rows:
        children.setdefault(parent, []).append((name, tid, key))
    ordered: list[str] = []

    def walk(parent: int | None) -> None:
        for _, tid, key in sorted(children.get(parent, [])):
            ordered.append(key)
            walk(tid)

    roots = children.get(None, [])
    if len(roots) == 1:
        # One team at the top is the organisation itself: its row would repeat the first.
        walk(roots[0][1])
    else:
        walk(None)
    return ordered


def build_heatmap(
    session: Session,
    survey: Survey,
    period: ResolvedPeriod,
    as_of: dt.date | None,
    friction: FrictionRelease | None,
    policy: PrivacyPolicy,
) -> Heatmap:
    """The organisation's row first, then every team's, each cell compared with the
    organisation's cell."""
    organisation = resolve_scope(session, ScopeRequest())
    scopes = [organisation] + [
        resolve_scope(session, ScopeRequest("team", key))
        for key in teams_in_order(session, organisation.organisation_id)
    ]
    measured = measured_release(session, organisation.organisation_id, as_of) if as_of else None
    rows: list[HeatmapRow] = []
    org_cells: list[HeatmapCell] = []
    for scope in scopes:
        cells = [
            _gap(session, survey, scope, period),
            *_adoption(session, scope, as_of),
            _friction(friction, scope, period),
            _change(session, measured, scope, as_of),
        ]
        if scope.is_organisation:
            org_cells = cells
        else:
            cells = [_against(c, o) for c, o in zip(cells, org_cells, strict=True)]
        rows.append(
            HeatmapRow(
                kind="organisation" if scope.is_organisation else "team",
                key=scope.key,
                name=scope.name,
                includes=list(scope.includes),
                cells=cells,
            )
        )
    return Heatmap(columns=COLUMNS, rows=rows, notes=NOTES)


def _gap(
    session: Session, survey: Survey, scope: ResolvedScope, period: ResolvedPeriod
) -> HeatmapCell:
    trend = trend_section(session, survey, scope, period)
    shown = [p for p in trend.points if p.status == FigureStatus.SHOWN and p.gap_pp]
    if not shown:
        reason = (
            "no pulse answered yet"
            if not trend.points
            else "fewer leaders or frontline respondents than the privacy threshold"
        )
        return HeatmapCell(measure="gap", reason=reason)
    latest = shown[-1]
    assert latest.gap_pp is not None
    n = (latest.leaders_n or 0) + (latest.frontline_n or 0)
    return HeatmapCell(
        measure="gap",
        value=latest.gap_pp.estimate,
        low=latest.gap_pp.low,
        high=latest.gap_pp.high,
        n=n or None,
    )


def _adoption(
    session: Session, scope: ResolvedScope, as_of: dt.date | None
) -> tuple[HeatmapCell, HeatmapCell]:
    if as_of is None:
        return (
            HeatmapCell(measure="adoption", reason=NO_MEASURED),
            HeatmapCell(measure="integration", reason=NO_MEASURED),
        )
    section = adoption_at(session, scope.metric, as_of)
    stages = {s.stage: s for s in section.stages}
    cells: list[HeatmapCell] = []
    for measure, stage in (("adoption", "active_28d"), ("integration", "integrated")):
        found = stages.get(stage)
        share = found.share_of_licensed if found else None
        if section.status is not FigureStatus.SHOWN or share is None:
            reason = (
                "no month of usage released yet"
                if section.licensed is None and "No month" in section.headline
                else "counted only within a larger group, to protect individuals"
            )
            cells.append(HeatmapCell(measure=measure, reason=reason))
            continue
        cells.append(
            HeatmapCell(
                measure=measure,
                value=100 * share.share,
                low=100 * share.low,
                high=100 * share.high,
                n=section.licensed,
            )
        )
    return cells[0], cells[1]


def _friction(
    release: FrictionRelease | None,
    scope: ResolvedScope,
    period: ResolvedPeriod,
) -> HeatmapCell:
    if release is None:
        return HeatmapCell(measure="friction", reason="no friction log released yet")
    teams = None if scope.team_ids is None else frozenset(scope.team_ids).__contains__
    sums = Sums.of(release.inside(*thursday_weeks(period.start, period.end), teams))
    if sums.n == 0:
        return HeatmapCell(
            measure="friction",
            reason="no friction-log entries released for this team in the period",
        )
    # Every published class holds at least k entries, so any sum of them may be shown.
    rate = wilson_interval(sums.corrected, sums.n)
    return HeatmapCell(
        measure="friction",
        value=100 * rate.value,
        low=100 * rate.low,
        high=100 * rate.high,
        n=sums.n,
    )


def _change(
    session: Session,
    release: Release | None,
    scope: ResolvedScope,
    as_of: dt.date | None,
) -> HeatmapCell:
    if as_of is None:
        return HeatmapCell(measure="metric_change", reason=NO_MEASURED)
    got = speed_up(session, release, scope.metric, CHANGE_METRIC)
    if got.value is None:
        return HeatmapCell(measure="metric_change", reason=_plain(got.reason))
    return HeatmapCell(
        measure="metric_change",
        value=got.value.estimate,
        low=got.value.low,
        high=got.value.high,
        n=got.n,
    )


def _plain(reason: str | None) -> str:
    """The measured release's reason, as a reader of a printed page reads it."""
    if not reason:
        return "not enough people using AI and not using it to compare"
    return reason.rstrip(".")


def _against(cell: HeatmapCell, organisation: HeatmapCell) -> HeatmapCell:
    """The organisation's value beside the cell, and better/worse only beyond the cell's
    own interval."""
    column = next(c for c in COLUMNS if c.measure == cell.measure)
    org = organisation.value
    update: dict[str, object] = {"organisation": org}
    if cell.value is not None and org is not None and cell.low is not None:
        assert cell.high is not None
        if cell.low > org or cell.high < org:
            higher = cell.low > org
            better = higher == (column.better == "higher")
            update["comparison"] = "better" if better else "worse"
        else:
            update["comparison"] = "similar"
    return cell.model_copy(update=update)


# --- the view: what a table cell says --------------------------------------------------------

COMPARISON_WORDS = {
    "better": "better than the organisation",
    "worse": "worse than the organisation",
    "similar": "like the organisation",
}


@dataclass(frozen=True)
class CellView:
    text: str
    """The value as a reader reads it, or 'Hidden'."""
    detail: str
    """The interval and the comparison, or why the cell is hidden."""
    css: str
    """hm-better, hm-worse, hm-similar, hm-org (organisation row, no comparison) or hm-hidden."""


@dataclass(frozen=True)
class RowView:
    name: str
    key: str | None
    includes: str
    cells: list[CellView]


@dataclass(frozen=True)
class HeatmapView:
    columns: list[HeatmapColumn]
    rows: list[RowView]
    notes: list[str]


def _number(value: float, unit: str, signed_value: bool) -> str:
    if unit == "pp":
        return f"{signed(value)} pts"
    return f"{signed(value)}%" if signed_value else f"{value:.0f}%"


def cell_view(cell: HeatmapCell, column: HeatmapColumn) -> CellView:
    if cell.value is None:
        return CellView("Hidden", cell.reason or "not shown", "hm-hidden")
    signed_value = column.measure == "metric_change"
    text = _number(cell.value, column.unit, signed_value)
    parts: list[str] = []
    if cell.low is not None and cell.high is not None:
        low = _number(cell.low, column.unit, signed_value or cell.low < 0)
        high = _number(cell.high, column.unit, signed_value or cell.low < 0)
        parts.append(f"95% interval {low} to {high}")
    if cell.comparison is not None:
        parts.append(COMPARISON_WORDS[cell.comparison])
    css = f"hm-{cell.comparison}" if cell.comparison else "hm-org"
    return CellView(text, "; ".join(parts), css)


def heatmap_view(heatmap: Heatmap) -> HeatmapView:
    return HeatmapView(
        columns=heatmap.columns,
        rows=[
            RowView(
                name=row.name,
                key=row.key,
                includes=", ".join(row.includes),
                cells=[
                    cell_view(c, col) for c, col in zip(row.cells, heatmap.columns, strict=True)
                ],
            )
            for row in heatmap.rows
        ],
        notes=heatmap.notes,
    )
