"""Persona clustering recovers planted answer patterns, never shows a persona under k, and is
deterministic for a seed whatever the order of the rows."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from gaplens.tasks.personas import (
    cluster_stances,
    defining_tasks,
    persona_name,
    stance_matrix,
)

TASKS = ["triage", "calls", "emails", "refunds", "macros", "notes"]
PATTERNS = {
    # planted persona: (keep, hate) chances per task
    "frontline": [(0.02, 0.95), (0.95, 0.02), (0.6, 0.1), (0.1, 0.6), (0.6, 0.1), (0.05, 0.9)],
    "specialists": [(0.05, 0.8), (0.2, 0.6), (0.05, 0.9), (0.95, 0.02), (0.05, 0.9), (0.8, 0.05)],
    "newcomers": [(0.6, 0.1), (0.1, 0.8), (0.9, 0.05), (0.05, 0.05), (0.1, 0.1), (0.1, 0.1)],
}


def planted(sizes: dict[str, int], seed: int = 3) -> tuple[list[dict[str, str]], list[int]]:
    rng = np.random.default_rng(seed)
    rows, truth = [], []
    for index, (name, size) in enumerate(sizes.items()):
        for _ in range(size):
            row = {}
            for task, (keep, hate) in zip(TASKS, PATTERNS[name], strict=True):
                draw = rng.random()
                row[task] = "keep" if draw < keep else "hate" if draw < keep + hate else "neither"
            rows.append(row)
            truth.append(index)
    return rows, truth


def test_recovers_three_planted_personas():
    rows, truth = planted({"frontline": 60, "specialists": 40, "newcomers": 25})
    result = cluster_stances(stance_matrix(rows, TASKS), min_size=5, seed=7)
    assert result.k_chosen == 3
    assert result.silhouette is not None and result.silhouette > 0.3
    assert adjusted_rand_score(truth, result.labels) > 0.9
    sizes = np.bincount(result.labels)
    assert list(sizes) == sorted(sizes, reverse=True), "persona 0 is the largest"


def test_same_answers_in_another_order_give_the_same_personas():
    rows, _ = planted({"frontline": 40, "specialists": 30})
    x = stance_matrix(rows, TASKS)
    first = cluster_stances(x, min_size=5, seed=11)
    order = np.random.default_rng(5).permutation(len(rows))
    shuffled = cluster_stances(x[order], min_size=5, seed=11)
    assert np.array_equal(first.labels[order], shuffled.labels)
    assert cluster_stances(x, min_size=5, seed=11).labels.tolist() == first.labels.tolist()


def test_a_cluster_below_the_threshold_is_folded_into_its_neighbour():
    # Four newcomers: a real pattern, but a persona of four would identify people.
    rows, truth = planted({"frontline": 30, "specialists": 20, "newcomers": 4})
    result = cluster_stances(stance_matrix(rows, TASKS), min_size=5, seed=7)
    sizes = np.bincount(result.labels)
    assert sizes.min() >= 5 and sizes.sum() == 54
    assert result.personas == 2
    # the two large planted groups are still told apart
    big = [i for i, t in enumerate(truth) if t < 2]
    assert adjusted_rand_score([truth[i] for i in big], result.labels[big]) > 0.9


def test_the_merge_reports_what_it_folded():
    """Three exact patterns (30, 20, 4 people): k = 3 fits perfectly, then the four are
    folded into the nearest persona (one answer away from the 30) and the merge counted."""
    a, b, c = [1.0, 1.0, -1.0, -1.0], [-1.0, -1.0, 1.0, 1.0], [1.0, 1.0, 1.0, -1.0]
    x = np.asarray([a] * 30 + [b] * 20 + [c] * 4)
    result = cluster_stances(x, min_size=5, seed=7)
    assert result.k_chosen == 3 and result.merged == 1 and result.personas == 2
    assert np.bincount(result.labels).tolist() == [34, 20]  # the four joined the nearest
    assert result.null is not None and result.silhouette is not None
    assert result.silhouette > result.null


def test_no_structure_gives_one_persona_and_too_few_give_none():
    rng = np.random.default_rng(1)
    noise = rng.choice([-1.0, 0.0, 1.0], size=(60, 6))
    flat = cluster_stances(noise, min_size=5, seed=7)
    assert flat.personas == 1 and flat.k_chosen == 1
    same = cluster_stances(np.ones((12, 6)), min_size=5, seed=7)
    assert same.personas == 1
    few = cluster_stances(np.ones((4, 6)), min_size=5, seed=7)
    assert few.personas == 0 and set(few.labels.tolist()) == {-1}
    with pytest.raises(ValueError):
        cluster_stances(np.ones(6), min_size=5)


def test_defining_tasks_and_names():
    rows, truth = planted({"frontline": 60, "specialists": 40})
    frontline = [r for r, t in zip(rows, truth, strict=True) if t == 0]
    hates = defining_tasks(frontline, rows, TASKS, "hate")
    keeps = defining_tasks(frontline, rows, TASKS, "keep")
    assert [d.task for d in hates][:1] == ["notes"]  # triage is hated by everyone: not defining
    assert "calls" in [d.task for d in keeps]
    assert all(d.share >= 0.5 and d.lift >= 0.15 for d in hates + keeps)
    assert persona_name(["Ticket triage"], ["Customer calls"]) == (
        "Hand off ticket triage, keep customer calls"
    )
    assert persona_name(["CRM updates", "Tender forms"], []) == (
        "Hand off CRM updates and tender forms"
    )
    assert persona_name([], []) == "Content with the current mix"
