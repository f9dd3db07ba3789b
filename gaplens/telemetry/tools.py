"""AI-tool usage, tool layer: each export's rows as the vendor states them.

Tool tables keep the source's own identities (GitHub login, UPN), so rows whose person is not
yet in the directory are kept and reported, and resolve on a later import. Only the ingest
packages read them (an import contract in pyproject.toml): `gaplens/telemetry/service.py`
fills them from the connectors and derives the domain table `ai_usage_day`
(gaplens/telemetry/models.py) from them; everything above reads the domain.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gaplens.db.base import Base

M365_APPS = (
    "teams",
    "word",
    "excel",
    "powerpoint",
    "outlook",
    "onenote",
    "loop",
    "copilot_chat",
)


class CopilotUserDay(Base):
    """One user-day of the GitHub Copilot usage-metrics NDJSON report."""

    __tablename__ = "copilot_user_day"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    user_login: Mapped[str] = mapped_column(String(100), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    interactions: Mapped[int | None] = mapped_column(Integer)
    code_generations: Mapped[int | None] = mapped_column(Integer)
    code_acceptances: Mapped[int | None] = mapped_column(Integer)
    loc_suggested: Mapped[int | None] = mapped_column(Integer)
    loc_added: Mapped[int | None] = mapped_column(Integer)
    used_agent: Mapped[bool | None] = mapped_column(Boolean)
    used_chat: Mapped[bool | None] = mapped_column(Boolean)
    features: Mapped[str | None] = mapped_column(Text)
    cli_sessions: Mapped[int | None] = mapped_column(Integer)
    """`totals_by_cli`: Copilot CLI use, which the IDE counts above do not include."""
    cli_requests: Mapped[int | None] = mapped_column(Integer)
    cli_prompts: Mapped[int | None] = mapped_column(Integer)
    code_review: Mapped[str | None] = mapped_column(String(8))
    """`active` (the user asked for or applied a Copilot review) or `passive` (a review a
    repository policy ran on their pull request, which is not their use of Copilot)."""
    import_run_id: Mapped[int] = mapped_column(ForeignKey("import_run.id"), index=True)
    source_row: Mapped[int] = mapped_column(Integer)


class CopilotUserDayFeature(Base):
    """One feature of a user-day's `totals_by_feature`, parsed once at import.

    The same counts as `copilot_user_day.features` (the non-zero ones; absent means 0), as
    plain columns so the scorecard sums a year of user-days in SQL instead of parsing a
    JSON text per user-day on every view. Keyed by its user-day's key: the importer writes
    a user-day and its features together, and importing that user-day again replaces all
    of them. No foreign key to the user-day: PostgreSQL checks one with a query per
    inserted row, which for millions of feature rows costs more than writing them.
    """

    __tablename__ = "copilot_user_day_feature"
    # SQLite: stored in key order without a separate rowid b-tree (smaller, faster import).
    __table_args__ = ({"sqlite_with_rowid": False},)

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    user_login: Mapped[str] = mapped_column(String(100), primary_key=True)
    feature: Mapped[str] = mapped_column(String(64), primary_key=True)
    interactions: Mapped[int] = mapped_column(BigInteger)
    generations: Mapped[int] = mapped_column(BigInteger)
    acceptances: Mapped[int] = mapped_column(BigInteger)
    loc_suggested: Mapped[int] = mapped_column(BigInteger)
    loc_added: Mapped[int] = mapped_column(BigInteger)


class CopilotOrgDay(Base):
    """An organisation- or enterprise-level day, from the current report or the legacy API."""

    __tablename__ = "copilot_org_day"

    scope: Mapped[str] = mapped_column(String(200), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    source_format: Mapped[str] = mapped_column(String(16))
    active_users: Mapped[int | None] = mapped_column(Integer)
    """Daily active users (the report's `daily_active_users`, legacy `total_active_users`)."""
    engaged_users: Mapped[int | None] = mapped_column(Integer)
    weekly_active_users: Mapped[int | None] = mapped_column(Integer)
    """Active in the trailing 7 days (usage-metrics report only; legacy exports have none)."""
    monthly_active_users: Mapped[int | None] = mapped_column(Integer)
    """Active in the trailing 28 days."""
    monthly_active_chat_users: Mapped[int | None] = mapped_column(Integer)
    monthly_active_agent_users: Mapped[int | None] = mapped_column(Integer)
    interactions: Mapped[int | None] = mapped_column(BigInteger)
    suggestions: Mapped[int | None] = mapped_column(BigInteger)
    acceptances: Mapped[int | None] = mapped_column(BigInteger)
    lines_suggested: Mapped[int | None] = mapped_column(BigInteger)
    lines_accepted: Mapped[int | None] = mapped_column(BigInteger)
    import_run_id: Mapped[int] = mapped_column(ForeignKey("import_run.id"), index=True)
    source_row: Mapped[int] = mapped_column(Integer)


class M365UsageSnapshot(Base):
    """One user's row of one Microsoft 365 Copilot usage export: last-activity dates only."""

    __tablename__ = "m365_usage_snapshot"

    refresh_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    upn: Mapped[str] = mapped_column(String(320), primary_key=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    last_activity: Mapped[dt.date | None] = mapped_column(Date)
    teams: Mapped[dt.date | None] = mapped_column(Date)
    word: Mapped[dt.date | None] = mapped_column(Date)
    excel: Mapped[dt.date | None] = mapped_column(Date)
    powerpoint: Mapped[dt.date | None] = mapped_column(Date)
    outlook: Mapped[dt.date | None] = mapped_column(Date)
    onenote: Mapped[dt.date | None] = mapped_column(Date)
    loop: Mapped[dt.date | None] = mapped_column(Date)
    copilot_chat: Mapped[dt.date | None] = mapped_column(Date)
    import_run_id: Mapped[int] = mapped_column(ForeignKey("import_run.id"), index=True)
    source_row: Mapped[int] = mapped_column(Integer)


class M365UsagePeriod(Base):
    """The counts one Microsoft 365 Copilot export gives a user over a trailing period
    (report version 2): prompts submitted and active days. A `period='ALL'` export gives one
    row per period (7, 30, 90, 180 days); the last-activity dates stay in the snapshot."""

    __tablename__ = "m365_usage_period"

    refresh_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    upn: Mapped[str] = mapped_column(String(320), primary_key=True)
    period_days: Mapped[int] = mapped_column(Integer, primary_key=True)
    prompts: Mapped[int | None] = mapped_column(Integer)
    chat_work_prompts: Mapped[int | None] = mapped_column(Integer)
    chat_web_prompts: Mapped[int | None] = mapped_column(Integer)
    active_days: Mapped[int | None] = mapped_column(Integer)
    import_run_id: Mapped[int] = mapped_column(ForeignKey("import_run.id"), index=True)
    source_row: Mapped[int] = mapped_column(Integer)


class CursorUserDay(Base):
    """One user-day of Cursor's Admin API daily usage (`POST /teams/daily-usage-data`).

    Inactive days are kept too (`is_active` false): the API lists every team member."""

    __tablename__ = "cursor_user_day"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), primary_key=True)
    is_active: Mapped[bool | None] = mapped_column(Boolean)
    total_lines_added: Mapped[int | None] = mapped_column(Integer)
    total_lines_deleted: Mapped[int | None] = mapped_column(Integer)
    accepted_lines_added: Mapped[int | None] = mapped_column(Integer)
    accepted_lines_deleted: Mapped[int | None] = mapped_column(Integer)
    total_applies: Mapped[int | None] = mapped_column(Integer)
    total_accepts: Mapped[int | None] = mapped_column(Integer)
    total_rejects: Mapped[int | None] = mapped_column(Integer)
    total_tabs_shown: Mapped[int | None] = mapped_column(Integer)
    total_tabs_accepted: Mapped[int | None] = mapped_column(Integer)
    composer_requests: Mapped[int | None] = mapped_column(Integer)
    chat_requests: Mapped[int | None] = mapped_column(Integer)
    agent_requests: Mapped[int | None] = mapped_column(Integer)
    cmdk_usages: Mapped[int | None] = mapped_column(Integer)
    bugbot_usages: Mapped[int | None] = mapped_column(Integer)
    most_used_model: Mapped[str | None] = mapped_column(String(100))
    client_version: Mapped[str | None] = mapped_column(String(50))
    import_run_id: Mapped[int] = mapped_column(ForeignKey("import_run.id"), index=True)
    source_row: Mapped[int] = mapped_column(Integer)


class ClaudeCodeUserDay(Base):
    """One record of the Claude Code analytics report (`GET /v1/organizations/usage_report/
    claude_code`): an actor's day in one terminal. The actor is a user (email address) or an
    API key (its name): API keys are not people, so their rows are kept and counted only."""

    __tablename__ = "claude_code_user_day"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    actor_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    actor: Mapped[str] = mapped_column(String(320), primary_key=True)
    terminal_type: Mapped[str] = mapped_column(String(100), primary_key=True)
    """'' when the record names none."""
    organization_id: Mapped[str | None] = mapped_column(String(100))
    customer_type: Mapped[str | None] = mapped_column(String(32))
    sessions: Mapped[int | None] = mapped_column(Integer)
    lines_added: Mapped[int | None] = mapped_column(Integer)
    lines_removed: Mapped[int | None] = mapped_column(Integer)
    commits: Mapped[int | None] = mapped_column(Integer)
    pull_requests: Mapped[int | None] = mapped_column(Integer)
    actions_accepted: Mapped[int | None] = mapped_column(Integer)
    """Sum of `tool_actions.*.accepted` (edit, multi-edit, write, notebook edit)."""
    actions_rejected: Mapped[int | None] = mapped_column(Integer)
    tool_actions: Mapped[str | None] = mapped_column(Text)
    """`tool_actions` as compact JSON, every tool the record lists."""
    model_breakdown: Mapped[str | None] = mapped_column(Text)
    """`model_breakdown` as compact JSON (model, tokens, estimated cost)."""
    import_run_id: Mapped[int] = mapped_column(ForeignKey("import_run.id"), index=True)
    source_row: Mapped[int] = mapped_column(Integer)
