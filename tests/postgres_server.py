"""A throwaway PostgreSQL cluster on loopback for the test session.

Started from the Debian server binaries (installed by `make test`), in a temporary folder the
`postgres` user can enter, on a free port; stopped and deleted when the session ends. Set
GAPLENS_TEST_POSTGRES_URL to use a server you already run instead.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _pg_bin() -> Path:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    for candidate in reversed(candidates):
        if (candidate / "initdb").exists():
            return candidate
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise RuntimeError(
        "PostgreSQL server binaries not found: run `make test` (it installs Debian's "
        "postgresql) or set GAPLENS_TEST_POSTGRES_URL"
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    existing = os.environ.get("GAPLENS_TEST_POSTGRES_URL")
    if existing:
        yield existing
        return
    pg_bin = _pg_bin()
    folder = Path(tempfile.mkdtemp(prefix="gaplens-pg-", dir="/tmp"))
    folder.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    data = folder / "data"
    port = _free_port()
    run = lambda args: subprocess.run(  # noqa: E731
        _as_postgres(args), check=True, capture_output=True, text=True
    )
    try:
        run(
            [
                str(pg_bin / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            ]
        )
        run(
            [
                str(pg_bin / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(folder / "server.log"),
                "-w",
                "-t",
                "60",
                "-o",
                f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
                "start",
            ]
        )
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    except subprocess.CalledProcessError as error:
        log = folder / "server.log"
        detail = log.read_text() if log.exists() else ""
        raise RuntimeError(f"could not start PostgreSQL: {error.stderr}\n{detail}") from error
    finally:
        subprocess.run(
            _as_postgres(
                [str(pg_bin / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
            ),
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)
