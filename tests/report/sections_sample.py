"""Hand-built sections after perception (scope, period, trend, adoption, use cases, cost), for
the render tests and the next-steps rules. Figures are internally consistent: shares carry
Wilson intervals, gaps Newcombe intervals, spend is seat-months times the price."""

from __future__ import annotations

import datetime as dt

from gaplens.adoption.views import FUNNEL_DEFINITIONS, STAGE_LABELS
from gaplens.report.schemas import (
    AdoptionSection,
    Basis,
    CostInputInfo,
    CostSection,
    EvidenceItem,
    FigureStatus,
    FunnelStage,
    GapTrend,
    Interval,
    PeriodInfo,
    PulseInfo,
    ScopeInfo,
    SeatLine,
    TimeFigure,
    TrendPulse,
    UseCaseOut,
    UseCasesSection,
)
from gaplens.report.scope import PERIOD_RULES

from .sample_document import newcombe_pp, share, wilson

SHOWN = FigureStatus.SHOWN
NOT_ENOUGH = FigureStatus.NOT_ENOUGH_RESPONSES


def scope() -> ScopeInfo:
    return ScopeInfo(
        kind="function",
        key="Support",
        name="Support",
        notes=["Survey figures: responses whose self-reported function is this one."],
    )


def period() -> PeriodInfo:
    return PeriodInfo(
        label="2026-Q1",
        start=dt.date(2026, 1, 1),
        end=dt.date(2026, 3, 31),
        named=True,
        pulses=[
            PulseInfo(
                name="AI pulse, March 2026",
                answers_through=dt.date(2026, 3, 15),
            )
        ],
        data_as_of=dt.date(2026, 3, 31),
        rules=PERIOD_RULES,
    )


def gap_trend(widening: bool = True) -> GapTrend:
    """Two pulses: leaders 30/40 then 32/40 reporting gains; frontline 100/160 then 70/167."""
    before = newcombe_pp(30, 40, 100, 160)
    latest = newcombe_pp(32, 40, 70, 167) if widening else newcombe_pp(30, 40, 98, 167)
    change_low = (latest.estimate - before.estimate) - 14.0
    change_high = (latest.estimate - before.estimate) + 14.0
    return GapTrend(
        series="AI pulse",
        question="Share of leaders reporting gains minus the share of individual contributors",
        points=[
            TrendPulse(
                survey="AI pulse, November 2025",
                answers_through=dt.date(2025, 11, 23),
                in_period=False,
                status="shown",
                gap_pp=before,
                leaders_n=40,
                frontline_n=160,
            ),
            TrendPulse(
                survey="AI pulse, March 2026",
                answers_through=dt.date(2026, 3, 15),
                in_period=True,
                status="shown",
                gap_pp=latest,
                leaders_n=40,
                frontline_n=167,
            ),
        ],
        change_pp=Interval(
            estimate=latest.estimate - before.estimate, low=change_low, high=change_high
        ),
        direction="widening" if widening and change_low > 0 else "no clear change",
        method="Gap with a Newcombe interval; change with a MOVER interval.",
    )


FUNNEL = (
    ("licensed", 240),
    ("activated", 204),
    ("active_28d", 180),
    ("sustained", 120),
    ("integrated", 72),
)


def adoption(counts: tuple[tuple[str, int], ...] = FUNNEL) -> AdoptionSection:
    licensed = counts[0][1]
    stages = []
    previous: int | None = None
    for stage, n in counts:
        stages.append(
            FunnelStage(
                stage=stage,
                label=STAGE_LABELS[stage],
                n=n,
                share_of_licensed=share(n, licensed),
                share_of_previous=share(n, previous) if previous else None,
                trained=n // 2,
                certified=n // 6,
            )
        )
        previous = n
    active = dict(counts)["active_28d"] / licensed
    integrated = dict(counts)["integrated"] / licensed
    return AdoptionSection(
        as_of=dt.date(2026, 3, 31),
        status=SHOWN,
        licensed=licensed,
        stages=stages,
        headline=f"Dashboard says {active:.0%} adoption (active in the last 28 days / "
        f"licensed), integration is {integrated:.0%}.",
        definitions=FUNNEL_DEFINITIONS,
    )


def _rate(label: str, corrected: int, n: int, lean: str) -> EvidenceItem:
    low, high = wilson(corrected, n)
    return EvidenceItem(
        source="friction_log",
        measure="correction_rate",
        n=n,
        value=corrected / n,
        low=low,
        high=high,
        lean=lean,
        text=f"{corrected} of {n} {label} outputs needed correction",
    )


def _net(value: float, low: float, high: float, n: int, lean: str) -> EvidenceItem:
    return EvidenceItem(
        source="friction_log",
        measure="net_minutes",
        n=n,
        value=value,
        low=low,
        high=high,
        lean=lean,
        text="saved (self-reported) minus minutes correcting, per output",
    )


def use_cases() -> UseCasesSection:
    return UseCasesSection(
        period_from=dt.date(2026, 1, 1),
        period_to=dt.date(2026, 3, 31),
        working=[
            UseCaseOut(
                key="ticket summaries",
                label="ticket summaries",
                status="working",
                reason="net minutes and feedback both lean working",
                evidence=[
                    _rate("ticket summary", 9, 48, "neutral"),
                    _net(8.5, 5.1, 11.8, 48, "working"),
                ],
            )
        ],
        friction=[
            UseCaseOut(
                key="customer replies",
                label="customer replies",
                status="friction",
                reason="the friction log leans friction",
                evidence=[
                    _rate("customer reply", 31, 44, "friction"),
                    _net(-6.2, -9.9, -2.8, 44, "friction"),
                ],
            )
        ],
        unknown=2,
        withheld=1,
        rules=["Friction when the friction log or feedback leans friction."],
        notes=["Feedback carries no team, so it counts only in the organisation's report."],
    )


def cost(hours_high: float = 2.5) -> CostSection:
    """240 licensed people over three months at 30 per seat-month; hourly cost 75."""
    months = 3.0
    spend = 240 * months * 30.0
    per_month = spend / (240 * months)
    hourly = 75.0
    scale = 52 / 12 * hourly
    return CostSection(
        currency="USD",
        status=SHOWN,
        period_months=months,
        inputs=[
            CostInputInfo(
                key="hourly_cost",
                label="Loaded cost of one hour of a person's time",
                unit="per hour",
                amount=hourly,
                is_default=True,
                source="default: placeholder",
            ),
            CostInputInfo(
                key="seat_price.m365-copilot",
                label="Microsoft 365 Copilot seat",
                unit="per seat per month",
                amount=30.0,
                is_default=False,
                source="set by an administrator on 2026-01-05",
            ),
        ],
        licensed=240,
        month_ends=[dt.date(2026, 1, 31), dt.date(2026, 2, 28), dt.date(2026, 3, 31)],
        seat_months=240 * months,
        seats=[
            SeatLine(
                label="Microsoft 365 Copilot",
                tools=["m365-copilot"],
                seats=240,
                seat_months=240 * months,
                price_per_month=30.0,
                spend=spend,
            )
        ],
        spend=spend,
        spend_per_seat_month=per_month,
        break_even_hours_per_week=per_month / scale,
        time=[
            TimeFigure(
                key="friction_minutes_correcting",
                label="Minutes spent correcting each logged AI output (friction log)",
                basis=Basis.MEASURED,
                unit="minutes per logged output",
                status=SHOWN,
                n=92,
                value=Interval(estimate=7.4, low=5.9, high=9.1),
                total_hours=11.3,
                total_value=11.3 * hourly,
            ),
            TimeFigure(
                key="workflow_speedup",
                label="Measured speed-up of time to resolution (tickets)",
                basis=Basis.MEASURED,
                unit="% faster (elapsed time per item)",
                status=SHOWN,
                n=210,
                value=Interval(estimate=14.0, low=8.0, high=20.0),
            ),
            TimeFigure(
                key="survey_hours_saved.everyone",
                label="Hours a week AI saves, reported by everyone (survey median)",
                basis=Basis.SELF_REPORTED,
                unit="hours per person per week",
                status=SHOWN,
                n=207,
                value=Interval(estimate=1.5, low=1.0, high=hours_high),
                money_per_person_month=Interval(
                    estimate=1.5 * scale, low=1.0 * scale, high=hours_high * scale
                ),
            ),
            TimeFigure(
                key="survey_hours_saved.executive",
                label="Hours a week AI saves, reported by executives (survey median)",
                basis=Basis.SELF_REPORTED,
                unit="hours per person per week",
                status=NOT_ENOUGH,
            ),
        ],
        notes=["Seats are measured; prices are assumptions."],
    )


def hidden_cost() -> CostSection:
    base = cost()
    return CostSection(
        currency="USD",
        status=NOT_ENOUGH,
        period_months=3.0,
        inputs=base.inputs,
        time=[t for t in base.time if t.status is not SHOWN],
        notes=base.notes,
        reason="Not shown: in March 2026 this scope's licensed people are counted only in a "
        "larger group, to protect individuals.",
    )
