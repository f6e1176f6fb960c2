"""Live-guidance WebSocket under load: scan -> fix-ack latency for N concurrent sessions.

A real server process (fresh SQLite database; the first start imports the embedded Kaiserslautern
map) and a separate load process (:mod:`benchmarks.loadgen`) on loopback, so they do not share a
GIL. Baseline in the same run: the same load against a bare aiohttp JSON echo server (what
transport and JSON alone cost on this machine), and the latency of a single session.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import BenchResult, ratio_lower_better
from benchmarks.loadgen import (
    P99_GOAL_MS,
    ROOT,
    free_port,
    serve_args,
    server_env,
    spawn,
    wait_ready,
)

GOAL_SESSIONS = 1000


def _loadgen(
    url: str, db_url: str, plan: str, seconds: float, ramp: bool, log: Path, timeout_s: float
) -> list[dict[str, Any]]:
    """Run the load process to completion; its JSON lines."""
    args = [
        sys.executable,
        "-m",
        "benchmarks.loadgen",
        "--url",
        url,
        "--db",
        db_url,
        "--plan",
        plan,
        "--seconds",
        str(seconds),
        *(["--ramp"] if ramp else []),
    ]
    with log.open("wb") as err:
        out = subprocess.run(
            args, stdout=subprocess.PIPE, stderr=err, cwd=ROOT, check=True, timeout=timeout_s
        ).stdout
    return [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]


def run(quick: bool) -> list[BenchResult]:
    plan_n = [1, 50] if quick else [1, 100, 500, GOAL_SESSIONS]
    seconds = 6.0 if quick else 12.0
    plan = ",".join(f"{n}x1" for n in plan_n)
    with tempfile.TemporaryDirectory(prefix="blindpilot-ws-") as tmp:
        work = Path(tmp)
        db_url = f"sqlite:///{work / 'ws.db'}"
        port, echo_port = free_port(), free_port()
        with spawn(serve_args(db_url, port), work / "server.log", server_env(work)) as server:
            url = f"http://127.0.0.1:{port}"
            t0 = time.monotonic()
            first_start_s = wait_ready(f"{url}/health", server, timeout_s=240.0)
            print(
                f"  server ready in {first_start_s:.1f} s (first start, imports the city)",
                file=sys.stderr,
            )
            steps = _loadgen(url, db_url, plan, seconds, not quick, work / "load.log", 280.0)
        with spawn(
            ["-m", "benchmarks.loadgen", "--echo-server", "--port", str(echo_port)],
            work / "echo.log",
        ) as echo:
            url = f"http://127.0.0.1:{echo_port}"
            wait_ready(f"{url}/health", echo, timeout_s=60.0)
            echo_steps = _loadgen(
                url, db_url, f"{plan_n[-1]}x1", seconds, False, work / "echo-load.log", 200.0
            )
        print(f"  total {time.monotonic() - t0:.0f} s", file=sys.stderr)
    for s in [*steps, *echo_steps]:
        print(f"  {s}", file=sys.stderr)
    return _results(steps, echo_steps[-1], first_start_s)


def _results(
    steps: list[dict[str, Any]], echo: dict[str, Any], first_start_s: float
) -> list[BenchResult]:
    plan = [s for s in steps if s["step"] == "plan"]
    single = plan[0]
    out = [BenchResult("ws server first start (imports Kaiserslautern)", first_start_s, "s")]
    for s in plan[1:]:
        n = s["sessions"]
        ok = s["errors"] == 0 and s["session_failures"] == 0
        goal = n == GOAL_SESSIONS
        out.append(
            BenchResult(
                f"ws scan->fix p99, {n} sessions @1/s",
                s["p99_ms"],
                "ms",
                "bare aiohttp JSON echo, same load" if n == echo["sessions"] else None,
                echo["p99_ms"] if n == echo["sessions"] else None,
                ratio_lower_better(s["p99_ms"], echo["p99_ms"]) if n == echo["sessions"] else None,
                f"<= {P99_GOAL_MS:g} ms at {GOAL_SESSIONS}" if goal else None,
                (s["p99_ms"] <= P99_GOAL_MS and ok) if goal else None,
            )
        )
        out.append(
            BenchResult(
                f"ws scan->fix p50, {n} sessions @1/s",
                s["p50_ms"],
                "ms",
                "1 session",
                single["p50_ms"],
                ratio_lower_better(s["p50_ms"], single["p50_ms"]),
            )
        )
        out.append(
            BenchResult(
                f"ws scans/s acknowledged, {n} sessions",
                s["scans_per_s"],
                "scans/s",
                "offered",
                s["offered_scans_per_s"],
                None,
                ">= 98 % of offered, no errors",
                s["scans_per_s"] >= 0.98 * s["offered_scans_per_s"] and ok,
            )
        )
    good = [s for s in steps if s["p99_ms"] <= P99_GOAL_MS and not s["errors"]]
    if any(s["step"] == "ramp" for s in steps):
        best = max((s["scans_per_s"] for s in good), default=0.0)
        out.append(
            BenchResult(
                "ws max scans/s with p99 <= 50 ms (ramp)",
                best,
                "scans/s",
                "goal load",
                float(GOAL_SESSIONS),
                None,
                f">= {GOAL_SESSIONS} scans/s",
                best >= 0.98 * GOAL_SESSIONS,
            )
        )
    return out
