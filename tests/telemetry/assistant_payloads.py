"""Cursor and Claude Code reports written the way their admin APIs return them (field names
and shapes from Cursor's Admin API reference and Anthropic's Admin API reference)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any


def epoch_ms(day: str) -> int:
    return int(dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC).timestamp() * 1000)


def cursor_day(email: str, day: str, active: bool = True, n: int = 1) -> dict[str, Any]:
    """One record of `POST /teams/daily-usage-data`, as in Cursor's example response."""
    k = n if active else 0
    return {
        "date": epoch_ms(day),
        "isActive": active,
        "totalLinesAdded": 150 * k,
        "totalLinesDeleted": 90 * k,
        "acceptedLinesAdded": 110 * k,
        "acceptedLinesDeleted": 60 * k,
        "totalApplies": 8 * k,
        "totalAccepts": 7 * k,
        "totalRejects": k,
        "totalTabsShown": 40 * k,
        "totalTabsAccepted": 30 * k,
        "composerRequests": 4 * k,
        "chatRequests": 12 * k,
        "agentRequests": 2 * k,
        "cmdkUsages": 6 * k,
        "subscriptionIncludedReqs": 18 * k,
        "apiKeyReqs": 0,
        "usageBasedReqs": 0,
        "bugbotUsages": 0,
        "mostUsedModel": "claude-4.5-sonnet" if active else None,
        "applyMostUsedExtension": ".tsx" if active else None,
        "tabMostUsedExtension": ".ts" if active else None,
        "clientVersion": "1.7.2" if active else None,
        "email": email,
    }


def cursor_response(records: list[dict[str, Any]], start: str, end: str) -> dict[str, Any]:
    return {"data": records, "period": {"startDate": epoch_ms(start), "endDate": epoch_ms(end)}}


def claude_user(
    email: str, day: str, sessions: int = 3, terminal: str = "vscode"
) -> dict[str, Any]:
    """One record of `GET /v1/organizations/usage_report/claude_code`, as in Anthropic's
    example response."""
    return {
        "actor": {"email_address": email, "type": "user_actor"},
        "core_metrics": {
            "commits_by_claude_code": sessions,
            "lines_of_code": {"added": 100 * sessions, "removed": 40 * sessions},
            "num_sessions": sessions,
            "pull_requests_by_claude_code": 1 if sessions else 0,
        },
        "customer_type": "subscription",
        "date": f"{day}T00:00:00Z",
        "model_breakdown": [
            {
                "estimated_cost": {"amount": 186, "currency": "USD"},
                "model": "claude-sonnet-4-20250514",
                "tokens": {
                    "cache_creation": 2340,
                    "cache_read": 8790,
                    "input": 45230,
                    "output": 12450,
                },
            }
        ]
        if sessions
        else [],
        "organization_id": "12345678-1234-5678-1234-567812345678",
        "subscription_type": "enterprise",
        "terminal_type": terminal,
        "tool_actions": {
            "edit_tool": {"accepted": 5 * sessions, "rejected": sessions},
            "multi_edit_tool": {"accepted": 2 * sessions, "rejected": 0},
            "notebook_edit_tool": {"accepted": 0, "rejected": 0},
            "write_tool": {"accepted": sessions, "rejected": 0},
        },
    }


def claude_api_key(name: str, day: str) -> dict[str, Any]:
    record = claude_user("x@example.com", day, sessions=6, terminal="non-interactive")
    record["actor"] = {"api_key_name": name, "type": "api_actor"}
    record["customer_type"] = "api"
    return record


def claude_page(
    records: list[dict[str, Any]], has_more: bool = False, next_page: str | None = None
) -> dict[str, Any]:
    return {"data": records, "has_more": has_more, "next_page": next_page}


def write_json(path: Path, value: Any, indent: int | None = 2) -> Path:
    path.write_text(json.dumps(value, indent=indent), encoding="utf-8")
    return path


def write_pages(path: Path, pages: list[dict[str, Any]]) -> Path:
    """Every page of a pull, one JSON object per line."""
    path.write_text("".join(json.dumps(page) + "\n" for page in pages), encoding="utf-8")
    return path
