"""The reality report page through HTTP: a staff member picks scope, period and format and gets
the export API's file (one builder, one gate, one audit entry); bad choices and refused
populations come back as the page, with the message and the choices kept, nothing audited."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from gaplens.audit.models import AuditEvent
from gaplens.db.engine import session_scope
from gaplens.report.schemas import ReportDocument
from gaplens.web.routes.reports import file_name, period_choices
from tests.web.conftest import sign_in
from tests.web.test_report_export import small_org

__all__ = ["small_org"]  # the fixture, shared with the export API's tests
FILE = "/reports/file"


def exports(db_url: str) -> list[tuple[str, object]]:
    with session_scope(db_url) as session:
        return [
            (e.action, e.detail)
            for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))
            if e.action.startswith("export")
        ]


def test_the_page_offers_every_scope_and_recent_periods(small_org: TestClient) -> None:
    assert small_org.get("/reports", follow_redirects=False).status_code == 303
    sign_in(small_org, "leader")
    page = small_org.get("/reports")
    assert page.status_code == 200
    for option in (
        '<option value="function:Support">Support</option>',
        '<option value="function:Engineering">Engineering</option>',
        'value="team:eng-payments"',
        '<option value="Pulse">Pulse</option>',
        f'<option value="{dt.date.today().year}">',
    ):
        assert option in page.text, option
    assert '<a href="/reports" aria-current="page">Reality report</a>' in page.text


def test_a_function_report_opens_in_the_browser_and_is_audited(
    small_org: TestClient, db_url: str
) -> None:
    sign_in(small_org, "analyst")
    params = {"scope": "function:Support", "period": "2026-Q3"}
    html = small_org.get(FILE, params={**params, "format": "html"})
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert html.headers["content-disposition"] == (
        'inline; filename="gaplens-report-function-support-2026-q3.html"'
    )
    assert "Function: Support" in html.text
    data = small_org.get(FILE, params={**params, "format": "json"})
    assert data.headers["content-disposition"].startswith("attachment;")
    doc = ReportDocument.model_validate_json(data.content)
    assert doc.scope is not None and doc.scope.name == "Support"
    assert doc.period is not None and doc.period.label == "2026-Q3"
    pdf = small_org.get(FILE, params={**params, "format": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert exports(db_url) == [
        (f"export_report_{f}", {"scope": "function:Support", "period": "2026-07-01..2026-09-30"})
        for f in ("html", "json", "pdf")
    ]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"scope": "team:nope"}, "unknown team 'nope'"),
        ({"period": "2025-Q1"}, "no survey pulse closed"),
        ({"from": "2026-07-01"}, "go together"),
        ({"format": "xlsx"}, "Choose HTML, PDF or JSON."),
    ],
)
def test_a_bad_choice_is_the_page_again_with_the_message_and_the_choices(
    small_org: TestClient, db_url: str, params: dict[str, str], message: str
) -> None:
    sign_in(small_org, "leader")
    got = small_org.get(FILE, params={"scope": "function:Support", **params})
    assert got.status_code == 422
    assert got.headers["content-type"].startswith("text/html")
    assert 'role="alert"' in got.text and message in got.text.replace("&#39;", "'")
    if "scope" not in params:  # what was chosen is still chosen
        assert '<option value="function:Support" selected>' in got.text
    assert exports(db_url) == []


def test_a_tracker_pair_on_the_page_gives_nothing_to_subtract(
    small_org: TestClient, db_url: str
) -> None:
    """Payments, then Engineering (Payments plus one person): both read the same release, in
    which that one person is in no group yet, so the page and the API publish the same
    responses' figures for both and every export is audited."""
    sign_in(small_org, "analyst")
    first = small_org.get(FILE, params={"scope": "team:eng-payments", "format": "json"})
    assert first.status_code == 200
    second = small_org.get(FILE, params={"scope": "function:Engineering", "format": "pdf"})
    assert second.status_code == 200 and second.content.startswith(b"%PDF")
    api = small_org.get(
        "/api/v1/exports/report", params={"scope": "function:Engineering", "format": "json"}
    )
    assert api.status_code == 200
    assert api.json()["perception"] == first.json()["perception"]
    assert [action for action, _ in exports(db_url)] == [
        "export_report_json",
        "export_report_pdf",
        "export_report_json",
    ]


def test_period_choices_stop_at_today_and_file_names_say_what_they_hold() -> None:
    choices = [key for key, _ in period_choices(dt.date(2026, 8, 15), years=2)]
    assert choices[:4] == ["2026-Q3", "2026-Q2", "2026-Q1", "2026-H2"]
    assert "2026-Q4" not in choices and choices[-1] == "2025"
    assert choices.count("2025-Q4") == 1 and len(choices) == 3 + 2 + 1 + 4 + 2 + 1
    assert file_name("team:Eng Payments", "", "pdf") == (
        "gaplens-report-team-eng-payments-last-12-months.pdf"
    )
    assert file_name(None, "2026-Q3", "json") == "gaplens-report-organisation-2026-q3.json"
