"""The action plan over real HTTP: leaders adopt the latest report's next steps (idempotent),
change owner, due date and status through forms with the session's CSRF token and through
the JSON API; analysts read; bad input is a 422 naming the field; the next period's report
shows what happened to the steps."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gaplens.actions.models import Action, ActionChange
from gaplens.db.engine import session_scope
from gaplens.privacy import PrivacyPolicy
from gaplens.report.plan import report_steps
from tests.web.conftest import sign_in


def rows(url: str, table: type) -> int:
    with session_scope(url) as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def first_rule(url: str) -> str:
    with session_scope(url) as session:
        _, steps = report_steps(session, PrivacyPolicy(), None, None)
    assert steps, "the web world's report triggers no next step"
    return steps[0].rule


def test_leader_adopts_through_the_api_idempotently_and_changes_status(
    client: TestClient, web_db: str
):
    rule = first_rule(web_db)
    sign_in(client, "leader")
    body = {"rule": rule, "owner": "analyst@northwind.example"}
    first = client.post("/api/v1/actions/adopt", json=body)
    assert first.status_code == 201, first.text
    created = first.json()
    assert created["created"] and created["action"]["rule"] == rule
    assert created["action"]["owner"] == "Analyst" and created["action"]["status"] == "open"
    again = client.post("/api/v1/actions/adopt", json=body)
    assert again.status_code == 200 and again.json()["id"] == created["id"]
    assert not again.json()["created"]
    assert rows(web_db, Action) == 1

    path = f"/api/v1/actions/{created['id']}"
    refused = client.patch(path, json={"status": "dropped"})
    assert refused.status_code == 422
    assert refused.json()["problems"][0]["field"] == "reason"
    dropped = client.patch(path, json={"status": "dropped", "reason": "Covered by the Q3 plan"})
    assert dropped.status_code == 200, dropped.text
    assert dropped.json()["status"] == "dropped"
    assert [h["status_to"] for h in dropped.json()["history"]] == ["open", "dropped"]
    listing = client.get("/api/v1/actions", params={"status": "dropped"})
    assert [a["id"] for a in listing.json()] == [created["id"]]
    assert client.get("/api/v1/actions", params={"status": "open"}).json() == []


def test_api_bad_input_names_the_field(client: TestClient, web_db: str):
    sign_in(client, "leader")
    cases = [
        ({"rule": "no-such-rule"}, "rule"),
        ({"rule": "gap-widening", "scope": "galaxy:far"}, "scope"),
        ({"rule": "gap-widening", "period": "2026-Q9"}, "period"),
        ({"rule": "gap-widening", "due_on": "someday"}, "body.due_on"),
        ({"rule": ""}, "body.rule"),
    ]
    for body, field in cases:
        response = client.post("/api/v1/actions/adopt", json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["problems"][0]["field"] == field, (body, response.json())
    own = client.post("/api/v1/actions", json={"title": "Pair new users", "action": "Weekly."})
    assert own.status_code == 201, own.text
    path = f"/api/v1/actions/{own.json()['id']}"
    assert client.patch(path, json={"status": "finished"}).json()["problems"][0]["field"] == (
        "body.status"
    )
    assert (
        client.patch(path, json={"owner": "ghost@x.example"}).json()["problems"][0]["field"]
        == "owner"
    )
    assert client.patch("/api/v1/actions/999", json={"status": "done"}).status_code == 404
    assert client.get(path).json()["title"] == "Pair new users"
    assert client.get("/api/v1/actions", params={"status": "late"}).status_code == 422
    assert rows(web_db, Action) == 1 and rows(web_db, ActionChange) == 1


def test_analysts_read_but_do_not_plan(client: TestClient, web_db: str):
    sign_in(client, "analyst")
    assert client.get("/api/v1/actions").status_code == 200
    page = client.get("/actions")
    assert page.status_code == 200 and "Adopt into the plan" not in page.text
    refused = client.post("/api/v1/actions/adopt", json={"rule": first_rule(web_db)})
    assert refused.status_code == 403
    assert client.post("/api/v1/actions", json={"title": "abc", "action": "abc"}).status_code == 403
    assert rows(web_db, Action) == 0


def test_forms_need_the_csrf_token_and_keep_history(client: TestClient, web_db: str):
    rule = first_rule(web_db)
    sign_in(client, "leader")
    plain = client.get("/actions")  # the plan alone: no report is built on every visit
    assert plain.status_code == 200 and "Adopt into the plan" not in plain.text
    assert 'href="/actions?steps=1"' in plain.text
    page = client.get("/actions", params={"steps": "1"})
    assert page.status_code == 200 and "Adopt into the plan" in page.text
    assert 'href="/actions"' in page.text  # in the navigation
    forged = client.post("/actions/adopt", data={"rule": rule, "csrf_token": "forged"})
    assert forged.status_code == 403 and rows(web_db, Action) == 0
    token = _token(page.text)
    adopted = client.post(
        "/actions/adopt", data={"csrf_token": token, "rule": rule}, follow_redirects=False
    )
    assert adopted.status_code == 303, adopted.text
    assert adopted.headers["location"] == "/actions?steps=1"  # back to the steps it came from
    listing = client.get(adopted.headers["location"])
    assert "Already in the plan." in listing.text
    with session_scope(web_db) as session:
        action_id = session.scalars(select(Action.id)).one()
    due = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    form = {
        "csrf_token": token,
        "status": "dropped",
        "owner": "leader@northwind.example",
        "due_on": due,
        "reason": "",
        "note": "",
    }
    refused = client.post(f"/actions/{action_id}", data=form)
    assert refused.status_code == 422 and "say why the action is dropped" in refused.text
    saved = client.post(
        f"/actions/{action_id}", data=form | {"status": "in_progress"}, follow_redirects=False
    )
    assert saved.status_code == 303, saved.text
    shown = client.get("/actions", params={"status": "in_progress"})
    assert "owner: Leader" in shown.text and due in shown.text
    assert rows(web_db, ActionChange) == 2


def _token(html: str) -> str:
    import re

    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def test_the_next_report_shows_what_happened_to_the_last_steps(client: TestClient, web_db: str):
    """A step adopted for one quarter shows, with owner, status and overdue, in the report of
    the next quarter; a step adopted for the report's own period is named in its brief."""
    from gaplens.actions.schemas import ActionUpdate, Status
    from gaplens.actions.service import adopt, update
    from gaplens.report.plan import proposal
    from gaplens.report.render import render_html
    from gaplens.report.scope import PeriodRequest, parse_period
    from gaplens.report.service import build_report

    rule = first_rule(web_db)
    now = dt.datetime.now(dt.UTC)
    with session_scope(web_db) as session:
        current = proposal(session, PrivacyPolicy(), None, None, rule)
        # the quarter before the report's period: "Q2" to the report's "Q3"
        q3 = parse_period(f"{current.period_end.year}-Q{(current.period_end.month - 1) // 3 + 1}")
        assert q3 is not None
        q2_end = q3.start - dt.timedelta(days=1)
        q2 = PeriodRequest(q2_end.replace(day=1, month=q2_end.month - 2), q2_end, "Q2")
        earlier = current.model_copy(
            update={"period_start": q2.start, "period_end": q2.end, "period_label": "Q2"}
        )
        late, _ = adopt(
            session,
            earlier,
            "leader@northwind.example",
            now,
            owner="analyst@northwind.example",
            due_on=q2.end,
        )
        other = earlier.model_copy(update={"rule": "spread-what-works", "title": "Spread it"})
        dropped, _ = adopt(session, other, "leader@northwind.example", now)
        update(
            session,
            dropped,
            ActionUpdate(status=Status.DROPPED, reason="No longer needed"),
            "leader@northwind.example",
            now,
        )
        this, _ = adopt(
            session, current, "leader@northwind.example", now, owner="leader@northwind.example"
        )
        next_quarter = build_report(session, None, PrivacyPolicy(), period_request=q3)
        default = build_report(session, None, PrivacyPolicy())
    plan = next_quarter.actions
    # newest period first; the default period (the last 12 months) started before Q3 too
    assert plan is not None and [a.id for a in plan.earlier] == [late, dropped, this]
    assert plan.earlier[0].overdue and plan.earlier[0].owner == "Analyst"
    assert plan.earlier[1].status is Status.DROPPED and not plan.earlier[1].overdue
    html = render_html(next_quarter)
    assert "What happened to the last steps" in html and "Overdue" not in html
    assert "overdue" in html and "Why: No longer needed" in html
    assert default.actions is not None and [a.id for a in default.actions.this_period] == [this]
    assert default.brief is not None
    assert default.brief.next_steps[0].endswith("(in the action plan: owner Leader, open)")
    assert "in the action plan: owner Leader, open" in render_html(default)


def test_the_command_line_adopts_lists_and_sets_status(web_db: str):
    from typer.testing import CliRunner

    from gaplens.cli import app

    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, [*args, "--db", web_db])
        return result.exit_code, result.output

    rule = first_rule(web_db)
    by = ("--by", "leader@northwind.example")
    code, output = invoke("actions", "adopt", rule, *by, "--owner", "analyst@northwind.example")
    assert code == 0, output
    assert "#1 [Open]" in output and "Analyst" in output
    code, output = invoke("actions", "adopt", rule, *by)
    assert code == 0 and "(already in the plan)" in output
    code, output = invoke("actions", "set-status", "1", "dropped", *by)
    assert code == 2 and "reason" in output
    code, output = invoke(
        "actions", "set-status", "1", "dropped", *by, "--reason", "Done elsewhere"
    )
    assert code == 0 and "[Dropped]" in output, output
    code, output = invoke("actions", "list", "--status", "dropped", "--format", "json")
    assert code == 0 and '"reason": "Done elsewhere"' in output
    code, output = invoke("actions", "adopt", "no-such-rule", *by)
    assert code == 2 and "rule" in output
    code, output = invoke("actions", "set-status", "1", "open", "--by", "ghost@x.example")
    assert code == 2 and "actor" in output
    assert rows(web_db, Action) == 1 and rows(web_db, ActionChange) == 2
