"""The next-steps rules, one by one, on constructed documents: each fires on the figures that
should trigger it, says which figures those were, and stays silent on hidden or missing ones."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from gaplens.criteria.rules import Status
from gaplens.realities.schemas import Interval as RealityInterval
from gaplens.realities.schemas import RealityRow, ThreeRealities
from gaplens.report import next_steps as rules
from gaplens.report.next_steps import RULES, next_steps, rule
from gaplens.report.schemas import (
    Basis,
    FigureStatus,
    GroupFigures,
    Interval,
    MeasuredReality,
    ReportDocument,
    TimeFigure,
)

from . import capabilities_sample as capabilities
from . import sections_sample as sections
from .sample_document import impact_gap, sample_document, sparse_document

DOCS = Path(__file__).resolve().parents[2] / "docs" / "next-steps.md"
QUIET_FUNNEL = (
    ("licensed", 182),
    ("activated", 182),
    ("active_28d", 180),
    ("sustained", 175),
    ("integrated", 170),
)


def reality_row(
    leaders: tuple[float, float, float] | None = (20.0, 10.0, 30.0),
    measured: tuple[float, float, float] | None = (15.0, 9.0, 21.0),
    gap: tuple[float, float, float] | None = (5.0, -6.0, 16.0),
) -> RealityRow:
    def interval(values: tuple[float, float, float] | None) -> RealityInterval | None:
        return (
            RealityInterval(estimate=values[0], low=values[1], high=values[2]) if values else None
        )

    return RealityRow(
        scope="Support",
        measure="time to resolution (tickets)",
        leaders_perceived=interval(leaders),
        leaders_n=36,
        frontline_perceived=None,
        frontline_n=None,
        measured=interval(measured),
        measured_n={"ai_users": 120, "non_users": 60} if measured else {},
        leaders_gap=interval(gap),
        frontline_gap=None,
        reason=None if measured else "fewer than 5 AI users with work before and after adoption",
    )


def measured(row: RealityRow) -> MeasuredReality:
    return MeasuredReality(
        as_of=dt.date(2026, 3, 31),
        realities=ThreeRealities(as_of="2026-03-31", rows=[row], notes=[]),
        adoption_headline=None,
        working_use_cases=[],
        friction_use_cases=[],
    )


def quiet() -> ReportDocument:
    """A document whose figures give no rule a reason to fire (except measuring again)."""
    doc = sample_document()
    return doc.model_copy(
        update={
            "perception": {
                k: v
                for k, v in doc.perception.items()
                if k not in ("job_security_clarity", "decision_involvement")
            },
            "headline": doc.headline.model_copy(update={"exec_ic_impact_gap": None}),
            "gap_trend": sections.gap_trend(widening=False),
            "adoption": sections.adoption(QUIET_FUNNEL),
            "use_cases": None,
            "cost": None,
            "measured": measured(reality_row()),
            # A criterion on track: the rollout has its success criterion, nothing to re-plan.
            "criteria": capabilities.criteria(capabilities.criterion(Status.ON_TRACK)),
            "next_steps": None,
        }
    )


def fired(doc: ReportDocument) -> dict[str, list[str]]:
    return {step.rule: step.evidence for step in next_steps(doc).steps}


def test_a_quiet_document_only_asks_to_measure_again() -> None:
    assert list(fired(quiet())) == ["measure-again"]


def test_measure_again_names_the_date_ninety_days_after_the_released_answers() -> None:
    (step,) = next_steps(quiet()).steps
    assert step.title == "Measure again by 13 June 2026"  # 15 March + 90 days
    assert step.evidence == [
        "The latest pulse (AI pulse, March 2026) has answers released through 2026-03-15."
    ]
    undated = quiet().model_copy(
        update={"survey": quiet().survey.model_copy(update={"answers_through": None})}
    )
    assert "measure-again" not in fired(undated)


def test_gap_widening_fires_only_beyond_the_interval() -> None:
    widening = quiet().model_copy(update={"gap_trend": sections.gap_trend(widening=True)})
    evidence = fired(widening)["gap-widening"]
    trend = sections.gap_trend(widening=True)
    assert trend.change_pp is not None and trend.change_pp.low > 0
    assert f"change +{trend.change_pp.estimate:.0f} points" in evidence[0]
    assert "n = 40 leaders, 167 individual contributors" in evidence[1]
    # The same estimate with an interval reaching below zero is noise, not a trend.
    noisy = trend.model_copy(
        update={
            "direction": "no clear change",
            "change_pp": trend.change_pp.model_copy(update={"low": -2.0}),
        }
    )
    assert "gap-widening" not in fired(quiet().model_copy(update={"gap_trend": noisy}))
    hidden = trend.model_copy(
        update={
            "points": [
                trend.points[0],
                trend.points[1].model_copy(update={"status": "refused", "gap_pp": None}),
            ]
        }
    )
    assert "gap-widening" not in fired(quiet().model_copy(update={"gap_trend": hidden}))


def test_perception_gap_needs_a_shown_gap_above_zero() -> None:
    gap = impact_gap().model_copy(update={"numerator_group": "leaders", "benchmark": None})
    assert gap.value is not None and gap.value.low > 0
    doc = quiet().model_copy(update={"headline": quiet().headline.model_copy(update={"gap": gap})})
    (evidence,) = fired(doc)["perception-gap"]
    assert evidence.startswith(
        f"Leaders (executives and managers) are {gap.value.estimate:.0f} percentage points "
        "more likely than individual contributors"
    )
    crossing = gap.model_copy(update={"value": gap.value.model_copy(update={"low": -1.0})})
    hidden = gap.model_copy(update={"status": FigureStatus.NOT_ENOUGH_RESPONSES, "value": None})
    for other in (crossing, hidden):
        headline = quiet().headline.model_copy(update={"gap": other})
        assert "perception-gap" not in fired(quiet().model_copy(update={"headline": headline}))
    # The executive-only breakdown is not the gap: it alone fires nothing.
    breakdown = quiet().headline.model_copy(update={"exec_ic_impact_gap": impact_gap()})
    assert "perception-gap" not in fired(quiet().model_copy(update={"headline": breakdown}))


def test_leaders_overestimate_needs_the_gap_interval_above_zero() -> None:
    doc = quiet().model_copy(update={"measured": measured(reality_row(gap=(14.0, 2.0, 26.0)))})
    evidence = fired(doc)["leaders-overestimate"]
    assert evidence[0] == (
        "Leaders (executives and managers) perceive +20% (n = 36); measured +15% (+9 to +21)."
    )
    assert "95% interval +2 to +26" in evidence[1]
    no_perception = measured(reality_row(leaders=None, gap=None))
    assert "leaders-overestimate" not in fired(
        quiet().model_copy(update={"measured": no_perception})
    )


def test_fix_friction_and_spread_what_works_carry_the_evidence_and_n() -> None:
    doc = quiet().model_copy(update={"use_cases": sections.use_cases()})
    found = fired(doc)
    assert found["fix-friction"] == [
        "customer replies: 70% of outputs corrected (56–82%, n = 44); net −6 minutes per "
        "output (−10 to −3, n = 44; saved minutes self-reported)"
    ]
    assert found["spread-what-works"][0].startswith("ticket summaries: 19% of outputs corrected")
    only_working = sections.use_cases().model_copy(update={"friction": []})
    found = fired(quiet().model_copy(update={"use_cases": only_working}))
    assert "fix-friction" not in found and "spread-what-works" in found


def test_integration_gap_needs_intervals_apart() -> None:
    doc = quiet().model_copy(update={"adoption": sections.adoption()})
    assert fired(doc)["integration-gap"] == [
        "Active in the last 28 days: 75% (69–80%) of 240 licensed.",
        "Integrated: 30% (25–36%).",
    ]
    # A 30-point difference on ten people is within noise: the intervals overlap.
    small = (
        ("licensed", 10),
        ("activated", 8),
        ("active_28d", 6),
        ("sustained", 4),
        ("integrated", 3),
    )
    assert "integration-gap" not in fired(
        quiet().model_copy(update={"adoption": sections.adoption(small)})
    )
    hidden = sections.adoption().model_copy(
        update={"status": FigureStatus.NOT_ENOUGH_RESPONSES, "stages": [], "licensed": None}
    )
    assert "integration-gap" not in fired(quiet().model_copy(update={"adoption": hidden}))


def test_idle_seats_counts_people_and_prices_them_only_with_the_cost_section() -> None:
    doc = quiet().model_copy(update={"adoption": sections.adoption(), "cost": sections.cost()})
    evidence = fired(doc)["idle-seats"]
    assert evidence[0] == (
        "60 of 240 licensed people had no recorded use in the 28 days to 2026-03-31 (measured)."
    )
    assert evidence[1] == (
        "About USD 1,800 a month at the assumed seat prices (USD 30 per licensed person)."
    )
    without_cost = quiet().model_copy(update={"adoption": sections.adoption()})
    assert len(fired(without_cost)["idle-seats"]) == 1
    # Fewer than a tenth of the licensed idle: normal churn, no step.
    assert "idle-seats" not in fired(quiet())  # 182 licensed, 180 active


def test_idle_seats_fires_from_a_tenth_of_the_licensed() -> None:
    """A presentation rule over two released figures, not a privacy threshold: 10 idle of
    100 licensed is a step, 9 is not."""
    base = sections.adoption()

    def with_active(active: int) -> ReportDocument:
        stages = [
            s.model_copy(update={"n": active}) if s.stage == "active_28d" else s
            for s in base.stages
        ]
        adoption = base.model_copy(update={"licensed": 100, "stages": stages})
        return quiet().model_copy(update={"adoption": adoption})

    assert fired(with_active(90))["idle-seats"][0].startswith("10 of 100 licensed people")
    assert "idle-seats" not in fired(with_active(91))
    assert "idle-seats" not in fired(with_active(100))


def test_business_case_compares_reported_hours_with_the_break_even() -> None:
    cost = sections.cost()
    assert cost.break_even_hours_per_week is not None
    assert cost.break_even_hours_per_week == pytest.approx(30 / (75 * 52 / 12))
    assert "business-case" not in fired(quiet().model_copy(update={"cost": cost}))
    low = TimeFigure(
        key="survey_hours_saved.everyone",
        label="Hours a week AI saves, reported by everyone (survey median)",
        basis=Basis.SELF_REPORTED,
        unit="hours per person per week",
        status=FigureStatus.SHOWN,
        n=207,
        value=Interval(estimate=0.0, low=-0.5, high=0.05),
    )
    short = cost.model_copy(update={"time": [low]})
    evidence = fired(quiet().model_copy(update={"cost": short}))["business-case"]
    assert "n = 207; self-reported" in evidence[0]
    assert "0.1 hours a week" in evidence[1]


def test_job_security_and_involvement_read_the_frontline_figures() -> None:
    doc = sample_document()
    found = fired(doc)
    clarity = doc.perception["job_security_clarity"].groups["individual_contributor"]
    assert clarity.shares is not None and clarity.n
    unsure = (clarity.shares["no"].count + clarity.shares["unsure"].count) / clarity.n
    assert found["job-security"] == [
        f"{unsure * 100:.0f}% of individual contributors do not know whether AI will change "
        f"their job (n = {clarity.n})."
    ]
    assert found["involvement"][0].startswith("20% (15–27%) of individual contributors")
    hidden = {
        key: q.model_copy(
            update={
                "groups": {
                    **q.groups,
                    "individual_contributor": GroupFigures(status=FigureStatus.SUPPRESSED),
                }
            }
        )
        for key, q in doc.perception.items()
    }
    found = fired(doc.model_copy(update={"perception": hidden}))
    assert "job-security" not in found and "involvement" not in found


def test_more_responses_names_the_hidden_role_levels() -> None:
    found = fired(sparse_document())
    assert found["more-responses"] == [
        "Not shown: executives, managers (groups need at least 5 people)."
    ]
    assert "more-responses" not in fired(sample_document())


def test_measured_steps_tell_missing_data_from_thin_data() -> None:
    missing = quiet().model_copy(update={"measured": None})
    assert "import-workflow-data" in fired(missing)
    assert "measured-too-thin" not in fired(missing)
    thin = quiet().model_copy(update={"measured": measured(reality_row(measured=None, gap=None))})
    found = fired(thin)
    assert "import-workflow-data" not in found
    assert found["measured-too-thin"] == [
        "Measured speed-up in Support: fewer than 5 AI users with work before and after adoption."
    ]


def test_steps_come_in_priority_order_and_every_rule_is_listed() -> None:
    result = next_steps(sample_document())
    priorities = [s.priority for s in result.steps]
    assert priorities == sorted(priorities)
    assert result.rules == [r.id for r in RULES]
    assert len(result.steps) >= 8


def test_rules_are_pure() -> None:
    doc = sample_document()
    before = doc.model_dump_json()
    assert next_steps(doc) == next_steps(doc)
    assert doc.model_dump_json() == before


def test_a_rule_id_cannot_be_registered_twice() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        rule("measure-again", 1)(lambda doc: None)
    assert [r.id for r in RULES].count("measure-again") == 1


def test_every_rule_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    documented = set(re.findall(r"^### `([a-z-]+)`", text, re.M))
    assert documented == {r.id for r in RULES}
    for spec in RULES:
        assert spec.check.__doc__, spec.id


def test_steps_frame_a_path_forward_not_blame() -> None:
    words = re.compile(r"\b(blame|fault|failure|failing|lazy|resist\w*|refus\w*)\b", re.I)
    for doc in (sample_document(), sparse_document()):
        for step in next_steps(doc).steps:
            assert not words.search(f"{step.title} {step.action}"), step.rule
    assert "implementation gap" in rules.FRAMING
