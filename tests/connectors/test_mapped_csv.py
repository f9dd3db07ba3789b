"""The TOML mapping file: every mistake in it is named with the file and the key."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gaplens.connectors.mapped_csv import MappedCsvReader, load_mapping
from gaplens.errors import InputError, ProblemCollector
from tests.files import write_csv

GOOD = """
target = "work_items"
source = "linear"
identity = "email"

[columns]
key = "ID"
status = "Status"
created_at = "Created"
person = "Assignee"
story_points = "Estimate"

[formats]
created_at = "%d.%m.%Y %H:%M"

[values]
"Triage" = "todo"
"Shipped" = "done"
"""


def mapping(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "linear.toml"
    path.write_text(text)
    return path


def test_a_good_mapping_loads(tmp_path: Path):
    loaded = load_mapping(mapping(tmp_path, GOOD))
    assert loaded.target == "work_items" and loaded.source == "linear"
    assert loaded.values == {"triage": "todo", "shipped": "done"}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ('target = "work_items"', 'target = "invoices"'),
            "key 'target': 'invoices' is not a target",
        ),
        (('source = "linear"', 'source = "Linear App!"'), "key 'source'"),
        (('identity = "email"', 'identity = "slack"'), "key 'identity'"),
        (
            ('story_points = "Estimate"', 'points = "Estimate"'),
            "key 'columns.points': unknown field",
        ),
        (('status = "Status"\n', ""), "key 'columns.status': required field"),
        (('"%d.%m.%Y %H:%M"', '"%d.%q"'), "key 'formats.created_at'"),
        (('"%d.%m.%Y %H:%M"', '"no directives"'), "key 'formats.created_at'"),
        (('"Shipped" = "done"', '"Shipped" = "finished"'), "key 'values.Shipped'"),
        (
            ('target = "work_items"', 'colour = "red"\ntarget = "work_items"'),
            "key 'colour': unknown key",
        ),
        (('target = "work_items"', 'target = "work_items'), "not valid TOML"),
    ],
)
def test_mapping_mistakes_name_file_and_key(tmp_path: Path, change: tuple[str, str], expected: str):
    with pytest.raises(InputError) as caught:
        load_mapping(mapping(tmp_path, GOOD.replace(*change)))
    assert "linear.toml" in str(caught.value) and expected in str(caught.value)


def test_missing_mapping_file(tmp_path: Path):
    with pytest.raises(InputError, match="mapping file not found"):
        load_mapping(tmp_path / "none.toml")


def test_columns_the_mapping_names_must_be_in_the_csv(tmp_path: Path):
    loaded = load_mapping(mapping(tmp_path, GOOD))
    csv_path = write_csv(
        tmp_path / "issues.csv",
        [{"ID": "1", "Status": "x", "Created": "01.02.2025 10:00", "Owner": ""}],
    )
    with pytest.raises(InputError) as caught:
        MappedCsvReader(csv_path, loaded, ProblemCollector("issues.csv"))
    assert "issues.csv, row 1, column 'Assignee'" in str(caught.value)


def test_rows_are_parsed_with_declared_formats_and_values(tmp_path: Path):
    loaded = load_mapping(mapping(tmp_path, GOOD))
    csv_path = write_csv(
        tmp_path / "issues.csv",
        [
            {
                "ID": "LIN-1",
                "Status": "Shipped",
                "Created": "01.02.2025 10:00",
                "Assignee": "a@x.example",
                "Estimate": "2",
            },
            {
                "ID": "LIN-2",
                "Status": "Triage",
                "Created": "2025-02-01",
                "Assignee": "",
                "Estimate": "lots",
            },
        ],
    )
    problems = ProblemCollector("issues.csv")
    reader = MappedCsvReader(csv_path, loaded, problems)
    (first,) = list(reader)
    assert first.values["story_points"] == 2.0 and reader.status_category("Shipped") == "done"
    assert {(p.row, p.column) for p in problems.problems} == {(3, "Created"), (3, "Estimate")}


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=200))
def test_fuzzed_mapping_files_load_or_raise_input_errors(tmp_path: Path, text: str):
    with contextlib.suppress(InputError):
        load_mapping(mapping(tmp_path, text))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cells=st.lists(st.lists(st.text(max_size=10), min_size=5, max_size=5), max_size=4))
def test_fuzzed_mapped_rows_give_rows_or_input_errors(tmp_path: Path, cells: list[list[str]]):
    loaded = load_mapping(mapping(tmp_path, GOOD))
    header = ["ID", "Status", "Created", "Assignee", "Estimate"]
    csv_path = write_csv(
        tmp_path / "f.csv", [dict(zip(header, c, strict=True)) for c in cells], header
    )
    with contextlib.suppress(InputError):
        list(MappedCsvReader(csv_path, loaded, ProblemCollector("f.csv")))
