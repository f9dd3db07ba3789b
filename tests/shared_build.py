"""Expensive test worlds built once per test run, shared by every pytest-xdist worker.

A session fixture is per worker: with `-n 2` each worker would build its own copy of the
same demo. `built_once` builds into the run's common temporary folder under a file lock, so
the first worker to ask builds and the others (or later modules on the same worker) reuse
the finished folder. Tests copy what they change (the SQLite file), never write into it.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console

from gaplens.db.engine import dispose_engine
from gaplens.demo.pipeline import run_demo

DONE = ".built"


def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The temporary folder every worker of this run shares (each worker's own basetemp is
    a `popen-gwN` folder inside it); the basetemp itself without xdist."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def built_once(
    tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]
) -> Path:
    """`name`'s folder, built by `build` the first time any worker of this run asks."""
    folder = run_folder(tmp_path_factory) / f"shared-{name}"
    with open(f"{folder}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not (folder / DONE).exists():
            shutil.rmtree(folder, ignore_errors=True)  # a build a crashed worker left half done
            folder.mkdir()
            build(folder)
            (folder / DONE).touch()
    return folder


def _demo_data(out: Path) -> None:
    result = run_demo(400, 1, out, None, Console(quiet=True), write_reports=False)
    dispose_engine(result.database_url)


def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real demo's data at 400 people (every import, release, sync, leader post,
    criterion and win; no report files: the reports never write to the database), built once
    per run. Copy the file before opening it."""
    return built_once(tmp_path_factory, "demo-400", _demo_data) / "gaplens-demo.db"
