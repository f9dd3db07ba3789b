"""Perception calibrated, read from releases: per AI-tenure band, the survey release's
median perceived speed-up beside the measured release's speed-up at those months since
adoption, the gap with both intervals combined, on /metrics and in the report; a band
with too few answers, a function without a measured estimate and a team say why in words.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gaplens.accounts.models import StaffRole
from gaplens.accounts.service import create_user
from gaplens.db.engine import session_scope
from gaplens.metrics.schemas import MetricScope
from gaplens.privacy import PrivacyPolicy
from gaplens.realities.calibration import calibration, scope_calibration, sentence
from gaplens.realities.schemas import Interval
from gaplens.releases.measured.queries import measured_release, released_staggered
from gaplens.releases.service import build_all
from gaplens.report.render import render_html
from gaplens.report.scope import ScopeRequest, parse_period
from gaplens.report.service import build_report
from gaplens.stats import Estimate, mover_difference
from gaplens.surveys.service import find_survey, import_responses
from gaplens.web.app import create_app
from gaplens.web.settings import WebSettings
from tests.files import write_csv
from tests.releases.test_staggered_release import _monthly_builds, _world
from tests.web.conftest import PASSWORD, sign_in

ANSWERED = "2025-12-15"
# Engineering people by tenure band (count, first answer, step): 12 under a month (20% to
# 50%), 12 of 1 to 6 months (0% to 15%), answers across bins (a band whose answers share
# one bin is not shown), and 3 of 6+ months (fewer than 5: not shown).
BANDS = {"<1": (12, 20, 10), "1-6": (12, 0, 5), "6+": (3, 20, 10)}


def _answers() -> list[dict[str, str]]:
    rows = []
    for band, (count, base, step) in BANDS.items():
        for i in range(count):
            rows.append(
                {
                    "response_id": f"r-{band}-{i}",
                    "answered_on": ANSWERED,
                    "role_level": "individual_contributor",
                    "team": "eng",
                    "function": "engineering",
                    "ai_tenure": band,
                    "perceived_speedup": str(base + step * (i % 4)),
                }
            )
    return rows


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> tuple[str, int]:
    with session_scope(db_url) as session:
        organisation = _world(session, effect=-1.5, seed=1)
        _monthly_builds(session, organisation, dt.date(2025, 10, 3))
        create_user(session, "leader@northwind.example", "Leader", StaffRole.LEADER, PASSWORD)
    with session_scope(db_url) as session:
        import_responses(session, write_csv(tmp_path / "pulse.csv", _answers()), "Pulse")
        build_all(session, PrivacyPolicy(), today=dt.date(2026, 1, 5))
    return db_url, organisation


def test_each_band_reads_both_releases_and_the_gap_combines_both_intervals(
    world: tuple[str, int],
) -> None:
    url, organisation = world
    whole = MetricScope(organisation_id=organisation)
    with session_scope(url) as session:
        survey = find_survey(session, "Pulse")
        release = measured_release(session, organisation)
        assert release is not None
        figures = released_staggered(session, release, "cycle_time", whole)
        assert figures is not None
        published = {e.band: e for e in figures.speed_up_by_tenure}
        (org, engineering, support) = calibration(
            session,
            survey,
            None,
            [
                ("Whole organisation", whole),
                ("engineering", whole.model_copy(update={"function": "engineering"})),
                ("support", whole.model_copy(update={"function": "support"})),
            ],
        )
        team = scope_calibration(
            session, survey, release, whole.model_copy(update={"team_id": 1}), "eng"
        )
    assert org.measure == "cycle time (issues)"
    bands = {b.band: b for b in org.bands}
    for band in ("<1", "1-6"):
        row = bands[band]
        assert row.perceived and row.measured and row.gap, row.sentence
        entry = published[band]
        # Measured: minus the released ratio, in %: positive = faster.
        assert row.measured.estimate == pytest.approx(-100 * entry.estimate)
        assert (row.measured.low, row.measured.high) == pytest.approx(
            (-100 * entry.high, -100 * entry.low)
        )
        assert row.measured_n == entry.n and row.perceived_n == 12
        gap = mover_difference(
            Estimate(row.perceived.estimate, row.perceived.low, row.perceived.high),
            Estimate(row.measured.estimate, row.measured.low, row.measured.high),
        )
        assert (row.gap.estimate, row.gap.low, row.gap.high) == pytest.approx(
            (gap.value, gap.low, gap.high)
        )
        assert row.gap.estimate == pytest.approx(row.perceived.estimate - row.measured.estimate)
    assert bands["<1"].perceived.estimate > bands["1-6"].perceived.estimate  # as answered
    assert bands["<1"].sentence.startswith("People using AI for under 1 month feel ")
    # 6+: three answers, fewer than 5: measured, but the feeling is not shown, and no gap.
    six = bands["6+"]
    assert six.perceived is None and six.gap is None and six.measured is not None
    assert six.perceived_reason and "fewer than 5" in six.perceived_reason
    assert six.sentence.startswith(
        f"People using AI for 6 months or more: how fast they feel is not shown ({six.perceived_reason}); measured, "
    )
    # The function scope reads the same bands through its function filter.
    assert [b.perceived for b in engineering.bands] == [b.perceived for b in org.bands]
    # Support: no cohort of 5 adopters, so nothing measured, and it says so.
    assert support.measure is None and support.reason
    assert all(b.measured is None and b.gap is None for b in support.bands)
    assert (
        "; not measured (too few adopters and people not yet using AI" in support.bands[0].sentence
    )
    assert team.reason and "not for a single team" in team.reason
    assert team.bands[0].sentence == (
        "People using AI for under 1 month: not shown (shown for the whole organisation and "
        "each function, not for a single team)."
    )
    assert all(b.perceived is None and b.measured is None for b in team.bands)


def test_the_metrics_page_and_the_report_show_each_band(world: tuple[str, int]) -> None:
    url, organisation = world
    app = create_app(WebSettings(database_url=url, secure_cookies=False, slack_signing_secret=None))
    with TestClient(app) as client:
        sign_in(client, "leader")
        page = client.get("/metrics")
        support = client.get("/metrics", params={"function": "support"})
        unknown = client.get("/metrics", params={"function": "no such function"})
    with session_scope(url) as session:
        survey = find_survey(session, "Pulse")
        (org,) = calibration(
            session,
            survey,
            None,
            [("Whole organisation", MetricScope(organisation_id=organisation))],
        )
        doc = build_report(
            session,
            "Pulse",
            PrivacyPolicy(),
            dt.date(2026, 1, 5),
            period_request=parse_period(None),
        )
        team_doc = build_report(
            session,
            "Pulse",
            PrivacyPolicy(),
            dt.date(2026, 1, 5),
            scope_request=ScopeRequest("team", "eng"),
            period_request=parse_period(None),
        )
    assert page.status_code == 200 and support.status_code == 200
    # A function nobody is in: every band says why, no error.
    assert unknown.status_code == 200 and 'id="h-calibration"' in unknown.text
    assert "too few adopters" in unknown.text
    html = page.text
    assert 'id="h-calibration"' in html
    assert '<svg role="img" aria-label="Whole organisation: how much faster people feel' in html
    for band in org.bands:
        assert band.sentence.replace("'", "&#39;") in html
    assert "too few adopters" in support.text
    # The report: the same bands, in the measured section, with the chart.
    assert doc.measured is not None
    (reported,) = [c for c in doc.measured.calibration if c.kind == "organisation"]
    assert reported.bands == org.bands
    report_html = render_html(doc)
    assert 'id="calibration"' in report_html
    for band in org.bands:
        assert band.sentence.replace("'", "&#39;") in report_html
    body = report_html[
        report_html.index('id="calibration"') : report_html.index("The metrics leadership tracks")
    ]
    for word in ("MOVER", "bootstrap", "Callaway", "staggered", "METR"):
        assert word not in body
    # A team report: one line saying why, not three bands saying the same.
    team_html = render_html(team_doc)
    team_body = team_html[
        team_html.index('id="calibration"') : team_html.index("The metrics leadership tracks")
    ]
    assert "Not shown for a team: shown for the whole organisation and each function" in team_body
    assert "<li>People using AI" not in team_body and "<svg" not in team_body


def _i(estimate: float, low: float, high: float) -> Interval:
    return Interval(estimate=estimate, low=low, high=high)


def test_the_sentence_says_over_under_or_no_clear_difference_in_plain_words() -> None:
    over = sentence("6 months or more", _i(18, 12, 24), None, _i(3, -2, 8), None, _i(15, 8, 22))
    assert over == (
        "People using AI for 6 months or more feel 18% faster (12 to 24); measured, 3% faster "
        "(\u22122 to 8): they overestimate by 15 points (8 to 22)."
    )
    # METR 2025: felt 20% faster, measured 19% slower.
    slower = sentence(
        "6 months or more", _i(20, 10, 25), None, _i(-19, -30, -8), None, _i(39, 24, 50)
    )
    assert "measured, 19% slower (speed-up \u221230 to \u22128): they overestimate by 39" in slower
    under = sentence("1 to 6 months", _i(10, 0, 25), None, _i(39, 36, 42), None, _i(-29, -39, -13))
    assert under.endswith("they underestimate by 29 points (13 to 39).")
    even = sentence("under 1 month", _i(4, -5, 10), None, _i(3, -8, 10), None, _i(1, -12, 13))
    assert even.endswith(
        "the difference, 1 point (\u221212 to 13), could be zero: no clear over- or underestimate."
    )
