"""Starts the real OpenID provider (tests/web/oidc/provider.mjs, the npm package
oidc-provider) and gaplens configured for it, both on loopback, for the browser tests.

The provider is reached as `localhost` and gaplens as `127.0.0.1`: two sites, as in
production, so the browser applies its cross-site cookie rules to the round trip."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from gaplens.accounts.schemas import StaffRole
from gaplens.accounts.sso import OidcSettings
from gaplens.web.app import create_app
from gaplens.web.settings import WebSettings

ROOT = Path(__file__).resolve().parents[3]
VERSION = "9.13.3"
NODE_MODULES = ROOT / ".cache" / "oidc-provider" / VERSION / "node_modules"
SCRIPT = Path(__file__).with_name("provider.mjs")
ROLE_MAP = {
    "gaplens-admins": StaffRole.ADMIN,
    "gaplens-leaders": StaffRole.LEADER,
    "gaplens-analysts": StaffRole.ANALYST,
}


def require_provider() -> Path:
    """The installed oidc-provider, or a skip saying how to get it (never a failure)."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed: the OpenID provider for these tests cannot run")
    if not (NODE_MODULES / "oidc-provider" / "package.json").is_file():
        pytest.skip(
            f"oidc-provider {VERSION} is not installed: scripts/oidc-provider.sh fetches it "
            "from the npm registry (make test runs it); npm or the registry was not reachable"
        )
    return NODE_MODULES


@dataclass(frozen=True)
class SsoStack:
    base: str
    """gaplens, e.g. http://127.0.0.1:PORT"""
    issuer: str
    """the provider, e.g. http://localhost:PORT"""


@contextmanager
def sso_stack(web_db: str, client_id: str, port: int, provider_port: int) -> Iterator[SsoStack]:
    modules = require_provider()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "OIDC_NODE_MODULES": str(modules),
        "OIDC_PORT": str(provider_port),
        "OIDC_HOST": "localhost",
        "RP_BASE": base,
    }
    process = subprocess.Popen(
        ["node", str(SCRIPT)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("ready "):
            process.kill()
            _, err = process.communicate(timeout=5)
            raise RuntimeError(f"the OpenID provider did not start: {line}{err[-2000:]}")
        issuer = line.split()[1]
        settings = WebSettings(
            database_url=web_db,
            secure_cookies=False,
            slack_signing_secret="test-secret",
            oidc=OidcSettings(
                issuer=issuer,
                client_id=client_id,
                client_secret=f"{client_id}-secret",
                role_map=ROLE_MAP,
                provider_name="Northwind ID",
                scopes=("openid", "email", "profile", "groups"),
            ),
            password_login=False,
        )
        server = uvicorn.Server(
            uvicorn.Config(
                create_app(settings),
                host="127.0.0.1",
                port=port,
                log_level="warning",
                access_log=False,
            )
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        try:
            yield SsoStack(base, issuer)
        finally:
            server.should_exit = True
            thread.join(timeout=10)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        if process.stdout:
            process.stdout.close()
        if process.stderr:
            process.stderr.close()
