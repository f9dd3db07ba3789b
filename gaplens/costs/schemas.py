"""The cost inputs: what each one means, its default (a labelled assumption) and its source.

Defaults are published list prices or a placeholder, never a figure about this organisation:
the report prints every input with the words "assumption" and where it came from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from gaplens.figures import Basis, FigureStatus, Interval, Model
from gaplens.telemetry.schemas import GITHUB_COPILOT, M365_COPILOT, OTHER_TOOL

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


class CostInputInfo(Model):
    key: str
    label: str
    unit: str
    amount: float
    basis: Basis = Basis.ASSUMPTION
    is_default: bool
    source: str


class SeatLine(Model):
    """Holders of one tool (a person holding both exported tools is on both lines): seats
    and seat-months measured, from the adoption release's tool counts; the price an
    assumption."""

    label: str
    tools: list[str]
    """The one tool of the line."""
    seats: int | None
    """Holders at the last released month end; None: not released for this scope then."""
    seat_months: float | None
    """Holders summed over the released month ends in the period (each counts one month);
    None when any of them does not release this tool's count for the scope."""
    price_per_month: float | None
    spend: float | None
    """seat_months x price; None when seat_months is."""


class TimeFigure(Model):
    key: str
    label: str
    basis: Basis
    unit: str
    status: FigureStatus
    n: int | None = None
    value: Interval | None = None
    money_per_person_month: Interval | None = None
    """Value at the loaded hourly cost (an assumption), per licensed person per month."""
    total_hours: float | None = None
    """Hours summed over every logged output (friction log only)."""
    total_value: float | None = None
    """Those hours at the loaded hourly cost (an assumption)."""
    note: str = ""


class SpendBounds(Model):
    low: float
    high: float


class PremiumModelLine(Model):
    model: str
    requests: float
    """Premium requests used (gross quantity)."""
    net_amount: float


class PremiumRequestSpend(Model):
    """GitHub's measured premium request bill for the months overlapping the period, a line
    apart from the seat prices (never added to them). Totals of the billed accounts, pulled
    without a user filter: no per-person amount exists here."""

    currency: str
    """As GitHub bills (USD), whatever the cost inputs' currency."""
    months: list[str]
    """The calendar months (YYYY-MM) summed: GitHub bills whole months."""
    accounts: list[str]
    """The organisations or enterprises billed (`organization:<login>`, `enterprise:<slug>`)."""
    requests: float
    """Premium requests used (gross quantity)."""
    billed_requests: float
    """Requests beyond the plans' included allowance (net quantity)."""
    gross_amount: float
    discount_amount: float
    net_amount: float
    """What was billed: the measured spend."""
    models: list[PremiumModelLine] = Field(default_factory=list)
    note: str = ""


class CostSection(Model):
    """AI spend beside time, every figure labelled measured, self-reported or assumption."""

    currency: str
    status: FigureStatus
    period_months: float
    inputs: list[CostInputInfo]
    licensed: int | None = None
    """Licensed people at the last released month end in the period."""
    month_ends: list[dt.date] = Field(default_factory=list)
    """The released month ends in the period: each counts one month of seats."""
    seat_months: float | None = None
    """Licensed people summed over `month_ends`."""
    seats: list[SeatLine] = Field(default_factory=list)
    spend: float | None = None
    """None when a tool's count is not released for the scope in some month (`reason`)."""
    spend_bounds: SpendBounds | None = None
    """When `spend` is not released: the lowest and highest spend the released counts
    allow (each licensed person holds at least one tool; a count not released lies between
    0 and the licensed), at the assumed prices."""
    spend_per_seat_month: float | None = None
    break_even_hours_per_week: float | None = None
    """Hours a seat must save per person per week to pay for itself at the hourly cost."""
    reason: str | None = None
    """Why seats are not shown, or why the spend is not released, in plain words."""
    premium_requests: PremiumRequestSpend | None = None
    """Measured premium request spend (GitHub billing), beside the seats; None when none is
    stored for the period, or the scope is narrower than the organisation, or its seats are
    not released."""
    premium_reason: str | None = None
    """Why stored premium request spend is not shown for this scope, in plain words."""
    time: list[TimeFigure] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
