"""The team-by-measure heatmap, against hand-computed figures of the small organisation of
test_scoped_report: each team's cell is its own report's figure, each hidden cell says why."""

from __future__ import annotations

import pytest

from gaplens.report.heatmap import COLUMNS, _against, cell_view
from gaplens.report.render import render_html
from gaplens.report.schemas import HeatmapCell, HeatmapRow
from gaplens.report.scope import ScopeRequest
from tests.report.test_scoped_report import org, report

__all__ = ["org"]


def cells(row: HeatmapRow) -> dict[str, HeatmapCell]:
    return {c.measure: c for c in row.cells}


def test_rows_are_the_organisation_then_each_team_below_the_top(org: str) -> None:
    doc = report(org, ScopeRequest())
    assert doc.heatmap is not None
    rows = [(r.kind, r.key, r.includes) for r in doc.heatmap.rows]
    # Acme, the one top team, is the organisation: no second row repeating it.
    assert rows == [
        ("organisation", None, []),
        ("team", "eng", ["Payments"]),
        ("team", "eng-payments", []),
        ("team", "support", []),
    ]
    assert [c.measure for c in doc.heatmap.rows[0].cells] == [c.measure for c in COLUMNS]


def test_values_are_the_hand_computed_ones(org: str) -> None:
    """Sept pulse: leaders 12 of 16 report gains; the released frontline 8 of 27 (the lone
    Engineering respondent is in no released group), Support's 4 of 20. September's month
    end: 5 of 11 licensed people active, none integrated. Friction: 6 of 12 needed
    correction."""
    doc = report(org, ScopeRequest())
    assert doc.heatmap is not None
    organisation, _, _, support = (cells(r) for r in doc.heatmap.rows)
    assert organisation["gap"].value == pytest.approx(100 * (12 / 16 - 8 / 27))
    assert support["gap"].value == pytest.approx(100 * (12 / 16 - 4 / 20))
    assert support["gap"].organisation == pytest.approx(100 * (12 / 16 - 8 / 27))
    # 55 against 45 with an interval of about 22 to 74: not beyond its interval.
    assert support["gap"].comparison == "similar"
    assert organisation["adoption"].value == pytest.approx(100 * 5 / 11)
    assert organisation["integration"].value == 0
    assert organisation["friction"].value == pytest.approx(50) and organisation["friction"].n == 12
    assert organisation["gap"].comparison is None  # the organisation is not compared with itself
    # Each team's cell is its own report's figure.
    own = report(org, ScopeRequest("team", "support"))
    assert own.gap_trend is not None and own.gap_trend.points[-1].gap_pp is not None
    assert support["gap"].value == own.gap_trend.points[-1].gap_pp.estimate
    assert own.heatmap is None  # the heatmap is the organisation report's


def test_hidden_cells_say_why_in_words(org: str) -> None:
    doc = report(org, ScopeRequest())
    assert doc.heatmap is not None
    payments = cells(doc.heatmap.rows[2])
    assert all(c.value is None and c.reason for c in payments.values())
    assert "privacy threshold" in (payments["gap"].reason or "")
    assert "larger group" in (payments["adoption"].reason or "")
    # No work data imported: the metric change says so on every row.
    assert {
        c.reason for r in doc.heatmap.rows for c in r.cells if c.measure == "metric_change"
    } == {"no measured figures released yet"}
    html = render_html(doc)
    assert 'id="heatmap"' in html and "hm-hidden" in html
    assert "counted only within a larger group, to protect individuals" in html


def test_better_or_worse_only_beyond_the_interval() -> None:
    org_gap = HeatmapCell(measure="gap", value=40, low=30, high=50)
    narrow = HeatmapCell(measure="gap", value=10, low=2, high=18)
    wide = HeatmapCell(measure="gap", value=10, low=-5, high=45)
    assert _against(narrow, org_gap).comparison == "better"  # a smaller gap is better
    assert _against(wide, org_gap).comparison == "similar"
    org_adoption = HeatmapCell(measure="adoption", value=60, low=55, high=65)
    low = HeatmapCell(measure="adoption", value=20, low=10, high=35)
    assert _against(low, org_adoption).comparison == "worse"
    view = cell_view(_against(low, org_adoption), COLUMNS[1])
    assert (view.text, view.css) == ("20%", "hm-worse")
    assert "worse than the organisation" in view.detail
    hidden = cell_view(HeatmapCell(measure="adoption", reason="no month released"), COLUMNS[1])
    assert (view.css, hidden.text, hidden.detail) == ("hm-worse", "Hidden", "no month released")


def test_the_dashboards_heatmap_is_computed_once_per_release_state(org: str) -> None:
    """Every viewer gets the same heatmap, computed once until a release is added (releases
    are never rewritten, so nothing else can change it)."""
    import datetime as dt

    from gaplens.db.engine import session_scope
    from gaplens.privacy import PrivacyPolicy
    from gaplens.releases.models import Release
    from gaplens.report.service import dashboard_heatmap

    today = dt.date(2026, 10, 20)
    with session_scope(org) as session:
        first = dashboard_heatmap(session, PrivacyPolicy(), today)
        again = dashboard_heatmap(session, PrivacyPolicy(), today)
        assert first is not None and again is first
        session.add(
            Release(
                dataset="survey:unrelated",
                seq=1,
                cutoff=today,
                answers_through=today,
                built_at=dt.datetime(2026, 10, 20),
                min_group_size=5,
                included=0,
                withheld=0,
            )
        )
        session.flush()
        after = dashboard_heatmap(session, PrivacyPolicy(), today)
    assert after is not None and after is not first and after == first
