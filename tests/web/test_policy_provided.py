"""One privacy policy, provided from one place: routes read the app's, never their own."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from gaplens.privacy import MIN_GROUP_SIZE_FLOOR, PrivacyPolicy, configured_policy
from gaplens.web.app import create_app
from gaplens.web.settings import WebSettings
from tests.web.conftest import sign_in


def test_the_configured_policy_is_the_defaults_and_can_only_be_raised():
    assert configured_policy() == PrivacyPolicy()
    assert configured_policy() is configured_policy()  # one object, not one per caller
    assert configured_policy(7).min_group_size == 7
    assert configured_policy(7).min_comment_group_size == PrivacyPolicy().min_comment_group_size
    with pytest.raises(ValueError, match="never lowered"):
        configured_policy(MIN_GROUP_SIZE_FLOOR - 1)


def test_every_page_reads_the_policy_the_app_was_given(web_db: str):
    app = create_app(
        WebSettings(database_url=web_db, secure_cookies=False, slack_signing_secret="test-secret")
    )
    assert app.state.policy is configured_policy()
    app.state.policy = configured_policy(min_group_size=7)  # what a stricter setting would give
    with TestClient(app, base_url="http://testserver") as client:
        sign_in(client, "admin")
        admin = client.get("/admin/surveys")
        assert admin.status_code == 200 and "in steps of 7" in admin.text
        assert "in steps of 5" not in admin.text
        dashboard = client.get("/dashboard")
        assert dashboard.status_code == 200 and "groups of at least 7 responses" in dashboard.text
        shadow = client.get("/shadow")
        assert shadow.status_code == 200 and "Groups under 7 people" in shadow.text
