"""What goes with the gap here, through real HTTP: the dashboard's list and the report's
appendix section (plain words in the body, method names in the method notes)."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient

from gaplens.db.engine import session_scope
from gaplens.directory.service import team_functions
from gaplens.drivers.service import dashboard_drivers
from gaplens.figures import FigureStatus
from gaplens.privacy import PrivacyPolicy
from gaplens.report.schemas import ReportDocument
from tests.web.conftest import sign_in


def test_the_dashboard_lists_what_goes_with_the_gap(client: TestClient, web_db: str):
    sign_in(client, "leader")
    page = client.get("/dashboard")
    assert page.status_code == 200
    with session_scope(web_db) as session:
        found = dashboard_drivers(session, PrivacyPolicy(), None, None, None)
    assert found is not None
    section = html.unescape(page.text[page.text.index('id="h-drivers"') :])
    for analysis in (found.gains, found.gap):
        if analysis.status == FigureStatus.SHOWN:
            assert analysis.headline in section
            for driver in analysis.drivers:
                assert driver.sentence in section
        else:
            assert analysis.reason and analysis.reason in section
    assert found.gains.status == FigureStatus.SHOWN  # the demo's frontline is large enough
    # A function too small for the analysis across people says so, with no figure.
    with session_scope(web_db) as session:
        small = [
            found
            for function in team_functions(session)
            if (found := dashboard_drivers(session, PrivacyPolicy(), None, None, function))
            and found.gains.status == FigureStatus.NOT_ENOUGH_RESPONSES
        ]
    assert small and all(s.gains.drivers == [] and s.gains.reason for s in small)
    function = next(f for f in sorted(team_functions_of(web_db)) if f)
    page = client.get("/dashboard", params={"function": function})
    assert page.status_code == 200 and 'id="h-drivers"' in page.text


def team_functions_of(url: str) -> list[str]:
    with session_scope(url) as session:
        return list(team_functions(session))


def test_the_report_has_the_section_in_plain_words_and_the_method_in_the_notes(
    client: TestClient,
):
    sign_in(client, "analyst")
    got = client.get("/reports/file", params={"format": "json"})
    assert got.status_code == 200
    doc = ReportDocument.model_validate_json(got.content)
    assert doc.drivers is not None
    page = client.get("/reports/file", params={"format": "html"})
    assert page.status_code == 200
    body = page.text[page.text.index('<section id="drivers"') :]
    section = body[: body.index("</section>")]
    text = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section)))
    assert "What goes with the gap here" in text and "not what causes what" in text
    for word in ("Shapley", "R-squared", "LMG", "bootstrap", "regress"):
        assert word not in text  # method names belong in the method notes
    method = page.text[page.text.index('<section id="method"') :]
    assert "Budescu" in html.unescape(method) and "relaimpo" in method
    if doc.drivers.gains.status == FigureStatus.SHOWN:
        for driver in doc.drivers.gains.drivers:
            assert f"{driver.share}%" in text and driver.label in text
