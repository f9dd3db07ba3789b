"""Benchmark: anonymous answer submission (`POST /api/v1/responses`) under load.

Starts, each in turn and with the same uvicorn settings and worker count, a bare FastAPI
no-op endpoint (bench/bare_app.py, the reference) and `gaplens serve`, warms each up, then
sends a fixed number of POSTs at a fixed concurrency (closed loop: every connection sends
its next request as soon as the previous answer arrives) and reports requests/s, p50 and p99
latency and every answer that was not 201. Afterwards it counts the rows in survey_response
to check that every acknowledged (201) answer was stored. Goal: >= 1,000 req/s, p99 < 50 ms.

The load generator is a small HTTP/1.1 keep-alive client written on asyncio's transport
layer (httpx costs several times more CPU per request than this). It runs on the same
machine as the server and the database, so it takes CPU from them; the bare endpoint's
figure shows the ceiling of this setup, and the loader's own CPU use is printed.

    python bench/answer_load.py [--backend postgresql|sqlite|both] [--requests 10000]
                                [--concurrency 64] [--workers 2] [--listener shipped|stock|both]

`gaplens serve` (and bench/bare_app.py, which serves the reference the same way) works around
uvicorn issue #3149 (TCP_NODELAY off on accepted sockets with several workers, see
gaplens/web/server.py). `--listener stock` serves both apps with uvicorn's stock listener
instead (bench/bare_app.py --stock-listener), to show how
much of the latency is that server issue rather than gaplens.

Needs root (or the postgres user) for the throwaway PostgreSQL cluster (Debian
postgresql-15 binaries). Everything started is stopped and every temp dir removed on exit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import http.client
import json
import math
import multiprocessing
import os
import platform
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PYTHON = sys.executable
GAPLENS = str(Path(sys.executable).with_name("gaplens"))
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
GOAL_RPS = 1000.0
GOAL_P99_MS = 50.0

ANSWER = {
    "link": "",
    "role_level": "individual_contributor",
    "team": None,
    "ai_tenure": "6+",
    "answers": {
        "productivity_impact": "some gains",
        "decision_involvement": "agree",
        "perceived_speedup": "12",
        "shadow_tools": ["sanctioned tools"],
    },
}

# Outcome codes besides HTTP statuses.
CONNECT_FAILED = -1
CONNECTION_LOST = 0
TIMED_OUT = -2
OUTCOME_NAMES = {
    CONNECT_FAILED: "connect failed",
    CONNECTION_LOST: "connection lost",
    TIMED_OUT: "timed out",
}


# --------------------------------------------------------------------------- machine


def machine_lines() -> list[str]:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kib / 1024 / 1024:.0f} GiB RAM"
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return [
        f"date: {now}",
        f"machine: {platform.platform()}, {model}, {os.cpu_count()} CPUs ({usable} usable){mem}",
        f"python: {platform.python_implementation()} {platform.python_version()}, "
        f"sqlite {sqlite3.sqlite_version}",
    ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --------------------------------------------------------------------------- processes


def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may hold spaces: split after its closing parenthesis
    return [str(pid), "comm", *raw[raw.rindex(")") + 2 :].split()]


def descendants(root: int) -> list[int]:
    """Live (non-zombie) descendants of `root`, found by scanning /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        fields = _stat(int(entry))
        if fields is None or fields[2] == "Z":
            continue
        children.setdefault(int(fields[3]), []).append(int(entry))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """user+system CPU seconds per pid (pids that vanished are left out)."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in pids:
        fields = _stat(pid)
        if fields is not None:
            out[pid] = (int(fields[13]) + int(fields[14])) / tick
    return out


def cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(value - before.get(pid, 0.0) for pid, value in after.items())


def tail(path: Path, lines: int = 25) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""


def tcp_inodes(server_port: int, state: str) -> set[str]:
    """Inodes of 127.0.0.1:server_port sockets in a /proc/net/tcp state (01 = established,
    0A = listening)."""
    local = f"0100007F:{server_port:04X}"
    found = set()
    with contextlib.suppress(OSError):
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            parts = line.split()
            if parts[1] == local and parts[3] == state:
                found.add(parts[9])
    return found


def connections_per_worker(server_port: int, workers: list[int]) -> dict[int, int]:
    inodes = {f"socket:[{i}]" for i in tcp_inodes(server_port, "01")}
    counts = {}
    for pid in workers:
        n = 0
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                        n += 1
        counts[pid] = n
    return counts


class Server:
    """A uvicorn-based server started in its own process group; stop() ends the group."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], port: int, log: Path):
        self.name, self.argv, self.env, self.port, self.log_path = name, argv, env, port, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                self.argv,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def workers(self) -> list[int]:
        """Live uvicorn worker processes (multiprocessing spawn children of the master)."""
        found = []
        for pid in descendants(self.pid):
            fields = _stat(pid)
            if fields is None or int(fields[3]) != self.pid:
                continue
            with contextlib.suppress(OSError):
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
                if b"spawn_main" in cmd:
                    found.append(pid)
        return sorted(found)

    def all_pids(self) -> list[int]:
        return [self.pid, *descendants(self.pid)]

    def wait_ready(
        self,
        method: str,
        path: str,
        body: bytes | None,
        ok: set[int],
        workers: int,
        timeout: float = 60.0,
    ) -> None:
        deadline = time.monotonic() + timeout
        while True:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.proc.returncode}:\n{tail(self.log_path)}"
                )
            status = http_status(self.port, method, path, body, timeout=2.0)
            # a single worker is served by the uvicorn process itself, no children
            if status in ok and len(self.workers()) == (workers if workers > 1 else 0):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{self.name} not ready after {timeout:.0f} s "
                    f"(last answer {status}):\n{tail(self.log_path)}"
                )
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc is None:
            return
        pgid = self.proc.pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=15)
        # whatever is left of the group (a master that hung, orphaned workers)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        self.proc = None


def http_status(
    port: int, method: str, path: str, body: bytes | None, timeout: float = 5.0
) -> int | None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        connection.close()


class PostgresCluster:
    """A throwaway PostgreSQL cluster on a free loopback port (docs: /work/shared/STACK.md)."""

    def __init__(self, fsync: bool = True) -> None:
        self.fsync = fsync
        self.dir: Path | None = None
        self.port = free_port()
        self.started = False

    def _as_postgres(self, argv: list[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="gaplens-bench-pg-", dir="/tmp"))
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        data = self.dir / "data"
        subprocess.run(
            self._as_postgres(
                [
                    str(PG_BIN / "initdb"),
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
            ),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
            f"-c fsync={'on' if self.fsync else 'off'} -c max_connections=200"
        )
        subprocess.run(
            self._as_postgres(
                [
                    str(PG_BIN / "pg_ctl"),
                    "-D",
                    str(data),
                    "-l",
                    str(self.dir / "server.log"),
                    "-w",
                    "-t",
                    "30",
                    "-o",
                    options,
                    "start",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.started = True

    def postmaster_pid(self) -> int | None:
        assert self.dir is not None
        with contextlib.suppress(OSError, ValueError, IndexError):
            return int((self.dir / "data" / "postmaster.pid").read_text().split()[0])
        return None

    def all_pids(self) -> list[int]:
        pid = self.postmaster_pid()
        return [pid, *descendants(pid)] if pid else []

    def stop(self) -> None:
        if self.dir is None:
            return
        if self.started:
            subprocess.run(
                self._as_postgres(
                    [
                        str(PG_BIN / "pg_ctl"),
                        "-D",
                        str(self.dir / "data"),
                        "-m",
                        "immediate",
                        "-w",
                        "stop",
                    ]
                ),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=False,
            )
            self.started = False
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None


def count_rows(url: str, table: str = "survey_response") -> int:
    if url.startswith("sqlite:///"):
        with contextlib.closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as db:
            return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as db:
        row = db.execute(f"SELECT count(*) FROM {table}").fetchone()
        assert row is not None
        return int(row[0])


def open_link(db_url: str, env: dict[str, str], log: Path) -> str:
    done = subprocess.run(
        [GAPLENS, "survey", "open-link", "Bench", "--db", db_url],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    with log.open("a") as handle:
        handle.write(done.stdout + done.stderr)
    if done.returncode != 0:
        raise RuntimeError(f"gaplens survey open-link failed:\n{done.stdout}{done.stderr}")
    return done.stdout.strip().splitlines()[-1].rstrip("/").rsplit("/", 1)[-1]


def server_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        GAPLENS_RESPONSES_PER_HOUR="100000000", GAPLENS_INSECURE_COOKIES="1", PYTHONUNBUFFERED="1"
    )
    return env


def gaplens_server(db_url: str, port: int, workers: int, log: Path) -> Server:
    return Server(
        "gaplens",
        [
            GAPLENS,
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--db",
            db_url,
        ],
        server_env(),
        port,
        log,
    )


def bare_server(port: int, workers: int, log: Path) -> Server:
    return Server(
        "bare app",
        [
            PYTHON,
            str(BENCH_DIR / "bare_app.py"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        server_env(),
        port,
        log,
    )


@contextlib.contextmanager
def terminated_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM/SIGHUP into SystemExit so every `finally` cleanup runs."""

    def bail(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = {s: signal.signal(s, bail) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


# --------------------------------------------------------------------------- load generator


def request_bytes(port: int, path: str, body: bytes) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


class _Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes, bool]] | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.waiter is not None and not self.waiter.done():
            self._parse()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError(f"connection lost ({exc})"))

    def _parse(self) -> None:
        buffer = self.buffer
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(buffer[:end]).lower()
        at = head.find(b"\r\ncontent-length:")
        assert self.waiter is not None
        if at < 0:
            self.waiter.set_exception(ConnectionError("answer without content-length"))
            return
        stop = head.find(b"\r\n", at + 2)
        length = int(head[at + 17 : stop if stop >= 0 else None])
        total = end + 4 + length
        if len(buffer) < total:
            return
        body = bytes(buffer[end + 4 : total])
        del buffer[:total]
        self.waiter.set_result((int(head[9:12]), body, b"\r\nconnection: close" not in head))

    def close(self) -> None:
        if self.transport is not None:
            self.transport.abort()
        self.closed = True


@dataclass
class LoadResult:
    starts: list[float] = field(default_factory=list)  # perf_counter (CLOCK_MONOTONIC)
    ends: list[float] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    indexes: list[int] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)  # only the non-201 answers' bodies
    loader_cpu: float = 0.0
    hit_time_limit: bool = False

    def extend(self, other: LoadResult) -> None:
        self.starts += other.starts
        self.ends += other.ends
        self.statuses += other.statuses
        self.indexes += other.indexes
        self.bodies += other.bodies
        self.loader_cpu += other.loader_cpu
        self.hit_time_limit |= other.hit_time_limit


async def _load(
    port: int,
    path: str,
    body_for: Callable[[int], bytes] | bytes,
    indexes: range,
    concurrency: int,
    deadline: float,
    timeout: float,
    stop: threading.Event | None,
) -> LoadResult:
    loop = asyncio.get_running_loop()
    result = LoadResult()
    fixed = request_bytes(port, path, body_for) if isinstance(body_for, bytes) else None
    todo = iter(indexes)
    perf = time.perf_counter

    def expire(future: asyncio.Future[tuple[int, bytes, bool]]) -> None:
        if not future.done():
            future.set_exception(TimeoutError())

    async def client() -> None:
        connection: _Connection | None = None
        try:
            for i in todo:
                if perf() > deadline:
                    result.hit_time_limit = True
                    return
                if stop is not None and stop.is_set():
                    return
                data = fixed if fixed is not None else request_bytes(port, path, body_for(i))  # type: ignore[operator]
                started = perf()
                if connection is None or connection.closed:
                    try:
                        _, connection = await asyncio.wait_for(
                            loop.create_connection(_Connection, "127.0.0.1", port), timeout
                        )
                    except (OSError, TimeoutError):
                        connection = None
                        result.starts.append(started)
                        result.ends.append(perf())
                        result.statuses.append(CONNECT_FAILED)
                        result.indexes.append(i)
                        await asyncio.sleep(0.01)
                        continue
                assert connection is not None
                future: asyncio.Future[tuple[int, bytes, bool]] = loop.create_future()
                connection.waiter = future
                timer = loop.call_later(timeout, expire, future)
                assert connection.transport is not None
                connection.transport.write(data)
                try:
                    status, body, keep = await future
                except ConnectionError:
                    status, body, keep = CONNECTION_LOST, b"", False
                except TimeoutError:
                    status, body, keep = TIMED_OUT, b"", False
                finally:
                    timer.cancel()
                    connection.waiter = None
                result.starts.append(started)
                result.ends.append(perf())
                result.statuses.append(status)
                result.indexes.append(i)
                if status != 201:
                    result.bodies.append(body[:300])
                if not keep:
                    connection.close()
                    connection = None
        finally:
            if connection is not None:
                connection.close()

    cpu = time.process_time()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    result.loader_cpu = time.process_time() - cpu
    return result


def run_load(
    port: int,
    path: str,
    body_for: Callable[[int], bytes] | bytes,
    total: int,
    concurrency: int,
    max_seconds: float,
    timeout: float = 10.0,
    stop: threading.Event | None = None,
    first_index: int = 0,
    step: int = 1,
) -> LoadResult:
    """Send `total` POSTs over `concurrency` keep-alive connections in this process (closed
    loop). Stops early once `max_seconds` have passed or `stop` is set."""
    indexes = range(first_index, first_index + total * step, step)
    deadline = time.perf_counter() + max_seconds
    return asyncio.run(_load(port, path, body_for, indexes, concurrency, deadline, timeout, stop))


def _child(queue: multiprocessing.Queue, barrier: object, args: tuple) -> None:  # type: ignore[type-arg]
    barrier.wait()  # type: ignore[attr-defined]
    queue.put(run_load(*args))


def load(
    port: int,
    path: str,
    body: bytes,
    total: int,
    concurrency: int,
    max_seconds: float,
    procs: int = 1,
    timeout: float = 10.0,
) -> LoadResult:
    """run_load spread over `procs` loader processes (forked), results merged."""
    if procs <= 1:
        return run_load(port, path, body, total, concurrency, max_seconds, timeout)
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    barrier = context.Barrier(procs)
    children = []
    for k in range(procs):
        share = total // procs + (1 if k < total % procs else 0)
        conns = concurrency // procs + (1 if k < concurrency % procs else 0)
        args = (port, path, body, share, max(conns, 1), max_seconds, timeout, None, k, procs)
        child = context.Process(target=_child, args=(queue, barrier, args), daemon=True)
        child.start()
        children.append(child)
    merged = LoadResult()
    try:
        for _ in children:
            merged.extend(queue.get(timeout=max_seconds + timeout + 60))
    finally:
        for child in children:
            child.join(timeout=5)
            if child.is_alive():
                child.kill()
                child.join()
    return merged


# --------------------------------------------------------------------------- figures


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    # nearest rank: the smallest value with at least q of the values at or below it
    rank = max(0, min(len(sorted_values) - 1, math.ceil(q * len(sorted_values) - 1e-9) - 1))
    return sorted_values[rank]


@dataclass
class RunFigures:
    target: str
    backend: str
    sent: int
    wall: float
    rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    acknowledged: int
    errors: int
    outcomes: Counter[int]
    error_samples: list[bytes]
    loader_cpu: float
    server_cpu: float
    db_cpu: float
    hit_time_limit: bool
    stored: int | None = None
    machine_busy: float = float("nan")


def figures(
    target: str, backend: str, result: LoadResult, server_cpu: float, db_cpu: float
) -> RunFigures:
    latencies = sorted(e - s for s, e in zip(result.starts, result.ends, strict=True))
    wall = (max(result.ends) - min(result.starts)) if result.ends else 0.0
    outcomes = Counter(result.statuses)
    acknowledged = outcomes.get(201, 0)
    return RunFigures(
        target=target,
        backend=backend,
        sent=len(result.statuses),
        wall=wall,
        rps=len(result.statuses) / wall if wall else 0.0,
        p50_ms=percentile(latencies, 0.50) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        max_ms=(latencies[-1] * 1000) if latencies else float("nan"),
        acknowledged=acknowledged,
        errors=len(result.statuses) - acknowledged,
        outcomes=outcomes,
        error_samples=sorted(set(result.bodies))[:5],
        loader_cpu=result.loader_cpu,
        server_cpu=server_cpu,
        db_cpu=db_cpu,
        hit_time_limit=result.hit_time_limit,
    )


def outcome_text(outcomes: Counter[int]) -> str:
    return ", ".join(
        f"{OUTCOME_NAMES.get(code, str(code))}: {n:,}" for code, n in sorted(outcomes.items())
    )


# --------------------------------------------------------------------------- one target


def machine_busy() -> tuple[int, int]:
    """(total, idle) jiffies of the whole machine, from /proc/stat."""
    values = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(values), values[3] + values[4]


def warm_up(server: Server, path: str, body: bytes, args: argparse.Namespace) -> None:
    if not args.warmup:
        return
    warm = load(
        server.port,
        path,
        body,
        args.warmup,
        args.concurrency,
        30.0,
        args.loader_procs,
        args.timeout,
    )
    bad = Counter(s for s in warm.statuses if s != 201)
    print(
        f"  warm-up: {len(warm.statuses):,} requests"
        + (f" (not 201: {outcome_text(bad)})" if bad else ""),
        flush=True,
    )


def measure(
    server: Server,
    target: str,
    backend: str,
    path: str,
    body: bytes,
    args: argparse.Namespace,
    db_pids: Callable[[], list[int]] = list,
) -> RunFigures:
    server_before = cpu_seconds(server.all_pids())
    db_before = cpu_seconds(db_pids())
    machine_before = machine_busy()
    spread: dict[int, int] = {}
    sampler = threading.Timer(
        2.0,
        lambda: spread.update(
            connections_per_worker(server.port, server.workers() or [server.pid])
        ),
    )
    sampler.start()
    result = load(
        server.port,
        path,
        body,
        args.requests,
        args.concurrency,
        args.max_seconds,
        args.loader_procs,
        args.timeout,
    )
    total, idle = (a - b for a, b in zip(machine_busy(), machine_before, strict=True))
    run = figures(
        target,
        backend,
        result,
        cpu_delta(server_before, cpu_seconds(server.all_pids())),
        cpu_delta(db_before, cpu_seconds(db_pids())),
    )
    sampler.cancel()
    run.machine_busy = 1 - idle / total if total else float("nan")
    print(
        f"  {run.sent:,} requests in {run.wall:.1f} s: {run.rps:,.0f} req/s, "
        f"p50 {run.p50_ms:.1f} ms, p99 {run.p99_ms:.1f} ms, max {run.max_ms:.0f} ms; "
        f"{outcome_text(run.outcomes)}; machine CPU busy {run.machine_busy:.0%}",
        flush=True,
    )
    if spread:
        print(
            "  load generator connections per worker 2 s into the run: "
            + ", ".join(f"worker {pid}: {n}" for pid, n in spread.items()),
            flush=True,
        )
    if run.hit_time_limit:
        print(
            f"  stopped by the {args.max_seconds:.0f} s time limit before "
            f"{args.requests:,} requests",
            flush=True,
        )
    for sample in run.error_samples:
        print(f"  sample non-201 body: {sample.decode(errors='replace')!r}", flush=True)
    return run


def launcher(app: str, port: int, workers: int, log: Path, env: dict[str, str]) -> Server:
    """bench/bare_app.py serving `app` with uvicorn's stock listener (no #3149 workaround)."""
    return Server(
        f"{app} (stock listener)",
        [
            PYTHON,
            str(BENCH_DIR / "bare_app.py"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--app",
            app,
            "--stock-listener",
        ],
        env,
        port,
        log,
    )


def run_bare(args: argparse.Namespace, tmp: Path, fixed: bool) -> RunFigures:
    label = "bare*" if fixed else "bare"
    print(
        f"\n[{label}] bench/bare_app.py POST /noop, {args.workers} workers"
        + (", uvicorn stock listener" if fixed else ""),
        flush=True,
    )
    port = free_port()
    log = tmp / f"{label}.log"
    server = (
        launcher("bare_app:app", port, args.workers, log, server_env())
        if fixed
        else bare_server(port, args.workers, log)
    )
    try:
        server.start()
        body = json.dumps({**ANSWER, "link": "x" * 24}).encode()
        server.wait_ready("POST", "/noop", body, {201}, args.workers)
        warm_up(server, "/noop", body, args)
        return measure(server, label, "-", "/noop", body, args)
    finally:
        server.stop()


def run_gaplens(args: argparse.Namespace, tmp: Path, backend: str, fixed: bool) -> RunFigures:
    label = "gaplens*" if fixed else "gaplens"
    how = (
        "bench/bare_app.py --app gaplens.web.main:app --stock-listener"
        if fixed
        else "gaplens serve"
    )
    print(
        f"\n[{label}] POST /api/v1/responses, {backend}, {args.workers} workers, {how}", flush=True
    )
    cluster = PostgresCluster(fsync=args.pg_fsync == "on") if backend == "postgresql" else None
    server: Server | None = None
    try:
        if cluster is not None:
            cluster.start()
            url = cluster.url
            db_pids: Callable[[], list[int]] = cluster.all_pids
        else:
            folder = tmp / f"sqlite-{label}"
            folder.mkdir()
            url = f"sqlite:///{folder / 'bench.db'}"
            db_pids = list
        log = tmp / f"{label}-{backend}.log"
        token = open_link(url, server_env(), log)  # also creates the schema
        body = json.dumps({**ANSWER, "link": token}).encode()
        port = free_port()
        if fixed:
            server = launcher(
                "gaplens.web.main:app",
                port,
                args.workers,
                log,
                {**server_env(), "GAPLENS_DATABASE_URL": url},
            )
        else:
            server = gaplens_server(url, port, args.workers, log)
        server.start()
        server.wait_ready("GET", "/healthz", None, {200}, args.workers)
        warm_up(server, "/api/v1/responses", body, args)
        before = count_rows(url)
        run = measure(server, label, backend, "/api/v1/responses", body, args, db_pids)
        server.stop()  # every request the server took is now committed or rolled back
        server = None
        run.stored = count_rows(url) - before
        print(
            f"  rows added to survey_response by the measured run: {run.stored:,} "
            f"(acknowledged: {run.acknowledged:,})",
            flush=True,
        )
        logged = tail(log, 100_000).splitlines()
        kinds = Counter(
            line.split(":", 1)[0][:120]
            for line in logged
            if "Error" in line.split(":", 1)[0] and not line.startswith(" ")
        )
        if kinds:
            print(
                "  server log, exception lines: "
                + "; ".join(f"{n:,} x {kind}" for kind, n in kinds.most_common(4)),
                flush=True,
            )
            for kind, _ in kinds.most_common(2):
                example = next(line for line in logged if line.startswith(kind))
                print(f"    e.g. {example[:220]}", flush=True)
        return run
    finally:
        if server is not None:
            server.stop()
        if cluster is not None:
            cluster.stop()


# --------------------------------------------------------------------------- report


def report(runs: list[RunFigures], args: argparse.Namespace) -> None:
    def reference_for(run: RunFigures) -> RunFigures | None:
        want = "bare*" if run.target.endswith("*") else "bare"
        return next((r for r in runs if r.target == want), None)

    print("\n" + "=" * 108)
    print(
        f"{args.requests:,} POSTs per target (after {args.warmup:,} warm-up), concurrency "
        f"{args.concurrency}, {args.workers} uvicorn workers, {args.loader_procs} load "
        f"generator process(es), all on this {os.cpu_count()}-CPU machine"
    )
    header = (
        f"{'target':<10}{'backend':<12}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'errors':>8}{'acked':>9}{'stored':>9}{'req/s/bare':>12}{'p99/bare':>10}"
        f"{'CPU busy':>10}"
    )
    print(header)
    print("-" * len(header))
    for r in runs:
        bare = reference_for(r)
        stored = "-" if r.stored is None else f"{r.stored:,}"
        versus = bare is not None and r is not bare
        ratio_rps = f"{r.rps / bare.rps:.2f}x" if versus and bare and bare.rps else "-"
        ratio_p99 = f"{r.p99_ms / bare.p99_ms:.1f}x" if versus and bare and bare.p99_ms else "-"
        print(
            f"{r.target:<10}{r.backend:<12}{r.rps:>8,.0f}{r.p50_ms:>9.1f}{r.p99_ms:>9.1f}"
            f"{r.errors:>8,}{r.acknowledged:>9,}{stored:>9}{ratio_rps:>12}{ratio_p99:>10}"
            f"{r.machine_busy:>10.0%}"
        )
    if any(r.target.endswith("*") for r in runs):
        print(
            "* served with uvicorn's stock listener (bench/bare_app.py --stock-listener, "
            "no uvicorn #3149 workaround); the others as shipped (`gaplens serve`)"
        )
    if any(CONNECTION_LOST in r.outcomes for r in runs):
        print(
            "'connection lost': the server closed the connection before answering; uvicorn "
            "closes a keep-alive connection after an unhandled exception even though a 500 "
            "was sent, so the next request on it is lost"
        )

    print("\nCPU seconds per 1,000 requests (all processes share the same CPUs):")
    for r in runs:
        k = max(r.sent, 1) / 1000
        db = f", PostgreSQL {r.db_cpu / k:.2f}" if r.db_cpu else ""
        print(
            f"  {r.target:<9}{r.backend:<11} server {r.server_cpu / k:.2f}{db}, load "
            f"generator {r.loader_cpu / k:.2f} (generator busy "
            f"{r.loader_cpu / max(r.wall, 1e-9) / args.loader_procs:.0%} of its core"
            f"{'s' if args.loader_procs > 1 else ''})"
        )

    print(f"\nGoal: >= {GOAL_RPS:,.0f} req/s and p99 < {GOAL_P99_MS:.0f} ms, and every 201 stored.")
    print(
        f"(In a closed loop mean latency = concurrency / throughput: at concurrency "
        f"{args.concurrency}, p99 under {GOAL_P99_MS:.0f} ms needs well over "
        f"{args.concurrency / (GOAL_P99_MS / 1000):,.0f} req/s.)"
    )
    for r in runs:
        if r.target.startswith("bare"):
            continue
        verdict = [
            f"{r.rps:,.0f} req/s {'meets' if r.rps >= GOAL_RPS else 'MISSES'} the "
            f"{GOAL_RPS:,.0f} req/s goal",
            f"p99 {r.p99_ms:.1f} ms {'meets' if r.p99_ms < GOAL_P99_MS else 'MISSES'} the "
            f"{GOAL_P99_MS:.0f} ms goal",
        ]
        bad = Counter({k: v for k, v in r.outcomes.items() if k != 201})
        verdict.append(f"{r.errors:,} non-201" + (f" ({outcome_text(bad)})" if bad else ""))
        if r.hit_time_limit:
            verdict.append(f"cut at the {args.max_seconds:.0f} s limit after {r.sent:,} requests")
        if r.stored is not None:
            lost = r.acknowledged - r.stored
            if lost > 0:
                verdict.append(f"{lost:,} acknowledged answers MISSING from the store")
            elif lost < 0:
                verdict.append(
                    f"every 201 stored, plus {-lost:,} rows whose 201 never reached the client"
                )
            else:
                verdict.append("stored == acknowledged, zero lost")
        print(f"  {r.target} {r.backend}: " + "; ".join(verdict))
        bare = reference_for(r)
        if bare is not None and bare.rps:
            share = r.rps / bare.rps
            if share >= 0.8:
                print(
                    f"    {share:.0%} of the bare endpoint's rate: this figure is limited by "
                    f"the HTTP stack / load generator on this machine, not by gaplens, and "
                    f"is a lower bound for gaplens itself."
                )
            else:
                print(
                    f"    the bare endpoint ran {1 / share:.1f}x faster with the same load "
                    f"generator and settings, so the generator is not what limits gaplens."
                )
    for bare in (r for r in runs if r.target.startswith("bare")):
        busy = bare.loader_cpu / max(bare.wall, 1e-9) / args.loader_procs
        print(
            f"  {bare.target}: {bare.rps:,.0f} req/s, p99 {bare.p99_ms:.1f} ms is the ceiling "
            f"of uvicorn + FastAPI + this load generator here (generator busy {busy:.0%}, "
            f"machine CPU busy {bare.machine_busy:.0%})"
            + ("; the generator itself is near saturation" if busy > 0.85 else "")
            + "."
        )
        if bare.machine_busy < 0.7 and bare.target.endswith("*") and args.workers > 1:
            print(
                "    The machine was mostly idle during that run: the limit there is the "
                "per-request stall described below, not CPU."
            )
    if args.workers > 1 and any(r.target.endswith("*") for r in runs):
        print(
            f"  Note: with --workers {args.workers} stock uvicorn 0.54 leaves TCP_NODELAY off "
            f"on accepted connections (uvicorn issue #3149), so on a keep-alive connection "
            f"each response body waits for the client's delayed ACK (~40 ms); `gaplens serve` "
            f"works around it."
        )
    print(
        "The load generator runs on the same machine as the servers and PostgreSQL and "
        "competes with them for the same CPUs."
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Load-test anonymous answer submission (POST /api/v1/responses) against a "
        "bare FastAPI endpoint served the same way. Goal: >= 1,000 req/s, p99 < 50 ms, zero "
        "lost answers. Runs about 1.5 minutes with the defaults."
    )
    parser.add_argument(
        "--backend",
        choices=("postgresql", "sqlite", "both"),
        default="postgresql",
        help="database for gaplens (default postgresql)",
    )
    parser.add_argument(
        "--requests",
        type=int,
        default=10_000,
        help="POSTs per target in the measured run (default 10000)",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=64,
        help="open keep-alive connections, each sending its next request as "
        "soon as it is answered (default 64)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="uvicorn worker processes for every server (default 2)",
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=1_000,
        help="requests sent to each server before measuring (default 1000)",
    )
    parser.add_argument(
        "--loader-procs", type=int, default=1, help="load generator processes (default 1)"
    )
    parser.add_argument(
        "--listener",
        choices=("shipped", "stock", "both"),
        default="shipped",
        help="shipped: serve as `gaplens serve` does; stock: the same apps with uvicorn's "
        "stock listener (without the uvicorn #3149 workaround); both: each (default shipped)",
    )
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=60.0,
        help="cut a measured run short after this long (default 60)",
    )
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="per-request timeout in seconds (default 10)"
    )
    parser.add_argument(
        "--pg-fsync",
        choices=("on", "off"),
        default="on",
        help="PostgreSQL fsync (default on, as in production)",
    )
    parser.add_argument("--no-reference", action="store_true", help="skip the bare endpoint")
    args = parser.parse_args()

    for line in machine_lines():
        print(line)
    print(f"command: python bench/{Path(sys.argv[0]).name} {' '.join(sys.argv[1:])}".rstrip())
    print(f"uvicorn workers: {args.workers}; the load generator shares this machine's CPUs")
    backends = ["postgresql", "sqlite"] if args.backend == "both" else [args.backend]
    if "postgresql" in backends:
        print(
            f"PostgreSQL {PG_BIN.parent.name}: throwaway local cluster, fsync={args.pg_fsync}, "
            f"synchronous_commit=on"
        )
    variants = {"shipped": [False], "stock": [True], "both": [False, True]}[args.listener]
    tmp = Path(tempfile.mkdtemp(prefix="gaplens-bench-"))
    runs: list[RunFigures] = []
    try:
        with terminated_on_sigterm():
            for fixed in variants:
                if not args.no_reference:
                    runs.append(run_bare(args, tmp, fixed))
                for backend in backends:
                    runs.append(run_gaplens(args, tmp, backend, fixed))
        report(runs, args)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    lost = any(r.stored is not None and r.stored < r.acknowledged for r in runs)
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
