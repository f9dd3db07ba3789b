"""The `gaplens` command: each command parses its arguments and calls one service."""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from gaplens.config import database_url
from gaplens.db.engine import session_scope
from gaplens.db.migrate import upgrade
from gaplens.errors import InputError
from gaplens.privacy import configured_policy

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from gaplens.imports.service import ConnectorSummary
    from gaplens.privacy import PrivacyPolicy

app = typer.Typer(
    name="gaplens",
    help="Measure the gap between what leadership believes AI does and what the work shows.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
import_app = typer.Typer(
    help="Import the directory, survey responses and tool exports (see docs/import-formats.md).",
    no_args_is_help=True,
)
app.add_typer(import_app, name="import")
survey_app = typer.Typer(
    help="Collect answers online: open links and invitations.", no_args_is_help=True
)
app.add_typer(survey_app, name="survey")
users_app = typer.Typer(help="Staff accounts (admin, leader, analyst).", no_args_is_help=True)
app.add_typer(users_app, name="users")
reflections_app = typer.Typer(
    help="Reflection loops: prompted reflections after a training or a first AI use.",
    no_args_is_help=True,
)
app.add_typer(reflections_app, name="reflections")
costs_app = typer.Typer(
    help="Cost inputs for the report: seat prices and the loaded hourly cost.",
    no_args_is_help=True,
)
app.add_typer(costs_app, name="costs")
tasks_app = typer.Typer(
    help="The task preference map: answer links for a round (see docs/tasks.md).",
    no_args_is_help=True,
)
app.add_typer(tasks_app, name="tasks")
modelling_app = typer.Typer(
    help="Leadership modelling: leaders' posts on their own AI work (see docs/modelling.md).",
    no_args_is_help=True,
)
app.add_typer(modelling_app, name="modelling")
commitments_app = typer.Typer(
    help="What stays the same: leaders' statements of what AI will not change.",
    no_args_is_help=True,
)
app.add_typer(commitments_app, name="commitments")
release_app = typer.Typer(
    help="Releases: the published, disclosure-controlled figures every view reads.",
    no_args_is_help=True,
)
app.add_typer(release_app, name="release")
privacy_app = typer.Typer(
    help="Check what has been published: the auditor that attacks the releases.",
    no_args_is_help=True,
)
app.add_typer(privacy_app, name="privacy")

invitations_app = typer.Typer(
    help="Survey invitations by email or Slack, with reminders (see docs/mail.md).",
    no_args_is_help=True,
)
app.add_typer(invitations_app, name="invitations")

out = Console(soft_wrap=True)
err = Console(stderr=True)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL or SQLite file path (default: $GAPLENS_DATABASE_URL or ./gaplens.db).",
        show_default=False,
    ),
]
FileArgument = Annotated[Path, typer.Argument(help="The CSV file to import.", show_default=False)]
T = TypeVar("T")


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn every failure into a message and an exit status; a traceback only on request."""
    try:
        yield
    except InputError as error:
        err.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
        err.print("Nothing was written.", style="dim")
        raise typer.Exit(2) from None
    except SQLAlchemyError as error:
        if os.environ.get("GAPLENS_DEBUG"):
            raise
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        err.print(f"[bold red]database error:[/] {reason}", highlight=False)
        raise typer.Exit(1) from None
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except Exception as error:
        if os.environ.get("GAPLENS_DEBUG"):
            raise
        err.print(
            f"[bold red]internal error:[/] {type(error).__name__}: {error}\n"
            "Set GAPLENS_DEBUG=1 to see the details, and please report it.",
            highlight=False,
        )
        raise typer.Exit(1) from None


def ready_database(db: str | None) -> str:
    url = database_url(db)
    upgrade(url)
    return url


def run_in_session(db: str | None, work: Callable[..., T]) -> T:
    url = ready_database(db)
    with session_scope(url) as session:
        return work(session)


@app.command()
def init(db: DbOption = None) -> None:
    """Create or upgrade the database schema.

    Example: gaplens init --db postgresql://localhost/gaplens
    """
    with user_errors():
        url = ready_database(db)
    out.print(f"Database ready: {_display_url(url)}")


@import_app.command("teams")
def import_teams_command(
    path: FileArgument,
    organisation: Annotated[
        str | None, typer.Option(help="Name of the organisation (kept once set).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Import the team tree (key, name, parent, function).

    Example: gaplens import teams teams.csv --organisation "Northwind Logistics"
    """
    from gaplens.directory.service import import_teams

    with user_errors():
        summary = run_in_session(db, lambda s: import_teams(s, path, organisation))
    out.print(summary.describe())


@import_app.command("people")
def import_people_command(path: FileArgument, db: DbOption = None) -> None:
    """Import people with role level, team, tool identities and AI licence/adoption dates.

    Example: gaplens import people people.csv
    """
    from gaplens.directory.service import import_people

    with user_errors():
        summary = run_in_session(db, lambda s: import_people(s, path))
    out.print(summary.describe())


@import_app.command("responses")
def import_responses_command(
    path: FileArgument,
    survey: Annotated[
        str, typer.Option(help="Survey name; created from the question bank if new.")
    ],
    series: Annotated[
        str | None, typer.Option(help="Series of repeated pulses this survey belongs to.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Import anonymous survey responses, all or nothing.

    Example: gaplens import responses pulse.csv --survey "AI pulse 2026-Q3" --series "AI pulse"
    """
    from gaplens.surveys.service import import_responses

    with user_errors():
        url = ready_database(db)
        size = path.stat().st_size if path.is_file() else 0
        with (
            _byte_progress(f"Importing {path.name}", size) as advance,
            session_scope(url) as session,
        ):
            result = import_responses(session, path, survey, progress=advance, series=series)
            built = _build_releases(session, survey)
    out.print(result.describe())
    out.print(built)


def _build_releases(session: Session, survey_name: str | None) -> str:
    """A new release of the survey(s) whose data just changed, in the same transaction."""
    from gaplens.releases.service import build_survey_release
    from gaplens.surveys.service import find_survey

    survey = find_survey(session, survey_name)
    return build_survey_release(session, survey, _policy()).message


@privacy_app.command("audit")
def privacy_audit(
    survey: Annotated[
        str | None, typer.Option(help="Only this survey (default: every survey).")
    ] = None,
    milp_limit: Annotated[
        int, typer.Option(help="Most integer programs the exact answer check may solve.")
    ] = 20_000,
    db: DbOption = None,
) -> None:
    """Attack everything ever released: exit 1 if any response's answer or presence can be
    worked out from the published figures, by any number of viewers together.

    It solves the system of every release of each survey (and, without --survey, of each
    task round, the feedback channel, the friction log and reflections): linear algebra for
    a contributor
    (or a group of fewer than k) that can be isolated, then integer feasibility with the
    0/1 constraints of real answers for an answer that is determined.

    Example: gaplens privacy audit --survey "AI pulse 2026-Q3"
    """
    from gaplens.releases.audit import audit_all
    from gaplens.surveys.service import find_survey

    k = _policy().min_group_size

    def work(session: Session) -> list[tuple[str, int, bool, str]]:
        chosen = find_survey(session, survey) if survey is not None else None
        return [
            (name, releases, findings.ok, findings.describe())
            for name, releases, findings in audit_all(
                session, survey=chosen, k=k, milp_limit=milp_limit
            )
        ]

    with user_errors():
        results = run_in_session(db, work)
    clean = True
    for name, releases, ok, text in results:
        out.print(f"{name} ({releases} release{'s' if releases != 1 else ''}): {text}")
        clean = clean and ok
    if not results:
        out.print("Nothing has been released yet.")
    if not clean:
        raise typer.Exit(1)


@release_app.command("build")
def release_build(
    survey: Annotated[
        str | None, typer.Option(help="Only this survey (default: every survey).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Publish new releases where the responses of completed days allow one (surveys), and
    the reflections release for months that are over and whose links have expired.

    Run it after collecting answers online (hourly or daily from cron); the web server also
    builds on its own schedule (GAPLENS_RELEASE_SCHEDULE, "off" leaves it to cron), and a
    build already running anywhere makes this one skip, saying so. Imports build their
    survey's release themselves; after importing tool exports, run it once every export for
    the month is in (a month of measured figures or of the funnel is released only once).

    Example: gaplens release build --survey "AI pulse 2026-Q4"
    """
    from gaplens.releases.schedule.service import build_lease
    from gaplens.releases.service import build_all

    def work(session: Session) -> list[str]:
        if survey is not None:
            return [_build_releases(session, survey)]
        return [f"{name}: {outcome.message}" for name, outcome in build_all(session, _policy())]

    with user_errors():
        url = ready_database(db)
        with build_lease(url) as held:
            if not held:
                out.print("Another release build is running; nothing was built. Try later.")
                return
            with session_scope(url) as session:
                lines = work(session)
    for line in lines or ["No surveys or task rounds yet."]:
        out.print(line)


def _import_export(
    db: str | None,
    path: Path,
    work: Callable[[Session, Callable[[int], None]], ConnectorSummary],
) -> None:
    """One shape for every tool-export import: migrate, one transaction, a byte progress bar.

    No release is built here: an admin often imports several exports for a month in a row,
    and a month is released once, so it waits for `gaplens release build` (or the server's
    schedule) after all of them."""
    with user_errors():
        url = ready_database(db)
        size = path.stat().st_size if path.is_file() else 0
        with (
            _byte_progress(f"Importing {path.name}", size) as advance,
            session_scope(url) as session,
        ):
            summary = work(session, advance)
    out.print(summary.describe(), highlight=False)
    out.print(
        "Publish with `gaplens release build` once every export for the month is in "
        "(the web server also builds on its schedule).",
        highlight=False,
    )


ExportArgument = Annotated[
    Path, typer.Argument(help="The export file to import.", show_default=False)
]


@import_app.command("copilot-usage")
def import_copilot_usage_command(path: ExportArgument, db: DbOption = None) -> None:
    """Import GitHub Copilot usage: the per-user-per-day NDJSON report, an organisation-level
    daily report, or a legacy /orgs/{org}/copilot/metrics JSON list (detected from the file).

    Example: gaplens import copilot-usage copilot-users-2026-10.ndjson
    """
    from gaplens.telemetry.service import import_copilot_usage

    _import_export(db, path, lambda s, advance: import_copilot_usage(s, path, progress=advance))


@import_app.command("m365-copilot")
def import_m365_copilot_command(path: ExportArgument, db: DbOption = None) -> None:
    """Import a Microsoft 365 Copilot usage user-detail export (CSV or JSON). Import each
    export as it comes: successive exports build the activity history.

    Example: gaplens import m365-copilot CopilotUsageUserDetail-2026-11-01.csv
    """
    from gaplens.telemetry.service import import_m365_copilot

    _import_export(db, path, lambda s, advance: import_m365_copilot(s, path, progress=advance))


@import_app.command("cursor-usage")
def import_cursor_usage_command(path: ExportArgument, db: DbOption = None) -> None:
    """Import Cursor usage: the JSON the Admin API's POST /teams/daily-usage-data returns
    (one response, or JSON lines of several).

    Example: gaplens import cursor-usage cursor-daily-usage-2026-11.json
    """
    from gaplens.telemetry.assistants import import_cursor_usage

    _import_export(db, path, lambda s, advance: import_cursor_usage(s, path, progress=advance))


@import_app.command("claude-code-usage")
def import_claude_code_usage_command(path: ExportArgument, db: DbOption = None) -> None:
    """Import Claude Code usage: the JSON the Anthropic Admin API's GET
    /v1/organizations/usage_report/claude_code returns (one page, or JSON lines of every page).

    Example: gaplens import claude-code-usage claude-code-2026-11-03.json
    """
    from gaplens.telemetry.assistants import import_claude_code_usage

    _import_export(db, path, lambda s, advance: import_claude_code_usage(s, path, progress=advance))


connect_app = typer.Typer(
    help="Connect a tool's API so `gaplens sync` pulls from it (see docs/sync.md).",
    no_args_is_help=True,
)
app.add_typer(connect_app, name="connect")


TokenEnv = Annotated[
    str | None,
    typer.Option(
        help="Name of the environment variable holding the token or secret (default: prompt "
        "for it). The secret itself is never an argument, so it stays out of shell history."
    ),
]
IntervalOption = Annotated[
    int, typer.Option(help="Minutes between the server's scheduled syncs (15-10080).")
]


def _secret_from(variable: str | None, prompt: str) -> str:
    """A token from the named environment variable, or typed at a hidden prompt."""
    if variable is None:
        return str(typer.prompt(prompt, hide_input=True)).strip()
    secret = os.environ.get(variable, "").strip()
    if not secret:
        raise InputError.single(f"the environment variable {variable} is empty or unset")
    return secret


def _connect(db: str | None, what: str, **fields: Any) -> None:
    """Check a connection's fields (each problem named by field), store it, say where it
    points; `what` names its target in the sentence (organisation, projects, tenant)."""
    from pydantic import ValidationError

    from gaplens.sync.schemas import ConnectionIn
    from gaplens.sync.service import add_connection

    with user_errors():
        try:
            spec = ConnectionIn(**fields)  # the token becomes a SecretStr
        except ValidationError as invalid:
            raise InputError.single(
                "; ".join(
                    f"{'.'.join(str(p) for p in e['loc']) or 'connection'}: {e['msg']}"
                    for e in invalid.errors()
                )
            ) from None
        url = ready_database(db)
        with session_scope(url) as session:
            view = add_connection(session, spec)
    out.print(
        f"Connected {view.name} ({view.kind}, {what} {view.org} at {view.base_url}); "
        f"run `gaplens sync {view.kind}` or let the server sync it on its schedule.",
        highlight=False,
    )


@connect_app.command("copilot")
def connect_copilot(
    org: Annotated[
        str | None, typer.Option(help="The organisation's login (github.com/ORG).")
    ] = None,
    enterprise: Annotated[
        str | None,
        typer.Option(
            help="An enterprise's slug instead of an organisation: its reports, seats and "
            "premium requests (github.com/enterprises/SLUG)."
        ),
    ] = None,
    token_env: TokenEnv = None,
    name: Annotated[
        str | None,
        typer.Option(
            help="A name for the connection (default: copilot-ORG or copilot-enterprise-SLUG)."
        ),
    ] = None,
    base_url: Annotated[
        str, typer.Option(help="The REST API root (GitHub Enterprise Server: https://HOST/api/v3).")
    ] = "https://api.github.com",
    interval: IntervalOption = 1440,
    db: DbOption = None,
) -> None:
    """Store a GitHub Copilot connection: usage-metrics reports, seat assignments and premium
    request usage, of an organisation (--org) or a whole enterprise (--enterprise).

    The token (manage_billing:copilot or read:org, or a fine-grained token with the
    organisation's Copilot metrics and Copilot Business read permissions; for an enterprise,
    manage_billing:copilot or read:enterprise) is encrypted with GAPLENS_SECRET_KEY before it
    is stored.

    Example: gaplens connect copilot --org northwind --token-env GH_TOKEN
    """
    with user_errors():
        if (org is None) == (enterprise is None):
            raise InputError.single("give one of --org and --enterprise", column="--org")
        token = _secret_from(token_env, "GitHub token")
    kind = "copilot" if org else "copilot-enterprise"
    target = org or enterprise or ""
    _connect(
        db,
        "organisation" if org else "enterprise",
        kind=kind,
        name=name or f"{kind}-{target}",
        org=target,
        base_url=base_url,
        interval_minutes=interval,
        token=token,
    )


@connect_app.command("jira")
def connect_jira(
    site: Annotated[
        str, typer.Option(help="The Jira Cloud site, e.g. https://acme.atlassian.net.")
    ],
    email: Annotated[str, typer.Option(help="The Atlassian account's email the token belongs to.")],
    projects: Annotated[
        str, typer.Option(help="Project keys to pull, comma separated: KEY[,KEY].")
    ],
    token_env: TokenEnv = None,
    name: Annotated[
        str | None, typer.Option(help="A name for the connection (default: jira-HOST).")
    ] = None,
    interval: IntervalOption = 1440,
    db: DbOption = None,
) -> None:
    """Store a Jira Cloud connection: the projects' issues with their whole changelogs,
    pulled by `updated`.

    The API token (id.atlassian.com, Security, API tokens) is sent with the email as Basic
    auth; both are encrypted together with GAPLENS_SECRET_KEY before they are stored.

    Example: gaplens connect jira --site https://acme.atlassian.net --email me@acme.example
    --projects APP,OPS --token-env JIRA_TOKEN
    """
    from urllib.parse import urlsplit

    with user_errors():
        token = _secret_from(token_env, "Jira API token")
    host = (urlsplit(site.strip()).hostname or "site").split(".")[0]
    _connect(
        db,
        "projects",
        kind="jira",
        name=name or f"jira-{host}",
        org=",".join(key.strip() for key in projects.split(",")),
        base_url=site.strip().rstrip("/"),
        interval_minutes=interval,
        token=token,
        email=email.strip(),
    )


@connect_app.command("m365")
def connect_m365(
    tenant: Annotated[
        str, typer.Option(help="The tenant: its id or domain (contoso.onmicrosoft.com).")
    ],
    client_id: Annotated[str, typer.Option(help="The app registration's application (client) id.")],
    secret_env: TokenEnv = None,
    name: Annotated[
        str | None, typer.Option(help="A name for the connection (default: m365-TENANT).")
    ] = None,
    base_url: Annotated[
        str,
        typer.Option(help="The Graph root with its version (or https://graph.microsoft.com/beta)."),
    ] = "https://graph.microsoft.com/v1.0",
    authority: Annotated[
        str, typer.Option(help="Where tokens are asked for (the Microsoft Entra sign-in).")
    ] = "https://login.microsoftonline.com",
    interval: IntervalOption = 1440,
    db: DbOption = None,
) -> None:
    """Store a Microsoft 365 Copilot connection: Graph's usage user-detail report, pulled
    daily so successive snapshots build the activity history.

    The app registration needs the Reports.Read.All application permission with admin
    consent; its client id and secret are encrypted with GAPLENS_SECRET_KEY before they are
    stored.

    Example: gaplens connect m365 --tenant contoso.onmicrosoft.com --client-id ID --secret-env S
    """
    with user_errors():
        secret = _secret_from(secret_env, "Client secret")
    _connect(
        db,
        "tenant",
        kind="m365",
        name=name or f"m365-{tenant.split('.')[0]}",
        org=tenant,
        base_url=base_url,
        authority=authority,
        client_id=client_id,
        interval_minutes=interval,
        token=secret,
    )


@connect_app.command("zendesk")
def connect_zendesk(
    subdomain: Annotated[str, typer.Option(help="The account's subdomain (SUB.zendesk.com).")],
    email: Annotated[
        str | None,
        typer.Option(
            help="The agent whose API token it is (Basic auth). Leave it out for an OAuth "
            "access token (Bearer)."
        ),
    ] = None,
    token_env: TokenEnv = None,
    name: Annotated[
        str | None, typer.Option(help="A name for the connection (default: zendesk-SUB).")
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(help="The API root (default: https://SUB.zendesk.com)."),
    ] = None,
    interval: IntervalOption = 1440,
    db: DbOption = None,
) -> None:
    """Store a Zendesk Support connection: the incremental ticket export with ticket metrics.

    The token (an API token of an admin or agent who sees every ticket, or an OAuth access
    token with the read scope) is encrypted with GAPLENS_SECRET_KEY before it is stored.

    Example: gaplens connect zendesk --subdomain northwind --email ops@northwind.example
    --token-env ZENDESK_TOKEN
    """
    with user_errors():
        token = _secret_from(token_env, "Zendesk token")
    _connect(
        db,
        "subdomain",
        kind="zendesk",
        name=name or f"zendesk-{subdomain}",
        org=subdomain,
        base_url=base_url or f"https://{subdomain}.zendesk.com",
        interval_minutes=interval,
        token=token,
        email=email,
    )


@connect_app.command("cursor")
def connect_cursor(
    team: Annotated[
        str, typer.Option(help="A label for the team (the admin API key decides which team).")
    ],
    key_env: Annotated[
        str | None,
        typer.Option(
            help="Name of the environment variable holding the admin API key (default: prompt "
            "for it). The key itself is never an argument, so it stays out of shell history."
        ),
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="A name for the connection (default: cursor-TEAM).")
    ] = None,
    base_url: Annotated[str, typer.Option(help="The Admin API root.")] = "https://api.cursor.com",
    interval: IntervalOption = 1440,
    db: DbOption = None,
) -> None:
    """Store a Cursor connection: the Admin API's daily usage per member (POST
    /teams/daily-usage-data), 90 days on the first sync, then from where it stopped.

    The admin API key (cursor.com/dashboard, Settings, Advanced, Admin API Keys) is sent as
    Basic auth and encrypted with GAPLENS_SECRET_KEY before it is stored.

    Example: gaplens connect cursor --team northwind --key-env CURSOR_ADMIN_KEY
    """
    with user_errors():
        key = _secret_from(key_env, "Cursor admin API key")
    _connect(
        db,
        "team",
        kind="cursor",
        name=name or f"cursor-{team}",
        org=team,
        base_url=base_url,
        interval_minutes=interval,
        token=key,
    )


@connect_app.command("claude-code")
def connect_claude_code(
    organization: Annotated[
        str,
        typer.Option(help="A label for the organisation (the admin API key decides which)."),
    ],
    key_env: Annotated[
        str | None,
        typer.Option(
            help="Name of the environment variable holding the Admin API key (default: prompt "
            "for it). The key itself is never an argument, so it stays out of shell history."
        ),
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="A name for the connection (default: claude-code-ORG).")
    ] = None,
    base_url: Annotated[
        str, typer.Option(help="The Anthropic API root.")
    ] = "https://api.anthropic.com",
    interval: IntervalOption = 1440,
    db: DbOption = None,
) -> None:
    """Store a Claude Code connection: the Anthropic Admin API's Claude Code analytics
    (GET /v1/organizations/usage_report/claude_code), 90 days on the first sync, then daily.

    The Admin API key (sk-ant-admin..., Claude Console, Settings, Admin keys) is sent as
    x-api-key and encrypted with GAPLENS_SECRET_KEY before it is stored.

    Example: gaplens connect claude-code --organization northwind --key-env ANTHROPIC_ADMIN_KEY
    """
    with user_errors():
        key = _secret_from(key_env, "Anthropic Admin API key")
    _connect(
        db,
        "organisation",
        kind="claude-code",
        name=name or f"claude-code-{organization}",
        org=organization,
        base_url=base_url,
        interval_minutes=interval,
        token=key,
    )


@app.command("connections")
def connections_command(
    rotate: Annotated[
        bool,
        typer.Option(
            "--rotate",
            help="Re-encrypt every connection's credentials under the current "
            "GAPLENS_SECRET_KEY (after moving the old one to GAPLENS_PREVIOUS_SECRET_KEYS).",
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    """List connections: kind, name, target, cursors, last success and last error (never a
    secret).

    Example: gaplens connections --rotate
    """
    from gaplens.sync.queries import connection_views
    from gaplens.sync.service import rotate_credentials

    with user_errors():
        url = ready_database(db)
        with session_scope(url) as session:
            rotated = rotate_credentials(session) if rotate else None
            views = connection_views(session)
    if rotated is not None:
        out.print(f"Re-encrypted the credentials of {rotated} connection(s).")
    if not views:
        out.print("No connections yet (gaplens connect copilot --help).")
        return
    for v in views:
        pulled = ", ".join(f"{k} {c}" for k, c in v.cursors.items()) or "nothing yet"
        success = f"{v.last_success:%Y-%m-%d %H:%M} UTC" if v.last_success else "never"
        out.print(
            f"{v.name} ({v.kind}): {v.org} at {v.base_url}; every {v.interval_minutes} min; "
            f"pulled up to: {pulled}; last success: {success}"
            + (f"; last error: {v.last_error}" if v.last_error else ""),
            highlight=False,
            soft_wrap=True,
        )


@app.command("disconnect")
def disconnect_command(
    name: Annotated[str, typer.Argument(help="The connection's name (gaplens connections).")],
    db: DbOption = None,
) -> None:
    """Remove a connection and its stored credentials; what it pulled stays.

    Example: gaplens disconnect copilot-northwind
    """
    from gaplens.sync.service import connection_id_named, remove_connection

    with user_errors():
        url = ready_database(db)
        with session_scope(url) as session:
            remove_connection(session, connection_id_named(session, name))
    out.print(f"Removed the connection {name}.")


@app.command("sync")
def sync_command(
    kind: Annotated[
        str | None,
        typer.Argument(
            help="Only connections of this kind (copilot, copilot-enterprise, jira, m365, "
            "zendesk, cursor, claude-code)."
        ),
    ] = None,
    connection: Annotated[
        str | None, typer.Option("--connection", help="Only the connection of this name.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Pull what is new from every connection (each stream from where it stopped), then
    build releases if anything was stored. Exits 1 if any connection failed; its error is
    kept and shown by `gaplens connections` and on /admin/connections.

    From cron (daily at 06:10): 10 6 * * * gaplens sync

    Example: gaplens sync copilot --connection copilot-northwind
    """
    from gaplens.sync.schemas import ConnectionKind
    from gaplens.sync.service import sync_all

    with user_errors():
        if kind is not None and kind not in {k.value for k in ConnectionKind}:
            known = ", ".join(k.value for k in ConnectionKind)
            raise InputError.single(f"unknown kind '{kind}' (known: {known})", column="KIND")
        url = ready_database(db)
        outcomes = sync_all(url, _policy(), kind=kind, name=connection)
    if not outcomes:
        out.print("No connections to sync (gaplens connect copilot --help).")
    for outcome in outcomes:
        (out if outcome.ok else err).print(outcome.describe(), highlight=False, soft_wrap=True)
    if any(not o.ok for o in outcomes):
        raise typer.Exit(1)


@import_app.command("jira")
def import_jira_command(path: ExportArgument, db: DbOption = None) -> None:
    """Import Jira issues: a CSV export (all fields) or REST search JSON (with changelog for
    status history).

    Example: gaplens import jira "Jira Export 2026-11.csv"
    """
    from gaplens.work.service import import_jira

    _import_export(db, path, lambda s, advance: import_jira(s, path, progress=advance))


@import_app.command("tickets")
def import_tickets_command(
    path: ExportArgument,
    system: Annotated[
        str | None,
        typer.Option(help="zendesk or servicenow (default: detected from the header)."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Import support tickets: a Zendesk ticket or Explore CSV export, or a ServiceNow
    incident CSV or JSONv2 export (a JSON file is read as ServiceNow JSONv2).

    Example: gaplens import tickets incident.csv --system servicenow
    """
    from gaplens.work.service import import_tickets

    _import_export(
        db, path, lambda s, advance: import_tickets(s, path, progress=advance, system=system)
    )


@import_app.command("csv")
def import_mapped_csv_command(
    path: ExportArgument,
    mapping: Annotated[
        Path,
        typer.Option(help="TOML file mapping columns to gaplens fields (docs/import-formats.md)."),
    ],
    db: DbOption = None,
) -> None:
    """Import any CSV through a declared column mapping: work items, AI usage days, or
    training and certification records.

    Example: gaplens import csv linear-issues.csv --mapping linear.toml
    """
    from gaplens.mapped.service import import_mapped_csv

    _import_export(
        db, path, lambda s, advance: import_mapped_csv(s, path, mapping, progress=advance)
    )


@import_app.command("friction")
def import_friction_command(path: ExportArgument, db: DbOption = None) -> None:
    """Import friction-log entries (AI output that needed correction) from CSV.

    Example: gaplens import friction friction-log.csv
    """
    from gaplens.friction.service import import_friction

    _import_export(db, path, lambda s, advance: import_friction(s, path, progress=advance))


@import_app.command("task-catalogue")
def import_task_catalogue_command(path: FileArgument, db: DbOption = None) -> None:
    """Import a task catalogue (function, key, label, needs_judgement, use_cases, metrics);
    it replaces the catalogue of every function it names.

    Example: gaplens import task-catalogue task-catalogue.csv
    """
    from gaplens.tasks.service import import_catalogue

    with user_errors():
        summary = run_in_session(db, lambda s: import_catalogue(s, path))
    out.print(summary.describe(), highlight=False)


@import_app.command("task-answers")
def import_task_answers_command(
    path: FileArgument,
    round_name: Annotated[
        str, typer.Option("--round", help="Task map round (created if new).", show_default=False)
    ],
    db: DbOption = None,
) -> None:
    """Import anonymous task answers, one row per respondent and task (docs/tasks.md).

    Example: gaplens import task-answers task-answers.csv --round "Task map 2026-Q3"
    """
    from gaplens.releases.tasks.service import build_task_release
    from gaplens.tasks.service import find_round, import_answers

    def work(session: Session) -> tuple[str, str]:
        summary = import_answers(session, path, round_name)
        built = build_task_release(session, find_round(session, summary.round))
        return summary.describe(), built.message

    with user_errors():
        summary, built = run_in_session(db, work)
    out.print(summary, highlight=False)
    out.print(built, highlight=False)


@app.command()
def digest(
    week: Annotated[
        str | None,
        typer.Option(help="ISO week, e.g. 2026-W47 (default: the last complete week)."),
    ] = None,
    format: Annotated[str, typer.Option("--format", "-f", help="text, html or json.")] = "text",
    output: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write to a file (default: stdout).")
    ] = None,
    db: DbOption = None,
) -> None:
    """The weekly feedback digest for leaders, ready to mail (e.g. from cron every Monday).

    Example: gaplens digest --format html --out digest.html
    """
    import datetime as dt

    from gaplens.audit.service import record
    from gaplens.feedback.delivery import digest_html, digest_text, week_bounds
    from gaplens.feedback.service import digest as build_digest

    with user_errors():
        if format not in ("text", "html", "json"):
            raise InputError.single("expected text, html or json", column="--format")
        start, end = week_bounds(week, dt.date.today())

        def build(session: Session) -> str:
            found = build_digest(session, start, end)
            record(session, "cli", f"export_digest_{format}", f"{start}..{end}")
            if format == "html":
                return digest_html(found)
            if format == "json":
                return found.model_dump_json(indent=2) + "\n"
            return digest_text(found)

        text = run_in_session(db, build)
        if output is None:
            sys.stdout.write(text)
        else:
            output.write_text(text, encoding="utf-8")
            out.print(f"Digest for {start} – {end} written to {output}")


@app.command()
def questions() -> None:
    """List the built-in question bank: keys, scales, options and published benchmarks.

    Example: gaplens questions
    """
    from gaplens.surveys.question_bank import HELD_BACK, bank

    table = Table("key", "scale", "options", "benchmark", title="Question bank v1", show_lines=True)
    for entry in bank():
        benchmark = f"{entry.benchmark.text} ({entry.benchmark.source})" if entry.benchmark else ""
        if entry.key in HELD_BACK:
            benchmark = f"held back, source not confirmed: {HELD_BACK[entry.key]}"
        table.add_row(entry.key, entry.scale.value, " / ".join(entry.options), benchmark)
    out.print(table)
    keys = {entry.key for entry in bank()}
    for key, figure in HELD_BACK.items():
        if key not in keys:  # a derived figure, not a question's
            out.print(f"{key} (derived): held back, source not confirmed: {figure}")


Format = Literal["html", "json", "pdf"]


@app.command()
def report(
    format: Annotated[str, typer.Option("--format", "-f", help="html, json or pdf.")] = "html",
    output: Annotated[Path | None, typer.Option("--out", "-o", help="Where to write it.")] = None,
    scope: Annotated[
        str,
        typer.Option(help="organisation, function:NAME or team:KEY (the team and teams below)."),
    ] = "organisation",
    period: Annotated[
        str | None,
        typer.Option(help="2026-Q3, 2026-H2, 2026-09 or 2026 (default: the last 12 months)."),
    ] = None,
    period_from: Annotated[
        str | None, typer.Option("--from", help="First day, YYYY-MM-DD (with --to).")
    ] = None,
    period_to: Annotated[
        str | None, typer.Option("--to", help="Last day, YYYY-MM-DD (with --from).")
    ] = None,
    survey: Annotated[
        str | None, typer.Option(help="Survey name (default: the latest pulse in the period).")
    ] = None,
    min_group_size: Annotated[
        int, typer.Option(help="Smallest group a number is shown for (never below 5).")
    ] = 5,
    min_comment_group_size: Annotated[
        int, typer.Option(help="Smallest group comments are shown for (never below 10).")
    ] = 10,
    db: DbOption = None,
) -> None:
    """Write the reality report for one scope and period as HTML, JSON, or PDF.

    Example: gaplens report --scope function:Engineering --period 2026-Q3 -f pdf
    """
    from gaplens.report.render import write_report
    from gaplens.report.scope import parse_period, parse_scope
    from gaplens.report.service import build_report

    with user_errors():
        if format not in ("html", "json", "pdf"):
            raise InputError.single(f"unknown format '{format}' (html, json or pdf)", "--format")
        policy = _policy(min_group_size, min_comment_group_size)
        scope_request = parse_scope(scope)
        period_request = parse_period(period, period_from, period_to)
        target = output or Path(f"reality-report.{format}")
        document = run_in_session(
            db,
            lambda s: build_report(
                s, survey, policy, scope_request=scope_request, period_request=period_request
            ),
        )
        written = write_report(document, format, target)  # type: ignore[arg-type]
    out.print(f"Report written: {written.resolve()}")


@costs_app.command("show")
def costs_show(db: DbOption = None) -> None:
    """List the cost inputs the report uses: seat prices and the loaded hourly cost.

    Example: gaplens costs show
    """
    from gaplens.costs.service import load_inputs

    with user_errors():
        inputs = run_in_session(db, load_inputs)
    table = Table("key", "amount", "unit", "source", title=f"Cost inputs ({inputs.currency})")
    for item in inputs.inputs.values():
        table.add_row(item.key, f"{item.amount:,.2f} {item.currency}", item.unit, item.source)
    out.print(table)


@costs_app.command("set")
def costs_set(
    assignments: Annotated[
        list[str],
        typer.Argument(
            help="KEY=AMOUNT pairs: hourly_cost, seat_price.github-copilot, "
            "seat_price.m365-copilot, seat_price.other; KEY=default goes back to the default.",
            show_default=False,
        ),
    ],
    currency: Annotated[str, typer.Option(help="ISO currency code shared by every input.")] = "USD",
    note: Annotated[str | None, typer.Option(help="Where the figure comes from.")] = None,
    db: DbOption = None,
) -> None:
    """Set cost inputs, all at once (a change of currency must set every input).

    Example: gaplens costs set hourly_cost=82 seat_price.github-copilot=19 --note "FY26 budget"
    """
    from gaplens.audit.service import record
    from gaplens.costs.schemas import CostInputsIn
    from gaplens.costs.service import set_inputs

    with user_errors():
        amounts: dict[str, float | None] = {}
        for item in assignments:
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise InputError.single(f"'{item}' is not KEY=AMOUNT", column="assignments")
            text = value.strip()
            if text.casefold() == "default":
                amounts[key.strip()] = None
                continue
            try:
                amounts[key.strip()] = float(text.replace(",", ""))
            except ValueError:
                raise InputError.single(f"'{text}' is not a number", column=key.strip()) from None
        change = CostInputsIn(currency=currency, amounts=amounts, note=note)

        def apply(session: Session) -> None:
            set_inputs(session, change)
            record(session, "cli", "set_cost_inputs", ",".join(amounts), {"currency": currency})

        run_in_session(db, apply)
    out.print(f"Cost inputs set: {', '.join(amounts)}")


@costs_app.command("reset")
def costs_reset(db: DbOption = None) -> None:
    """Go back to the default cost inputs (published list prices and a placeholder hourly cost).

    Example: gaplens costs reset
    """
    from gaplens.audit.service import record
    from gaplens.costs.service import reset_inputs

    def apply(session: Session) -> None:
        reset_inputs(session)
        record(session, "cli", "reset_cost_inputs", "all")

    with user_errors():
        run_in_session(db, apply)
    out.print("Cost inputs back to their defaults.")


@app.command()
def demo(
    people: Annotated[int, typer.Option(help="Size of the synthetic organisation.")] = 2000,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same data.")] = 1,
    output: Annotated[
        Path, typer.Option("--out", help="Folder for the generated files and reports.")
    ] = Path("demo-output"),
    db: Annotated[
        str | None,
        typer.Option("--db", help="Database (default: a fresh SQLite file inside --out)."),
    ] = None,
) -> None:
    """Generate a synthetic organisation, import it through the importers, write the report.

    Example: gaplens demo --people 2000 --seed 7 --out demo-output
    """
    from gaplens.demo.pipeline import run_demo

    started = time.perf_counter()
    with user_errors():
        if people < 10 or people > 200_000:
            raise InputError.single("choose between 10 and 200000 people", "--people")
        result = run_demo(people=people, seed=seed, out_dir=output, db=db, console=out)
    out.print()
    out.print(f"[bold]Demo finished in {time.perf_counter() - started:.1f} s[/]")
    for label, path in result.reports.items():
        out.print(f"  {label:<5} report: {path.resolve()}")
    out.print(f"  database:    {_display_url(result.database_url)}")
    out.print(
        "Open the HTML report in any browser (it works offline), e.g.\n"
        f"  xdg-open {result.reports['html'].resolve()}\n"
        "Open the dashboard:\n"
        f"  {_this_command()} serve --db {_display_url(result.database_url)}\n"
        f"  then http://127.0.0.1:8000/dashboard and sign in as {result.staff_email}"
        f" with password {result.staff_password}\n"
        f"  (survey answer page: http://127.0.0.1:8000{result.open_link};"
        f" task map answer page: http://127.0.0.1:8000{result.task_link};"
        " feedback: http://127.0.0.1:8000/feedback; leaders' AI work: /leaders;"
        " what stays the same: /commitments; a report for any scope and period: /reports)"
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Server worker processes.")] = 1,
    db: DbOption = None,
) -> None:
    """Serve the web app: survey and feedback pages, the staff dashboard and /api/v1.

    Example: gaplens serve --host 0.0.0.0 --port 8000 --workers 2
    """
    from gaplens.web.server import ASGI_APP, run_server
    from gaplens.web.settings import WebSettings

    with user_errors():
        url = ready_database(db)
        # Each worker reads the settings again; a wrong one stops here, said plainly.
        WebSettings.from_environment(url)
    os.environ["GAPLENS_DATABASE_URL"] = url
    if host in ("127.0.0.1", "localhost", "::1"):
        # Plain HTTP on this machine only: browsers may drop Secure cookies there. Anything
        # reachable from elsewhere keeps Secure cookies and belongs behind HTTPS.
        os.environ.setdefault("GAPLENS_INSECURE_COOKIES", "1")
    out.print(f"gaplens on http://{host}:{port}/  (dashboard: /dashboard, API spec: /openapi.json)")
    run_server(ASGI_APP, host, port, workers)


scim_app = typer.Typer(
    help="SCIM provisioning from an identity provider (see docs/scim.md).", no_args_is_help=True
)
app.add_typer(scim_app, name="scim")
scim_token_app = typer.Typer(help="Bearer tokens for SCIM clients.", no_args_is_help=True)
scim_app.add_typer(scim_token_app, name="token")


@scim_token_app.command("create")
def scim_token_create(
    name: Annotated[str, typer.Argument(help="Whom the token is for, e.g. entra-id.")],
    db: DbOption = None,
) -> None:
    """Issue a SCIM bearer token and print it once (only its hash is stored).

    Example: gaplens scim token create entra-id
    """
    from gaplens.scim.service import create_token

    with user_errors():
        url = ready_database(db)
        with session_scope(url) as session:
            token = create_token(session, name)
    out.print(f"SCIM token '{name.strip()}' (shown once; paste it into the identity provider):")
    print(token)


@scim_token_app.command("revoke")
def scim_token_revoke(
    name: Annotated[str, typer.Argument(help="The token's name.")], db: DbOption = None
) -> None:
    """Revoke a SCIM token: the identity provider's next request is refused.

    Example: gaplens scim token revoke entra-id
    """
    from gaplens.scim.service import revoke_token

    with user_errors():
        url = ready_database(db)
        with session_scope(url) as session:
            revoke_token(session, name)
    out.print(f"Revoked SCIM token '{name.strip()}'.")


@scim_token_app.command("list")
def scim_token_list(db: DbOption = None) -> None:
    """The names of the live SCIM tokens (never a token).

    Example: gaplens scim token list
    """
    from gaplens.scim.service import token_names

    with user_errors():
        url = ready_database(db)
        with session_scope(url) as session:
            names = token_names(session)
    out.print("\n".join(names) if names else "No SCIM tokens (gaplens scim token create NAME).")


@users_app.command("add")
def users_add(
    email: Annotated[str, typer.Argument(help="Work email (the sign-in name).")],
    role: Annotated[str, typer.Option(help="admin, leader or analyst.")] = "analyst",
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Add a staff account. Staff see aggregates only; respondents never need an account.

    Example: gaplens users add ana@example.com --role admin --name "Ana"
    """
    from gaplens.accounts.schemas import StaffRole
    from gaplens.accounts.service import create_user

    with user_errors():
        if role not in {r.value for r in StaffRole}:
            raise InputError.single(f"unknown role '{role}' (admin, leader, analyst)", "--role")
        if password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        user = run_in_session(
            db, lambda s: create_user(s, email, name or email, StaffRole(role), password)
        )
    out.print(f"Added {user.email} ({user.role.value}).")


@users_app.command("link-sso")
def users_link_sso(
    email: Annotated[str, typer.Argument(help="The existing account's email.")],
    issuer: Annotated[str, typer.Option(help="The provider's issuer (GAPLENS_OIDC_ISSUER).")],
    subject: Annotated[str, typer.Option(help="The person's `sub` at that provider.")],
    db: DbOption = None,
) -> None:
    """Link an existing account to its owner's single sign-on identity (docs/sso.md); from
    then on they sign in through the provider, and the account's password stops working.

    Example: gaplens users link-sso ana@example.com --issuer https://id.example.com --subject 00u1
    """
    from gaplens.accounts.sso import link_sso_account
    from gaplens.audit.service import record

    def link(session: Session) -> str:
        user = link_sso_account(session, email, issuer, subject)
        record(session, "cli", "sso_account_linked", f"staff_user:{user.id}", {"issuer": issuer})
        return user.email

    with user_errors():
        linked = run_in_session(db, link)
    out.print(f"Linked {linked} to single sign-on; its password no longer works.")


@survey_app.command("open-link")
def survey_open_link(
    name: Annotated[
        str, typer.Argument(help="Survey name (created from the question bank if new).")
    ],
    base_url: Annotated[
        str, typer.Option(help="Where gaplens is served.")
    ] = "http://127.0.0.1:8000",
    db: DbOption = None,
) -> None:
    """Create (or replace) the survey's open anonymous link and print it.

    Example: gaplens survey open-link "AI pulse 2026-Q4" --base-url https://gaplens.example.com
    """
    from gaplens.surveys.collection import create_open_link
    from gaplens.surveys.service import get_or_create_survey

    with user_errors():
        token = run_in_session(db, lambda s: create_open_link(s, get_or_create_survey(s, name)[0]))
    out.print(f"{base_url.rstrip('/')}/s/{token}")


@survey_app.command("close")
def survey_close(
    name: Annotated[str, typer.Argument(help="The survey to close.", show_default=False)],
    db: DbOption = None,
) -> None:
    """Close a survey: its open link and invitations stop accepting answers, and its release
    is built at once, including today's answers, so the last answers are published now.

    Example: gaplens survey close "AI pulse 2026-Q4"
    """
    from gaplens.releases.closing import close_and_release
    from gaplens.surveys.service import find_survey

    def close(session: Session) -> tuple[str, str]:
        survey = find_survey(session, name)
        built = close_and_release(session, survey, _policy())
        return survey.name, built.message

    with user_errors():
        closed, message = run_in_session(db, close)
    out.print(f"{closed} is closed: its links no longer accept answers.")
    out.print(message)


@survey_app.command("invite")
def survey_invite(
    name: Annotated[
        str, typer.Argument(help="Survey name (created from the question bank if new).")
    ],
    output: Annotated[Path, typer.Option("--out", help="CSV of email,link for your mail tool.")],
    team: Annotated[str | None, typer.Option(help="Only this team and the teams below it.")] = None,
    base_url: Annotated[
        str, typer.Option(help="Where gaplens is served.")
    ] = "http://127.0.0.1:8000",
    db: DbOption = None,
) -> None:
    """Create one single-use link per person and write them to a CSV (links are not kept).

    Example: gaplens survey invite "AI pulse 2026-Q4" --team eng --out invitations.csv
    """
    from gaplens.directory.queries import people_to_invite
    from gaplens.surveys.collection import create_invitations
    from gaplens.surveys.service import get_or_create_survey

    def invite(session: Any) -> list[tuple[str, str]]:
        people = people_to_invite(session, team)
        return create_invitations(session, get_or_create_survey(session, name)[0], people)

    with user_errors():
        links = run_in_session(db, invite)
        _write_links(output, links, f"{base_url.rstrip('/')}/s/")
    out.print(f"{len(links)} single-use links written to {output}")


def _day(value: str, option: str) -> dt.date:
    from gaplens.dates import plausible_day

    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise InputError.single(f"'{value}' is not a date (YYYY-MM-DD)", column=option) from None
    return plausible_day(day, option)


@reflections_app.command("schedule")
def reflections_schedule(
    since: Annotated[
        str, typer.Option(help="First day of training completions and first uses to take.")
    ],
    db: DbOption = None,
) -> None:
    """Create three reflection invitations (right after, +1 day, +1 week) per training
    completion or first AI use since a day; re-running never duplicates them.

    Example: gaplens reflections schedule --since 2026-11-01
    """
    from gaplens.reflections.service import schedule

    with user_errors():
        day = _day(since, "--since")
        summary = run_in_session(db, lambda s: schedule(s, day))
    out.print(summary.describe())


REFLECTION_LINK_COLUMNS = [
    *("email", "name", "step", "due_on", "expires_on", "link", "subject", "body"),
]


@reflections_app.command("links")
def reflections_links(
    output: Annotated[Path, typer.Option("--out", help="CSV for your mail tool.")],
    due: Annotated[
        str | None, typer.Option(help="Links due on or before this day (default: today).")
    ] = None,
    base_url: Annotated[
        str, typer.Option(help="Where gaplens is served.")
    ] = "http://127.0.0.1:8000",
    reissue: Annotated[
        bool, typer.Option(help="Also replace links already issued (the old ones stop working).")
    ] = False,
    db: DbOption = None,
) -> None:
    """Write one single-use reflection link per invitation now due, with a ready-to-send
    subject and body, to a CSV for the organisation's mail tool (links are not kept).

    Example: gaplens reflections links --due 2026-11-24 --out reflection-links.csv
    """
    import csv

    from gaplens.i18n import organisation_language
    from gaplens.reflections.schemas import ReflectionLink
    from gaplens.reflections.service import issue_links

    with user_errors():
        day = _day(due, "--due") if due else dt.date.today()
        if not output.parent.is_dir():
            raise InputError.single(f"folder {output.parent} does not exist", column="--out")
        try:
            default_language = organisation_language()
        except ValueError as error:
            raise InputError.single(str(error)) from None
        partial = output.with_name(f".{output.name}.partial")

        def issue(session: Session) -> list[ReflectionLink]:
            # Written before the commit: if the file cannot be written nothing is issued,
            # and it only takes its name once the links it holds are committed.
            links = issue_links(
                session, day, base_url, reissue=reissue, default_language=default_language
            )
            with partial.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(REFLECTION_LINK_COLUMNS)
                writer.writerows(
                    [
                        link.email,
                        link.name,
                        link.step,
                        link.due_on.isoformat(),
                        link.expires_on.isoformat(),
                        link.url,
                        link.subject,
                        link.body,
                    ]
                    for link in links
                )
            return links

        try:
            links = run_in_session(db, issue)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        partial.replace(output)
    out.print(f"{len(links)} reflection links due by {day} written to {output}")


@reflections_app.command("send")
def reflections_send(
    channel: Annotated[
        str | None,
        typer.Option(help="email or slack (default: $GAPLENS_REFLECTIONS_CHANNEL, else email)."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Issue the reflection links due today and send each by email or Slack (docs/mail.md);
    one that does not arrive is withdrawn and sent again at the next run.

    Example: gaplens reflections send --channel email
    """
    from gaplens.mail.runner import reflections_channel, send_reflections_now

    with user_errors():
        chosen = channel or reflections_channel() or "email"
        if chosen not in ("email", "slack"):
            raise InputError.single(f"'{chosen}' must be email or slack", column="--channel")
        result = send_reflections_now(ready_database(db), "cli", chosen)
    out.print(result.describe())
    if result.stopped:
        raise typer.Exit(1)


@tasks_app.command("open-link")
def tasks_open_link(
    name: Annotated[str, typer.Argument(help="Round name (created from the catalogue if new).")],
    base_url: Annotated[
        str, typer.Option(help="Where gaplens is served.")
    ] = "http://127.0.0.1:8000",
    db: DbOption = None,
) -> None:
    """Create (or replace) the round's open anonymous answer link and print it.

    Example: gaplens tasks open-link "Task map 2027-Q1" --base-url https://gaplens.example.com
    """
    from gaplens.tasks.service import create_open_link, get_or_create_round

    with user_errors():
        token = run_in_session(db, lambda s: create_open_link(s, get_or_create_round(s, name)[0]))
    out.print(f"{base_url.rstrip('/')}/t/{token}")


@tasks_app.command("invite")
def tasks_invite(
    name: Annotated[str, typer.Argument(help="Round name (created from the catalogue if new).")],
    output: Annotated[Path, typer.Option("--out", help="CSV of email,link for your mail tool.")],
    team: Annotated[str | None, typer.Option(help="Only this team and the teams below it.")] = None,
    base_url: Annotated[
        str, typer.Option(help="Where gaplens is served.")
    ] = "http://127.0.0.1:8000",
    db: DbOption = None,
) -> None:
    """Create one single-use answer link per person and write them to a CSV (not kept).

    Example: gaplens tasks invite "Task map 2027-Q1" --team support --out task-links.csv
    """
    from gaplens.directory.queries import people_to_invite
    from gaplens.tasks.service import create_invitations, get_or_create_round

    def invite(session: Any) -> list[tuple[str, str]]:
        people = people_to_invite(session, team)
        return create_invitations(session, get_or_create_round(session, name)[0], people)

    with user_errors():
        links = run_in_session(db, invite)
        _write_links(output, links, f"{base_url.rstrip('/')}/t/")
    out.print(f"{len(links)} single-use links written to {output}")


@invitations_app.command("schedule")
def invitations_schedule(
    name: Annotated[
        str, typer.Argument(help="Survey name (created from the question bank if new).")
    ],
    opens_on: Annotated[str, typer.Option("--opens-on", help="Day the invitation goes out.")],
    closes_on: Annotated[str, typer.Option("--closes-on", help="Day the survey closes.")],
    reminders: Annotated[
        str, typer.Option(help="Days after opening to remind unused invitations, e.g. 3,7.")
    ] = "3,7",
    closing_reminder: Annotated[
        bool, typer.Option(help="Remind unused invitations the day before the close.")
    ] = True,
    team: Annotated[str | None, typer.Option(help="Only this team and the teams below it.")] = None,
    channel: Annotated[str, typer.Option(help="email or slack.")] = "email",
    db: DbOption = None,
) -> None:
    """Set when a survey's invitation and reminders go out (the web server sends them; or
    run `gaplens invitations run` from cron).

    Example: gaplens invitations schedule "AI pulse 2026-Q4" --opens-on 2026-12-08
    --closes-on 2026-12-22
    """
    from gaplens.audit.service import record
    from gaplens.mail.service import schedule_survey
    from gaplens.surveys.service import get_or_create_survey

    with user_errors():
        opens, closes = _day(opens_on, "--opens-on"), _day(closes_on, "--closes-on")
        try:
            days = [int(d) for d in reminders.split(",") if d.strip()]
        except ValueError:
            raise InputError.single(
                f"'{reminders}' is not a list of days such as 3,7", column="--reminders"
            ) from None

        def plan(session: Session) -> str:
            survey = get_or_create_survey(session, name)[0]
            schedule_survey(
                session,
                survey,
                opens_on=opens,
                closes_on=closes,
                reminder_days=days,
                closing_reminder=closing_reminder,
                team=team,
                channel=channel,
            )
            record(session, "cli", "mail_schedule", survey.name, {"channel": channel})
            return survey.name

        planned = run_in_session(db, plan)
    out.print(f"{planned}: invitation on {opens}, reminders {days or 'none'}, closes {closes}")


def _mail_action(name: str, action: str, db: str | None) -> None:
    from gaplens.mail.runner import send_now
    from gaplens.surveys.service import find_survey

    with user_errors():
        url = ready_database(db)
        survey_id = run_in_session(url, lambda s: find_survey(s, name).id)
        report = send_now(url, survey_id, action, "cli")
    out.print(report.describe())
    if report.stopped:
        raise typer.Exit(1)


@invitations_app.command("send")
def invitations_send(
    name: Annotated[str, typer.Argument(help="Survey name.")], db: DbOption = None
) -> None:
    """Send the invitation now to everyone in the schedule's scope who has none yet.

    Example: gaplens invitations send "AI pulse 2026-Q4"
    """
    _mail_action(name, "send", db)


@invitations_app.command("remind")
def invitations_remind(
    name: Annotated[str, typer.Argument(help="Survey name.")],
    closing: Annotated[bool, typer.Option(help="Send the closing reminder's wording.")] = False,
    db: DbOption = None,
) -> None:
    """Remind, now, only the people whose invitation has not been used.

    Example: gaplens invitations remind "AI pulse 2026-Q4"
    """
    _mail_action(name, "remind-closing" if closing else "remind", db)


@invitations_app.command("bounces")
def invitations_bounces(
    path: Annotated[Path, typer.Argument(help="Bounce messages: a .mbox export or one .eml.")],
    db: DbOption = None,
) -> None:
    """Read delivery reports (RFC 3464) that came back later and mark those invitations
    bounced on /admin/mail.

    Example: gaplens invitations bounces bounces.mbox
    """
    from gaplens.audit.service import record
    from gaplens.connectors.delivery_reports import read_bounces
    from gaplens.mail.service import BounceSummary, mark_bounced

    with user_errors():
        url = ready_database(db)
        bounces = read_bounces(path)

        def apply(session: Session) -> BounceSummary:
            summary = mark_bounced(session, bounces)
            record(
                session,
                "cli",
                "mail_bounces",
                path.name,
                {"marked": summary.marked, "unknown": summary.unknown},
            )
            return summary

        summary = run_in_session(url, apply)
    out.print(summary.describe())


@invitations_app.command("run")
def invitations_run(db: DbOption = None) -> None:
    """Send whatever the schedules say is due today (for cron, if the web server does not).

    Example: gaplens invitations run
    """
    from gaplens.mail.runner import scheduled_mail

    with user_errors():
        reports = scheduled_mail(ready_database(db))
    for report in reports:
        out.print(report.describe())
    if not reports:
        out.print("Nothing due.")


def _write_links(output: Path, links: list[tuple[str, str]], prefix: str) -> None:
    """email,link rows for a mail tool; the tokens exist nowhere else in readable form."""
    import csv

    with output.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "link"])
        writer.writerows((email, prefix + token) for email, token in links)


ExportFormat = Annotated[str, typer.Option("--format", "-f", help="csv or json.")]
ExportOut = Annotated[
    Path | None, typer.Option("--out", "-o", help="Write to a file (default: stdout).")
]


def _write_export(text: str, output: Path | None, what: str) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    output.write_text(text, encoding="utf-8")
    out.print(f"{what} written to {output}")


@modelling_app.command("post")
def modelling_post(
    author: Annotated[str, typer.Option(help="Email of the leader or admin account it is by.")],
    title: Annotated[str, typer.Option(help="A short title (3-120 characters).")],
    task: Annotated[str, typer.Option(help="What the AI was used for.")],
    tool: Annotated[str, typer.Option(help="The AI tool.")],
    worked: Annotated[str, typer.Option(help="What worked.")],
    wrong: Annotated[
        str | None, typer.Option(help="What the AI got wrong (or use --nothing-went-wrong).")
    ] = None,
    nothing_went_wrong: Annotated[
        bool, typer.Option("--nothing-went-wrong", help="Say explicitly that nothing did.")
    ] = False,
    function: Annotated[
        str | None, typer.Option(help="The function it is about (default: everyone).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Publish a leader's post about their own AI work, signed with their account's name.

    Example: gaplens modelling post --author dana@example.com --title "Copilot invented an
    API" --task "migration script" --tool "GitHub Copilot" --worked "the boilerplate"
    --wrong "it called a helper that does not exist"
    """
    from gaplens.accounts.service import account_by_email
    from gaplens.audit.service import record
    from gaplens.modelling.service import publish_post, validate_post

    def publish(session: Session) -> int:
        user = account_by_email(session, author)
        data: dict[str, object] = {"title": title, "task": task, "tool": tool}
        data.update(what_worked=worked, what_went_wrong=wrong, function=function)
        data["nothing_went_wrong"] = nothing_went_wrong
        post = publish_post(session, user.id, validate_post(data))
        record(session, f"cli:{user.id}", "publish_post", str(post.id))
        return post.id

    with user_errors():
        post_id = run_in_session(db, publish)
    out.print(f"Published post {post_id}: /leaders/{post_id}")


@modelling_app.command("list")
def modelling_list(db: DbOption = None) -> None:
    """List leaders' posts, newest first, with their useful counts.

    Example: gaplens modelling list
    """
    from gaplens.modelling.service import all_posts

    with user_errors():
        posts = run_in_session(db, all_posts)
    table = Table("id", "published", "author", "title", "AI got wrong", "useful", "edited")
    for p in posts:
        table.add_row(
            str(p.id),
            p.published_on.isoformat(),
            f"{p.author.name} ({p.author.role})",
            p.title,
            "yes" if p.admits_failure else "nothing went wrong",
            str(p.useful),
            p.edited_on.isoformat() if p.edited_on else "",
        )
    out.print(table if posts else "No posts yet.")


@modelling_app.command("export")
def modelling_export(
    format: ExportFormat = "csv", output: ExportOut = None, db: DbOption = None
) -> None:
    """Export every post (CSV or JSON) with its author, failure field and useful count.

    Example: gaplens modelling export --format csv --out leader-posts.csv
    """
    from gaplens.modelling.service import all_posts, export_posts

    with user_errors():
        if format not in ("csv", "json"):
            raise InputError.single(f"unknown format '{format}' (csv or json)", column="--format")
        text = export_posts(run_in_session(db, all_posts), format)
        _write_export(text, output, "Posts")


@commitments_app.command("add")
def commitments_add(
    by: Annotated[str, typer.Option(help="Email of the leader or admin account entering it.")],
    category: Annotated[str, typer.Option(help="role, skill, knowledge or other.")],
    text: Annotated[str, typer.Option(help="The statement (10-600 characters).")],
    stated_by: Annotated[str, typer.Option(help='Who states it, e.g. "Dana Whitfield, COO".')],
    function: Annotated[
        str | None, typer.Option(help="The function it is for (default: the whole organisation).")
    ] = None,
    review_on: Annotated[str | None, typer.Option(help="Review date, YYYY-MM-DD.")] = None,
    db: DbOption = None,
) -> None:
    """Make a statement of what stays the same; it shows on the survey and feedback pages.

    Example: gaplens commitments add --by dana@example.com --category role --text "No role is
    cut because of AI in 2026." --stated-by "Dana Whitfield, COO" --review-on 2027-01-31
    """
    from gaplens.accounts.service import account_by_email
    from gaplens.audit.service import record
    from gaplens.commitments.service import create_statement, validate_statement

    def add(session: Session) -> int:
        user = account_by_email(session, by)
        statement = validate_statement(
            {
                "category": category,
                "text": text,
                "stated_by": stated_by,
                "function": function,
                "review_on": _day(review_on, "--review-on") if review_on else None,
            }
        )
        row = create_statement(session, user.id, statement)
        record(session, f"cli:{user.id}", "create_statement", str(row.id))
        return row.id

    with user_errors():
        statement_id = run_in_session(db, add)
    out.print(f"Statement {statement_id} published: /commitments#statement-{statement_id}")


@commitments_app.command("reword")
def commitments_reword(
    statement_id: Annotated[int, typer.Argument(help="The statement's id (see list).")],
    by: Annotated[str, typer.Option(help="Email of the leader or admin account rewording it.")],
    text: Annotated[str | None, typer.Option(help="The new wording.")] = None,
    category: Annotated[str | None, typer.Option(help="role, skill, knowledge or other.")] = None,
    stated_by: Annotated[str | None, typer.Option(help="Who states it.")] = None,
    function: Annotated[
        str | None, typer.Option(help="The function it is for ('' for the whole organisation).")
    ] = None,
    review_on: Annotated[str | None, typer.Option(help="Review date, YYYY-MM-DD.")] = None,
    db: DbOption = None,
) -> None:
    """Reword a statement; what you leave out stays as it is, the old wording stays visible.

    Example: gaplens commitments reword 3 --by dana@example.com --text "No role is cut
    because of AI in 2026 or 2027."
    """
    from gaplens.accounts.service import account_by_email
    from gaplens.audit.service import record
    from gaplens.commitments.service import get_statement, revise_statement, validate_statement

    def reword(session: Session) -> int:
        user = account_by_email(session, by)
        current = get_statement(session, statement_id)
        statement = validate_statement(
            {
                "category": category or current.category.value,
                "text": text if text is not None else current.text,
                "stated_by": stated_by or current.stated_by,
                "function": current.function if function is None else function,
                "review_on": _day(review_on, "--review-on") if review_on else current.review_on,
            }
        )
        row = revise_statement(session, statement_id, user.id, statement)
        record(session, f"cli:{user.id}", "revise_statement", str(statement_id))
        return row.revision

    with user_errors():
        revision = _known_statement(lambda: run_in_session(db, reword))
    out.print(f"Statement {statement_id} is now at revision {revision}.")


@commitments_app.command("retire")
def commitments_retire(
    statement_id: Annotated[int, typer.Argument(help="The statement's id (see list).")],
    by: Annotated[str, typer.Option(help="Email of the leader or admin account retiring it.")],
    reason: Annotated[str | None, typer.Option(help="Why it no longer holds.")] = None,
    db: DbOption = None,
) -> None:
    """Retire a statement that no longer holds; it stays listed as retired, with the reason.

    Example: gaplens commitments retire 3 --by dana@example.com --reason "Replaced by 7"
    """
    from gaplens.accounts.service import account_by_email
    from gaplens.audit.service import record
    from gaplens.commitments.service import retire_statement, validate_retirement

    def retire(session: Session) -> None:
        user = account_by_email(session, by)
        retire_statement(session, statement_id, user.id, validate_retirement({"reason": reason}))
        record(session, f"cli:{user.id}", "retire_statement", str(statement_id))

    with user_errors():
        _known_statement(lambda: run_in_session(db, retire))
    out.print(f"Statement {statement_id} retired.")


def _known_statement(work: Callable[[], T]) -> T:
    """An unknown statement id is the user's input error (exit 2), not an internal one."""
    from gaplens.commitments.service import StatementNotFound

    try:
        return work()
    except StatementNotFound as missing:
        raise InputError.single(str(missing), column="STATEMENT_ID") from None


@commitments_app.command("list")
def commitments_list(
    all_: Annotated[bool, typer.Option("--all", help="Include retired statements.")] = False,
    db: DbOption = None,
) -> None:
    """List the statements in force (with --all, the retired ones too).

    Example: gaplens commitments list --all
    """
    from gaplens.commitments.service import list_statements

    with user_errors():
        statements = run_in_session(db, lambda s: list_statements(s, include_retired=all_))
    table = Table("id", "kind", "for", "statement", "stated by", "since", "revision", "status")
    for st in statements:
        table.add_row(
            str(st.id),
            st.category.value,
            st.function or "everyone",
            st.text,
            st.stated_by,
            st.published_on.isoformat(),
            str(st.revision),
            f"retired {st.retired_on.isoformat()}" if st.retired_on else "in force",
        )
    out.print(table if statements else "No statements yet.")


@commitments_app.command("export")
def commitments_export(
    format: ExportFormat = "csv", output: ExportOut = None, db: DbOption = None
) -> None:
    """Export every statement, retired ones and earlier wordings included (CSV or JSON).

    Example: gaplens commitments export --format json --out statements.json
    """
    from gaplens.commitments.service import export_statements, list_statements

    with user_errors():
        if format not in ("csv", "json"):
            raise InputError.single(f"unknown format '{format}' (csv or json)", column="--format")
        text = export_statements(run_in_session(db, list_statements), format)
        _write_export(text, output, "Statements")


# --- success criteria and the what's-working log ---------------------------------------------

criteria_app = typer.Typer(
    help="Success criteria: defined before a rollout phase, status computed from the data.",
    no_args_is_help=True,
)
app.add_typer(criteria_app, name="criteria")
wins_app = typer.Typer(
    help="The what's-working log: wins with numbers computed from the data.",
    no_args_is_help=True,
)
app.add_typer(wins_app, name="wins")
ByOption = Annotated[str, typer.Option("--by", help="Who does this (shown in the history).")]
TeamOption = Annotated[
    str | None, typer.Option(help="A team key (the team and the teams below it).")
]
FunctionOption = Annotated[str | None, typer.Option(help="A function, e.g. Engineering.")]
MethodOption = Annotated[
    str,
    typer.Option(
        help="current-vs-baseline, within-person or difference-in-differences (docs/metrics.md)."
    ),
]
FormatOption = Annotated[str, typer.Option("--format", "-f", help="text or json.")]


def _date(value: str | None, option: str) -> Any:
    """An ISO date from an option, or a clear error naming the option."""
    if value is None:
        return None
    from gaplens.dates import plausible_day

    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise InputError.single(f"expected a date like 2026-05-04, got {value!r}", option) from None
    return plausible_day(day, option)


def _period(value: str | None, option: str) -> tuple[Any, Any]:
    if value is None:
        return None, None
    first, sep, last = value.partition("..")
    if not sep:
        raise InputError.single("expected FIRST..LAST, e.g. 2026-07-01..2026-09-30", option)
    return _date(first, option), _date(last, option)


def _target(value: str) -> tuple[str, float]:
    """'-15%' is a relative change; '3.2' is a level in the metric's unit."""
    text = value.strip().replace("\u2212", "-")
    relative = text.endswith("%")
    try:
        number = float(text.rstrip("%"))
    except ValueError:
        raise InputError.single(
            f"expected a number (a level, e.g. 3.2) or a percentage (e.g. -15%), got {value!r}",
            "--target",
        ) from None
    return ("relative" if relative else "value"), number


def _method(value: str) -> str:
    return value.strip().replace("-", "_")


def _model(model: Any, values: dict[str, Any]) -> Any:
    from pydantic import ValidationError

    from gaplens.errors import InputProblem

    try:
        return model.model_validate(values)
    except ValidationError as invalid:
        raise InputError(
            [
                InputProblem(e["msg"], column="--" + "-".join(str(p) for p in e["loc"]))
                for e in invalid.errors()
            ]
        ) from None


def _criterion_line(view: Any) -> str:
    from gaplens.criteria.service import figure_text

    unit = view.metric.unit
    status = view.status
    if view.retired or status is None:
        verdict = f"retired: {view.retired_reason}"
    else:
        change = figure_text(status.change, unit) if status.change else "—"
        month = status.as_of or "no month end released yet"
        verdict = (
            f"{status.label} ({status.rule}); measured change {change}; released month end {month}"
        )
    return (
        f"#{view.id} {view.phase_name} (from {view.phase_start}): {view.metric.label}, "
        f"{view.scope.label}, {view.method_label}\n"
        f"    baseline (month end {view.baseline_end}) {figure_text(view.baseline, unit)}; "
        f"target {view.target_text}; "
        f"review {view.review_date}; {view.edits} revision(s), "
        f"{view.edits_after_start} after the start\n    {verdict}"
    )


@criteria_app.command("add")
def criteria_add(
    phase: Annotated[str, typer.Option(help="The rollout phase.")],
    start: Annotated[str, typer.Option(help="First day of the phase (YYYY-MM-DD).")],
    metric: Annotated[str, typer.Option(help="A metric key (GET /api/v1/metrics).")],
    target: Annotated[str, typer.Option(help="-15% (change from the baseline) or 3.2 (a level).")],
    method: MethodOption = "current-vs-baseline",
    team: TeamOption = None,
    function: FunctionOption = None,
    review: Annotated[
        str | None, typer.Option(help="Review date (default: start + 90 days).")
    ] = None,
    note: Annotated[str | None, typer.Option(help="Notes shown with the criterion.")] = None,
    by: ByOption = "command line",
    db: DbOption = None,
) -> None:
    """Define a success criterion; its baseline is read from the measured release.

    Example: gaplens criteria add --phase "Copilot wave 4" --start 2026-02-02 --metric cycle_time
    --function Engineering --target -10% --method difference-in-differences
    """
    from gaplens.criteria.schemas import CriterionIn
    from gaplens.criteria.service import criterion_view_by_id, define_criterion

    with user_errors():
        kind, number = _target(target)
        body = _model(
            CriterionIn,
            {
                "phase_name": phase,
                "phase_start": _date(start, "--start"),
                "metric": metric,
                "team": team,
                "function": function,
                "target_kind": kind,
                "target": number,
                "method": _method(method),
                "review_date": _date(review, "--review"),
                "description": note,
            },
        )

        def add(session: Session) -> str:
            now = dt.datetime.now(dt.UTC)
            criterion_id = define_criterion(session, body, by, now, _policy())
            view = criterion_view_by_id(session, criterion_id, now.date(), _policy())
            return _criterion_line(view)

        line = run_in_session(db, add)
    out.print(line, highlight=False)


@criteria_app.command("edit")
def criteria_edit(
    criterion_id: Annotated[int, typer.Argument(help="The criterion's number (criteria list).")],
    reason: Annotated[
        str | None, typer.Option(help="Why it changes (required after the phase start).")
    ] = None,
    phase: Annotated[str | None, typer.Option(help="New phase name.")] = None,
    start: Annotated[str | None, typer.Option(help="New phase start.")] = None,
    metric: Annotated[str | None, typer.Option(help="New metric key.")] = None,
    target: Annotated[str | None, typer.Option(help="New target: -15% or 3.2.")] = None,
    method: Annotated[str | None, typer.Option(help="New method.")] = None,
    team: TeamOption = None,
    function: FunctionOption = None,
    organisation: Annotated[
        bool, typer.Option("--organisation", help="Scope: the whole organisation.")
    ] = False,
    review: Annotated[str | None, typer.Option(help="New review date.")] = None,
    recompute_baseline: Annotated[
        bool, typer.Option(help="Recompute the baseline from the data as it is now.")
    ] = False,
    by: ByOption = "command line",
    db: DbOption = None,
) -> None:
    """Change a criterion; after its phase started, --reason is required and shown to all.

    Example: gaplens criteria edit 2 --review 2026-08-30 --reason "APAC queue started late"
    """
    from gaplens.criteria.schemas import CriterionEdit
    from gaplens.criteria.service import criterion_view_by_id, edit_criterion_by_id

    with user_errors():
        values: dict[str, Any] = {"reason": reason, "recompute_baseline": recompute_baseline}
        for key, value in (
            ("phase_name", phase),
            ("phase_start", _date(start, "--start")),
            ("metric", metric),
            ("method", _method(method) if method else None),
            ("review_date", _date(review, "--review")),
        ):
            if value is not None:
                values[key] = value
        if target is not None:
            values["target_kind"], values["target"] = _target(target)
        if organisation or team or function:
            values["team"], values["function"] = team, function
        edit = _model(CriterionEdit, values)

        def change(session: Session) -> str:
            _known_criterion(session, criterion_id)
            now = dt.datetime.now(dt.UTC)
            edit_criterion_by_id(session, criterion_id, edit, by, now, _policy())
            view = criterion_view_by_id(session, criterion_id, now.date(), _policy())
            return _criterion_line(view)

        line = run_in_session(db, change)
    out.print(line, highlight=False)


def _known_criterion(session: Session, criterion_id: int) -> None:
    """An unknown criterion number is an error naming the argument."""
    from gaplens.criteria.service import criterion_exists

    if not criterion_exists(session, criterion_id):
        raise InputError.single(f"no success criterion {criterion_id}", "CRITERION_ID")


@criteria_app.command("retire")
def criteria_retire(
    criterion_id: Annotated[int, typer.Argument(help="The criterion's number (criteria list).")],
    reason: Annotated[str, typer.Option(help="Why it is retired (shown with it).")],
    by: ByOption = "command line",
    db: DbOption = None,
) -> None:
    """Stop judging a criterion; it stays listed with its history and the reason.

    Example: gaplens criteria retire 3 --reason "Phase cancelled after the pilot"
    """
    from gaplens.criteria.service import retire_criterion_by_id

    def retire(session: Session) -> None:
        _known_criterion(session, criterion_id)
        retire_criterion_by_id(session, criterion_id, reason, by, dt.datetime.now(dt.UTC))

    with user_errors():
        run_in_session(db, retire)
    out.print(f"Criterion {criterion_id} retired.")


@criteria_app.command("list")
def criteria_list(format: FormatOption = "text", db: DbOption = None) -> None:
    """Every success criterion with its definition, baseline, target and computed status.

    Example: gaplens criteria list --format json
    """
    criteria_status(None, None, format, db)


@criteria_app.command("status")
def criteria_status(
    criterion_id: Annotated[
        int | None, typer.Argument(help="One criterion (default: all).", show_default=False)
    ] = None,
    as_of: Annotated[
        str | None, typer.Option(help="Judge as if today were this date (default: today).")
    ] = None,
    format: FormatOption = "text",
    db: DbOption = None,
) -> None:
    """The computed status: on track / at risk / met / missed / not enough data, with the
    measured change, its 95% interval and the rule that decided.

    Example: gaplens criteria status 1 --as-of 2026-05-03
    """
    import json

    from gaplens.criteria.service import criteria_views, criterion_view_by_id

    with user_errors():
        if format not in ("text", "json"):
            raise InputError.single("expected text or json", "--format")
        today = _date(as_of, "--as-of") or dt.date.today()

        def views(session: Session) -> list[Any]:
            if criterion_id is None:
                return criteria_views(session, today, _policy())
            _known_criterion(session, criterion_id)
            return [criterion_view_by_id(session, criterion_id, today, _policy())]

        found = run_in_session(db, views)
    if format == "json":
        sys.stdout.write(json.dumps([v.model_dump(mode="json") for v in found], indent=2) + "\n")
        return
    if not found:
        out.print("No success criteria yet (gaplens criteria add --help).")
    for view in found:
        out.print(_criterion_line(view), highlight=False)


@wins_app.command("add")
def wins_add(
    title: Annotated[str, typer.Option(help="What worked, in a line.")],
    source: Annotated[str, typer.Option(help="Where the evidence comes from: text or URL.")],
    metric: Annotated[
        str | None, typer.Option(help="A metric key; without one the win is self-reported.")
    ] = None,
    period: Annotated[
        str | None,
        typer.Option(help="The win's period, FIRST..LAST (e.g. 2026-07-01..2026-09-30)."),
    ] = None,
    before: Annotated[
        str | None, typer.Option(help="Compared with FIRST..LAST (default: as long, just before).")
    ] = None,
    method: MethodOption = "current-vs-baseline",
    team: TeamOption = None,
    function: FunctionOption = None,
    description: Annotated[str | None, typer.Option(help="A sentence or two.")] = None,
    by: ByOption = "command line",
    db: DbOption = None,
) -> None:
    """Log a win; with a metric its numbers are computed from the data for scope and period.

    Example: gaplens wins add --title "Ticket summaries" --source "Zendesk export"
    --metric time_to_resolution --function Support --period 2026-07-02..2026-09-30
    --method within-person
    """
    from gaplens.wins.schemas import WinIn
    from gaplens.wins.service import create_win, win_view

    with user_errors():
        after_start, after_end = _period(period, "--period")
        before_start, before_end = _period(before, "--before")
        body = _model(
            WinIn,
            {
                "title": title,
                "source": source,
                "description": description,
                "metric": metric,
                "method": _method(method),
                "team": team,
                "function": function,
                "after_start": after_start,
                "after_end": after_end,
                "before_start": before_start,
                "before_end": before_end,
            },
        )

        def add(session: Session) -> str:
            win = create_win(session, body, by, dt.datetime.now(dt.UTC))
            return _win_line(win_view(session, win, _policy()))

        line = run_in_session(db, add)
    out.print(line, highlight=False)


def _win_line(view: Any) -> str:
    from gaplens.criteria.service import figure_text

    head = f"#{view.id} {view.title} ({view.scope.label}; source: {view.source})"
    if view.self_reported:
        return f"{head}\n    self-reported: no numbers from the data"
    evidence = view.evidence
    unit = view.metric.unit
    return (
        f"{head}\n    {view.metric.label}, {view.method_label}, {view.after_start} to "
        f"{view.after_end} vs {view.before_start} to {view.before_end}\n"
        f"    before {figure_text(evidence.before, unit)} (month end "
        f"{evidence.before_month_end or 'none released'}); change "
        f"{figure_text(evidence.change, unit)} (month end "
        f"{evidence.month_end or 'none released'})\n    {evidence.verdict_text}"
    )


@wins_app.command("list")
def wins_list(format: FormatOption = "text", db: DbOption = None) -> None:
    """Every logged win, newest first, with its numbers computed from the data now.

    Example: gaplens wins list --format json
    """
    import json

    from gaplens.wins.service import win_views

    with user_errors():
        if format not in ("text", "json"):
            raise InputError.single("expected text or json", "--format")
        found = run_in_session(db, lambda s: win_views(s, _policy()))
    if format == "json":
        sys.stdout.write(json.dumps([v.model_dump(mode="json") for v in found], indent=2) + "\n")
        return
    if not found:
        out.print("No wins logged yet (gaplens wins add --help).")
    for view in found:
        out.print(_win_line(view), highlight=False)


def _policy(
    min_group_size: int | None = None, min_comment_group_size: int | None = None
) -> PrivacyPolicy:
    """The configured policy (`privacy.configured_policy`), for every command: a command
    never builds its own. The report may ask for larger groups; under a floor is an error."""
    try:
        return configured_policy(min_group_size, min_comment_group_size)
    except ValueError as error:
        raise InputError.single(str(error), "--min-group-size") from None


def _this_command() -> str:
    """How the user started gaplens (e.g. .venv/bin/gaplens under make), to repeat it."""
    invoked = sys.argv[0] if sys.argv and sys.argv[0].endswith("gaplens") else "gaplens"
    return os.path.relpath(invoked) if os.path.isabs(invoked) else invoked


def _display_url(url: str) -> str:
    """Hide a password if the URL carries one."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@contextmanager
def _byte_progress(label: str, total: int) -> Iterator[Callable[[int], None]]:
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )
    with progress:
        task = progress.add_task(label, total=total or None)
        yield lambda done: progress.update(task, completed=done)


def main() -> None:
    app()


# --- the action plan ---------------------------------------------------------------------------

actions_app = typer.Typer(
    help="The action plan: next steps adopted from a report, with owner, due date and status.",
    no_args_is_help=True,
)
app.add_typer(actions_app, name="actions")
StaffByOption = Annotated[
    str, typer.Option("--by", help="Your staff account's email (kept in the history).")
]


def _action_line(view: Any) -> str:
    owner = view.owner or "no owner"
    due = f", due {view.due_on.isoformat()}" if view.due_on else ""
    late = " OVERDUE" if view.overdue else ""
    return (
        f"#{view.id} [{view.status_label}{late}] {view.title} ({view.scope_label}, "
        f"{view.period_label}; {owner}{due})"
    )


@actions_app.command("list")
def actions_list(
    scope: Annotated[
        str | None, typer.Option(help="organisation, function:NAME or team:KEY.")
    ] = None,
    status: Annotated[str | None, typer.Option(help="open, in_progress, done or dropped.")] = None,
    format: FormatOption = "text",
    db: DbOption = None,
) -> None:
    """The plan, newest period first.

    Example: gaplens actions list --scope function:Support --status open
    """
    import json

    from gaplens.actions.schemas import Status
    from gaplens.actions.service import action_views
    from gaplens.report.plan import own_scope

    with user_errors():
        if format not in ("text", "json"):
            raise InputError.single("use text or json", column="--format")
        try:
            wanted = Status(status) if status else None
        except ValueError:
            raise InputError.single(f"{status!r} is not a status", column="--status") from None

        def read(session: Session) -> list[Any]:
            chosen = own_scope(session, scope)[1] if scope else None
            return action_views(session, dt.date.today(), chosen, wanted)

        views = run_in_session(db, read)
    if format == "json":
        typer.echo(json.dumps([v.model_dump(mode="json") for v in views], indent=2))
        return
    for view in views:
        out.print(_action_line(view), highlight=False)
    if not views:
        out.print("No action in the plan.", highlight=False)


@actions_app.command("adopt")
def actions_adopt(
    rule: Annotated[str, typer.Argument(help="The step's rule, e.g. fix-friction.")],
    by: StaffByOption,
    scope: Annotated[str, typer.Option(help="organisation, function:NAME or team:KEY.")] = (
        "organisation"
    ),
    period: Annotated[
        str | None, typer.Option(help="The report's period, e.g. 2026-Q2 (default: 12 months).")
    ] = None,
    owner: Annotated[str | None, typer.Option(help="The owner's staff email.")] = None,
    due: Annotated[str | None, typer.Option(help="Due date (YYYY-MM-DD).")] = None,
    db: DbOption = None,
) -> None:
    """Adopt a next step from the scope's report (again: nothing changes).

    Example: gaplens actions adopt fix-friction --scope function:Support --period 2026-Q2
    --owner dana@example.com --due 2026-09-30 --by lee@example.com
    """
    from gaplens.actions.schemas import AdoptIn
    from gaplens.actions.service import action_view_by_id, adopt
    from gaplens.report.plan import proposal

    with user_errors():
        body = _model(
            AdoptIn,
            {
                "rule": rule,
                "scope": scope,
                "period": period,
                "owner": owner,
                "due_on": _date(due, "--due"),
            },
        )

        def run(session: Session) -> str:
            step = proposal(session, _policy(), body.scope, body.period, body.rule)
            now = dt.datetime.now(dt.UTC)
            action_id, created = adopt(session, step, by, now, owner=body.owner, due_on=body.due_on)
            line = _action_line(action_view_by_id(session, action_id, now.date()))
            return line if created else f"{line} (already in the plan)"

        line = run_in_session(db, run)
    out.print(line, highlight=False)


@actions_app.command("set-status")
def actions_set_status(
    action_id: Annotated[int, typer.Argument(help="The action's number (actions list).")],
    status: Annotated[str, typer.Argument(help="open, in_progress, done or dropped.")],
    by: StaffByOption,
    reason: Annotated[str | None, typer.Option(help="Why it is dropped (needed then).")] = None,
    note: Annotated[str | None, typer.Option(help="A note for the history.")] = None,
    db: DbOption = None,
) -> None:
    """Change an action's status; dropped needs --reason, reopening needs --note.

    Example: gaplens actions set-status 3 dropped --reason "Covered by the new triage tool"
    --by lee@example.com
    """
    from gaplens.actions.schemas import ActionUpdate
    from gaplens.actions.service import action_view_by_id, update

    with user_errors():
        body = _model(ActionUpdate, {"status": status, "reason": reason, "note": note})

        def run(session: Session) -> str:
            now = dt.datetime.now(dt.UTC)
            update(session, action_id, body, by, now)
            return _action_line(action_view_by_id(session, action_id, now.date()))

        line = run_in_session(db, run)
    out.print(line, highlight=False)
