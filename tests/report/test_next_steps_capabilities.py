"""The next-steps rules over the sections of capabilities 9-14 (task map, leadership
modelling, reflections, what stays the same, success criteria, wins), one by one on
constructed documents: each fires on the figures that should trigger it, names them, and
stays silent on hidden, missing or reassuring ones."""

from __future__ import annotations

import re

from gaplens.criteria.rules import Status
from gaplens.report.next_steps import next_steps
from gaplens.report.schemas import ReportDocument

from . import capabilities_sample as cap
from .sample_document import sample_document
from .test_next_steps import fired, measured, quiet, reality_row


def with_(**sections_: object) -> ReportDocument:
    return quiet().model_copy(update=sections_)


def steps_by_rule(doc: ReportDocument) -> dict[str, tuple[str, str, list[str]]]:
    return {s.rule: (s.title, s.action, s.evidence) for s in next_steps(doc).steps}


# --- success criteria ----------------------------------------------------------------------


def test_a_criterion_at_risk_asks_to_re_plan_before_its_review_date() -> None:
    title, action, evidence = steps_by_rule(with_(criteria=cap.criteria(cap.criterion())))[
        "criterion-off-track"
    ]
    assert title == "Re-plan before the review date: AI-drafted replies"
    assert "still time before the review date" in action
    assert evidence == [
        "AI-drafted replies (Reopen rate, Support): at risk, rule R1: the metric is moving "
        "the wrong way. Target 0.08 share of resolved items by 1 May 2026 (a change of "
        "−0.019 from the baseline of 0.099); measured +0.063 share of resolved items (95% "
        "interval +0.051 to +0.075; 125 AI users), +64% of the baseline, as of 31 March 2026."
    ]


def test_a_missed_criterion_asks_to_re_plan_before_the_next_phase() -> None:
    doc = with_(criteria=cap.criteria(cap.criterion(Status.MISSED)))
    title, action, evidence = steps_by_rule(doc)["criterion-off-track"]
    assert title == "Re-plan before the next phase: AI-drafted replies"
    assert "did not reach the target" in action
    assert ": missed, rule X1: at the review date the target was not reached." in evidence[0]


def test_criteria_on_course_or_retired_ask_for_no_re_plan() -> None:
    for criterion in (
        cap.criterion(Status.ON_TRACK),
        cap.criterion(Status.MET),
        cap.criterion(Status.NOT_ENOUGH_DATA),
        cap.criterion(Status.MISSED, retired=True),
    ):
        assert "criterion-off-track" not in fired(with_(criteria=cap.criteria(criterion)))


def test_three_criteria_off_track_are_named_and_the_rest_counted() -> None:
    items = [
        cap.criterion().model_copy(update={"id": i, "phase_name": f"Phase {i}"}) for i in range(5)
    ]
    title, _, evidence = steps_by_rule(with_(criteria=cap.criteria(*items)))["criterion-off-track"]
    assert title == "Re-plan before the review date: Phase 0, Phase 1, Phase 2 and 2 more"
    assert len(evidence) == 3


def test_a_rollout_without_a_criterion_is_asked_to_define_one() -> None:
    doc = with_(criteria=None)
    title, action, evidence = steps_by_rule(doc)["criteria-missing"]
    assert title == "Define success before the next phase"
    assert "time to resolution (tickets)" in action  # the scope's measured metric
    assert evidence == [
        "No success criterion is defined in Support.",  # the sample is Support's report
        "182 people hold an AI licence; 99% (96–>99%) were active in the last 28 days.",
        "Measured speed-up so far (time to resolution (tickets)): +15% (+9 to +21).",
    ]
    # A retired criterion is no criterion for the next phase.
    retired = with_(criteria=cap.criteria(cap.criterion(Status.MET, retired=True)))
    assert "criteria-missing" in fired(retired)
    # With a criterion in force, or with nothing rolled out, there is nothing to ask.
    assert "criteria-missing" not in fired(quiet())
    nothing = with_(criteria=None, adoption=None, measured=None)
    assert "criteria-missing" not in fired(nothing)


def test_leaders_overestimating_is_asked_for_one_criterion_not_two() -> None:
    ahead = reality_row(gap=(12.0, 4.0, 20.0))
    without = steps_by_rule(with_(criteria=None, measured=measured(ahead)))
    title, _, evidence = without["leaders-overestimate"]
    assert title == "Set the next phase's success metric on measured data"
    assert evidence[-1] == "No success criterion is defined in Support yet."
    assert "criteria-missing" not in without  # the same request, made once
    defined = steps_by_rule(with_(measured=measured(ahead)))
    title, action, evidence = defined["leaders-overestimate"]
    assert title == "Judge the next phase on the measured figures"
    assert "the 1 success criterion in this report" in action
    assert not any("No success criterion" in e for e in evidence)


# --- wins ----------------------------------------------------------------------------------


def test_a_measured_win_is_offered_to_other_teams() -> None:
    title, action, evidence = steps_by_rule(with_(wins=cap.wins(cap.win())))["spread-a-win"]
    assert title == "Spread a measured win: Copilot users' cycle time fell"
    assert "(cycle time)" in action
    assert evidence == [
        "Copilot users' cycle time fell: Cycle time, Engineering, "
        "1 January 2026 to 31 March 2026: −0.56 days (95% interval −0.77 to −0.35; 217 AI "
        "users, 281 non-users), −16% of the baseline; difference-in-differences vs non-users."
    ]


def test_wins_within_noise_or_self_reported_are_not_spread() -> None:
    for item in (
        cap.win("no_clear_change"),
        cap.win("worsened"),
        cap.win(None),
        cap.win(metric=False),
    ):
        assert "spread-a-win" not in fired(with_(wins=cap.wins(item)))


# --- task map ------------------------------------------------------------------------------


def test_a_wanted_task_matching_a_working_use_case_is_piloted() -> None:
    title, action, evidence = steps_by_rule(with_(tasks=cap.tasks()))["task-pilot"]
    assert title == "Pilot test generation for test scaffolding (Engineering)"
    assert "with the people who asked" in action
    assert evidence == [
        "Engineering, Test scaffolding: 60% would hand it off (46–72%, n = 50); 4.5 hours a "
        "week lost (self-reported); judgement 1.5 of 5. The scorecard classes test generation "
        "as working organisation-wide."  # Support's report matches the organisation's card
    ]


def test_no_pilot_without_a_working_match() -> None:
    unknown = cap.function_map(
        "Engineering",
        [cap.task("boilerplate", "Boilerplate code", "Engineering")],
        [cap.match("boilerplate", "Boilerplate code", "code completion", "unknown")],
    )
    friction = cap.function_map(
        "Support",
        [cap.task("replies", "Reply drafts", "Support")],
        [cap.match("replies", "Reply drafts", "customer email", "friction")],
    )
    assert "task-pilot" not in fired(with_(tasks=cap.tasks(unknown, friction)))
    hidden = cap.tasks().model_copy(update={"status": "refused", "functions": []})
    assert "task-pilot" not in fired(with_(tasks=hidden))


def test_a_top_candidate_no_use_case_covers_asks_for_a_tool() -> None:
    title, action, evidence = steps_by_rule(with_(tasks=cap.tasks()))["task-needs-a-tool"]
    assert title == "Ask for a tool or workflow for customs paperwork (Operations)"
    assert "no use case" in action
    assert evidence[0].startswith("Operations, Customs paperwork: 90% would hand it off")
    assert evidence[0].endswith("; no use case in the scorecard matches it.")
    # Without a scorecard to match against, "no match" says nothing.
    unknown = cap.tasks(use_cases_known=False)
    assert "task-needs-a-tool" not in fired(with_(tasks=unknown))
    # Engineering's top candidate matches a use case (unknown or not): no tool to ask for.
    covered = cap.tasks(cap.tasks().functions[0])
    assert "task-needs-a-tool" not in fired(with_(tasks=covered))


def test_involvement_points_at_the_task_map_when_people_have_answered_it() -> None:
    base = _low_involvement()
    _, action, evidence = steps_by_rule(base)["involvement"]
    assert action.startswith("Ask individual contributors which tasks")
    _, action, evidence = steps_by_rule(base.model_copy(update={"tasks": cap.tasks()}))[
        "involvement"
    ]
    assert "Show them what was decided from their answers" in action
    assert evidence[-1] == "120 people answered the task map (Task map)."


def _low_involvement() -> ReportDocument:
    """The quiet document with the sample's 20% of individual contributors feeling involved."""
    doc = sample_document()
    return quiet().model_copy(
        update={"perception": {"decision_involvement": doc.perception["decision_involvement"]}}
    )


# --- what stays the same and job-security clarity ------------------------------------------


def test_low_clarity_without_statements_asks_to_say_what_stays_the_same() -> None:
    doc = with_(commitments=cap.commitments(statements=0, direction=None))
    title, action, evidence = steps_by_rule(doc)["what-stays-the-same"]
    assert title == "Say what stays the same"
    assert "Publish what is not changing" in action
    assert evidence == [
        "Job-security clarity among individual contributors: 20% (15–26%, n = 200) in Pulse "
        "2026-Q1 say they know whether AI will change their job.",
        "No statement of what stays the same is in force.",
    ]


def test_statements_in_force_change_the_step_by_the_clarity_trend() -> None:
    rising = steps_by_rule(with_(commitments=cap.commitments(direction="clearer")))
    title, _, evidence = rising["what-stays-the-same"]
    assert title == "Keep saying what stays the same, where it is still unclear"
    assert evidence[1] == (
        "Change since Pulse 2025-Q4: +9 points (95% interval +5 to +13), clearer beyond noise."
    )
    assert evidence[2] == "2 statements of what stays the same in force (1 for one function)."
    flat = steps_by_rule(with_(commitments=cap.commitments(direction="no clear change")))
    assert flat["what-stays-the-same"][0] == "Make what stays the same concrete"
    assert flat["what-stays-the-same"][2][1].endswith("within noise.")


def test_clear_enough_and_not_falling_needs_no_step_but_a_fall_does() -> None:
    clear = cap.commitments(ic=(150, 200), direction="clearer")
    assert "what-stays-the-same" not in fired(with_(commitments=clear))
    falling = cap.commitments(ic=(150, 200), direction="less clear")
    title, _, evidence = steps_by_rule(with_(commitments=falling))["what-stays-the-same"]
    assert title == "Make what stays the same concrete"
    assert "less clear beyond noise" in evidence[1]


def test_hidden_individual_contributors_fall_back_to_everyone() -> None:
    doc = with_(commitments=cap.commitments(ic=None, direction=None))
    evidence = fired(doc)["what-stays-the-same"]
    assert evidence[0].startswith("Job-security clarity among everyone: 27% (22–33%, n = 260)")


def test_job_security_defers_to_the_commitments_section_when_it_has_clarity() -> None:
    doc = sample_document()
    assert "job-security" in fired(doc)  # the perception answers alone
    both = fired(doc.model_copy(update={"commitments": cap.commitments()}))
    assert "job-security" not in both and "what-stays-the-same" in both


# --- leadership modelling and reflections --------------------------------------------------


def test_leaders_are_asked_to_post_when_nobody_did_in_the_period() -> None:
    doc = with_(modelling=cap.modelling(posts=0, failing=0, leaders=0))
    title, _, evidence = steps_by_rule(doc)["leaders-modelling"]
    assert title == "Ask leaders to show their own AI work"
    assert evidence == [
        "No leader published a post about their own AI work between 1 April 2025 and "
        "31 March 2026 (3 before)."
    ]


def test_success_stories_only_ask_leaders_to_say_what_went_wrong() -> None:
    doc = with_(modelling=cap.modelling(posts=7, failing=1, leaders=4))
    title, _, evidence = steps_by_rule(doc)["leaders-modelling"]
    assert title == "Ask leaders to say what the AI got wrong"
    assert evidence == ["7 posts by 4 leaders in the period; 1 (14%) say what the AI got wrong."]
    assert "leaders-modelling" not in fired(with_(modelling=cap.modelling(6, 2, 5)))  # a third
    assert "leaders-modelling" not in fired(with_(modelling=None))


def test_reflection_drop_needs_half_and_intervals_apart() -> None:
    title, _, evidence = steps_by_rule(with_(reflections=cap.reflections()))["reflection-drop"]
    assert title == "Keep people reflecting up to the one-week step"
    assert evidence[0] == (
        "Right after: 56% of 1490 links used (53–58%); one week later: 25% of 1492 (23–28%)."
    )
    assert evidence[1].startswith("Published reference: Without reflection about 50%")
    # More than half kept: no step.
    assert "reflection-drop" not in fired(with_(reflections=cap.reflections(week=(600, 1492))))
    # Half on the estimate, but so few links that the intervals overlap: noise, no step.
    few = cap.reflections(now=(5, 8), week=(2, 8))
    assert "reflection-drop" not in fired(with_(reflections=few))


# --- all of them together ------------------------------------------------------------------


def everything() -> ReportDocument:
    return with_(
        criteria=cap.criteria(cap.criterion(Status.MISSED)),
        wins=cap.wins(cap.win()),
        tasks=cap.tasks(),
        commitments=cap.commitments(statements=0),
        modelling=cap.modelling(posts=0, failing=0, leaders=0),
        reflections=cap.reflections(),
    )


def test_every_capability_rule_fires_together_in_priority_order() -> None:
    steps = next_steps(everything()).steps
    found = [s.rule for s in steps]
    for rule_id in (
        "criterion-off-track",
        "spread-a-win",
        "task-pilot",
        "task-needs-a-tool",
        "what-stays-the-same",
        "leaders-modelling",
        "reflection-drop",
    ):
        assert rule_id in found
    assert [s.priority for s in steps] == sorted(s.priority for s in steps)
    sections_named = {s.rule: s.section for s in steps}
    assert sections_named["criterion-off-track"] == "criteria"
    assert sections_named["reflection-drop"] == "reflections"


def test_capability_steps_frame_a_path_forward_not_blame() -> None:
    words = re.compile(r"\b(blame|fault|failure|failing|lazy|resist\w*|refus\w*)\b", re.I)
    for step in next_steps(everything()).steps:
        assert not words.search(f"{step.title} {step.action}"), step.rule
