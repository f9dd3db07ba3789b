"""Cost inputs (read, change) and the report's cost section: AI spend beside time.

Spend is seats (measured: the adoption release's licensed and per-tool counts of each month
end, the same for every viewer) times seat prices (assumptions until an administrator sets
them); beside it, apart, the premium request bill GitHub measured (synced billing totals).
Time is shown twice and never
added together: what was measured (friction audit correction minutes, workflow speed from
the metric registry) and what people say (survey hours saved, friction-log minutes saved).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from gaplens.costs.models import CostInput
from gaplens.costs.schemas import (
    DAYS_PER_MONTH,
    DEFAULT_CURRENCY,
    INPUTS,
    TOOL_LABELS,
    WEEKS_PER_MONTH,
    CostInputInfo,
    CostInputs,
    CostInputsIn,
    CostSection,
    PremiumModelLine,
    PremiumRequestSpend,
    ResolvedInput,
    SeatLine,
    SpendBounds,
    TimeFigure,
)
from gaplens.errors import InputError, InputProblem
from gaplens.figures import Basis, FigureStatus, Interval, QuestionFigures
from gaplens.metrics.schemas import MetricScope
from gaplens.privacy import PrivacyPolicy
from gaplens.realities.schemas import RealityRow
from gaplens.releases.adoption.queries import (
    AdoptionRelease,
    Cell,
    released_month_ends,
    scope_predicate,
)
from gaplens.releases.friction.queries import FrictionClass
from gaplens.sections import SectionContext, section
from gaplens.stats.intervals import cluster_mean
from gaplens.sync.queries import PremiumUsageRow, premium_usage
from gaplens.telemetry.schemas import SEAT_TOOLS

MAX_AMOUNT = 1_000_000.0
CURRENCY = re.compile(r"^[A-Z]{3}$")


def load_inputs(session: Session) -> CostInputs:
    """Every input: the stored value where an administrator set one, else its default."""
    stored = {row.key: row for row in session.scalars(select(CostInput))}
    currency = next(iter(stored.values())).currency if stored else DEFAULT_CURRENCY
    inputs: dict[str, ResolvedInput] = {}
    for key, definition in INPUTS.items():
        row = stored.get(key)
        if row is not None:
            inputs[key] = ResolvedInput(
                key,
                definition.label,
                definition.unit,
                row.amount,
                row.currency,
                row.updated_on,
                f"set by an administrator on {row.updated_on.isoformat()}",
                row.note,
            )
        else:
            inputs[key] = ResolvedInput(
                key,
                definition.label,
                definition.unit,
                definition.default,
                DEFAULT_CURRENCY,
                None,
                f"default: {definition.default_source}",
            )
    return CostInputs(currency=currency, inputs=inputs)


def validate_change(change: CostInputsIn, stored: Mapping[str, str]) -> list[InputProblem]:
    """Problems with a change, given the stored inputs' currencies (key -> currency).

    One currency for every input: the defaults are US dollar list prices, so a report in
    another currency needs every input set in it (in the same change, when switching)."""
    problems: list[InputProblem] = []
    currency = change.currency.strip().upper()
    if not CURRENCY.match(currency):
        problems.append(
            InputProblem(f"'{change.currency}' is not a currency code", column="currency")
        )
    for key, amount in change.amounts.items():
        if key not in INPUTS:
            problems.append(
                InputProblem(f"unknown cost input (known: {', '.join(INPUTS)})", column=key)
            )
        elif amount is not None and (
            not math.isfinite(amount) or amount < 0 or amount > MAX_AMOUNT
        ):
            problems.append(
                InputProblem(f"must be a number from 0 to {MAX_AMOUNT:,.0f}", column=key)
            )
    if problems:
        return problems
    after = {key: cur for key, cur in stored.items()}
    for key, amount in change.amounts.items():
        if amount is None:
            after.pop(key, None)
        else:
            after[key] = currency
    others = sorted(k for k, cur in after.items() if cur != currency)
    if others:
        problems.append(
            InputProblem(
                f"{', '.join(others)} stored in another currency: set or unset "
                f"{'it' if len(others) == 1 else 'them'} in {currency} in the same change",
                column="currency",
            )
        )
    if after and currency != DEFAULT_CURRENCY:
        missing = [key for key in INPUTS if key not in after]
        if missing:
            problems.append(
                InputProblem(
                    f"the defaults are {DEFAULT_CURRENCY} list prices: in {currency}, set "
                    f"every input (missing: {', '.join(missing)})",
                    column="currency",
                )
            )
    return problems


def set_inputs(session: Session, change: CostInputsIn, today: dt.date | None = None) -> CostInputs:
    """Apply a change all at once, or raise InputError and change nothing."""
    stored = {row.key: row.currency for row in session.scalars(select(CostInput))}
    problems = validate_change(change, stored)
    if problems:
        raise InputError(problems)
    currency = change.currency.strip().upper()
    day = today or dt.date.today()
    for key, amount in change.amounts.items():
        session.execute(delete(CostInput).where(CostInput.key == key))
        if amount is not None:
            session.add(
                CostInput(
                    key=key,
                    amount=float(amount),
                    currency=currency,
                    note=change.note,
                    updated_on=day,
                )
            )
    session.flush()
    return load_inputs(session)


def reset_inputs(session: Session) -> CostInputs:
    """Back to the defaults for every input."""
    session.execute(delete(CostInput))
    session.flush()
    return load_inputs(session)


# --- the report's cost section ---------------------------------------------------------------

SURVEY_GROUPS = (
    ("everyone", "everyone"),
    ("executive", "executives"),
    ("manager", "managers"),
    ("individual_contributor", "individual contributors"),
)
"""Survey groups whose reported hours saved the cost section shows, with their names."""
COST_NOTES = [
    "Seats and seat-months are measured, from the adoption release: each released month end "
    "in the period counts the scope's licensed people (directory) once, as one month of a "
    "seat; the day a licence started within a month does not count.",
    "Each seat's tool is from the usage exports: a person seen in no export counts as a seat "
    "of an unknown tool, and a person holding both Copilots pays both prices. Tool counts "
    "are published over groups of at least k people who do not all hold (or all lack) the "
    "tool; where one is not published for the scope, the total spend is not shown.",
    "Prices and the hourly cost are assumptions: the defaults are list prices or a "
    "placeholder until an administrator sets them (gaplens costs set).",
    "Self-reported time (survey hours saved, friction-log minutes saved) and measured time "
    "(friction-log minutes spent correcting, workflow speed from the metric registry) are "
    "shown apart and never added together.",
    "Workflow speed is elapsed time per work item, not hours worked, so it is not turned "
    "into money.",
    "A friction-log entry's minutes spent correcting are logged at the time, so they count "
    "as measured; its minutes saved are an estimate, so they count as self-reported.",
    "Friction-log minutes are the friction release's sums over its published groups lying "
    "wholly inside the period (each of at least k entries); the same groups every page and "
    "report reads.",
]
PREMIUM_CURRENCY = "USD"
PREMIUM_NOTE = (
    "Premium requests are measured: GitHub's billing report for each calendar month that "
    "overlaps the period (whole months, as GitHub bills them), for the whole organisation or "
    "enterprise, in US dollars. They are shown beside the seats and never added to the seat "
    "spend; where an enterprise and its organisations are both connected, the enterprise's "
    "bill is counted and its organisations' are not."
)
PREMIUM_NARROW = (
    "Premium request spend is billed to the whole organisation or enterprise and pulled "
    "without a user filter, so it is not split by team or function: see the organisation's "
    "report."
)
PREMIUM_NOT_RELEASED = (
    "Premium request spend is shown only where the organisation's licensed people are "
    "released, so that a bill is never one person's."
)
FRICTION_NOT_PUBLISHED = (
    "No published friction-log group in this period and scope has this figure: entries are "
    "published once their week is over in groups of at least k, and a group whose entries "
    "all gave the same figure publishes no sum."
)


def _months(first: dt.date, last: dt.date) -> float:
    return max(0, (last - first).days + 1) / DAYS_PER_MONTH


@dataclass(frozen=True)
class SeatFigures:
    """The seats of a scope over the released month ends of a period (all from releases)."""

    month_ends: list[dt.date]
    licensed: int | None
    """At the last month end."""
    seat_months: int
    lines: list[SeatLine]
    spend: float | None
    reason: str | None
    """Why the spend is not released (None when it is)."""
    bounds: tuple[float, float] | None = None
    """The lowest and highest spend the released counts allow, when `spend` is None."""


def spend_bounds(cells: Sequence[Cell], prices: Mapping[str, float]) -> tuple[float, float]:
    """The lowest and highest spend the released counts allow, summed over month ends.

    In each month a tool's released count is exact; a tool not released lies between 0 and
    the licensed count. Every licensed person holds at least one tool ("other" is holding
    neither named one), so at least `licensed - sum of released counts` people hold a tool
    not released, each paying at least the cheapest of them. Only released counts and the
    assumed prices enter, so the bounds reveal nothing the counts do not."""
    low = high = 0.0
    for cell in cells:
        known = {t: n for t in prices if (n := cell.flags.get(t)) is not None}
        exact = sum(n * prices[t] for t, n in known.items())
        unknown = [prices[t] for t in prices if t not in known]
        if not unknown:
            low, high = low + exact, high + exact
            continue
        uncovered = max(0, cell.licensed - sum(known.values()))
        low += exact + uncovered * min(unknown)
        high += exact + cell.licensed * sum(unknown)
    return low, high


def seat_figures(
    releases: Sequence[AdoptionRelease],
    team: int | None,
    function: str | None,
    inputs: CostInputs,
) -> SeatFigures | str:
    """Seats, seat-months and spend per tool from the cell of a team (and the teams below
    it) and/or a function in each released month end (oldest first), or why none can be
    shown. Every count is a sum of published classes (licensed) or of groups of whole
    classes (tool holders), so two scopes, periods or viewers differ by whole groups of at
    least k, never by one person. Spend is linear in the per-tool counts (a person holding
    both tools pays both prices), so it is known only when every tool's count is released
    for the cell in every month."""
    if not releases:
        return (
            "No month end of the adoption release falls in this period (a month is released "
            "once it is over and the usage data covers it)."
        )
    inside = scope_predicate(releases[-1].tree, team, function)
    cells = [(release.month_end, release.cell(inside)) for release in releases]
    missing = [end for end, cell in cells if cell is None]
    if missing:
        return (
            f"Not shown: in {_month_list(missing)} this scope's licensed people are counted "
            "only in a larger group, to protect individuals."
        )
    shown = [(end, cell) for end, cell in cells if cell is not None]
    last = shown[-1][1]
    lines: list[SeatLine] = []
    unknown: list[str] = []
    spend = 0.0
    for tool in SEAT_TOOLS:
        label = TOOL_LABELS[tool]
        price = inputs.seat_price(tool)
        old = [end for end, cell in shown if tool not in cell.flags]
        withheld = [end for end, cell in shown if tool in cell.flags and cell.flags[tool] is None]
        alike = [r.month_end for r in releases if tool in r.withheld and not r.groups.get(tool)]
        merged = [end for end in withheld if end not in alike]
        counts = [n for _, cell in shown if (n := cell.flags.get(tool)) is not None]
        months = sum(counts) if not old and not withheld else None
        lines.append(
            SeatLine(
                label=label,
                tools=[tool],
                seats=last.flags.get(tool),
                seat_months=months,
                price_per_month=price,
                spend=None if months is None else months * price,
            )
        )
        if months is not None:
            spend += months * price
        if alike := [end for end in withheld if end in alike]:
            unknown.append(
                f"{label} holders are not released for {_month_list(alike)}: every licensed "
                "person was alike on it (for instance, no one held it yet), which would tell "
                "each person's"
            )
        if merged:
            unknown.append(
                f"{label} holders are not released for this scope in {_month_list(merged)}: "
                "its people all hold it, or all lack it, so they are counted only with a "
                "larger group"
            )
        if old:
            unknown.append(
                f"the tool mix is not released for {_month_list(old)} (released before tool "
                "counts were)"
            )
    return SeatFigures(
        month_ends=[end for end, _ in shown],
        licensed=last.licensed,
        seat_months=sum(cell.licensed for _, cell in shown),
        lines=lines,
        spend=None if unknown else spend,
        bounds=(
            spend_bounds([cell for _, cell in shown], {t: inputs.seat_price(t) for t in SEAT_TOOLS})
            if unknown
            else None
        ),
        reason=(
            "Total spend not released: "
            + "; ".join(dict.fromkeys(unknown))
            + ". The range shown is the lowest and highest spend the released counts allow."
            if unknown
            else None
        ),
    )


def premium_spend(rows: Sequence[PremiumUsageRow]) -> PremiumRequestSpend | None:
    """The billed accounts' premium request totals over the months of `rows`, per model;
    in a month where an enterprise is billed, organisations' own lines are left out (the
    enterprise's bill includes them). None without rows."""
    enterprise_months = {r.month for r in rows if r.scope.startswith("enterprise:")}
    kept = [
        r for r in rows if r.scope.startswith("enterprise:") or r.month not in enterprise_months
    ]
    if not kept:
        return None
    models: dict[str, list[float]] = {}
    for r in kept:
        line = models.setdefault(r.model or "(no model named)", [0.0, 0.0])
        line[0] += r.gross_quantity
        line[1] += r.net_amount
    return PremiumRequestSpend(
        currency=PREMIUM_CURRENCY,
        months=sorted({f"{r.month:%Y-%m}" for r in kept}),
        accounts=sorted({r.scope for r in kept}),
        requests=sum(r.gross_quantity for r in kept),
        billed_requests=sum(r.net_quantity for r in kept),
        gross_amount=sum(r.gross_amount for r in kept),
        discount_amount=sum(r.discount_amount for r in kept),
        net_amount=sum(r.net_amount for r in kept),
        models=[
            PremiumModelLine(model=name, requests=total[0], net_amount=total[1])
            for name, total in sorted(models.items(), key=lambda kv: (-kv[1][1], kv[0]))
        ],
        note=PREMIUM_NOTE,
    )


def _month_list(days: Sequence[dt.date]) -> str:
    return ", ".join(f"{day:%B %Y}" for day in days)


def survey_time(perception: Mapping[str, QuestionFigures], hourly: float) -> list[TimeFigure]:
    """Hours saved per week as people report them (median, bootstrap interval), by group."""
    question = perception.get("perceived_time_saved")
    if question is None:
        return []
    result = []
    for key, words in SURVEY_GROUPS:
        group = question.groups.get(key)
        if group is None:
            continue
        label = f"Hours a week AI saves, reported by {words} (survey median)"
        if group.status is not FigureStatus.SHOWN or group.number is None:
            status = (
                group.status
                if group.status is not FigureStatus.SHOWN
                else (FigureStatus.NOT_ENOUGH_RESPONSES)
            )
            result.append(
                TimeFigure(
                    key=f"survey_hours_saved.{key}",
                    label=label,
                    basis=Basis.SELF_REPORTED,
                    unit="hours per person per week",
                    status=status,
                )
            )
            continue
        median = group.number.median
        scale = WEEKS_PER_MONTH * hourly
        result.append(
            TimeFigure(
                key=f"survey_hours_saved.{key}",
                label=label,
                basis=Basis.SELF_REPORTED,
                unit="hours per person per week",
                status=FigureStatus.SHOWN,
                n=group.n,
                value=Interval(estimate=median.estimate, low=median.low, high=median.high),
                money_per_person_month=Interval(
                    estimate=median.estimate * scale,
                    low=median.low * scale,
                    high=median.high * scale,
                ),
                note="Self-reported; valued at the hourly cost (an assumption).",
            )
        )
    return result


def friction_time(classes: Sequence[FrictionClass], hourly: float) -> list[TimeFigure]:
    """Minutes per logged AI output, spent correcting (measured) and saved (self-reported),
    from the friction release: sums over the published classes in the period that publish
    that sum (a class whose outputs all gave one figure publishes none), never an entry."""
    specs = (
        (
            "friction_minutes_correcting",
            "Minutes spent correcting each logged AI output (friction log)",
            Basis.MEASURED,
            [(c.minutes_lost, c.n) for c in classes if c.minutes_lost is not None],
            "Logged at the time; the total is valued at the hourly cost (an assumption).",
        ),
        (
            "friction_minutes_saved",
            "Minutes each logged AI output saved, as people estimate it (friction log)",
            Basis.SELF_REPORTED,
            [(c.minutes_saved, c.n) for c in classes if c.minutes_saved is not None],
            "An estimate; discarded outputs count as saving nothing.",
        ),
    )
    result = []
    for key, label, basis, groups, note in specs:
        if not groups:
            result.append(
                TimeFigure(
                    key=key,
                    label=label,
                    basis=basis,
                    unit="minutes per logged output",
                    status=FigureStatus.NOT_ENOUGH_RESPONSES,
                    note=FRICTION_NOT_PUBLISHED,
                )
            )
            continue
        total = sum(minutes for minutes, _ in groups)
        outputs = sum(size for _, size in groups)
        mean = cluster_mean([(float(minutes), size) for minutes, size in groups])
        value = (
            Interval(estimate=mean.value, low=mean.low, high=mean.high)
            if mean is not None
            else Interval(estimate=total / outputs, low=total / outputs, high=total / outputs)
        )
        spread = (
            " The interval is between the published groups."
            if mean is not None
            else " One published group: no interval."
        )
        hours = total / 60
        result.append(
            TimeFigure(
                key=key,
                label=label,
                basis=basis,
                unit="minutes per logged output",
                status=FigureStatus.SHOWN,
                n=outputs,
                value=value,
                total_hours=hours,
                total_value=hours * hourly,
                note=note + spread,
            )
        )
    return result


def workflow_time(row: RealityRow | None) -> list[TimeFigure]:
    """The measured speed-up of the scope's workflow metric (difference in differences)."""
    if row is None or not row.measure:
        return []
    label = f"Measured speed-up of {row.measure}, AI users against non-users"
    if row.measured is None:
        return [
            TimeFigure(
                key="workflow_speedup",
                label=label,
                basis=Basis.MEASURED,
                unit="% faster (elapsed time per item)",
                status=FigureStatus.NOT_ENOUGH_RESPONSES,
                note=row.reason or "",
            )
        ]
    return [
        TimeFigure(
            key="workflow_speedup",
            label=label,
            basis=Basis.MEASURED,
            unit="% faster (elapsed time per item)",
            status=FigureStatus.SHOWN,
            n=sum(row.measured_n.values()) or None,
            value=Interval(
                estimate=row.measured.estimate, low=row.measured.low, high=row.measured.high
            ),
            note="Elapsed time per work item, not hours worked: not turned into money.",
        )
    ]


@section("cost", title="Cost", order=30)
def report_section(
    session: Session,
    scope: MetricScope,
    start: dt.date,
    end: dt.date,
    policy: PrivacyPolicy,
    context: SectionContext | None = None,
) -> CostSection | None:
    """AI spend for the scope's cell of the adoption release's month ends in [start, end],
    beside time saved and lost; None before any usage or work data. From the report's
    context: `as_of`, the last day with measured data (the period in months runs to it);
    `perception`, the scope's survey figures (hours saved); `friction`, the friction
    release's classes in the period and scope (the friction minutes are their sums);
    `realities`, the scope's realities row (workflow speed). Nothing here reads a person."""
    del policy  # every input is already a released figure
    if context is None or context.as_of is None:
        return None
    perception: Mapping[str, QuestionFigures] = context.perception
    friction: Sequence[FrictionClass] = context.friction
    realities: RealityRow | None = context.realities
    inputs = load_inputs(session)
    hourly = inputs.hourly_cost
    time = [
        *survey_time(perception, hourly),
        *friction_time(friction, hourly),
        *workflow_time(realities),
    ]
    cost = CostSection(
        currency=inputs.currency,
        status=FigureStatus.NOT_ENOUGH_RESPONSES,
        period_months=_months(start, context.as_of),
        inputs=[
            CostInputInfo(
                key=i.key,
                label=i.label,
                unit=i.unit,
                amount=i.amount,
                is_default=i.is_default,
                source=i.source,
            )
            for i in inputs.inputs.values()
        ],
        time=time,
        notes=COST_NOTES,
    )
    releases = released_month_ends(session, scope.organisation_id, start, end)
    found = seat_figures(releases, scope.team_id, scope.function, inputs)
    premium = premium_spend(premium_usage(session, start, context.as_of))
    if premium is not None:
        if scope.team_id is not None or scope.function is not None:
            cost = cost.model_copy(update={"premium_reason": PREMIUM_NARROW})
        elif isinstance(found, str):
            cost = cost.model_copy(update={"premium_reason": PREMIUM_NOT_RELEASED})
        else:
            cost = cost.model_copy(update={"premium_requests": premium})
    if isinstance(found, str):
        return cost.model_copy(update={"reason": found})
    per_month = (
        found.spend / found.seat_months if found.spend is not None and found.seat_months else None
    )
    return cost.model_copy(
        update={
            "status": FigureStatus.SHOWN,
            "licensed": found.licensed,
            "month_ends": found.month_ends,
            "seat_months": float(found.seat_months),
            "seats": found.lines,
            "spend": found.spend,
            "spend_bounds": (
                SpendBounds(low=found.bounds[0], high=found.bounds[1]) if found.bounds else None
            ),
            "spend_per_seat_month": per_month,
            "break_even_hours_per_week": (
                per_month / (hourly * WEEKS_PER_MONTH) if per_month and hourly > 0 else None
            ),
            "reason": found.reason,
        }
    )
