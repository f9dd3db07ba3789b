"""Jira Cloud over REST v3: issues by `updated`, each with its whole changelog.

Paths (Jira Cloud platform REST API v3):

- `GET /rest/api/3/myself`: checks the credentials (Basic, email + API token) and gives the
  account's `timeZone`, the zone JQL reads date literals in;
- `GET /rest/api/3/field`: the site's field ids, to ask for its story-points and sprint
  custom fields by id (they differ per site);
- `GET /rest/api/3/search/jql?jql=&fields=&maxResults=&expand=changelog`: the enhanced
  search, paged by `nextPageToken` until `isLast`. Its `changelog` holds at most a few dozen
  `histories` (with their `total`), so
- `GET /rest/api/3/issue/{key}/changelog?startAt=&maxResults=`: every page (`isLast`,
  `startAt`, `total`, `values`, oldest first) of an issue whose changelog the search cut.

Stream and cursor: `issues` holds the highest `updated` stored (UTC, ISO 8601). The next
sync asks `project in (...) AND updated >= "yyyy/MM/dd HH:mm" ORDER BY updated ASC, key ASC`
from that mark minus `OVERLAP`, written in the account's time zone (JQL has minute
resolution and reads literals in the searching user's zone), so nothing updated in the same
minute is missed; the issues asked for again are stored again by key, which is idempotent.
Each search page is one unit: its issues with full changelogs, as the REST-JSON importer
reads them, and the page's last `updated` as the new cursor.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import zoneinfo
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from gaplens.connectors.jira_json import (
    COMMON_SPRINT_IDS,
    COMMON_STORY_POINT_IDS,
    STORY_POINT_NAMES,
)
from gaplens.connectors.work_records import parse_timestamp
from gaplens.sync.http import ApiClient, Retrying, SyncError, shown_url
from gaplens.sync.vendor import JIRA_ISSUES, Download, Unit

STREAM = "issues"
PAGE_SIZE = 100
"""Issues per search page (Jira may return fewer; the token decides what comes next)."""
CHANGELOG_PAGE = 100
"""Histories per changelog page (the endpoint's maximum)."""
OVERLAP = dt.timedelta(minutes=5)
"""Asked again before the mark: JQL compares whole minutes, and the enhanced search is
eventually consistent (an issue saved just before a later one may be found only after it),
so a few minutes, not one, are asked again; storing them again changes nothing."""
UNKNOWN_ZONE_OVERLAP = dt.timedelta(hours=14)
"""When the account's zone is unknown, the mark is written in UTC this much earlier (the
widest UTC offset), so whatever the zone nothing is skipped."""
BASE_FIELDS = ("status", "issuetype", "project", "assignee", "created", "updated")
"""What the work metrics read (plus `resolutiondate` and the site's story-points and sprint
fields); summaries, descriptions and comments are never asked for."""


def credentials_json(email: str, token: str) -> str:
    """The one secret string a Jira connection stores (encrypted)."""
    return json.dumps({"email": email, "token": token}, separators=(",", ":"))


def parse_credentials(secret: str) -> tuple[str, str]:
    """Email and API token from what `credentials_json` stored."""
    try:
        value = json.loads(secret)
    except ValueError:
        value = None
    if (
        not isinstance(value, dict)
        or not isinstance(value.get("email"), str)
        or not isinstance(value.get("token"), str)
    ):
        raise SyncError("the stored Jira credentials are not an email and a token: connect again")
    return value["email"], value["token"]


def parse_projects(text: str) -> list[str]:
    """Project keys from `KEY[,KEY]`; Jira keys are a capital letter then capitals, digits
    or underscores."""
    keys = [key.strip().upper() for key in text.split(",") if key.strip()]
    if not keys:
        raise ValueError("name at least one project key")
    for key in keys:
        if not (key[0].isalpha() and key.isascii() and key.replace("_", "").isalnum()):
            raise ValueError(f"'{key}' is not a Jira project key")
    return list(dict.fromkeys(keys))


def jql_for(projects: Sequence[str], since: str | None, zone: str | None) -> str:
    """The search: every issue of the projects, or those updated from the mark on."""
    listed = ", ".join(f'"{key}"' for key in projects)
    jql = f"project in ({listed})"
    if since is not None:
        jql += f' AND updated >= "{jql_moment(since, zone)}"'
    return jql + " ORDER BY updated ASC, key ASC"


def jql_moment(since: str, zone: str | None) -> str:
    """The mark (UTC ISO) minus the overlap, in the account's zone, as JQL writes it."""
    mark = dt.datetime.fromisoformat(since).replace(tzinfo=dt.UTC)
    try:
        local = (mark - OVERLAP).astimezone(zoneinfo.ZoneInfo(zone or "")) if zone else None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        local = None
    if local is None:
        local = mark - UNKNOWN_ZONE_OVERLAP
    return local.strftime("%Y/%m/%d %H:%M")


class JiraClient:
    """A `VendorClient` for one Jira Cloud site and its projects."""

    def __init__(
        self,
        site: str,
        projects: str,
        email: str,
        token: str,
        retrying: Retrying | None = None,
    ) -> None:
        try:
            self.projects = parse_projects(projects)
        except ValueError as error:
            raise SyncError(f"projects: {error}") from None
        basic = base64.b64encode(f"{email}:{token}".encode()).decode()
        self.api = ApiClient(
            site,
            {"Authorization": f"Basic {basic}", "Accept": "application/json"},
            retrying,
        )

    def close(self) -> None:
        self.api.close()

    def pull(self, state: Mapping[str, str], workdir: Path, today: dt.date) -> Iterator[Unit]:
        del today  # issues carry their own times
        myself, _ = self.api.get_json("/rest/api/3/myself")
        zone = myself.get("timeZone") if isinstance(myself, dict) else None
        points, sprints = self._custom_fields()
        names = {field_id: "Story Points" for field_id in points}
        names.update({field_id: "Sprint" for field_id in sprints})
        fields = ",".join([*BASE_FIELDS, "resolutiondate", *points, *sprints])
        jql = jql_for(self.projects, state.get(STREAM), zone if isinstance(zone, str) else None)
        search = "/rest/api/3/search/jql"
        source = shown_url(self.api.url(search))
        token: str | None = None
        page = 0
        while True:
            params: dict[str, str | int] = {
                "jql": jql,
                "fields": fields,
                "maxResults": PAGE_SIZE,
                "expand": "changelog",
            }
            if token is not None:
                params["nextPageToken"] = token
            body, _ = self.api.get_json(search, params)
            page += 1
            issues, token, last = _search_page(body, source, page)
            if issues:
                for issue in issues:
                    self._whole_changelog(issue)
                yield self._unit(issues, names, source, page, workdir)
            if last or token is None:
                return

    def _custom_fields(self) -> tuple[list[str], list[str]]:
        """The site's story-points and sprint field ids (the common ids if it names none)."""
        body, _ = self.api.get_json("/rest/api/3/field")
        if not isinstance(body, list):
            raise SyncError(f"{shown_url(self.api.url('/rest/api/3/field'))}: expected a list")
        points: list[str] = []
        sprints: list[str] = []
        for field in body:
            if not isinstance(field, dict) or not isinstance(field.get("id"), str):
                continue
            name = str(field.get("name", "")).strip().lower()
            if name in STORY_POINT_NAMES:
                points.append(field["id"])
            elif name == "sprint":
                sprints.append(field["id"])
        return points or list(COMMON_STORY_POINT_IDS), sprints or list(COMMON_SPRINT_IDS)

    def _whole_changelog(self, issue: dict[str, Any]) -> None:
        """Replace a changelog the search cut short with every history the issue has."""
        changelog = issue.get("changelog")
        if not isinstance(changelog, dict):
            return
        held = changelog.get("histories")
        held = held if isinstance(held, list) else []
        total = changelog.get("total")
        if not (type(total) is int and total > len(held)) and not changelog.get("startAt"):
            return
        key = str(issue.get("key") or issue.get("id"))
        path = f"/rest/api/3/issue/{quote(key, safe='')}/changelog"
        where = shown_url(self.api.url(path))
        fetched: list[Any] = []
        start = 0
        while True:
            body, _ = self.api.get_json(path, {"startAt": start, "maxResults": CHANGELOG_PAGE})
            values = body.get("values") if isinstance(body, dict) else None
            if not isinstance(values, list):
                raise SyncError(f"{where}: expected an object with a 'values' list")
            fetched.extend(values)
            start += len(values)
            reported = body.get("total")
            if body.get("isLast") is True or not values:
                break
            if type(reported) is int and start >= reported:
                break
        if type(reported) is int and len(fetched) < reported:
            raise SyncError(
                f"{where}: {len(fetched)} of {reported} changelog entries were returned; "
                "the next sync asks again"
            )
        merged = _merge_histories(fetched, held)
        issue["changelog"] = {
            "startAt": 0,
            "maxResults": len(merged),
            "total": len(merged),
            "histories": merged,
        }

    def _unit(
        self,
        issues: list[dict[str, Any]],
        names: dict[str, str],
        source: str,
        page: int,
        workdir: Path,
    ) -> Unit:
        """One search page as the REST-JSON file the importer reads; cursor: its last
        `updated` (pages come in `updated` order)."""
        marks = [_updated(issue, source, number) for number, issue in enumerate(issues, 1)]
        path = workdir / f"jira-search-{page}.json"
        path.write_text(json.dumps({"issues": issues, "names": names}), encoding="utf-8")
        return Unit(
            STREAM,
            max(marks).isoformat(),
            JIRA_ISSUES,
            source,
            files=[Download(source, path)],
            note=f"search page {page}: {len(issues)} issues",
        )


def _search_page(
    body: Any, source: str, page: int
) -> tuple[list[dict[str, Any]], str | None, bool]:
    """The page's issues, its `nextPageToken` and `isLast`, checked."""
    if not isinstance(body, dict) or not isinstance(body.get("issues"), list):
        raise SyncError(f"{source} (page {page}): expected an object with an 'issues' list")
    token = body.get("nextPageToken")
    if token is not None and not isinstance(token, str):
        raise SyncError(f"{source} (page {page}): 'nextPageToken' must be a string")
    issues = body["issues"]
    for number, issue in enumerate(issues, start=1):
        if not isinstance(issue, dict):
            raise SyncError(f"{source} (page {page}), row {number}: an issue must be an object")
    # The last page may omit `nextPageToken` and (older responses) `isLast`.
    last = body.get("isLast") is True or not token
    return issues, token or None, last


def _updated(issue: dict[str, Any], source: str, row: int) -> dt.datetime:
    fields = issue.get("fields")
    value = fields.get("updated") if isinstance(fields, dict) else None
    parsed = parse_timestamp(value) if isinstance(value, str) else None
    if parsed is None:
        raise SyncError(
            f"{source}, row {row}, column 'fields.updated': {str(value)[:40]!r} is not a "
            "timestamp (the cursor needs it)"
        )
    return parsed


def _merge_histories(fetched: list[Any], held: list[Any]) -> list[Any]:
    """Every history once (by id), the changelog endpoint's first, then any the search had
    that it did not (a change made between the two requests)."""
    seen: set[str] = set()
    merged: list[Any] = []
    for history in [*fetched, *held]:
        ident = history.get("id") if isinstance(history, dict) else None
        if ident is not None:
            if str(ident) in seen:
                continue
            seen.add(str(ident))
        merged.append(history)
    return merged
