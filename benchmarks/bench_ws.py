"""Live-guidance WebSocket under load: scan -> fix latency and the highest load held, for one
worker and for two.

A real server (``blindpilot serve --workers N`` on a fresh SQLite database; the first start
imports the embedded Kaiserslautern map) and a separate load process (:mod:`benchmarks.loadgen`)
on loopback, so they do not share a GIL; on a 2-core machine the load generator takes its share
of the cores too. A scan answered ``late`` (the server could not use it within 1 s) counts as
never answered. Figures:

- one worker: sessions at 1 scan/s (1, 100, 500, 1,000), then a ramp to the highest load held
  at p99 scan -> fix <= 50 ms without errors;
- two workers, in the same run: the same ramp, from the one-worker figure;
- the server's CPU per scan at 1,000 sessions (steady on a busy machine, unlike latencies), and
  a bare aiohttp JSON echo under the same 1,000 sessions: what transport and JSON alone cost.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import BenchResult, ratio_lower_better
from benchmarks.loadgen import (
    CAPACITY_RESULT,
    P99_GOAL_MS,
    ROOT,
    free_port,
    serve_args,
    server_env,
    spawn,
    wait_ready,
)

GOAL_SESSIONS = 1000
#: Issue #14: main held 500 scans/s at p99 <= 50 ms with one process; one worker must hold 4x.
BASELINE_HELD_SCANS_PER_S = 500.0
ONE_WORKER_GOAL = 4 * BASELINE_HELD_SCANS_PER_S
TWO_WORKER_GOAL_RATIO = 1.6


def _loadgen(url: str, db_url: str, plan: str, seconds: float, ramp: bool, log: Path,
             server_pid: int | None) -> list[dict[str, Any]]:
    """Run the load process to completion; its JSON lines."""
    args = [sys.executable, "-m", "benchmarks.loadgen", "--url", url, "--db", db_url,
            "--plan", plan, "--seconds", str(seconds), *(["--ramp"] if ramp else []),
            *(["--server-pid", str(server_pid)] if server_pid else [])]
    with log.open("wb") as err:
        out = subprocess.run(args, stdout=subprocess.PIPE, stderr=err, cwd=ROOT, check=True,
                             timeout=1200).stdout
    return [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]


def _against_server(work: Path, db_url: str, workers: int, plan: str, seconds: float,
                    ramp: bool) -> tuple[float, list[dict[str, Any]]]:
    """Start ``serve --workers N``, run the load, stop it: seconds to ready, the steps."""
    port = free_port()
    with spawn(serve_args(db_url, port, workers), work / f"server-{workers}.log",
               server_env(work)) as server:
        url = f"http://127.0.0.1:{port}"
        ready_s = wait_ready(f"{url}/health", server, timeout_s=300.0)
        print(f"  {workers} worker(s) ready in {ready_s:.1f} s", file=sys.stderr)
        steps = _loadgen(url, db_url, plan, seconds, ramp, work / f"load-{workers}.log",
                         server.pid)
    for s in steps:
        print(f"  {workers}w {s}", file=sys.stderr)
    return ready_s, steps


def run(quick: bool) -> list[BenchResult]:
    plan_n = [1, 50] if quick else [1, 100, 500, GOAL_SESSIONS]
    seconds = 6.0 if quick else 12.0
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="blindpilot-ws-") as tmp:
        work = Path(tmp)
        db_url = f"sqlite:///{work / 'ws.db'}"
        t0 = time.monotonic()
        first_start_s, one = _against_server(
            work, db_url, 1, ",".join(f"{n}x1" for n in plan_n), seconds, not quick)
        # two workers: the ramp from the load one worker held (walkers at 1 scan/s up to 1,000)
        best_one = max(1.0, _best(one))
        start = (f"{round(best_one)}x1" if best_one <= GOAL_SESSIONS
                 else f"{GOAL_SESSIONS}x{best_one / GOAL_SESSIONS:.2f}")
        _, two = _against_server(work, db_url, 2, f"{plan_n[-1]}x1" if quick else start,
                                 seconds, not quick)
        echo_port = free_port()
        with spawn(["-m", "benchmarks.loadgen", "--echo-server", "--port", str(echo_port)],
                   work / "echo.log") as echo:
            url = f"http://127.0.0.1:{echo_port}"
            wait_ready(f"{url}/health", echo, timeout_s=60.0)
            (echo_step,) = _loadgen(url, db_url, f"{plan_n[-1]}x1", seconds, False,
                                    work / "echo-load.log", echo.pid)
        print(f"  total {time.monotonic() - t0:.0f} s; load average before "
              f"{load[0]:.1f}, after {os.getloadavg()[0]:.1f} (2 cores: above 2 means other "
              "work shared them, so latencies are inflated)", file=sys.stderr)
    print(f"  echo {echo_step}", file=sys.stderr)
    return _results(one, two, echo_step, first_start_s, quick)


def _held(steps: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The step with the most answered scans/s held at p99 <= 50 ms without errors."""
    held = [s for s in steps if s["p99_ms"] <= P99_GOAL_MS and not s["errors"]]
    return max(held, key=lambda s: s["scans_per_s"], default=None)


def _best(steps: list[dict[str, Any]]) -> float:
    held = _held(steps)
    return held["scans_per_s"] if held else 0.0


def _results(one: list[dict[str, Any]], two: list[dict[str, Any]], echo: dict[str, Any],
             first_start_s: float, quick: bool) -> list[BenchResult]:
    plan = [s for s in one if s["step"] == "plan"]
    single = plan[0]
    out = [BenchResult("ws server first start (imports Kaiserslautern)", first_start_s, "s")]
    for s in plan[1:]:
        n = s["sessions"]
        goal = n == GOAL_SESSIONS
        answered_all = (s["errors"] == 0 and s["late"] == 0 and s["dropped_sessions"] == 0
                        and s["scans_per_s"] >= 0.98 * s["offered_scans_per_s"])
        out += [
            BenchResult(f"ws 1 worker: scan->fix p99, {n} sessions @1/s", s["p99_ms"], "ms",
                        goal=f"<= {P99_GOAL_MS:g} ms" if goal else None,
                        met=(s["p99_ms"] <= P99_GOAL_MS) if goal else None),
            BenchResult(f"ws 1 worker: scan->fix p50, {n} sessions @1/s", s["p50_ms"], "ms",
                        "1 session", single["p50_ms"],
                        ratio_lower_better(s["p50_ms"], single["p50_ms"])),
            BenchResult(f"ws 1 worker: scans/s answered, {n} sessions ({s['late']} late, "
                        f"{s['errors']} errors)", s["scans_per_s"], "scans/s", "offered",
                        s["offered_scans_per_s"], None,
                        "every scan answered, none late" if goal else None,
                        answered_all if goal else None),
        ]
    best_one, best_two = _best(one), _best(two)
    held = _held(one) or one[0]
    out.append(BenchResult(
        f"ws 1 worker: server CPU per scan at the load held ({held['scans_per_s']:g} scans/s)",
        held["server_cpu_ms_per_scan"], "ms",
        f"bare aiohttp JSON echo, per message, {echo['sessions']} sessions",
        echo["server_cpu_ms_per_scan"],
        ratio_lower_better(held["server_cpu_ms_per_scan"], echo["server_cpu_ms_per_scan"])))
    if quick:
        return out
    top_two = max(two, key=lambda s: s["scans_per_s"])
    return [*out,
            BenchResult(CAPACITY_RESULT, best_one,
                        "scans/s", "main (issue #14)", BASELINE_HELD_SCANS_PER_S,
                        best_one / BASELINE_HELD_SCANS_PER_S,
                        f">= {ONE_WORKER_GOAL:,.0f} scans/s (4x)", best_one >= ONE_WORKER_GOAL),
            BenchResult("ws 2 workers: max scans/s held at p99 <= 50 ms (ramp)", best_two,
                        "scans/s", "1 worker, same run", best_one,
                        best_two / best_one if best_one else None,
                        f">= {TWO_WORKER_GOAL_RATIO:g}x 1 worker",
                        best_two >= TWO_WORKER_GOAL_RATIO * best_one > 0),
            BenchResult("ws 2 workers: load generator's cores at its busiest step",
                        top_two["loadgen_cores"], "cores")]
