"""The demo's task map, imported through the same services an admin uses, recovers what was
planted: the top augmentation candidate and a task to protect per function, two personas
per function, the free task many typed (and not the one few typed)."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pytest
from sklearn.metrics import adjusted_rand_score

from gaplens.db.engine import session_scope
from gaplens.demo.generator import generate_organisation, write_demo_files
from gaplens.demo.tasks import FUNCTIONS, import_task_map, write_task_files
from gaplens.directory.service import import_people, import_teams
from gaplens.tasks.personas import cluster_stances, stance_matrix
from gaplens.tasks.views import TaskScope, personas_view, task_map


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("tasks-demo")
    organisation = generate_organisation(people=2000, seed=1)
    return organisation, write_demo_files(organisation, out), write_task_files(organisation, out, 1)


def test_the_demo_files_are_deterministic(demo, tmp_path: Path):
    organisation, _, files = demo
    again = write_task_files(organisation, tmp_path, 1)
    assert again.answers is not None and files.answers is not None
    assert again.answers.read_bytes() == files.answers.read_bytes()
    assert again.catalogue.read_bytes() == files.catalogue.read_bytes()


def test_clustering_recovers_the_planted_personas(demo):
    _, _, files = demo
    stances: dict[str, dict[str, str]] = defaultdict(dict)
    function_of: dict[str, str] = {}
    with files.answers.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["task_key"]:
                stances[row["response_id"]][row["task_key"]] = row["stance"]
                function_of[row["response_id"]] = row["function"]
    for function in FUNCTIONS:
        ids = [rid for rid in stances if function_of[rid] == function.name]  # file order
        tasks = [t.key for t in function.tasks]
        found = cluster_stances(stance_matrix([stances[i] for i in ids], tasks), min_size=5)
        assert found.k_chosen == 2, function.name
        score = adjusted_rand_score(files.planted_personas[function.name], found.labels)
        assert score > 0.75, (function.name, score)


def test_the_map_recovers_what_was_planted(demo, db_url: str):
    _, people_files, files = demo
    with session_scope(db_url) as session:
        import_teams(session, people_files.teams, "Northwind Logistics")
        import_people(session, people_files.people)
        summaries, link = import_task_map(session, files)
    assert link.startswith("/t/") and "respondents" in summaries[1]
    with session_scope(db_url) as session:
        view = task_map(session, None, TaskScope())
        personas = personas_view(session, None, TaskScope())
    by_function = {f.function: f for f in view.functions}
    assert set(by_function) == {f.name for f in FUNCTIONS}
    assert view.n is not None and 400 < view.n < 800, "a few hundred respondents"
    for planted in FUNCTIONS:
        shown = by_function[planted.name]
        assert shown.candidates[0].key == planted.top_candidate, planted.name
        # A task everyone says loses them no time (hours all 0) is not published at all:
        # "everyone loses 0 hours" tells each person's answer; the page names it as withheld.
        labels = {t.key: t.label for t in planted.tasks}
        assert planted.protect in [t.key for t in shown.protect] or (
            labels[planted.protect] in shown.withheld_tasks
        ), planted.name
        assert shown.teams, "teams large enough are shown"
    support, engineering = by_function["Support"], by_function["Engineering"]
    assert [t.label for t in support.free_tasks] == ["Chasing courier updates"]
    assert support.free_tasks[0].n >= 10
    assert engineering.free_tasks == []  # typed by fewer than 10: never named
    found = {f.function: f for f in personas.functions}
    for planted in FUNCTIONS:
        assert len(found[planted.name].personas) == 2, planted.name
        assert all(p.n >= 5 for p in found[planted.name].personas)
    frontline, specialists = found["Support"].personas
    assert "customer-calls" in [t.key for t in frontline.keeps]
    assert "refund-decisions" in [t.key for t in specialists.keeps]
    assert frontline.playbook.augment[0].key == "ticket-triage"
    builders = found["Engineering"].personas[0]
    assert {t.key for t in builders.playbook.augment} >= {"boilerplate", "test-scaffolding"}
    # system design loses nobody any time (hours all 0): withheld, as on the map
    assert "system-design" not in [t.key for t in builders.playbook.keep]
    assert builders.playbook.keep, "another task to keep is shown"
