"""Zendesk and ServiceNow parsing without a database: detection, labels, customer data."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gaplens.connectors.tickets_csv import TicketsReader
from gaplens.errors import InputError, ProblemCollector
from tests.files import write_csv
from tests.work.samples import SERVICENOW_LABELS, ZENDESK_HEADER

ZENDESK_ROW = {h: "" for h in ZENDESK_HEADER} | {
    "Id": "7",
    "Requester": "Carol Customer",
    "Requester email": "carol@customer.example",
    "Subject": "My card, my address",
    "Status": "Pending",
    "Created at": "2025-02-03 14:14:00 +0000",
    "Reopens": "2",
}


def read(path: Path, system: str | None = None) -> tuple[list, ProblemCollector, TicketsReader]:
    problems = ProblemCollector(path.name)
    reader = TicketsReader(path, problems, system)
    return list(reader), problems, reader


def test_zendesk_is_detected_and_customer_columns_are_blanked(tmp_path: Path):
    records, problems, reader = read(write_csv(tmp_path / "z.csv", [ZENDESK_ROW], ZENDESK_HEADER))
    assert reader.system == "zendesk" and not problems
    (record,) = records
    assert (
        record.key == "7" and record.status_category == "in_progress" and record.reopen_count == 2
    )
    assert (
        "Carol" not in record.raw
        and "customer.example" not in record.raw
        and "card" not in record.raw
    )
    assert set(record.tool_row) >= {"id", "status", "reopens", "replies"}
    assert not any("carol" in str(v).lower() for v in record.tool_row.values())


@pytest.mark.parametrize("labels", [True, False])
def test_servicenow_field_names_or_labels(tmp_path: Path, labels: bool):
    names = (
        SERVICENOW_LABELS
        if labels
        else [
            "number",
            "opened_at",
            "short_description",
            "caller_id",
            "priority",
            "state",
            "category",
            "assignment_group",
            "assigned_to",
            "sys_updated_on",
            "resolved_at",
            "closed_at",
            "reopen_count",
        ]
    )
    values = [
        "INC001",
        "2025-02-03 14:14:00",
        "Laptop",
        "Carol",
        "3 - Moderate",
        "7",
        "Hardware",
        "Desk",
        "Person 1",
        "",
        "",
        "2025-02-05 10:00:00",
        "1",
    ]
    records, problems, reader = read(
        write_csv(tmp_path / "s.csv", [dict(zip(names, values, strict=True))], names)
    )
    assert reader.system == "servicenow" and not problems
    (record,) = records
    assert record.status_category == "done" and record.resolved_at is not None
    assert record.assignee_refs == ("Person 1",) and "Carol" not in record.raw


def test_ticket_problems_name_row_and_column(tmp_path: Path):
    rows = [
        ZENDESK_ROW | {"Id": "x1"},
        ZENDESK_ROW | {"Created at": "yesterday"},
        ZENDESK_ROW | {"Replies": "-1"},
        ZENDESK_ROW | {"Id": "4²"},  # a digit to str.isdigit, not to int()
        ZENDESK_ROW | {"Replies": "²"},
    ]
    records, problems, _ = read(write_csv(tmp_path / "z.csv", rows, ZENDESK_HEADER))
    assert records == []
    assert {(p.row, p.column) for p in problems.problems} == {
        (2, "Id"),
        (3, "Created at"),
        (4, "Replies"),
        (5, "Id"),
        (6, "Replies"),
    }


def test_unknown_files_and_systems_are_refused(tmp_path: Path):
    with pytest.raises(InputError, match="use --system"):
        read(write_csv(tmp_path / "x.csv", [{"a": "1"}]))
    with pytest.raises(InputError, match="unknown system"):
        read(write_csv(tmp_path / "z.csv", [ZENDESK_ROW], ZENDESK_HEADER), "freshdesk")
    with pytest.raises(InputError, match="required column is missing"):
        read(write_csv(tmp_path / "y.csv", [{"Id": "1", "Created at": "2025-01-01"}]))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cells=st.lists(
        st.fixed_dictionaries(
            {
                h: st.text(max_size=10)
                for h in ("Id", "Status", "Created at", "Reopens", "Solved at")
            }
        ),
        max_size=4,
    ),
    system=st.sampled_from([None, "zendesk", "servicenow"]),
)
def test_fuzzed_ticket_files_give_records_or_input_errors(
    tmp_path: Path, cells: list[dict[str, str]], system: str | None
):
    path = write_csv(
        tmp_path / "f.csv", cells, ["Id", "Status", "Created at", "Reopens", "Solved at"]
    )
    with contextlib.suppress(InputError):
        read(path, system)
