"""The task preference map over HTTP through the ASGI app: the anonymous answer page and API,
the staff map and personas, the admin catalogue and rounds, bad input everywhere."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gaplens.audit.models import AuditEvent
from gaplens.db.engine import session_scope
from gaplens.demo.tasks import ROUND_NAME
from gaplens.directory.models import Team
from gaplens.releases.tasks.service import build_task_release
from gaplens.tasks.models import CatalogueTask, TaskAnswer, TaskResponse
from gaplens.tasks.service import find_round
from tests.web.conftest import form_token, sign_in

SUPPORT_TASKS = (
    "ticket-triage",
    "customer-calls",
    "email-replies",
    "refund-decisions",
    "macro-upkeep",
    "handover-notes",
)


def responses(url: str) -> int:
    with session_scope(url) as session:
        return int(session.scalar(select(func.count()).select_from(TaskResponse)) or 0)


def support_team(url: str) -> str:
    with session_scope(url) as session:
        return str(
            session.scalars(
                select(Team.key)
                .where(Team.function == "Support", Team.parent_id.is_not(None))
                .order_by(Team.key)
            ).first()
        )


def good_form(team: str = "") -> dict[str, str]:
    values = {"function": "Support", "role_level": "individual_contributor", "team": team}
    for key in SUPPORT_TASKS:
        values |= {f"stance.{key}": "neither", f"hours.{key}": "1.5", f"judgement.{key}": "3"}
    values |= {"stance.ticket-triage": "hate", "hours.ticket-triage": "6"}
    return values


def post_answers(client: TestClient, path: str, values: dict[str, str]):
    token = form_token(client, f"{path}?function=Support")
    return client.post(path, data={"form_token": token, **values})


def test_answer_page_two_steps_and_what_is_stored(client: TestClient, web_db: str, task_link: str):
    first = client.get(task_link)
    assert first.status_code == 200
    for words in (
        "What is stored, and what is not",
        "IP address",
        "Which function do you work in?",
    ):
        assert words in first.text
    assert 'value="Support"' in first.text and 'name="stance.' not in first.text
    page = client.get(task_link, params={"function": "Support"})
    assert page.status_code == 200
    assert "Ticket triage" in page.text and 'name="stance.ticket-triage"' in page.text
    assert "<script" not in page.text
    before = responses(web_db)
    team = support_team(web_db)
    done = post_answers(client, task_link, good_form(team) | {"free.1.label": "Chasing couriers",
                                                          "free.1.stance": "hate",
                                                          "free.1.hours": "2",
                                                          "free.1.judgement": "1"})  # fmt: skip
    assert done.status_code == 200 and "your answers are in" in done.text
    assert responses(web_db) == before + 1
    with session_scope(web_db) as session:
        newest = session.scalars(
            select(TaskResponse).order_by(TaskResponse.answered_on.desc())
        ).first()
        assert newest is not None and newest.function == "Support"
        answers = session.scalars(
            select(TaskAnswer).where(TaskAnswer.response_id == newest.id)
        ).all()
        assert len(answers) == 7 and answers[-1].free_label == "Chasing couriers"


def test_bad_form_input_names_the_task_and_keeps_what_was_typed(
    client: TestClient, web_db: str, task_link: str
):
    before = responses(web_db)
    values = good_form()
    del values["stance.customer-calls"]
    values["hours.email-replies"] = "99"
    values["free.1.label"] = "Chasing couriers"  # typed, rest of the row left empty
    response = post_answers(client, task_link, values)
    assert response.status_code == 422
    text = response.text
    assert "Customer calls: an empty value is not one of keep, hate, neither" in text
    assert "Customer email replies: &#39;99&#39; is outside 0 to 40 hours per week" in text
    assert 'value="Chasing couriers"' in text and 'value="6"' in text  # kept as typed
    assert re.search(r'name="stance.ticket-triage" value="hate"[^>]*checked', text)
    assert 'aria-invalid="true"' in text
    assert responses(web_db) == before


def test_form_needs_its_token_and_a_usable_link(client: TestClient, web_db: str, task_link: str):
    assert client.post(task_link, data=good_form()).status_code == 403
    assert client.get("/t/not-a-real-link").status_code == 404
    assert client.get("/t/" + "x" * 300).status_code == 404
    assert client.get(task_link, params={"function": "Legal"}).status_code == 200  # back to step 1


def test_api_answers_and_form(client: TestClient, web_db: str, task_link: str):
    token = task_link.removeprefix("/t/")
    form = client.get(f"/api/v1/tasks/form/{token}")
    assert form.status_code == 200
    assert [t["key"] for t in form.json()["functions"]["Support"]] == list(SUPPORT_TASKS)
    assert client.get("/api/v1/tasks/form/nope-nope-nope").status_code == 404
    body = {
        "link": token,
        "role_level": "manager",
        "function": "Support",
        "tasks": [
            {"task": key, "stance": "keep", "hours_lost": 0, "judgement": 4}
            for key in SUPPORT_TASKS
        ],
        "free_tasks": [
            {"label": "Chasing couriers", "stance": "hate", "hours_lost": 2, "judgement": 1}
        ],
    }
    before = responses(web_db)
    assert client.post("/api/v1/tasks/answers", json=body).status_code == 201
    missing = client.post("/api/v1/tasks/answers", json={**body, "tasks": body["tasks"][1:]})
    assert missing.status_code == 422
    assert missing.json()["problems"][0]["field"] == "function"
    assert "missing: 'ticket-triage'" in missing.json()["problems"][0]["message"]
    wrong = [{**body["tasks"][0], "task": "boilerplate"}, *body["tasks"][1:]]
    named = client.post("/api/v1/tasks/answers", json={**body, "tasks": wrong})
    assert {p["field"] for p in named.json()["problems"]} == {"tasks.0.task", "function"}
    too_many = client.post(
        "/api/v1/tasks/answers", json={**body, "tasks": [{**body["tasks"][0], "hours_lost": 50}]}
    )
    assert too_many.status_code == 422 and too_many.json()["problems"][0]["field"].endswith(
        "hours_lost"
    )
    assert client.post("/api/v1/tasks/answers", json={**body, "link": "x" * 20}).status_code == 404
    cross = client.post(
        "/api/v1/tasks/answers", json=body, headers={"origin": "https://evil.example"}
    )
    assert cross.status_code == 403
    assert client.post("/api/v1/tasks/answers", json={**body, "extra": 1}).status_code == 422
    assert responses(web_db) == before + 1


def test_staff_map_and_personas_pages_and_api(client: TestClient, web_db: str, task_link: str):
    assert client.get("/tasks/map", follow_redirects=False).status_code == 303
    assert client.get("/api/v1/tasks/map").status_code == 401
    sign_in(client, "leader")
    page = client.get("/tasks/map")
    assert page.status_code == 200
    assert "Boilerplate code" in page.text and "<svg" in page.text and "Ticket triage" in page.text
    data = client.get("/api/v1/tasks/map").json()
    tops = {f["function"]: f["candidates"][0]["key"] for f in data["functions"] if f["candidates"]}
    assert tops["Engineering"] == "boilerplate"
    personas = client.get("/tasks/personas", params={"function": "Engineering"})
    assert personas.status_code == 200 and "Playbook" in personas.text
    api = client.get("/api/v1/tasks/personas", params={"function": "Engineering"}).json()
    assert all(p["n"] >= 5 for f in api["functions"] for p in f["personas"])
    both = client.get("/api/v1/tasks/map", params={"function": "Support", "team": "support"})
    assert both.status_code == 422
    assert client.get("/api/v1/tasks/map", params={"round": "nope"}).status_code == 422
    assert client.get("/api/v1/tasks/catalogue").json()["functions"]["Support"][0]["key"] == (
        "ticket-triage"
    )
    with session_scope(web_db) as session:
        actions = set(session.scalars(select(AuditEvent.action)))
    assert {"view_task_map", "view_task_personas"} <= actions


def test_children_then_parent_and_parent_then_children_give_the_same_figures_over_http(
    client: TestClient, web_db: str, task_link: str
):
    """The review's finding: asking for the children first and the parent last got through
    where parent-first was refused. Figures now come from the round's release, so both
    orders, and two different viewers, get the same JSON; the difference between a function
    and its team view is a whole released group of at least 5, or nothing."""
    sign_in(client, "admin")
    created = client.post("/api/v1/admin/tasks/rounds", json={"name": "Web round"})
    assert created.status_code == 201 and created.json()["tasks"]["Support"] == 6
    assert client.post("/api/v1/admin/tasks/rounds", json={"name": "Web round"}).status_code == 422
    path = client.post("/api/v1/admin/tasks/rounds/Web round/open-link").json()["path"]
    team = support_team(web_db)
    with session_scope(web_db) as session:
        parent = session.scalar(select(Team.parent_id).where(Team.key == team))
        head = session.scalar(select(Team.key).where(Team.id == parent))
    for n in range(14):
        values = good_form(team if n < 12 else "")
        values |= {"hours.ticket-triage": str(3 + n % 4), "judgement.ticket-triage": str(1 + n % 2)}
        values |= {"stance.email-replies": ("hate", "keep", "neither")[n % 3]}
        assert post_answers(client, path, values).status_code == 200
    asked = {"round": "Web round"}
    # Answered today: nothing is released until the day is over.
    assert client.get("/api/v1/tasks/map", params=asked).json()["n"] is None
    with session_scope(web_db) as session:
        round_ = find_round(session, "Web round")
        tomorrow = dt.date.today() + dt.timedelta(days=1)
        assert build_task_release(session, round_, today=tomorrow).release is not None
    views = [{**asked, "team": team}, {**asked, "team": head}, {**asked, "function": "Support"}]
    children_first = [client.get("/api/v1/tasks/map", params=v).json() for v in views]
    parent_first = [client.get("/api/v1/tasks/map", params=v).json() for v in views[::-1]]
    assert children_first == parent_first[::-1]
    assert all(v["n"] is not None for v in children_first)
    function_n, team_n = children_first[2]["n"], children_first[0]["n"]
    assert function_n - team_n == 0 or function_n - team_n >= 5
    page = client.get("/tasks/map", params={"round": "Web round", "team": head})
    assert page.status_code == 200
    client.post("/logout")
    sign_in(client, "leader")
    assert [client.get("/api/v1/tasks/map", params=v).json() for v in views] == children_first


def test_admin_catalogue_page_and_api(client: TestClient, web_db: str, task_link: str):
    sign_in(client, "leader")
    assert client.get("/admin/tasks").status_code == 403
    assert client.post("/api/v1/admin/tasks/catalogue", json={"tasks": []}).status_code == 403
    client.post("/logout", data={"csrf_token": "x"})
    client.cookies.clear()
    sign_in(client, "admin")
    page = client.get("/admin/tasks")
    assert page.status_code == 200 and ROUND_NAME in page.text  # the demo's round
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    token = csrf.group(1)
    good = {"csrf_token": token, "function": "Legal", "key": "contract-review",
            "label": "Contract review", "needs_judgement": "5", "use_cases": "", "metrics": ""}  # fmt: skip
    saved = client.post("/admin/tasks/task", data=good)
    assert saved.status_code == 200 and "Saved" in saved.text
    bad = client.post("/admin/tasks/task", data={**good, "key": "Bad key", "metrics": "velocity"})
    assert bad.status_code == 422 and 'value="Bad key"' in bad.text and "pattern" in bad.text
    unknown = client.post("/admin/tasks/task", data={**good, "metrics": "velocity"})
    assert unknown.status_code == 422 and "unknown metric" in unknown.text
    assert client.post("/admin/tasks/task", data={**good, "csrf_token": "x"}).status_code == 403
    removed = client.post(
        "/admin/tasks/task/remove",
        data={"csrf_token": token, "function": "Legal", "key": "contract-review"},
    )
    assert removed.status_code == 200
    csv_ok = b"function,key,label\nLegal,contracts,Contract review\nLegal,nda,NDA checks\n"
    upload = client.post(
        "/admin/tasks/catalogue",
        data={"csrf_token": token},
        files={"file": ("legal.csv", csv_ok, "text/csv")},
    )
    assert upload.status_code == 200 and "catalogue of 1 function(s) replaced" in upload.text
    csv_bad = b"function,key,label,metrics\nLegal,contracts,Contract review,velocity\n"
    refused = client.post(
        "/admin/tasks/catalogue",
        data={"csrf_token": token},
        files={"file": ("bad.csv", csv_bad, "text/csv")},
    )
    assert refused.status_code == 422 and "bad.csv, row 2, column &#39;metrics&#39;" in refused.text
    api = client.post(
        "/api/v1/admin/tasks/catalogue",
        json={
            "tasks": [
                {"function": "Legal", "key": "nda", "label": "NDA checks", "metrics": ["nope"]}
            ]
        },
    )
    assert api.status_code == 422 and api.json()["problems"][0]["field"] == "tasks.0.metrics"
    replaced = client.post(
        "/api/v1/admin/tasks/catalogue",
        json={"tasks": [{"function": "Legal", "key": "nda", "label": "NDA checks"}]},
    )
    assert replaced.status_code == 200 and [
        t["key"] for t in replaced.json()["functions"]["Legal"]
    ] == ["nda"]
    round_page = client.post("/admin/tasks/rounds", data={"csrf_token": token, "name": "Q1 map"})
    assert round_page.status_code == 200 and "/t/" in round_page.text
    again = client.post("/admin/tasks/rounds", data={"csrf_token": token, "name": "Q1 map"})
    assert again.status_code == 422 and "already exists" in again.text
    assert client.get("/api/v1/admin/tasks/rounds").json()[0]["name"] == "Q1 map"
    with session_scope(web_db) as session:
        legal = session.scalars(
            select(CatalogueTask.key).where(CatalogueTask.function == "Legal")
        ).all()
        assert legal == ["nda"]
        actions = set(session.scalars(select(AuditEvent.action)))
    assert {"save_task", "remove_task", "import_task_catalogue", "create_task_round"} <= actions


def test_admin_file_uploads_over_the_api(
    client: TestClient, web_db: str, task_link: str, tmp_path: Path
):
    sign_in(client, "admin")
    team = support_team(web_db)
    lines = [
        "response_id,answered_on,role_level,team,function,task_key,stance,hours_lost,judgement"
    ]
    for key in SUPPORT_TASKS:
        lines.append(f"x1,2026-10-06,manager,{team},Support,{key},hate,1,2")
    body = ("\n".join(lines) + "\n").encode()
    before = responses(web_db)
    done = client.post(
        "/api/v1/admin/imports/tasks/answers", params={"round": "Task map 2026-Q4"}, content=body
    )
    assert done.status_code == 201 and done.json()["rows_written"] == 1
    assert responses(web_db) == before + 1
    broken = body.replace(b"hate,1,2\n", b"hate,1,9\n", 1)
    refused = client.post(
        "/api/v1/admin/imports/tasks/answers",
        params={"round": "Task map 2026-Q4", "filename": "t.csv"},
        content=broken,
    )
    assert refused.status_code == 422
    assert refused.json()["problems"] == [
        {"message": "'9' is not a judgement from 1 to 5", "field": "judgement", "row": 2}
    ]
    assert responses(web_db) == before + 1
    catalogue = b"function,key,label\nLegal,nda,NDA checks\n"
    ok = client.post("/api/v1/admin/imports/tasks/catalogue", content=catalogue)
    assert ok.status_code == 201 and ok.json()["rows_written"] == 1
    assert (
        client.post("/api/v1/admin/imports/tasks/catalogue", content=b"nope\n1\n").status_code
        == 422
    )
