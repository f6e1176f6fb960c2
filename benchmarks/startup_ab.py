"""``serve`` start-ups of this tree and another checkout taking turns, on the 101k-node city.

``python -m benchmarks.startup_ab /path/to/other/checkout [--rounds 3]`` (e.g. a
``git worktree add ../base main``): each round starts ``serve --workers 1`` and then
``--workers 2`` in this tree and in the other, one after the other, so both see the same
minutes of a shared machine. Per start, as bench_startup measures it: seconds to the first
``/health`` 200, the CPU seconds on the way (loading process + busiest worker) and those of its
beacon helper (another core), the first route's answer, and one worker's own pages after that
route; then the medians and ranges.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ("health_s", "cpu_s", "helper_cpu_s", "first_route_s", "worker_own_mib")


def measure(workers: int) -> dict[str, float]:
    """One start in this tree (imported here: run in the tree to be measured)."""
    from benchmarks.bench_startup import _serve_to_ready
    from benchmarks.synthetic_city import SIDE, city_db

    start = _serve_to_ready(city_db(SIDE)[0], workers)
    return {"health_s": start.health_s, "cpu_s": start.cpu_s,
            # the beacon helper's CPU, another core (a tree that predates the figure: 0)
            "helper_cpu_s": getattr(start, "helper_cpu_s", 0.0),
            "first_route_s": start.first_route_s,
            "worker_own_mib": start.memory["worker_private"], "load_1min": os.getloadavg()[0]}


def _start_in(tree: Path, workers: int) -> dict[str, float]:
    code = ("import json, sys; from benchmarks.startup_ab import measure; "
            "print(json.dumps(measure(int(sys.argv[1]))))")
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run([sys.executable, "-c", code, str(workers)], cwd=tree, env=env,
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("other", type=Path, help="the checkout to compare against")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    # the other tree may predate this script: give it this one (it only imports
    # bench_startup's helpers)
    (args.other / "benchmarks" / "startup_ab.py").write_text(Path(__file__).read_text())
    trees = {"this": ROOT, "other": args.other.resolve()}
    runs: dict[tuple[str, int], list[dict[str, float]]] = {}
    for _ in range(args.rounds):
        for workers in (1, 2):
            for name, tree in trees.items():
                r = _start_in(tree, workers)
                runs.setdefault((name, workers), []).append(r)
                print(f"{name:5s} --workers {workers}: " + "  ".join(
                    f"{k} {r[k]:.2f}" for k in (*FIGURES, "load_1min")), flush=True)
    for (name, workers), rs in runs.items():
        print(f"{name:5s} --workers {workers}, median (range) of {len(rs)}: " + "  ".join(
            f"{k} {statistics.median(x[k] for x in rs):.2f} "
            f"({min(x[k] for x in rs):.2f}-{max(x[k] for x in rs):.2f})" for k in FIGURES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
