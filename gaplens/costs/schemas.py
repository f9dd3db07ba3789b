"""The cost inputs: what each one means, its default (a labelled assumption) and its source.

Defaults are published list prices or a placeholder, never a figure about this organisation:
the report prints every input with the words "assumption" and where it came from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from gaplens.telemetry.models import GITHUB_COPILOT, M365_COPILOT, OTHER_TOOL

HOURLY_COST = "hourly_cost"
SEAT_PRICE = "seat_price."
DEFAULT_CURRENCY = "USD"
WEEKS_PER_MONTH = 52 / 12
DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class InputDefinition:
    key: str
    label: str
    unit: str
    default: float
    default_source: str


INPUTS: dict[str, InputDefinition] = {
    d.key: d
    for d in (
        InputDefinition(
            HOURLY_COST,
            "Loaded cost of one hour of a person's time",
            "per hour",
            75.0,
            "placeholder (no published figure fits every organisation): set your own",
        ),
        InputDefinition(
            SEAT_PRICE + GITHUB_COPILOT,
            "GitHub Copilot seat",
            "per seat per month",
            19.0,
            "GitHub Copilot Business list price per user per month (2025)",
        ),
        InputDefinition(
            SEAT_PRICE + M365_COPILOT,
            "Microsoft 365 Copilot seat",
            "per seat per month",
            30.0,
            "Microsoft 365 Copilot list price per user per month, annual commitment (2025)",
        ),
        InputDefinition(
            SEAT_PRICE + OTHER_TOOL,
            "Seat of a tool not seen in any imported export",
            "per seat per month",
            20.0,
            "placeholder for licensed people no usage export mentions: set your own",
        ),
    )
}
TOOL_LABELS = {
    GITHUB_COPILOT: "GitHub Copilot",
    M365_COPILOT: "Microsoft 365 Copilot",
    OTHER_TOOL: "Tool not in any export",
}


@dataclass(frozen=True)
class ResolvedInput:
    """One input as the report uses it: the stored value, or the default."""

    key: str
    label: str
    unit: str
    amount: float
    currency: str
    set_on: dt.date | None
    """None: the default is in use."""
    source: str
    note: str | None = None

    @property
    def is_default(self) -> bool:
        return self.set_on is None


@dataclass(frozen=True)
class CostInputs:
    currency: str
    inputs: dict[str, ResolvedInput]

    @property
    def hourly_cost(self) -> float:
        return self.inputs[HOURLY_COST].amount

    def seat_price(self, tool: str) -> float:
        found = self.inputs.get(SEAT_PRICE + tool) or self.inputs[SEAT_PRICE + OTHER_TOOL]
        return found.amount


class CostInputsIn(BaseModel):
    """A change to the cost inputs, applied all at once (so a currency change can set every
    input together). An amount of null goes back to the default."""

    model_config = ConfigDict(extra="forbid")

    currency: str = Field(default=DEFAULT_CURRENCY, min_length=3, max_length=3)
    amounts: dict[str, float | None] = Field(min_length=1)
    note: str | None = Field(default=None, max_length=500)


class CostInputOut(BaseModel):
    key: str
    label: str
    unit: str
    amount: float
    currency: str
    basis: str = "assumption"
    is_default: bool
    set_on: dt.date | None
    source: str
    note: str | None = None

    @classmethod
    def of(cls, found: ResolvedInput) -> CostInputOut:
        return cls(
            key=found.key,
            label=found.label,
            unit=found.unit,
            amount=found.amount,
            currency=found.currency,
            is_default=found.is_default,
            set_on=found.set_on,
            source=found.source,
            note=found.note,
        )
