"""The architecture rules `make test` enforces catch what they are meant to catch."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

SPEC = importlib.util.spec_from_file_location(
    "privacy_door", Path(__file__).parents[1] / "scripts" / "linters" / "privacy_door.py"
)
assert SPEC is not None and SPEC.loader is not None
door = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(door)


def rules(path: str, source: str) -> list[str]:
    return [rule for rule, _ in door.findings(path, ast.parse(source))]


@pytest.mark.parametrize(
    "source",
    [
        "shown = n >= policy.min_group_size",
        "k = gate.policy.min_group_size\nif len(members) < k: pass",
        "ok = MIN_GROUP_SIZE_FLOOR <= n",
        "visible = gate.count_is_shown(n)",
        "visible = group_is_shown(n, policy)",
    ],
)
def test_a_threshold_decided_outside_the_gate_is_found(source: str):
    assert rules("gaplens/feedback/service.py", source) == ["threshold-compare"]


def test_adapters_may_not_build_a_policy_or_import_models():
    source = "from gaplens.surveys.models import Survey\nPOLICY = PrivacyPolicy()\n"
    assert sorted(rules("gaplens/web/routes/x.py", source)) == [
        "adapter-imports-model",
        "adapter-policy",
    ]
    assert rules("gaplens/report/service.py", source) == []


@pytest.mark.parametrize(
    "source",
    [
        "from gaplens.surveys.models import Survey",
        "import gaplens.surveys.models",
        "import gaplens.surveys.models as tables",
        "from gaplens.surveys import models",
        "from gaplens.surveys import models as tables, service",
        "def page():\n    from gaplens.directory.models import Person",
    ],
)
def test_every_spelling_of_a_model_import_in_an_adapter_is_found(source: str):
    assert rules("gaplens/web/routes/x.py", source) == ["adapter-imports-model"]
    assert rules("gaplens/cli.py", source) == ["adapter-imports-model"]
    assert rules("gaplens/surveys/service.py", source) == []


@pytest.mark.parametrize(
    "source",
    [
        "from gaplens.accounts.schemas import StaffRole",
        "from gaplens.directory import queries",
        "import gaplens.modelling.service",
        "from gaplens.modelling import service",
        "from gaplens.metrics.models_view import x",
    ],
)
def test_imports_of_what_is_not_a_table_module_pass(source: str):
    assert rules("gaplens/web/routes/x.py", source) == []


def test_no_adapter_imports_a_model():
    """The allowance for adapters is spent: none may import a table module again."""
    current = door.counts(door.scan())
    assert [key for key in current if key[1] == "adapter-imports-model"] == []
    assert [key for key in door.read_allowance() if key[1] == "adapter-imports-model"] == []


def test_the_tree_keeps_within_its_allowance():
    current = door.counts(door.scan())
    allowed = door.read_allowance()
    assert all(current[key] <= allowed.get(key, 0) for key in current)
