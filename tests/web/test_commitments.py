"""What stays the same over real HTTP: the public page and API, leaders' and admins' forms,
earlier wordings visible, and the statements on the answer and feedback pages without any
query on the answer path."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select

from gaplens.commitments.models import Commitment, CommitmentRevision
from gaplens.db.engine import get_engine, session_scope
from gaplens.surveys.collection import create_open_link
from gaplens.surveys.service import find_survey
from tests.web.conftest import sign_in

GOOD = {
    "category": "role",
    "text": "No support role is cut because of AI in 2026.",
    "stated_by": "Dana Whitfield, COO",
    "function": "",
    "review_on": "",
}


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]+)"', page)
    assert match, f"no {name} on the page"
    return match.group(1)


def counts(url: str) -> tuple[int, int]:
    with session_scope(url) as session:
        return (
            session.scalar(select(func.count()).select_from(Commitment)) or 0,
            session.scalar(select(func.count()).select_from(CommitmentRevision)) or 0,
        )


def make(client: TestClient, **changes: str):
    page = client.get("/commitments/new")
    assert page.status_code == 200
    data = {**GOOD, **changes, "csrf_token": hidden(page.text, "csrf_token")}
    return client.post("/commitments/new", data=data, follow_redirects=False)


@contextmanager
def statements_queried(url: str) -> Iterator[list[str]]:
    """SQL touching the statement tables while the block runs (any connection of the app)."""
    seen: list[str] = []

    def spy(_conn, _cursor, statement: str, *_args: object) -> None:
        if "commitment" in statement:
            seen.append(statement)

    engine = get_engine(url)
    event.listen(engine, "before_cursor_execute", spy)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", spy)


def test_a_leader_makes_rewords_and_retires_and_everyone_sees_it(client: TestClient, web_db: str):
    sign_in(client, "leader")
    page = client.get("/commitments/new")
    assert 'value="Leader"' in page.text  # who states it defaults to the signed-in name
    assert make(client, review_on="2099-01-31").status_code == 303
    [statement_id] = [s["id"] for s in client.get("/api/v1/commitments").json()]
    form = client.get(f"/commitments/{statement_id}/edit")
    assert form.status_code == 200 and GOOD["text"] in form.text
    token = hidden(form.text, "csrf_token")
    reworded = client.post(
        f"/commitments/{statement_id}/edit",
        data={**GOOD, "text": "No role is cut because of AI in 2026 or 2027.", "csrf_token": token},
        follow_redirects=False,
    )
    assert reworded.status_code == 303
    client.post("/logout", data={"csrf_token": token})
    public = client.get("/commitments").text
    assert "No role is cut because of AI in 2026 or 2027." in public
    assert "Earlier wording" in public and GOOD["text"] in public
    assert "Reword" not in public  # anonymous readers get no edit controls
    shown = client.get(f"/api/v1/commitments/{statement_id}").json()
    assert shown["revision"] == 2 and shown["earlier"][0]["text"] == GOOD["text"]
    sign_in(client, "admin")
    token = hidden(client.get("/commitments").text, "csrf_token")
    retired = client.post(f"/commitments/{statement_id}/retire",
                          data={"reason": "Replaced by a firmer promise", "csrf_token": token},
                          follow_redirects=False)  # fmt: skip
    assert retired.status_code == 303
    page = client.get("/commitments").text
    assert "Retired statements" in page and "Replaced by a firmer promise" in page
    again = client.post(f"/commitments/{statement_id}/retire", data={"csrf_token": token})
    assert again.status_code == 422 and "retired" in again.text
    assert counts(web_db) == (1, 2)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"category": "salary"}, "category"),
        ({"text": "short"}, "text"),
        ({"function": "Astrology"}, "function"),
        ({"review_on": "2020-01-01"}, "review_on"),
        ({"review_on": "soon"}, "review_on"),
    ],
)
def test_bad_statements_come_back_with_the_field_and_what_was_typed(
    client: TestClient, web_db: str, changes: dict[str, str], field: str
):
    sign_in(client, "admin")
    response = make(client, **{**changes, "stated_by": "Typed by hand"})
    assert response.status_code == 422 and field in response.text
    assert 'value="Typed by hand"' in response.text
    assert counts(web_db) == (0, 0)


def test_analysts_read_only_and_writes_need_csrf(client: TestClient, web_db: str):
    body = {k: v for k, v in GOOD.items() if v}
    sign_in(client, "analyst")
    assert client.get("/commitments").status_code == 200
    assert client.get("/commitments/new").status_code == 403
    assert client.post("/api/v1/commitments", json=body).status_code == 403
    client.post(
        "/logout", data={"csrf_token": hidden(client.get("/commitments").text, "csrf_token")}
    )
    sign_in(client, "leader")
    assert client.post("/commitments/new", data=GOOD).status_code == 403
    cross = client.post(
        "/api/v1/commitments", json=body, headers={"origin": "https://evil.example"}
    )
    assert cross.status_code == 403
    assert counts(web_db) == (0, 0)


def test_the_api_makes_rewords_and_retires(client: TestClient, web_db: str):
    sign_in(client, "leader")
    body = {"category": "knowledge", "text": "Knowing our depots matters more, not less.",
            "stated_by": "Leader", "function": "Support", "review_on": "2099-06-30"}  # fmt: skip
    created = client.post("/api/v1/commitments", json=body)
    assert created.status_code == 201 and created.json()["revision"] == 1
    statement_id = created.json()["id"]
    revised = client.put(
        f"/api/v1/commitments/{statement_id}",
        json={**body, "text": "Knowing our depots matters more."},
    )
    assert revised.status_code == 200 and revised.json()["revision"] == 2
    bad = client.put(f"/api/v1/commitments/{statement_id}", json={**body, "function": "Nope"})
    assert bad.status_code == 422 and bad.json()["problems"][0]["field"] == "function"
    assert client.put("/api/v1/commitments/999", json=body).status_code == 404
    retired = client.post(f"/api/v1/commitments/{statement_id}/retire", json={"reason": "done"})
    assert retired.status_code == 200 and retired.json()["retired_reason"] == "done"
    assert client.post(f"/api/v1/commitments/{statement_id}/retire", json={}).status_code == 422
    assert client.get("/api/v1/commitments", params={"include_retired": "false"}).json() == []
    assert counts(web_db) == (1, 2)


def test_answer_and_feedback_pages_show_statements_without_querying_on_post(
    client: TestClient, web_db: str
):
    with session_scope(web_db) as session:
        token = create_open_link(session, find_survey(session, None))
    cache = client.app.state.statements  # type: ignore[attr-defined]
    assert 'id="stays-the-same"' not in client.get(f"/s/{token}").text
    sign_in(client, "leader")
    assert make(client, function="Support").status_code == 303
    client.post(
        "/logout", data={"csrf_token": hidden(client.get("/commitments").text, "csrf_token")}
    )
    page = client.get(f"/s/{token}")  # the write forgot the cache: shown at once
    assert 'id="stays-the-same"' in page.text and GOOD["text"] in page.text
    assert "A role that stays · Support" in page.text
    assert GOOD["text"] in client.get("/feedback").text
    loads = cache.loads
    with statements_queried(web_db) as seen:
        page = client.get(f"/s/{token}")  # fresh cache: no query
        form_token = hidden(page.text, "form_token")
        ok = client.post(f"/s/{token}", data={"form_token": form_token,
                                             "role_level": "individual_contributor"})  # fmt: skip
        cache.invalidate()  # even with nothing cached, the answer path does not read it
        form_token = hidden(client.get("/feedback").text, "form_token")
        cache.invalidate()
        page = client.get(f"/s/{token}")
        cache.invalidate()
        bad = client.post(f"/s/{token}", data={"form_token": hidden(page.text, "form_token"),
                                              "role_level": "astronaut"})  # fmt: skip
    assert ok.status_code == 200 and bad.status_code == 422
    assert len(seen) == 2 * 2  # the feedback GET and the answer-page GET refreshed (2 queries each)
    assert cache.loads == loads + 2
