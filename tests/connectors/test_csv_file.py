"""The shared CSV reader turns every malformed byte sequence into a located input error."""

from __future__ import annotations

from pathlib import Path

import pytest

from gaplens.connectors.csv_file import CsvReader
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
