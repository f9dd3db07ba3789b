"""Every staff page, signed in, on the demo's own data, in Chromium at 1280 x 800 and
390 x 844: no axe-core violation of any impact, no sideways scroll of the page itself, and
the pages that read weekly or monthly releases open on the demo's data (which ends on
2026-09-30, months before the day the tests run), saying which."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.accounts.models import StaffRole
from gaplens.accounts.service import create_user
from gaplens.db.engine import dispose_engine, session_scope
from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.shared_build import demo_database
from tests.web.axe import assert_no_violations
from tests.web.conftest import PASSWORD, served

pytestmark = pytest.mark.browser

ADMIN = "pages.admin@northwind.example"
PAGES = [
    "/dashboard",
    "/metrics",
    "/adoption",
    "/trend",
    "/shadow",
    "/scorecard",
    "/digest",
    "/friction/summary",
    "/reflections",
    "/tasks/map",
    "/tasks/personas",
    "/criteria",
    "/criteria/1",
    "/wins",
    "/wins/1",
    "/leaders",
    "/commitments",
    "/reports",
    "/actions",
    "/admin/surveys",
    "/admin/mail",
    "/admin/users",
    "/admin/tasks",
    "/admin/connections",
    "/admin/scim",
]
OPENS_ON_DATA = {
    # page: text that is there only when the page shows the demo's latest data
    "/digest": "Data as of 27 September 2026",
    "/scorecard": "Data as of 27 September 2026",
    "/friction/summary": "Data as of 27 September 2026",
    "/metrics": "Data as of 30 September 2026",
    "/adoption": "Data as of 30 September 2026",
    "/reflections": "Data as of 30 September 2026",
    "/trend": "Data as of 20 September 2026",
    "/shadow": "Data as of 20 September 2026",
    "/tasks/map": "Data as of 27 September 2026",
    "/tasks/personas": "Data as of 27 September 2026",
    "/criteria": "Data as of 30 September 2026",
    "/wins": "Data as of 30 September 2026",
}


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real demo (400 people: every import, release, leader post, criterion and win),
    built once per run and shared with the report's axe test (tests/shared_build.py), copied
    for this module with an admin who can open every staff page."""
    path = tmp_path_factory.mktemp("staff-demo") / "gaplens-demo.db"
    shutil.copyfile(demo_database(tmp_path_factory), path)
    url = f"sqlite:///{path}"
    with session_scope(url) as session:
        create_user(session, ADMIN, "Pages Admin", StaffRole.ADMIN, PASSWORD)
        _mail_schedule_with_a_bounce(session)
    dispose_engine(url)
    return path


def _mail_schedule_with_a_bounce(session: Session) -> None:
    """So /admin/mail shows a schedule, its counts, a round and a failing address."""
    import datetime as dt

    from gaplens.directory.models import Person
    from gaplens.mail.models import MailInvitation, MailRound
    from gaplens.mail.service import schedule_survey
    from gaplens.surveys.service import find_survey

    survey = find_survey(session, None)  # the demo's latest pulse: no new survey to show
    today = dt.date.today()
    schedule_survey(session, survey, opens_on=today, closes_on=today + dt.timedelta(days=14))
    person = session.scalars(select(Person).order_by(Person.email)).first()
    assert person is not None
    session.add(
        MailInvitation(
            survey_id=survey.id,
            person_id=person.id,
            channel="email",
            status="bounced",
            address=person.email,
            detail="550 5.1.1 User unknown",
            attempts=1,
            sent_on=today,
        )
    )
    session.add(MailRound(survey_id=survey.id, kind="invitation", step=0, sent_on=today, failed=1))


@pytest.fixture
def demo_server(demo_db: Path, tmp_path: Path) -> Iterator[str]:
    from gaplens.web.app import create_app
    from gaplens.web.settings import WebSettings

    copy = tmp_path / "demo.db"
    shutil.copyfile(demo_db, copy)
    url = f"sqlite:///{copy}"
    app = create_app(WebSettings(database_url=url, secure_cookies=False, slack_signing_secret=None))
    with served(app) as origin:
        yield origin
    dispose_engine(url)


@pytest.mark.parametrize("viewport", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_every_staff_page_passes_axe_and_fits(demo_server: str, viewport: tuple[int, int]):
    from playwright.sync_api import sync_playwright

    width, height = viewport
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(demo_server + "/login")
            page.locator("#email").fill(ADMIN)
            page.locator("#password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(demo_server + "/dashboard")
            for path in PAGES:
                response = page.goto(demo_server + path)
                assert response is not None and response.status == 200, path
                context = f"{path} at {width} x {height}"
                assert_no_violations(page, context)
                sideways = page.evaluate(
                    "() => document.documentElement.scrollWidth - "
                    "document.documentElement.clientWidth"
                )
                assert sideways <= 0, f"{context}: the page scrolls sideways by {sideways} px"
                if path in OPENS_ON_DATA:
                    assert OPENS_ON_DATA[path] in page.inner_text("main"), context
            # The menu itself, opened: a folded menu on the phone, a group on the desktop.
            page.goto(demo_server + "/metrics")
            if width < 800:
                page.locator(".nav-menu > summary").click()
                link = page.locator(".staff-nav.narrow a[aria-current='page']")
            else:
                page.locator(".staff-nav.wide summary.here").click()
                link = page.locator(".staff-nav.wide a[aria-current='page']")
            assert link.inner_text() == "Metrics" and link.is_visible()
            assert_no_violations(page, f"menu open at {width} x {height}")
            link_box = link.bounding_box()
            assert link_box is not None and link_box["height"] >= 44
        finally:
            browser.close()
