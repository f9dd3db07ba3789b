"""Playbooks: which scorecard use cases speak to a task, and what to measure (pure).

Matching a task to a use case (docs/tasks.md):

1. explicitly, when the catalogue lists the use case on the task (`use_cases` column);
2. otherwise by words: the task's label and key and the use case's label, lower-cased, with
   generic words dropped ("writing", "the", ...) and plurals folded ("summaries" ->
   "summary"), share at least one word and at least a third of all their words
   (Jaccard >= 1/3). "Test scaffolding" meets "test generation"; "Ticket triage" meets
   "ticket summaries"; "Route planning" meets nothing.

What to measure: the metric registry keys the catalogue lists on the persona's tasks to
augment, else the function's defaults below, always with AI usage intensity (does use
persist?).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from gaplens.friction.figures import use_case_key
from gaplens.metrics.registry import REGISTRY
from gaplens.tasks.schemas import MetricSuggestion, TaskFigure, UseCaseMatch, Verdict

MIN_JACCARD = 0.5
_GENERIC = """a an and the of for to in on with by from at or vs
writing write drafting draft doing making updating update preparing handling managing
work task tasks job ai new own other general"""
GENERIC_WORDS = frozenset(_GENERIC.split())
FUNCTION_METRICS: dict[str, tuple[str, ...]] = {
    "Engineering": ("cycle_time", "rework_cycles"),
    "Product": ("cycle_time", "throughput"),
    "Support": ("time_to_resolution", "reopen_rate"),
}
DEFAULT_METRICS = ("throughput",)
USAGE_METRIC = "ai_usage_intensity"
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class UseCaseInfo:
    """A scorecard use case as the playbook needs it."""

    key: str
    label: str
    status: str
    reason: str


@dataclass(frozen=True)
class TaskInfo:
    key: str
    label: str
    use_cases: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()


def words(text: str) -> frozenset[str]:
    """Content words, plurals folded: 'Ticket summaries' -> {'ticket', 'summary'}."""
    found = set()
    for word in _WORD.findall(text.lower().replace("_", " ").replace("-", " ")):
        if word in GENERIC_WORDS:
            continue
        found.add(_singular(word))
    return frozenset(found)


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def word_match(task: TaskInfo, use_case: UseCaseInfo) -> bool:
    a = words(task.label) | words(task.key)
    b = words(use_case.label)
    shared = a & b
    return bool(shared) and len(shared) / len(a | b) >= MIN_JACCARD


def matches(task: TaskInfo, use_cases: Sequence[UseCaseInfo]) -> list[tuple[UseCaseInfo, str]]:
    """(use case, how it matched) for one task: the catalogue's list wins over words."""
    listed = {use_case_key(u) for u in task.use_cases}
    if listed:
        return [(u, "catalogue") for u in use_cases if u.key in listed]
    return [(u, "words") for u in use_cases if word_match(task, u)]


def advice(verdict: Verdict, status: str, use_case: str) -> str:
    if verdict is Verdict.PROTECT:
        if status == "friction":
            return f"Leave this with people: {use_case} creates friction today."
        return f"AI may assist ({use_case}), but the people doing it keep the task."
    if status == "working":
        return f"Start here: {use_case} already works."
    if status == "friction":
        return f"Fix before rolling out: {use_case} creates friction today."
    return f"Pilot and measure: not enough evidence on {use_case} yet."


def use_case_matches(
    tasks: Iterable[TaskFigure], info: Mapping[str, TaskInfo], use_cases: Sequence[UseCaseInfo]
) -> list[UseCaseMatch]:
    found: list[UseCaseMatch] = []
    for figure in tasks:
        task = info.get(figure.key)
        if task is None:
            continue
        for use_case, how in matches(task, use_cases):
            found.append(
                UseCaseMatch(
                    task=figure.key,
                    task_label=figure.label,
                    use_case=use_case.label,
                    status=use_case.status,
                    reason=use_case.reason,
                    matched_by=how,
                    advice=advice(figure.verdict, use_case.status, use_case.label),
                )
            )
    return found


def metric_suggestions(
    function: str, augment: Sequence[TaskFigure], info: Mapping[str, TaskInfo]
) -> list[MetricSuggestion]:
    """Registry metrics for the tasks to augment, in order of first mention, usage last."""
    chosen: dict[str, str] = {}
    for figure in augment:
        task = info.get(figure.key)
        for key in task.metrics if task else ():
            if key in REGISTRY:
                chosen.setdefault(key, f"listed in the catalogue for {figure.label}")
    if not chosen:
        for key in FUNCTION_METRICS.get(function, DEFAULT_METRICS):
            chosen[key] = f"the default for {function}"
    chosen.setdefault(USAGE_METRIC, "shows whether AI use on these tasks persists")
    return [
        MetricSuggestion(key=key, label=REGISTRY[key].label, why=why) for key, why in chosen.items()
    ]
