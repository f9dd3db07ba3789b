"""Staff pages open on the latest released data, not on a period counted back from today,
and offer the released periods in a select, through real HTTP: /reflections (months of the
reflections release), /adoption (the funnel's released month ends) and the "Data as of"
line of the pages that read one release (/shadow, /trend)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from gaplens.db.engine import session_scope
from gaplens.privacy import PrivacyPolicy
from gaplens.reflections.schemas import ReflectionIn
from gaplens.reflections.service import issue_links, schedule, submit_reflection
from gaplens.releases.models import Release
from gaplens.releases.service import build_all
from tests.web.conftest import sign_in
from tests.web.test_browser import release_adoption
from tests.web.test_reflections import emails, train


def options(html: str, select_id: str) -> tuple[list[str], list[str]]:
    """The option values of one select, and the values marked selected."""
    found = re.search(rf'<select id="{select_id}" name="[^"]+">(.*?)</select>', html, re.S)
    assert found, f"no select #{select_id}"
    values = re.findall(r'<option value="([^"]*)"', found.group(1))
    chosen = re.findall(r'<option value="([^"]*)" selected', found.group(1))
    return values, chosen


def months_back(today: dt.date, months: int) -> dt.date:
    """The 10th of the month `months` before today's."""
    day = today.replace(day=1)
    for _ in range(months):
        day = (day - dt.timedelta(days=1)).replace(day=1)
    return day.replace(day=10)


def month_end(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def reflections_in(url: str, tmp_path: Path, days: list[dt.date]) -> None:
    """14 engineers trained on each day with their 'right after' links issued that day and
    8 used, then released (every day is months past, so every link has expired)."""
    people = emails(url, "eng-payments", 12) + emails(url, "eng", 2)
    for n, day in enumerate(days):
        (tmp_path / f"t{n}").mkdir()
        train(url, tmp_path / f"t{n}", people, day)
        with session_scope(url) as session:
            schedule(session, day)
            links = issue_links(session, day, "http://testserver", today=day)
            for link in links[:8]:
                answer = ReflectionIn(learned="Summaries save me time on the routine part")
                submit_reflection(session, link.url.rsplit("/", 1)[1], answer, today=day)
    with session_scope(url) as session:
        build_all(session, PrivacyPolicy())


def test_reflections_open_on_the_latest_released_month_and_offer_the_others(
    client: TestClient, web_db: str, tmp_path: Path
):
    """Invitations 7 and 5 months ago: counting back three months from today would show
    nothing; the page opens on the latest month with data, lists every month from the first
    to the last released, and shows an earlier one when picked."""
    today = dt.date.today()
    early, late = months_back(today, 7), months_back(today, 5)
    reflections_in(web_db, tmp_path, [early, late])
    sign_in(client, "leader")
    page = client.get("/reflections")
    assert page.status_code == 200
    values, chosen = options(page.text, "through")
    expected = [f"{d:%Y-%m}" for d in (months_back(today, m) for m in range(5, 8))]
    assert values == expected and chosen == [f"{late:%Y-%m}"]
    assert f"Data as of {month_end(late):%-d %B %Y}" in page.text
    assert '<td class="num">24</td>' in page.text  # both months' released 12 links

    one = client.get("/reflections", params={"through": f"{early:%Y-%m}", "months": 1})
    assert one.status_code == 200
    assert options(one.text, "through")[1] == [f"{early:%Y-%m}"]
    assert f"Data as of {month_end(early):%-d %B %Y}" in one.text
    assert '<td class="num">12</td>' in one.text and '<td class="num">24</td>' not in one.text

    unknown = client.get("/reflections", params={"through": "1999-01"})
    assert unknown.status_code == 422 and "through" in unknown.text
    assert "Traceback" not in unknown.text


def test_reflections_before_any_release_offer_no_period(client: TestClient):
    sign_in(client, "leader")
    page = client.get("/reflections")
    assert page.status_code == 200 and 'id="through"' not in page.text


def test_adoption_picks_from_released_month_ends_latest_first(client: TestClient, web_db: str):
    """No free date field: the released month ends, newest first, the latest selected and
    named as the data's date; another picked shows that month end."""
    sign_in(client, "analyst")
    before = client.get("/adoption")
    assert before.status_code == 200
    assert 'type="date"' not in before.text and "Data as of" not in before.text
    assert 'id="as_of"' not in before.text  # nothing released: nothing to pick

    release_adoption(web_db)
    with session_scope(web_db) as session:
        released = sorted(
            set(
                session.scalars(
                    select(Release.answers_through).where(Release.dataset.like("adoption:%"))
                )
            ),
            reverse=True,
        )
    assert len(released) >= 2
    page = client.get("/adoption")
    assert page.status_code == 200 and 'type="date"' not in page.text
    values, chosen = options(page.text, "as_of")
    assert values == [d.isoformat() for d in released]
    assert chosen == [released[0].isoformat()]
    assert f"Data as of {released[0]:%-d %B %Y}" in page.text

    earlier = client.get("/adoption", params={"as_of": released[1].isoformat()})
    assert options(earlier.text, "as_of")[1] == [released[1].isoformat()]
    assert f"Data as of {released[1]:%-d %B %Y}" in earlier.text

    bad = client.get("/adoption", params={"as_of": "not-a-day"})
    assert bad.status_code == 422 and "as_of" in bad.text


def test_shadow_says_which_day_its_answers_run_to(client: TestClient, web_db: str):
    with session_scope(web_db) as session:
        through = session.scalar(
            select(Release.answers_through)
            .where(Release.dataset.like("survey:%"))
            .order_by(Release.answers_through.desc())
        )
    assert through is not None
    sign_in(client, "leader")
    page = client.get("/shadow")
    assert f"Data as of {through:%-d %B %Y}" in page.text
