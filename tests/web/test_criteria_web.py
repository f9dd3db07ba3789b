"""Success criteria and the what's-working log over real HTTP: forms with CSRF, the JSON API,
roles, bad input everywhere (clear errors, nothing written), revisions and privacy."""

from __future__ import annotations

import datetime as dt
import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gaplens.audit.models import AuditEvent
from gaplens.criteria.models import CriterionRevision, SuccessCriterion
from gaplens.db.engine import session_scope
from gaplens.directory.models import Organisation, Person, Team
from gaplens.directory.schemas import RoleLevel
from gaplens.wins.models import Win
from tests.web.conftest import form_token, sign_in

TODAY = dt.date.today()


def rows(url: str, table) -> int:
    with session_scope(url) as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def definition(start: dt.date, **changes: str) -> dict[str, str]:
    return {
        "phase_name": "Copilot for all engineers",
        "phase_start": start.isoformat(),
        "metric": "cycle_time",
        "scope": "function:Engineering",
        "target_kind": "relative",
        "target": "-15",
        "method": "difference_in_differences",
        "review_date": "",
        "description": "",
    } | changes


def api_body(start: dt.date, **changes: object) -> dict[str, object]:
    return {
        "phase_name": "Copilot for all engineers",
        "phase_start": start.isoformat(),
        "metric": "cycle_time",
        "function": "Engineering",
        "target_kind": "relative",
        "target": -15,
    } | changes


def test_leader_defines_a_criterion_through_the_form(client: TestClient, web_db: str):
    sign_in(client, "leader")
    start = TODAY + dt.timedelta(days=30)
    token = form_token(client, "/criteria/new")
    response = client.post(
        "/criteria/new", data={"csrf_token": token, **definition(start)}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    page = client.get(response.headers["location"])
    assert page.status_code == 200
    for words in (
        "Copilot for all engineers",
        "Difference-in-differences vs non-users",
        "Revision history",
        "Not enough data",
        f"the phase starts on {start.isoformat()}",
        (start + dt.timedelta(days=90)).isoformat(),  # the default review date
        "leader@northwind.example",
        "Delete (possible until the phase starts)",
    ):
        assert words in page.text, words
    listing = client.get("/criteria")
    assert "Cycle time, Engineering" in listing.text and "Not enough data" in listing.text
    with session_scope(web_db) as session:
        actions = set(session.scalars(select(AuditEvent.action)))
    assert {"create_criterion", "view_criterion_page", "view_criteria_page"} <= actions


def test_bad_form_input_shows_the_problems_and_what_was_typed(client: TestClient, web_db: str):
    sign_in(client, "admin")
    start = TODAY + dt.timedelta(days=30)
    token = form_token(client, "/criteria/new")
    for changes, message in (
        ({"metric": "velocity"}, "unknown metric &#39;velocity&#39;"),
        ({"scope": "team:nope"}, "unknown team &#39;nope&#39;"),
        ({"scope": "function:Marketing"}, "unknown function &#39;Marketing&#39;"),
        ({"scope": "galaxy:far"}, "unknown scope"),
        ({"target": "+10"}, "wrong direction"),
        ({"target": "abc"}, "valid number"),
        ({"phase_start": "next week"}, "valid date"),
        ({"review_date": (start - dt.timedelta(days=1)).isoformat()}, "must be after the phase"),
    ):
        data = definition(start, phase_name="Typed by hand", **changes)
        page = client.post("/criteria/new", data={"csrf_token": token, **data})
        assert page.status_code == 422, changes
        assert message in page.text, (changes, page.text[-3000:])
        assert 'value="Typed by hand"' in page.text  # what was typed is kept
    assert rows(web_db, SuccessCriterion) == rows(web_db, CriterionRevision) == 0


def test_forms_need_the_session_csrf_token(client: TestClient, web_db: str):
    sign_in(client, "leader")
    start = TODAY + dt.timedelta(days=30)
    assert client.post("/criteria/new", data=definition(start)).status_code == 403
    bad = {"csrf_token": "forged", **definition(start)}
    assert client.post("/criteria/new", data=bad).status_code == 403
    assert client.post("/wins", data={"title": "x", "source": "y"}).status_code == 403
    assert rows(web_db, SuccessCriterion) == rows(web_db, Win) == 0


def test_analysts_read_but_do_not_define(client: TestClient):
    sign_in(client, "analyst")
    assert client.get("/criteria").status_code == 200
    assert "Define a success criterion" not in client.get("/criteria").text
    assert client.get("/criteria/new").status_code == 403
    body = api_body(TODAY + dt.timedelta(days=5))
    assert client.post("/api/v1/criteria", json=body).status_code == 403
    assert client.get("/api/v1/criteria").status_code == 200


def test_api_lifecycle_with_revisions(client: TestClient, web_db: str):
    sign_in(client, "leader")
    started = client.post("/api/v1/criteria", json=api_body(TODAY - dt.timedelta(days=10)))
    assert started.status_code == 201, started.text
    body = started.json()
    cid = body["id"]
    # the web organisation has no work items: no month end is released, said plainly
    assert "is released yet" in body["baseline"]["not_enough_data"]
    assert body["status"]["status"] == "not_enough_data"
    assert body["defined_after_start"] is True
    assert body["review_date"] == (TODAY + dt.timedelta(days=80)).isoformat()

    refused = client.patch(f"/api/v1/criteria/{cid}", json={"target": -10})
    assert refused.status_code == 422
    assert refused.json()["problems"][0]["field"] == "reason"
    assert "say why it changes" in refused.json()["error"]
    reason = "Half the teams got licences late"
    edited = client.patch(f"/api/v1/criteria/{cid}", json={"target": -10, "reason": reason})
    assert edited.status_code == 200, edited.text
    last = edited.json()["revisions"][-1]
    assert last["after_start"] and last["reason"] == reason and last["actor"].startswith("leader@")
    assert last["changes"]["target"] == ["-15% from the baseline", "-10% from the baseline"]
    assert edited.json()["edits_after_start"] == 1

    deleted = client.delete(f"/api/v1/criteria/{cid}")
    assert deleted.status_code == 422 and "retire it with a reason" in deleted.json()["error"]
    assert client.post(f"/api/v1/criteria/{cid}/retire", json={"reason": ""}).status_code == 422
    retired = client.post(f"/api/v1/criteria/{cid}/retire", json={"reason": "Phase cancelled"})
    assert retired.status_code == 200 and retired.json()["retired"] is True
    again = client.patch(f"/api/v1/criteria/{cid}", json={"target": -5, "reason": reason})
    assert again.status_code == 422

    page = client.get(f"/criteria/{cid}")
    assert reason in page.text and "after the start" in page.text and "Phase cancelled" in page.text

    future = client.post("/api/v1/criteria", json=api_body(TODAY + dt.timedelta(days=10)))
    fid = future.json()["id"]
    free = client.patch(f"/api/v1/criteria/{fid}", json={"phase_name": "Renamed"})
    assert free.status_code == 200 and free.json()["revisions"][-1]["reason"] is None
    assert client.delete(f"/api/v1/criteria/{fid}").status_code == 204
    assert client.get(f"/api/v1/criteria/{fid}").status_code == 404
    assert [c["id"] for c in client.get("/api/v1/criteria").json()] == [cid]


def test_api_bad_input(client: TestClient, web_db: str):
    sign_in(client, "admin")
    start = TODAY + dt.timedelta(days=20)
    for changes, field in (
        ({"metric": "velocity"}, "metric"),
        ({"function": None, "team": "nope"}, "team"),
        ({"function": "Marketing"}, "function"),
        ({"target": 15}, "target"),
        ({"review_date": start.isoformat()}, "review_date"),
        ({"method": "vibes"}, "body.method"),
        ({"baseline": 4.2}, "body.baseline"),  # a baseline is computed, never given
        ({"target_kind": "value", "target": -1}, "target"),
    ):
        response = client.post("/api/v1/criteria", json=api_body(start, **changes))
        assert response.status_code == 422, (changes, response.text)
        assert field in [p["field"] for p in response.json()["problems"]], response.json()
    assert client.patch("/api/v1/criteria/999", json={"reason": "whatever"}).status_code == 404
    assert rows(web_db, SuccessCriterion) == 0


def test_edit_form_after_the_start_needs_a_reason(client: TestClient, web_db: str):
    sign_in(client, "leader")
    start = TODAY - dt.timedelta(days=3)
    cid = client.post("/api/v1/criteria", json=api_body(start)).json()["id"]
    page = client.get(f"/criteria/{cid}/edit")
    assert "A change now needs a reason" in page.text and 'value="-15"' in page.text
    token = form_token(client, f"/criteria/{cid}/edit")
    data = definition(start, target="-12", review_date=(start + dt.timedelta(days=90)).isoformat())
    refused = client.post(f"/criteria/{cid}/edit", data={"csrf_token": token, **data})
    assert refused.status_code == 422 and "say why it changes" in refused.text
    assert 'value="-12"' in refused.text
    assert rows(web_db, CriterionRevision) == 1
    done = client.post(
        f"/criteria/{cid}/edit",
        data={"csrf_token": token, **data, "reason": "Support for two teams slipped"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    detail = client.get(f"/criteria/{cid}").text
    assert "Support for two teams slipped" in detail and "-12% from the baseline" in detail


def tiny_team(url: str) -> None:
    """A team of three: too small for any number, whatever the data."""
    with session_scope(url) as session:
        organisation = session.scalar(select(Organisation.id))
        team = Team(organisation_id=organisation, key="tiny", name="Tiny", function="Engineering")
        session.add(team)
        session.flush()
        for n in range(3):
            session.add(
                Person(
                    id=f"00000000-0000-0000-0000-00000000000{n}",
                    organisation_id=organisation,
                    email=f"tiny{n}@northwind.example",
                    display_name=f"Tiny {n}",
                    role_level=RoleLevel.INDIVIDUAL_CONTRIBUTOR,
                    function="Engineering",
                    team_id=team.id,
                )
            )


def test_a_small_scope_shows_no_numbers_and_the_same_json_to_every_viewer(
    client: TestClient, web_db: str
):
    """No figure is computed per request: without a released month end there is none, and
    what one viewer gets, another gets too (nothing is per viewer)."""
    tiny_team(web_db)
    sign_in(client, "leader")
    body = api_body(TODAY + dt.timedelta(days=10), function=None, team="tiny")
    created = client.post("/api/v1/criteria", json=body).json()
    assert "withheld" not in created and created["baseline"]["value"] is None
    assert created["status"]["status"] == "not_enough_data"
    page = client.get(f"/criteria/{created['id']}")
    assert "is released yet" in page.text
    seen = client.get("/api/v1/criteria").json()
    sign_in(client, "analyst")
    assert client.get("/api/v1/criteria").json() == seen


def test_wins_form_and_api(client: TestClient, web_db: str):
    sign_in(client, "analyst")  # any staff role logs wins
    period = {
        "after_start": (TODAY - dt.timedelta(days=60)).isoformat(),
        "after_end": (TODAY - dt.timedelta(days=1)).isoformat(),
    }
    token = form_token(client, "/wins")
    told = client.post(
        "/wins",
        data={
            "csrf_token": token,
            "title": "Meeting notes save time",
            "source": "javascript:alert(1)",
            "metric": "",
            "scope": "",
            "method": "current_vs_baseline",
            **period,
        },
        follow_redirects=False,
    )
    assert told.status_code == 303, told.text
    page = client.get(told.headers["location"]).text
    assert "Self-reported" in page and "no numbers from the data" in page
    assert 'href="javascript' not in page  # a source is linked only when it is a web address
    bad = client.post(
        "/wins",
        data={"csrf_token": token, "title": "Typed", "source": "x", "metric": "velocity", **period},
    )
    assert bad.status_code == 422 and "unknown metric" in bad.text and 'value="Typed"' in bad.text
    future = client.post(
        "/api/v1/wins",
        json={
            "title": "Future",
            "source": "x",
            "after_start": TODAY.isoformat(),
            "after_end": (TODAY + dt.timedelta(days=30)).isoformat(),
        },
    )
    assert future.status_code == 422 and future.json()["problems"][0]["field"] == "after_end"
    measured = client.post(
        "/api/v1/wins",
        json={
            "title": "Faster tickets",
            "source": "https://example.com/export",
            "metric": "time_to_resolution",
            "function": "Support",
            "method": "within_person",
            **period,
        },
    )
    assert measured.status_code == 201, measured.text
    evidence = measured.json()["evidence"]
    assert evidence["change"]["not_enough_data"] and evidence["verdict"] is None
    listed = client.get("/api/v1/wins").json()
    assert [w["title"] for w in listed] == ["Faster tickets", "Meeting notes save time"]
    assert [w["self_reported"] for w in listed] == [False, True]
    assert rows(web_db, Win) == 2
    listing = client.get("/wins").text
    assert re.search(r"Self-reported", listing) and "Faster tickets" in listing
