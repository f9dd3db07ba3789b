"""Benchmark: wall time of `gaplens demo` (default 2,000 people), as a user runs it.

python bench/demo_wall_time.py [--people 2000] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    gaplens = Path(sys.executable).with_name("gaplens")
    if not gaplens.exists():
        gaplens = Path(shutil.which("gaplens") or "gaplens")
    times = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as out:
            started = time.perf_counter()
            subprocess.run(
                [str(gaplens), "demo", "--people", str(args.people), "--out", out],
                check=True,
                capture_output=True,
                env={**os.environ, "COLUMNS": "100"},
            )
            times.append(time.perf_counter() - started)
    print(
        f"gaplens demo --people {args.people}: runs {', '.join(f'{t:.1f}' for t in times)} s; "
        f"median {statistics.median(times):.1f} s (goal: under 60 s)"
    )


if __name__ == "__main__":
    main()
