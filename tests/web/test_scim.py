"""SCIM 2.0 Users through real HTTP on the ASGI app: Entra ID's and Okta's request shapes,
the bearer token, the audit log, and bad input that changes nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gaplens.audit.models import AuditEvent
from gaplens.db.engine import session_scope
from gaplens.directory.models import Identity, Person, Team
from gaplens.directory.queries import people_to_invite
from gaplens.scim.models import ScimToken
from gaplens.scim.service import create_token, revoke_token
from tests.web.conftest import form_token, sign_in

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


@pytest.fixture
def token(web_db: str) -> str:
    with session_scope(web_db) as session:
        return create_token(session, "entra-id")


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"}


def entra_user(email: str, **extra: Any) -> dict[str, Any]:
    """The body Entra ID's provisioning service POSTs (default attribute mappings)."""
    body: dict[str, Any] = {
        "schemas": [USER, ENTERPRISE],
        "externalId": email.split("@")[0],
        "userName": email,
        "active": True,
        "displayName": "Ada Lovelace",
        "emails": [{"primary": True, "type": "work", "value": email}],
        "name": {"formatted": "Ada Lovelace", "familyName": "Lovelace", "givenName": "Ada"},
        ENTERPRISE: {"department": "Engineering"},
    }
    body.update(extra)
    return body


def snapshot(url: str) -> tuple[int, int, int, int]:
    with session_scope(url) as session:
        return (
            session.scalar(select(func.count()).select_from(Person)) or 0,
            session.scalar(select(func.count()).select_from(Team)) or 0,
            session.scalar(select(func.count()).select_from(Identity)) or 0,
            session.scalar(select(func.count()).select_from(AuditEvent)) or 0,
        )


def assert_scim_error(response: Any, status: int, scim_type: str | None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/scim+json")
    body = response.json()
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(status)
    assert body.get("scimType") == scim_type
    assert body["detail"]


def test_create_read_list_and_deactivate_as_entra_does(
    client: TestClient, web_db: str, token: str
) -> None:
    created = client.post("/scim/v2/Users", json=entra_user("ada@example.org"), headers=auth(token))
    assert created.status_code == 201, created.text
    assert created.headers["content-type"].startswith("application/scim+json")
    user = created.json()
    assert user["userName"] == "ada@example.org"
    assert user["active"] is True
    assert user["externalId"] == "ada"
    assert user[ENTERPRISE]["department"] == "Engineering"
    assert created.headers["location"].endswith(f"/scim/v2/Users/{user['id']}")

    fetched = client.get(f"/scim/v2/Users/{user['id']}", headers=auth(token))
    assert fetched.status_code == 200
    assert fetched.json()["displayName"] == "Ada Lovelace"

    found = client.get(
        "/scim/v2/Users", params={"filter": 'userName eq "ADA@example.org"'}, headers=auth(token)
    ).json()
    assert found["totalResults"] == 1
    assert found["Resources"][0]["id"] == user["id"]
    none = client.get(
        "/scim/v2/Users", params={"filter": 'userName eq "nobody@example.org"'}, headers=auth(token)
    ).json()
    assert none["totalResults"] == 0 and none.get("Resources", []) == []

    # Entra's deactivation: a replace with no path and the value as a string.
    patched = client.patch(
        f"/scim/v2/Users/{user['id']}",
        json={
            "schemas": [PATCH],
            "Operations": [{"op": "Replace", "path": "active", "value": "False"}],
        },
        headers=auth(token),
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["active"] is False
    with session_scope(web_db) as session:
        person = session.get(Person, user["id"])
        assert person is not None and person.active is False  # kept, not deleted
        assert person.function == "Engineering"
        assert user["id"] not in {p.id for p in people_to_invite(session, None)}
        events = list(session.scalars(select(AuditEvent).where(AuditEvent.target == user["id"])))
        assert [(e.actor, e.action) for e in events] == [
            ("scim:entra-id", "scim_create_user"),
            ("scim:entra-id", "scim_replace_user"),
        ]
        assert all(token not in str(e.detail) for e in events)


def test_okta_patch_and_put_keep_what_scim_does_not_own(
    client: TestClient, web_db: str, token: str
) -> None:
    with session_scope(web_db) as session:
        person = session.scalars(
            select(Person).join(Identity).where(Identity.kind == "github").limit(1)
        ).one()
        pid, email, team_id, github = (
            person.id,
            person.email,
            person.team_id,
            len(list(session.scalars(select(Identity).where(Identity.person_id == person.id)))),
        )
    okta = {
        "schemas": [PATCH],
        "Operations": [{"op": "replace", "value": {"active": False}}],
    }
    response = client.patch(f"/scim/v2/Users/{pid}", json=okta, headers=auth(token))
    assert response.status_code == 200, response.text
    replaced = client.put(
        f"/scim/v2/Users/{pid}",
        json={"schemas": [USER], "userName": email, "active": True, "displayName": "New Name"},
        headers=auth(token),
    )
    assert replaced.status_code == 200, replaced.text
    with session_scope(web_db) as session:
        after = session.get(Person, pid)
        assert after is not None
        assert (after.display_name, after.active, after.team_id) == ("New Name", True, team_id)
        kept = list(session.scalars(select(Identity).where(Identity.person_id == pid)))
        assert len(kept) == github  # the CSV's GitHub login survives a SCIM replace


def test_paging(client: TestClient, token: str) -> None:
    first = client.get(
        "/scim/v2/Users", params={"startIndex": 1, "count": 2}, headers=auth(token)
    ).json()
    second = client.get(
        "/scim/v2/Users", params={"startIndex": 3, "count": 2}, headers=auth(token)
    ).json()
    assert first["totalResults"] == second["totalResults"] > 4
    assert (first["startIndex"], first["itemsPerPage"]) == (1, 2)
    assert (second["startIndex"], second["itemsPerPage"]) == (3, 2)
    names = [u["userName"] for u in first["Resources"] + second["Resources"]]
    assert names == sorted(names) and len(set(names)) == 4


def test_bad_input_is_a_scim_error_and_changes_nothing(
    client: TestClient, web_db: str, token: str
) -> None:
    taken = client.post("/scim/v2/Users", json=entra_user("bob@example.org"), headers=auth(token))
    assert taken.status_code == 201
    before = snapshot(web_db)
    cases = [
        (
            client.post("/scim/v2/Users", content=b"{not json", headers=auth(token)),
            400,
            "invalidSyntax",
        ),
        (
            client.post("/scim/v2/Users", json=entra_user("bob@example.org"), headers=auth(token)),
            409,
            "uniqueness",
        ),
        (
            client.post("/scim/v2/Users", json=entra_user("not-an-email"), headers=auth(token)),
            400,
            "invalidValue",
        ),
        (
            client.post(
                "/scim/v2/Users",
                json=entra_user("x@example.org", userType="wizard"),
                headers=auth(token),
            ),
            400,
            "invalidValue",
        ),
        (
            client.post("/scim/v2/Users", json={"schemas": [USER]}, headers=auth(token)),
            400,
            "invalidValue",
        ),
        (client.get("/scim/v2/Users/no-such-id", headers=auth(token)), 404, None),
        (
            client.patch(
                "/scim/v2/Users/no-such-id",
                json={
                    "schemas": [PATCH],
                    "Operations": [{"op": "replace", "path": "active", "value": False}],
                },
                headers=auth(token),
            ),
            404,
            None,
        ),
        (
            client.get("/scim/v2/Users", params={"filter": 'title co "x"'}, headers=auth(token)),
            400,
            "invalidFilter",
        ),
    ]
    for response, status, scim_type in cases:
        assert_scim_error(response, status, scim_type)
    assert snapshot(web_db) == before


def test_the_token_is_required_hashed_and_revocable(
    client: TestClient, web_db: str, token: str
) -> None:
    with session_scope(web_db) as session:
        stored = session.scalars(select(ScimToken)).one()
        assert token not in (stored.token_hash, stored.name)
    assert_scim_error(client.get("/scim/v2/Users"), 401, None)
    assert_scim_error(client.get("/scim/v2/Users", headers=auth(token + "x")), 401, None)
    assert client.get("/scim/v2/Users", headers=auth(token)).status_code == 200
    with session_scope(web_db) as session:
        revoke_token(session, "entra-id")
    refused = client.get("/scim/v2/Users", headers=auth(token))
    assert_scim_error(refused, 401, None)
    assert refused.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "path", ["/scim/v2/Responses", "/scim/v2/Invitations", "/scim/v2/Surveys/1", "/scim/v2/Me"]
)
def test_only_directory_resources_exist(client: TestClient, token: str, path: str) -> None:
    assert_scim_error(client.get(path, headers=auth(token)), 404, None)


def test_discovery(client: TestClient, token: str) -> None:
    config = client.get("/scim/v2/ServiceProviderConfig", headers=auth(token)).json()
    assert config["patch"]["supported"] is True and config["bulk"]["supported"] is False
    types = client.get("/scim/v2/ResourceTypes", headers=auth(token)).json()
    assert [t["id"] for t in types["Resources"]] == ["User", "Group"]
    schemas = client.get("/scim/v2/Schemas", headers=auth(token)).json()
    assert {s["id"] for s in schemas["Resources"]} == {USER, ENTERPRISE, GROUP}
    one = client.get(f"/scim/v2/Schemas/{USER}", headers=auth(token))
    assert one.status_code == 200 and one.json()["id"] == USER
    assert_scim_error(client.post("/scim/v2/Schemas", json={}, headers=auth(token)), 405, None)


def test_a_upn_user_name_and_a_changed_email_keep_the_person(
    client: TestClient, web_db: str, token: str
) -> None:
    """Entra's default mapping: userName is the UPN, the work email comes from `emails`."""
    body = entra_user("ada@example.org", userName="ada@northwind.onmicrosoft.com")
    created = client.post("/scim/v2/Users", json=body, headers=auth(token))
    assert created.status_code == 201, created.text
    user = created.json()
    assert user["userName"] == "ada@northwind.onmicrosoft.com"
    found = client.get(
        "/scim/v2/Users",
        params={"filter": 'userName eq "ADA@northwind.onmicrosoft.com"'},
        headers=auth(token),
    ).json()
    assert [u["id"] for u in found["Resources"]] == [user["id"]]
    # The address changes (a marriage, a new domain): same row, same id, same team.
    with session_scope(web_db) as session:
        team_id = session.scalars(select(Person.team_id).where(Person.id == user["id"])).one()
    body["emails"] = [{"primary": True, "type": "work", "value": "ada.king@example.org"}]
    replaced = client.put(f"/scim/v2/Users/{user['id']}", json=body, headers=auth(token))
    assert replaced.status_code == 200, replaced.text
    with session_scope(web_db) as session:
        person = session.get(Person, user["id"])
        assert person is not None
        assert (person.email, person.team_id) == ("ada.king@example.org", team_id)
    # Another user may not take that address, nor the UPN.
    before = snapshot(web_db)
    clash = entra_user("ada.king@example.org", userName="someone@example.org")
    assert_scim_error(
        client.post("/scim/v2/Users", json=clash, headers=auth(token)), 409, "uniqueness"
    )
    clash = entra_user("other@example.org", userName="ada@northwind.onmicrosoft.com")
    assert_scim_error(
        client.post("/scim/v2/Users", json=clash, headers=auth(token)), 409, "uniqueness"
    )
    assert snapshot(web_db) == before


def test_admins_issue_and_revoke_tokens_on_the_admin_page(client: TestClient, web_db: str) -> None:
    sign_in(client, "admin")
    csrf = form_token(client, "/admin/scim")
    issued = client.post("/admin/scim", data={"csrf_token": csrf, "name": "okta"})
    assert issued.status_code == 200
    shown = re.search(r'<code id="scim-token">([^<]+)</code>', issued.text)
    assert shown is not None
    token = shown.group(1)
    assert client.get("/scim/v2/Users", headers=auth(token)).status_code == 200
    again = client.get("/admin/scim")
    assert "okta" in again.text and token not in again.text  # shown once
    duplicate = client.post("/admin/scim", data={"csrf_token": csrf, "name": "okta"})
    assert duplicate.status_code == 422 and "already exists" in duplicate.text
    revoked = client.post("/admin/scim/revoke", data={"csrf_token": csrf, "name": "okta"})
    assert revoked.status_code == 200
    assert_scim_error(client.get("/scim/v2/Users", headers=auth(token)), 401, None)
    with session_scope(web_db) as session:
        actions = [
            (e.action, e.target)
            for e in session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action.like("scim_token_%"))
                .order_by(AuditEvent.id)
            )
        ]
    assert actions == [("scim_token_create", "okta"), ("scim_token_revoke", "okta")]


def test_preferred_language_and_okta_locale_set_the_persons_language(
    client: TestClient, web_db: str, token: str
) -> None:
    created = client.post(
        "/scim/v2/Users",
        json=entra_user("lin@example.org", preferredLanguage="de-CH"),
        headers=auth(token),
    )
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]
    assert created.json()["preferredLanguage"] == "de-CH"
    assert (
        client.get(f"/scim/v2/Users/{user_id}", headers=auth(token)).json()["preferredLanguage"]
        == "de-CH"
    )
    okta = client.post(
        "/scim/v2/Users",
        json=entra_user("kei@example.org", externalId="kei", locale="ja_JP"),
        headers=auth(token),
    )
    assert okta.status_code == 201, okta.text
    # A PATCH of another attribute keeps it; a PUT without it clears it (a replacement).
    patched = client.patch(
        f"/scim/v2/Users/{user_id}",
        json={
            "schemas": [PATCH],
            "Operations": [{"op": "replace", "path": "displayName", "value": "Lin Bauer"}],
        },
        headers=auth(token),
    )
    assert patched.status_code == 200 and patched.json()["preferredLanguage"] == "de-CH"
    with session_scope(web_db) as session:
        stored = dict(session.execute(select(Person.email, Person.language)).all())
    assert stored["lin@example.org"] == "de-CH" and stored["kei@example.org"] == "ja_JP"
    replaced = client.put(
        f"/scim/v2/Users/{user_id}", json=entra_user("lin@example.org"), headers=auth(token)
    )
    assert replaced.status_code == 200 and "preferredLanguage" not in replaced.json()
    before = snapshot(web_db)
    too_long = client.post(
        "/scim/v2/Users",
        json=entra_user("max@example.org", externalId="max", preferredLanguage="x" * 65),
        headers=auth(token),
    )
    assert_scim_error(too_long, 400, "invalidValue")
    assert "preferredLanguage" in too_long.json()["detail"]
    assert snapshot(web_db) == before
    schema = client.get(f"/scim/v2/Schemas/{USER}", headers=auth(token)).json()
    assert "preferredLanguage" in {a["name"] for a in schema["attributes"]}
