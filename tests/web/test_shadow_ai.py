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
    """With usage telemetry imported and its month released, each function shows how many
    licensed people used a sanctioned tool in the 28 days to the adoption release's latest
    month end on or before the survey's last day: sums of the release's classes (each of
    at least k, the same for every viewer), never a per-request count."""
    import datetime as dt

    from sqlalchemy import func, select

    from gaplens.db.engine import session_scope
    from gaplens.directory.models import Person
    from gaplens.imports.models import ImportRun
    from gaplens.privacy import PrivacyPolicy
    from gaplens.releases.adoption.models import AdoptionReleaseClass
    from gaplens.releases.adoption.service import build_adoption_releases
    from gaplens.releases.models import Release
    from gaplens.shadow.service import NO_MONTH
    from gaplens.surveys.models import SurveyResponse
    from gaplens.telemetry.models import AiUsageDay

    sign_in(client, "leader")
    before = client.get("/api/v1/shadow-ai").json()
    assert before["measured_as_of"] is None and before["groups"][0]["measured"] is None
    assert before["measured_reason"] == NO_MONTH
    assert "no measured column" in client.get("/shadow").text
    with session_scope(web_db) as session:
        latest = session.scalar(select(func.max(SurveyResponse.answered_on)))
        # the release dates the pulse to the end of its last week, never one answer's day
        last_day = latest + dt.timedelta(days=6 - latest.weekday())
        month_end = last_day.replace(day=1) - dt.timedelta(days=1)
        licensed = list(
            session.execute(
                select(Person.id, Person.function)
                .where(Person.ai_licence_date.is_not(None), Person.ai_licence_date <= month_end)
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
                day=month_end - dt.timedelta(days=3),
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
                day=month_end - dt.timedelta(days=40),
                tool="github-copilot",
                app="ide",
                import_run_id=run.id,
            )
            for pid, _ in stale
        )
        session.flush()
        build_adoption_releases(session, PrivacyPolicy(), today=month_end + dt.timedelta(days=1))
        release = session.scalars(
            select(Release).where(
                Release.dataset.like("adoption:%"), Release.answers_through == month_end
            )
        ).one()
        classes = session.execute(
            select(
                AdoptionReleaseClass.function, AdoptionReleaseClass.n, AdoptionReleaseClass.furthest
            ).where(AdoptionReleaseClass.release_id == release.id)
        ).all()
    body = client.get("/api/v1/shadow-ai").json()
    assert body["measured_as_of"] == month_end.isoformat() and body["measured_reason"] is None
    groups = {g["group"]: g for g in body["groups"]}
    everyone = groups["everyone"]["measured"]
    # by hand: the classes published, each person counted once; withheld people in none
    assert everyone["licensed"] == sum(n for _, n, _ in classes) <= len(licensed)
    assert everyone["licensed"] >= len(licensed) - 2 * 5
    assert everyone["active_28d"]["count"] == sum(sum(f[2:]) for _, _, f in classes)
    assert (
        abs(everyone["active_28d"]["count"] - len(active)) <= len(licensed) - everyone["licensed"]
    )
    shown = 0
    for function in {f for _, f in licensed}:
        measured = groups.get(function, {}).get("measured")
        if measured is None:
            continue
        mine = [(n, f) for fn, n, f in classes if fn == function]
        if measured["status"] == "shown":
            shown += 1
            assert measured["licensed"] == sum(n for n, _ in mine) >= 5
            assert measured["active_28d"]["count"] == sum(sum(f[2:]) for _, f in mine)
        else:
            assert not mine and "counted only with other functions" in measured["reason"]
    assert shown >= 1
    page = client.get("/shadow")
    assert "Measured: licensed people active" in page.text
