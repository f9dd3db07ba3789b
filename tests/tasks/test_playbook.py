"""Matching tasks to scorecard use cases, and what a playbook says to measure."""

from __future__ import annotations

from gaplens.metrics.registry import REGISTRY
from gaplens.tasks.figures import AnswerFact, TaskMeta, task_figure, task_point
from gaplens.tasks.playbook import (
    TaskInfo,
    UseCaseInfo,
    matches,
    metric_suggestions,
    use_case_matches,
    words,
)

USE_CASES = [
    UseCaseInfo("code review", "code review", "friction", "most outputs corrected"),
    UseCaseInfo("meeting notes", "meeting notes", "working", "saves time"),
    UseCaseInfo("documentation", "Documentation", "unknown", "too few entries"),
    UseCaseInfo("test generation", "test generation", "working", "saves time"),
]


def test_words_fold_plurals_and_drop_generic_words():
    assert words("Writing the Ticket summaries") == {"ticket", "summary"}
    assert words("code-reviews") == {"code", "review"}
    assert words("Process") == {"process"}


def test_word_matching_needs_half_the_words():
    def found(label: str, key: str = "k") -> list[str]:
        return [u.key for u, how in matches(TaskInfo(key, label), USE_CASES)]

    assert found("Code reviews") == ["code review"]
    assert found("Writing documentation") == ["documentation"]
    assert found("Release notes") == []  # shares 'note' with meeting notes, one word of three
    assert found("Client meetings") == []
    assert found("Test scaffolding") == []  # related, but needs the catalogue's explicit list


def test_the_catalogue_list_wins_over_words():
    task = TaskInfo("scaffolding", "Test scaffolding", use_cases=("Test  Generation",))
    assert [(u.key, how) for u, how in matches(task, USE_CASES)] == [
        ("test generation", "catalogue")
    ]
    listed_elsewhere = TaskInfo("reviews", "Code reviews", use_cases=("meeting notes",))
    assert [u.key for u, _ in matches(listed_elsewhere, USE_CASES)] == ["meeting notes"]


def figure(key: str, stance: str, judgement: int) -> object:
    facts = [AnswerFact(f"r{n}", key, key, stance, 4.0, judgement) for n in range(6)]
    return task_figure(task_point(key, facts), facts, TaskMeta("Engineering", key, "catalogue"))


def test_advice_follows_verdict_and_status():
    info = {
        "review": TaskInfo("review", "Code review"),
        "tests": TaskInfo("tests", "Test scaffolding", use_cases=("test generation",)),
    }
    augment_tests = figure("tests", "hate", 1)
    protect_review = figure("review", "keep", 5)
    found = {m.task: m for m in use_case_matches([augment_tests, protect_review], info, USE_CASES)}
    assert found["tests"].advice.startswith("Start here") and found["tests"].status == "working"
    assert found["review"].advice.startswith("Leave this with people")
    augment_review = figure("review", "hate", 1)
    (fix,) = use_case_matches([augment_review], info, USE_CASES)
    assert fix.advice.startswith("Fix before rolling out")


def test_metrics_from_the_catalogue_else_the_function_defaults_always_usage():
    info = {"tests": TaskInfo("tests", "Tests", metrics=("rework_cycles", "not_a_metric"))}
    listed = metric_suggestions("Engineering", [figure("tests", "hate", 1)], info)
    assert [m.key for m in listed] == ["rework_cycles", "ai_usage_intensity"]
    default = metric_suggestions("Support", [], {})
    assert [m.key for m in default] == ["time_to_resolution", "reopen_rate", "ai_usage_intensity"]
    other = metric_suggestions("Legal", [], {})
    assert [m.key for m in other] == ["throughput", "ai_usage_intensity"]
    assert all(m.key in REGISTRY and m.label == REGISTRY[m.key].label for m in listed + default)
