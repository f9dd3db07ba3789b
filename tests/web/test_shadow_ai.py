"""Shadow AI through the API and the page: shares by function, follow-ups only above k."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import sign_in


def test_shadow_ai_by_function_with_uses_and_reasons(client: TestClient):
    sign_in(client, "leader")
    body = client.get("/api/v1/shadow-ai").json()
    groups = {g["group"]: g for g in body["groups"]}
    everyone = groups["everyone"]
    assert everyone["status"] == "shown" and everyone["n"] > 100
    assert 0 < everyone["unsanctioned"]["share"] < 1
    assert everyone["follow_up_status"] == "shown"
    uses = everyone["uses"]
    assert set(uses) == {
        "drafting and editing text",
        "writing or reviewing code",
        "research and search",
        "data analysis",
        "meeting notes and summaries",
        "something else",
    }
    engineering = groups["Engineering"]
    if engineering["follow_up_status"] == "shown":  # planted: engineers turn to coding assistants
        top = max(engineering["uses"], key=lambda o: engineering["uses"][o]["share"])
        assert top == "writing or reviewing code"
    for group in body["groups"]:
        if group["status"] != "shown":
            assert group["n"] is None and group["unsanctioned"] is None
        if group["follow_up_status"] != "shown":
            assert group["uses"] is None and group["reasons"] is None
    page = client.get("/shadow")
    assert page.status_code == 200 and "where the provided tools fail people" in page.text


def test_measured_sanctioned_use_sits_beside_the_survey(client: TestClient, web_db: str):
    """With usage telemetry imported, each function shows how many licensed people actually
    used a sanctioned tool in the 28 days to the survey's last day; small functions hidden."""
    import datetime as dt

    from sqlalchemy import func, select

    from gaplens.db.engine import session_scope
    from gaplens.directory.models import Person
    from gaplens.imports.models import ImportRun
    from gaplens.surveys.models import SurveyResponse
    from gaplens.telemetry.models import AiUsageDay

    sign_in(client, "leader")
    before = client.get("/api/v1/shadow-ai").json()
    assert before["measured_as_of"] is None and before["groups"][0]["measured"] is None
    with session_scope(web_db) as session:
        latest = session.scalar(select(func.max(SurveyResponse.answered_on)))
        # the release dates the pulse to the end of its last week, never one answer's day
        last_day = latest + dt.timedelta(days=6 - latest.weekday())
        licensed = list(
            session.execute(
                select(Person.id, Person.function)
                .where(Person.ai_licence_date.is_not(None), Person.ai_licence_date <= last_day)
                .order_by(Person.email)
            )
        )
        run = ImportRun(
            kind="copilot-usage",
            source_name="t.ndjson",
            sha256="0" * 64,
            rows_read=0,
            rows_written=0,
            imported_at=dt.datetime.now(dt.UTC),
        )
        session.add(run)
        session.flush()
        active = licensed[::2]  # every other licensed person was active 3 days before the end
        session.add_all(
            AiUsageDay(
                person_id=pid,
                day=last_day - dt.timedelta(days=3),
                tool="github-copilot",
                app="ide",
                import_run_id=run.id,
            )
            for pid, _ in active
        )
        stale = licensed[1:2]  # active, but 40 days earlier: not in the window
        session.add_all(
            AiUsageDay(
                person_id=pid,
                day=last_day - dt.timedelta(days=40),
                tool="github-copilot",
                app="ide",
                import_run_id=run.id,
            )
            for pid, _ in stale
        )
    body = client.get("/api/v1/shadow-ai").json()
    assert body["measured_as_of"] == last_day.isoformat()
    groups = {g["group"]: g for g in body["groups"]}
    everyone = groups["everyone"]["measured"]
    assert everyone["licensed"] == len(licensed)
    assert everyone["active_28d"]["count"] == len(active)
    for function in {f for _, f in licensed}:
        measured = groups.get(function, {}).get("measured")
        if measured and measured["status"] == "shown":
            expected = sum(1 for pid, f in active if f == function)
            assert measured["active_28d"]["count"] == expected
            assert measured["licensed"] >= 5
    page = client.get("/shadow")
    assert "Measured: licensed people active" in page.text
