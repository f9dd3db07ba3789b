"""Running the app under uvicorn with the settings gaplens needs (one place for CLI and bench).

With `--workers N > 1` gaplens supervises its own worker processes instead of uvicorn's, and
each worker listens on its own SO_REUSEPORT socket. With uvicorn's workers all processes
accept from one shared socket, and asyncio accepts every pending connection at each wake-up,
so a burst of keep-alive clients lands on whichever worker woke first (a load test measured
64 of 64 connections on one worker, leaving the other core idle). With one socket per worker
the kernel spreads new connections across workers by hash. The supervisor restarts a worker
that dies, and stops them all gracefully on SIGINT or SIGTERM.

Each socket is also created with `proto=IPPROTO_TCP`, which makes asyncio set TCP_NODELAY on
accepted connections (uvicorn #3149: its own multi-worker socket lacks it, costing ~40 ms per
keep-alive response).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import socket
import time
from multiprocessing.process import BaseProcess
from types import FrameType

ASGI_APP = "gaplens.web.main:app"
RESTART_PAUSE_SECONDS = 0.5
QUICK_EXIT_SECONDS = 5.0
QUICK_EXITS_TO_GIVE_UP = 5
"""A worker that keeps dying at start (bad settings, broken database) is not restarted forever."""
STOP_TIMEOUT_SECONDS = 30.0

log = logging.getLogger("gaplens.server")


def _uvicorn_options() -> dict[str, object]:
    return {
        "access_log": False,  # anonymous endpoints must not log addresses; see docs/privacy.md
        "proxy_headers": False,
        "log_level": "warning",
    }


def listening_socket(host: str, port: int, reuse_port: bool) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _worker(app: str, host: str, port: int, app_dir: str | None) -> None:
    """One worker process: its own socket in the port's SO_REUSEPORT group."""
    import sys

    import uvicorn

    if app_dir:
        sys.path.insert(0, app_dir)
    sock = listening_socket(host, port, reuse_port=True)
    config = uvicorn.Config(app, host=host, port=port, **_uvicorn_options())  # type: ignore[arg-type]
    uvicorn.Server(config).run(sockets=[sock])


def run_server(app: str, host: str, port: int, workers: int, app_dir: str | None = None) -> None:
    import uvicorn

    if workers <= 1:
        uvicorn.run(app, host=host, port=port, app_dir=app_dir, **_uvicorn_options())  # type: ignore[arg-type]
        return
    Supervisor(app, host, port, workers, app_dir).run()


class Supervisor:
    """Keeps `workers` processes serving; restarts any that exits while not stopping."""

    def __init__(self, app: str, host: str, port: int, workers: int, app_dir: str | None) -> None:
        self.args = (app, host, port, app_dir)
        self.workers = workers
        self.context = multiprocessing.get_context("spawn")
        self.processes: list[BaseProcess] = []
        self.started: dict[int, float] = {}
        self.quick_exits = 0
        self.stopping = False
        self.failed = False

    def _spawn(self) -> BaseProcess:
        process = self.context.Process(target=_worker, args=self.args, name="gaplens-worker")
        process.start()
        self.started[id(process)] = time.monotonic()
        return process

    def _replace(self, index: int, process: BaseProcess) -> None:
        lived = time.monotonic() - self.started.pop(id(process), 0.0)
        self.quick_exits = self.quick_exits + 1 if lived < QUICK_EXIT_SECONDS else 0
        if self.quick_exits >= QUICK_EXITS_TO_GIVE_UP:
            log.error("workers keep exiting at start (exit code %s); stopping", process.exitcode)
            self.stopping = self.failed = True
            return
        log.warning("worker %s exited with %s; starting a new one", process.pid, process.exitcode)
        self.processes[index] = self._spawn()

    def _stop(self, signum: int, _frame: FrameType | None) -> None:
        self.stopping = True

    def run(self) -> None:
        _, host, port, _ = self.args
        # Hold the port (bound, not listening, so it receives no connections): another
        # program cannot take it between worker restarts, and a busy port fails here, once.
        with listening_socket(host, port, reuse_port=True):
            signal.signal(signal.SIGINT, self._stop)
            signal.signal(signal.SIGTERM, self._stop)
            self.processes = [self._spawn() for _ in range(self.workers)]
            while not self.stopping:
                for index, process in enumerate(self.processes):
                    if not process.is_alive() and not self.stopping:
                        self._replace(index, process)
                time.sleep(RESTART_PAUSE_SECONDS)
            self._shutdown()
        if self.failed:
            raise SystemExit(1)

    def _shutdown(self) -> None:
        """SIGTERM lets uvicorn finish requests and the answer writer flush its queue."""
        for process in self.processes:
            if process.is_alive() and process.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for process in self.processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()


def keep_nagle_off_for_workers() -> None:
    """For bench/bare_app.py --tcp-nodelay with uvicorn's own workers: re-wrap uvicorn's bound
    socket with `proto=IPPROTO_TCP` (as proposed in uvicorn PR #3155)."""
    from uvicorn.config import Config

    if getattr(Config.bind_socket, "_gaplens_nodelay", False):
        return
    original = Config.bind_socket

    def bind_socket(self: Config) -> socket.socket:
        sock = original(self)
        if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto == 0:
            sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
            sock.set_inheritable(True)
        return sock

    bind_socket._gaplens_nodelay = True  # type: ignore[attr-defined]
    Config.bind_socket = bind_socket  # type: ignore[method-assign]
