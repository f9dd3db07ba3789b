"""Closing a survey: its links stop taking answers, and its last answers are released at
close (the close day counts as over), through the admin page, the API and the CLI."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from gaplens.cli import app as cli
from gaplens.db.engine import session_scope
from gaplens.privacy import configured_policy
from gaplens.releases.audit import audit_all
from gaplens.releases.service import build_all
from gaplens.surveys.collection import LinkNotUsable, create_open_link, submit_response
from gaplens.surveys.models import Survey, SurveyResponse
from gaplens.surveys.service import find_survey
from tests.releases.world import NESTED, Person, add_responses, make_teams
from tests.web.conftest import form_token, sign_in

SPEC = {"name": "Closing pulse", "bank_questions": ["productivity_impact"]}
IMPACT = ["high gains", "some gains", "no difference"]


def answer(client: TestClient, link: str, n: int) -> int:
    body = {
        "link": link,
        "role_level": "individual_contributor",
        "answers": {"productivity_impact": IMPACT[n % 3]},
    }
    return client.post("/api/v1/responses", json=body).status_code


def test_an_admin_closes_a_survey_from_its_page_and_the_last_answers_are_released(
    client: TestClient, web_db: str
):
    sign_in(client, "admin")
    assert client.post("/api/v1/admin/surveys", json=SPEC).status_code == 201
    link = client.post(f"/api/v1/admin/surveys/{SPEC['name']}/open-link").json()["path"]
    token = link.removeprefix("/s/")
    assert all(answer(client, token, n) == 201 for n in range(7))  # all of them today
    with session_scope(web_db) as session:  # a scheduled build today: today is not over
        build_all(session, configured_policy())
    perception = client.get("/api/v1/perception", params={"survey": SPEC["name"]}).json()
    assert perception["release"] is None

    answer_token = form_token(client, link)  # a respondent with the form open at close
    page = client.get("/admin/surveys")
    survey_id = re.search(r'action="/admin/surveys/(\d+)/close"', page.text)
    assert survey_id and "Close survey" in page.text
    close = f"/admin/surveys/{survey_id.group(1)}/close"
    assert client.post(close, data={"csrf_token": "forged"}).status_code == 403
    closed = client.post(close, data={"csrf_token": form_token(client, "/admin/surveys")})
    assert closed.status_code == 200
    assert f"{SPEC['name']} is closed" in closed.text and "Release 1 of" in closed.text
    assert f"Closed on {dt.date.today().isoformat()}" in closed.text

    released = client.get("/api/v1/perception", params={"survey": SPEC["name"]}).json()
    assert released["release"] == 1 and released["respondents"] == 7
    with session_scope(web_db) as session:  # what was published at close survives attack
        survey = find_survey(session, SPEC["name"])
        ((_, releases, findings),) = audit_all(session, survey=survey, k=5)
        assert releases == 1 and findings.ok, findings.describe()

    # The link is closed: through the form left open, the cached JSON path and the page.
    form = client.post(
        link,
        data={"form_token": answer_token, "role_level": "manager", "productivity_impact": ""},
    )
    assert form.status_code == 410 and "closed" in form.text
    client.cookies.clear()
    refused = client.post(
        "/api/v1/responses",
        json={"link": token, "role_level": "manager", "answers": {}},
    )
    assert refused.status_code == 410 and "closed" in refused.json()["error"]
    page = client.get(link)
    assert page.status_code == 410 and "closed" in page.text
    # A second close and a new link are refused in words.
    sign_in(client, "admin")
    again = client.post(f"/api/v1/admin/surveys/{SPEC['name']}/close")
    assert again.status_code == 422 and "already closed" in again.json()["error"]
    relink = client.post(f"/api/v1/admin/surveys/{SPEC['name']}/open-link")
    assert relink.status_code == 422 and "closed" in relink.json()["error"]
    with session_scope(web_db) as session:  # nothing arrived after the close
        survey = find_survey(session, SPEC["name"])
        stored = select(func.count()).where(SurveyResponse.survey_id == survey.id)
        assert session.scalar(stored) == 7


def test_the_close_api_is_for_admins_and_names_unknown_surveys(client: TestClient):
    sign_in(client, "leader")
    assert client.post("/api/v1/admin/surveys/Anything/close").status_code == 403
    sign_in(client, "admin")
    missing = client.post("/api/v1/admin/surveys/No such pulse/close")
    assert missing.status_code == 404 and "no survey named" in missing.json()["error"]


def test_gaplens_survey_close_stops_links_and_releases_the_close_day(db_url: str):
    today = dt.date.today()
    with session_scope(db_url) as session:
        make_teams(session, NESTED)
        people = [
            Person("eng-payments", "individual_contributor", None, n % 3, day=today)
            for n in range(6)
        ]
        add_responses(session, "CLI pulse", people)
        survey = find_survey(session, "CLI pulse")
        open_token = create_open_link(session, survey)
    runner = CliRunner()
    result = runner.invoke(cli, ["survey", "close", "CLI pulse", "--db", db_url])
    assert result.exit_code == 0, result.output
    assert "CLI pulse is closed" in result.stdout
    assert "Release 1 of CLI pulse: 6 responses" in result.stdout
    with session_scope(db_url) as session:
        survey = session.scalars(select(Survey).where(Survey.name == "CLI pulse")).one()
        assert survey.closed_on == today
        with pytest.raises(LinkNotUsable, match="closed") as refused:
            submit_response(session, open_token, {"role_level": "manager"})
        assert refused.value.status == 410
    again = runner.invoke(cli, ["survey", "close", "CLI pulse", "--db", db_url])
    assert again.exit_code == 2 and "already closed" in again.output
