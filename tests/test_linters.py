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


TOOL_SPEC = importlib.util.spec_from_file_location(
    "tool_tables", Path(__file__).parents[1] / "scripts" / "linters" / "tool_tables.py"
)
assert TOOL_SPEC is not None and TOOL_SPEC.loader is not None
tool_lint = importlib.util.module_from_spec(TOOL_SPEC)
TOOL_SPEC.loader.exec_module(tool_lint)
OWNERS = tool_lint.tool_tables()


def named_tool_tables(path: str, source: str) -> list[str]:
    return [table for table, _ in tool_lint.findings(path, ast.parse(source), OWNERS)]


def test_the_tool_tables_are_read_from_every_tools_module():
    assert OWNERS["copilot_user_day"] == "gaplens/telemetry/"
    assert OWNERS["m365_usage_snapshot"] == "gaplens/telemetry/"
    assert OWNERS["jira_issue"] == "gaplens/work/"
    assert OWNERS["copilot_seat"] == "gaplens/sync/"
    assert "ai_usage_day" not in OWNERS and "work_item" not in OWNERS  # domain tables


@pytest.mark.parametrize(
    "source",
    [
        'rows = session.execute(text("select upn from m365_usage_snapshot"))',
        'table = Base.metadata.tables["copilot_user_day_feature"]',
        'SQL = f"SELECT count(*) FROM jira_issue WHERE day <= {day}"',
    ],
)
def test_sql_text_naming_a_tool_table_outside_its_owner_is_found(source: str):
    assert len(named_tool_tables("gaplens/scorecard/service.py", source)) == 1
    assert len(named_tool_tables("gaplens/web/routes/x.py", source)) == 1


def test_the_owner_docstrings_domain_tables_and_migrations_pass():
    sql = 'rows = session.execute(text("select upn from m365_usage_snapshot"))'
    assert named_tool_tables("gaplens/telemetry/service.py", sql) == []
    assert named_tool_tables("gaplens/db/migrations/versions/0016_x.py", sql) == []
    assert named_tool_tables("gaplens/work/service.py", sql) == ["m365_usage_snapshot"]
    documented = '"""Reads ai_usage_day, never copilot_user_day."""\nx = 1\n"""unlike jira_issue"""'
    assert named_tool_tables("gaplens/metrics/queries.py", documented) == []
    domain = 'q = text("select person_id from ai_usage_day join work_item using (person_id)")'
    assert named_tool_tables("gaplens/metrics/queries.py", domain) == []


def test_no_module_names_another_package_s_tool_table():
    assert tool_lint.scan() == []
