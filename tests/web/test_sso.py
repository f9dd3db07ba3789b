"""Single sign-on without a browser: settings parsing, the groups-to-role mapping, the
just-in-time account rules on a real database, and the sign-in page and routes through the
ASGI app. The full flow against a real provider is in test_sso_browser.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from gaplens.accounts.models import SsoLogin, StaffUser
from gaplens.accounts.schemas import StaffRole
from gaplens.accounts.service import authenticate
from gaplens.accounts.sso import (
    NO_PASSWORD,
    OidcSettings,
    SsoRefused,
    TakenLogin,
    begin_sso_login,
    claimed_groups,
    oidc_settings_from,
    parse_role_map,
    password_login_from,
    role_for_groups,
    sso_account,
    take_sso_login,
)
from gaplens.audit.models import AuditEvent
from gaplens.db.engine import session_scope
from gaplens.errors import InputError
from gaplens.web.app import create_app
from gaplens.web.security import ANON_CSRF_COOKIE
from gaplens.web.settings import WebSettings
from tests.web.conftest import STAFF

ISSUER = "https://login.example.com/tenant"
ENV = {
    "GAPLENS_OIDC_ISSUER": ISSUER,
    "GAPLENS_OIDC_CLIENT_ID": "gaplens",
    "GAPLENS_OIDC_CLIENT_SECRET": "s3cret",
    "GAPLENS_OIDC_ROLE_MAP": "gaplens-admins=admin, gaplens-leaders=Leader,0b1e-analysts=analyst",
}


def test_role_map_parses_names_object_ids_and_app_roles() -> None:
    assert parse_role_map("a=admin,  b = leader ,c=analyst,") == {
        "a": StaffRole.ADMIN,
        "b": StaffRole.LEADER,
        "c": StaffRole.ANALYST,
    }
    # A group name may itself hold "=" (the role is after the last one).
    assert parse_role_map("team=ai=leader") == {"team=ai": StaffRole.LEADER}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "admins=owner",
            "entry 1 'admins=owner': 'owner' is not a role (use admin, leader, analyst)",
        ),
        ("a=admin,just-a-group", "entry 2 'just-a-group' is not group=role"),
        ("=admin", "entry 1 '=admin' is not group=role"),
        ("a=admin,a=leader", "entry 2 'a=leader': group 'a' is mapped twice"),
        (" , ", "maps no group to a role"),
    ],
)
def test_a_bad_role_map_names_the_variable_and_entry(text: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_role_map(text)
    (problem,) = caught.value.problems
    assert problem.column == "GAPLENS_OIDC_ROLE_MAP"
    assert message in problem.message


def test_settings_from_the_environment() -> None:
    assert oidc_settings_from({}) is None
    settings = oidc_settings_from({**ENV, "GAPLENS_OIDC_SCOPES": "groups, email"})
    assert settings is not None
    assert settings.issuer == ISSUER
    # Kept exactly: some providers' issuers end in a slash, and `iss` is compared as is.
    slashed = oidc_settings_from({**ENV, "GAPLENS_OIDC_ISSUER": "https://id.example.com/"})
    assert slashed is not None and slashed.issuer == "https://id.example.com/"
    assert settings.groups_claim == "groups"
    assert settings.scopes == ("openid", "email", "profile", "groups")
    assert settings.role_map["0b1e-analysts"] is StaffRole.ANALYST
    assert settings.provider_name == "single sign-on"
    entra = oidc_settings_from(
        {**ENV, "GAPLENS_OIDC_GROUPS_CLAIM": "roles", "GAPLENS_OIDC_PROVIDER_NAME": "Entra ID"}
    )
    assert entra is not None and (entra.groups_claim, entra.provider_name) == ("roles", "Entra ID")


@pytest.mark.parametrize(
    ("env", "column", "message"),
    [
        (
            {"GAPLENS_OIDC_ISSUER": ISSUER},
            "GAPLENS_OIDC_ISSUER",
            "GAPLENS_OIDC_CLIENT_ID and GAPLENS_OIDC_CLIENT_SECRET and GAPLENS_OIDC_ROLE_MAP",
        ),
        ({**ENV, "GAPLENS_OIDC_ISSUER": "http://idp.example.com"}, "GAPLENS_OIDC_ISSUER", "https"),
        ({**ENV, "GAPLENS_OIDC_LEEWAY_SECONDS": "-5"}, "GAPLENS_OIDC_LEEWAY_SECONDS", "'-5'"),
        ({**ENV, "GAPLENS_OIDC_ROLE_MAP": "x=boss"}, "GAPLENS_OIDC_ROLE_MAP", "'boss'"),
    ],
)
def test_bad_settings_name_the_variable(env: dict[str, str], column: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        oidc_settings_from(env)
    (problem,) = caught.value.problems
    assert problem.column == column
    assert message in problem.message


def test_password_login_switch() -> None:
    oidc = oidc_settings_from(ENV)
    assert password_login_from({}, None) is True
    assert password_login_from({"GAPLENS_PASSWORD_LOGIN": "off"}, oidc) is False
    with pytest.raises(InputError, match="nobody could sign in"):
        password_login_from({"GAPLENS_PASSWORD_LOGIN": "off"}, None)
    with pytest.raises(InputError, match="'maybe' is not on or off"):
        password_login_from({"GAPLENS_PASSWORD_LOGIN": "maybe"}, oidc)


def test_the_most_capable_mapped_role_wins() -> None:
    role_map = parse_role_map(ENV["GAPLENS_OIDC_ROLE_MAP"])
    assert role_for_groups(["0b1e-analysts", "gaplens-leaders", "other"], role_map) is (
        StaffRole.LEADER
    )
    assert role_for_groups(["gaplens-admins", "0b1e-analysts"], role_map) is StaffRole.ADMIN
    assert role_for_groups(["other"], role_map) is None
    assert role_for_groups([], role_map) is None
    # Group names are compared exactly: no case folding, no prefix match.
    assert role_for_groups(["Gaplens-Admins", "gaplens-admins-old"], role_map) is None


def test_groups_claim_shapes() -> None:
    assert claimed_groups({"groups": ["a", "b"]}, "groups") == ["a", "b"]
    assert claimed_groups({"roles": "gaplens.admin"}, "roles") == ["gaplens.admin"]
    assert claimed_groups({"groups": None}, "groups") == []
    assert claimed_groups({}, "groups") == []
    assert claimed_groups({"groups": [{"nested": 1}, "a"]}, "groups") == ["a"]


def test_just_in_time_accounts(web_db: str) -> None:
    with session_scope(web_db) as session:
        with pytest.raises(SsoRefused, match="does not give you a gaplens role"):
            sso_account(session, ISSUER, "sub-1", "pat@northwind.example", "Pat", None)
        assert session.scalars(select(StaffUser).where(StaffUser.email.like("pat@%"))).all() == []
        first = sso_account(
            session, ISSUER, "sub-1", "Pat@Northwind.example", "Pat", StaffRole.ANALYST
        )
        assert first.created and first.user.email == "pat@northwind.example"
        assert first.user.password_hash == NO_PASSWORD
        # The role follows the provider's groups at each sign-in; the email is not the link.
        again = sso_account(
            session, ISSUER, "sub-1", "renamed@northwind.example", "Pat", StaffRole.LEADER
        )
        assert (again.created, again.role_changed, again.user.id) == (False, True, first.user.id)
        assert again.user.role is StaffRole.LEADER
        # Another provider's subject "sub-1" is someone else.
        with pytest.raises(SsoRefused) as taken:
            sso_account(
                session,
                "https://other.example",
                "sub-1",
                "pat@northwind.example",
                "",
                StaffRole.ADMIN,
            )
        assert taken.value.status_code == 409
        # An existing password account is never taken over by a matching email.
        with pytest.raises(SsoRefused, match="not linked to single sign-on"):
            sso_account(session, ISSUER, "sub-2", STAFF["admin"][0], "Evil", StaffRole.ADMIN)
        # An account an admin deactivated stays shut.
        first.user.active = False
        with pytest.raises(SsoRefused, match="deactivated"):
            sso_account(session, ISSUER, "sub-1", "pat@northwind.example", "Pat", StaffRole.ADMIN)
        # No password ever matches an account made by single sign-on.
        assert authenticate(session, "pat@northwind.example", NO_PASSWORD) is None


def test_a_pending_sign_in_is_used_once_and_bound_to_its_state(web_db: str) -> None:
    with session_scope(web_db) as session:
        key, pending = begin_sso_login(session, "/trend")
        state = pending.state
        assert take_sso_login(session, key, "wrong state") == TakenLogin(None, existed=True)
        # A wrong state spends the sign-in too: no guessing the state one try at a time.
        assert session.get(SsoLogin, pending.key_hash) is None
        assert take_sso_login(session, key, state) == TakenLogin(None, existed=False)
        key, pending = begin_sso_login(session, "/trend")
        taken = take_sso_login(session, key, pending.state).pending
        assert taken is not None and taken.next == "/trend" and taken.state != state
        assert take_sso_login(session, key, pending.state).pending is None
        assert take_sso_login(session, None, pending.state) == TakenLogin(None, existed=False)


OIDC = OidcSettings(
    issuer="http://127.0.0.1:9",  # nothing listens on the discard port
    client_id="gaplens",
    client_secret="secret",
    role_map={"gaplens-admins": StaffRole.ADMIN},
    provider_name="Northwind ID",
)


@pytest.fixture
def sso_client(web_db: str) -> Iterator[TestClient]:
    app = create_app(
        WebSettings(
            database_url=web_db,
            secure_cookies=False,
            slack_signing_secret="test-secret",
            oidc=OIDC,
            password_login=False,
        )
    )
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client


def test_password_off_shows_only_the_provider_and_refuses_passwords(
    sso_client: TestClient, web_db: str
) -> None:
    page = sso_client.get("/login?next=/trend")
    assert "Sign in with Northwind ID" in page.text
    assert 'href="/login/sso?next=/trend"' in page.text
    assert 'type="password"' not in page.text
    # A script that posts the form anyway, with a valid double-submit token.
    token = page.cookies[ANON_CSRF_COOKIE]
    response = sso_client.post(
        "/login",
        data={
            "email": STAFF["admin"][0],
            "password": "correct horse battery staple",
            "form_token": token,
        },
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert "Password sign-in is switched off" in response.text
    assert "gaplens_session" not in response.cookies


def test_password_and_provider_side_by_side(web_db: str) -> None:
    app = create_app(
        WebSettings(database_url=web_db, secure_cookies=False, slack_signing_secret="x", oidc=OIDC)
    )
    with TestClient(app) as client:
        page = client.get("/login").text
        assert "Sign in with Northwind ID" in page and 'type="password"' in page


def test_without_sso_the_routes_are_404(client: TestClient) -> None:
    assert "Sign in with" not in client.get("/login").text
    assert client.get("/login/sso", follow_redirects=False).status_code == 404
    assert client.get("/login/sso/callback?state=x&code=y").status_code == 404


def test_a_callback_without_its_sign_in_is_refused(sso_client: TestClient, web_db: str) -> None:
    response = sso_client.get("/login/sso/callback?state=forged&code=stolen")
    assert response.status_code == 400
    assert "not valid any more" in response.text
    assert "gaplens_session" not in response.cookies
    # No sign-in was under way in this browser: nothing is written, so anonymous requests
    # cannot fill the audit log. (A wrong state for a sign-in under way is audited:
    # test_sso_browser.py checks that.)
    with session_scope(web_db) as session:
        assert (
            session.scalars(select(AuditEvent).where(AuditEvent.action == "sso_refused")).all()
            == []
        )


def test_starting_sign_ins_is_rate_limited(web_db: str) -> None:
    app = create_app(
        WebSettings(
            database_url=web_db,
            secure_cookies=False,
            slack_signing_secret="x",
            oidc=OIDC,
            sso_starts_per_hour=2,
        )
    )
    with TestClient(app) as client:
        statuses = [client.get("/login/sso", follow_redirects=False).status_code for _ in range(3)]
    assert statuses == [502, 502, 429]  # nothing listens at the issuer: 502 until the limit


def test_an_unreachable_provider_is_a_clear_502(sso_client: TestClient, web_db: str) -> None:
    response = sso_client.get("/login/sso", follow_redirects=False)
    assert response.status_code == 502
    assert "could not be reached (discovery" in response.text
    assert "gaplens_sso" not in response.cookies
    with session_scope(web_db) as session:
        assert session.scalars(select(SsoLogin)).all() == []


def test_linking_a_password_account_through_the_cli(web_db: str) -> None:
    from typer.testing import CliRunner

    from gaplens.cli import app

    runner = CliRunner()
    email = STAFF["leader"][0]
    link = ["users", "link-sso", email, "--issuer", ISSUER, "--subject", "00u-lee", "--db", web_db]
    result = runner.invoke(app, link)
    assert result.exit_code == 0, result.output
    assert "password no longer works" in result.output
    with session_scope(web_db) as session:
        assert authenticate(session, email, "correct horse battery staple") is None
        account = sso_account(session, ISSUER, "00u-lee", email, "Leader", StaffRole.LEADER)
        assert not account.created and account.user.email == email
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "sso_account_linked")
        ).one()
        assert (event.actor, event.detail) == ("cli", {"issuer": ISSUER})
    # The same subject cannot be linked to a second account; bad input names its field.
    for args, message in (
        ([STAFF["admin"][0], "--issuer", ISSUER, "--subject", "00u-lee"], "already linked"),
        (["nobody@northwind.example", "--issuer", ISSUER, "--subject", "x"], "no staff account"),
        ([STAFF["admin"][0], "--issuer", "login.example.com", "--subject", "x"], "--issuer"),
    ):
        result = runner.invoke(app, ["users", "link-sso", *args, "--db", web_db])
        assert result.exit_code == 2 and message in result.output, result.output
        assert "Traceback" not in result.output


def test_serve_stops_on_a_wrong_setting_naming_it(
    web_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from gaplens.cli import app

    monkeypatch.setenv("GAPLENS_OIDC_ISSUER", ISSUER)
    monkeypatch.setenv("GAPLENS_OIDC_CLIENT_ID", "gaplens")
    monkeypatch.setenv("GAPLENS_OIDC_CLIENT_SECRET", "s3cret")
    monkeypatch.setenv("GAPLENS_OIDC_ROLE_MAP", "gaplens-admins=superuser")
    result = CliRunner().invoke(app, ["serve", "--db", web_db, "--port", "1"])
    assert result.exit_code == 2, result.output
    assert "GAPLENS_OIDC_ROLE_MAP" in result.output and "'superuser' is not a role" in result.output
    assert "Traceback" not in result.output


def test_an_overlong_target_is_a_clear_422(sso_client: TestClient) -> None:
    response = sso_client.get("/login/sso?next=/" + "a" * 600, follow_redirects=False)
    assert response.status_code == 422
    assert "next" in response.text
