"""Connections and their syncs: each pulled unit stored with its cursor in one transaction.

A unit goes through the same connector and importer as a file import (raw rows kept with
their source, the download link or API page without its query; then tool tables; then
domain tables), so a pulled report and the same report imported by hand give the same rows.
Because a unit and its stream's new cursor commit together, a sync killed at any point
leaves every stream at the last unit stored whole; the next run asks again from there, and
storing a unit again replaces its rows (natural keys), so nothing is lost or doubled.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, Result, delete, insert, select, update
from sqlalchemy.orm import Session

from gaplens.connectors.copilot_premium import parse_premium_usage
from gaplens.connectors.copilot_seats import parse_seat
from gaplens.connectors.tickets_csv import ZENDESK
from gaplens.db.engine import session_scope
from gaplens.directory.identities import DirectoryLookups, load_resolver
from gaplens.directory.models import Person
from gaplens.directory.schemas import IdentityKind
from gaplens.errors import InputError, ProblemCollector
from gaplens.imports.models import ImportRun
from gaplens.imports.raw import RawRowWriter, forget_raw_of_same_file
from gaplens.privacy import PrivacyPolicy
from gaplens.sync.claude_code import ClaudeCodeClient
from gaplens.sync.credentials import decrypt, encrypt, reencrypt
from gaplens.sync.cursor import CursorClient
from gaplens.sync.github import DEFAULT_BASE_URL, CopilotClient
from gaplens.sync.http import Retrying, SyncError
from gaplens.sync.jira import JiraClient, credentials_json, parse_credentials
from gaplens.sync.m365 import GraphClient
from gaplens.sync.models import Connection
from gaplens.sync.queries import view_of
from gaplens.sync.schemas import ConnectionIn, ConnectionKind, ConnectionView, SyncOutcome
from gaplens.sync.tools import CopilotPremiumUsage, CopilotSeat
from gaplens.sync.vendor import (
    CLAUDE_CODE_USAGE,
    COPILOT_PREMIUM,
    COPILOT_SEATS,
    COPILOT_USAGE,
    CURSOR_USAGE,
    JIRA_ISSUES,
    M365_USAGE,
    ZENDESK_TICKETS,
    Unit,
    VendorClient,
)
from gaplens.sync.zendesk import ZendeskClient, credentials_text
from gaplens.telemetry.assistants import import_claude_code_usage, import_cursor_usage
from gaplens.telemetry.service import import_copilot_usage, import_m365_copilot
from gaplens.work.service import import_jira, import_tickets

log = logging.getLogger("gaplens.sync")

SEATS_KIND = "copilot-seats"
PREMIUM_KIND = "copilot-premium-requests"
LICENCE_BATCH = 500
"""People per licence-date UPDATE (well under SQLite's bound-parameter limit)."""
ClientFactory = Callable[[Connection, str, Retrying | None], VendorClient]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def add_connection(session: Session, spec: ConnectionIn) -> ConnectionView:
    """Store a connection, its token encrypted (refused without `GAPLENS_SECRET_KEY`)."""
    if session.scalar(select(Connection.id).where(Connection.name == spec.name)) is not None:
        raise InputError.single(f"a connection named '{spec.name}' exists", column="name")
    connection = Connection(
        kind=spec.kind.value,
        name=spec.name,
        base_url=spec.base_url.rstrip("/") or DEFAULT_BASE_URL,
        org=spec.org,
        credentials=encrypt(_credentials(spec)),
        state="{}",
        interval_minutes=spec.interval_minutes,
        created_at=_now(),
        next_due=_now(),
    )
    session.add(connection)
    session.flush()
    return view_of(connection)


def remove_connection(session: Session, connection_id: int) -> str:
    """Delete a connection and its credentials (what it pulled stays); its name."""
    connection = session.get(Connection, connection_id)
    if connection is None:
        raise InputError.single(f"no connection with id {connection_id}", column="id")
    name = connection.name
    session.delete(connection)
    session.flush()
    return name


def connection_id_named(session: Session, name: str) -> int:
    found = session.scalar(select(Connection.id).where(Connection.name == name))
    if found is None:
        raise InputError.single(f"no connection named '{name}' (see `gaplens connections`)")
    return found


def rotate_credentials(session: Session) -> int:
    """Re-encrypt every connection's credentials under the current key; how many."""
    connections = list(session.scalars(select(Connection)))
    for connection in connections:
        connection.credentials = reencrypt(connection.credentials)
    session.flush()
    return len(connections)


def default_client(connection: Connection, token: str, retrying: Retrying | None) -> VendorClient:
    if connection.kind == ConnectionKind.COPILOT:
        return CopilotClient(connection.base_url, connection.org, token, retrying)
    if connection.kind == ConnectionKind.JIRA:
        email, api_token = parse_credentials(token)
        return JiraClient(connection.base_url, connection.org, email, api_token, retrying)
    if connection.kind == ConnectionKind.M365:
        return GraphClient(connection.base_url, connection.org, _parts(token), retrying)
    if connection.kind == ConnectionKind.ZENDESK:
        return ZendeskClient(connection.base_url, connection.org, token, retrying)
    if connection.kind == ConnectionKind.COPILOT_ENTERPRISE:
        return CopilotClient(connection.base_url, connection.org, token, retrying, enterprise=True)
    if connection.kind == ConnectionKind.CURSOR:
        return CursorClient(connection.base_url, token, retrying)
    if connection.kind == ConnectionKind.CLAUDE_CODE:
        return ClaudeCodeClient(connection.base_url, token, retrying)
    raise SyncError(f"connections of kind '{connection.kind}' cannot be synced yet")


def _parts(credentials: str) -> dict[str, str]:
    """A several-part credential (stored as one encrypted JSON object)."""
    try:
        parts = json.loads(credentials)
    except ValueError:
        parts = None
    if not isinstance(parts, dict) or not all(isinstance(v, str) for v in parts.values()):
        raise SyncError("the stored credentials are not in the expected form; connect again")
    return {str(k): str(v) for k, v in parts.items()}


def _credentials(spec: ConnectionIn) -> str:
    """What is encrypted: the token; for Jira and Zendesk the email and API token (Zendesk:
    or an OAuth token alone), for Microsoft 365 the client id, secret and authority (one
    JSON string)."""
    if spec.kind == ConnectionKind.JIRA:
        return credentials_json(spec.email or "", spec.token.get_secret_value())
    if spec.kind == ConnectionKind.ZENDESK:
        return credentials_text(spec.token.get_secret_value(), spec.email)
    if spec.kind == ConnectionKind.M365:
        return json.dumps(
            {
                "client_id": spec.client_id,
                "client_secret": spec.token.get_secret_value(),
                "authority": spec.authority,
            }
        )
    return spec.token.get_secret_value()


def sync_all(
    url: str,
    policy: PrivacyPolicy,
    *,
    kind: str | None = None,
    name: str | None = None,
    today: dt.date | None = None,
    retrying: Retrying | None = None,
    client_factory: ClientFactory = default_client,
) -> list[SyncOutcome]:
    """Sync every connection (or those of `kind`, or the one named), then rebuild releases
    once if any stored something."""
    with session_scope(url) as session:
        query = select(Connection.id).order_by(Connection.name)
        if kind is not None:
            query = query.where(Connection.kind == kind)
        if name is not None:
            query = query.where(Connection.name == name)
        ids = list(session.scalars(query))
    if name is not None and not ids:
        raise InputError.single(f"no connection named '{name}' (see `gaplens connections`)")
    outcomes = [
        sync_connection(url, i, today=today, retrying=retrying, client_factory=client_factory)
        for i in ids
    ]
    _rebuild_if_stored(url, policy, outcomes)
    return outcomes


def run_due_syncs(
    url: str, policy: PrivacyPolicy, stop: threading.Event | None = None
) -> list[SyncOutcome]:
    """The scheduler's job: sync each connection whose next run is due, claimed first (an
    atomic update of `next_due`), so two server processes never sync the same one at once.
    `stop` (set when the server shuts down) ends a sync between two units."""
    now = _now()
    with session_scope(url) as session:
        due = list(
            session.execute(
                select(Connection.id, Connection.interval_minutes, Connection.next_due).where(
                    (Connection.next_due.is_(None)) | (Connection.next_due <= now)
                )
            )
        )
    outcomes = []
    for connection_id, minutes, seen in due:
        if stop is not None and stop.is_set():
            break  # shutting down: what is not claimed stays due for the next run
        with session_scope(url) as session:
            claimed = _count(
                session.execute(
                    update(Connection)
                    .where(Connection.id == connection_id)
                    .where(
                        Connection.next_due.is_(None)
                        if seen is None
                        else Connection.next_due == seen
                    )
                    .values(next_due=now + dt.timedelta(minutes=minutes))
                )
            )
        if claimed:
            outcomes.append(sync_connection(url, connection_id, stop=stop))
    _rebuild_if_stored(url, policy, outcomes)
    for outcome in outcomes:
        # Names and cursors only: never a figure, a login or a secret.
        log.info("sync %s: %s", outcome.name, "ok" if outcome.ok else outcome.error)
    return outcomes


def sync_connection(
    url: str,
    connection_id: int,
    *,
    today: dt.date | None = None,
    retrying: Retrying | None = None,
    client_factory: ClientFactory = default_client,
    stop: threading.Event | None = None,
) -> SyncOutcome:
    """Pull what is new for one connection, storing each unit as it arrives; an error is
    recorded on the connection (and returned), never raised past here."""
    today = today or _now().date()
    with session_scope(url) as session:
        connection = session.get(Connection, connection_id)
        if connection is None:
            raise InputError.single(f"no connection with id {connection_id}")
        name, kind = connection.name, connection.kind
        try:
            token = decrypt(connection.credentials)
            connection.credentials = reencrypt(connection.credentials)
            client = client_factory(connection, token, retrying)
        except (SyncError, InputError) as error:
            unusable: str | None = str(error)
        else:
            unusable = None
            del token
        state: dict[str, str] = json.loads(connection.state or "{}")
    if unusable is not None:
        return _failed(url, connection_id, name, kind, 0, [], unusable)
    stored = 0
    notes: list[str] = []
    workdir = Path(tempfile.mkdtemp(prefix="gaplens-sync-"))
    directory = DirectoryLookups()  # read once for all the units: a sync writes no identities
    try:
        for unit in client.pull(state, workdir, today):
            with session_scope(url) as session:
                note = store_unit(session, unit, directory)
                _advance(session, connection_id, unit.stream, unit.cursor)
            state[unit.stream] = unit.cursor
            stored += 1
            notes.append(note)
            for download in unit.files:
                download.path.unlink(missing_ok=True)
            if stop is not None and stop.is_set():
                notes.append("stopped for a shutdown; the next run carries on from here")
                return SyncOutcome(name=name, kind=kind, ok=True, units_stored=stored, notes=notes)
    except (SyncError, InputError) as error:
        return _failed(url, connection_id, name, kind, stored, notes, str(error))
    except Exception as error:  # a defect: still shown to admins, details in the log
        log.exception("sync %s failed", name)
        text = f"internal error ({type(error).__name__}); see the server log and report it"
        return _failed(url, connection_id, name, kind, stored, notes, text)
    finally:
        client.close()
        shutil.rmtree(workdir, ignore_errors=True)
    with session_scope(url) as session:
        now = _now()
        session.execute(
            update(Connection)
            .where(Connection.id == connection_id)
            .values(last_success=now, last_error=None, last_error_at=None)
        )
        _set_next_due(session, connection_id, now)
    return SyncOutcome(name=name, kind=kind, ok=True, units_stored=stored, notes=notes)


def _failed(
    url: str, connection_id: int, name: str, kind: str, stored: int, notes: list[str], error: str
) -> SyncOutcome:
    with session_scope(url) as session:
        now = _now()
        session.execute(
            update(Connection)
            .where(Connection.id == connection_id)
            .values(last_error=error[:500], last_error_at=now)
        )
        _set_next_due(session, connection_id, now)
    return SyncOutcome(
        name=name, kind=kind, ok=False, units_stored=stored, notes=notes, error=error
    )


def _set_next_due(session: Session, connection_id: int, now: dt.datetime) -> None:
    minutes = session.scalar(
        select(Connection.interval_minutes).where(Connection.id == connection_id)
    )
    if minutes is not None:
        session.execute(
            update(Connection)
            .where(Connection.id == connection_id)
            .where((Connection.next_due.is_(None)) | (Connection.next_due <= now))
            .values(next_due=now + dt.timedelta(minutes=minutes))
        )


def _advance(session: Session, connection_id: int, stream: str, cursor: str) -> None:
    """The stream's new cursor, in the transaction that stored its unit (row locked on
    PostgreSQL, so a concurrent run cannot write back an older state)."""
    connection = session.execute(
        select(Connection).where(Connection.id == connection_id).with_for_update()
    ).scalar_one_or_none()
    if connection is None:
        raise SyncError("the connection was removed while it synced; nothing more is stored")
    state = json.loads(connection.state or "{}")
    state[stream] = cursor
    connection.state = json.dumps(state, sort_keys=True)


def store_unit(session: Session, unit: Unit, directory: DirectoryLookups | None = None) -> str:
    """Store one pulled unit through its importer; a note of what it was. `directory`: the
    lookups shared by the units of one sync (read anew for this unit when None)."""
    if unit.payload_kind == COPILOT_USAGE:
        written = 0
        for download in unit.files:
            if download.path.stat().st_size == 0:
                continue  # a report file for a day nobody used Copilot
            summary = import_copilot_usage(
                session, download.path, source=download.source, lookups=directory
            )
            written += summary.rows_written
        return f"{unit.note}, {written} rows written"
    if unit.payload_kind == M365_USAGE:
        written = 0
        for download in unit.files:
            summary = import_m365_copilot(
                session,
                download.path,
                source=download.source,
                drop_concealed=True,
                lookups=directory,
            )
            written += summary.rows_written
        return f"{unit.note}, {written} snapshot rows written"
    if unit.payload_kind == ZENDESK_TICKETS:
        notes = [unit.note]
        for download in unit.files:
            summary = import_tickets(
                session, download.path, system=ZENDESK, source=download.source, lookups=directory
            )
            notes.append(summary.detail)
        return "; ".join(notes)
    if unit.payload_kind in (CURSOR_USAGE, CLAUDE_CODE_USAGE):
        importer = (
            import_cursor_usage if unit.payload_kind == CURSOR_USAGE else import_claude_code_usage
        )
        notes = [unit.note]
        for download in unit.files:
            summary = importer(session, download.path, source=download.source, lookups=directory)
            notes.append(f"{summary.rows_written} rows written, {summary.detail}")
        return "; ".join(notes)
    if unit.payload_kind == COPILOT_SEATS:
        stored = store_seats(session, unit.scope, unit.source, unit.records, directory)
        return f"{unit.note}; {stored}"
    if unit.payload_kind == JIRA_ISSUES:
        summaries = [
            import_jira(session, d.path, source=d.source, lookups=directory) for d in unit.files
        ]
        note = f"{unit.note}, {sum(s.rows_written for s in summaries)} work items written"
        unresolved = sum(s.rows_unresolved for s in summaries)
        if unresolved:
            note += f", {unresolved} with an assignee the directory does not know"
        return note
    if unit.payload_kind == COPILOT_PREMIUM:
        month = dt.date.fromisoformat(f"{unit.period}-01")
        [body] = unit.records
        return f"{unit.note}; {store_premium_usage(session, unit.scope, month, unit.source, body)}"
    raise SyncError(f"no importer for {unit.payload_kind}")


def store_seats(
    session: Session,
    org: str,
    source: str,
    seats: list[object],
    directory: DirectoryLookups | None = None,
) -> str:
    """Replace an organisation's seat list (tool table `copilot_seat`), keep each seat as a raw
    row, and give people without a licence date the day their seat was created."""
    problems = ProblemCollector(source)
    lines = [json.dumps(seat, separators=(",", ":"), sort_keys=True) for seat in seats]
    records = [parse_seat(seat, row, problems) for row, seat in enumerate(seats, start=1)]
    problems.raise_if_any()
    digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()
    run = ImportRun(
        kind=SEATS_KIND,
        source_name=source[:500],
        sha256=digest,
        scope=org[:200],
        rows_read=len(seats),
        rows_written=0,
        imported_at=_now(),
    )
    session.add(run)
    session.flush()
    raw = RawRowWriter(session, run)
    for row, line in enumerate(lines, start=1):
        raw.add(row, line)
    raw.close()
    forget_raw_of_same_file(session, SEATS_KIND, digest, run.id)  # an unchanged list: once
    session.execute(delete(CopilotSeat).where(CopilotSeat.org == org))
    rows = {
        r.user_login.lower(): {
            "org": org,
            "user_login": r.user_login,
            "user_id": r.user_id,
            "created_at": r.created_at,
            "last_activity_at": r.last_activity_at,
            "last_activity_editor": r.last_activity_editor,
            "pending_cancellation_date": r.pending_cancellation_date,
            "plan_type": r.plan_type,
            "import_run_id": run.id,
            "source_row": r.row,
        }
        for r in records
        if r is not None
    }
    if rows:
        session.execute(insert(CopilotSeat), list(rows.values()))
    resolver = load_resolver(session, [IdentityKind.GITHUB], lookups=directory)
    unresolved = 0
    by_day: dict[dt.date, list[str]] = {}
    seen: set[str] = set()
    for record in records:
        if record is None:
            continue
        person_id = resolver.resolve(record.user_login)
        if person_id is None:
            unresolved += 1
        elif person_id not in seen:  # a person's first seat in the list gives the date
            seen.add(person_id)
            by_day.setdefault(record.created_at.date(), []).append(person_id)
    licensed = 0
    for day, ids in by_day.items():  # one UPDATE per day and batch, not one per seat
        for start in range(0, len(ids), LICENCE_BATCH):
            licensed += _count(
                session.execute(
                    update(Person)
                    .where(
                        Person.id.in_(ids[start : start + LICENCE_BATCH]),
                        Person.ai_licence_date.is_(None),
                    )
                    .values(ai_licence_date=day)
                    .execution_options(synchronize_session=False)
                )
            )
    run.rows_written = len(rows)
    run.rows_unresolved = unresolved
    session.flush()
    text = f"{len(rows)} seats stored, {licensed} licence dates set"
    if unresolved:
        text += f", {unresolved} logins not in the directory"
    return text


def store_premium_usage(
    session: Session, scope: str, month: dt.date, source: str, body: object
) -> str:
    """Replace one month of an account's premium request usage (tool table
    `copilot_premium_usage`, one row per product, SKU and model), each item kept as a raw
    row with the report's URL as its source; all or nothing."""
    problems = ProblemCollector(source)
    records = parse_premium_usage(body, month, problems)
    problems.raise_if_any()
    items = body.get("usageItems") if isinstance(body, dict) else None
    lines = [
        json.dumps(item, separators=(",", ":"), sort_keys=True)
        for item in (items if isinstance(items, list) else [])
    ]
    digest = hashlib.sha256(f"{scope}\n{month}\n".encode() + "\n".join(lines).encode())
    run = ImportRun(
        kind=PREMIUM_KIND,
        source_name=source[:500],
        sha256=digest.hexdigest(),
        scope=scope[:200],
        rows_read=len(lines),
        rows_written=len(records),
        imported_at=_now(),
    )
    session.add(run)
    session.flush()
    raw = RawRowWriter(session, run)
    for row, line in enumerate(lines, start=1):
        raw.add(row, line)
    raw.close()
    forget_raw_of_same_file(session, PREMIUM_KIND, run.sha256, run.id)
    session.execute(
        delete(CopilotPremiumUsage).where(
            CopilotPremiumUsage.scope == scope, CopilotPremiumUsage.month == month
        )
    )
    if records:
        session.execute(
            insert(CopilotPremiumUsage),
            [
                {
                    "scope": scope,
                    "month": month,
                    "product": r.product,
                    "sku": r.sku,
                    "model": r.model,
                    "unit_type": r.unit_type,
                    "price_per_unit": r.price_per_unit,
                    "gross_quantity": r.gross_quantity,
                    "gross_amount": r.gross_amount,
                    "discount_quantity": r.discount_quantity,
                    "discount_amount": r.discount_amount,
                    "net_quantity": r.net_quantity,
                    "net_amount": r.net_amount,
                    "import_run_id": run.id,
                    "source_row": r.row,
                }
                for r in records
            ],
        )
    session.flush()
    return f"{len(records)} usage rows stored for {month:%Y-%m}"


def _count(result: Result[Any]) -> int:
    """Rows an UPDATE matched (both drivers report it for a plain UPDATE)."""
    return int(cast(CursorResult[Any], result).rowcount or 0)


def _rebuild_if_stored(url: str, policy: PrivacyPolicy, outcomes: list[SyncOutcome]) -> None:
    """After a sync that stored something, build releases as `gaplens release build` does
    (the build lease: one build at a time across processes)."""
    from gaplens.releases.schedule.service import build_lease
    from gaplens.releases.service import build_all

    stored = [o for o in outcomes if o.units_stored]
    if not stored:
        return
    with build_lease(url) as held:
        if not held:
            lines = ["another release build is running; the next one includes this sync"]
        else:
            with session_scope(url) as session:
                lines = [f"{n}: {outcome.message}" for n, outcome in build_all(session, policy)]
    stored[-1].releases.extend(lines)
