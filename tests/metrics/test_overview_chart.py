"""The metrics page's overview chart: every published comparison drawn on its interval and
coloured by the metric's own "better", nothing drawn for a figure the release withholds,
and the page showing it as one named image with a caption while keeping the table."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from gaplens.accounts.models import StaffRole
from gaplens.accounts.service import create_user
from gaplens.db.engine import session_scope
from gaplens.metrics import MetricScope
from gaplens.metrics.chart import COMPARISONS, overview_chart, overview_findings, verdict
from gaplens.metrics.schemas import MetricFigure
from gaplens.releases.measured.queries import measured_release, released_overviews
from gaplens.web.app import create_app
from gaplens.web.settings import WebSettings
from tests.releases.test_measured_release import world  # noqa: F401 (a fixture)
from tests.web.conftest import PASSWORD, sign_in


def figure(low: float, high: float) -> MetricFigure:
    return MetricFigure(method="test", value=(low + high) / 2, low=low, high=high)


def test_the_verdict_follows_the_metrics_own_better():
    assert verdict(figure(-0.9, -0.2), "lower") == "better"
    assert verdict(figure(-0.9, -0.2), "higher") == "worse"
    assert verdict(figure(0.1, 0.4), "higher") == "better"
    assert verdict(figure(0.1, 0.4), "lower") == "worse"
    assert verdict(figure(-0.1, 0.4), "lower") == "unclear"
    assert verdict(MetricFigure(method="test", not_enough_data="too few"), "lower") == "unclear"


def test_every_published_comparison_is_drawn_and_no_withheld_one(world: tuple[str, int]):  # noqa: F811
    db_url, organisation = world
    with session_scope(db_url) as session:
        release = measured_release(session, organisation, None)
        assert release is not None
        overviews = released_overviews(session, release, MetricScope(organisation_id=organisation))
    published = [
        (o.metric.label, label, getattr(o, key).value)
        for o in overviews
        for key, label in COMPARISONS
        if getattr(o, key).value is not None
    ]
    withheld = [
        (o.metric.label, label)
        for o in overviews
        for key, label in COMPARISONS
        if getattr(o, key).value is None
    ]
    assert published and withheld, "the world has both kinds"
    spec = overview_chart(overviews)
    assert spec is not None
    rows = spec["data"]["values"]
    drawn = [(r["metric"].split("|")[0], r["comparison"], r["estimate"]) for r in rows]
    assert drawn == published
    for row in rows:
        assert row["low"] <= row["estimate"] <= row["high"]
    narrow = overview_chart(overviews, narrow=True)
    assert narrow is not None and narrow["spec"]["width"] < spec["spec"]["width"]
    assert overview_chart([]) is None
    for line in overview_findings(overviews):
        assert re.match(r"[A-Z][^:]+: (better|worse), ", line)


def test_the_metrics_page_shows_the_chart_and_keeps_the_table(world: tuple[str, int]):  # noqa: F811
    db_url, _ = world
    with session_scope(db_url) as session:
        create_user(session, "leader@northwind.example", "Leader", StaffRole.LEADER, PASSWORD)
    app = create_app(
        WebSettings(database_url=db_url, secure_cookies=False, slack_signing_secret=None)
    )
    with TestClient(app) as client:
        sign_in(client, "leader")
        page = client.get("/metrics")
    assert page.status_code == 200
    overview = page.text.split('aria-describedby="overview-text"', 1)[1].split("</figure>")[0]
    labels = re.findall(r'<svg role="img" aria-label="([^"]+)"', overview)
    assert len(labels) == 2 and labels[0].startswith("Each metric's change after adoption")
    assert 'id="overview-text"' in overview and "0 (dashed) is no change" in overview
    assert 'aria-label="Each metric: now, before vs after, users vs non-users, by tenure"' in (
        page.text
    )
