"""Reads GitHub's premium request usage report: one month of `GET /organizations/{org}/settings/
billing/premium_request/usage?year=Y&month=M` (or the `/enterprises/{enterprise}/...` form).

The body (GitHub REST reference, "Billing usage", "Get billing premium request usage report"):
`timePeriod` (`year`, and the `month` asked for), `organization` or `enterprise`, and
`usageItems`, each with `product`, `sku`, `model`, `unitType`, `pricePerUnit`,
`grossQuantity`, `grossAmount`, `discountQuantity`, `discountAmount`, `netQuantity` and
`netAmount`. Amounts are US dollars as GitHub bills them. Asked without a `user` filter, the
report is the account's total per model: no person is in it. Every problem names the item
(row = its position in `usageItems`) and the field.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from gaplens.errors import ProblemCollector

NUMBERS = (
    ("pricePerUnit", "price_per_unit"),
    ("grossQuantity", "gross_quantity"),
    ("grossAmount", "gross_amount"),
    ("discountQuantity", "discount_quantity"),
    ("discountAmount", "discount_amount"),
    ("netQuantity", "net_quantity"),
    ("netAmount", "net_amount"),
)
"""(payload field, record attribute) of every amount an item must carry."""
NON_NEGATIVE = {"pricePerUnit", "grossQuantity", "grossAmount"}
MAX_NUMBER = 1e12
TEXTS = (("product", 100, True), ("sku", 200, True), ("model", 200, False), ("unitType", 50, True))


@dataclass(frozen=True, slots=True)
class PremiumUsageRecord:
    row: int
    product: str
    sku: str
    model: str
    """Empty when the item names no model."""
    unit_type: str
    price_per_unit: float
    gross_quantity: float
    gross_amount: float
    discount_quantity: float
    discount_amount: float
    net_quantity: float
    net_amount: float


def parse_premium_usage(
    body: Any, month: dt.date, problems: ProblemCollector
) -> list[PremiumUsageRecord]:
    """The items of one month's report (`month` is the first day of the month asked for);
    problems are recorded, and an item with any is left out."""
    if not isinstance(body, dict):
        problems.add("expected the report object (timePeriod, usageItems)")
        return []
    period = body.get("timePeriod")
    if not isinstance(period, dict):
        problems.add("expected an object with year and month", column="timePeriod")
    else:
        for key, expected in (("year", month.year), ("month", month.month)):
            value = period.get(key)
            if value is None and key == "month":
                continue  # the month asked for
            if type(value) is not int or value != expected:
                problems.add(
                    f"{value!r} is not the {key} asked for ({expected})", column=f"timePeriod.{key}"
                )
    items = body.get("usageItems")
    if items is None:
        return []  # nothing used that month
    if not isinstance(items, list):
        problems.add("expected a list of usage items", column="usageItems")
        return []
    records: list[PremiumUsageRecord] = []
    seen: dict[tuple[str, str, str], int] = {}
    for row, item in enumerate(items, start=1):
        record = _item(item, row, problems)
        if record is None:
            continue
        identity = (record.product.lower(), record.sku.lower(), record.model.lower())
        if identity in seen:
            problems.add(
                f"the same product, sku and model as row {seen[identity]}", row, "usageItems.model"
            )
            continue
        seen[identity] = row
        records.append(record)
    return records


def _item(item: Any, row: int, problems: ProblemCollector) -> PremiumUsageRecord | None:
    if not isinstance(item, dict):
        problems.add("expected a usage item object", row, "usageItems")
        return None
    before = problems.count
    texts: dict[str, str] = {}
    for key, limit, required in TEXTS:
        text = item.get(key)
        if text is None and not required:
            texts[key] = ""
        elif not isinstance(text, str) or (required and not text.strip()):
            problems.add(f"text of 1-{limit} characters is required", row, f"usageItems.{key}")
        else:
            texts[key] = text.strip()[:limit]
    numbers: dict[str, float] = {}
    for key, attribute in NUMBERS:
        value = item.get(key)
        field = f"usageItems.{key}"
        number = _finite(value)
        if number is None:
            problems.add(f"{value!r} is not a number", row, field)
        elif abs(number) > MAX_NUMBER or (key in NON_NEGATIVE and number < 0):
            low = "0" if key in NON_NEGATIVE else f"-{MAX_NUMBER:g}"
            problems.add(f"{value!r} is not from {low} to {MAX_NUMBER:g}", row, field)
        else:
            numbers[attribute] = number
    if problems.count != before:
        return None
    return PremiumUsageRecord(
        row=row,
        product=texts["product"],
        sku=texts["sku"],
        model=texts["model"],
        unit_type=texts["unitType"],
        **numbers,
    )


def _finite(value: Any) -> float | None:
    """A JSON number that is finite (true/false are not numbers), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return float(value) if math.isfinite(value) else None
    except OverflowError:  # an integer too large for a float
        return None
