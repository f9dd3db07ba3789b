"""SCIM Groups (teams) through real HTTP: Entra's and Okta's membership patches move people
between teams by the import's rules, earlier answers stay with the team they were given
with, and a bad request changes nothing."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gaplens.audit.models import AuditEvent
from gaplens.db.engine import session_scope
from gaplens.directory.models import Person, Team
from gaplens.surveys.collection import create_invitations
from gaplens.surveys.models import SurveyResponse
from gaplens.surveys.service import find_survey
from tests.web.test_scim import PATCH, assert_scim_error, auth, entra_user, snapshot, token

GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
__all__ = ["token"]  # the fixture, used by name


def new_user(client: TestClient, token: str, email: str) -> str:
    created = client.post("/scim/v2/Users", json=entra_user(email), headers=auth(token))
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def team_of(url: str, pid: str) -> str:
    with session_scope(url) as session:
        person = session.get(Person, pid)
        assert person is not None
        return str(session.scalar(select(Team.key).where(Team.id == person.team_id)))


def members(client: TestClient, token: str, key: str) -> list[str]:
    group = client.get(f"/scim/v2/Groups/{key}", headers=auth(token)).json()
    return [m["value"] for m in group.get("members", [])]


def patch(ops: list[dict[str, Any]]) -> dict[str, Any]:
    return {"schemas": [PATCH], "Operations": ops}


def test_okta_creates_a_group_and_entra_moves_members(
    client: TestClient, web_db: str, token: str
) -> None:
    ada = new_user(client, token, "ada@example.org")
    assert team_of(web_db, ada) == "unassigned"  # waits until a group places her
    created = client.post(
        "/scim/v2/Groups",
        json={"schemas": [GROUP], "displayName": "Platform Guild", "members": [{"value": ada}]},
        headers=auth(token),
    )
    assert created.status_code == 201, created.text
    assert created.json()["id"] == "platform-guild"
    assert team_of(web_db, ada) == "platform-guild"

    found = client.get(
        "/scim/v2/Groups",
        params={"filter": 'displayName eq "Platform Guild"', "excludedAttributes": "members"},
        headers=auth(token),
    ).json()
    assert found["totalResults"] == 1 and "members" not in found["Resources"][0]

    # Entra removes with the value beside the path; the person waits in no team.
    removed = client.patch(
        "/scim/v2/Groups/platform-guild",
        json=patch([{"op": "Remove", "path": "members", "value": [{"value": ada}]}]),
        headers=auth(token),
    )
    assert removed.status_code == 200, removed.text
    assert team_of(web_db, ada) == "unassigned"
    # Okta adds, and renames with a path-less replace.
    added = client.patch(
        "/scim/v2/Groups/platform-guild",
        json=patch(
            [
                {"op": "add", "path": "members", "value": [{"value": ada}]},
                {"op": "replace", "value": {"displayName": "Platform"}},
            ]
        ),
        headers=auth(token),
    )
    assert added.status_code == 200, added.text
    assert added.json()["displayName"] == "Platform"
    assert members(client, token, "platform-guild") == [ada]
    with session_scope(web_db) as session:
        actions = [
            e.action
            for e in session.scalars(
                select(AuditEvent)
                .where(AuditEvent.actor == "scim:entra-id")
                .order_by(AuditEvent.id)
            )
        ]
    assert actions == [
        "scim_create_user",
        "scim_create_group",
        "scim_replace_group",
        "scim_replace_group",
    ]


def test_a_move_leaves_earlier_answers_with_the_team_they_were_given_with(
    client: TestClient, web_db: str, token: str
) -> None:
    ada = new_user(client, token, "ada@example.org")
    moved = client.patch(
        "/scim/v2/Groups/eng-payments",
        json=patch([{"op": "add", "path": "members", "value": [{"value": ada}]}]),
        headers=auth(token),
    )
    assert moved.status_code == 200, moved.text
    with session_scope(web_db) as session:
        survey = find_survey(session, None)
        person = session.get(Person, ada)
        assert person is not None
        ((_, link),) = create_invitations(session, survey, [person])
        payments = session.scalar(select(Team.id).where(Team.key == "eng-payments"))
    answer = {
        "link": link,
        "role_level": "individual_contributor",
        "team": "eng-payments",
        "ai_tenure": "6+",
        "answers": {"productivity_impact": "no difference"},
    }
    assert client.post("/api/v1/responses", json=answer).status_code == 201

    def answers_in_payments() -> int:
        with session_scope(web_db) as session:
            return (
                session.scalar(
                    select(func.count())
                    .select_from(SurveyResponse)
                    .where(SurveyResponse.team_id == payments)
                )
                or 0
            )

    before = answers_in_payments()
    other = next(
        key
        for key in (
            t["id"] for t in client.get("/scim/v2/Groups", headers=auth(token)).json()["Resources"]
        )
        if key not in ("eng-payments", "unassigned")
    )
    moved = client.patch(
        f"/scim/v2/Groups/{other}",
        json=patch([{"op": "add", "path": "members", "value": [{"value": ada}]}]),
        headers=auth(token),
    )
    assert moved.status_code == 200, moved.text
    assert team_of(web_db, ada) == other
    assert ada not in members(client, token, "eng-payments")
    assert answers_in_payments() == before  # the answer stays where it was given


def test_bad_group_requests_are_scim_errors_and_change_nothing(
    client: TestClient, web_db: str, token: str
) -> None:
    ada = new_user(client, token, "ada@example.org")
    before = snapshot(web_db)
    add_ada = patch([{"op": "add", "path": "members", "value": [{"value": ada}]}])
    cases = [
        (client.patch("/scim/v2/Groups/atlantis", json=add_ada, headers=auth(token)), 404, None),
        (client.get("/scim/v2/Groups/atlantis", headers=auth(token)), 404, None),
        (
            client.patch(
                "/scim/v2/Groups/eng-payments",
                json=patch([{"op": "add", "path": "members", "value": [{"value": "nobody"}]}]),
                headers=auth(token),
            ),
            400,
            "invalidValue",
        ),
        (
            client.post(
                "/scim/v2/Groups",
                json={"schemas": [GROUP], "displayName": "New", "members": [{"value": "nobody"}]},
                headers=auth(token),
            ),
            400,
            "invalidValue",
        ),
        (
            client.patch("/scim/v2/Groups/eng-payments", content=b"[", headers=auth(token)),
            400,
            "invalidSyntax",
        ),
        (
            client.patch(
                "/scim/v2/Groups/eng-payments",
                json=patch([{"op": "explode", "path": "members"}]),
                headers=auth(token),
            ),
            400,
            "invalidValue",
        ),
    ]
    for response, status, scim_type in cases:
        assert_scim_error(response, status, scim_type)
    assert snapshot(web_db) == before
    assert team_of(web_db, ada) == "unassigned"


def test_a_group_name_is_unique(client: TestClient, web_db: str, token: str) -> None:
    with session_scope(web_db) as session:
        name = session.scalar(select(Team.name).where(Team.key == "eng-payments"))
    before = snapshot(web_db)
    response = client.post(
        "/scim/v2/Groups", json={"schemas": [GROUP], "displayName": name}, headers=auth(token)
    )
    assert_scim_error(response, 409, "uniqueness")
    assert snapshot(web_db) == before
