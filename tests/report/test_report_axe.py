"""The report as a reader opens it, checked by axe-core in Chromium: the organisation's and a
team's report from the reports page (/reports/file, the address the form and the dashboard's
heatmap links open; `gaplens report` writes the same page, render_html, to a file), each at a
desktop's 1280 x 800 and a phone's 390 x 844 (where tables and charts scroll sideways): no
violation of any impact (every WCAG 2.0-2.2 A and AA rule and axe's best practices,
tests/web/axe.py). Every chart is one image named in words and described by its caption.

axe takes about ten seconds per run on the organisation's report (some 5,000 elements), so
the module runs it four times on one demo, built once."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from gaplens.accounts.models import StaffRole
from gaplens.accounts.service import create_user
from gaplens.db.engine import dispose_engine, session_scope
from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.shared_build import demo_database
from tests.web.axe import assert_no_violations
from tests.web.conftest import PASSWORD, served

pytestmark = pytest.mark.browser

VIEWER = "report.reader@northwind.example"
VIEWPORTS = ((1280, 800), (390, 844))

CHARTS = """() => Array.from(document.querySelectorAll('svg')).map((svg) => {
  const described = svg.getAttribute('aria-describedby');
  const title = svg.querySelector('title');
  const caption = described ? document.getElementById(described) : null;
  return {
    role: svg.getAttribute('role'),
    name: (svg.getAttribute('aria-label') || (title ? title.textContent : '')).trim(),
    described: caption ? caption.textContent.trim() : '',
    inFigure: svg.closest('figure') !== null,
    vega: svg.classList.contains('marks'),
  };
})"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's data (400 people: every import, release and section; the reports are built
    by the server), built once per run and shared with the staff pages' axe test
    (tests/shared_build.py), copied for this module with a staff member who can open the
    reports page."""
    out = tmp_path_factory.mktemp("report-axe")
    shutil.copyfile(demo_database(tmp_path_factory), out / "gaplens-demo.db")
    url = f"sqlite:///{out / 'gaplens-demo.db'}"
    with session_scope(url) as session:
        create_user(session, VIEWER, "Report Reader", StaffRole.LEADER, PASSWORD)
    dispose_engine(url)
    return out


@pytest.fixture(scope="module")
def server(demo: Path) -> Iterator[str]:
    from gaplens.web.app import create_app
    from gaplens.web.settings import WebSettings

    url = f"sqlite:///{demo / 'gaplens-demo.db'}"
    app = create_app(WebSettings(database_url=url, secure_cookies=False, slack_signing_secret=None))
    with served(app) as origin:
        yield origin
    dispose_engine(url)


REPORTS = {
    # name: the address a reader opens, as the reports form or a heatmap link gives it
    "organisation": "/reports/file?format=html",
    "team": "/reports/file?format=html&scope=team%3Asupport&period=2026-Q3",
}


@pytest.mark.parametrize("report", list(REPORTS))
def test_the_report_passes_axe_on_a_desktop_and_a_phone(report: str, server: str) -> None:
    from playwright.sync_api import sync_playwright

    address = REPORTS[report]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(server + "/login")
            page.locator("#email").fill(VIEWER)
            page.locator("#password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(server + "/dashboard")
            response = page.goto(server + address)
            assert response is not None and response.status == 200, address
            assert response.headers["content-type"].startswith("text/html")
            assert page.locator("main section#brief").count() == 1, "not a report"
            for width, height in VIEWPORTS:
                page.set_viewport_size({"width": width, "height": height})
                assert_no_violations(page, f"the {report} report at {width} x {height}")
            charts = page.evaluate(CHARTS)
            assert len(charts) >= 3, charts
            for chart in charts:
                assert chart["role"] == "img" and chart["inFigure"], chart
                assert len(chart["name"].split()) >= 5, chart  # a sentence, not "Chart"
                # Each Vega-Lite chart is described by its caption, which says what it shows
                # and how to read it (the numbers are in the table or list beside it).
                assert not chart["vega"] or len(chart["described"].split()) >= 5, chart
        finally:
            browser.close()
