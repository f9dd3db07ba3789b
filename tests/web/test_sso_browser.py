"""Single sign-on end to end in real Chromium against a real OpenID provider (the npm package
oidc-provider, started on loopback by tests/web/oidc/server.py): sign-in with the mapped
role, sign-out, and every refusal the provider cannot make for us (wrong audience, expired
ID token, replayed code, no role)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from sqlalchemy import select

from gaplens.accounts.models import StaffSession, StaffUser
from gaplens.audit.models import AuditEvent
from gaplens.db.engine import session_scope
from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.web.axe import assert_no_violations
from tests.web.conftest import free_port
from tests.web.oidc.server import SsoStack, require_provider, sso_stack

pytestmark = pytest.mark.browser


@pytest.fixture
def start_sso(web_db: str) -> Iterator[Callable[[str], SsoStack]]:
    require_provider()
    with ExitStack() as stack:

        def start(client_id: str) -> SsoStack:
            return stack.enter_context(sso_stack(web_db, client_id, free_port(), free_port()))

        yield start


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def new_page(browser: Any) -> Any:
    context = browser.new_context()

    # The provider's dev pages load a web font; nothing may leave the host.
    def only_loopback(route: Any) -> None:
        url = route.request.url
        if url.startswith(("http://127.0.0.1:", "http://localhost:")):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", only_loopback)
    return context.new_page()


def sign_in_at_provider(page: Any, stack: SsoStack, login: str) -> None:
    """From gaplens's sign-in page through oidc-provider's dev login and consent forms."""
    page.goto(stack.base + "/dashboard")
    assert page.url.startswith(stack.base + "/login")
    assert page.locator("#password").count() == 0  # password sign-in is off
    assert_no_violations(page, "sign-in page with single sign-on only")
    page.get_by_role("link", name="Sign in with Northwind ID").click()
    page.wait_for_url(stack.issuer + "/**")
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any password")
    page.locator("button[type=submit]").click()
    page.wait_for_load_state()
    if (
        page.url.startswith(stack.issuer)
        and page.locator("input[name=prompt][value=consent]").count()
    ):
        page.locator("button[type=submit]").click()


def accounts(web_db: str) -> dict[str, StaffUser]:
    with session_scope(web_db) as session:
        users = session.scalars(select(StaffUser).where(StaffUser.sso_subject.is_not(None)))
        result = {u.sso_subject or "": u for u in users}
        session.expunge_all()
    return result


def audit(web_db: str) -> list[tuple[str, str, dict[str, object] | None]]:
    with session_scope(web_db) as session:
        return [
            (e.actor, e.action, e.detail)
            for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))
            if e.action.startswith("sso") or e.action in ("sign_in", "sign_out")
        ]


def test_sign_in_lands_on_the_dashboard_with_the_mapped_role(
    start_sso: Callable[[str], SsoStack], browser: Any, web_db: str
) -> None:
    stack = start_sso("gaplens")
    page = new_page(browser)
    sign_in_at_provider(page, stack, "alice")
    page.wait_for_url(stack.base + "/dashboard")
    assert page.get_by_role("button", name="Sign out Alice Leader").first.is_visible()
    alice = accounts(web_db)["alice"]
    assert (alice.email, alice.role.value, alice.sso_issuer) == (
        "alice@northwind.example",
        "leader",
        stack.issuer,
    )
    # A leader, not an admin: the admin pages stay shut.
    assert page.goto(stack.base + "/admin/users").status == 403
    events = audit(web_db)
    actor = f"staff:{alice.id}"
    assert (actor, "sso_account_created", {"issuer": stack.issuer, "role": "leader"}) in events
    assert (actor, "sign_in", {"method": "oidc", "issuer": stack.issuer}) in events
    assert not any("eyJ" in str(detail) for _, _, detail in events)  # no token in the log

    # Signing in again reuses the account (linked by issuer and subject, not email).
    second = new_page(browser)
    sign_in_at_provider(second, stack, "alice")
    second.wait_for_url(stack.base + "/dashboard")
    assert list(accounts(web_db)) == ["alice"]


def test_admin_group_gives_admin(
    start_sso: Callable[[str], SsoStack], browser: Any, web_db: str
) -> None:
    stack = start_sso("gaplens")
    page = new_page(browser)
    sign_in_at_provider(page, stack, "adam")
    page.wait_for_url(stack.base + "/dashboard")
    assert accounts(web_db)["adam"].role.value == "admin"
    assert page.goto(stack.base + "/admin/users").status == 200


def refused(page: Any, stack: SsoStack, text: str) -> None:
    page.wait_for_url(re.compile(re.escape(stack.base + "/login/sso/callback") + ".*"))
    assert text in page.locator("main").inner_text()
    assert_no_violations(page, "single sign-on refused")
    # No session: the dashboard still asks for a sign-in.
    page.goto(stack.base + "/dashboard")
    assert page.url.startswith(stack.base + "/login")


@pytest.mark.parametrize(
    ("client_id", "message"),
    [
        ("gaplens-wrong-aud", "its 'aud' claim is not right"),
        ("gaplens-expired", "The ID token has expired"),
        ("gaplens-wrong-nonce", "its 'nonce' claim is not right"),
        ("gaplens-wrong-iss", "its 'iss' claim is not right"),
        ("gaplens-forged", "The ID token's signature is not valid"),
    ],
)
def test_a_token_that_fails_a_check_is_refused(
    start_sso: Callable[[str], SsoStack], browser: Any, web_db: str, client_id: str, message: str
) -> None:
    stack = start_sso(client_id)
    page = new_page(browser)
    statuses: list[int] = []
    page.on(
        "response",
        lambda r: statuses.append(r.status) if "/login/sso/callback" in r.url else None,
    )
    sign_in_at_provider(page, stack, "alice")
    refused(page, stack, message)
    assert statuses == [400]
    assert accounts(web_db) == {}
    assert ("anonymous", "sso_refused", {"reason": "token", "status": 400}) in audit(web_db)


def test_a_replayed_authorisation_code_is_refused(
    start_sso: Callable[[str], SsoStack], browser: Any, web_db: str
) -> None:
    stack = start_sso("gaplens")
    page = new_page(browser)
    callbacks: list[str] = []
    page.on(
        "request", lambda r: callbacks.append(r.url) if "/login/sso/callback" in r.url else None
    )
    sign_in_at_provider(page, stack, "alice")
    page.wait_for_url(stack.base + "/dashboard")
    (used,) = callbacks

    # The same callback again (say, from a browser history or a log): its state is spent.
    attacker = new_page(browser)
    attacker.goto(used)
    assert "not valid any more" in attacker.locator("main").inner_text()

    # The code with a sign-in under way in this browser but another state: refused, audited.
    assert attacker.context.request.get(stack.base + "/login/sso", max_redirects=0).status == 303
    wrong = attacker.goto(f"{stack.base}/login/sso/callback?code=x&state=not-the-state")
    assert wrong.status == 400
    assert ("anonymous", "sso_refused", {"reason": "state", "status": 400}) in audit(web_db)

    # The code with a fresh, valid state: the provider refuses a code used before.
    # (The browser context's request API shares its cookies: the sign-in cookie is set.)
    start = attacker.context.request.get(stack.base + "/login/sso", max_redirects=0)
    assert start.status == 303
    authorize = start.headers["location"]
    assert authorize.startswith(stack.issuer + "/auth?")
    state = re.search(r"[?&]state=([^&]+)", authorize)
    code = re.search(r"[?&]code=([^&]+)", used)
    assert state and code
    response = attacker.goto(
        f"{stack.base}/login/sso/callback?code={code.group(1)}&state={state.group(1)}"
    )
    assert response.status == 400
    assert "refused the sign-in (invalid_grant)" in attacker.locator("main").inner_text()
    assert ("anonymous", "sso_refused", {"reason": "token", "status": 400}) in audit(web_db)
    attacker.goto(stack.base + "/dashboard")
    assert attacker.url.startswith(stack.base + "/login")


def test_no_role_is_403_and_no_account(
    start_sso: Callable[[str], SsoStack], browser: Any, web_db: str
) -> None:
    stack = start_sso("gaplens")
    page = new_page(browser)
    statuses: list[int] = []
    page.on(
        "response",
        lambda r: statuses.append(r.status) if "/login/sso/callback" in r.url else None,
    )
    sign_in_at_provider(page, stack, "nora")
    refused(page, stack, "does not give you a gaplens role")

    assert statuses == [403]
    assert accounts(web_db) == {}
    with session_scope(web_db) as session:
        assert (
            session.scalars(
                select(StaffUser).where(StaffUser.email == "nora@northwind.example")
            ).first()
            is None
        )
    assert ("anonymous", "sso_refused", {"reason": "no role", "status": 403}) in audit(web_db)


def test_sign_out_ends_the_session_here_and_at_the_provider(
    start_sso: Callable[[str], SsoStack], browser: Any, web_db: str
) -> None:
    stack = start_sso("gaplens")
    page = new_page(browser)
    sign_in_at_provider(page, stack, "alice")
    page.wait_for_url(stack.base + "/dashboard")
    page.get_by_role("button", name="Sign out Alice Leader").first.click()
    # gaplens's session ends first, then the provider asks to confirm its own sign-out.
    page.wait_for_url(stack.issuer + "/session/end**")
    page.get_by_role("button", name=re.compile("Yes, sign me out", re.I)).click()
    page.wait_for_url(stack.base + "/")
    page.goto(stack.base + "/dashboard")
    assert page.url.startswith(stack.base + "/login")
    alice = accounts(web_db)["alice"]
    with session_scope(web_db) as session:
        assert (
            session.scalars(select(StaffSession).where(StaffSession.user_id == alice.id)).all()
            == []
        )
    assert (f"staff:{alice.id}", "sign_out", None) in audit(web_db)
    # The provider's session is gone too: signing in again asks for the login.
    page.goto(stack.base + "/login/sso")
    page.wait_for_url(stack.issuer + "/**")
    assert page.locator("input[name=login]").count() == 1
