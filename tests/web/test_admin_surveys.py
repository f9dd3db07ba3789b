"""Admins build surveys from the bank plus custom questions; custom answers flow to figures."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient

from gaplens.db.engine import session_scope
from gaplens.privacy import PrivacyPolicy
from gaplens.releases.service import build_all
from tests.web.conftest import form_token, sign_in

SPEC = {
    "name": "Tooling pulse",
    "series": "Tooling",
    "bank_questions": ["productivity_impact", "shadow_tools"],
    "custom_questions": [
        {
            "text": "Which assistant do you use most?",
            "scale": "choice",
            "options": ["Copilot", "ChatGPT", "None"],
        },
        {
            "text": "How many prompts did you write yesterday?",
            "scale": "number",
            "bounds": [0, 500],
        },
    ],
}


def test_admin_builds_a_survey_and_answers_flow_to_figures(client: TestClient, web_db: str):
    sign_in(client, "admin")
    created = client.post("/api/v1/admin/surveys", json=SPEC)
    assert created.status_code == 201, created.text
    keys = created.json()["questions"]
    assert keys[:2] == ["productivity_impact", "shadow_tools"]
    custom_choice, custom_number = keys[2], keys[3]
    link = (
        client.post("/api/v1/admin/surveys/Tooling pulse/open-link")
        .json()["path"]
        .removeprefix("/s/")
    )
    client.cookies.clear()
    for n in range(6):
        body = {
            "link": link,
            "role_level": "individual_contributor",
            "answers": {
                "productivity_impact": "some gains",
                custom_choice: ["Copilot", "ChatGPT"][n % 2],
                custom_number: str(n),
            },
        }
        assert client.post("/api/v1/responses", json=body).status_code == 201
    bad = {"link": link, "role_level": "manager", "answers": {custom_choice: "Gemini"}}
    response = client.post("/api/v1/responses", json=bad)
    assert response.status_code == 422 and "Copilot; ChatGPT; None" in response.text
    sign_in(client, "leader")
    today = client.get("/api/v1/perception", params={"survey": "Tooling pulse"}).json()
    assert today["release"] is None and today["respondents"] is None  # today is not over
    with session_scope(web_db) as session:  # the nightly build, the day after
        build_all(session, PrivacyPolicy(), today=dt.date.today() + dt.timedelta(days=1))
    released = client.get("/api/v1/perception", params={"survey": "Tooling pulse"}).json()
    figures = released["questions"]
    everyone = figures[custom_choice]["groups"]["everyone"]
    assert everyone["n"] == 6 and everyone["shares"]["Copilot"]["count"] == 3
    # all six chose "some gains": publishing it would tell each answer
    assert figures["productivity_impact"]["groups"]["everyone"]["shares"] is None
    # numbers only as bins: the median's interval holds the exact 2.5, bins 0-1-2-5-10
    median = figures[custom_number]["groups"]["everyone"]["number"]["median"]
    assert median["low"] <= 2.5 <= median["high"] and 2 <= median["estimate"] <= 5
    assert "job_security_clarity" not in figures


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"bank_questions": ["not_a_question"]}, "not in the question bank"),
        (
            {
                "custom_questions": [
                    {"text": "Pick one please", "scale": "choice", "options": ["only"]}
                ]
            },
            "at least two options",
        ),
        (
            {"custom_questions": [{"text": "Rate it", "scale": "agree5", "options": ["a", "b"]}]},
            "takes no options",
        ),
        ({"bank_questions": [], "custom_questions": []}, "at least one question"),
    ],
)
def test_bad_survey_definitions_are_refused(client: TestClient, change, message):
    sign_in(client, "admin")
    response = client.post("/api/v1/admin/surveys", json={**SPEC, **change})
    assert response.status_code == 422
    assert message in response.text
    assert client.post("/api/v1/admin/surveys", json={**SPEC, "name": "Again"}).status_code == 201


def test_only_admins_build_surveys(client: TestClient):
    sign_in(client, "leader")
    assert client.post("/api/v1/admin/surveys", json=SPEC).status_code == 403
    assert client.get("/admin/surveys").status_code == 403


def test_survey_builder_page(client: TestClient):
    sign_in(client, "admin")
    page = client.get("/admin/surveys")
    assert page.status_code == 200 and "New survey" in page.text
    token = form_token(client, "/admin/surveys")
    response = client.post(
        "/admin/surveys",
        data={
            "csrf_token": token,
            "name": "Page-built pulse",
            "bank_questions": ["productivity_impact"],
            "custom_1_text": "What would help most?",
            "custom_1_scale": "text",
        },
    )
    assert response.status_code == 200 and "/s/" in response.text
    assert client.post("/admin/surveys", data={"name": "No token"}).status_code == 403
