"""GitHub Copilot over the REST API: usage-metrics reports and seat assignments.

Paths (GitHub REST reference, "Copilot usage metrics" and "Copilot user management"):

- `GET /orgs/{org}/copilot/metrics/reports/users-1-day?day=YYYY-MM-DD` and
  `.../organization-1-day?day=...` answer `{"download_links": [...], "report_day": ...}`;
- `GET .../users-28-day/latest` and `.../organization-28-day/latest` answer
  `{"download_links": [...], "report_start_day": ..., "report_end_day": ...}`;
- the links are pre-signed URLs to NDJSON files (what `gaplens import copilot-usage` reads),
  valid for a short time: one that answers 403/404 is asked for again, once;
- `GET /orgs/{org}/copilot/billing/seats?per_page=100` answers `{"total_seats", "seats"}`,
  paginated by the Link header.

Streams and cursors: `users` and `organization` hold the last report day stored. A first
sync takes the 28-day report (its end day becomes the cursor), then each later day's 1-day
report up to yesterday; a day whose report is not out yet (404) ends the stream for this run.
`seats` is pulled whole each run (its cursor is the day pulled).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from gaplens.sync.http import (
    ApiClient,
    LinkExpiredError,
    NotFoundError,
    Retrying,
    SyncError,
    next_link,
    shown_url,
)
from gaplens.sync.vendor import COPILOT_SEATS, COPILOT_USAGE, Download, Unit

DEFAULT_BASE_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
SEATS_PER_PAGE = 100
REPORTS = (("organization", "organization"), ("users", "users"))
"""(stream, report name prefix): `{prefix}-1-day` and `{prefix}-28-day/latest`."""


class CopilotClient:
    """A `VendorClient` for one organisation."""

    def __init__(
        self, base_url: str, org: str, token: str, retrying: Retrying | None = None
    ) -> None:
        self.org = org
        self.api = ApiClient(
            base_url,
            {
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
            },
            retrying,
        )
        self._prefix = f"/orgs/{quote(org, safe='')}/copilot"

    def close(self) -> None:
        self.api.close()

    def pull(self, state: Mapping[str, str], workdir: Path, today: dt.date) -> Iterator[Unit]:
        yield self._seats(today)
        for stream, report in REPORTS:
            yield from self._reports(stream, report, state.get(stream), workdir, today)

    def _seats(self, today: dt.date) -> Unit:
        first = self.api.url(f"{self._prefix}/billing/seats?per_page={SEATS_PER_PAGE}")
        url: str | None = first
        seats: list[Any] = []
        pages = 0
        while url is not None:
            body, response = self.api.get_json(url)
            pages += 1
            page = body.get("seats") if isinstance(body, dict) else None
            if not isinstance(page, list):
                raise SyncError(f"{shown_url(url)}: expected an object with a 'seats' list")
            seats.extend(page)
            url = next_link(response)
        return Unit(
            "seats",
            today.isoformat(),
            COPILOT_SEATS,
            shown_url(first),
            records=seats,
            note=f"{len(seats)} seats from {pages} page{'s' if pages != 1 else ''}",
            scope=self.org,
        )

    def _reports(
        self, stream: str, report: str, cursor: str | None, workdir: Path, today: dt.date
    ) -> Iterator[Unit]:
        last_day = today - dt.timedelta(days=1)
        if cursor is None:
            path = f"{self._prefix}/metrics/reports/{report}-28-day/latest"
            try:
                unit = self._report_unit(stream, path, {}, workdir, "report_end_day")
            except NotFoundError:
                raise SyncError(
                    f"{shown_url(self.api.url(path))} answered 404: is the Copilot usage "
                    f"metrics policy enabled, and is '{self.org}' the organisation's login?"
                ) from None
            yield unit
            cursor = unit.cursor
        day = dt.date.fromisoformat(cursor) + dt.timedelta(days=1)
        path = f"{self._prefix}/metrics/reports/{report}-1-day"
        while day <= last_day:
            try:
                yield self._report_unit(stream, path, {"day": day.isoformat()}, workdir, None)
            except NotFoundError:
                return  # not generated yet: the next sync asks again
            day += dt.timedelta(days=1)

    def _report_unit(
        self,
        stream: str,
        path: str,
        params: dict[str, str],
        workdir: Path,
        end_field: str | None,
    ) -> Unit:
        """Ask for the report, download its files; a link that expired is asked for once more."""
        for attempt in (1, 2):
            body, _ = self.api.get_json(path, params)
            links, cursor = _links(body, shown_url(self.api.url(path)), end_field, params)
            try:
                files = [
                    self._download(link, workdir / f"{stream}-{cursor}-{n}.ndjson")
                    for n, link in enumerate(links)
                ]
            except LinkExpiredError as expired:
                if attempt == 2:
                    raise SyncError(
                        f"{expired.message}, again after asking for the report anew"
                    ) from None
                continue
            return Unit(
                stream,
                cursor,
                COPILOT_USAGE,
                shown_url(self.api.url(path)),
                files=files,
                note=f"{stream} report for {cursor}: {len(files)} file(s)",
            )
        raise AssertionError("unreachable")

    def _download(self, link: str, target: Path) -> Download:
        self.api.download(link, target)
        return Download(shown_url(link), target)


def _links(
    body: Any, where: str, end_field: str | None, params: Mapping[str, str]
) -> tuple[list[str], str]:
    """The download links and the report's (last) day, checked."""
    if not isinstance(body, dict) or not isinstance(body.get("download_links"), list):
        raise SyncError(f"{where}: expected an object with a 'download_links' list")
    links = body["download_links"]
    if not all(isinstance(u, str) and u.startswith(("http://", "https://")) for u in links):
        raise SyncError(f"{where}: 'download_links' must be a list of URLs")
    day = body.get(end_field) if end_field else body.get("report_day", params.get("day"))
    try:
        parsed = dt.date.fromisoformat(str(day))
    except ValueError:
        raise SyncError(f"{where}: {end_field or 'report_day'} {day!r} is not a day") from None
    return links, parsed.isoformat()
