"""The Copilot usage parser on its own: detection, field rules, and fuzzing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gaplens.connectors.copilot_usage import (
    LEGACY,
    ORG_REPORT,
    USER_REPORT,
    CopilotOrgRecord,
    CopilotUsageReader,
    CopilotUserRecord,
    parse_user_day,
)
from gaplens.errors import InputError, ProblemCollector
from tests.telemetry.payloads import enterprise_report, legacy_day, user_day


def read(
    path: Path,
) -> tuple[str | None, list[CopilotUserRecord | CopilotOrgRecord], ProblemCollector]:
    problems = ProblemCollector(path.name)
    reader = CopilotUsageReader(path, problems)
    records = [item for _, parsed in reader for item in parsed]
    return reader.kind, records, problems


@pytest.mark.parametrize(
    ("content", "kind", "count"),
    [
        (
            "\n".join(json.dumps(user_day(f"u{i}", "2026-10-01")) for i in range(3)) + "\n",
            USER_REPORT,
            3,
        ),
        (json.dumps([user_day("u", "2026-10-01")], indent=2), USER_REPORT, 1),
        (json.dumps(enterprise_report(["2026-10-01", "2026-10-02"])) + "\n", ORG_REPORT, 2),
        (json.dumps(enterprise_report(["2026-10-01", "2026-10-02"]), indent=1), ORG_REPORT, 2),
        (json.dumps([legacy_day("2024-06-24")] * 3, indent=2), LEGACY, 3),
        ("\ufeff" + json.dumps(user_day("u", "2026-10-01")) + "\r\n\r\n", USER_REPORT, 1),
    ],
)
def test_formats_are_detected(tmp_path: Path, content: str, kind: str, count: int):
    path = tmp_path / "export.json"
    path.write_text(content, encoding="utf-8")
    found, records, problems = read(path)
    assert found == kind and len(records) == count and not problems


def test_a_big_json_list_streams(tmp_path: Path):
    path = tmp_path / "big.json"
    with path.open("w") as handle:
        handle.write("[\n")
        handle.write(",\n".join(json.dumps(user_day(f"u{i}", "2026-10-01")) for i in range(3000)))
        handle.write("\n]\n")
    _, records, _ = read(path)
    assert len(records) == 3000 and records[-1].row == 3001


def test_error_lines_point_into_pretty_json(tmp_path: Path):
    days = [legacy_day("2024-06-24"), {**legacy_day("2024-06-25"), "date": "June 25"}]
    path = tmp_path / "legacy.json"
    path.write_text(json.dumps(days, indent=2))
    _, _, problems = read(path)
    problem = problems.problems[0]
    lines = path.read_text().splitlines()
    assert problem.column == "date" and "June 25" in problem.message
    assert lines[problem.row - 1].strip() == "{"  # type: ignore[operator]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=300))
def test_random_bytes_are_input_errors(tmp_path: Path, data: bytes):
    path = tmp_path / "random.ndjson"
    path.write_bytes(data)
    try:
        read(path)
    except InputError as error:
        assert error.problems


SEEDS = [
    json.dumps(user_day("u", "2026-10-01")) + "\n" + json.dumps(user_day("v", "2026-10-01")),
    json.dumps(enterprise_report(["2026-10-01"]), indent=1),
    json.dumps([legacy_day("2024-06-24")], indent=1),
]


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.sampled_from(SEEDS), data=st.data())
def test_mutated_exports_parse_or_raise_input_error(tmp_path: Path, seed: str, data: st.DataObject):
    raw = seed.encode()
    at = data.draw(st.integers(0, len(raw)))
    mutated = raw[:at] + data.draw(st.binary(max_size=6)) + raw[at + data.draw(st.integers(0, 6)) :]
    path = tmp_path / "mutated.json"
    path.write_bytes(mutated)
    try:
        read(path)
    except InputError as error:
        assert error.problems and all(p.source == "mutated.json" for p in error.problems)


def _general(text: str) -> tuple[list[object], list[str]]:
    """What the general json path makes of one user-report line: records and problems."""
    problems = ProblemCollector("x.ndjson")
    try:
        value = json.loads(text)
    except ValueError:
        return ["not json"], []
    if not isinstance(value, dict):
        return ["not an object"], []
    record = parse_user_day(value, 2, problems)
    return [record] if record is not None else [], [str(p) for p in problems.problems]


JSON_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 2**31 + 3),
    st.sampled_from([2**63, 2**63 - 1, 3.0, 2.5, -1, "7", "2026-10-02", "", " u ", "é" * 101]),
    st.lists(st.integers(0, 5), max_size=2),
    st.just([{"feature": "café", "loc_added_sum": 3}]),
    st.just([{"feature": "", "loc_added_sum": 3}]),
    st.just([{"feature": "chat", "loc_added_sum": 3.0, "code_generation_activity_count": -2}]),
    # a feature listed twice (summed), and long names cut to the column's 64 characters
    st.just(
        [
            {"feature": "chat", "loc_added_sum": 3},
            {"feature": "agent_edit"},
            {"feature": "chat", "code_generation_activity_count": 2, "loc_added_sum": 1},
        ]
    ),
    st.just([{"feature": "f" * 70, "loc_added_sum": 1}, {"feature": "f" * 70, "loc_added_sum": 2}]),
    st.just([{"feature": "f" * 64 + "a", "loc_added_sum": 1}, {"feature": "f" * 64 + "b"}]),
    st.just({"not": "a list"}),
)
FIELDS = [
    "day",
    "user_login",
    "user_id",
    "user_initiated_interaction_count",
    "loc_added_sum",
    "used_agent",
    "used_chat",
    "totals_by_ide",
    "totals_by_feature",
]


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(changes=st.dictionaries(st.sampled_from(FIELDS), JSON_VALUES, max_size=3), data=st.data())
def test_the_fast_user_day_path_agrees_with_the_general_one(
    tmp_path: Path, changes: dict[str, object], data: st.DataObject
):
    """Line 2 onwards is decoded by msgspec; whatever it accepts must be exactly what the
    general path makes of the line, and whatever it refuses is left to the general path."""
    line = user_day("u", "2026-10-02", n=data.draw(st.integers(0, 3)))
    line.update(changes)
    for field in data.draw(st.lists(st.sampled_from(FIELDS), max_size=2)):
        line.pop(field, None)
    text = json.dumps(line)
    path = tmp_path / "x.ndjson"
    path.write_text(json.dumps(user_day("first", "2026-10-01")) + "\n" + text + "\n")
    problems = ProblemCollector(path.name)
    found = [item for _, parsed in CopilotUsageReader(path, problems) for item in parsed][1:]
    expected, expected_problems = _general(text)
    assert found == expected
    assert [str(p) for p in problems.problems] == expected_problems
