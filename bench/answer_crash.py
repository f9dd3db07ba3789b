"""Crash test: SIGKILL one uvicorn worker of `gaplens serve` while answers are being submitted.

Runs `gaplens serve --workers 2` against a throwaway PostgreSQL cluster, sends answers at a
fixed concurrency, kills one worker process with SIGKILL mid-run, keeps sending for a few
seconds, then checks:

  (a) every answer acknowledged with 201 is in the store: each request carries a unique tag in
      the free-text "comment" answer, and the tags read back from survey_answer are compared
      with the tags of the 201s (acknowledged but missing must be 0; stored without a 201 is
      allowed, e.g. committed just before the kill but never answered);
  (b) the service recovers by itself: /healthz answers, uvicorn's master starts a replacement
      worker (back to 2), and the replacement itself stores answers (fresh connections are
      traced to the worker that accepted them through /proc/net/tcp and /proc/PID/fd).

    python bench/answer_crash.py [--concurrency 32] [--kill-after 4] [--run-after 6]

The load generator (the same asyncio client as bench/answer_load.py) runs on the same machine.
Everything started is stopped and every temp dir removed on exit.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from answer_load import (
    ANSWER,
    CONNECT_FAILED,
    CONNECTION_LOST,
    OUTCOME_NAMES,
    TIMED_OUT,
    LoadResult,
    PostgresCluster,
    Server,
    connections_per_worker,
    count_rows,
    free_port,
    gaplens_server,
    machine_lines,
    open_link,
    outcome_text,
    percentile,
    run_load,
    server_env,
    tail,
    tcp_inodes,
    terminated_on_sigterm,
)

PATH = "/api/v1/responses"


def tagged_body(token: str, tag: str) -> bytes:
    answer = json.loads(json.dumps(ANSWER))
    answer["link"] = token
    answer["answers"]["comment"] = tag
    return json.dumps(answer).encode()


def socket_fds(pid: int) -> int:
    count = 0
    with contextlib.suppress(OSError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:"):
                    count += 1
    return count


def accepting_worker(server_port: int, client_port: int, workers: list[int]) -> int | None:
    """The worker holding the server side of the connection from `client_port`."""
    local, remote = f"0100007F:{server_port:04X}", f"0100007F:{client_port:04X}"
    inode = None
    with contextlib.suppress(OSError):
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            parts = line.split()
            if parts[1] == local and parts[2] == remote:
                inode = parts[9]
                break
    if inode is None:
        return None
    target = f"socket:[{inode}]"
    for pid in workers:
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                        return pid
    return None


def accepting(pid: int, server_port: int) -> bool:
    """True once the worker's event loop watches the listening socket (epoll fdinfo), i.e. it
    has imported the app, run its startup and is accepting connections."""
    listening = {f"socket:[{i}]" for i in tcp_inodes(server_port, "0A")}
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
        listen_fds = set()
        epolls = []
        for fd in fds:
            with contextlib.suppress(OSError):
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
                if link in listening:
                    listen_fds.add(fd)
                elif link == "anon_inode:[eventpoll]":
                    epolls.append(fd)
        for fd in epolls:
            for line in Path(f"/proc/{pid}/fdinfo/{fd}").read_text().splitlines():
                if line.startswith("tfd:") and line.split()[1] in listen_fds:
                    return True
    except OSError:
        return False
    return False


def fresh_post(port: int, body: bytes, workers: list[int]) -> tuple[int, int | None]:
    """POST on a new connection; (status or outcome code, pid of the worker that served it)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.connect()
        client_port = connection.sock.getsockname()[1]
        connection.request("POST", PATH, body=body, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        return response.status, accepting_worker(port, client_port, workers)
    except TimeoutError:
        return TIMED_OUT, None
    except ConnectionRefusedError:
        return CONNECT_FAILED, None
    except (OSError, http.client.HTTPException):
        return CONNECTION_LOST, None
    finally:
        connection.close()


def healthz(port: int) -> int | None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", "/healthz")
        response = connection.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        connection.close()


def stored_tags(url: str, prefix: str) -> list[str]:
    import psycopg

    with psycopg.connect(url) as db:
        rows = db.execute(
            "SELECT text FROM survey_answer WHERE text LIKE %s", (prefix + "%",)
        ).fetchall()
    return [row[0] for row in rows]


def rate(result: LoadResult, start: float, end: float) -> float:
    done = sum(
        1
        for e, s in zip(result.ends, result.statuses, strict=True)
        if start <= e < end and s == 201
    )
    return done / (end - start) if end > start else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(
        description="SIGKILL one of two gaplens workers under answer load (PostgreSQL) and check "
        "that no acknowledged answer is lost and that the service recovers by itself. Runs "
        "under a minute with the defaults."
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=32,
        help="open keep-alive connections sending answers (default 32)",
    )
    parser.add_argument(
        "--kill-after", type=float, default=4.0, help="seconds of load before the kill (default 4)"
    )
    parser.add_argument(
        "--run-after", type=float, default=6.0, help="seconds of load after the kill (default 6)"
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=300,
        help="untagged answers sent before the test (default 300)",
    )
    parser.add_argument(
        "--fresh-checks",
        type=int,
        default=24,
        help="answers sent on new connections after the load (default 24)",
    )
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="per-request timeout in seconds (default 10)"
    )
    parser.add_argument(
        "--recovery-timeout",
        type=float,
        default=30.0,
        help="give up waiting for a serving replacement after this long (default 30)",
    )
    parser.add_argument(
        "--pg-fsync", choices=("on", "off"), default="on", help="PostgreSQL fsync (default on)"
    )
    args = parser.parse_args()
    workers_wanted = 2

    for line in machine_lines():
        print(line)
    print(f"command: python bench/{Path(sys.argv[0]).name} {' '.join(sys.argv[1:])}".rstrip())
    print(
        f"gaplens serve --workers {workers_wanted} on PostgreSQL (fsync={args.pg_fsync}); "
        f"concurrency {args.concurrency}; SIGKILL one worker after {args.kill_after:.0f} s, "
        f"load continues {args.run_after:.0f} s; the load generator shares this machine"
    )

    run_id = secrets.token_hex(3)
    prefix = f"crash-{run_id}-"
    tmp = Path(tempfile.mkdtemp(prefix="gaplens-crash-"))
    cluster = PostgresCluster(fsync=args.pg_fsync == "on")
    server: Server | None = None
    stop = threading.Event()
    loader: threading.Thread | None = None
    failures: list[str] = []
    try:
        with terminated_on_sigterm():
            cluster.start()
            url = cluster.url
            log = tmp / "gaplens.log"
            token = open_link(url, server_env(), log)
            port = free_port()
            server = gaplens_server(url, port, workers_wanted, log)
            server.start()
            server.wait_ready("GET", "/healthz", None, {200}, workers_wanted)
            if args.warmup:
                run_load(
                    port,
                    PATH,
                    tagged_body(token, "warm-up"),
                    args.warmup,
                    args.concurrency,
                    30.0,
                    args.timeout,
                )
            rows_before = count_rows(url)
            original = server.workers()
            print(f"\nworkers before the kill: {original} (master {server.pid})", flush=True)

            # ---- load in a thread: unique tag per request
            body_cache: dict[int, bytes] = {}

            def body_for(i: int) -> bytes:
                body = body_cache.get(i)
                if body is None:
                    body = body_cache[i] = tagged_body(token, f"{prefix}{i:07d}")
                return body

            holder: dict[str, LoadResult] = {}
            cap = 1_000_000
            budget = args.kill_after + args.run_after + args.recovery_timeout + 5

            def drive() -> None:
                holder["result"] = run_load(
                    port, PATH, body_for, cap, args.concurrency, budget, args.timeout, stop
                )

            loader = threading.Thread(target=drive, name="load", daemon=True)
            loader.start()
            time.sleep(args.kill_after)

            # ---- the kill: the worker holding the most sockets (most of the load)
            victim = max(original, key=socket_fds)
            killed_at = time.perf_counter()
            os.kill(victim, signal.SIGKILL)
            print(f"SIGKILL -> worker {victim} ({socket_fds(victim)} sockets open)", flush=True)

            # ---- recovery, watched from here while the load goes on
            probes: list[tuple[str, int]] = []  # (tag, status) of probe answers
            gone_at = spawned_at = accepting_at = serving_at = health_at = None
            replacement = None
            deadline = killed_at + args.recovery_timeout
            next_probe = 0.0
            probe_n = 0
            while time.perf_counter() < deadline:
                now = time.perf_counter()
                current = server.workers()
                if gone_at is None and victim not in current:
                    gone_at = now
                if spawned_at is None:
                    new = [pid for pid in current if pid not in original]
                    if new and len(current) == workers_wanted:
                        spawned_at, replacement = now, new[0]
                if (
                    replacement is not None
                    and accepting_at is None
                    and accepting(replacement, port)
                ):
                    accepting_at = now
                if health_at is None and healthz(port) == 200:
                    health_at = time.perf_counter()
                if accepting_at is not None and now >= next_probe:
                    tag = f"{prefix}p{probe_n:05d}"
                    probe_n += 1
                    status, pid = fresh_post(port, tagged_body(token, tag), current)
                    probes.append((tag, status))
                    if status == 201 and pid == replacement:
                        serving_at = time.perf_counter()
                    next_probe = now + 0.05
                if serving_at is not None and health_at is not None:
                    break
                time.sleep(0.02)
            remaining = killed_at + args.run_after - time.perf_counter()
            if remaining > 0:
                time.sleep(remaining)
            spread = connections_per_worker(port, server.workers())
            stop.set()
            loader.join(timeout=args.timeout + 30)
            if loader.is_alive():
                raise RuntimeError("the load generator did not stop")
            result = holder["result"]
            load_end = time.perf_counter()

            # ---- after the load: fresh connections, traced to the worker that served them
            after = server.workers()
            fresh: Counter[str] = Counter()
            fresh_status: Counter[int] = Counter()
            for n in range(args.fresh_checks):
                tag = f"{prefix}f{n:05d}"
                status, pid = fresh_post(port, tagged_body(token, tag), after)
                probes.append((tag, status))
                fresh_status[status] += 1
                fresh[
                    "replacement"
                    if pid == replacement
                    else "surviving worker"
                    if pid in original
                    else "unknown"
                ] += 1
            health_after = healthz(port)
            workers_after = server.workers()
            master_alive = server.proc is not None and server.proc.poll() is None

            server.stop()  # whatever the server took is now committed or rolled back
            server = None
            stored = set(stored_tags(url, prefix))
            rows_after = count_rows(url)

        # ---- figures
        acked = {
            f"{prefix}{i:07d}"
            for i, s in zip(result.indexes, result.statuses, strict=True)
            if s == 201
        }
        acked |= {tag for tag, status in probes if status == 201}
        sent = len(result.statuses) + len(probes)
        outcomes = Counter(result.statuses)
        in_flight = Counter(
            s
            for st, en, s in zip(result.starts, result.ends, result.statuses, strict=True)
            if s != 201 and st <= killed_at <= en
        )
        window = Counter(
            s
            for st, s in zip(result.starts, result.statuses, strict=True)
            if s != 201 and killed_at < st <= killed_at + 1.0
        )
        later = Counter(
            s
            for st, s in zip(result.starts, result.statuses, strict=True)
            if s != 201 and st > killed_at + 1.0
        )
        earlier = Counter(
            s
            for en, s in zip(result.ends, result.statuses, strict=True)
            if s != 201 and en < killed_at
        )
        missing = sorted(acked - stored)
        extra = sorted(stored - acked)
        latencies = sorted(e - s for s, e in zip(result.starts, result.ends, strict=True))
        first_start = min(result.starts)

        def ms(t: float | None) -> str:
            return "not seen" if t is None else f"+{(t - killed_at) * 1000:,.0f} ms"

        print("\n" + "=" * 96)
        print(
            f"requests sent: {sent:,} ({len(result.statuses):,} by the load generator, "
            f"{len(probes):,} recovery/fresh-connection probes); "
            f"acknowledged (201): {len(acked):,}"
        )
        print(
            f"load generator outcomes: {outcome_text(outcomes)}; p50 "
            f"{percentile(latencies, 0.5) * 1000:.1f} ms, p99 "
            f"{percentile(latencies, 0.99) * 1000:.1f} ms, max {latencies[-1] * 1000:,.0f} ms"
        )
        print(
            f"failed before the kill: {sum(earlier.values()):,}"
            + (f" ({outcome_text(earlier)})" if earlier else "")
        )
        print(
            f"failed in the kill window: {sum(in_flight.values()) + sum(window.values()):,} = "
            f"{sum(in_flight.values()):,} in flight when the kill hit"
            + (f" ({outcome_text(in_flight)})" if in_flight else "")
            + f" + {sum(window.values()):,} sent in the next second"
            + (f" ({outcome_text(window)})" if window else "")
            + " (a keep-alive connection to the killed worker fails on its next use)"
        )
        print(
            f"failed later (sent more than 1 s after the kill): {sum(later.values()):,}"
            + (f" ({outcome_text(later)})" if later else "")
        )
        print(
            f"acknowledged answers per second: {rate(result, first_start, killed_at):,.0f} "
            f"before the kill, {rate(result, killed_at, killed_at + 1):,.0f} in the first "
            f"second after, {rate(result, killed_at + 1, load_end):,.0f} for the rest"
        )
        print(
            f"stored (tagged rows read back): {len(stored):,}; survey_response rows added: "
            f"{rows_after - rows_before:,}"
        )
        print(
            f"acknowledged but missing from the store: {len(missing):,} (must be 0)"
            + (f", e.g. {missing[:5]}" if missing else "")
        )
        print(
            f"stored without a 201 reaching the client: {len(extra):,} (allowed: committed, "
            f"answer lost with the worker or the connection)"
        )
        print(
            f"recovery (times after the kill): killed worker gone {ms(gone_at)}; "
            f"/healthz 200 {ms(health_at)} (served by the surviving worker); replacement "
            f"worker {replacement or '-'} started, 2 workers again {ms(spawned_at)}; "
            f"replacement accepting connections {ms(accepting_at)}; replacement stored its "
            f"first answer {ms(serving_at)}"
        )
        named = {pid: ("replacement" if pid == replacement else "surviving") for pid in spread}
        print(
            "load generator's keep-alive connections at the end of the load: "
            + ", ".join(f"{named[pid]} worker {pid}: {n}" for pid, n in spread.items())
        )
        print(
            f"after the load: workers {workers_after}, master "
            f"{'running' if master_alive else 'GONE'}, /healthz {health_after}; "
            f"{args.fresh_checks} answers on fresh connections: {outcome_text(fresh_status)}; "
            f"served by {dict(fresh)}"
        )

        if missing:
            failures.append(f"{len(missing)} acknowledged answers missing")
        if len(workers_after) != workers_wanted or victim in workers_after or not master_alive:
            failures.append(f"worker count after recovery is {len(workers_after)}")
        if serving_at is None:
            failures.append("the replacement worker was not seen serving")
        if health_after != 200 or fresh_status.get(201, 0) != args.fresh_checks:
            failures.append("submissions after recovery did not all succeed")
        if rows_after - rows_before != len(stored):
            failures.append("untagged rows appeared during the test")
        print(
            "\nresult: "
            + (
                "PASS: no acknowledged answer lost; recovered without manual steps"
                if not failures
                else "FAIL: " + "; ".join(failures)
            )
        )
        logged = [
            line
            for line in tail(log, 100_000).splitlines()
            if line and not line.startswith(" ") and "Error" in line.split(":", 1)[0]
        ]
        if logged:
            kinds = Counter(line.split(":", 1)[0][:100] for line in logged)
            print(
                "server log, exception lines: "
                + "; ".join(f"{n} x {k}" for k, n in kinds.most_common(4))
            )
        return 1 if failures else 0
    finally:
        stop.set()
        if loader is not None:
            loader.join(timeout=args.timeout + 5)
        if server is not None:
            server.stop()
        cluster.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    assert OUTCOME_NAMES  # imported for outcome_text's labels
    sys.exit(main())
