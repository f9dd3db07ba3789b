"""Cost inputs (read, change) and the report's cost section: AI spend beside time.

Spend is seats (measured: licences in the directory, tools from the usage exports) times
seat prices (assumptions until an administrator sets them). Time is shown twice and never
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
    OTHER_TOOL,
    TOOL_LABELS,
    WEEKS_PER_MONTH,
    CostInputs,
    CostInputsIn,
    ResolvedInput,
)
from gaplens.directory.identities import IdentityResolver
from gaplens.directory.models import IdentityKind, Person
from gaplens.errors import InputError, InputProblem
from gaplens.metrics.schemas import MetricScope
from gaplens.privacy import PrivacyGate, PrivacyPolicy, QueryRefused, suppress_breakdown
from gaplens.realities.schemas import RealityRow
from gaplens.releases.friction.queries import FrictionClass
from gaplens.report.schemas import (
    Basis,
    CostInputInfo,
    CostSection,
    FigureStatus,
    Interval,
    QuestionFigures,
    SeatLine,
    TimeFigure,
)
from gaplens.stats.intervals import cluster_mean
from gaplens.telemetry.models import GITHUB_COPILOT, M365_COPILOT, AiUsageDay, M365UsageSnapshot

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

PERSON_MEMBER = "person:"
SURVEY_GROUPS = (
    ("everyone", "everyone"),
    ("executive", "executives"),
    ("manager", "managers"),
    ("individual_contributor", "individual contributors"),
)
"""Survey groups whose reported hours saved the cost section shows, with their names."""
COST_NOTES = [
    "Seats and seat-months are measured: licences in the directory, each seat's tool from the "
    "usage exports (a person seen in no export counts as a seat of an unknown tool).",
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
FRICTION_NOT_PUBLISHED = (
    "No published friction-log group in this period and scope has this figure: entries are "
    "published once their week is over in groups of at least k, and a group whose entries "
    "all gave the same figure publishes no sum."
)


@dataclass(frozen=True)
class SeatHolder:
    person_id: str
    licensed_on: dt.date
    tools: frozenset[str]


def seat_holders(
    session: Session, people: frozenset[str] | None, start: dt.date, end: dt.date
) -> list[SeatHolder]:
    """Licensed people in scope by `end`, with the tools the exports show them holding."""
    licensed = {
        pid: day
        for pid, day in session.execute(
            select(Person.id, Person.ai_licence_date).where(
                Person.ai_licence_date.is_not(None), Person.ai_licence_date <= end
            )
        )
        if day is not None and (people is None or pid in people)
    }
    if not licensed:
        return []
    tools: dict[str, set[str]] = {pid: set() for pid in licensed}
    for pid, tool in session.execute(
        select(AiUsageDay.person_id, AiUsageDay.tool).where(AiUsageDay.day <= end).distinct()
    ):
        if pid in tools and tool in (GITHUB_COPILOT, M365_COPILOT):
            tools[pid].add(tool)
    # Microsoft's usage report lists every licensed user, active or not.
    resolver = IdentityResolver.load(session, [IdentityKind.EMAIL])
    for upn in session.scalars(
        select(M365UsageSnapshot.upn).where(M365UsageSnapshot.refresh_date <= end).distinct()
    ):
        holder = resolver.by_value.get(upn.lower())
        if holder is not None and holder in tools:
            tools[holder].add(M365_COPILOT)
    return [
        SeatHolder(pid, day, frozenset(tools[pid] or {OTHER_TOOL}))
        for pid, day in sorted(licensed.items())
    ]


def _months(first: dt.date, last: dt.date) -> float:
    return max(0, (last - first).days + 1) / DAYS_PER_MONTH


def seat_lines(
    holders: list[SeatHolder],
    inputs: CostInputs,
    start: dt.date,
    end: dt.date,
    policy: PrivacyPolicy,
) -> tuple[list[SeatLine], float, float]:
    """Seats per tool mix (a partition of the licensed people), small mixes merged into one
    hidden line (rules 1 and 2); returns the lines, total spend and person-months."""
    by_mix: dict[frozenset[str], list[SeatHolder]] = {}
    for holder in holders:
        by_mix.setdefault(holder.tools, []).append(holder)
    order = sorted(by_mix, key=lambda mix: (-len(by_mix[mix]), sorted(mix)))
    names = {mix: " + ".join(TOOL_LABELS.get(t, t) for t in sorted(mix)) for mix in order}
    decisions = suppress_breakdown(
        len(holders), {names[mix]: len(by_mix[mix]) for mix in order}, policy
    )
    lines: list[SeatLine] = []
    hidden_spend = hidden_months = 0.0
    spend = person_months = 0.0
    for mix in order:
        months = sum(_months(max(start, h.licensed_on), end) for h in by_mix[mix])
        price = sum(inputs.seat_price(tool) for tool in mix)
        person_months += months
        spend += months * price
        if decisions[names[mix]].shown:
            lines.append(
                SeatLine(
                    label=names[mix],
                    tools=sorted(mix),
                    seats=len(by_mix[mix]),
                    seat_months=months,
                    price_per_month=price,
                    spend=months * price,
                )
            )
        else:
            hidden_spend += months * price
            hidden_months += months
    if hidden_months:
        lines.append(
            SeatLine(
                label="Other tool mixes (hidden to protect a small group)",
                tools=[],
                seats=None,
                seat_months=None,
                price_per_month=None,
                spend=hidden_spend,
            )
        )
    return lines, spend, person_months


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


def report_section(
    session: Session,
    scope: MetricScope,
    start: dt.date,
    end: dt.date,
    policy: PrivacyPolicy,
    *,
    people: frozenset[str] | None,
    gate: PrivacyGate,
    viewer: str,
    perception: Mapping[str, QuestionFigures],
    friction: Sequence[FrictionClass],
    realities: RealityRow | None,
) -> CostSection | None:
    """AI spend in [start, end] for the scope's licensed people beside time saved and lost;
    None when the organisation has no AI licences at all. `friction`: the friction
    release's classes in the period and scope (the friction minutes are their sums)."""
    del scope  # the scope's people are passed in already resolved
    inputs = load_inputs(session)
    holders = seat_holders(session, people, start, end)
    any_licence = bool(holders) or (
        people is not None
        and session.scalar(select(Person.id).where(Person.ai_licence_date.is_not(None)).limit(1))
        is not None
    )
    if not any_licence:
        return None
    hourly = inputs.hourly_cost
    time = [
        *survey_time(perception, hourly),
        *friction_time(friction, hourly),
        *workflow_time(realities),
    ]
    section = CostSection(
        currency=inputs.currency,
        status=FigureStatus.NOT_ENOUGH_RESPONSES,
        period_months=_months(start, end),
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
    try:
        shown = gate.release_group(viewer, frozenset(PERSON_MEMBER + h.person_id for h in holders))
    except QueryRefused:
        return section.model_copy(update={"status": FigureStatus.SUPPRESSED})
    if not shown:
        return section
    lines, spend, person_months = seat_lines(holders, inputs, start, end, policy)
    per_month = spend / person_months if person_months else None
    return section.model_copy(
        update={
            "status": FigureStatus.SHOWN,
            "licensed": len(holders),
            "seats": lines,
            "spend": spend,
            "spend_per_seat_month": per_month,
            "break_even_hours_per_week": (
                per_month / (hourly * WEEKS_PER_MONTH) if per_month and hourly > 0 else None
            ),
        }
    )
