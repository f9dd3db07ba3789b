"""Scheduled release builds: the web server builds by itself, one build at a time across
processes (a database lease), and logs no figure."""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from gaplens.cli import app as cli
from gaplens.db.engine import session_scope
from gaplens.privacy import configured_policy
from gaplens.releases.models import Release
from gaplens.releases.schedule.models import ReleaseBuildLease
from gaplens.releases.schedule.service import (
    build_lease,
    guarded_build,
    scheduled_build,
    take_lease,
)
from gaplens.web.app import create_app
from gaplens.web.schedule import release_trigger
from gaplens.web.settings import WebSettings
from tests.releases.world import NESTED, Person, add_responses, make_teams

SURVEY = "Scheduled pulse"


def seven_answers(url: str) -> None:
    """Seven responses of a past day in one team: enough for a release of one class."""
    with session_scope(url) as session:
        make_teams(session, NESTED)
        people = [Person("eng-payments", "individual_contributor", None, n % 3) for n in range(7)]
        add_responses(session, SURVEY, people)


def releases(url: str) -> int:
    with session_scope(url) as session:
        return session.scalar(select(func.count()).select_from(Release)) or 0


def settings(url: str, schedule: str) -> WebSettings:
    return WebSettings(
        database_url=url,
        secure_cookies=False,
        slack_signing_secret="test-secret",
        release_schedule=schedule,
    )


def test_the_server_builds_releases_on_its_schedule_and_stops_on_shutdown(
    db_url: str, caplog: pytest.LogCaptureFixture
):
    seven_answers(db_url)
    caplog.set_level(logging.INFO, logger="gaplens.releases.schedule")
    app = create_app(settings(db_url, "every 1s"))
    with TestClient(app, base_url="http://testserver") as client:
        scheduler = app.state.release_scheduler
        assert scheduler is not None and scheduler.running
        deadline = time.monotonic() + 20
        while releases(db_url) == 0 and time.monotonic() < deadline:
            assert client.get("/healthz").status_code == 200  # serving meanwhile
            time.sleep(0.2)
        assert releases(db_url) == 1
    assert not scheduler.running  # stopped with the app
    with session_scope(db_url) as session:  # and the lease was given back
        assert session.scalar(select(func.count()).select_from(ReleaseBuildLease)) == 0
    lines = [r.getMessage() for r in caplog.records if r.name == "gaplens.releases.schedule"]
    # unchanged: feedback, the friction log, reflections, and the organisation's measured
    # figures and adoption funnel (no tool data)
    assert lines[0] == f"release build done: new releases for {SURVEY}; 5 unchanged"
    assert all(
        re.fullmatch(r"release build done: new releases for [^;]+; \d unchanged", line)
        for line in lines
    )
    # No line from any logger says how many responded or how big a group is.
    assert not any(
        word in record.getMessage()
        for record in caplog.records
        for word in ("responses", "groups of", "fewer than")
    )


def test_a_schedule_can_be_switched_off_and_a_typo_stops_the_server(db_url: str):
    app = create_app(settings(db_url, "off"))
    with TestClient(app, base_url="http://testserver"):
        assert app.state.release_scheduler is None
    assert release_trigger("5 * * * *") is not None
    assert release_trigger("every 2m") is not None
    with pytest.raises(ValueError, match="GAPLENS_RELEASE_SCHEDULE"):
        create_app(settings(db_url, "hourly please"))
    # What `gaplens serve` reads when nothing is set: every hour at minute 5.
    assert WebSettings.from_environment(db_url).release_schedule == "5 * * * *"


def test_a_build_running_elsewhere_makes_the_scheduled_one_skip(db_url: str):
    seven_answers(db_url)
    policy = configured_policy()
    # Another server process (or cron) holds the lease, mid-build.
    with build_lease(db_url) as held:
        assert held
        skipped = scheduled_build(db_url, policy)
        assert skipped is not None and not skipped.ran
        assert releases(db_url) == 0
        result = CliRunner().invoke(cli, ["release", "build", "--db", db_url])
        assert result.exit_code == 0 and "Another release build is running" in result.stdout
        assert releases(db_url) == 0
    done = scheduled_build(db_url, policy)
    assert done is not None and done.ran and done.released == (SURVEY,)
    assert releases(db_url) == 1


def test_a_lease_left_by_a_dead_process_expires(db_url: str):
    seven_answers(db_url)
    assert take_lease(db_url, "dead-process")  # never given back
    assert not guarded_build(db_url, configured_policy()).ran
    with session_scope(db_url) as session:  # an hour later
        later = ReleaseBuildLease.expires_at - dt.timedelta(hours=2)
        session.execute(update(ReleaseBuildLease).values(expires_at=later))
    assert guarded_build(db_url, configured_policy()).released == (SURVEY,)


def test_concurrent_builds_never_both_build(db_url: str):
    """Eight threads start a build at the same instant: exactly one release is written, and
    every other either skipped on the lease or found nothing new after it."""
    seven_answers(db_url)
    start = threading.Barrier(8)
    results: list[object] = []

    def run() -> None:
        start.wait()
        results.append(guarded_build(db_url, configured_policy()))

    threads = [threading.Thread(target=run) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8  # no thread failed
    built = [r for r in results if getattr(r, "released", ())]
    assert len(built) == 1 and releases(db_url) == 1
