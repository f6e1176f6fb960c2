"""The GeoJSON export of the 101k-node synthetic city, against a real ``blindpilot serve``.

Per export, in a fresh server each time (freed memory is not handed back, so a second export
in the same process would hide the first one's peak):

- the server's peak memory above what it held before: the proportional set size (PSS, shared
  pages split between the processes sharing them) summed over every process of the server (the
  supervisor, its worker, an export's child), sampled every 50 ms from /proc;
- how long the event loop was held: the slowest of ``/health`` requests sent back to back from
  another thread during the export, minus the median of the same requests before it; and the
  same for a window as long without an export (``control``): on a loaded machine the slowest of
  thousands of requests is slow anyway, and this says how slow;
- the export's seconds and bytes, and whether it came chunked (which code served it).

The export is read by a child process (``curl``-like, in Python): read by a thread of this
process it competed with the probing thread for this process's GIL, and the probes measured
that too.

The database is a private copy of the cached city (serving migrates it). ``--code DIR`` serves
another checkout (e.g. ``git archive main``) for the figures before a change:
``python -m benchmarks.bench_export --code /tmp/main-src``. Its export children run its own code
only if its ``child_command`` passes ``-P`` (since 2026-11-28); before that they imported the
working directory's (this checkout's) navigator, so measure an older checkout from inside it:
``cd /tmp/main-src && python -m benchmarks.bench_export``.
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
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.common import BenchResult
from benchmarks.loadgen import ROOT, free_port, process_tree, server_env, spawn, wait_ready
from benchmarks.synthetic_city import SIDE, city_db


def _copy_city(folder: Path) -> str:
    cached = Path(city_db(SIDE)[0].removeprefix("sqlite:///"))
    dst = folder / "city.db"
    shutil.copy(cached, dst)
    return f"sqlite:///{dst}"


def _mapper_key(code: Path, db_url: str) -> str:
    out = subprocess.run([sys.executable, "-m", "navigator.cli", "keys", "create", "--role",
                          "mapper", "--db", db_url], cwd=code, env=server_env(code),
                         capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1]


def _get(url: str, key: str) -> urllib.request.Request:
    return urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})


def _probe_ms(url: str, key: str) -> float:
    t0 = time.perf_counter()
    with urllib.request.urlopen(_get(url, key), timeout=600) as r:
        r.read()
    return (time.perf_counter() - t0) * 1000.0


#: Reads the export (argv: url, key) and prints its bytes and whether it came chunked.
_READER = """
import json, sys, urllib.request
req = urllib.request.Request(sys.argv[1], headers={"Authorization": "Bearer " + sys.argv[2]})
size = 0
with urllib.request.urlopen(req, timeout=600) as r:
    chunked = r.headers.get("Transfer-Encoding") == "chunked"
    while chunk := r.read(1 << 20):
        size += len(chunk)
print(json.dumps({"bytes": size, "chunked": chunked}))
"""


def pss_kib(pid: int) -> int:
    """Proportional set size of ``pid`` and its descendants (Linux)."""
    total = 0
    for p in process_tree(pid):
        try:
            rollup = Path(f"/proc/{p}/smaps_rollup").read_text()
        except OSError:
            continue
        total += next(int(line.split()[1]) for line in rollup.splitlines()
                      if line.startswith("Pss:"))
    return total


def _probe_while(url: str, key: str, busy: Callable[[], Any]) -> tuple[Any, list[float]]:
    """What ``busy()`` returns and the ``/health`` times meanwhile."""
    done = threading.Event()
    probes: list[float] = []

    def probe() -> None:
        while not done.is_set():
            probes.append(_probe_ms(url, key))

    thread = threading.Thread(target=probe)
    thread.start()
    try:
        return busy(), probes
    finally:
        done.set()
        thread.join()


def export_once(code: Path, query: str = "") -> dict[str, float]:
    """One export in a fresh server serving ``code``: its figures."""
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        folder = Path(tmp)
        db_url = _copy_city(folder)
        key = _mapper_key(code, db_url)
        port = free_port()
        env = {**server_env(folder), "PYTHONPATH": str(code)}
        # one worker: the /health probes must reach the one that exports
        serve = ["serve", "--db", db_url, "--port", str(port), "--workers", "1"]
        # spawn runs in this checkout, whose navigator would come first on sys.path: put the
        # served checkout before it
        args = ["-c", f"import sys; sys.path.insert(0, {str(code)!r}); "
                      f"from navigator.cli import main; sys.exit(main({serve!r}))"]
        base = f"http://127.0.0.1:{port}"
        with spawn(args, folder / "serve.log", env) as proc:
            wait_ready(f"{base}/health", proc, timeout_s=180)
            time.sleep(2)  # the worker's warm-up (numba, the positioner's kernels) ends
            idle = [_probe_ms(f"{base}/health", key) for _ in range(20)]
            mem0 = pss_kib(proc.pid)
            peak = [mem0]
            sampling = threading.Event()

            def sample() -> None:
                while not sampling.is_set():
                    peak[0] = max(peak[0], pss_kib(proc.pid))
                    time.sleep(0.05)

            sampler = threading.Thread(target=sample)
            sampler.start()

            def read_export() -> dict[str, Any]:
                out = subprocess.run([sys.executable, "-c", _READER,
                                      f"{base}/v1/map/export.geojson{query}", key],
                                     capture_output=True, text=True, check=True, timeout=900)
                return dict(json.loads(out.stdout))

            t0 = time.perf_counter()
            got, probes = _probe_while(f"{base}/health", key, read_export)
            seconds = time.perf_counter() - t0
            sampling.set()
            sampler.join()
            _, control = _probe_while(f"{base}/health", key, lambda: time.sleep(seconds))
    base_ms = statistics.median(idle)
    return {"export_s": seconds, "mb": got["bytes"] / 1e6, "mem_peak_mb": (peak[0] - mem0) / 1024,
            "loop_block_ms": max(probes) - base_ms, "probes": len(probes),
            "probe_p50_ms": statistics.median(probes),
            "control_block_ms": max(control) - base_ms, "control_probes": len(control),
            "control_p50_ms": statistics.median(control),
            "load_1min": os.getloadavg()[0], "streamed": float(got["chunked"])}


def run(quick: bool) -> list[BenchResult]:
    runs = [export_once(ROOT) for _ in range(1 if quick else 3)]
    worst = {k: max(r[k] for r in runs)
             for k in ("mem_peak_mb", "loop_block_ms", "control_block_ms", "export_s")}
    return [
        BenchResult("export 101k-node city: peak memory growth, all the server's processes "
                    "(PSS, worst run)", worst["mem_peak_mb"], "MB",
                    goal="bounded (was +311 MB)", met=worst["mem_peak_mb"] < 100),
        BenchResult("export 101k-node city: longest loop block (worst run)",
                    worst["loop_block_ms"], "ms", goal="< 100 ms (was 2.8 s)",
                    met=worst["loop_block_ms"] < 100),
        BenchResult("same /health probes, as long without an export (worst run: the machine)",
                    worst["control_block_ms"], "ms"),
        BenchResult("export 101k-node city: seconds (worst run)", worst["export_s"], "s"),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--code", default=str(ROOT), help="the checkout to serve")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--bbox", help="export only this box (minlon,minlat,maxlon,maxlat)")
    args = parser.parse_args(argv)
    query = f"?bbox={args.bbox}" if args.bbox else ""
    for i in range(args.runs):
        figures: dict[str, Any] = export_once(Path(args.code), query)
        print(f"run {i + 1}: " + ", ".join(f"{k} {v:.3g}" for k, v in figures.items()),
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
