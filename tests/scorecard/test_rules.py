"""The scorecard rules on planted evidence: helps, hurts, too little data, disagreement."""

from __future__ import annotations

from gaplens.scorecard.rules import (
    Lean,
    Status,
    classify,
    correction_evidence,
    feedback_evidence,
    net_minutes_evidence,
    telemetry_evidence,
)
from gaplens.stats.intervals import Estimate

K = 5


def test_clearly_helps_is_working():
    evidence = [
        correction_evidence(2, 20, K),
        net_minutes_evidence(Estimate(18.0, 12.0, 25.0), 20, K),
        feedback_evidence(9, 1, K),
    ]
    assert [e.lean for e in evidence] == [Lean.NEUTRAL, Lean.WORKING, Lean.WORKING]
    assert classify(evidence).status is Status.WORKING
    assert classify(evidence).reason == "feedback and the friction log's net minutes lean working"


def test_reasons_name_measures_in_words_for_the_report():
    hurts = [
        correction_evidence(18, 20, K),
        net_minutes_evidence(Estimate(-14.0, -20.0, -8.0), 20, K),
        feedback_evidence(1, 11, K),
    ]
    assert classify(hurts).reason == (
        "feedback, the friction log's correction rate and the friction log's net minutes "
        "lean friction"
    )
    disagree = [telemetry_evidence("code_completion", 40, 100, 12, K), feedback_evidence(1, 11, K)]
    assert classify(disagree).reason == (
        "the evidence disagrees: Copilot's acceptance rate for code_completion leans working, "
        "feedback leans friction"
    )


def test_working_needs_feedback_to_agree_with_net_minutes():
    evidence = [net_minutes_evidence(Estimate(18.0, 12.0, 25.0), 20, K)]
    verdict = classify(evidence)
    assert verdict.status is Status.UNKNOWN and "must agree" in verdict.reason


def test_clearly_hurts_is_friction():
    evidence = [
        correction_evidence(18, 20, K),  # Wilson low ~0.70 > 0.5
        net_minutes_evidence(Estimate(-14.0, -20.0, -8.0), 20, K),
    ]
    assert classify(evidence).status is Status.FRICTION
    assert classify([feedback_evidence(1, 11, K)]).status is Status.FRICTION


def test_too_little_data_is_unknown():
    evidence = [correction_evidence(4, 4, K), feedback_evidence(2, 1, K)]
    assert all(e.estimate is None for e in evidence)
    assert classify(evidence).reason == "too little data"
    assert classify([]).status is Status.UNKNOWN


def test_disagreement_is_unknown():
    evidence = [
        net_minutes_evidence(Estimate(15.0, 5.0, 22.0), 20, K),
        feedback_evidence(1, 11, K),
    ]
    verdict = classify(evidence)
    assert verdict.status is Status.UNKNOWN and "disagrees" in verdict.reason


def test_telemetry_alone_never_decides():
    low = telemetry_evidence("code_completion", 10, 100, 8, K)
    high = telemetry_evidence("code_completion", 40, 100, 8, K)
    assert (low.lean, high.lean) == (Lean.FRICTION, Lean.WORKING)
    assert classify([low]).status is Status.UNKNOWN
    assert classify([high]).status is Status.UNKNOWN
    assert telemetry_evidence("code_completion", 40, 100, 4, K).estimate is None
    # ... but it can contradict the other sources
    helps = [
        net_minutes_evidence(Estimate(18.0, 12.0, 25.0), 20, K),
        feedback_evidence(9, 1, K),
        low,
    ]
    assert classify(helps).status is Status.UNKNOWN
