"""The GeoJSON export of the 101k-node synthetic city, against a real ``blindpilot serve``.

Per export, in a fresh server each time (freed memory is not handed back, so a second export
in the same process would hide the first one's peak):

- the server's peak RSS above what it held before (sampled every 10 ms from /proc);
- how long the event loop was held: the slowest of ``/health`` requests sent back to back from
  another thread during the export, minus the median of the same requests before it;
- the export's seconds and bytes, and whether it came chunked (which code served it).

The database is a private copy of the cached city (serving migrates it). ``--code DIR`` serves
another checkout (e.g. ``git archive main``) for the figures before a change:
``python -m benchmarks.bench_export --code /tmp/main-src``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from benchmarks.common import BenchResult
from benchmarks.loadgen import ROOT, free_port, rss_kib, server_env, spawn, wait_ready
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
            idle = [_probe_ms(f"{base}/health", key) for _ in range(20)]
            rss0 = rss_kib(proc.pid)
            peak = [rss0]
            done = threading.Event()

            def sample() -> None:
                while not done.is_set():
                    peak[0] = max(peak[0], rss_kib(proc.pid))
                    time.sleep(0.01)

            probes: list[float] = []

            def probe() -> None:
                while not done.is_set():
                    probes.append(_probe_ms(f"{base}/health", key))

            threads = [threading.Thread(target=sample), threading.Thread(target=probe)]
            for t in threads:
                t.start()
            t0 = time.perf_counter()
            size = 0
            with urllib.request.urlopen(_get(f"{base}/v1/map/export.geojson{query}", key),
                                        timeout=120) as r:
                chunked = r.headers.get("Transfer-Encoding") == "chunked"  # which code served
                while chunk := r.read(1 << 16):
                    size += len(chunk)
            seconds = time.perf_counter() - t0
            done.set()
            for t in threads:
                t.join()
    return {"export_s": seconds, "mb": size / 1e6, "rss_peak_mb": (peak[0] - rss0) / 1024,
            "loop_block_ms": max(probes) - statistics.median(idle), "probes": len(probes),
            "streamed": float(chunked)}


def run(quick: bool) -> list[BenchResult]:
    runs = [export_once(ROOT) for _ in range(1 if quick else 3)]
    worst = {k: max(r[k] for r in runs) for k in ("rss_peak_mb", "loop_block_ms", "export_s")}
    return [
        BenchResult("export 101k-node city: peak RSS growth (worst run)", worst["rss_peak_mb"],
                    "MB", goal="bounded (was +311 MB)", met=worst["rss_peak_mb"] < 100),
        BenchResult("export 101k-node city: longest loop block (worst run)",
                    worst["loop_block_ms"], "ms", goal="< 100 ms (was 2.8 s)",
                    met=worst["loop_block_ms"] < 100),
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
