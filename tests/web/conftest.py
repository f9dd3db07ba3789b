"""Web fixtures: a migrated database with a small synthetic organisation and three staff
accounts, served by the real ASGI app (TestClient) or by uvicorn on loopback (browser)."""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from gaplens.accounts.models import StaffRole
from gaplens.accounts.service import create_user
from gaplens.db.engine import dispose_engine, session_scope
from gaplens.demo.generator import (
    DemoFiles,
    SyntheticOrganisation,
    generate_organisation,
    write_demo_files,
)
from gaplens.demo.tasks import import_task_map, write_task_files
from gaplens.directory.service import import_people, import_teams
from gaplens.privacy import PrivacyPolicy
from gaplens.releases.service import build_all
from gaplens.surveys.service import import_responses
from gaplens.web.app import create_app
from gaplens.web.settings import WebSettings

PASSWORD = "correct horse battery staple"
STAFF = {
    "admin": ("admin@northwind.example", StaffRole.ADMIN),
    "leader": ("leader@northwind.example", StaffRole.LEADER),
    "analyst": ("analyst@northwind.example", StaffRole.ANALYST),
}


@pytest.fixture(scope="session")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> DemoFiles:
    return write_demo_files(
        generate_organisation(people=400, seed=1), tmp_path_factory.mktemp("org")
    )


def load(url: str, files: DemoFiles) -> None:
    with session_scope(url) as session:
        import_teams(session, files.teams, "Northwind Logistics")
        import_people(session, files.people)
        import_responses(session, files.responses, files.survey_name)
        build_all(session, PrivacyPolicy())
        for email, role in STAFF.values():
            create_user(session, email, email.split("@")[0].title(), role, PASSWORD)


@pytest.fixture(scope="session")
def loaded_sqlite(
    sqlite_template: Path, demo_files: DemoFiles, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The organisation loaded once into a SQLite file that each test copies (loading takes
    about a second: three Argon2 password hashes, the imports and the release)."""
    path = tmp_path_factory.mktemp("web-template") / "loaded.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    load(url, demo_files)
    dispose_engine(url)
    return path


@pytest.fixture(scope="session")
def loaded_postgres(postgres_admin_url: str, postgres_template: str, demo_files: DemoFiles) -> str:
    """The same, once, as a PostgreSQL template database."""
    name = f"gaplens_web_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{postgres_template}"'))
    admin.dispose()
    url = make_url(postgres_admin_url).set(database=name).render_as_string(hide_password=False)
    load(url, demo_files)
    dispose_engine(url)
    return name


@pytest.fixture
def web_db(request: pytest.FixtureRequest, db_url: str) -> str:
    """`db_url`'s database holding the loaded organisation, copied from a template made once
    per session, exactly as `load` would have written it."""
    if db_url.startswith("sqlite"):
        dispose_engine(db_url)
        shutil.copyfile(request.getfixturevalue("loaded_sqlite"), make_url(db_url).database or "")
        return db_url
    template = request.getfixturevalue("loaded_postgres")
    admin = create_engine(
        request.getfixturevalue("postgres_admin_url"), isolation_level="AUTOCOMMIT"
    )
    name = make_url(db_url).database
    dispose_engine(db_url)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    admin.dispose()
    return db_url


@pytest.fixture(scope="session")
def organisation() -> SyntheticOrganisation:
    return generate_organisation(people=400, seed=1)


@pytest.fixture
def task_link(web_db: str, organisation: SyntheticOrganisation, tmp_path: Path) -> str:
    """The demo's task catalogue and round imported into the web database: the open link."""
    files = write_task_files(organisation, tmp_path, 1)
    with session_scope(web_db) as session:
        _, path = import_task_map(session, files)
    return path


TEAMS_TOKEN = "dGVzdC10b2tlbi10ZXN0LXRva2VuLXRlc3QtdG9rZW4h"
"""A Teams security token (base64 of 32 bytes) for the `client` app."""


@pytest.fixture
def client(web_db: str) -> Iterator[TestClient]:
    app = create_app(
        WebSettings(
            database_url=web_db,
            secure_cookies=False,
            slack_signing_secret="test-secret",
            teams_security_tokens=(TEAMS_TOKEN,),
        )
    )
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client


def form_token(client: TestClient, path: str) -> str:
    page = client.get(path)
    match = re.search(r'name="(?:form_token|csrf_token)" value="([^"]+)"', page.text)
    assert match, f"no form token on {path}"
    return match.group(1)


def sign_in(client: TestClient, who: str) -> None:
    token = form_token(client, "/login")
    response = client.post(
        "/login",
        data={
            "email": STAFF[who][0],
            "password": PASSWORD,
            "form_token": token,
            "next": "/dashboard",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def served(app: Any) -> Iterator[str]:
    """`app` under uvicorn on a free loopback port, in a thread, for the real browser; the
    server is stopped and its thread joined on exit."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def live_server(web_db: str) -> Iterator[str]:
    """The app under uvicorn on a loopback port, for the real browser."""
    app = create_app(
        WebSettings(database_url=web_db, secure_cookies=False, slack_signing_secret="test-secret")
    )
    with served(app) as origin:
        yield origin


ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
