"""Shadow AI through the API and the page: shares by function, follow-ups only above k."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import sign_in


def test_shadow_ai_by_function_with_uses_and_reasons(client: TestClient):
    sign_in(client, "leader")
    body = client.get("/api/v1/shadow-ai").json()
    groups = {g["group"]: g for g in body["groups"]}
    everyone = groups["everyone"]
    assert everyone["status"] == "shown" and everyone["n"] > 100
    assert 0 < everyone["unsanctioned"]["share"] < 1
    assert everyone["follow_up_status"] == "shown"
    uses = everyone["uses"]
    assert set(uses) == {
        "drafting and editing text",
        "writing or reviewing code",
        "research and search",
        "data analysis",
        "meeting notes and summaries",
        "something else",
    }
    engineering = groups["Engineering"]
    if engineering["follow_up_status"] == "shown":  # planted: engineers turn to coding assistants
        top = max(engineering["uses"], key=lambda o: engineering["uses"][o]["share"])
        assert top == "writing or reviewing code"
    for group in body["groups"]:
        if group["status"] != "shown":
            assert group["n"] is None and group["unsanctioned"] is None
        if group["follow_up_status"] != "shown":
            assert group["uses"] is None and group["reasons"] is None
    page = client.get("/shadow")
    assert page.status_code == 200 and "where the provided tools fail people" in page.text
