"""The shared CSV reader turns every malformed byte sequence into a located input error."""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gaplens.connectors.csv_file import CsvReader
from gaplens.connectors.export_csv import ExportCsv
from gaplens.errors import InputError


def test_a_short_file_cut_inside_a_multibyte_character_is_an_input_error(tmp_path: Path):
    path = tmp_path / "teams.csv"
    path.write_bytes("key,name\nstockholm,Malmö".encode()[:-1])  # cut inside "ö"
    with pytest.raises(InputError) as error:
        list(CsvReader(path, ["key", "name"]))
    assert "not UTF-8" in str(error.value) and "teams.csv" in str(error.value)


def test_a_header_cut_inside_a_multibyte_character_is_an_input_error(tmp_path: Path):
    path = tmp_path / "teams.csv"
    path.write_bytes("key,nämn".encode()[:-3])
    with pytest.raises(InputError) as error:
        CsvReader(path, ["key", "name"])
    assert "not UTF-8" in str(error.value) and "row 1" in str(error.value)


def _outcome(read: Callable[[], list[tuple[int, list[str]]]]) -> object:
    try:
        return read()
    except InputError as error:
        return str(error)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.text(alphabet='ab,"\n\r é', max_size=60), width=st.integers(1, 3))
def test_export_records_read_as_iterating_does_and_keep_each_source_text(
    tmp_path: Path, body: str, width: int
):
    """`records()` (the Jira import's reader) gives exactly the rows and errors of the plain
    iteration, and each record's text, read again on its own, is that record."""
    path = tmp_path / "export.csv"
    path.write_bytes(("\ufeff" + ",".join(f"c{i}" for i in range(width)) + "\r\n" + body).encode())
    try:
        plain = ExportCsv(path)
        kept = ExportCsv(path, keep_text=True)
    except InputError:
        return
    assert _outcome(lambda: list(plain)) == _outcome(
        lambda: [(row, fields) for row, fields, _ in kept.records()]
    )
    kept = ExportCsv(path, keep_text=True)
    with contextlib.suppress(InputError):
        for _, fields, text in kept.records():
            assert list(csv.reader(io.StringIO(text, newline=""))) == [fields]
            with path.open(encoding="utf-8-sig", newline="") as handle:
                assert text in handle.read()


def test_export_record_text_is_the_file_s_own(tmp_path: Path):
    path = tmp_path / "export.csv"
    path.write_bytes(b'a,b\r\n"x, ""1""",2\r\n\r\n"multi\r\nline",3\n4,"5"')
    records = list(ExportCsv(path, keep_text=True).records())
    assert records == [
        (2, ['x, "1"', "2"], '"x, ""1""",2'),
        (4, ["multi\r\nline", "3"], '"multi\r\nline",3'),
        (5, ["4", "5"], '4,"5"'),
    ]
    with pytest.raises(ValueError, match="keep_text"):
        next(ExportCsv(path).records())


@pytest.mark.parametrize(
    ("data", "encoding", "delimiter"),
    [
        ("Id;Name\r\n1;Müller\r\n".encode("cp1252"), "cp1252", ";"),
        ("Id\tName\r\n1\tMüller\r\n".encode(), "utf-8-sig", "\t"),
        (b"\xef\xbb\xbfId,Name\r\n1,M\xc3\xbcller\r\n", "utf-8-sig", ","),
        # a comma inside a quoted name does not make a semicolon file comma-separated
        ('"Id";"Name, full"\r\n1;"€ 5"\r\n'.encode("cp1252"), "cp1252", ";"),
        (b"Id\r\n1\r\n", "utf-8-sig", ","),
    ],
)
def test_export_encoding_and_delimiter_are_detected(
    tmp_path: Path, data: bytes, encoding: str, delimiter: str
):
    path = tmp_path / "export.csv"
    path.write_bytes(data)
    export = ExportCsv(path)
    assert (export.encoding, export.delimiter) == (encoding, delimiter)
    rows = list(export)
    assert rows[0][0] == 2 and rows[0][1][0] == "1"
    if len(export.names) > 1:
        assert rows[0][1][1] in ("Müller", "€ 5")


def test_windows_1252_is_decided_on_the_whole_file_not_its_first_block(tmp_path: Path):
    """The first non-ASCII byte may come after a megabyte of ASCII rows."""
    path = tmp_path / "export.csv"
    ascii_rows = "".join(f"{n},plain\r\n" for n in range(120_000))
    path.write_bytes(("Id,Name\r\n" + ascii_rows + "999,Zoë\r\n").encode("cp1252"))
    assert path.stat().st_size > 1 << 20
    *_, last = ExportCsv(path)
    assert last[1] == ["999", "Zoë"]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"Id,Name\r\n1,\x81\x8d\r\n", "neither UTF-8 nor Windows-1252"),
        # UTF-8 before the bad byte: a damaged UTF-8 file, never re-read as Windows-1252
        ("Id,Name\r\n1,Zoë\r\n2,".encode() + b"\xe9t\xe9\r\n", "not UTF-8 text"),
        (b"\xef\xbb\xbfId,Name\r\n1,\xe9t\xe9\r\n", "not UTF-8 text"),
    ],
)
def test_an_export_in_no_known_encoding_is_refused_with_the_offset(
    tmp_path: Path, data: bytes, expected: str
):
    path = tmp_path / "export.csv"
    path.write_bytes(data)
    with pytest.raises(InputError) as error:
        ExportCsv(path)
    assert "export.csv" in str(error.value) and expected in str(error.value)
    assert "offset" in str(error.value)
