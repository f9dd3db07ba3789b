"""Admins manage staff accounts; a deactivated account loses its sessions at once."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.web.conftest import STAFF, form_token, sign_in


def test_admin_adds_and_deactivates_an_account(client: TestClient, web_db: str):
    sign_in(client, "admin")
    created = client.post(
        "/api/v1/admin/users",
        json={
            "email": "new.analyst@northwind.example",
            "display_name": "New",
            "role": "analyst",
            "password": "a long enough password",
        },
    )
    assert created.status_code == 201 and "password" not in created.text
    user_id = created.json()["id"]
    other = TestClient(client.app)
    page = other.get("/login")
    token = re.search(r'name="form_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    assert (
        other.post(
            "/login",
            data={
                "email": "new.analyst@northwind.example",
                "password": "a long enough password",
                "form_token": token,
            },
            follow_redirects=False,
        ).status_code
        == 303
    )
    assert other.get("/api/v1/me").json()["role"] == "analyst"
    assert client.post(f"/api/v1/admin/users/{user_id}/deactivate").json()["active"] is False
    assert other.get("/api/v1/me").status_code == 401, "the open session ended with the account"


def test_weak_passwords_duplicates_and_self_deactivation_are_refused(client: TestClient):
    sign_in(client, "admin")
    weak = client.post(
        "/api/v1/admin/users",
        json={"email": "x@northwind.example", "role": "leader", "password": "short"},
    )
    assert weak.status_code == 422
    duplicate = client.post(
        "/api/v1/admin/users",
        json={"email": STAFF["leader"][0], "role": "leader", "password": "a long enough password"},
    )
    assert duplicate.status_code == 422 and "already exists" in duplicate.text
    me = next(
        u for u in client.get("/api/v1/admin/users").json() if u["email"] == STAFF["admin"][0]
    )
    assert client.post(f"/api/v1/admin/users/{me['id']}/deactivate").status_code == 422


def test_accounts_page_and_form(client: TestClient):
    sign_in(client, "admin")
    assert "Add an account" in client.get("/admin/users").text
    token = form_token(client, "/admin/users")
    response = client.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "email": "page@northwind.example",
            "role": "leader",
            "password": "another long password",
        },
    )
    assert response.status_code == 200 and "page@northwind.example" in response.text
    assert (
        client.post("/admin/users", data={"email": "nocsrf@northwind.example"}).status_code == 403
    )
