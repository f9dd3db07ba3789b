"""GitHub Copilot over the REST API: usage-metrics reports, seat assignments and premium
request usage, for an organisation or a whole enterprise.

Paths (GitHub REST reference, "Copilot usage metrics", "Copilot user management" and "Billing
usage"), shown for an organisation; an enterprise's are `/enterprises/{enterprise}/copilot/...`
with `enterprise-1-day` and `enterprise-28-day/latest` for the aggregate report:

- `GET /orgs/{org}/copilot/metrics/reports/users-1-day?day=YYYY-MM-DD` and
  `.../organization-1-day?day=...` answer `{"download_links": [...], "report_day": ...}`;
- `GET .../users-28-day/latest` and `.../organization-28-day/latest` answer
  `{"download_links": [...], "report_start_day": ..., "report_end_day": ...}`;
- the links are pre-signed URLs to NDJSON files (what `gaplens import copilot-usage` reads),
  valid for a short time: one that answers 403/404 is asked for again, once;
- `GET /orgs/{org}/copilot/billing/seats?per_page=100` answers `{"total_seats", "seats"}`,
  paginated by the Link header;
- `GET /organizations/{org}/settings/billing/premium_request/usage?year=Y&month=M` (and
  `/enterprises/{enterprise}/settings/...`) answers `{"timePeriod", "usageItems": [...]}`,
  one month without pagination. No `user` filter is sent: the totals per model are enough
  for the cost section, and no per-person amount is ever pulled.

Streams and cursors: `users` and `organization` hold the last report day stored. A first
sync takes the 28-day report (its end day becomes the cursor), then each later day's 1-day
report up to yesterday; a day whose report is not out yet (404) ends the stream for this run.
`seats` is pulled whole each run (its cursor is the day pulled). `premium_requests` holds the
last month settled (over for `SETTLE_DAYS`): a first sync takes the last `PREMIUM_MONTHS`
months, later ones each month after the cursor up to the current one (asked again each run
until it settles). An account without the billing report (404) has no such stream.
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
from gaplens.sync.vendor import COPILOT_PREMIUM, COPILOT_SEATS, COPILOT_USAGE, Download, Unit

DEFAULT_BASE_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
SEATS_PER_PAGE = 100
REPORTS = (("organization", "organization"), ("users", "users"))
"""(stream, report name prefix): `{prefix}-1-day` and `{prefix}-28-day/latest`."""
ENTERPRISE_REPORTS = (("enterprise", "enterprise"), ("users", "users"))
PREMIUM_STREAM = "premium_requests"
PREMIUM_MONTHS = 12
"""Months of premium request usage a first sync takes (GitHub keeps 24)."""
SETTLE_DAYS = 3
"""Days after a month's end before its bill is taken as final and not asked for again."""


def add_months(month: dt.date, n: int) -> dt.date:
    """The first day of the month `n` months after `month`'s (n may be negative)."""
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def last_settled_month(today: dt.date) -> dt.date:
    """The newest month whose bill is final by `today` (first day of that month)."""
    return add_months((today - dt.timedelta(days=SETTLE_DAYS)).replace(day=1), -1)


class CopilotClient:
    """A `VendorClient` for one organisation, or (`enterprise=True`) one enterprise."""

    def __init__(
        self,
        base_url: str,
        org: str,
        token: str,
        retrying: Retrying | None = None,
        *,
        enterprise: bool = False,
    ) -> None:
        self.org = org
        self.enterprise = enterprise
        self.api = ApiClient(
            base_url,
            {
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
            },
            retrying,
        )
        slug = quote(org, safe="")
        if enterprise:
            self._prefix = f"/enterprises/{slug}/copilot"
            self._billing = f"/enterprises/{slug}/settings/billing/premium_request/usage"
            self.scope = f"enterprise:{org}"
            self._reports_of = ENTERPRISE_REPORTS
        else:
            self._prefix = f"/orgs/{slug}/copilot"
            self._billing = f"/organizations/{slug}/settings/billing/premium_request/usage"
            self.scope = f"organization:{org}"
            self._reports_of = REPORTS

    def close(self) -> None:
        self.api.close()

    def pull(self, state: Mapping[str, str], workdir: Path, today: dt.date) -> Iterator[Unit]:
        yield self._seats(today)
        for stream, report in self._reports_of:
            yield from self._reports(stream, report, state.get(stream), workdir, today)
        yield from self._premium(state.get(PREMIUM_STREAM), today)

    def _premium(self, cursor: str | None, today: dt.date) -> Iterator[Unit]:
        """One unit per month from the one after the cursor to the current month; the
        cursor moves only over settled months, so an open month is asked for again."""
        current = today.replace(day=1)
        settled = last_settled_month(today)
        if cursor is None:
            month = add_months(current, 1 - PREMIUM_MONTHS)
        else:
            month = add_months(dt.date.fromisoformat(f"{cursor}-01"), 1)
        url = self.api.url(self._billing)
        while month <= current:
            params = {"year": str(month.year), "month": str(month.month)}
            try:
                body, _ = self.api.get_json(url, params)
            except NotFoundError:
                return  # no billing report for this account (or month): nothing to store
            items = body.get("usageItems") if isinstance(body, dict) else None
            count = len(items) if isinstance(items, list) else 0
            yield Unit(
                PREMIUM_STREAM,
                f"{min(month, settled):%Y-%m}",
                COPILOT_PREMIUM,
                f"{shown_url(url)}?year={month.year}&month={month.month}",
                records=[body],
                note=f"premium requests for {month:%Y-%m}: {count} item(s)",
                scope=self.scope,
                period=f"{month:%Y-%m}",
            )
            month = add_months(month, 1)

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
            scope=self.scope if self.enterprise else self.org,
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
                what = "enterprise's slug" if self.enterprise else "organisation's login"
                raise SyncError(
                    f"{shown_url(self.api.url(path))} answered 404: is the Copilot usage "
                    f"metrics policy enabled, and is '{self.org}' the {what}?"
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
