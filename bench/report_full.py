"""Benchmark: the full reality report for a 10,000-person organisation with a year of data,
as a ratio to the same aggregates written as plain DuckDB SQL over the same tables.

    python bench/report_full.py [--backend sqlite|postgresql|both] [--runs 3] [--db PATH]

The data (bench/report_data.py) is built once per backend: ~1.2M work items, ~530k AI usage
days, ~250k Copilot user-days, licences, training, friction, feedback and a survey of ~3,000
responses. gaplens's time is `build_report` (the perception section and the whole measured
section: every metric for the organisation, the three realities for the organisation, each
function and each team, the adoption funnel, the scorecard) plus the JSON rendering; HTML and
PDF rendering are timed apart. The reference (bench/report_reference.py) runs in DuckDB over
the same SQLite file or PostgreSQL database through DuckDB's scanner extensions; it computes
the same per-person values and point estimates with their n, without bootstrap intervals or
the privacy gate. Each run starts from a fresh connection. Goal: < 5 s, within 2x.

PostgreSQL is a throwaway local cluster (needs the Debian postgresql-15 binaries; run as root
or the postgres user), stopped and removed at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report_data import AS_OF, build
from report_reference import reference

from gaplens.config import normalise_database_url
from gaplens.db.engine import dispose_engine, session_scope
from gaplens.privacy import PrivacyPolicy
from gaplens.report.render import render_html, render_json, render_pdf
from gaplens.report.schemas import ReportDocument
from gaplens.report.service import build_report

TODAY = dt.date(2026, 12, 1)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        lines = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        model = [ln.split(":", 1)[1].strip() for ln in lines.splitlines() if "Model name" in ln]
        cpu = model[0] if model else cpu
    except (OSError, subprocess.CalledProcessError):
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{cpu}, {os.cpu_count()} CPUs, {memory:.0f} GiB, {platform.system()} "
        f"{platform.release()}, CPython {platform.python_version()}"
    )


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.2f}/{five:.2f}"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(fn: Any) -> tuple[float, float, Any]:
    """Wall and CPU seconds (CPU: this process, all threads, and the child processes it
    started and reaped meanwhile, such as the report's work-item loader) and the result."""
    wall, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
    result = fn()
    cpu_used = time.process_time() - cpu + _children_cpu() - children
    return time.perf_counter() - wall, cpu_used, result


def gaplens_report(url: str) -> ReportDocument:
    with session_scope(url) as session:
        document = build_report(session, None, PrivacyPolicy(), today=TODAY)
    render_json(document)
    return document


def sanity(document: ReportDocument, ref: dict[str, Any]) -> list[str]:
    """The reference computes the same numbers: compare a few of them."""
    measured = document.measured
    assert measured is not None
    problems: list[str] = []
    org = measured.realities.rows[0]
    row = next(r for r in ref["realities"] if r[0] == "organisation" and r[1] == "cycle_time")
    speedup = -(row[3] - row[6]) / row[4] * 100
    assert org.measured is not None
    # The reference writes the users-vs-non-users difference in differences; where the row
    # reads the staggered estimate (adopters against people not yet using AI), the metric's
    # own difference in differences is still compared below.
    if org.measured_method == "users_vs_non_users" and abs(org.measured.estimate - speedup) > 1e-9:
        problems.append(f"organisation speed-up {org.measured.estimate} vs {speedup}")
    overviews = {o.metric.key: o for o in measured.metrics}
    for line in ref["organisation"]:
        overview = overviews[line[0]]
        n = overview.current.n.get("persons") if overview.current.shown else None
        if n is not None and n != line[1]:
            problems.append(f"{line[0]} current n {n} vs {line[1]}")
        did = overview.users_vs_non_users
        if did.value is not None and abs(did.value - (line[5] - line[8])) > 1e-9:
            problems.append(f"{line[0]} DiD {did.value} vs {line[5] - line[8]}")
    scopes = {r.scope for r in measured.realities.rows}
    perceived = {(s, role): n for s, role, n, _ in ref["perceived"]}
    if perceived[("organisation", "individual_contributor")] != org.frontline_n:
        problems.append("organisation frontline n differs")
    return problems + ([] if len(scopes) > 100 else [f"only {len(scopes)} rows"])


def server_cpu(cluster: Any) -> float:
    """CPU seconds the PostgreSQL cluster has used so far: the postmaster, its live
    processes, and the backends it has already reaped (each closed connection's)."""
    from answer_load import _stat, descendants

    root = cluster.postmaster_pid()
    if root is None:
        return 0.0
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    fields = _stat(root)
    if fields is not None:
        total += sum(int(v) for v in fields[13:17])  # utime, stime, cutime, cstime
    for pid in descendants(root):
        fields = _stat(pid)
        if fields is not None:
            total += int(fields[13]) + int(fields[14])
    return total / tick


def run_backend(
    name: str, url: str, source: str, runs: int, server: Any = None
) -> dict[str, float]:
    """`server`: a callable giving the database server's CPU seconds so far, if it has one."""
    if not world_exists(url):
        wall, _, counts = timed(lambda: build(url))
        print(f"[{name}] built in {wall:.0f} s: {counts}", flush=True)
    gaplens_times, gaplens_cpu, reference_times, reference_cpu = [], [], [], []
    document: ReportDocument | None = None
    ref: dict[str, Any] = {}
    for run in range(1, runs + 1):
        dispose_engine(url)
        before, served = load(), server() if server else 0.0
        wall, cpu, document = timed(lambda: gaplens_report(url))
        dispose_engine(url)  # its server process ends, and is counted, before the next read
        extra = f"; server CPU {server() - served:.2f} s" if server else ""
        gaplens_times.append(wall)
        gaplens_cpu.append(cpu)
        print(f"[{name}] run {run}: gaplens report {wall:.2f} s (CPU {cpu:.2f} s{extra}; {before})")
        before, served = load(), server() if server else 0.0
        wall, cpu, ref = timed(lambda: reference(source, AS_OF))
        extra = f"; server CPU {server() - served:.2f} s" if server else ""
        reference_times.append(wall)
        reference_cpu.append(cpu)
        print(
            f"[{name}] run {run}: DuckDB reference {wall:.2f} s (CPU {cpu:.2f} s{extra}; {before})"
        )
    assert document is not None
    problems = sanity(document, ref)
    print(f"[{name}] reference agrees with the report: {problems or 'yes'}")
    html_wall, _, _ = timed(lambda: render_html(document))
    pdf_wall, _, pdf = timed(lambda: render_pdf(document))
    rows = len(document.measured.realities.rows) if document.measured else 0
    g, r = statistics.median(gaplens_times), statistics.median(reference_times)
    print(
        f"[{name}] median gaplens {g:.2f} s, median reference {r:.2f} s, ratio {g / r:.2f}x "
        f"(goal < 5 s, within 2x); CPU medians {statistics.median(gaplens_cpu):.2f} / "
        f"{statistics.median(reference_cpu):.2f} s"
    )
    print(
        f"[{name}] render apart: HTML {html_wall:.2f} s, PDF {pdf_wall:.2f} s "
        f"({len(pdf) / 1e6:.1f} MB); {rows} reality rows"
    )
    return {"gaplens": g, "reference": r}


def world_exists(url: str) -> bool:
    """Whether `url` already holds a world with people (so a run reuses it)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return False
    try:
        engine = create_engine(url)
        with engine.connect() as connection:
            count = connection.execute(text("SELECT count(*) FROM person")).scalar_one()
        engine.dispose()
    except SQLAlchemyError:
        return False
    return bool(count)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", type=Path, default=Path("/tmp/gaplens-report-bench.db"))
    args = parser.parse_args()
    print(f"machine: {machine()}; {load()}")
    print(f"date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    if args.backend in ("sqlite", "both"):
        run_backend("sqlite", f"sqlite:///{args.db}", str(args.db), args.runs)
    if args.backend in ("postgresql", "both"):
        from answer_load import PostgresCluster

        cluster = PostgresCluster(fsync=False)
        try:
            cluster.start()
            url = normalise_database_url(cluster.url)
            run_backend("postgresql", url, cluster.url, args.runs, lambda: server_cpu(cluster))
        finally:
            dispose_engine(normalise_database_url(cluster.url))
            cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
