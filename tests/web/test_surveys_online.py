"""Answering online: open link, single-use invitations, validation, and unjoinable participation."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, inspect, select

from gaplens.db.engine import get_engine, session_scope
from gaplens.directory.models import Person
from gaplens.surveys.collection import create_invitations, create_open_link, participation
from gaplens.surveys.models import SurveyLink, SurveyResponse
from gaplens.surveys.service import find_survey

ANSWERS = {
    "role_level": "individual_contributor",
    "team": "eng-payments",
    "ai_tenure": "6+",
    "productivity_impact": "no difference",
    "shadow_tools": ["sanctioned tools", "personal chat assistant"],
    "decision_involvement": "disagree",
    "perceived_speedup": "-10",
    "comment": "It helps with boilerplate, not with design.",
}


def count_responses(url: str) -> int:
    with session_scope(url) as session:
        return session.scalar(select(func.count()).select_from(SurveyResponse)) or 0


@pytest.fixture
def links(web_db: str) -> dict[str, object]:
    with session_scope(web_db) as session:
        survey = find_survey(session, None)
        people = list(session.scalars(select(Person).order_by(Person.email).limit(3)))
        invitations = create_invitations(session, survey, people)
        return {
            "open": create_open_link(session, survey),
            "invitations": [t for _, t in invitations],
        }


def submit_page(client: TestClient, token: str, data: dict[str, object]):
    page = client.get(f"/s/{token}")
    assert page.status_code == 200
    form_token = re.search(r'name="form_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    return client.post(f"/s/{token}", data={"form_token": form_token, **data})


def test_answer_page_says_what_is_stored_and_stores_a_response(
    client: TestClient, web_db: str, links
):
    before = count_responses(web_db)
    page = client.get(f"/s/{links['open']}")
    assert "What is stored, and what is not" in page.text and "Not stored:" in page.text
    for scale_marker in ('type="radio"', 'type="checkbox"', 'type="number"', "<textarea"):
        assert scale_marker in page.text
    response = submit_page(client, links["open"], ANSWERS)
    assert response.status_code == 200 and "your answers are in" in response.text
    assert count_responses(web_db) == before + 1


def test_invitation_is_single_use_and_participation_is_unjoinable(
    client: TestClient, web_db: str, links
):
    token = links["invitations"][0]
    assert submit_page(client, token, ANSWERS).status_code == 200
    reused = client.get(f"/s/{token}")
    assert reused.status_code == 410
    with session_scope(web_db) as session:
        assert participation(session, find_survey(session, None)) == (3, 1)
    link_columns = {c["name"] for c in inspect(get_engine(web_db)).get_columns("survey_link")}
    response_columns = {
        c["name"] for c in inspect(get_engine(web_db)).get_columns("survey_response")
    }
    assert link_columns == {"token_hash", "survey_id", "kind", "person_id"}  # no used flag
    assert not (link_columns & response_columns) - {"survey_id"}, "only the survey is shared"
    with session_scope(web_db) as session:
        stored = [link.token_hash for link in session.scalars(select(SurveyLink))]
    assert token not in stored, "tokens are stored hashed"


def test_json_api_acknowledges_stored_answers(client: TestClient, web_db: str, links):
    before = count_responses(web_db)
    body = {
        "link": links["open"],
        **{k: v for k, v in ANSWERS.items() if k in ("role_level", "team", "ai_tenure")},
        "answers": {
            k: v for k, v in ANSWERS.items() if k not in ("role_level", "team", "ai_tenure")
        },
    }
    response = client.post("/api/v1/responses", json=body)
    assert response.status_code == 201, response.text
    assert count_responses(web_db) == before + 1
    invitation = {**body, "link": links["invitations"][1]}
    assert client.post("/api/v1/responses", json=invitation).status_code == 201
    assert client.post("/api/v1/responses", json=invitation).status_code == 410
    assert count_responses(web_db) == before + 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"productivity_impact": "enormous"}, "productivity_impact"),
        ({"role_level": "overlord"}, "role_level"),
        ({"peers_effective_use": "agree"}, "peers_effective_use"),
        ({"perceived_speedup": "fast"}, "perceived_speedup"),
        ({"team": "atlantis"}, "team"),
        ({"favourite_colour": "blue"}, "favourite_colour"),
    ],
)
def test_bad_answers_name_the_field_and_store_nothing(
    client: TestClient, web_db: str, links, change, field
):
    before = count_responses(web_db)
    body = {
        "link": links["invitations"][2],
        "role_level": "individual_contributor",
        "answers": {"productivity_impact": "some gains"},
    }
    for key, value in change.items():
        if key in ("role_level", "team"):
            body[key] = value
        else:
            body["answers"][key] = value
    response = client.post("/api/v1/responses", json=body)
    assert response.status_code == 422
    assert any(p["field"] == field for p in response.json()["problems"]), response.json()
    assert count_responses(web_db) == before
    # the invitation was not used up by the failed attempt
    body = {"link": links["invitations"][2], "role_level": "individual_contributor", "answers": {}}
    assert client.post("/api/v1/responses", json=body).status_code == 201


def test_unknown_and_forged_links(client: TestClient):
    assert client.get("/s/not-a-real-token").status_code == 404
    response = client.post(
        "/api/v1/responses", json={"link": "forged-token-123", "role_level": "manager"}
    )
    assert response.status_code == 404


def test_form_page_shows_problems_without_losing_the_link(client: TestClient, links):
    response = submit_page(client, links["open"], {**ANSWERS, "perceived_speedup": "9000"})
    assert response.status_code == 422
    assert "perceived_speedup" in response.text and "outside" in response.text
