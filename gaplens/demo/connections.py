"""The demo's Microsoft 365, Jira and Zendesk connections: each export cut in two, the older
part imported from its file and the recent part pulled by a real connection from a loopback
server (`gaplens/demo/replay.py`) through the sync service.

Every cut is chosen so the two parts hold each record once: the Microsoft 365 snapshots by
refresh date (the last `SYNCED_SNAPSHOTS` weekly exports are Graph's report on the days the
connection syncs), Jira's issues and Zendesk's tickets by when they were last updated (the
servers hold the ones updated in the last `SYNCED_DAYS` days, so the first sync, which asks
for everything, pulls only what the files do not hold). Together they are exactly the rows
of importing every file whole (`tests/test_end_to_end.py` checks it).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from gaplens.db.engine import session_scope
from gaplens.demo.exports import DATA_END, DemoExports
from gaplens.demo.replay import (
    GRAPH_CLIENT_ID,
    JIRA_EMAIL,
    TENANT,
    ZENDESK_EMAIL,
    GraphReplay,
    JiraReplay,
    ZendeskReplay,
    jira_updated,
    replay_graph,
    replay_jira,
    replay_zendesk,
    zendesk_time,
)
from gaplens.sync.schemas import ConnectionIn, ConnectionKind, SyncOutcome
from gaplens.sync.service import add_connection, sync_connection

SYNCED_DAYS = 31
"""The data's last days come through connections (Copilot's use, the Jira issues and Zendesk
tickets updated in them); the earlier ones, as an organisation would bring its history, from
exports imported by hand."""
SYNCED_SNAPSHOTS = 2
"""The last weekly Microsoft 365 exports are the reports two daily syncs find."""
SYNC_DAYS = (DATA_END - dt.timedelta(days=2), DATA_END + dt.timedelta(days=1))
"""When the demo's connections sync, as the server's schedule would: before the data ends,
then after."""
NOTES_SHOWN = 3
"""A sync of more units is shown as its first and last notes, so each sync is one line."""
ZENDESK_TIME = "%Y-%m-%d %H:%M:%S +0000"


@dataclass
class Replays:
    """What the demo's servers hold, for the kinds whose exports were cut."""

    graph: GraphReplay | None = None
    jira: JiraReplay | None = None
    zendesk: ZendeskReplay | None = None


def first_synced() -> dt.date:
    return DATA_END - dt.timedelta(days=SYNCED_DAYS - 1)


def split_exports(exports: DemoExports, token: str) -> tuple[DemoExports, Replays]:
    """The exports left to import from files, and what the servers serve; `token` is the
    secret each server accepts (the demo's connections are made with it)."""
    replays = Replays()
    m365 = exports.m365_copilot
    if len(m365) > SYNCED_SNAPSHOTS:
        m365, replays.graph = split_m365(exports.m365_copilot, token)
    jira_json = exports.jira_json
    if jira_json is not None:
        jira_json, replays.jira = split_jira(jira_json, token)
    tickets = exports.tickets
    if tickets is not None:
        tickets, replays.zendesk = split_tickets(tickets, token)
    kept = dataclasses.replace(exports, m365_copilot=m365, jira_json=jira_json, tickets=tickets)
    return kept, replays


def split_m365(paths: tuple[Path, ...], secret: str) -> tuple[tuple[Path, ...], GraphReplay]:
    """The older weekly exports, and the last ones as Graph's report (keyed by refresh date,
    read from the export's name `CopilotUsageUserDetail-YYYY-MM-DD.csv`)."""
    served = paths[-SYNCED_SNAPSHOTS:]
    snapshots = {dt.date.fromisoformat(path.stem[-10:]): path.read_bytes() for path in served}
    return paths[:-SYNCED_SNAPSHOTS], GraphReplay(snapshots, secret)


def split_jira(path: Path, token: str) -> tuple[Path | None, JiraReplay]:
    """The REST search document cut by `updated`: the older issues as the same document (a
    file beside the export), the recent ones as the site's, oldest update first."""
    document = json.loads(path.read_text(encoding="utf-8"))
    cut = dt.datetime.combine(first_synced(), dt.time())
    before = [issue for issue in document["issues"] if jira_updated(issue) < cut]
    later = [issue for issue in document["issues"] if jira_updated(issue) >= cut]
    later.sort(key=lambda issue: (jira_updated(issue), issue["key"]))
    replay = JiraReplay(later, dict(document.get("names", {})), token)
    if not before:
        return None, replay
    earlier = path.with_name(f"{path.stem}-before-sync.json")
    earlier.write_text(
        json.dumps(
            {**document, "maxResults": len(before), "total": len(before), "issues": before},
            separators=(",", ":"),
        ),
        encoding="utf-8",
    )
    return earlier, replay


def split_tickets(path: Path, token: str) -> tuple[Path | None, ZendeskReplay]:
    """The Support CSV export cut by "Updated at": the older rows as the same CSV (a file
    beside the export), the recent ones as the incremental export's tickets."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = [dict(zip(header, row, strict=True)) for row in reader]
    cut = dt.datetime.combine(first_synced(), dt.time())
    before = [row for row in rows if _ticket_updated(row) < cut]
    replay = tickets_replay([row for row in rows if _ticket_updated(row) >= cut], token)
    if not before:
        return None, replay
    earlier = path.with_name(f"{path.stem}-before-sync.csv")
    with earlier.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows([row[name] for name in header] for row in before)
    return earlier, replay


def _ticket_updated(row: dict[str, str]) -> dt.datetime:
    return dt.datetime.strptime(row["Updated at"], ZENDESK_TIME)


def _api_time(text: str) -> str | None:
    return zendesk_time(dt.datetime.strptime(text, ZENDESK_TIME)) if text else None


def tickets_replay(rows: list[dict[str, str]], token: str) -> ZendeskReplay:
    """Rows of the Support CSV export as the API's tickets with their metric sets, and the
    agents and groups they name (ids numbered here, as an account would have them)."""
    users: dict[str, dict[str, Any]] = {}
    groups: dict[str, dict[str, Any]] = {}
    tickets = []
    for row in sorted(rows, key=lambda r: (_ticket_updated(r), int(r["Id"]))):
        email = row["Assignee email"]
        if email and email not in users:
            users[email] = {
                "id": 9_100_000 + len(users),
                "name": row["Assignee"],
                "email": email,
                "role": "agent",
            }
        if row["Group"] and row["Group"] not in groups:
            groups[row["Group"]] = {"id": 360_000 + len(groups), "name": row["Group"]}
        ticket_id = int(row["Id"])
        created, updated = _api_time(row["Created at"]), _api_time(row["Updated at"])
        ticket = {
            "id": ticket_id,
            "created_at": created,
            "updated_at": updated,
            "type": row["Ticket type"].lower() or None,
            "subject": row["Subject"],
            "status": row["Status"].lower().replace("on-hold", "hold"),
            "priority": row["Priority"].lower() or None,
            "assignee_id": users[email]["id"] if email else None,
            "group_id": groups[row["Group"]]["id"] if row["Group"] else None,
            "tags": row["Tags"].split(),
        }
        metrics = {
            "ticket_id": ticket_id,
            "created_at": created,
            "updated_at": updated,
            "solved_at": _api_time(row["Solved at"]),
            "reopens": int(row["Reopens"]) if row["Reopens"] else None,
            "replies": int(row["Replies"]) if row["Replies"] else None,
        }
        tickets.append((ticket, metrics))
    return ZendeskReplay(
        tickets,
        {user["id"]: user for user in users.values()},
        {group["id"]: group for group in groups.values()},
        token,
    )


def sync_replays(url: str, replays: Replays, token: str) -> list[str]:
    """Connect each server and sync it on `SYNC_DAYS`; one line per sync."""
    lines: list[str] = []
    if replays.graph is not None:
        graph = replays.graph

        def m365(base_url: str) -> ConnectionIn:
            return ConnectionIn(
                kind=ConnectionKind.M365,
                name="m365-northwind",
                org=TENANT,
                base_url=f"{base_url}/v1.0",
                authority=base_url,
                client_id=GRAPH_CLIENT_ID,
                token=SecretStr(token),
            )

        def graph_day(day: dt.date) -> None:
            graph.as_of = day

        lines += _sync_on_days(url, replay_graph(graph), m365, graph_day)
    if replays.jira is not None:
        jira = replays.jira

        def jira_spec(base_url: str) -> ConnectionIn:
            return ConnectionIn(
                kind=ConnectionKind.JIRA,
                name="jira-northwind",
                org="ENG",
                base_url=base_url,
                email=JIRA_EMAIL,
                token=SecretStr(token),
            )

        def jira_day(day: dt.date) -> None:
            jira.as_of = dt.datetime.combine(day, dt.time())

        lines += _sync_on_days(url, replay_jira(jira), jira_spec, jira_day, jira_sync_days(jira))
    if replays.zendesk is not None:
        zendesk = replays.zendesk

        def zendesk_spec(base_url: str) -> ConnectionIn:
            return ConnectionIn(
                kind=ConnectionKind.ZENDESK,
                name="zendesk-northwind",
                org="northwind",
                base_url=base_url,
                email=ZENDESK_EMAIL,
                token=SecretStr(token),
            )

        def zendesk_day(day: dt.date) -> None:
            zendesk.as_of = dt.datetime.combine(day, dt.time())

        lines += _sync_on_days(url, replay_zendesk(zendesk), zendesk_spec, zendesk_day)
    return lines


def jira_sync_days(jira: JiraReplay) -> tuple[dt.date, ...]:
    """`SYNC_DAYS`, the last one moved to the day after the latest update when the export
    holds issues updated after the data's end (a few start a few days later), so the last
    sync finds the site holding every issue of the file."""
    latest = max((jira_updated(issue).date() for issue in jira.issues), default=DATA_END)
    return (*SYNC_DAYS[:-1], max(SYNC_DAYS[-1], latest + dt.timedelta(days=1)))


def _sync_on_days(
    url: str,
    server: AbstractContextManager[str],
    spec: Callable[[str], ConnectionIn],
    set_day: Callable[[dt.date], None],
    days: tuple[dt.date, ...] = SYNC_DAYS,
) -> list[str]:
    lines = []
    with server as base_url:
        with session_scope(url) as session:
            connection = add_connection(session, spec(base_url))
        for today in days:
            set_day(today)
            outcome = sync_connection(url, connection.id, today=today)
            if not outcome.ok:
                raise RuntimeError(f"the demo's sync failed: {outcome.error}")
            lines.append(f"as of {today}: {one_line(outcome)}")
    return lines


def one_line(outcome: SyncOutcome) -> str:
    """A sync in one line: its notes, or for many units the first and the last."""
    notes = outcome.notes
    if len(notes) > NOTES_SHOWN:
        notes = [notes[0], f"... {len(notes) - 2} more ...", notes[-1]]
    said = "; ".join(note.strip() for note in notes) or "nothing new"
    units = f"{outcome.units_stored} unit{'s' if outcome.units_stored != 1 else ''}"
    return f"{outcome.name} ({outcome.kind}): ok, {units}; {said}"
