"""Small helpers to write test input files exactly as a user's tool would produce them."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import Engine

TEAMS = [
    {"key": "acme", "name": "Acme", "parent": "", "function": "Leadership"},
    {"key": "eng", "name": "Engineering", "parent": "acme", "function": "Engineering"},
    {"key": "eng-payments", "name": "Payments", "parent": "eng", "function": "Engineering"},
    {"key": "support", "name": "Support", "parent": "acme", "function": "Support"},
]


def write_csv(path: Path, rows: list[dict[str, str]], header: list[str] | None = None) -> Path:
    header = header or list(rows[0])
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def person(
    n: int, role: str = "individual_contributor", team: str = "eng-payments"
) -> dict[str, str]:
    return {
        "email": f"person{n}@acme.example",
        "name": f"Person {n}",
        "role_level": role,
        "team": team,
        "github_login": f"gh-person{n}",
        "jira_account_id": f"jira{n:020d}",
        "ai_licence_date": "2025-03-01",
        "ai_adoption_date": "2025-04-01" if n % 2 else "",
    }


def table_counts(url: str) -> dict[str, int]:
    """Row count of every table, to prove a failed import wrote nothing."""
    engine: Engine = create_engine(url)
    names = [
        "organisation",
        "team",
        "person",
        "identity",
        "bank_question",
        "survey",
        "survey_question",
        "survey_response",
        "survey_answer",
        "import_run",
        "leader_post",
        "leader_post_mark",
        "commitment",
        "commitment_revision",
    ]
    with engine.connect() as connection:
        counts = {
            name: connection.execute(select(func.count()).select_from(text(name))).scalar_one()
            for name in names
        }
    engine.dispose()
    return counts
