"""The Microsoft 365 Copilot user-detail parser on its own, and fuzzing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gaplens.connectors.m365_copilot import M365Period, M365Record, M365UsageReader
from gaplens.errors import InputError, ProblemCollector
from tests.telemetry.payloads import m365_user, write_m365_csv, write_m365_json

USERS = [
    m365_user(
        "A@acme.example",
        "2026-11-01",
        "2026-10-31",
        {"teams": "2026-10-31", "copilot_chat": "2026-10-02"},
    ),
    m365_user("b@acme.example", "2026-11-01", "", {}),
]


def read(path: Path) -> list[M365Record]:
    problems = ProblemCollector(path.name)
    records = [r for _, _, r in M365UsageReader(path, problems) if r is not None]
    problems.raise_if_any()
    return records


def test_csv_and_json_read_the_same(tmp_path: Path):
    from_csv = read(write_m365_csv(tmp_path / "u.csv", USERS))
    from_json = read(write_m365_json(tmp_path / "u.json", USERS))
    strip = [(r.refresh_date, r.upn, r.last_activity, r.apps) for r in from_csv]
    assert strip == [(r.refresh_date, r.upn, r.last_activity, r.apps) for r in from_json]
    first = from_csv[0]
    assert first.upn == "a@acme.example" and first.apps["teams"] == dt.date(2026, 10, 31)
    assert first.apps["copilot_chat"] == dt.date(2026, 10, 2) and first.apps["word"] is None
    assert from_csv[1].last_activity is None


def test_null_dates_and_lowercase_property_names_are_accepted(tmp_path: Path):
    path = tmp_path / "u.json"
    path.write_text(
        '{"value":[{"reportRefreshDate":"2026-11-01","userPrincipalName":"c@acme.example",'
        '"lastActivityDate":null,"powerpointCopilotLastActivityDate":"2026-10-03"}]}'
    )
    (record,) = read(path)
    assert record.apps["powerpoint"] == dt.date(2026, 10, 3) and record.last_activity is None


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(as_json=st.booleans(), data=st.data())
def test_mutated_exports_parse_or_raise_input_error(
    tmp_path: Path, as_json: bool, data: st.DataObject
):
    seed = (write_m365_json if as_json else write_m365_csv)(tmp_path / "seed", USERS).read_bytes()
    at = data.draw(st.integers(0, len(seed)))
    mutated = (
        seed[:at] + data.draw(st.binary(max_size=6)) + seed[at + data.draw(st.integers(0, 6)) :]
    )
    path = tmp_path / "mutated.csv"
    path.write_bytes(mutated)
    try:
        read(path)
    except InputError as error:
        assert error.problems and all(p.source == "mutated.csv" for p in error.problems)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=200))
def test_random_bytes_are_input_errors(tmp_path: Path, data: bytes):
    path = tmp_path / "random.csv"
    path.write_bytes(data)
    try:
        read(path)
    except InputError as error:
        assert error.problems


def test_count_columns_carry_their_period_or_take_the_rows(tmp_path: Path):
    """Counts per period in a CSV (a period in each column's name, else the row's `Report
    Period`) and in JSON (in each `copilotActivityUserDetailsByPeriod` entry, else at the top
    level for `reportPeriod`)."""
    path = tmp_path / "v2.csv"
    path.write_text(
        "Report Refresh Date,User Principal Name,Last Activity Date,Report Period,"
        "Prompts Submitted (Last 7 days),Active Days (D30),Prompts submitted in Copilot Chat (web)\n"
        "2026-11-01,a@acme.example,2026-10-30,90,5,12,3\n",
        encoding="utf-8",
    )
    (record,) = read(path)
    assert record.periods == (
        M365Period(7, prompts=5),
        M365Period(30, active_days=12),
        M365Period(90, chat_web_prompts=3),
    )
    path = tmp_path / "v2.json"
    path.write_text(
        '{"value":[{"reportRefreshDate":"2026-11-01","userPrincipalName":"a@acme.example",'
        '"lastActivityDate":"","reportPeriod":"D30","promptsSubmitted":"17","activeUsageDays":4}]}'
    )
    (record,) = read(path)
    assert record.periods == (M365Period(30, prompts=17, active_days=4),)
