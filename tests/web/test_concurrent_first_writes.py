"""Two requests that create the same thing at the same moment, through real HTTP on both
backends: two first sign-ins of one OpenID subject (against the real provider, without a
browser, so both callbacks can be fired together) both sign in to one account; two SCIM
creates of one user give one 201 and one RFC 7644 409 `uniqueness`, never a 500."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar
from urllib.parse import urljoin

import httpx
from sqlalchemy import func, select

from gaplens.accounts.models import StaffUser
from gaplens.audit.models import AuditEvent
from gaplens.db.engine import session_scope
from gaplens.directory.models import Person, Team
from gaplens.scim.service import create_token
from tests.web.conftest import free_port
from tests.web.oidc.server import SsoStack, require_provider, sso_stack
from tests.web.test_scim import ERROR, GROUP, auth, entra_user

T = TypeVar("T")
INPUT = re.compile(r"<input\b([^>]*)>", re.IGNORECASE)
ATTRIBUTE = re.compile(r'(\w+)="([^"]*)"')


def together(calls: list[Callable[[], T]]) -> list[T]:
    """Run the calls in threads released by one barrier, so their requests overlap."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T:
        barrier.wait(timeout=30)
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def provider_round_trip(stack: SsoStack, login: str) -> tuple[httpx.Client, str]:
    """Start a sign-in at gaplens and go through oidc-provider's login and consent forms as
    a browser would, stopping at the redirect back to gaplens: (this browser's gaplens
    client, holding its sign-in cookie; the callback URL with its code and state)."""
    gaplens = httpx.Client(base_url=stack.base, timeout=30)
    started = gaplens.get("/login/sso")
    assert started.status_code == 303, started.text
    url = started.headers["location"]
    with httpx.Client(timeout=30) as provider:
        response = provider.get(url)
        for _ in range(12):
            if response.is_redirect:
                url = urljoin(url, response.headers["location"])
                if url.startswith(stack.base):
                    return gaplens, url
                response = provider.get(url)
                continue
            form = re.search(r'<form[^>]*action="([^"]+)"', response.text)
            assert form, response.text[:500]
            fields = {}
            for tag in INPUT.findall(response.text):
                attributes = dict(ATTRIBUTE.findall(tag))
                if "name" in attributes:
                    fields[attributes["name"]] = attributes.get("value", "")
            if "login" in fields:
                fields |= {"login": login, "password": "any password"}
            url = urljoin(url, form.group(1))
            response = provider.post(url, data=fields)
    raise AssertionError("the provider never sent the browser back to gaplens")


def test_two_first_sign_ins_of_one_subject_both_land_in_one_account(web_db: str) -> None:
    require_provider()
    with sso_stack(web_db, "gaplens", free_port(), free_port()) as stack:
        for login in ("alice", "adam"):  # two rounds: each a first sign-in
            browsers = [provider_round_trip(stack, login) for _ in range(2)]
            try:
                answers = together([lambda b=browser, u=url: b.get(u) for browser, url in browsers])
            finally:
                for browser, _ in browsers:
                    browser.close()
            for answer in answers:
                assert answer.status_code == 200, answer.text[:500]
                assert "You are signed in as" in answer.text
                assert "gaplens_session" in answer.headers.get("set-cookie", "")
            with session_scope(web_db) as session:
                users = session.scalars(
                    select(StaffUser).where(StaffUser.sso_subject == login)
                ).all()
                assert len(users) == 1, "one account, whichever request made it"
                actor = f"staff:{users[0].id}"
                actions = session.scalars(
                    select(AuditEvent.action).where(AuditEvent.actor == actor)
                ).all()
            assert actions.count("sso_account_created") == 1
            assert actions.count("sign_in") == 2


def test_two_scim_creates_of_one_user_give_one_201_and_one_409(
    live_server: str, web_db: str
) -> None:
    with session_scope(web_db) as session:
        token = create_token(session, "okta")
    rounds = 20
    for n in range(rounds):
        email = f"race{n}@example.org"
        body = entra_user(email, externalId=f"race-{n}")

        def create(body: dict[str, object] = body) -> httpx.Response:
            with httpx.Client(base_url=live_server, timeout=30) as http:
                return http.post("/scim/v2/Users", json=body, headers=auth(token))

        answers = together([create, create])
        assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
        loser = next(a for a in answers if a.status_code == 409)
        assert loser.headers["content-type"].startswith("application/scim+json")
        error = loser.json()
        assert error["schemas"] == [ERROR] and error["status"] == "409"
        assert error["scimType"] == "uniqueness" and error["detail"]
        with session_scope(web_db) as session:
            assert session.scalar(select(func.count()).where(Person.email == email)) == 1
    with session_scope(web_db) as session:
        created = session.scalar(
            select(func.count()).where(AuditEvent.action == "scim_create_user")
        )
    assert created == rounds, "one audit entry per user created, none for a loser"


def test_two_scim_creates_of_one_group_give_one_201_and_one_409(
    live_server: str, web_db: str
) -> None:
    with session_scope(web_db) as session:
        token = create_token(session, "okta")
    rounds = 20
    for n in range(rounds):
        body = {"schemas": [GROUP], "displayName": f"Race Guild {n}", "members": []}

        def create(body: dict[str, object] = body) -> httpx.Response:
            with httpx.Client(base_url=live_server, timeout=30) as http:
                return http.post("/scim/v2/Groups", json=body, headers=auth(token))

        answers = together([create, create])
        assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
        error = next(a for a in answers if a.status_code == 409).json()
        assert error["schemas"] == [ERROR] and error["scimType"] == "uniqueness"
        with session_scope(web_db) as session:
            assert session.scalar(select(func.count()).where(Team.key == f"race-guild-{n}")) == 1
    with session_scope(web_db) as session:
        created = session.scalar(
            select(func.count()).where(AuditEvent.action == "scim_create_group")
        )
    assert created == rounds, "one audit entry per group created, none for a loser"
