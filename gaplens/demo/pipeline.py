"""The demo job: synthetic organisation -> real import paths -> report, timed step by step."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.orm import Session

from gaplens.accounts.models import StaffRole
from gaplens.accounts.service import create_user
from gaplens.config import normalise_database_url
from gaplens.db.engine import dispose_engine, session_scope
from gaplens.db.migrate import upgrade
from gaplens.demo.connections import SYNC_DAYS, SYNCED_DAYS, one_line, split_exports, sync_replays
from gaplens.demo.criteria import add_goals
from gaplens.demo.exports import DATA_END, DemoExports, feedback_items, write_exports
from gaplens.demo.generator import SyntheticOrganisation, generate_organisation, write_demo_files
from gaplens.demo.modelling import seed_leaders
from gaplens.demo.reflections import simulate_reflections
from gaplens.demo.replay import ORG, ReplayData, replay_github, seats_for, split_user_days
from gaplens.demo.reports import function_report, write_function_report
from gaplens.demo.tasks import import_task_map, write_task_files
from gaplens.directory.service import import_people, import_teams
from gaplens.feedback.schemas import FeedbackIn, FeedbackKind
from gaplens.feedback.service import submit_feedback
from gaplens.friction.service import import_friction
from gaplens.imports.service import ConnectorSummary
from gaplens.keys import SECRET_KEY_ENV
from gaplens.mapped.service import import_mapped_csv
from gaplens.privacy import configured_policy
from gaplens.releases.closing import close_and_release
from gaplens.releases.feedback.service import build_feedback_release
from gaplens.releases.service import build_all
from gaplens.report.render import Format, write_report
from gaplens.report.service import build_report
from gaplens.surveys.collection import create_open_link
from gaplens.surveys.service import get_or_create_survey, import_responses
from gaplens.sync.schemas import ConnectionIn, ConnectionKind
from gaplens.sync.service import add_connection, sync_connection
from gaplens.telemetry.service import import_copilot_usage, import_m365_copilot
from gaplens.work.service import import_jira, import_tickets

ORGANISATION_NAME = "Northwind Logistics"
DEMO_STAFF_EMAIL = "demo.leader@northwind.example"


@dataclass
class DemoResult:
    database_url: str
    reports: dict[str, Path]
    timings: dict[str, float] = field(default_factory=dict)
    staff_email: str = DEMO_STAFF_EMAIL
    staff_password: str = ""
    open_link: str = ""
    task_link: str = ""


def run_demo(
    people: int,
    seed: int,
    out_dir: Path,
    db: str | None,
    console: Console,
    *,
    write_reports: bool = True,
) -> DemoResult:
    """A fresh database each run (unless --db is given), so the demo is repeatable.

    `write_reports=False` stops once the data is in: for a test that builds its reports
    itself (the PDF alone takes a third of the demo's time)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if db is None:
        database = out_dir / "gaplens-demo.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        url = normalise_database_url(str(database))
    else:
        url = normalise_database_url(db)
    dispose_engine(url)
    result = DemoResult(url, {})
    steps = [
        "generate",
        "migrate",
        "import",
        "import tool exports",
        "sync: connections",
        "reflections",
        "task map",
        "leaders and statements",
        "success criteria, wins",
        "report: json",
        "report: html",
        "report: pdf",
        "report: function",
    ]
    progress = Progress(
        TextColumn("[bold]{task.description:<22}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
    )
    with progress:
        task = progress.add_task("Synthetic organisation", total=len(steps))

        def step(name: str, started: float) -> None:
            result.timings[name] = time.perf_counter() - started
            progress.update(task, advance=1, description=name)

        started = time.perf_counter()
        organisation = generate_organisation(people=people, seed=seed)
        files = write_demo_files(organisation, out_dir)
        exports = write_exports(organisation, out_dir, seed)
        step("generate", started)

        started = time.perf_counter()
        upgrade(url)
        step("migrate", started)

        started = time.perf_counter()
        with session_scope(url) as session:
            teams = import_teams(session, files.teams, ORGANISATION_NAME)
            staff = import_people(session, files.people)
            if files.earlier_responses is not None:
                import_responses(
                    session,
                    files.earlier_responses,
                    files.earlier_survey_name,
                    series=files.series,
                )
            responses = import_responses(
                session, files.responses, files.survey_name, series=files.series
            )
            result.staff_password = secrets.token_urlsafe(12)
            create_user(
                session, DEMO_STAFF_EMAIL, "Demo leader", StaffRole.LEADER, result.staff_password
            )
            build_all(session, configured_policy())
            if files.earlier_responses is not None:
                # The earlier pulse is over: closed as an admin would, so its noisy
                # roll-ups are drawn (gaplens/releases/noisy.py).
                earlier, _ = get_or_create_survey(session, files.earlier_survey_name)
                close_and_release(session, earlier, configured_policy())
            survey, _ = get_or_create_survey(session, files.survey_name)
            result.open_link = "/s/" + create_open_link(session, survey)
        step("import", started)
        for line in (teams.describe(), staff.describe(), responses.describe()):
            progress.console.print(f"  {line}")

        started = time.perf_counter()
        exports, replay = split_for_sync(exports, organisation)
        demo_token = secrets.token_urlsafe(24)
        exports, replays = split_exports(exports, demo_token)
        with session_scope(url) as session:
            summaries = import_exports(session, exports)
            for kind, use_case, text, day in feedback_items(seed):
                item = FeedbackIn(kind=FeedbackKind(kind), text=text, use_case=use_case)
                submit_feedback(session, item, "web", day)
            build_feedback_release(session, configured_policy())
        step("import tool exports", started)
        for summary in summaries:
            progress.console.print(f"  {summary.describe()}", highlight=False)

        started = time.perf_counter()
        with _demo_secret_key() as one_off:
            synced = sync_copilot(url, replay) if replay is not None else []
            synced += sync_replays(url, replays, demo_token)
        if one_off and synced:
            synced.append(
                f"(synced with a one-off {SECRET_KEY_ENV}: set your own and connect again to "
                "sync from your real tools; see docs/sync.md)"
            )
        step("sync: connections", started)
        for line in synced:
            progress.console.print(f"  {line}", highlight=False)

        started = time.perf_counter()
        with session_scope(url) as session:
            reflections = simulate_reflections(session, seed)
            build_all(session, configured_policy())  # the reflections release reads whole months
        step("reflections", started)
        progress.console.print(f"  {reflections.describe()}", highlight=False)

        started = time.perf_counter()
        task_files = write_task_files(organisation, out_dir, seed)
        with session_scope(url) as session:
            lines, result.task_link = import_task_map(session, task_files)
        step("task map", started)
        for line in lines:
            progress.console.print(f"  {line}", highlight=False)

        started = time.perf_counter()
        with session_scope(url) as session:
            leaders = seed_leaders(session, organisation, seed)
        step("leaders and statements", started)
        progress.console.print(f"  {leaders.describe()}", highlight=False)

        policy = configured_policy()
        started = time.perf_counter()
        with session_scope(url) as session:
            goals = add_goals(session, DEMO_STAFF_EMAIL, policy)
        step("success criteria, wins", started)
        progress.console.print(
            f"  {len(goals.criteria)} success criteria and {len(goals.wins)} wins defined",
            highlight=False,
        )
        if not write_reports:
            return result

        with session_scope(url) as session:
            document = build_report(session, files.survey_name, policy)
        formats: tuple[Format, ...] = ("json", "html", "pdf")
        for fmt in formats:
            started = time.perf_counter()
            result.reports[fmt] = write_report(document, fmt, out_dir / f"reality-report.{fmt}")
            step(f"report: {fmt}", started)
        started = time.perf_counter()
        with session_scope(url) as session:
            scoped = function_report(session, policy)
        result.reports.update(write_function_report(scoped, out_dir))
        step("report: function", started)
    return result


def split_for_sync(
    exports: DemoExports, organisation: SyntheticOrganisation
) -> tuple[DemoExports, ReplayData | None]:
    """The Copilot export cut in two: a file of the days before the connection's first sync,
    and what the demo's GitHub serves (the rest, and the seat list)."""
    if exports.copilot_usage is None:
        return exports, None
    first_synced = DATA_END - dt.timedelta(days=SYNCED_DAYS - 1)
    lines = exports.copilot_usage.read_text().splitlines(keepends=True)
    before, replay = split_user_days(lines, first_synced)
    earlier = exports.copilot_usage.with_name("copilot-usage-users-before-sync.ndjson")
    earlier.write_text("".join(before))
    user_ids = {
        r["user_login"]: int(r["user_id"]) for rows in replay.user_days.values() for r in rows
    }
    licensed = [
        (p.github_login, p.ai_licence_date)
        for p in organisation.people
        if p.github_login is not None and p.ai_licence_date is not None
    ]
    replay.seats = seats_for(licensed, user_ids)
    return dataclasses.replace(exports, copilot_usage=earlier if before else None), replay


def sync_copilot(url: str, replay: ReplayData) -> list[str]:
    """Connect the demo's GitHub and sync twice, as the server's schedule would: first three
    days before the data ends (seats, the 28-day reports), then after (the 1-day reports).
    The caller holds the key connections are encrypted under (`_demo_secret_key`)."""
    lines: list[str] = []
    with replay_github(replay) as base_url:
        with session_scope(url) as session:
            connection = add_connection(
                session,
                ConnectionIn(
                    kind=ConnectionKind.COPILOT,
                    name=f"copilot-{ORG}",
                    org=ORG,
                    base_url=base_url,
                    token=SecretStr("demo-token"),
                    interval_minutes=10080,
                ),
            )
        for today in SYNC_DAYS:
            replay.as_of = today
            outcome = sync_connection(url, connection.id, today=today)
            if not outcome.ok:
                raise RuntimeError(f"the demo's sync failed: {outcome.error}")
            lines.append(f"as of {today}: {one_line(outcome)}")
    return lines


@contextmanager
def _demo_secret_key() -> Iterator[bool]:
    """The server key connections are encrypted under: the environment's, or for this demo
    alone a random one (True), removed again afterwards."""
    if os.environ.get(SECRET_KEY_ENV, "").strip():
        yield False
        return
    os.environ[SECRET_KEY_ENV] = secrets.token_hex(32)
    try:
        yield True
    finally:
        os.environ.pop(SECRET_KEY_ENV, None)


def import_exports(session: Session, exports: DemoExports) -> list[ConnectorSummary]:
    """The tool exports through the same importers `gaplens import KIND` uses, oldest first."""
    summaries = []
    if exports.copilot_usage is not None:
        summaries.append(import_copilot_usage(session, exports.copilot_usage))
    m365 = [import_m365_copilot(session, path) for path in exports.m365_copilot]
    if m365:
        last = m365[-1]
        summaries.append(
            ConnectorSummary(
                kind=last.kind,
                source=f"{len(m365)} weekly exports",
                rows_read=sum(s.rows_read for s in m365),
                rows_written=sum(s.rows_written for s in m365),
                rows_unresolved=sum(s.rows_unresolved for s in m365),
            )
        )
    for jira in (exports.jira, exports.jira_json):
        if jira is not None:
            summaries.append(import_jira(session, jira))
    if exports.tickets is not None:
        summaries.append(import_tickets(session, exports.tickets))
    summaries.append(import_friction(session, exports.friction))
    if exports.training is not None:
        summaries.append(import_mapped_csv(session, exports.training, exports.training_mapping))
    return summaries
