"""Exports written the way GitHub and Microsoft produce them (field names from their docs)."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def user_day(login: str, day: str, n: int = 1, user_id: int = 1) -> dict[str, Any]:
    """One line of the usage-metrics user report, as in GitHub's example schema."""
    return {
        "code_acceptance_activity_count": n,
        "code_generation_activity_count": 2 * n,
        "day": day,
        "enterprise_id": "1",
        "loc_added_sum": 8 * n,
        "loc_deleted_sum": 0,
        "loc_suggested_to_add_sum": 10 * n,
        "loc_suggested_to_delete_sum": 0,
        "totals_by_cli": {
            "last_known_cli_version": {
                "cli_version": "1.0.8",
                "sampled_at": f"{day}T00:01:43.000Z",
            },
            "prompt_count": 2,
            "request_count": 2,
            "session_count": 2,
            "token_usage": {
                "avg_tokens_per_request": 4400.0,
                "output_tokens_sum": 5000,
                "prompt_tokens_sum": 3800,
            },
        },
        "totals_by_feature": [
            {
                "code_acceptance_activity_count": n,
                "code_generation_activity_count": 2 * n,
                "feature": "code_completion",
                "loc_added_sum": 8 * n,
                "loc_deleted_sum": 0,
                "loc_suggested_to_add_sum": 10 * n,
                "loc_suggested_to_delete_sum": 0,
                "user_initiated_interaction_count": 0,
            },
            {
                "code_acceptance_activity_count": 0,
                "code_generation_activity_count": 0,
                "feature": "chat_panel_ask_mode",
                "loc_added_sum": 0,
                "loc_deleted_sum": 0,
                "loc_suggested_to_add_sum": 0,
                "loc_suggested_to_delete_sum": 0,
                "user_initiated_interaction_count": 3 * n,
            },
        ],
        "totals_by_ide": [
            {
                "code_acceptance_activity_count": n,
                "code_generation_activity_count": 2 * n,
                "ide": "vscode",
                "last_known_ide_version": {
                    "ide_version": "1.85.0",
                    "sampled_at": f"{day}T00:00:02.000Z",
                },
                "last_known_plugin_version": {
                    "plugin": "",
                    "plugin_version": "",
                    "sampled_at": f"{day}T00:00:02.000Z",
                },
                "loc_added_sum": 8 * n,
                "loc_deleted_sum": 0,
                "loc_suggested_to_add_sum": 10 * n,
                "loc_suggested_to_delete_sum": 0,
                "user_initiated_interaction_count": 3 * n,
            }
        ],
        "totals_by_language_feature": [
            {
                "code_acceptance_activity_count": n,
                "code_generation_activity_count": 2 * n,
                "feature": "code_completion",
                "language": "python",
                "loc_added_sum": 8 * n,
                "loc_deleted_sum": 0,
                "loc_suggested_to_add_sum": 10 * n,
                "loc_suggested_to_delete_sum": 0,
            }
        ],
        "totals_by_language_model": [],
        "totals_by_model_feature": [],
        "used_agent": n % 2 == 0,
        "used_chat": True,
        "used_cli": False,
        "user_id": user_id,
        "user_login": login,
        "user_initiated_interaction_count": 3 * n,
        "etl_id": "green",
        "day_partition": day,
        "entity_id_partition": 1,
    }


def quiet_day(login: str, day: str, user_id: int = 1, **fields: Any) -> dict[str, Any]:
    """A user-report line with no IDE activity (every count 0, empty breakdowns), as the
    report has for a user whose day was CLI use or a Copilot code review only; `fields`
    add the day's signals (`totals_by_cli`, `used_copilot_code_review_passive`, ...)."""
    line: dict[str, Any] = {
        "code_acceptance_activity_count": 0,
        "code_generation_activity_count": 0,
        "day": day,
        "enterprise_id": "1",
        "loc_added_sum": 0,
        "loc_deleted_sum": 0,
        "loc_suggested_to_add_sum": 0,
        "loc_suggested_to_delete_sum": 0,
        "totals_by_feature": [],
        "totals_by_ide": [],
        "totals_by_language_feature": [],
        "totals_by_language_model": [],
        "totals_by_model_feature": [],
        "used_agent": False,
        "used_chat": False,
        "used_cli": False,
        "used_copilot_coding_agent": False,
        "used_copilot_code_review_active": False,
        "used_copilot_code_review_passive": False,
        "user_id": user_id,
        "user_login": login,
        "user_initiated_interaction_count": 0,
    }
    line.update(fields)
    return line


def cli_totals(sessions: int, requests: int, prompts: int) -> dict[str, Any]:
    """`totals_by_cli` as in GitHub's example schema."""
    return {
        "last_known_cli_version": {"cli_version": "1.0.8", "sampled_at": "2026-10-01T00:01:43Z"},
        "prompt_count": prompts,
        "request_count": requests,
        "session_count": sessions,
        "token_usage": {
            "avg_tokens_per_request": 4400.0,
            "output_tokens_sum": 5000,
            "prompt_tokens_sum": 3800,
        },
    }


def user_team(login: str, day: str, team: str, user_id: int = 1) -> dict[str, Any]:
    """One row of the user-teams report (`/orgs/{org}/copilot/metrics/reports/user-teams-1-day`):
    a user's membership of one team on a day, with no usage."""
    return {
        "day": day,
        "organization_id": "4242",
        "team_id": 100 + len(team),
        "team_slug": team,
        "user_id": user_id,
        "user_login": login,
    }


def write_ndjson(path: Path, records: Iterable[dict[str, Any]]) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record) + "\n")
    return path


def enterprise_report(days: list[str], enterprise_id: str = "1") -> dict[str, Any]:
    """The 28-day enterprise report: `day_totals` with daily/weekly/monthly active users."""
    totals = [
        {
            "code_acceptance_activity_count": 2 + i,
            "code_generation_activity_count": 4 + i,
            "daily_active_cli_users": 2,
            "daily_active_users": 10 + i,
            "day": day,
            "enterprise_id": enterprise_id,
            "loc_added_sum": 30,
            "loc_deleted_sum": 0,
            "loc_suggested_to_add_sum": 35,
            "loc_suggested_to_delete_sum": 0,
            "monthly_active_agent_users": 0,
            "monthly_active_chat_users": 0,
            "monthly_active_users": 20,
            "pull_requests": {"total_created": 2, "total_merged": 2, "total_reviewed": 1},
            "totals_by_feature": [],
            "totals_by_ide": [],
            "user_initiated_interaction_count": 5,
            "weekly_active_users": 15,
        }
        for i, day in enumerate(days)
    ]
    return {
        "day_totals": totals,
        "enterprise_id": enterprise_id,
        "report_end_day": days[-1],
        "report_start_day": days[0],
        "etl_id": "green",
        "day_partition": days[-1],
        "entity_id_partition": 1,
    }


def legacy_day(date: str, scale: int = 1) -> dict[str, Any]:
    """One day of the legacy /orgs/{org}/copilot/metrics response."""
    return {
        "date": date,
        "total_active_users": 24,
        "total_engaged_users": 20,
        "copilot_ide_code_completions": {
            "total_engaged_users": 20,
            "languages": [{"name": "python", "total_engaged_users": 10}],
            "editors": [
                {
                    "name": "vscode",
                    "total_engaged_users": 13,
                    "models": [
                        {
                            "name": "default",
                            "is_custom_model": False,
                            "custom_model_training_date": None,
                            "total_engaged_users": 13,
                            "languages": [
                                {
                                    "name": "python",
                                    "total_engaged_users": 6,
                                    "total_code_suggestions": 249 * scale,
                                    "total_code_acceptances": 123 * scale,
                                    "total_code_lines_suggested": 225 * scale,
                                    "total_code_lines_accepted": 135 * scale,
                                },
                                {
                                    "name": "ruby",
                                    "total_engaged_users": 7,
                                    "total_code_suggestions": 496,
                                    "total_code_acceptances": 253,
                                    "total_code_lines_suggested": 520,
                                    "total_code_lines_accepted": 270,
                                },
                            ],
                        }
                    ],
                },
                {
                    "name": "neovim",
                    "total_engaged_users": 7,
                    "models": [
                        {
                            "name": "a-custom-model",
                            "is_custom_model": True,
                            "custom_model_training_date": "2024-02-01",
                            "languages": [
                                {
                                    "name": "typescript",
                                    "total_engaged_users": 3,
                                    "total_code_suggestions": 112,
                                    "total_code_acceptances": 56,
                                    "total_code_lines_suggested": 143,
                                    "total_code_lines_accepted": 61,
                                }
                            ],
                        }
                    ],
                },
            ],
        },
        "copilot_ide_chat": {
            "total_engaged_users": 13,
            "editors": [
                {
                    "name": "vscode",
                    "total_engaged_users": 13,
                    "models": [
                        {
                            "name": "default",
                            "is_custom_model": False,
                            "total_engaged_users": 12,
                            "total_chats": 45,
                            "total_chat_insertion_events": 12,
                            "total_chat_copy_events": 16,
                        }
                    ],
                }
            ],
        },
        "copilot_dotcom_chat": {
            "total_engaged_users": 14,
            "models": [
                {
                    "name": "default",
                    "is_custom_model": False,
                    "total_engaged_users": 14,
                    "total_chats": 38,
                }
            ],
        },
        "copilot_dotcom_pull_requests": {"total_engaged_users": 12, "repositories": []},
    }


LEGACY_SUGGESTIONS = 249 + 496 + 112
LEGACY_ACCEPTANCES = 123 + 253 + 56
LEGACY_LINES_SUGGESTED = 225 + 520 + 143
LEGACY_LINES_ACCEPTED = 135 + 270 + 61

M365_HEADER = [
    "Report Refresh Date",
    "User Principal Name",
    "Display Name",
    "Last Activity Date",
    "Microsoft Teams Copilot Last Activity Date",
    "Word Copilot Last Activity Date",
    "Excel Copilot Last Activity Date",
    "PowerPoint Copilot Last Activity Date",
    "Outlook Copilot Last Activity Date",
    "OneNote Copilot Last Activity Date",
    "Loop Copilot Last Activity Date",
    "Copilot Chat Last Activity Date",
    "Report Period",
]
M365_APP_COLUMNS = {
    "teams": "Microsoft Teams Copilot Last Activity Date",
    "word": "Word Copilot Last Activity Date",
    "excel": "Excel Copilot Last Activity Date",
    "powerpoint": "PowerPoint Copilot Last Activity Date",
    "outlook": "Outlook Copilot Last Activity Date",
    "onenote": "OneNote Copilot Last Activity Date",
    "loop": "Loop Copilot Last Activity Date",
    "copilot_chat": "Copilot Chat Last Activity Date",
}
M365_APP_PROPERTIES = {
    "teams": "microsoftTeamsCopilotLastActivityDate",
    "word": "wordCopilotLastActivityDate",
    "excel": "excelCopilotLastActivityDate",
    "powerpoint": "powerPointCopilotLastActivityDate",
    "outlook": "outlookCopilotLastActivityDate",
    "onenote": "oneNoteCopilotLastActivityDate",
    "loop": "loopCopilotLastActivityDate",
    "copilot_chat": "copilotChatLastActivityDate",
}


def m365_user(upn: str, refresh: str, last: str, apps: dict[str, str]) -> dict[str, str]:
    return {"upn": upn, "refresh": refresh, "last": last, **apps}


def write_m365_csv(path: Path, users: list[dict[str, str]]) -> Path:
    """As the admin centre downloads it: UTF-8 with BOM, CRLF, every app column present."""
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(M365_HEADER)
        for user in users:
            writer.writerow(
                [user["refresh"], user["upn"], user["upn"].split("@")[0].title(), user["last"]]
                + [user.get(app, "") for app in M365_APP_COLUMNS]
                + ["7"]
            )
    return path


def write_m365_json(path: Path, users: list[dict[str, str]]) -> Path:
    """As Graph returns it with $format=application/json (one line, compact)."""
    value = []
    for user in users:
        item: dict[str, Any] = {
            "reportRefreshDate": user["refresh"],
            "userPrincipalName": user["upn"],
            "displayName": user["upn"].split("@")[0].title(),
            "lastActivityDate": user["last"],
        }
        for app, prop in M365_APP_PROPERTIES.items():
            item[prop] = user.get(app, "")
        item["copilotActivityUserDetailsByPeriod"] = [{"reportPeriod": 7}]
        value.append(item)
    path.write_text(
        json.dumps(
            {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#reports", "value": value}
        )
    )
    return path


def days_back(end: dt.date, count: int) -> list[str]:
    return [(end - dt.timedelta(days=i)).isoformat() for i in range(count)][::-1]
