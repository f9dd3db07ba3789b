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
