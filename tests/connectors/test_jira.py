"""Jira parsing without a database: dates, status history rules, CSV and streamed JSON."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gaplens.connectors.jira_json as jira_json
import gaplens.connectors.work_records as work_records
from gaplens.connectors.jira_csv import JiraCsvReader
from gaplens.connectors.jira_json import JiraJsonReader
from gaplens.connectors.work_records import (
    NumericDates,
    Transition,
    derive_history,
    parse_timestamp,
)
from gaplens.errors import InputError, ProblemCollector
from tests.work.samples import JIRA_HEADER, jira_issue, jira_row, write_jira_csv, write_jira_json


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("03/Feb/25 2:14 PM", dt.datetime(2025, 2, 3, 14, 14)),
        ("3/Feb/25 12:05 AM", dt.datetime(2025, 2, 3, 0, 5)),
        ("03/feb/2025 14:14", dt.datetime(2025, 2, 3, 14, 14)),
        ("03/Feb/25", dt.datetime(2025, 2, 3)),
        ("2025-02-03 14:14", dt.datetime(2025, 2, 3, 14, 14)),
        ("2025-02-03T14:14:00.000+0000", dt.datetime(2025, 2, 3, 14, 14)),
        ("2025-02-03T14:14:00.123-0530", dt.datetime(2025, 2, 3, 19, 44, 0, 123000)),
        ("2025-02-03 14:14:00 +0100", dt.datetime(2025, 2, 3, 13, 14)),
        ("2025-02-03T14:14:00Z", dt.datetime(2025, 2, 3, 14, 14)),
        # the month in the exporting user's language, as Java writes it (old and CLDR data)
        ("13/Mär/26 14:05", dt.datetime(2026, 3, 13, 14, 5)),
        ("13/März/26", dt.datetime(2026, 3, 13)),
        ("13/févr./26 14:05", dt.datetime(2026, 2, 13, 14, 5)),
        ("13/FÉVR./2026", dt.datetime(2026, 2, 13)),
        ("01/Okt./26", dt.datetime(2026, 10, 1)),
        ("01/mrt/26", dt.datetime(2026, 3, 1)),
        ("01/dic/26", dt.datetime(2026, 12, 1)),
        ("01/Sept./26 9:05 p.m.", dt.datetime(2026, 9, 1, 21, 5)),
        ("01/мая/26", dt.datetime(2026, 5, 1)),
        # day first with dots
        ("13.02.2026", dt.datetime(2026, 2, 13)),
        ("3.2.26 14:05", dt.datetime(2026, 2, 3, 14, 5)),
        ("13.02.2026 14:05:09", dt.datetime(2026, 2, 13, 14, 5, 9)),
    ],
)
def test_jira_and_ticket_date_formats(text: str, expected: dt.datetime):
    assert parse_timestamp(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2/3/2025 14:14",
        "31/Feb/25 1:00 PM",
        "03/Foo/25",
        "13:00 PM",
        "03/Feb/25 13:00 PM",
        "",
        "31.02.2026",
        "13/Febr/26x",
    ],
)
def test_ambiguous_or_impossible_dates_are_refused(text: str):
    assert parse_timestamp(text) is None


@settings(max_examples=300, deadline=None)
@given(
    dates=st.lists(st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31)), min_size=1, max_size=8),
    day_first=st.booleans(),
    separator=st.sampled_from(["/", "-"]),
)
def test_numeric_dates_are_read_in_the_files_order_or_refused(
    dates: list[dt.date], day_first: bool, separator: str
):
    """Every date of a file is read right when one date shows the order; otherwise exactly
    the dates that read differently in the two orders are refused."""

    def text(day: dt.date) -> str:
        first, second = (day.day, day.month) if day_first else (day.month, day.day)
        return f"{first}{separator}{second}{separator}{day.year}"

    texts = [text(day) for day in dates]
    numeric = NumericDates(lambda: texts)
    decisive = any(day.day > 12 and day.day != day.month for day in dates)
    for day, shown in zip(dates, texts, strict=True):
        parsed = numeric.parse(shown)
        if decisive or day.day == day.month or day.day > 12:
            assert parsed == dt.datetime(day.year, day.month, day.day), shown
        else:
            assert parsed is None and "no date in this file" in str(numeric.problem(shown))


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        st.text(alphabet="0123456789/: \tAPMapmFebJanXyz٣", max_size=24),
        st.builds(
            "{}/{}/{} {}:{:02d} {}".format,
            st.integers(0, 40),
            st.sampled_from(["Feb", "feb", "Jan", "Xyz"]),
            st.sampled_from(["25", "2025", "205"]),
            st.integers(0, 25),
            st.integers(0, 70),
            st.sampled_from(["AM", "pm", "PM", "P", ""]),
        ),
    )
)
def test_the_fast_jira_timestamp_path_agrees_with_the_full_pattern(text: str):
    """The cached day/time halves give exactly what the full patterns give (or defer)."""
    text = text.strip()  # as parse_timestamp passes it on
    fast = work_records._jira_date_time(text)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(work_records, "_jira_date_time", lambda _text: work_records._MISSING)
        full = work_records._parse_timestamp(text)
    if fast is not work_records._MISSING:
        assert fast == full
    assert work_records._parse_timestamp(text) == full


def _moves(*names: str) -> list[Transition]:
    start = dt.datetime(2025, 1, 1)
    return [
        Transition(start + dt.timedelta(hours=i), a, b)
        for i, (a, b) in enumerate(itertools.pairwise(names))
    ]


def test_history_rules():
    straight = derive_history(_moves("To Do", "In Progress", "Done"))
    assert straight.started_at == dt.datetime(2025, 1, 1) and straight.done_at == dt.datetime(
        2025, 1, 1, 1
    )
    assert (straight.reopen_count, straight.rework_count) == (0, 0)
    bounced = derive_history(
        _moves("To Do", "In Progress", "Code Review", "In Progress", "Done", "Reopened", "Done")
    )
    assert (bounced.reopen_count, bounced.rework_count) == (1, 2)
    closed_later = derive_history(_moves("To Do", "Done", "Closed"))
    assert closed_later.started_at is None and closed_later.done_at == dt.datetime(2025, 1, 1)
    reopened = derive_history(_moves("To Do", "In Progress", "Done", "In Progress"))
    assert reopened.done_at is None and reopened.reopen_count == 1
    learned = derive_history(
        _moves("Triage", "Shipping", "Live"), {"live": "done", "triage": "new"}
    )
    assert learned.started_at == dt.datetime(2025, 1, 1, 0)  # unknown names count as in progress


def test_csv_reads_repeated_headers_multiline_fields_and_bom(tmp_path: Path):
    path = write_jira_csv(
        tmp_path / "jira.csv", [jira_row(1), jira_row(2, Sprint1="", Labels2="ux")]
    )
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    problems = ProblemCollector(path.name)
    records = list(JiraCsvReader(path, problems))
    assert not problems
    assert [r.row for r in records] == [2, 3]  # each multi-line record is one row
    assert records[0].tool_row["sprints"] == "PAY Sprint 1\nPAY Sprint 2"
    assert records[1].sprint == "PAY Sprint 2" and records[1].tool_row["labels"] == "backend ux"
    assert records[0].assignee_refs == ("jira00000000000000000001", "Person 1")


def test_csv_start_date_and_story_point_estimate_columns(tmp_path: Path):
    header = [
        "Issue key",
        "Status",
        "Created",
        "Custom field (Story point estimate)",
        "Custom field (Start date)",
        "Status Category",
    ]
    path = write_jira_csv(
        tmp_path / "j.csv",
        [["A-1", "Shipping", "2025-02-03 10:00", "2.5", "04/Feb/25 9:00 AM", "Done"]],
        header,
    )
    (record,) = JiraCsvReader(path, ProblemCollector("j.csv"))
    assert record.story_points == 2.5 and record.status_category == "done"
    assert record.started_at == dt.datetime(2025, 2, 4, 9, 0)


def test_csv_problems_name_row_and_column(tmp_path: Path):
    rows = [jira_row(1, Created=""), jira_row(2, Resolved="soon"), jira_row(3, **{"Issue key": ""})]
    path = write_jira_csv(tmp_path / "j.csv", rows)
    problems = ProblemCollector(path.name)
    assert list(JiraCsvReader(path, problems)) == []
    where = {(p.row, p.column) for p in problems.problems}
    assert where == {(2, "Created"), (3, "Resolved"), (4, "Issue key")}


def test_json_is_streamed_in_small_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(jira_json, "READ_CHARS", 7)
    issues = [jira_issue(n, summary="ü" * n * 30) for n in range(1, 30)]
    path = write_jira_json(tmp_path / "s.json", issues)
    records = list(JiraJsonReader(path, ProblemCollector(path.name)))
    assert [r.key for r in records] == [f"PAY-{n}" for n in range(1, 30)]
    assert records[3].tool_row["summary"] == "ü" * 120


def test_json_story_points_field_comes_from_names(tmp_path: Path):
    issue = jira_issue(1, customfield_10016=None, customfield_12345=8)
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"issues": [issue], "names": {"customfield_12345": "Story Points"}}))
    (record,) = JiraJsonReader(path, ProblemCollector(path.name))
    assert record.story_points == 8.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[]", "found a list"),
        ('{"issues": {}}', "'issues' must be a list"),
        ('{"issues": [', "ends early"),
        ('{"issues": []} {"issues": []}', "extra data"),
        ('{"issues": [] ', "the end of the file"),
        ('{"total": 0}', "no 'issues' list"),
        ('{"issues": []}', "no issues"),
    ],
)
def test_json_structure_errors(tmp_path: Path, text: str, message: str):
    path = tmp_path / "s.json"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        list(JiraJsonReader(path, ProblemCollector(path.name)))
    assert message in str(caught.value) and "s.json" in str(caught.value)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.lists(st.lists(st.text(max_size=12), min_size=0, max_size=22), max_size=4))
def test_fuzzed_csv_rows_give_records_or_input_errors(tmp_path: Path, data: list[list[str]]):
    path = write_jira_csv(tmp_path / "f.csv", data)
    problems = ProblemCollector(path.name)
    with contextlib.suppress(InputError):
        list(JiraCsvReader(path, problems))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=8),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "issues",
                        "key",
                        "fields",
                        "status",
                        "name",
                        "created",
                        "changelog",
                        "histories",
                        "items",
                        "field",
                        "toString",
                    ]
                ),
                inner,
                max_size=4,
            )
        ),
        max_leaves=12,
    ),
    cut=st.integers(min_value=0, max_value=400),
)
def test_fuzzed_json_gives_records_or_input_errors(tmp_path: Path, data: object, cut: int):
    text = json.dumps(data)
    path = tmp_path / "f.json"
    path.write_text(text[: max(1, len(text) - cut % (len(text) + 1))])
    with contextlib.suppress(InputError):
        list(JiraJsonReader(path, ProblemCollector(path.name)))


def test_header_only_csv(tmp_path: Path):
    path = write_jira_csv(tmp_path / "j.csv", [], JIRA_HEADER)
    with pytest.raises(InputError, match="no data rows"):
        list(JiraCsvReader(path, ProblemCollector("j.csv")))
