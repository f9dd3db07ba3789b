"""The cost section's premium request line: GitHub's synced bill for the months overlapping
the period, beside the seats and never added to them, for the whole organisation only and
only where its seats are released (real database, both backends; the report's HTML)."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re

from gaplens.costs.schemas import PremiumRequestSpend
from gaplens.costs.service import premium_spend
from gaplens.db.engine import session_scope
from gaplens.report.render import render_html
from gaplens.report.schemas import ReportDocument
from gaplens.sync.queries import PremiumUsageRow
from gaplens.sync.service import store_premium_usage
from tests.costs.test_cost_section import section, world
from tests.report.sample_document import sample_document

__all__ = ["world"]


def item(model: str, requests: float, billed: float) -> dict[str, object]:
    """A usage item as GitHub's premium request report lists it ($0.04 a request)."""
    return {
        "product": "Copilot",
        "sku": "Copilot Premium Request",
        "model": model,
        "unitType": "requests",
        "pricePerUnit": 0.04,
        "grossQuantity": requests,
        "grossAmount": requests * 0.04,
        "discountQuantity": requests - billed,
        "discountAmount": (requests - billed) * 0.04,
        "netQuantity": billed,
        "netAmount": billed * 0.04,
    }


def store(url: str, scope: str, month: dt.date, items: list[dict[str, object]]) -> None:
    body = {"timePeriod": {"year": month.year, "month": month.month}, "usageItems": items}
    with session_scope(url) as session:
        store_premium_usage(session, scope, month, f"https://api.example/{scope}", body)


def test_the_bill_of_the_months_in_the_period_is_shown_beside_the_seats(world: str) -> None:
    alone = section(world, None, dt.date(2026, 1, 15), dt.date(2026, 3, 31))
    assert alone.premium_requests is None and alone.premium_reason is None
    store(world, "organization:acme", dt.date(2025, 12, 1), [item("GPT-5", 9000, 9000)])
    store(world, "organization:acme", dt.date(2026, 1, 1), [item("GPT-5", 1000, 500)])
    store(
        world,
        "organization:acme",
        dt.date(2026, 3, 1),
        [item("GPT-5", 2000, 1000), item("Claude Sonnet 4", 3000, 2500)],
    )
    store(world, "organization:acme", dt.date(2026, 4, 1), [item("GPT-5", 7000, 7000)])
    cost = section(world, None, dt.date(2026, 1, 15), dt.date(2026, 3, 31))
    premium = cost.premium_requests
    assert premium is not None and cost.premium_reason is None
    # January (overlapping the period's start) to March; December and April are outside.
    assert premium.months == ["2026-01", "2026-03"]
    assert premium.accounts == ["organization:acme"]
    assert premium.currency == "USD"
    assert premium.requests == 6000 and premium.billed_requests == 4000
    assert premium.net_amount == 4000 * 0.04
    assert premium.gross_amount == 6000 * 0.04
    assert [(m.model, m.requests, round(m.net_amount, 2)) for m in premium.models] == [
        ("Claude Sonnet 4", 3000, 100.0),
        ("GPT-5", 3000, 60.0),
    ]
    # Beside the seats, never added to them.
    assert cost.spend is not None and cost.spend == alone.spend
    assert cost.spend_per_seat_month == alone.spend_per_seat_month
    assert cost.break_even_hours_per_week == alone.break_even_hours_per_week

    # A team's report: the bill is the organisation's, so not shown, and it says why.
    team = section(world, "eng-payments", dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert team.premium_requests is None
    assert team.premium_reason is not None and "not split by team" in team.premium_reason


def test_without_released_seats_the_bill_is_not_shown(world: str) -> None:
    store(world, "organization:acme", dt.date(2026, 6, 1), [item("GPT-5", 10, 10)])
    cost = section(world, None, dt.date(2026, 6, 1), dt.date(2026, 6, 30))
    assert cost.premium_requests is None
    assert cost.premium_reason is not None and "licensed people are released" in (
        cost.premium_reason
    )


def test_an_enterprise_bill_counts_once_with_its_organisations() -> None:
    march, april = dt.date(2026, 3, 1), dt.date(2026, 4, 1)
    rows = [
        PremiumUsageRow("organization:acme", march, "GPT-5", 100, 50, 4, 2, 2),
        PremiumUsageRow("enterprise:acme-group", march, "GPT-5", 300, 150, 12, 6, 6),
        PremiumUsageRow("organization:acme", april, "GPT-5", 10, 10, 0.4, 0, 0.4),
    ]
    found = premium_spend(rows)
    assert found is not None
    assert found.requests == 310 and found.net_amount == 6.4
    assert found.accounts == ["enterprise:acme-group", "organization:acme"]
    assert premium_spend([]) is None


def test_the_report_shows_the_bill_labelled_measured() -> None:
    doc: ReportDocument = sample_document()
    assert doc.cost is not None
    spend = PremiumRequestSpend(
        currency="USD",
        months=["2026-01", "2026-03"],
        accounts=["organization:acme"],
        requests=6000,
        billed_requests=4000,
        gross_amount=240,
        discount_amount=80,
        net_amount=160,
        models=[],
        note="Premium requests are measured: GitHub's billing report.",
    )
    page = render_html(
        doc.model_copy(update={"cost": doc.cost.model_copy(update={"premium_requests": spend})})
    )
    part = page.split('<section id="cost"')[1].split("</section>")[0]
    text = re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", part)))
    assert "Premium requests Measured" in text
    assert "USD 160 billed for 6,000 premium requests, 2026-01 to 2026-03" in text
    assert "not added to them" in text
    assert "Premium requests" not in render_html(doc).split('<section id="cost"')[1]
