"""Benchmark: import N survey responses, as a ratio to plain sqlite3.executemany.

Both sides write the same rows into the same migrated schema in one transaction. The
reference gets the rows already parsed (built outside its timing), so the ratio is the whole
cost of gaplens's import — reading the CSV, validating every field, hashing ids, batching —
over the bare cost of inserting. Goal: within 3x.

    python bench/import_responses.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import csv
import platform
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

from gaplens.db.engine import dispose_engine, session_scope
from gaplens.db.migrate import upgrade
from gaplens.demo.generator import generate_organisation, write_demo_files
from gaplens.directory.service import import_people, import_teams
from gaplens.surveys.service import import_responses


def write_responses(source: Path, target: Path, rows: int) -> None:
    """Repeat a synthetic organisation's responses with fresh ids up to `rows`."""
    with source.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        template = list(reader)
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for n in range(rows):
            row = list(template[n % len(template)])
            row[0] = f"R_{n:012d}"
            writer.writerow(row)


def prepared_database(folder: Path, name: str, files) -> str:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{folder / name}"
    upgrade(url)
    with session_scope(url) as session:
        import_teams(session, files.teams, "Bench")
        import_people(session, files.people)
    return url


def gaplens_import(url: str, path: Path) -> tuple[float, int, int]:
    started = time.perf_counter()
    with session_scope(url) as session:
        result = import_responses(session, path, "bench")
    return time.perf_counter() - started, result.responses, result.answers


def reference_rows(url: str) -> tuple[list[tuple], list[tuple]]:  # type: ignore[type-arg]
    """The rows gaplens wrote, read back: exactly what the reference inserts."""
    path = url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as connection:
        responses = connection.execute("SELECT * FROM survey_response").fetchall()
        answers = connection.execute("SELECT * FROM survey_answer").fetchall()
    return responses, answers


def executemany_import(path: str, responses: list[tuple], answers: list[tuple]) -> float:  # type: ignore[type-arg]
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA foreign_keys=ON")
    started = time.perf_counter()
    with connection:
        connection.executemany(
            f"INSERT INTO survey_response VALUES ({','.join('?' * len(responses[0]))})", responses
        )
        connection.executemany(
            f"INSERT INTO survey_answer VALUES ({','.join('?' * len(answers[0]))})", answers
        )
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = write_demo_files(generate_organisation(people=20_000, seed=3), folder)
        big = folder / "responses-big.csv"
        write_responses(files.responses, big, args.rows)
        size_mb = big.stat().st_size / 1e6

        ours_url = prepared_database(folder, "ours.db", files)
        ours, responses_n, answers_n = gaplens_import(ours_url, big)
        responses, answers = reference_rows(ours_url)
        dispose_engine(ours_url)

        reference_path = folder / "reference.db"
        shutil.copyfile(ours_url.removeprefix("sqlite:///"), reference_path)
        with sqlite3.connect(reference_path) as connection:  # same survey, bank and teams
            connection.execute("DELETE FROM survey_answer")
            connection.execute("DELETE FROM survey_response")
        sqlite3.connect(reference_path).execute("VACUUM").connection.close()
        reference = executemany_import(str(reference_path), responses, answers)

    print(
        f"machine: {platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}, sqlite {sqlite3.sqlite_version}"
    )
    print(
        f"file: {args.rows:,} responses, {size_mb:.0f} MB CSV -> "
        f"{responses_n:,} response rows + {answers_n:,} answer rows"
    )
    print(f"gaplens import responses: {ours:.1f} s ({responses_n / ours:,.0f} responses/s)")
    print(f"sqlite3.executemany of the same pre-parsed rows: {reference:.1f} s")
    print(f"ratio: {ours / reference:.2f}x (goal: within 3x)")


if __name__ == "__main__":
    main()
