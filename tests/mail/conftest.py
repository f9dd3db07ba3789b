"""A real SMTP server on loopback (aiosmtpd): STARTTLS with a throwaway CA (trustme), AUTH
LOGIN/PLAIN, and recipients it refuses with 550; what arrives is kept, with its arrival
time, for the tests to parse with `email`."""

from __future__ import annotations

import contextlib
import email
import email.policy
import socket
import ssl
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import select

from gaplens.db.engine import session_scope
from gaplens.directory.models import Person, Team
from gaplens.directory.schemas import RoleLevel
from tests.web.conftest import (  # noqa: F401 - the web fixtures, for the app and its data
    client,
    demo_files,
    loaded_postgres,
    loaded_sqlite,
    web_db,
)

USER, PASSWORD = "gaplens-relay", "relay pass word"


@dataclass
class Arrived:
    to: list[str]
    message: EmailMessage
    at: float
    raw: bytes = b""
    """The message as it crossed the wire (its encoded headers and charset)."""


@dataclass
class Handler:
    refused: set[str] = field(default_factory=set)
    arrived: list[Arrived] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.refused:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.arrived.append(
            Arrived(list(envelope.rcpt_tos), parsed, time.monotonic(), bytes(envelope.content))
        )
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [a.message for a in self.arrived if address in a.to]

    def raw_to(self, address: str) -> list[bytes]:
        return [a.raw for a in self.arrived if address in a.to]


@dataclass
class SmtpServer:
    host: str
    port: int
    ca_file: Path
    handler: Handler


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def smtp_server(ca: trustme.CA, tmp_path: Path) -> Iterator[SmtpServer]:
    handler = Handler()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            USER.encode(),
            PASSWORD.encode(),
        )
        if ok:
            handler.logins.append(mechanism)
        return AuthResult(success=ok, handled=False)

    port = free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
        authenticator=authenticate,
    )
    controller.start()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    try:
        yield SmtpServer("127.0.0.1", port, ca_file, handler)
    finally:
        controller.stop()


@pytest.fixture
def mail_env(smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> SmtpServer:
    """The environment gaplens reads: this server, STARTTLS, AUTH, fast retries."""
    for name, value in {
        "GAPLENS_SMTP_HOST": smtp_server.host,
        "GAPLENS_SMTP_PORT": str(smtp_server.port),
        "GAPLENS_SMTP_SECURITY": "starttls",
        "GAPLENS_SMTP_USERNAME": USER,
        "GAPLENS_SMTP_PASSWORD": PASSWORD,
        "GAPLENS_SMTP_FROM": "AI pulse <ai-pulse@northwind.example>",
        "GAPLENS_SMTP_CA_FILE": str(smtp_server.ca_file),
        "GAPLENS_MAIL_PER_MINUTE": "6000",
        "GAPLENS_MAIL_RETRY_SECONDS": "0.05",
        "GAPLENS_BASE_URL": "http://testserver",
    }.items():
        monkeypatch.setenv(name, value)
    return smtp_server


def small_team(url: str, people: int = 4) -> tuple[str, list[str]]:
    """A new team below the first team, with a handful of new people: (key, their emails)."""
    with session_scope(url) as session:
        parent = session.scalars(select(Team).order_by(Team.id)).first()
        assert parent is not None
        team = Team(
            organisation_id=parent.organisation_id,
            key="mail-pilot",
            name="Mail pilot",
            function=parent.function,
            parent_id=parent.id,
        )
        session.add(team)
        session.flush()
        emails = [f"pilot{n}@northwind.example" for n in range(1, people + 1)]
        for n, address in enumerate(emails, start=1):
            session.add(
                Person(
                    id=str(uuid.uuid4()),
                    organisation_id=parent.organisation_id,
                    email=address,
                    display_name=f"Pilot {n}",
                    role_level=RoleLevel.INDIVIDUAL_CONTRIBUTOR,
                    function=parent.function or "Engineering",
                    team_id=team.id,
                )
            )
        return team.key, emails


class DisconnectingServer:
    """A 'server' that accepts connections and drops them at once, counting them."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = int(self.sock.getsockname()[1])
        self.connections = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            connection.close()

    def close(self) -> None:
        """Stops accepting and joins the thread (closing alone does not wake a blocked
        accept on Linux; shutting the socket down does), so no thread outlives the test."""
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self._thread.join(timeout=5)
