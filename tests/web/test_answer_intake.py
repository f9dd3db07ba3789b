"""The batched answer intake: caches never let a replaced link, a used invitation or a new
team be judged on stale data, and a burst of concurrent answers is committed together."""

from __future__ import annotations

import concurrent.futures
import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gaplens.db.engine import session_scope
from gaplens.directory.models import Person, Team
from gaplens.surveys.collection import create_invitations, create_open_link
from gaplens.surveys.intake import AnswerIntake, LinkNotUsable, prepare_response
from gaplens.surveys.models import SurveyAnswer, SurveyResponse
from gaplens.surveys.service import find_survey

DAY = dt.date(2026, 11, 23)
BODY = {
    "role_level": "individual_contributor",
    "team": "eng-payments",
    "ai_tenure": "6+",
    "answers": {"productivity_impact": "no difference", "decision_involvement": "disagree"},
}


def count(url: str, table: type[SurveyResponse] | type[SurveyAnswer]) -> int:
    with session_scope(url) as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def open_link(url: str) -> str:
    with session_scope(url) as session:
        return create_open_link(session, find_survey(session, None))


def test_a_replaced_open_link_is_refused_even_when_cached(client: TestClient, web_db: str):
    old = open_link(web_db)
    assert client.post("/api/v1/responses", json={**BODY, "link": old}).status_code == 201
    assert client.app.state.answer_intake.cached(old) is not None  # type: ignore[attr-defined]
    new = open_link(web_db)  # an admin replaces the link; the old one must stop at once
    before = count(web_db, SurveyResponse)
    refused = client.post("/api/v1/responses", json={**BODY, "link": old})
    assert refused.status_code == 404
    assert count(web_db, SurveyResponse) == before
    assert client.post("/api/v1/responses", json={**BODY, "link": new}).status_code == 201


def test_one_invitation_sent_twice_at_once_stores_one_response(web_db: str):
    with session_scope(web_db) as session:
        survey = find_survey(session, None)
        person = session.scalars(select(Person).order_by(Person.email).limit(1)).one()
        ((_, token),) = create_invitations(session, survey, [person])
    intake = AnswerIntake(web_db)
    link, form = intake.lookup(token)
    values = {k: v for k, v in BODY.items() if isinstance(v, str)} | {
        "productivity_impact": "no difference"
    }
    before = count(web_db, SurveyResponse)
    futures = [
        intake.submit(prepare_response(form, link, values, intake.cached_team_id, DAY))
        for _ in range(2)
    ]
    outcomes = [f.exception(timeout=30) for f in futures]
    intake.close()
    assert sorted(type(o).__name__ for o in outcomes) == ["LinkNotUsable", "NoneType"]
    refused = next(o for o in outcomes if o is not None)
    assert isinstance(refused, LinkNotUsable) and refused.status == 410
    assert count(web_db, SurveyResponse) == before + 1
    with pytest.raises(LinkNotUsable) as used:
        AnswerIntake(web_db).lookup(token)
    assert used.value.status == 410


def test_a_team_imported_after_the_cache_was_filled_is_accepted(client: TestClient, web_db: str):
    link = open_link(web_db)
    assert client.post("/api/v1/responses", json={**BODY, "link": link}).status_code == 201
    with session_scope(web_db) as session:
        org = session.scalars(select(Team.organisation_id)).first()
        session.add(Team(organisation_id=org, key="new-squad", name="New squad"))
    accepted = client.post("/api/v1/responses", json={**BODY, "link": link, "team": "new-squad"})
    assert accepted.status_code == 201, accepted.text
    unknown = client.post("/api/v1/responses", json={**BODY, "link": link, "team": "atlantis"})
    assert unknown.status_code == 422 and unknown.json()["problems"][0]["field"] == "team"


def test_concurrent_answers_are_committed_in_batches_and_all_stored(web_db: str):
    link_token = open_link(web_db)
    intake = AnswerIntake(web_db)
    link, form = intake.lookup(link_token)
    values = {k: v for k, v in BODY.items() if isinstance(v, str)} | {
        "productivity_impact": "no difference",
        "decision_involvement": "agree",
    }
    before = count(web_db, SurveyResponse)
    answers_before = count(web_db, SurveyAnswer)
    n = 200
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        futures = list(
            pool.map(
                lambda _: intake.submit(
                    prepare_response(form, link, values, intake.cached_team_id, DAY)
                ),
                range(n),
            )
        )
    for future in futures:
        assert future.result(timeout=60) is None
    intake.close()
    assert count(web_db, SurveyResponse) == before + n
    assert count(web_db, SurveyAnswer) == answers_before + 2 * n
    assert 1 <= intake.batches < n  # grouped: fewer transactions than answers
