"""Benchmark: import a Jira CSV export and a GitHub Copilot user-day NDJSON report into SQLite
and PostgreSQL with `gaplens import`, against (a) pandas and (b) DuckDB on the same file.

    python bench/import_tools.py [--jira-rows 1000000] [--copilot-rows 5000000]
                                 [--backend sqlite|postgresql|both] [--tmp /tmp]

Every import runs in its own child process (the real `gaplens import jira|copilot-usage FILE
--db URL` command; the references through this script's `--child` mode), so the peak RSS
reported is that process's own (`os.wait4` rusage). Each writes into a fresh copy of one
migrated database that already holds the directory (teams, people, identities). Peak memory
must stay flat as the file grows, so every kind is imported a second time from a file 10x
smaller and both peaks are printed. Goal (issue 4): faster than (a), within 2x of (b).

What the references do, and what they do NOT do (gaplens does all of it):

- (a) pandas: `read_csv(chunksize=100_000)` / `read_json(lines=True, chunksize=50_000)`
  (chunked: the 5M-row NDJSON does not fit in memory whole), vectorised renames, date
  parsing and an inner join on the identity table, then `DataFrame.to_sql(append)` of
  exactly the domain table's columns (`work_item`, `ai_usage_day`), all chunks in one
  transaction.
- (b) DuckDB: one `INSERT INTO db.<domain table> SELECT ... FROM read_csv|read_json(...)
  JOIN db.identity ...` into the same database attached through DuckDB's sqlite/postgres
  extension (one statement, one transaction; DuckDB's default threads and memory limit).
- Neither validates rows (a bad value is a NULL, a pandas/DuckDB exception, or silently
  wrong), locates errors by row and column, keeps raw rows, writes the tool tables
  (`jira_issue`, `copilot_user_day`) or an import run, makes deterministic ids (the Jira
  reference uses the issue key as `work_item.id`, not uuid5), upserts (they insert into an
  empty table), resolves Jira assignees by display name, or reports unresolved identities
  (the join drops them).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PEOPLE = 10_000
TEAMS = 50
UNKNOWN_LOGINS = 100
"""Copilot logins with no person in the directory: kept in the tool table and reported."""
JIRA_CHUNK = 100_000
COPILOT_CHUNK = 50_000
REFERENCE_RUN_ID = 1_000_000
"""The import run the references' domain rows point at (the column is NOT NULL)."""
DAY0 = dt.date(2025, 1, 1)
MOMENT0 = dt.datetime(2025, 1, 6, 9, 0)


# --- the directory -------------------------------------------------------------------------


def login(i: int) -> str:
    return f"gh-bench-{i:05d}"


def jira_account(i: int) -> str:
    return f"712020:{uuid.UUID(int=i * 7919 + 1)}"


def person_name(i: int) -> str:
    return f"Person {i:05d}"


def write_directory(folder: Path) -> tuple[Path, Path]:
    teams = folder / "teams.csv"
    people = folder / "people.csv"
    with teams.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("key", "name", "parent", "function"))
        for t in range(TEAMS):
            writer.writerow((f"team-{t:02d}", f"Team {t:02d}", "", "Engineering"))
    with people.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            (
                "email",
                "name",
                "role_level",
                "function",
                "team",
                "github_login",
                "jira_account_id",
                "ai_licence_date",
                "ai_adoption_date",
            )
        )
        for i in range(PEOPLE):
            writer.writerow(
                (
                    f"person{i:05d}@bench.example",
                    person_name(i),
                    "manager" if i % 10 == 0 else "individual_contributor",
                    "Engineering",
                    f"team-{i % TEAMS:02d}",
                    login(i),
                    jira_account(i),
                    "2025-01-01",
                    "2025-02-01" if i % 3 else "",
                )
            )
    return teams, people


# --- the exports, streamed to disk ---------------------------------------------------------

JIRA_HEADER = (
    "Summary",
    "Issue key",
    "Issue id",
    "Parent id",
    "Issue Type",
    "Status",
    "Project key",
    "Project name",
    "Project type",
    "Priority",
    "Resolution",
    "Assignee",
    "Assignee Id",
    "Reporter",
    "Reporter Id",
    "Creator",
    "Created",
    "Updated",
    "Last Viewed",
    "Resolved",
    "Due date",
    "Sprint",
    "Sprint",
    "Labels",
    "Labels",
    "Labels",
    "Watchers",
    "Watchers",
    "Description",
    "Environment",
    "Custom field (Story Points)",
    "Custom field (Start date)",
    "Custom field (Team)",
    "Custom field (Rank)",
    "Comment",
)
JIRA_PROJECTS = (("ENG", "Engineering"), ("PLAT", "Platform"), ("MOB", "Mobile"), ("WEB", "Web"))
JIRA_STATUSES = ("Done", "Done", "Done", "In Progress", "In Review", "To Do")
JIRA_TYPES = ("Story", "Task", "Bug", "Sub-task")
THINGS = ("carrier", "route", "invoice", "manifest", "tracking", "warehouse", "label", "billing")


def jira_time(moment: dt.datetime) -> str:
    """Jira's export format: 03/Feb/25 2:14 PM."""
    hour = moment.hour % 12 or 12
    return f"{moment:%d/%b/%y} {hour}:{moment:%M} {'AM' if moment.hour < 12 else 'PM'}"


def write_jira(path: Path, rows: int) -> None:
    """Jira's "Export CSV (all fields)": BOM, repeated Sprint/Labels/Watchers, Jira dates, a
    multi-line description on every row and a multi-line comment on one row in four."""
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(JIRA_HEADER)
        for n in range(rows):
            project, project_name = JIRA_PROJECTS[n % len(JIRA_PROJECTS)]
            person = (n * 7) % PEOPLE
            thing = THINGS[n % len(THINGS)]
            status = JIRA_STATUSES[n % len(JIRA_STATUSES)]
            created = MOMENT0 + dt.timedelta(minutes=7 * (n // 3))
            started = created + dt.timedelta(hours=3 + n % 40)
            resolved = started + dt.timedelta(hours=20 + (n * 13) % 200)
            done = status == "Done"
            sprint = (created.date() - DAY0).days // 14 + 1
            if n % 50 == 0:
                assignee, account = "", ""  # unassigned
            elif n % 97 == 0:
                assignee, account = "Contractor X", f"557058:{uuid.UUID(int=n)}"  # not in directory
            else:
                assignee, account = person_name(person), jira_account(person)
            writer.writerow(
                (
                    f"{['Handle', 'Add', 'Fix', 'Refactor'][n % 4]} {thing} {n % 1000}",
                    f"{project}-{n // len(JIRA_PROJECTS) + 1}",
                    str(100_000 + n),
                    "",
                    JIRA_TYPES[n % len(JIRA_TYPES)],
                    status,
                    project,
                    project_name,
                    "software",
                    ("Medium", "High", "Low")[n % 3],
                    "Done" if done else "",
                    assignee,
                    account,
                    person_name((person + 1) % PEOPLE),
                    jira_account((person + 1) % PEOPLE),
                    person_name((person + 1) % PEOPLE),
                    jira_time(created),
                    jira_time(resolved if done else started),
                    "",
                    jira_time(resolved) if done else "",
                    "",
                    f"{project} Sprint {sprint}",
                    f"{project} Sprint {sprint + 1}" if n % 5 == 0 else "",
                    thing,
                    "ai-assisted" if n % 3 == 0 else "",
                    "",
                    jira_account((person + 2) % PEOPLE),
                    "",
                    f"As described in the {thing} runbook.\nSteps:\n1. check the {thing} logs\n"
                    f'2. fix it, "carefully"\n3. deploy; see {project}-{n % 977 + 1}',
                    "",
                    str((1, 2, 3, 5, 8)[n % 5]),
                    jira_time(started),
                    f"Team {person % TEAMS:02d}",
                    f"0|i{n:07d}:",
                    f"{jira_time(started)};{jira_account(person)};Picked up.\nLooking now."
                    if n % 4 == 0
                    else "",
                )
            )


def copilot_template() -> str:
    """One user-day line of the usage-metrics user report in the current format (the field
    set of GitHub's example schema, as tests/telemetry/payloads.py), as a format string."""
    from tests.telemetry.payloads import user_day

    record = user_day("@LOGIN@", "@DAY@", 1, 424242)
    record["user_id"] = "@UID@"
    counts = {
        "user_initiated_interaction_count": "@I@",
        "code_generation_activity_count": "@G@",
        "code_acceptance_activity_count": "@A@",
        "loc_suggested_to_add_sum": "@S@",
        "loc_added_sum": "@L@",
    }
    record.update(counts)
    record["used_agent"] = "@AGENT@"
    for ide in record["totals_by_ide"]:
        ide.update(counts)
    completion, chat = record["totals_by_feature"]
    completion.update({**counts, "user_initiated_interaction_count": 0})
    chat["user_initiated_interaction_count"] = "@I@"
    record["totals_by_feature"].append(
        {
            "code_acceptance_activity_count": 0,
            "code_generation_activity_count": 0,
            "feature": "agent_edit",
            "loc_added_sum": 0,
            "loc_deleted_sum": 0,
            "loc_suggested_to_add_sum": 0,
            "loc_suggested_to_delete_sum": 0,
            "user_initiated_interaction_count": "@AGENTI@",
        }
    )
    text = json.dumps(record, separators=(",", ":")).replace("{", "{{").replace("}", "}}")
    for name in ("LOGIN", "DAY"):
        text = text.replace(f"@{name}@", "{" + name.lower() + "}")
    for name in ("UID", "I", "G", "A", "S", "L", "AGENT", "AGENTI"):
        text = text.replace(f'"@{name}@"', "{" + name.lower() + "}")
    return text + "\n"


def write_copilot(path: Path, rows: int) -> None:
    """Day by day, every login active (the report lists each user-day once)."""
    template = copilot_template()
    logins = [login(i) for i in range(PEOPLE)] + [
        f"outside-contractor-{k:03d}" for k in range(UNKNOWN_LOGINS)
    ]
    with path.open("w", encoding="utf-8") as handle:
        written = 0
        day_number = 0
        while written < rows:
            day = (DAY0 + dt.timedelta(days=day_number)).isoformat()
            lines = []
            for u, name in enumerate(logins[: rows - written]):
                g = 5 + (u * 31 + day_number * 7) % 90
                a = g * (1 + u % 4) // 8
                i = (u + day_number) % 12
                lines.append(
                    template.format(
                        login=name,
                        day=day,
                        uid=8_000_000 + u,
                        i=i,
                        g=g,
                        a=a,
                        s=g * 6,
                        l=a * 5,
                        agent="true" if (u + day_number) % 9 == 0 else "false",
                        agenti=i // 3,
                    )
                )
            handle.write("".join(lines))
            written += len(lines)
            day_number += 1


# --- databases -------------------------------------------------------------------------


@dataclass
class Backend:
    name: str
    make: object  # () -> url of a fresh copy of the template
    drop: object  # (url) -> None


def prepare_template(url: str, teams: Path, people: Path) -> None:
    from gaplens.db.engine import dispose_engine, session_scope
    from gaplens.db.migrate import upgrade
    from gaplens.directory.service import import_people, import_teams
    from gaplens.imports.models import ImportRun

    upgrade(url)
    with session_scope(url) as session:
        import_teams(session, teams, "Bench")
        import_people(session, people)
        session.add(
            ImportRun(
                id=REFERENCE_RUN_ID,
                kind="bench-reference",
                source_name="reference",
                sha256="0" * 64,
                rows_read=0,
                rows_written=0,
                imported_at=dt.datetime.now(dt.UTC),
            )
        )
    dispose_engine(url)


@contextmanager
def sqlite_backend(folder: Path, teams: Path, people: Path) -> Iterator[Backend]:
    template = folder / "template.db"
    prepare_template(f"sqlite:///{template}", teams, people)
    counter = iter(range(1_000_000))

    def make() -> str:
        target = folder / f"run-{next(counter)}.db"
        shutil.copyfile(template, target)
        return f"sqlite:///{target}"

    def drop(url: str) -> None:
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)

    yield Backend("sqlite", make, drop)


@contextmanager
def postgres_backend(teams: Path, people: Path) -> Iterator[Backend]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from tests.postgres_server import throwaway_postgres

    with throwaway_postgres() as admin_url:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text('CREATE DATABASE "bench_template"'))

        def as_url(name: str) -> str:
            return make_url(admin_url).set(database=name).render_as_string(hide_password=False)

        prepare_template(as_url("bench_template"), teams, people)
        counter = iter(range(1_000_000))

        def make() -> str:
            name = f"bench_{next(counter)}"
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "bench_template"'))
            return as_url(name)

        def drop(url: str) -> None:
            from gaplens.db.engine import dispose_engine

            dispose_engine(url)
            name = make_url(url).database
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

        try:
            yield Backend("postgresql", make, drop)
        finally:
            admin.dispose()


# --- the three importers, each in a child process -----------------------------------------


@dataclass
class Measured:
    seconds: float
    cpu: float
    """The child's own user + system CPU seconds (not a database server's)."""
    peak_mb: float
    rows: int
    check: list[object]


LAUNCHER = """
import json, os, subprocess, sys, time
started = time.perf_counter()
with open(sys.argv[2], "w") as out:
    process = subprocess.Popen(sys.argv[3:], stdout=out, stderr=subprocess.STDOUT)
    _, status, usage = os.wait4(process.pid, 0)
seconds = time.perf_counter() - started
with open(sys.argv[1], "w") as handle:
    cpu = usage.ru_utime + usage.ru_stime
    json.dump([os.waitstatus_to_exitcode(status), seconds, cpu, usage.ru_maxrss], handle)
"""
"""Runs one child and reports its wall time, CPU time and `wait4` peak RSS. A child inherits the
RSS of the process it was forked from (Linux keeps it across exec), so children are started
from this small launcher, never from the benchmark process itself (which holds SQLAlchemy,
pandas and DuckDB)."""


def run_child(command: list[str], log: Path) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS (MB) of one child process; fails loudly if it
    fails."""
    measured = log.with_suffix(".rusage")
    subprocess.run(
        [sys.executable, "-c", LAUNCHER, str(measured), str(log), *command], check=True, cwd=ROOT
    )
    code, seconds, cpu, peak_kb = json.loads(measured.read_text())
    if code != 0:
        text = log.read_text()
        raise RuntimeError(f"{' '.join(command)} failed:\n{text[:2000]}\n...\n{text[-2000:]}")
    return seconds, cpu, peak_kb / 1024


DOMAIN_CHECK = {
    "jira": "SELECT count(*), count(person_id), sum(story_points), min(created_at), "
    "max(resolved_at), count(sprint) FROM work_item",
    "copilot": "SELECT count(*), count(DISTINCT person_id), sum(acceptances), sum(loc_added), "
    "min(day), max(day) FROM ai_usage_day",
}


def domain_check(url: str, kind: str) -> list[object]:
    """Aggregates of the domain table, so the three importers can be seen to agree."""
    from sqlalchemy import text

    from gaplens.db.engine import dispose_engine, get_engine

    with get_engine(url).connect() as connection:
        row = connection.execute(text(DOMAIN_CHECK[kind])).one()
    dispose_engine(url)
    return [str(value)[:19] if isinstance(value, dt.datetime | str) else value for value in row]


def measure(who: str, kind: str, path: Path, url: str, log: Path) -> Measured:
    if who == "gaplens":
        command = [
            str(Path(sys.executable).parent / "gaplens"),
            "import",
            "jira" if kind == "jira" else "copilot-usage",
            str(path),
            "--db",
            url,
        ]
    else:
        command = [sys.executable, __file__, "--child", who, "--kind", kind, str(path), url]
    seconds, cpu, peak = run_child(command, log)
    check = domain_check(url, kind)
    return Measured(seconds, cpu, peak, int(str(check[0])), check)


# --- (a) pandas ---------------------------------------------------------------------------

STATUS_CATEGORY = {"done": "done", "in progress": "in_progress", "in review": "in_progress"}
STATUS_CATEGORY_TODO = "todo"
JIRA_FORMAT = "%d/%b/%y %I:%M %p"


def identity_frame(connection, kind: str):  # type: ignore[no-untyped-def]
    import pandas as pd

    return pd.read_sql_query(
        f"SELECT lower(i.value) AS ref, i.person_id, p.team_id FROM identity i "
        f"JOIN person p ON p.id = i.person_id WHERE i.kind = '{kind}'",
        connection,
    )


def pandas_jira(path: Path, url: str) -> None:
    import pandas as pd

    from gaplens.db.engine import get_engine

    header = JIRA_HEADER
    wanted = {
        "Issue key": "key",
        "Issue Type": "item_type",
        "Status": "status",
        "Assignee Id": "assignee_ref",
        "Created": "created_at",
        "Resolved": "resolved_at",
        "Custom field (Story Points)": "story_points",
        "Custom field (Start date)": "started_at",
    }
    positions = [header.index(name) for name in wanted]
    sprints = [i for i, name in enumerate(header) if name == "Sprint"]
    engine = get_engine(url)
    with engine.connect() as connection, connection.begin():
        people = identity_frame(connection, "jira")
        for chunk in pd.read_csv(
            path,
            encoding="utf-8-sig",
            usecols=positions + sprints,
            header=0,
            names=[f"c{i}" for i in range(len(header))],
            dtype=str,
            keep_default_na=False,
            chunksize=JIRA_CHUNK,
        ):
            frame = chunk[[f"c{i}" for i in positions]].set_axis(list(wanted.values()), axis=1)
            for column in ("created_at", "resolved_at", "started_at"):
                frame[column] = pd.to_datetime(
                    frame[column].replace("", None), format=JIRA_FORMAT, errors="coerce"
                )
            frame["story_points"] = pd.to_numeric(frame["story_points"], errors="coerce")
            last, first = chunk[f"c{sprints[1]}"], chunk[f"c{sprints[0]}"]
            frame["sprint"] = last.where(last != "", first).replace("", None)
            frame["status_category"] = (
                frame["status"].str.lower().map(STATUS_CATEGORY).fillna(STATUS_CATEGORY_TODO)
            )
            frame["assignee_ref"] = frame["assignee_ref"].replace("", None)
            frame["ref"] = frame["assignee_ref"].str.lower()
            frame = frame.merge(people, on="ref", how="left").drop(columns="ref")
            frame["id"] = frame["key"]
            frame["source"] = "jira"
            frame["kind"] = "issue"
            frame["team_id"] = frame["team_id"].astype("Int64")
            frame["reopen_count"] = pd.array([None] * len(frame), dtype="Int64")
            frame["rework_count"] = frame["reopen_count"]
            frame["import_run_id"] = REFERENCE_RUN_ID
            frame.to_sql("work_item", connection, if_exists="append", index=False)


def pandas_copilot(path: Path, url: str) -> None:
    import pandas as pd

    from gaplens.db.engine import get_engine

    engine = get_engine(url)
    columns = {
        "user_initiated_interaction_count": "interactions",
        "code_generation_activity_count": "suggestions",
        "code_acceptance_activity_count": "acceptances",
        "loc_suggested_to_add_sum": "loc_suggested",
        "loc_added_sum": "loc_added",
    }
    with engine.connect() as connection, connection.begin():
        people = identity_frame(connection, "github")[["ref", "person_id"]]
        for chunk in pd.read_json(
            path, lines=True, chunksize=COPILOT_CHUNK, dtype=False, convert_dates=False
        ):
            frame = chunk[["day", "user_login", *columns]].rename(columns=columns)
            frame["day"] = pd.to_datetime(frame["day"], format="%Y-%m-%d").dt.date
            frame["ref"] = frame.pop("user_login").str.lower()
            frame = frame.merge(people, on="ref", how="inner").drop(columns="ref")
            frame["tool"] = "github-copilot"
            frame["app"] = "ide"
            frame["import_run_id"] = REFERENCE_RUN_ID
            frame.to_sql("ai_usage_day", connection, if_exists="append", index=False)


# --- (b) DuckDB ---------------------------------------------------------------------------


def duckdb_attach(url: str):  # type: ignore[no-untyped-def]
    import duckdb
    import duckdb_extension_postgres_scanner
    import duckdb_extension_sqlite_scanner
    from sqlalchemy.engine import make_url

    connection = duckdb.connect()
    if url.startswith("sqlite"):
        package, target, kind = duckdb_extension_sqlite_scanner, url.removeprefix("sqlite:///"), ""
    else:
        parts = make_url(url)
        package, kind = duckdb_extension_postgres_scanner, "postgres"
        target = (
            f"host={parts.host} port={parts.port} user={parts.username} dbname={parts.database}"
        )
    extension = next(Path(package.__file__).parent.rglob("*.duckdb_extension"))
    connection.execute(f"LOAD '{extension}'")
    connection.execute(f"ATTACH '{target}' AS db (TYPE {kind or 'sqlite'})")
    return connection


def duckdb_jira(path: Path, url: str) -> None:
    sqlite = url.startswith("sqlite")
    # SQLAlchemy stores DateTime on SQLite as 'YYYY-MM-DD HH:MM:SS.ffffff' text; match it.
    stamp = (
        (lambda c: f"strftime(strptime(nullif({c}, ''), '{JIRA_FORMAT}'), '%Y-%m-%d %H:%M:%S.%f')")
        if sqlite
        else (lambda c: f"strptime(nullif({c}, ''), '{JIRA_FORMAT}')")
    )
    names = []
    seen: dict[str, int] = {}
    for name in JIRA_HEADER:  # the repeated columns get distinct names, as read_csv would
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name} {seen[name]}")
    column_list = ", ".join(f"'{name}': 'VARCHAR'" for name in names)
    connection = duckdb_attach(url)
    connection.execute(
        f"""
        INSERT INTO db.work_item (id, source, key, kind, item_type, status, status_category,
            person_id, assignee_ref, team_id, created_at, started_at, resolved_at, story_points,
            sprint, reopen_count, rework_count, import_run_id)
        SELECT j."Issue key", 'jira', j."Issue key", 'issue', nullif(j."Issue Type", ''),
            j."Status",
            CASE lower(j."Status") WHEN 'done' THEN 'done' WHEN 'in progress' THEN 'in_progress'
                WHEN 'in review' THEN 'in_progress' ELSE 'todo' END,
            p.person_id, nullif(j."Assignee Id", ''), p.team_id,
            {stamp('j."Created"')}, {stamp('j."Custom field (Start date)"')},
            {stamp('j."Resolved"')},
            TRY_CAST(nullif(j."Custom field (Story Points)", '') AS DOUBLE),
            coalesce(nullif(j."Sprint 2", ''), nullif(j."Sprint", '')), NULL, NULL,
            {REFERENCE_RUN_ID}
        FROM read_csv('{path}', header = true, columns = {{{column_list}}}, quote = '"',
                      escape = '"', all_varchar = true) j
        LEFT JOIN (SELECT lower(i.value) AS ref, i.person_id, pe.team_id
                   FROM db.identity i JOIN db.person pe ON pe.id = i.person_id
                   WHERE i.kind = 'jira') p ON p.ref = lower(j."Assignee Id")
        """
    )
    connection.close()


def duckdb_copilot(path: Path, url: str) -> None:
    sqlite = url.startswith("sqlite")
    day = "strftime(u.day, '%Y-%m-%d')" if sqlite else "u.day"
    connection = duckdb_attach(url)
    connection.execute(
        f"""
        INSERT INTO db.ai_usage_day (person_id, day, tool, app, interactions, suggestions,
            acceptances, loc_suggested, loc_added, import_run_id)
        SELECT p.person_id, {day}, 'github-copilot', 'ide',
            u.user_initiated_interaction_count, u.code_generation_activity_count,
            u.code_acceptance_activity_count, u.loc_suggested_to_add_sum, u.loc_added_sum,
            {REFERENCE_RUN_ID}
        FROM read_json('{path}', format = 'newline_delimited', columns = {{
            'day': 'DATE', 'user_login': 'VARCHAR',
            'user_initiated_interaction_count': 'INTEGER',
            'code_generation_activity_count': 'INTEGER',
            'code_acceptance_activity_count': 'INTEGER',
            'loc_suggested_to_add_sum': 'INTEGER', 'loc_added_sum': 'INTEGER'}}) u
        JOIN (SELECT lower(value) AS ref, person_id FROM db.identity WHERE kind = 'github') p
            ON p.ref = lower(u.user_login)
        """
    )
    connection.close()


CHILDREN = {
    ("pandas", "jira"): pandas_jira,
    ("pandas", "copilot"): pandas_copilot,
    ("duckdb", "jira"): duckdb_jira,
    ("duckdb", "copilot"): duckdb_copilot,
}


# --- the run -----------------------------------------------------------------------------


def machine() -> str:
    import sqlite3

    import duckdb
    import pandas

    return (
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, "
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, pandas {pandas.__version__}, "
        f"DuckDB {duckdb.__version__}"
    )


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jira-rows", type=int, default=1_000_000)
    parser.add_argument("--copilot-rows", type=int, default=5_000_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--tmp", type=Path, default=Path("/tmp"), help="where files go")
    parser.add_argument(
        "--only", choices=("gaplens", "pandas", "duckdb"), action="append", help="importers"
    )
    parser.add_argument("--no-small", action="store_true", help="skip the 10x smaller files")
    parser.add_argument(
        "--small-importers",
        choices=("gaplens", "pandas", "duckdb"),
        action="append",
        help="importers run on the 10x smaller files (default: all of --only)",
    )
    parser.add_argument(
        "--files",
        type=Path,
        help="keep the generated exports in this folder and reuse them when present "
        "(they are deterministic); default: a temporary folder, deleted at the end",
    )
    parser.add_argument("--child", choices=("pandas", "duckdb"), help=argparse.SUPPRESS)
    parser.add_argument("--kind", choices=("jira", "copilot"), help=argparse.SUPPRESS)
    parser.add_argument("child_args", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        path, url = args.child_args
        CHILDREN[args.child, args.kind](Path(path), url)
        return

    who = args.only or ["gaplens", "pandas", "duckdb"]
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    print(machine())
    print(f"started {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, load average {load()}")
    folder = Path(tempfile.mkdtemp(prefix="gaplens-bench-import-", dir=args.tmp))
    try:
        teams, people = write_directory(folder)
        files: list[tuple[str, int, Path]] = []
        sizes = {"jira": args.jira_rows, "copilot": args.copilot_rows}
        exports = args.files or folder
        exports.mkdir(parents=True, exist_ok=True)
        for kind, rows in sizes.items():
            for n in ([rows] if args.no_small else [rows // 10, rows]) if rows else []:
                path = exports / (f"jira-{n}.csv" if kind == "jira" else f"copilot-{n}.ndjson")
                started = time.perf_counter()
                if path.exists():
                    print(f"reusing {path.name}: {n:,} rows", flush=True)
                    files.append((kind, n, path))
                    continue
                (write_jira if kind == "jira" else write_copilot)(path, n)
                print(
                    f"wrote {path.name}: {n:,} rows, {path.stat().st_size / 1e6:,.0f} MB "
                    f"in {time.perf_counter() - started:.0f} s",
                    flush=True,
                )
                files.append((kind, n, path))
        results: list[tuple[str, str, int, str, Measured, str]] = []
        for backend_name in backends:
            context = (
                sqlite_backend(folder, teams, people)
                if backend_name == "sqlite"
                else postgres_backend(teams, people)
            )
            with context as backend:
                for kind, n, path in files:
                    small = n < sizes[kind]
                    for importer in (args.small_importers or who) if small else who:
                        url = backend.make()  # type: ignore[operator]
                        log = folder / f"{importer}-{kind}-{n}-{backend_name}.log"
                        before = load()
                        result = measure(importer, kind, path, url, log)
                        backend.drop(url)  # type: ignore[operator]
                        results.append((backend_name, kind, n, importer, result, before))
                        print(
                            f"{backend_name:10} {kind:7} {n:>9,} {importer:8} "
                            f"{result.seconds:8.1f} s (CPU {result.cpu:.1f} s) "
                            f"{n / result.seconds:>9,.0f} rows/s "
                            f"peak {result.peak_mb:7,.0f} MB  load {before} -> {load()}  "
                            f"domain {result.check}",
                            flush=True,
                        )
        report(results)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"finished {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, load average {load()}")


def report(results: list[tuple[str, str, int, str, Measured, str]]) -> None:
    table: dict[tuple[str, str, int], dict[str, Measured]] = {}
    for backend, kind, n, importer, result, _ in results:
        table.setdefault((backend, kind, n), {})[importer] = result
    print()
    print(
        f"{'backend':10} {'file':16} {'gaplens rows/s':>14} {'peak MB':>8} "
        f"{'pandas rows/s':>13} {'peak MB':>8} {'duckdb rows/s':>13} {'peak MB':>8} "
        f"{'vs pandas':>9} {'vs duckdb':>9}"
    )
    for (backend, kind, n), found in table.items():
        cells = []
        for importer in ("gaplens", "pandas", "duckdb"):
            result = found.get(importer)
            cells.append(
                f"{n / result.seconds:>13,.0f} {result.peak_mb:>8,.0f}"
                if result
                else f"{'-':>13} {'-':>8}"
            )
        ours = found.get("gaplens")
        ratios = [
            f"{other.seconds / ours.seconds:>8.2f}x"
            if ours and (other := found.get(name))
            else f"{'-':>9}"
            for name in ("pandas", "duckdb")
        ]
        print(f"{backend:10} {kind + ' ' + f'{n:,}':16} {' '.join(cells)} {' '.join(ratios)}")
    print(
        "ratios are the reference's seconds over gaplens's: > 1 means gaplens is faster "
        "(goal: > 1x against pandas, >= 0.5x against DuckDB)"
    )


if __name__ == "__main__":
    main()
