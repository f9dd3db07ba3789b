"""Reads the Claude Code analytics report: the response of the Anthropic Admin API's
`GET /v1/organizations/usage_report/claude_code`.

Anthropic's reference: `{"data": [{"date" (UTC day, `YYYY-MM-DD` or an RFC 3339 midnight),
"actor": {"type": "user_actor", "email_address"} | {"type": "api_actor", "api_key_name"},
"organization_id", "customer_type" ("api" | "subscription"), "terminal_type",
"core_metrics": {"num_sessions", "lines_of_code": {"added", "removed"},
"commits_by_claude_code", "pull_requests_by_claude_code"}, "tool_actions": {"edit_tool":
{"accepted", "rejected"}, "multi_edit_tool", "notebook_edit_tool", "write_tool"},
"model_breakdown": [{"model", "tokens": {...}, "estimated_cost": {"amount", "currency"}}],
"subscription_type"}], "has_more", "next_page"}`. Validation only; nothing here writes.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gaplens.connectors.usage_pages import (
    PageItem,
    UsagePages,
    count_field,
    text_field,
)
from gaplens.errors import ProblemCollector

USER_ACTOR = "user_actor"
API_ACTOR = "api_actor"
ACTOR_NAME = {USER_ACTOR: "email_address", API_ACTOR: "api_key_name"}


@dataclass(frozen=True, slots=True)
class ClaudeCodeDay:
    """One validated record: an actor's day in one terminal."""

    day: dt.date
    actor_type: str
    actor: str
    terminal_type: str
    organization_id: str | None
    customer_type: str | None
    sessions: int | None
    lines_added: int | None
    lines_removed: int | None
    commits: int | None
    pull_requests: int | None
    actions_accepted: int | None
    actions_rejected: int | None
    tool_actions: str | None
    model_breakdown: str | None

    @property
    def used(self) -> bool:
        """A day of use: a session or any action (a tool action accepted or rejected, lines
        changed, a commit or a pull request)."""
        return any(
            (
                self.sessions,
                self.actions_accepted,
                self.actions_rejected,
                self.lines_added,
                self.lines_removed,
                self.commits,
                self.pull_requests,
            )
        )


class ClaudeCodeUsageReader:
    """Iterates `(item, record or None)`; problems go to `problems`, located by row and
    field path (`data[0].core_metrics.lines_of_code.added`)."""

    def __init__(self, path: Path, problems: ProblemCollector) -> None:
        self.pages = UsagePages(
            path, "a Claude Code usage report (GET /v1/organizations/usage_report/claude_code)"
        )
        self.problems = problems
        self.rows_read = 0

    @property
    def bytes_read(self) -> int:
        return self.pages.bytes_read

    @property
    def incomplete(self) -> bool:
        """The last page read says more pages follow (`has_more`)."""
        return self.pages.last_page.get("has_more") is True

    def __iter__(self) -> Iterator[tuple[PageItem, ClaudeCodeDay | None]]:
        for item in self.pages:
            self.rows_read += 1
            yield item, parse_claude_code_day(item, self.problems)


def parse_claude_code_day(item: PageItem, problems: ProblemCollector) -> ClaudeCodeDay | None:
    """One record, or None with its problems recorded."""
    obj, row, at = item.value, item.row, item.path
    if not isinstance(obj, dict):
        problems.add("expected a usage record (a JSON object)", row, at)
        return None
    before = problems.count
    day = _day(obj.get("date"), row, f"{at}.date", problems)
    actor_type, actor = _actor(obj.get("actor"), row, f"{at}.actor", problems)
    terminal = text_field(obj.get("terminal_type"), row, f"{at}.terminal_type", problems, 100)
    organization = text_field(
        obj.get("organization_id"), row, f"{at}.organization_id", problems, 100
    )
    customer = text_field(obj.get("customer_type"), row, f"{at}.customer_type", problems, 32)
    core = obj.get("core_metrics")
    sessions = added = removed = commits = pulls = None
    if core is None:
        pass
    elif not isinstance(core, dict):
        problems.add("expected an object", row, f"{at}.core_metrics")
    else:
        base = f"{at}.core_metrics"
        sessions = count_field(core.get("num_sessions"), row, f"{base}.num_sessions", problems)
        commits = count_field(
            core.get("commits_by_claude_code"), row, f"{base}.commits_by_claude_code", problems
        )
        pulls = count_field(
            core.get("pull_requests_by_claude_code"),
            row,
            f"{base}.pull_requests_by_claude_code",
            problems,
        )
        lines = core.get("lines_of_code")
        if isinstance(lines, dict):
            added = count_field(lines.get("added"), row, f"{base}.lines_of_code.added", problems)
            removed = count_field(
                lines.get("removed"), row, f"{base}.lines_of_code.removed", problems
            )
        elif lines is not None:
            problems.add("expected an object", row, f"{base}.lines_of_code")
    accepted, rejected, actions = _tool_actions(
        obj.get("tool_actions"), row, f"{at}.tool_actions", problems
    )
    models = _models(obj.get("model_breakdown"), row, f"{at}.model_breakdown", problems)
    if problems.count != before or day is None or actor_type is None or actor is None:
        return None
    return ClaudeCodeDay(
        day,
        actor_type,
        actor,
        terminal or "",
        organization,
        customer,
        sessions,
        added,
        removed,
        commits,
        pulls,
        accepted,
        rejected,
        actions,
        models,
    )


def _day(value: Any, row: int, at: str, problems: ProblemCollector) -> dt.date | None:
    """`YYYY-MM-DD` as documented, or the RFC 3339 timestamp the reference's example shows
    (`2025-08-08T00:00:00Z`), converted to its UTC day."""
    if not isinstance(value, str) or not value.strip():
        problems.add("a UTC date (YYYY-MM-DD) is required", row, at)
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        problems.add(f"{value!r} is not a date (YYYY-MM-DD)", row, at)
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.date()


def _actor(
    value: Any, row: int, at: str, problems: ProblemCollector
) -> tuple[str | None, str | None]:
    if not isinstance(value, dict):
        problems.add("expected the actor object (a user or an API key)", row, at)
        return None, None
    kind = value.get("type")
    if kind not in ACTOR_NAME:
        problems.add(f"{kind!r} is not 'user_actor' or 'api_actor'", row, f"{at}.type")
        return None, None
    field = ACTOR_NAME[kind]
    name = value.get(field)
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 320:
        problems.add("required (1-320 characters)", row, f"{at}.{field}")
        return None, None
    return str(kind), name.strip()


def _tool_actions(
    value: Any, row: int, at: str, problems: ProblemCollector
) -> tuple[int | None, int | None, str | None]:
    """(accepted, rejected) summed over every tool, and the object as compact JSON."""
    if value is None:
        return None, None, None
    if not isinstance(value, dict):
        problems.add("expected an object of tools", row, at)
        return None, None, None
    accepted = rejected = 0
    kept: dict[str, dict[str, int]] = {}
    for tool, counts in value.items():
        if not isinstance(counts, dict):
            problems.add("expected {accepted, rejected}", row, f"{at}.{tool}")
            continue
        entry: dict[str, int] = {}
        for name in ("accepted", "rejected"):
            number = count_field(counts.get(name), row, f"{at}.{tool}.{name}", problems)
            if number is not None:
                entry[name] = number
        accepted += entry.get("accepted", 0)
        rejected += entry.get("rejected", 0)
        kept[str(tool)] = entry
    return accepted, rejected, json.dumps(kept, separators=(",", ":"), sort_keys=True)


def _models(value: Any, row: int, at: str, problems: ProblemCollector) -> str | None:
    """The model breakdown, checked (a list of objects naming a model, with counts and a
    cost of at least 0) and kept as compact JSON."""
    if value is None:
        return None
    if not isinstance(value, list):
        problems.add("expected a list", row, at)
        return None
    for index, entry in enumerate(value):
        here = f"{at}[{index}]"
        if not isinstance(entry, dict):
            problems.add("expected an object", row, here)
            continue
        if not isinstance(entry.get("model"), str):
            problems.add("a model name is required", row, f"{here}.model")
        tokens = entry.get("tokens")
        if isinstance(tokens, dict):
            for name, number in tokens.items():
                count_field(number, row, f"{here}.tokens.{name}", problems)
        elif tokens is not None:
            problems.add("expected an object", row, f"{here}.tokens")
        cost = entry.get("estimated_cost")
        if isinstance(cost, dict):
            amount = cost.get("amount")
            if amount is not None and (
                isinstance(amount, bool) or not isinstance(amount, int | float) or amount < 0
            ):
                problems.add(
                    f"{amount!r} is not an amount of at least 0",
                    row,
                    f"{here}.estimated_cost.amount",
                )
        elif cost is not None:
            problems.add("expected an object", row, f"{here}.estimated_cost")
    return json.dumps(value, separators=(",", ":"), sort_keys=True)
