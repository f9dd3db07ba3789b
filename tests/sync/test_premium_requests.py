"""Premium request usage pulled with a Copilot connection from the local GitHub's billing
endpoint: months stored per model with their raw rows, only open months asked again, and
the faults (429, 500, persistent 5xx, bad items, no billing report), on both databases."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from pytest_httpserver import HTTPServer

from gaplens.connectors.copilot_premium import parse_premium_usage
from gaplens.errors import ProblemCollector
from gaplens.sync.github import add_months, last_settled_month
from tests.sync.fake_github import ENTERPRISE, ORG, TODAY, FakeGitHub, premium_items
from tests.sync.test_sync import connect, cursors, one, secret_key, sync
from tests.telemetry.helpers import rows

__all__ = ["secret_key"]  # the autouse fixture setting GAPLENS_SECRET_KEY

BILLING = f"/organizations/{ORG}/settings/billing/premium_request/usage"
USAGE = (
    "select scope, month, model, gross_quantity, net_quantity, gross_amount, discount_amount, "
    "net_amount, price_per_unit, unit_type from copilot_premium_usage order by month, model"
)


@pytest.fixture
def github(httpserver: HTTPServer) -> FakeGitHub:
    return FakeGitHub(httpserver)


def asked(github: FakeGitHub) -> list[str]:
    return sorted(p.removeprefix(f"{BILLING}?") for p in github.calls if p.startswith(BILLING))


def month_query(month: dt.date) -> str:
    return f"year={month.year}&month={month.month}"


def test_months_and_settling() -> None:
    assert add_months(dt.date(2026, 11, 1), -11) == dt.date(2025, 12, 1)
    assert add_months(dt.date(2026, 12, 1), 1) == dt.date(2027, 1, 1)
    assert last_settled_month(dt.date(2026, 11, 10)) == dt.date(2026, 10, 1)
    # The first days of a month: the month before is not settled yet.
    assert last_settled_month(dt.date(2026, 11, 3)) == dt.date(2026, 9, 1)
    assert last_settled_month(dt.date(2026, 11, 4)) == dt.date(2026, 10, 1)


def test_items_are_checked_field_by_field() -> None:
    month = dt.date(2026, 11, 1)
    good = premium_items(month)
    problems = ProblemCollector("report")
    body = json.loads(json.dumps({"timePeriod": {"year": 2026, "month": 11}, "usageItems": good}))
    assert [r.model for r in parse_premium_usage(body, month, problems)] == [
        "Claude Sonnet 4",
        "GPT-5",
    ]
    assert not problems
    bad = [
        {**good[0], "grossQuantity": True},
        {**good[0], "model": "GPT-5", "netAmount": float("nan")},
        {**good[0], "model": "o3", "grossAmount": 10**400},
        {**good[0], "model": "o4", "product": ""},
        good[1],
        {**good[1], "model": "gpt-5"},
    ]
    problems = ProblemCollector("report")
    records = parse_premium_usage(
        {"timePeriod": {"year": 2026}, "usageItems": bad}, month, problems
    )
    assert [r.row for r in records] == [5]
    found = {(p.row, p.column): p.message for p in problems.problems}
    assert found[1, "usageItems.grossQuantity"] == "True is not a number"
    assert found[2, "usageItems.netAmount"] == "nan is not a number"
    assert (3, "usageItems.grossAmount") in found
    assert (4, "usageItems.product") in found
    assert found[6, "usageItems.model"] == "the same product, sku and model as row 5"
    assert problems.count == 5


def test_first_sync_takes_twelve_months_then_only_open_ones(db_url: str, github: FakeGitHub):
    connect(db_url, github)
    assert sync(db_url).ok
    months = [add_months(dt.date(2025, 12, 1), n) for n in range(12)]
    assert asked(github) == sorted(month_query(m) for m in months)
    stored = rows(db_url, USAGE)
    assert len(stored) == 2 * 12
    november = [r for r in stored if str(r[1]) == "2026-11-01"]
    expected = {
        (i["model"], i["grossQuantity"], i["netQuantity"], i["grossAmount"], i["netAmount"])
        for i in premium_items(dt.date(2026, 11, 1))
    }
    assert {(r[2], r[3], r[4], r[5], r[7]) for r in november} == expected
    assert {r[0] for r in stored} == {f"organization:{ORG}"}
    assert {(r[8], r[9]) for r in stored} == {(0.04, "requests")}
    assert cursors(db_url)["premium_requests"] == "2026-10"
    # Raw rows kept with their source: the report's URL and month, no secret.
    sources = rows(
        db_url,
        "select source_name, rows_read from import_run where kind = 'copilot-premium-requests' "
        "order by id",
    )
    assert len(sources) == 12
    assert sources[-1] == (f"{github.base_url}{BILLING}?year=2026&month=11", 2)
    chunks = "select count(*) from raw_chunk where import_run_id in (select id from import_run "
    chunks += "where kind = 'copilot-premium-requests')"
    assert one(db_url, chunks) == 12

    # The next day: only November (open) is asked again; its bill replaces the stored one.
    github.calls.clear()
    before = rows(db_url, USAGE)
    assert sync(db_url, today=TODAY + dt.timedelta(days=1)).ok
    assert asked(github) == ["year=2026&month=11"]
    assert rows(db_url, USAGE) == before  # the same bill: the same rows, not doubled
    # In December (settled on the 4th), November and December are asked, then December only.
    github.calls.clear()
    assert sync(db_url, today=dt.date(2026, 12, 4)).ok
    assert asked(github) == ["year=2026&month=11", "year=2026&month=12"]
    assert cursors(db_url)["premium_requests"] == "2026-11"
    github.calls.clear()
    assert sync(db_url, today=dt.date(2026, 12, 5)).ok
    assert asked(github) == ["year=2026&month=12"]


def test_429_and_a_500_are_retried(db_url: str, github: FakeGitHub):
    connect(db_url, github)
    github.fail("429", r"premium_request/usage\?year=2026&month=3$")
    github.fail("500", r"premium_request/usage\?year=2026&month=4$", times=2)
    waits: list[float] = []
    outcome = sync(db_url, waits)
    assert outcome.ok, outcome.error
    assert waits == [1.0, 0.01, 0.02]
    assert github.calls[f"{BILLING}?year=2026&month=3"] == 2
    assert github.calls[f"{BILLING}?year=2026&month=4"] == 3
    assert one(db_url, "select count(*) from copilot_premium_usage") == 24


def test_persistent_server_errors_keep_what_was_stored_and_the_last_success(
    db_url: str, github: FakeGitHub
):
    connect(db_url, github)
    assert sync(db_url).ok
    success = one(db_url, "select last_success from connection")
    github.fail("500", r"premium_request/usage", times=5)
    outcome = sync(db_url, today=TODAY + dt.timedelta(days=1))
    assert not outcome.ok and outcome.error is not None
    assert f"{BILLING}: server error 500; gave up after 5 tries" in outcome.error
    assert one(db_url, "select last_error from connection") == outcome.error
    assert one(db_url, "select last_success from connection") == success
    assert one(db_url, "select count(*) from copilot_premium_usage") == 24


def test_a_bad_item_names_the_report_row_and_field_and_stores_nothing_of_its_month(
    db_url: str, github: FakeGitHub, httpserver: HTTPServer
):
    connect(db_url, github)
    assert sync(db_url).ok
    bad = premium_items(dt.date(2026, 11, 1))
    bad[1] = {**bad[1], "netAmount": "lots"}
    bad[0] = {**bad[0], "grossQuantity": -1}
    original = github.premium_report

    def broken(request):  # type: ignore[no-untyped-def]
        response = original(request)
        body = json.loads(response.get_data())
        if body["timePeriod"]["month"] == 11:
            response.set_data(json.dumps({**body, "usageItems": bad}))
        return response

    github.premium_report = broken  # type: ignore[method-assign]
    before = rows(db_url, USAGE)
    premium_runs = "select count(*) from import_run where kind = 'copilot-premium-requests'"
    runs = one(db_url, premium_runs)
    outcome = sync(db_url, today=TODAY + dt.timedelta(days=1))
    assert not outcome.ok and outcome.error is not None
    where = f"{github.base_url}{BILLING}?year=2026&month=11"
    assert f"{where}, row 1, column 'usageItems.grossQuantity'" in outcome.error
    assert f"{where}, row 2, column 'usageItems.netAmount': 'lots' is not a number" in (
        outcome.error
    )
    assert rows(db_url, USAGE) == before
    assert one(db_url, premium_runs) == runs
    assert cursors(db_url)["premium_requests"] == "2026-10"


def test_a_month_that_is_not_the_one_asked_for_is_refused(db_url: str, github: FakeGitHub):
    connect(db_url, github)
    original = github.premium_report

    def shifted(request):  # type: ignore[no-untyped-def]
        response = original(request)
        body = json.loads(response.get_data())
        response.set_data(json.dumps({**body, "timePeriod": {"year": 2026, "month": 1}}))
        return response

    github.premium_report = shifted  # type: ignore[method-assign]
    outcome = sync(db_url)
    assert not outcome.ok and outcome.error is not None
    assert "column 'timePeriod.month': 1 is not the month asked for (12)" in outcome.error
    assert one(db_url, "select count(*) from copilot_premium_usage") == 0


def test_an_account_without_the_billing_report_syncs_the_rest(db_url: str, github: FakeGitHub):
    github.billing = False
    connect(db_url, github)
    outcome = sync(db_url)
    assert outcome.ok, outcome.error
    assert asked(github) == [month_query(dt.date(2025, 12, 1))]  # 404: not asked further
    assert "premium_requests" not in cursors(db_url)
    assert one(db_url, "select count(*) from copilot_premium_usage") == 0
    assert one(db_url, "select count(*) from copilot_seat") == 7


def test_an_enterprise_bill_is_stored_under_the_enterprise(db_url: str, httpserver: HTTPServer):
    github = FakeGitHub(httpserver, enterprise=True)
    from tests.sync.test_copilot_enterprise import connect_enterprise

    connect_enterprise(db_url, github)
    assert sync(db_url).ok
    path = f"/enterprises/{ENTERPRISE}/settings/billing/premium_request/usage?year=2026&month=11"
    assert github.calls[path] == 1
    assert rows(db_url, "select distinct scope from copilot_premium_usage") == [
        (f"enterprise:{ENTERPRISE}",)
    ]
