"""Leaders' posts over real HTTP: everyone reads, leaders and admins write with CSRF, the
author alone edits, and the anonymous useful mark counts one browser once."""

from __future__ import annotations

import re

import pytest
from babel.dates import format_date
from fastapi.testclient import TestClient
from sqlalchemy import func, inspect, select

from gaplens.audit.models import AuditEvent
from gaplens.db.engine import get_engine, session_scope
from gaplens.modelling.models import LeaderPost, LeaderPostMark
from gaplens.web.app import create_app
from gaplens.web.settings import WebSettings
from tests.web.conftest import sign_in

GOOD = {
    "title": "Copilot invented an API in the migration script",
    "task": "Schema migration for shipment events",
    "tool": "GitHub Copilot",
    "what_worked": "The boilerplate and the backfill loop.",
    "what_went_wrong": "It called bulk_upsert(), which our database layer does not have.",
    "function": "Engineering",
}


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]+)"', page)
    assert match, f"no {name} on the page"
    return match.group(1)


def posts(url: str) -> list[LeaderPost]:
    with session_scope(url) as session:
        return list(session.scalars(select(LeaderPost).order_by(LeaderPost.id)))


def publish(client: TestClient, **changes: str):
    page = client.get("/leaders/new")
    assert page.status_code == 200
    data = {**GOOD, **changes, "csrf_token": hidden(page.text, "csrf_token")}
    return client.post("/leaders/new", data=data, follow_redirects=False)


def published(client: TestClient, who: str = "leader", **changes: str) -> int:
    sign_in(client, who)
    response = publish(client, **changes)
    assert response.status_code == 303, response.text
    client.post("/logout", data={"csrf_token": hidden(client.get("/leaders").text, "csrf_token")})
    return int(response.headers["location"].rsplit("/", 1)[1])


def test_a_leader_publishes_and_everyone_reads_it_signed(client: TestClient, web_db: str):
    post_id = published(client, title="<script>alert(1)</script> in a title")
    assert client.cookies.get("gaplens_session") is None  # anonymous from here on
    page = client.get(f"/leaders/{post_id}")
    assert page.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text and "<script>alert" not in page.text
    assert "Leader" in page.text and "leader@northwind.example" not in page.text
    assert "It called bulk_upsert()" in page.text and "What the AI got wrong" in page.text
    listing = client.get("/leaders")
    assert f'id="post-{post_id}"' in listing.text and "Share how you use AI" not in listing.text
    api = client.get(f"/api/v1/leaders/posts/{post_id}").json()
    assert api["author"] == {"name": "Leader", "role": "Leader"}
    assert api["admits_failure"] is True and api["edited_on"] is None
    assert "email" not in str(api)
    assert client.get("/api/v1/leaders/posts").json()["total"] == 1
    assert client.get("/api/v1/leaders/posts/999").status_code == 404
    assert client.get("/leaders/999").status_code == 404
    with session_scope(web_db) as session:
        actions = list(session.scalars(select(AuditEvent.action)))
    assert "publish_post" in actions


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"what_went_wrong": ""}, "what_went_wrong"),
        ({"nothing_went_wrong": "on"}, "nothing_went_wrong"),
        ({"title": "ab"}, "title"),
        ({"function": "Astrology"}, "function"),
        ({"what_worked": "x" * 2001}, "what_worked"),
    ],
)
def test_bad_posts_come_back_with_the_field_and_what_was_typed(
    client: TestClient, web_db: str, changes: dict[str, str], field: str
):
    sign_in(client, "leader")
    response = publish(client, **changes)
    assert response.status_code == 422
    assert field in response.text
    assert 'value="Schema migration for shipment events"' in response.text
    assert posts(web_db) == []


def test_analysts_read_only_and_forms_need_their_token(client: TestClient, web_db: str):
    sign_in(client, "analyst")
    assert client.get("/leaders").status_code == 200
    assert client.get("/leaders/new").status_code == 403
    assert (
        client.post("/api/v1/leaders/posts", json={**GOOD, "nothing_went_wrong": False}).status_code
        == 403
    )
    client.post("/logout", data={"csrf_token": hidden(client.get("/leaders").text, "csrf_token")})
    sign_in(client, "leader")
    assert client.post("/leaders/new", data=GOOD).status_code == 403  # no CSRF token
    token = hidden(client.get("/leaders/new").text, "csrf_token")
    cross = client.post("/leaders/new", data={**GOOD, "csrf_token": token},
                        headers={"origin": "https://evil.example"})  # fmt: skip
    assert cross.status_code == 403
    api_cross = client.post("/api/v1/leaders/posts", json=GOOD,
                            headers={"origin": "https://evil.example"})  # fmt: skip
    assert api_cross.status_code == 403
    assert posts(web_db) == []


def test_only_the_author_edits_and_the_edit_is_marked(client: TestClient, web_db: str):
    post_id = published(client, "leader")
    sign_in(client, "admin")
    assert client.get(f"/leaders/{post_id}/edit").status_code == 403
    token = hidden(client.get("/leaders").text, "csrf_token")
    other = client.post(
        f"/leaders/{post_id}/edit", data={**GOOD, "title": "Hijacked", "csrf_token": token}
    )
    assert other.status_code == 403
    put = client.put(f"/api/v1/leaders/posts/{post_id}", json={**GOOD, "title": "Hijacked"})
    assert put.status_code == 403
    client.post("/logout", data={"csrf_token": token})
    sign_in(client, "leader")
    form = client.get(f"/leaders/{post_id}/edit")
    assert form.status_code == 200 and 'value="Copilot invented an API' in form.text
    token = hidden(form.text, "csrf_token")
    unchanged = client.post(f"/leaders/{post_id}/edit", data={**GOOD, "csrf_token": token})
    assert unchanged.status_code == 422 and "nothing changed" in unchanged.text
    edited = client.post(
        f"/leaders/{post_id}/edit",
        data={**GOOD, "what_went_wrong": "", "nothing_went_wrong": "on", "csrf_token": token},
        follow_redirects=False,
    )
    assert edited.status_code == 303
    page = client.get(f"/leaders/{post_id}").text
    [row] = posts(web_db)
    assert row.edited_on is not None
    assert f"edited {format_date(row.edited_on, format='long', locale='en')}" in page
    assert row.admits_failure is False and "Nothing went wrong this time." in page
    assert row.title == GOOD["title"]
    api = client.put(f"/api/v1/leaders/posts/{post_id}", json={**GOOD, "tool": "Copilot Chat"})
    assert api.status_code == 200 and api.json()["tool"] == "Copilot Chat"
    bad = client.put(f"/api/v1/leaders/posts/{post_id}", json={**GOOD, "what_went_wrong": None})
    assert bad.status_code == 422
    assert bad.json()["problems"][0]["field"] == "what_went_wrong"


def test_useful_counts_a_browser_once_and_keeps_no_address(client: TestClient, web_db: str):
    post_id = published(client)
    page = client.get(f"/leaders/{post_id}")
    assert client.post(f"/leaders/{post_id}/useful", data={}).status_code == 403  # no token
    token = hidden(page.text, "form_token")
    first = client.post(f"/leaders/{post_id}/useful", data={"form_token": token},
                        follow_redirects=False)  # fmt: skip
    assert first.status_code == 303
    cookie = first.headers["set-cookie"]
    assert "gaplens_reader=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    again = client.post(f"/leaders/{post_id}/useful", data={"form_token": token},
                        follow_redirects=False)  # fmt: skip
    assert again.status_code == 303 and "gaplens_reader" not in again.headers.get("set-cookie", "")
    shown = client.get(f"/leaders/{post_id}").text
    assert "You found this useful" in shown and '<span class="count">1</span>' in shown
    api_again = client.post(f"/api/v1/leaders/posts/{post_id}/useful")
    assert api_again.status_code == 200 and api_again.json() == {
        "post": post_id,
        "useful": 1,
        "new": False,
    }
    client.cookies.clear()  # another browser
    other = client.post(f"/api/v1/leaders/posts/{post_id}/useful")
    assert other.status_code == 201 and other.json()["useful"] == 2
    assert client.post("/api/v1/leaders/posts/999/useful").status_code == 404
    cross = client.post(f"/api/v1/leaders/posts/{post_id}/useful",
                        headers={"origin": "https://evil.example"})  # fmt: skip
    assert cross.status_code == 403
    columns = {c["name"] for c in inspect(get_engine(web_db)).get_columns("leader_post_mark")}
    assert columns == {"post_id", "reader_hash", "marked_on"}
    with session_scope(web_db) as session:
        assert session.scalar(select(func.count()).select_from(LeaderPostMark)) == 2
        stored = set(session.scalars(select(LeaderPostMark.reader_hash)))
    reader = cookie.split("gaplens_reader=", 1)[1].split(";", 1)[0]
    assert reader not in stored and "testclient" not in str(stored)


def test_useful_marks_are_rate_limited_like_feedback(web_db: str):
    settings = WebSettings(database_url=web_db, secure_cookies=False, slack_signing_secret=None,
                           feedback_per_hour=3)  # fmt: skip
    with TestClient(create_app(settings)) as client:
        post_id = published(client)
        codes = []
        for _ in range(4):
            client.cookies.clear()
            codes.append(client.post(f"/api/v1/leaders/posts/{post_id}/useful").status_code)
        assert codes == [201, 201, 201, 429]
        token = hidden(client.get(f"/leaders/{post_id}").text, "form_token")
        form = client.post(f"/leaders/{post_id}/useful", data={"form_token": token})
        assert form.status_code == 429
    with session_scope(web_db) as session:
        assert session.scalar(select(func.count()).select_from(LeaderPostMark)) == 3
