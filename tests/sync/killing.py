"""A real `gaplens sync` process killed with SIGKILL while the fake vendor holds a request: the
one way the sync tests show that a crash at any point loses and duplicates nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Protocol

ROOT = Path(__file__).resolve().parents[2]


class Hanging(Protocol):
    """A fake server whose "hang" fault sets `reached` and then waits for `release`."""

    reached: threading.Event
    release: threading.Event


def kill_sync_while_it_waits(db_url: str, server: Hanging, key: str, log: Path, where: str) -> None:
    """Start `gaplens sync` on `db_url` (this checkout's gaplens, the server key `key`), wait
    until it reaches the hanging request (`where` names it in the failure), `kill -9` it, then
    let the server go on."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-c", "from gaplens.cli import app; app()", "sync", "--db", db_url],
            cwd=ROOT,
            env={**os.environ, "GAPLENS_SECRET_KEY": key},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        reached = server.reached.wait(timeout=120)
        assert reached, f"the sync never reached {where}: {log.read_text()}"
        process.kill()
        process.wait(timeout=30)
    finally:
        server.release.set()
    assert process.returncode == -signal.SIGKILL
