from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from gaplens.db.engine import session_scope
from gaplens.directory.models import Identity, Person, Team
from gaplens.directory.schemas import IdentityKind, RoleLevel
from gaplens.directory.service import import_people, import_teams, person_id
from gaplens.errors import InputError
from tests.files import TEAMS, person, table_counts, write_csv


def load_directory(url: str, folder: Path, people: list[dict[str, str]]) -> None:
    with session_scope(url) as session:
        import_teams(session, write_csv(folder / "teams.csv", TEAMS), "Acme")
        import_people(session, write_csv(folder / "people.csv", people))


def test_people_and_teams_are_imported_with_tree_and_identities(db_url: str, tmp_path: Path):
    load_directory(
        db_url, tmp_path, [person(1), person(2, "manager"), person(3, "executive", "acme")]
    )
    with session_scope(db_url) as session:
        teams = {t.key: t for t in session.scalars(select(Team))}
        assert teams["eng-payments"].parent_id == teams["eng"].id
        assert teams["acme"].parent_id is None
        someone = session.get(Person, person_id("PERSON1@acme.example"))
        assert someone is not None
        assert someone.role_level is RoleLevel.INDIVIDUAL_CONTRIBUTOR
        assert someone.function == "Engineering"  # taken from the team when not given
        kinds = {
            i.kind: i.value
            for i in session.scalars(select(Identity).where(Identity.person_id == someone.id))
        }
        assert kinds == {
            IdentityKind.EMAIL: "person1@acme.example",
            IdentityKind.GITHUB: "gh-person1",
            IdentityKind.JIRA: f"jira{1:020d}",
        }


def test_reimport_changes_nothing_and_updates_what_changed(db_url: str, tmp_path: Path):
    people = [person(n) for n in range(1, 6)]
    load_directory(db_url, tmp_path, people)
    before = table_counts(db_url)
    with session_scope(db_url) as session:
        again = import_people(session, tmp_path / "people.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)
    after = table_counts(db_url)
    assert {k: v for k, v in after.items() if k != "import_run"} == {
        k: v for k, v in before.items() if k != "import_run"
    }
    people[0]["role_level"] = "manager"
    with session_scope(db_url) as session:
        changed = import_people(session, write_csv(tmp_path / "people.csv", people))
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 4)


BAD_PEOPLE = [
    ("role", {"role_level": "boss"}, 3, "role_level", "not a role level"),
    ("team", {"team": "nowhere"}, 3, "team", "unknown team 'nowhere'"),
    ("date", {"ai_licence_date": "03/02/2025"}, 3, "ai_licence_date", "not a date"),
    ("email", {"email": "not-an-email"}, 3, "email", "not an email address"),
    ("duplicate", {"email": "person1@acme.example"}, 3, "email", "already appears in row 2"),
    ("github", {"github_login": "gh-person1"}, 3, "github_login", "already given to the person"),
    ("adoption", {"ai_adoption_date": "2020-01-01"}, 3, "ai_adoption_date", "before the licence"),
]


@pytest.mark.parametrize(
    ("case", "change", "row", "column", "message"), BAD_PEOPLE, ids=[c[0] for c in BAD_PEOPLE]
)
def test_bad_people_rows_are_named_and_nothing_is_written(
    db_url: str,
    tmp_path: Path,
    case: str,
    change: dict[str, str],
    row: int,
    column: str,
    message: str,
):
    with session_scope(db_url) as session:
        import_teams(session, write_csv(tmp_path / "teams.csv", TEAMS))
    before = table_counts(db_url)
    bad = {**person(2), **change}
    path = write_csv(tmp_path / "people.csv", [person(1), bad, person(3)])
    with pytest.raises(InputError) as caught, session_scope(db_url) as session:
        import_people(session, path)
    problem = caught.value.problems[0]
    assert (problem.source, problem.row, problem.column) == ("people.csv", row, column)
    assert message in problem.message
    assert table_counts(db_url) == before


def test_wrong_header_empty_and_binary_files(db_url: str, tmp_path: Path):
    before = table_counts(db_url)
    cases = {
        "renamed.csv": b"key,title,parent\nacme,Acme,\n",
        "empty.csv": b"",
        "binary.csv": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        "latin1.csv": "key,name\ncaf\xe9,Caf\xe9\n".encode("latin-1"),
        "header-only.csv": b"key,name\n",
        "ragged.csv": b"key,name\nacme,Acme,extra\n",
    }
    messages = {
        "renamed.csv": "required column is missing",
        "empty.csv": "empty",
        "binary.csv": "binary file",
        "latin1.csv": "not UTF-8",
        "header-only.csv": "no data rows",
        "ragged.csv": "expected 2 fields, found 3",
    }
    for name, content in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(InputError) as caught, session_scope(db_url) as session:
            import_teams(session, path)
        assert messages[name] in str(caught.value), name
        assert caught.value.problems[0].source == name
    assert table_counts(db_url) == before


def test_team_cycles_and_unknown_parents_are_refused(tmp_path: Path, db_url: str):
    rows = [
        {"key": "a", "name": "A", "parent": "b", "function": ""},
        {"key": "b", "name": "B", "parent": "a", "function": ""},
        {"key": "c", "name": "C", "parent": "zzz", "function": ""},
    ]
    with pytest.raises(InputError) as caught, session_scope(db_url) as session:
        import_teams(session, write_csv(tmp_path / "teams.csv", rows))
    text = str(caught.value)
    assert "row 2, column 'parent': team 'a' is part of a parent cycle" in text
    assert "row 4, column 'parent': unknown parent team 'zzz'" in text


def test_bom_and_case_insensitive_headers_are_accepted(db_url: str, tmp_path: Path):
    path = tmp_path / "teams.csv"
    path.write_bytes("\ufeffKey , Name\r\nacme,Acme\r\n".encode())
    with session_scope(db_url) as session:
        summary = import_teams(session, path)
    assert summary.created == 1


def test_language_column_sets_the_language_and_a_file_without_it_keeps_it(
    db_url: str, tmp_path: Path
):
    people = [{**person(1), "language": "de-CH"}, {**person(2), "language": ""}]
    load_directory(db_url, tmp_path, people)
    with session_scope(db_url) as session:
        languages = dict(session.execute(select(Person.email, Person.language)).all())
    assert languages == {"person1@acme.example": "de-CH", "person2@acme.example": None}
    # An export without the column (an older HR system) leaves the languages as they are.
    with session_scope(db_url) as session:
        import_people(session, write_csv(tmp_path / "people.csv", [person(1), person(2)]))
        assert session.scalar(select(Person.language).where(Person.email == person(1)["email"]))
    too_long = write_csv(tmp_path / "people.csv", [{**person(1), "language": "x" * 65}])
    with pytest.raises(InputError) as error, session_scope(db_url) as session:
        import_people(session, too_long)
    problem = error.value.problems[0]
    assert (problem.row, problem.column) == (2, "language")
    assert "longer than 64 characters" in problem.message
