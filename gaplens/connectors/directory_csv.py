"""Reads the teams and people CSV files (docs/import-formats.md) into validated records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from gaplens.connectors.csv_file import CsvReader
from gaplens.connectors.fields import (
    EMAIL_PATTERN,
    optional_text,
    parse_date,
    parse_key,
    parse_role_level,
    required_text,
)
from gaplens.directory.schemas import RoleLevel
from gaplens.errors import ProblemCollector

TEAM_COLUMNS = ("key", "name")
TEAM_OPTIONAL = ("parent", "function")
PEOPLE_COLUMNS = ("email", "name", "role_level", "team")
PEOPLE_OPTIONAL = (
    "function",
    "github_login",
    "jira_account_id",
    "ai_licence_date",
    "ai_adoption_date",
    "language",
)
LANGUAGE_MAX = 64
"""A language tag (`de`, `de-CH`; BCP 47 allows 35 characters) with room for what an
identity provider sends as is."""


@dataclass(frozen=True)
class TeamRecord:
    row: int
    key: str
    name: str
    parent: str | None
    function: str | None


@dataclass(frozen=True)
class PersonRecord:
    row: int
    email: str
    name: str
    role_level: RoleLevel
    team: str
    function: str | None
    github_login: str | None
    jira_account_id: str | None
    ai_licence_date: dt.date | None
    ai_adoption_date: dt.date | None
    language: str | None = None
    """The tag the person reads (`de-CH`), kept as given; None: none given."""
    sets_language: bool = False
    """Whether this record says the language (a CSV without the column keeps what is known)."""


def read_teams(path: Path, problems: ProblemCollector) -> list[TeamRecord]:
    reader = CsvReader(path, TEAM_COLUMNS, TEAM_OPTIONAL)
    records: list[TeamRecord] = []
    seen: dict[str, int] = {}
    for row, fields in reader:

        def get(column: str, fields: list[str] = fields) -> str:
            return reader.get(fields, column)

        key = parse_key(get("key"), problems, row, "key")
        name = required_text(get("name"), problems, row, "name")
        parent_text = get("parent").strip()
        parent = parse_key(parent_text, problems, row, "parent") if parent_text else None
        function = optional_text(get("function"), problems, row, "function", 100)
        if key is not None and key in seen:
            problems.add(f"team '{key}' already appears in row {seen[key]}", row, "key")
            continue
        if key is not None:
            seen[key] = row
        if key is not None and parent == key:
            problems.add("a team cannot be its own parent", row, "parent")
            continue
        if key is not None and name is not None:
            records.append(TeamRecord(row, key, name, parent, function))
    return records


def read_people(path: Path, problems: ProblemCollector) -> list[PersonRecord]:
    reader = CsvReader(path, PEOPLE_COLUMNS, PEOPLE_OPTIONAL)
    records: list[PersonRecord] = []
    seen: dict[str, int] = {}
    for row, fields in reader:

        def get(column: str, fields: list[str] = fields) -> str:
            return reader.get(fields, column)

        email = get("email").strip().lower()
        if email in seen:
            problems.add(f"'{email}' already appears in row {seen[email]}", row, "email")
            continue
        record = person_record(row, get, problems)
        seen[email] = row
        if record is not None:
            records.append(replace(record, sets_language="language" in reader.header.index))
    return records


def person_record(
    row: int, get: Callable[[str], str], problems: ProblemCollector
) -> PersonRecord | None:
    """One person's fields, validated: the rules the CSV import and SCIM share (None if a
    required one is missing or invalid; `problems` says which)."""
    email = get("email").strip().lower()
    if not EMAIL_PATTERN.match(email) or len(email) > 320:
        problems.add(f"'{email}' is not an email address", row, "email")
        return None
    name = required_text(get("name"), problems, row, "name")
    role = parse_role_level(get("role_level"), problems, row, "role_level")
    team = parse_key(get("team"), problems, row, "team")
    licence = parse_date(get("ai_licence_date"), problems, row, "ai_licence_date")
    adoption = parse_date(get("ai_adoption_date"), problems, row, "ai_adoption_date")
    function = optional_text(get("function"), problems, row, "function", 100)
    github_login = optional_text(get("github_login"), problems, row, "github_login", 100)
    jira_account_id = optional_text(get("jira_account_id"), problems, row, "jira_account_id", 128)
    language = optional_text(get("language"), problems, row, "language", LANGUAGE_MAX)
    if name is None or role is None or team is None:
        return None
    return PersonRecord(
        row=row,
        email=email,
        name=name,
        role_level=role,
        team=team,
        function=function,
        github_login=github_login,
        jira_account_id=jira_account_id,
        ai_licence_date=licence,
        ai_adoption_date=adoption,
        language=language,
        sets_language=True,
    )
