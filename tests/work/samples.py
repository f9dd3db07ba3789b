"""Export files as Jira, Zendesk and ServiceNow write them, and a table census for tests."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text

from tests.files import TEAMS, person, write_csv

JIRA_HEADER = [
    "Summary",
    "Issue key",
    "Issue id",
    "Issue Type",
    "Status",
    "Project key",
    "Priority",
    "Assignee",
    "Assignee Id",
    "Reporter",
    "Created",
    "Updated",
    "Resolved",
    "Sprint",
    "Sprint",
    "Labels",
    "Labels",
    "Description",
    "Custom field (Story Points)",
    "Watchers",
    "Watchers",
]


def jira_row(n: int, **overrides: str) -> list[str]:
    """A data row for JIRA_HEADER; PAY-n assigned to person n (Cloud account id set)."""
    row = {
        "Summary": f"Checkout step {n}",
        "Issue key": f"PAY-{n}",
        "Issue id": str(10000 + n),
        "Issue Type": "Story",
        "Status": "Done",
        "Project key": "PAY",
        "Priority": "Medium",
        "Assignee": f"Person {n}",
        "Assignee Id": f"jira{n:020d}",
        "Reporter": "Someone Else",
        "Created": "03/Feb/25 2:14 PM",
        "Updated": "05/Feb/25 9:00 AM",
        "Resolved": "05/Feb/25 9:00 AM",
        "Sprint1": "PAY Sprint 1",
        "Sprint2": "PAY Sprint 2",
        "Labels1": "backend",
        "Labels2": "",
        "Description": 'Steps:\n1. open the cart\n2. "pay", then check',
        "Custom field (Story Points)": "3",
        "Watchers1": "a",
        "Watchers2": "b",
    }
    row.update(overrides)
    return list(row.values())


def write_jira_csv(path: Path, rows: list[list[str]], header: list[str] | None = None) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header or JIRA_HEADER)
    writer.writerows(rows)
    path.write_bytes(b"\xef\xbb\xbf" + buffer.getvalue().encode())
    return path


def jira_issue(
    n: int,
    status: str = "Done",
    category: str = "done",
    history: list[tuple[str, str | None, str]] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """One issue of a REST search result with a changelog of (created, from, to) moves."""
    base: dict[str, Any] = {
        "summary": f"Checkout step {n}",
        "status": {"name": status, "statusCategory": {"key": category}},
        "issuetype": {"name": "Story"},
        "project": {"key": "PAY"},
        "assignee": {
            "accountId": f"jira{n:020d}",
            "emailAddress": f"person{n}@acme.example",
            "displayName": f"Person {n}",
        },
        "created": "2025-02-03T14:14:00.000+0000",
        "updated": "2025-02-10T09:00:00.000+0000",
        "resolutiondate": "2025-02-10T09:00:00.000+0000" if category == "done" else None,
        "customfield_10016": 5.0,
        "customfield_10020": [{"name": "PAY Sprint 1"}, {"name": "PAY Sprint 2"}],
        "labels": ["backend"],
    }
    base.update(fields)
    return {
        "expand": "operations,changelog",
        "id": str(10000 + n),
        "key": f"PAY-{n}",
        "fields": base,
        "changelog": {
            "histories": [
                {
                    "id": str(i),
                    "created": at,
                    "items": [
                        {"field": "status", "fieldtype": "jira", "fromString": a, "toString": b}
                    ],
                }
                for i, (at, a, b) in enumerate(history or [])
            ]
        },
    }


def write_jira_json(path: Path, issues: list[dict[str, Any]], names_last: bool = True) -> Path:
    document: dict[str, Any] = {"expand": "names,schema", "startAt": 0, "maxResults": 100}
    names = {"customfield_10016": "Story point estimate", "customfield_10020": "Sprint"}
    if not names_last:
        document["names"] = names
    document["total"] = len(issues)
    document["issues"] = issues
    if names_last:
        document["names"] = names
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")
    return path


ZENDESK_HEADER = [
    "Summation column",
    "Id",
    "Requester",
    "Requester id",
    "Requester email",
    "Assignee",
    "Group",
    "Subject",
    "Tags",
    "Status",
    "Priority",
    "Via",
    "Type",
    "Created at",
    "Updated at",
    "Assigned at",
    "Solved at",
    "Reopens",
    "Replies",
]


def zendesk_row(n: int, **overrides: str) -> dict[str, str]:
    """A solved ticket of Zendesk's CSV export (ZENDESK_HEADER), id 100 + n, for Person 5."""
    row = {
        "Summation column": "1",
        "Id": str(100 + n),
        "Requester": "Customer Carol",
        "Requester id": "9",
        "Requester email": "carol@customer.example",
        "Assignee": "Person 5",
        "Group": "Support",
        "Subject": "Refund please",
        "Tags": "refund",
        "Status": "Solved",
        "Priority": "High",
        "Via": "Mail",
        "Type": "Question",
        "Created at": "2025-02-03 14:14:00 +0100",
        "Updated at": "2025-02-04T10:00:00Z",
        "Assigned at": "",
        "Solved at": "2025-02-04 10:00:00 +0000",
        "Reopens": "1",
        "Replies": "3",
    }
    row.update(overrides)
    return row


SERVICENOW_LABELS = [
    "Number",
    "Opened",
    "Short description",
    "Caller",
    "Priority",
    "State",
    "Category",
    "Assignment group",
    "Assigned to",
    "Updated",
    "Resolved",
    "Closed",
    "Reopen count",
]


def setup_directory(db_url: str, tmp_path: Path, people: int = 6) -> None:
    from typer.testing import CliRunner

    from gaplens.cli import app

    runner = CliRunner()
    teams = write_csv(tmp_path / "teams.csv", TEAMS)
    staff = [person(n) for n in range(people)]
    staff[5]["team"] = "support"
    directory = write_csv(tmp_path / "people.csv", staff)
    for kind, path in (("teams", teams), ("people", directory)):
        result = runner.invoke(app, ["import", kind, str(path), "--db", db_url])
        assert result.exit_code == 0, result.output


TABLES = (
    "import_run",
    "raw_chunk",
    "jira_issue",
    "jira_status_change",
    "zendesk_ticket",
    "servicenow_incident",
    "work_item",
    "work_item_transition",
    "ai_usage_day",
    "training_record",
)


def census(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as connection:
        counts = {
            name: connection.execute(select(func.count()).select_from(text(name))).scalar_one()
            for name in TABLES
        }
    engine.dispose()
    return counts


def rows(url: str, sql: str) -> list[Any]:
    engine = create_engine(url)
    with engine.connect() as connection:
        result = list(connection.execute(text(sql)))
    engine.dispose()
    return result


def work_items(url: str, source: str | None = None) -> dict[str, Any]:
    """Work items by key, read through the ORM so times come back as datetimes."""
    from sqlalchemy.orm import Session

    from gaplens.work.models import WorkItem

    engine = create_engine(url)
    with Session(engine) as session:
        query = select(WorkItem)
        if source is not None:
            query = query.where(WorkItem.source == source)
        found = {item.key: item for item in session.scalars(query)}
        session.expunge_all()
    engine.dispose()
    return found
