"""`gaplens sync` of a GitHub Copilot connection at enterprise level, against the local GitHub
serving `/enterprises/{enterprise}/...`: the same importers as an organisation's, with the
enterprise as the scope, on both databases."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from gaplens.cli import app
from tests.sync.fake_github import ENTERPRISE, ORG, TODAY, TOKEN, FakeGitHub
from tests.sync.killing import kill_sync_while_it_waits
from tests.sync.test_sync import (
    KEY,
    cursors,
    load_directory,
    one,
    secret_key,
    snapshot,
    sync,
)
from tests.telemetry.helpers import invoke, rows

__all__ = ["secret_key"]  # the autouse fixture setting GAPLENS_SECRET_KEY

REPORTS = f"/enterprises/{ENTERPRISE}/copilot/metrics/reports"
SEATS = f"/enterprises/{ENTERPRISE}/copilot/billing/seats"


@pytest.fixture
def github(httpserver: HTTPServer) -> FakeGitHub:
    return FakeGitHub(httpserver, enterprise=True)


def connect_enterprise(url: str, github: FakeGitHub) -> None:
    result = CliRunner().invoke(
        app,
        [
            "connect",
            "copilot",
            "--enterprise",
            ENTERPRISE,
            "--token-env",
            "GH_TOKEN",
            "--base-url",
            github.base_url,
            "--db",
            url,
        ],
        env={"GH_TOKEN": TOKEN},
    )
    assert result.exit_code == 0, result.output
    assert TOKEN not in result.output
    assert f"copilot-enterprise-{ENTERPRISE}" in result.output


def test_an_enterprise_syncs_through_the_same_importers_with_its_scope(
    db_url: str, tmp_path: Path, github: FakeGitHub
):
    load_directory(db_url, tmp_path)
    connect_enterprise(db_url, github)
    assert one(db_url, "select kind from connection") == "copilot-enterprise"
    outcome = sync(db_url)
    assert outcome.ok, outcome.error
    # The enterprise's endpoints only: nothing asked of an organisation.
    assert github.calls[f"{REPORTS}/enterprise-28-day/latest"] == 1
    assert github.calls[f"{REPORTS}/users-28-day/latest"] == 1
    assert github.calls[f"{REPORTS}/enterprise-1-day?day=2026-11-06"] == 1
    assert github.calls[f"{SEATS}?per_page=100&page=3"] == 1
    assert not any(path.startswith(("/orgs/", "/organizations/")) for path in github.calls)
    # The aggregate report is stored under the enterprise (enterprise_id), per-user days as
    # an organisation's would be.
    assert rows(db_url, "select scope, count(*) from copilot_org_day group by scope") == [
        ("enterprise:77", 28 + 4)
    ]
    assert one(db_url, "select count(*) from copilot_user_day") == 6 * (28 + 4)
    assert one(db_url, "select count(*) from ai_usage_day") == 2 * 6 * (28 + 4)
    assert rows(db_url, "select distinct org from copilot_seat") == [(f"enterprise:{ENTERPRISE}",)]
    assert one(db_url, "select count(*) from copilot_seat") == 7
    seat_run = "select scope, source_name from import_run where kind = 'copilot-seats'"
    assert rows(db_url, seat_run) == [(f"enterprise:{ENTERPRISE}", f"{github.base_url}{SEATS}")]
    licences = dict(rows(db_url, "select email, ai_licence_date from person"))
    assert str(licences["person0@acme.example"]) == "2026-01-10"
    assert cursors(db_url) == {
        "enterprise": "2026-11-09",
        "premium_requests": "2026-10",
        "seats": TODAY.isoformat(),
        "users": "2026-11-09",
    }

    # Incremental: two days later only the two new days are asked for; a re-run of the same
    # day stores the same rows.
    before = snapshot(db_url)
    github.calls.clear()
    later = TODAY + dt.timedelta(days=2)
    github.today = later
    assert sync(db_url, today=later).ok
    asked = sorted(p for p in github.calls if "/metrics/reports/" in p)
    assert asked == [
        f"{REPORTS}/enterprise-1-day?day=2026-11-10",
        f"{REPORTS}/enterprise-1-day?day=2026-11-11",
        f"{REPORTS}/users-1-day?day=2026-11-10",
        f"{REPORTS}/users-1-day?day=2026-11-11",
    ]
    assert one(db_url, "select count(*) from copilot_user_day") == 6 * (28 + 6)
    after = snapshot(db_url)
    assert after != before
    assert sync(db_url, today=later).ok
    assert snapshot(db_url) == after


def test_connect_takes_one_of_org_and_enterprise(db_url: str):
    for extra in ([], ["--org", ORG, "--enterprise", ENTERPRISE]):
        result = CliRunner().invoke(
            app,
            ["connect", "copilot", *extra, "--token-env", "GH_TOKEN", "--db", db_url],
            env={"GH_TOKEN": TOKEN},
        )
        assert result.exit_code == 2, result.output
        assert "give one of --org and --enterprise" in result.output
    assert one(db_url, "select count(*) from connection") == 0


def test_an_expired_token_stops_an_enterprise_sync(db_url: str, github: FakeGitHub):
    connect_enterprise(db_url, github)
    github.fail("401", r"billing/seats", times=100)
    code, output = invoke("sync", "copilot-enterprise", "--db", db_url)
    assert code == 1
    assert "token rejected" in output and TOKEN not in output
    assert one(db_url, "select last_error from connection").startswith("token rejected")
    assert one(db_url, "select count(*) from import_run") == 0


def test_an_enterprise_sync_killed_mid_download_loses_nothing(
    db_url: str, twin_db_url: str, tmp_path: Path, github: FakeGitHub
):
    """`kill -9` of a real `gaplens sync` process while it downloads the enterprise's report."""
    for n, url in enumerate((db_url, twin_db_url)):
        (tmp_path / str(n)).mkdir()
        load_directory(url, tmp_path / str(n))
        connect_enterprise(url, github)
    assert sync(twin_db_url).ok
    github.fail("hang", r"/download/enterprise/2026-11-07")
    kill_sync_while_it_waits(db_url, github, KEY, tmp_path / "sync.log", "the download")
    assert cursors(db_url)["enterprise"] == "2026-11-06"
    assert "users" not in cursors(db_url)
    assert sync(db_url, today=TODAY).ok
    assert snapshot(db_url) == snapshot(twin_db_url)
    assert cursors(db_url) == cursors(twin_db_url)
