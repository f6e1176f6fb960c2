"""A worker's (or the load generator's) CPU per scan, this tree against another checkout,
taking turns.

``python -m benchmarks.ws_ab /path/to/other/checkout [--plan 500x1] [--rounds 3]`` (e.g. a
``git worktree add --detach ../base main``): each round starts ``serve --workers 1`` of this
tree, runs :mod:`benchmarks.loadgen` (this tree's, the same client for both) at a fixed load
below saturation against it, stops it, and does the same with the other tree, so both see the
same minutes of a shared machine. The figure is the server's CPU per acknowledged scan (its
process tree's user + system seconds over the scans acknowledged meanwhile): steady on a busy
machine, where latencies are not. Each tree serves its own copy of one database (the first
start imports the embedded Kaiserslautern map), so both walk the same routes.

``--vary loadgen`` turns it round: this tree serves every run and the two trees' load
generators take turns; the figure is then the load generator's own CPU per scan (on two cores
it shares the machine with the workers it measures).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.loadgen import ROOT, free_port, serve_args, server_env, spawn, wait_ready

FIGURES = ("server_cpu_ms_per_scan", "loadgen_cpu_ms_per_scan", "scans_per_s", "p50_ms",
           "p99_ms", "late", "errors")


def _one_run(server_tree: Path, loadgen_tree: Path, db: Path, work: Path, plan: str,
             seconds: float) -> dict[str, Any]:
    """Serve ``db`` from ``server_tree``, load it with ``loadgen_tree``'s load generator: its
    one step."""
    port = free_port()
    db_url = f"sqlite:///{db}"
    with spawn(serve_args(db_url, port, 1), work / "server.log",
               {**server_env(work), "PYTHONPATH": str(server_tree)}, cwd=server_tree) as server:
        url = f"http://127.0.0.1:{port}"
        wait_ready(f"{url}/health", server, timeout_s=300.0)
        load1 = os.getloadavg()[0]
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.loadgen", "--url", url, "--db", db_url,
             "--plan", plan, "--seconds", str(seconds), "--server-pid", str(server.pid)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=loadgen_tree, check=True,
            env={**os.environ, "PYTHONPATH": str(loadgen_tree)}, timeout=1200).stdout
    step = [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")][-1]
    if step.get("loadgen_cpu_ms_per_scan") is None and step["scans_per_s"]:
        # an older load generator gives only its cores (two decimals): per scan from those
        step["loadgen_cpu_ms_per_scan"] = round(step["loadgen_cores"] / step["scans_per_s"]
                                                * 1000.0, 3)
    return {**step, "load_1min": load1}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("other", type=Path, help="the checkout to compare against")
    parser.add_argument("--plan", default="500x1", help="one step, SESSIONSxRATE")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--vary", choices=("server", "loadgen"), default="server",
                        help="which side the trees take turns on (the other is this tree's)")
    args = parser.parse_args(argv)
    figure = f"{args.vary}_cpu_ms_per_scan"
    trees = {"this": ROOT, "other": args.other.resolve()}
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in trees}
    with tempfile.TemporaryDirectory(prefix="blindpilot-wsab-") as tmp:
        work = Path(tmp)
        first = work / "ws.db"
        port = free_port()
        with spawn(serve_args(f"sqlite:///{first}", port, 1), work / "import.log",
                   server_env(work)) as importing:  # this tree imports the map once
            wait_ready(f"http://127.0.0.1:{port}/health", importing, timeout_s=300.0)
        dbs = {name: work / f"{name}.db" for name in trees}
        for db in dbs.values():
            shutil.copy(first, db)
        for _ in range(args.rounds):
            for name, tree in trees.items():
                server_tree, loadgen_tree = ((tree, ROOT) if args.vary == "server"
                                             else (ROOT, tree))
                r = _one_run(server_tree, loadgen_tree, dbs[name], work, args.plan,
                             args.seconds)
                runs[name].append(r)
                print(f"{name:5s}: " + "  ".join(f"{k} {r[k]}" for k in FIGURES)
                      + f"  load {r['load_1min']:.2f}", flush=True)
    for name, rs in runs.items():
        cpu = [r[figure] for r in rs]
        print(f"{name:5s} {args.vary} CPU ms/scan, median (range) of {len(rs)}: "
              f"{statistics.median(cpu):.3f} ({min(cpu):.3f}-{max(cpu):.3f})")
    pairs = [a[figure] / b[figure]
             for a, b in zip(runs["this"], runs["other"], strict=True)]
    print(f"this/other per round: {', '.join(f'{p:.3f}' for p in pairs)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
