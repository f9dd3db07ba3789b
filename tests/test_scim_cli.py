"""`gaplens scim token create|list|revoke`: the token printed once, stored hashed, audited."""

from __future__ import annotations

from sqlalchemy import select
from typer.testing import CliRunner

from gaplens.audit.models import AuditEvent
from gaplens.cli import app
from gaplens.db.engine import session_scope
from gaplens.scim.models import ScimToken
from gaplens.scim.service import token_actor

runner = CliRunner()


def test_create_list_revoke(db_url: str) -> None:
    created = runner.invoke(app, ["scim", "token", "create", "entra-id", "--db", db_url])
    assert created.exit_code == 0, created.output
    token = created.output.strip().splitlines()[-1]
    assert token.startswith("gaplens_scim_")
    with session_scope(db_url) as session:
        assert token_actor(session, token) == "scim:entra-id"
        stored = session.scalars(select(ScimToken)).one()
        assert token not in (stored.token_hash, stored.name)
    listed = runner.invoke(app, ["scim", "token", "list", "--db", db_url])
    assert listed.exit_code == 0 and "entra-id" in listed.output and token not in listed.output
    again = runner.invoke(app, ["scim", "token", "create", "entra-id", "--db", db_url])
    assert again.exit_code == 2 and "already exists" in again.output
    assert "Traceback" not in again.output
    revoked = runner.invoke(app, ["scim", "token", "revoke", "entra-id", "--db", db_url])
    assert revoked.exit_code == 0, revoked.output
    unknown = runner.invoke(app, ["scim", "token", "revoke", "entra-id", "--db", db_url])
    assert unknown.exit_code == 2 and "no SCIM token named 'entra-id'" in unknown.output
    with session_scope(db_url) as session:
        assert token_actor(session, token) is None
        events = [
            (e.actor, e.action, e.target)
            for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        ]
    assert events == [
        ("cli", "scim_token_create", "entra-id"),
        ("cli", "scim_token_revoke", "entra-id"),
    ]
