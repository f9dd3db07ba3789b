"""Every route against every role, anonymous included."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import sign_in

ROLES = ["anonymous", "admin", "leader", "analyst"]
# route -> expected status per role (anonymous first)
MATRIX = {
    ("GET", "/"): [200, 200, 200, 200],
    ("GET", "/healthz"): [200, 200, 200, 200],
    ("GET", "/login"): [200, 200, 200, 200],
    ("GET", "/openapi.json"): [200, 200, 200, 200],
    ("GET", "/dashboard"): [303, 200, 200, 200],
    ("GET", "/api/v1/me"): [401, 200, 200, 200],
    ("GET", "/api/v1/surveys"): [401, 200, 200, 200],
    ("GET", "/api/v1/perception"): [401, 200, 200, 200],
    ("GET", "/api/v1/trend"): [401, 422, 422, 422],  # series is required
    ("GET", "/api/v1/shadow-ai"): [401, 200, 200, 200],
    ("GET", "/shadow"): [303, 200, 200, 200],
    ("GET", "/admin/surveys"): [303, 200, 403, 403],
    ("GET", "/admin/mail"): [303, 200, 403, 403],
    ("POST", "/api/v1/admin/surveys"): [401, 422, 403, 403],  # empty body
    ("POST", "/api/v1/admin/surveys/{name}/open-link"): [401, 422, 403, 403],
    ("POST", "/api/v1/admin/surveys/{name}/close"): [401, 404, 403, 403],  # no such survey
    ("GET", "/api/v1/rollup"): [401, 200, 200, 200],
    ("GET", "/api/v1/metrics"): [401, 200, 200, 200],
    ("GET", "/api/v1/metrics/{key}"): [401, 404, 404, 404],  # not a metric
    ("GET", "/api/v1/adoption"): [401, 200, 200, 200],
    ("GET", "/adoption"): [303, 200, 200, 200],
    ("GET", "/metrics"): [303, 200, 200, 200],
    ("POST", "/api/v1/admin/imports/{kind}"): [401, 422, 403, 403],  # not a kind
    ("GET", "/api/v1/exports/perception.csv"): [401, 200, 200, 200],
    ("GET", "/api/v1/exports/report"): [401, 200, 200, 200],
    ("GET", "/reports"): [303, 200, 200, 200],
    ("GET", "/favicon.ico"): [200, 200, 200, 200],
    ("GET", "/api/v1/costs"): [401, 200, 200, 200],
    ("POST", "/api/v1/admin/costs"): [401, 422, 403, 403],  # empty body
    ("GET", "/admin/users"): [303, 200, 403, 403],
    ("GET", "/api/v1/admin/users"): [401, 200, 403, 403],
    ("GET", "/admin/connections"): [303, 200, 403, 403],
    ("GET", "/api/v1/admin/connections"): [401, 200, 403, 403],
    ("POST", "/admin/connections"): [303, 403, 403, 403],  # no form token
    ("GET", "/admin/scim"): [303, 200, 403, 403],
    ("POST", "/admin/scim"): [303, 403, 403, 403],  # no form token
    ("POST", "/admin/scim/revoke"): [303, 403, 403, 403],  # no form token
    # SCIM takes its bearer token only: a staff session opens nothing there.
    ("GET", "/scim/v2/Users"): [401, 401, 401, 401],
    ("GET", "/scim/v2/ServiceProviderConfig"): [401, 401, 401, 401],
    ("POST", "/api/v1/admin/users"): [401, 422, 403, 403],  # empty body
    ("POST", "/api/v1/admin/users/{user_id}/deactivate"): [401, 422, 403, 403],  # not an id
    ("GET", "/trend"): [303, 200, 200, 200],
    ("GET", "/feedback"): [200, 200, 200, 200],
    ("GET", "/digest"): [303, 200, 200, 200],
    ("GET", "/api/v1/feedback/digest"): [401, 200, 200, 200],
    # unsigned: refused for everyone, staff cookies give no access to the Slack endpoint
    ("POST", "/integrations/slack/command"): [401, 401, 401, 401],
    ("POST", "/integrations/teams/message"): [401, 401, 401, 401],  # unsigned, likewise
    ("POST", "/feedback"): [403, 403, 403, 403],  # no form token
    ("POST", "/api/v1/responses"): [422, 422, 422, 422],  # anonymous by design; empty body
    ("GET", "/friction"): [200, 200, 200, 200],
    ("POST", "/friction"): [403, 403, 403, 403],  # no form token
    ("POST", "/api/v1/friction"): [422, 422, 422, 422],  # anonymous by design; empty body
    ("GET", "/friction/summary"): [303, 200, 200, 200],
    ("GET", "/api/v1/friction/use-cases"): [401, 200, 200, 200],
    ("GET", "/scorecard"): [303, 200, 200, 200],
    ("GET", "/api/v1/scorecard"): [401, 200, 200, 200],
    ("GET", "/r/{token}"): [404, 404, 404, 404],  # anonymous by design; not a link
    ("POST", "/r/{token}"): [403, 403, 403, 403],  # no form token
    ("POST", "/api/v1/reflections"): [422, 422, 422, 422],  # anonymous by design; empty body
    ("GET", "/reflections"): [303, 200, 200, 200],
    ("GET", "/api/v1/reflections"): [401, 200, 200, 200],
    ("POST", "/api/v1/admin/reflections/schedule"): [401, 422, 403, 403],  # empty body
    ("POST", "/api/v1/admin/reflections/links"): [401, 422, 403, 403],  # empty body
    ("GET", "/t/{token}"): [404, 404, 404, 404],  # anonymous by design; not a link
    ("POST", "/t/{token}"): [403, 403, 403, 403],  # no form token
    ("GET", "/api/v1/tasks/form/{token}"): [404, 404, 404, 404],
    ("POST", "/api/v1/tasks/answers"): [422, 422, 422, 422],  # anonymous by design; empty body
    ("GET", "/tasks/map"): [303, 200, 200, 200],
    ("GET", "/tasks/personas"): [303, 200, 200, 200],
    ("GET", "/api/v1/tasks/map"): [401, 200, 200, 200],
    ("GET", "/api/v1/tasks/personas"): [401, 200, 200, 200],
    ("GET", "/api/v1/tasks/catalogue"): [401, 200, 200, 200],
    ("GET", "/admin/tasks"): [303, 200, 403, 403],
    ("POST", "/api/v1/admin/tasks/catalogue"): [401, 422, 403, 403],  # empty body
    ("GET", "/api/v1/admin/tasks/rounds"): [401, 200, 403, 403],
    ("POST", "/api/v1/admin/tasks/rounds"): [401, 422, 403, 403],  # empty body
    ("POST", "/api/v1/admin/tasks/rounds/{name}/open-link"): [401, 422, 403, 403],  # no round
    ("POST", "/api/v1/admin/imports/tasks/catalogue"): [401, 422, 403, 403],  # empty file
    ("POST", "/api/v1/admin/imports/tasks/answers"): [401, 422, 403, 403],  # no round given
    # leadership modelling: everyone reads, leaders and admins write (literal ids: 422)
    ("GET", "/leaders"): [200, 200, 200, 200],
    ("GET", "/leaders/new"): [303, 200, 200, 403],
    ("POST", "/leaders/new"): [303, 403, 403, 403],  # no CSRF token
    ("GET", "/leaders/{post_id}"): [422, 422, 422, 422],
    ("GET", "/leaders/{post_id}/edit"): [303, 422, 422, 403],
    ("POST", "/leaders/{post_id}/edit"): [303, 422, 422, 403],
    ("POST", "/leaders/{post_id}/useful"): [422, 422, 422, 422],  # anonymous by design
    ("GET", "/api/v1/leaders/posts"): [200, 200, 200, 200],
    ("GET", "/api/v1/leaders/posts/{post_id}"): [422, 422, 422, 422],
    ("POST", "/api/v1/leaders/posts"): [401, 422, 422, 403],  # empty body
    ("PUT", "/api/v1/leaders/posts/{post_id}"): [401, 422, 422, 403],
    ("POST", "/api/v1/leaders/posts/{post_id}/useful"): [422, 422, 422, 422],
    # what stays the same: everyone reads, leaders and admins write
    ("GET", "/commitments"): [200, 200, 200, 200],
    ("GET", "/commitments/new"): [303, 200, 200, 403],
    ("POST", "/commitments/new"): [303, 403, 403, 403],  # no CSRF token
    ("GET", "/commitments/{statement_id}/edit"): [303, 422, 422, 403],
    ("POST", "/commitments/{statement_id}/edit"): [303, 422, 422, 403],
    ("POST", "/commitments/{statement_id}/retire"): [303, 422, 422, 403],
    ("GET", "/api/v1/commitments"): [200, 200, 200, 200],
    ("GET", "/api/v1/commitments/{statement_id}"): [422, 422, 422, 422],
    ("POST", "/api/v1/commitments"): [401, 422, 422, 403],  # empty body
    ("PUT", "/api/v1/commitments/{statement_id}"): [401, 422, 422, 403],
    ("POST", "/api/v1/commitments/{statement_id}/retire"): [401, 422, 422, 403],
    # success criteria: admins and leaders define and revise, every staff role reads
    ("GET", "/criteria"): [303, 200, 200, 200],
    ("GET", "/criteria/new"): [303, 200, 200, 403],
    ("POST", "/criteria/new"): [303, 403, 403, 403],  # no CSRF token (analyst: role first)
    ("GET", "/criteria/{criterion_id}"): [303, 422, 422, 422],  # not an id
    ("GET", "/criteria/{criterion_id}/edit"): [303, 422, 422, 403],
    ("POST", "/criteria/{criterion_id}/edit"): [303, 422, 422, 403],
    ("POST", "/criteria/{criterion_id}/retire"): [303, 422, 422, 403],
    ("POST", "/criteria/{criterion_id}/delete"): [303, 422, 422, 403],
    ("GET", "/api/v1/criteria"): [401, 200, 200, 200],
    ("POST", "/api/v1/criteria"): [401, 422, 422, 403],  # empty body
    ("GET", "/api/v1/criteria/{criterion_id}"): [401, 422, 422, 422],
    ("PATCH", "/api/v1/criteria/{criterion_id}"): [401, 422, 422, 403],
    ("DELETE", "/api/v1/criteria/{criterion_id}"): [401, 422, 422, 403],
    ("POST", "/api/v1/criteria/{criterion_id}/retire"): [401, 422, 422, 403],
    # the action plan: admins and leaders adopt and change, every staff role reads
    ("GET", "/actions"): [303, 200, 200, 200],
    ("POST", "/actions/adopt"): [303, 403, 403, 403],  # no CSRF token (analyst: role first)
    ("POST", "/actions/{action_id}"): [303, 422, 422, 403],  # not an id
    ("GET", "/api/v1/actions"): [401, 200, 200, 200],
    ("POST", "/api/v1/actions"): [401, 422, 422, 403],  # empty body
    ("POST", "/api/v1/actions/adopt"): [401, 422, 422, 403],
    ("GET", "/api/v1/actions/{action_id}"): [401, 422, 422, 422],
    ("PATCH", "/api/v1/actions/{action_id}"): [401, 422, 422, 403],
    # the what's-working log: every staff role logs and reads wins
    ("GET", "/wins"): [303, 200, 200, 200],
    ("POST", "/wins"): [303, 403, 403, 403],  # no CSRF token
    ("GET", "/wins/{win_id}"): [303, 422, 422, 422],
    ("GET", "/api/v1/wins"): [401, 200, 200, 200],
    ("POST", "/api/v1/wins"): [401, 422, 422, 422],  # empty body
    ("GET", "/api/v1/wins/{win_id}"): [401, 422, 422, 422],
}


@pytest.mark.parametrize("role", ROLES)
def test_route_by_role(client: TestClient, role: str):
    if role != "anonymous":
        sign_in(client, role)
    index = ROLES.index(role)
    for (method, path), expected in MATRIX.items():
        response = client.request(method, path, follow_redirects=False)
        assert response.status_code == expected[index], (method, path, role)
        if response.status_code == 303:
            assert response.headers["location"].startswith("/login")


def test_every_registered_route_is_in_the_matrix(client: TestClient):
    """A new route must be added to the matrix, so no route escapes the authorisation check."""
    spec = client.get("/openapi.json").json()
    api_paths = {("GET" if "get" in ops else "POST", path) for path, ops in spec["paths"].items()}
    missing = {p for p in api_paths if p not in MATRIX}
    assert not missing
