"""The console's map by bounding box on the >=100k-node synthetic city: latency of
``GET /v1/map/features`` for 500 m x 500 m views, end to end over HTTP.

The goal figure asks for what the console asks for at that size (``layers=edges``: it draws
nodes and landmarks only from zoom 18, ~150 m across); the same views with nodes are reported too.
A real ``blindpilot serve`` process on a copy of the cached city (a key is written into the copy,
never into the cache); a client with keep-alive asks for views at random places inside the city,
one after another, as a console panning around does, after 30 untimed ones. The first call after
start-up (it builds the edge index) is reported on its own. Baseline in the same run: the whole
map as one GeoJSON export, which is what a console without bbox endpoints would have to load.
"""

from __future__ import annotations

import math
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import BenchResult, ratio_lower_better
from benchmarks.loadgen import free_port, percentile, serve_args, server_env, spawn, wait_ready
from benchmarks.synthetic_city import city_db

GOAL_P95_MS = 100.0
VIEW_M = 500.0
VIEWS = 300
QUICK_VIEWS = 60
WARM_UP = 30


def _views(bbox: list[float], count: int, seed: int) -> list[str]:
    """``count`` boxes of VIEW_M x VIEW_M metres placed at random inside the map."""
    west, south, east, north = bbox
    dlat = VIEW_M / 111_320.0
    dlon = VIEW_M / (111_320.0 * math.cos(math.radians((south + north) / 2)))
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        lon, lat = rng.uniform(west, east - dlon), rng.uniform(south, north - dlat)
        out.append(f"{lon:.6f},{lat:.6f},{lon + dlon:.6f},{lat + dlat:.6f}")
    return out


def _whole_export(http: Any, url: str) -> tuple[float, int]:
    """Milliseconds and bytes of the whole map as one GeoJSON (~290 MB: skipped when quick)."""
    t0 = time.perf_counter()
    whole = http.get(f"{url}/v1/map/export.geojson", timeout=300)
    whole.raise_for_status()
    return (time.perf_counter() - t0) * 1000.0, len(whole.content)


def _ask(http: Any, url: str, views: list[str], layers: str
         ) -> tuple[list[float], list[int], list[int]]:
    """Milliseconds, bytes and features of each view, asked one after another."""
    samples, sizes, features = [], [], []
    for box in views:
        t0 = time.perf_counter()
        r = http.get(f"{url}/v1/map/features", params={"bbox": box, "layers": layers},
                     timeout=30)
        body = r.content
        samples.append((time.perf_counter() - t0) * 1000.0)
        r.raise_for_status()
        sizes.append(len(body))
        features.append(len(r.json()["features"]))
    return samples, sizes, features


def run(quick: bool) -> list[BenchResult]:
    import requests

    from navigator.storage import Storage

    cached_url, _ = city_db()
    with tempfile.TemporaryDirectory(prefix="blindpilot-console-") as tmp:
        work = Path(tmp)
        db = work / "city.db"
        shutil.copy(cached_url.removeprefix("sqlite:///"), db)
        storage = Storage(f"sqlite:///{db}")
        key = storage.create_api_key("mapper")
        storage.close()
        port = free_port()
        with spawn(serve_args(f"sqlite:///{db}", port), work / "server.log",
                   server_env(work)) as server:
            url = f"http://127.0.0.1:{port}"
            wait_ready(f"{url}/health", server, timeout_s=240.0)
            http = requests.Session()
            http.headers["Authorization"] = f"Bearer {key}"
            t0 = time.perf_counter()
            bbox = http.get(f"{url}/v1/me", timeout=60).json()["map_bbox"]
            first_ms = (time.perf_counter() - t0) * 1000.0
            # untimed: the server's own start-up work (a background import) ends meanwhile
            _ask(http, url, _views(bbox, WARM_UP, seed=3), "edges")
            views = _views(bbox, QUICK_VIEWS if quick else VIEWS, seed=7)
            samples, sizes, features = _ask(http, url, views, "edges")
            with_nodes, _, _ = _ask(http, url, views, "edges,nodes")
            export_ms, export_bytes = _whole_export(http, url) if not quick else (None, 0)
    p50, p95, p99 = (percentile(samples, q) for q in (50, 95, 99))
    nodes_p95 = percentile(with_nodes, 95)
    print(f"  {len(samples)} views of {VIEW_M:g} m: p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
          f"p99 {p99:.1f} ms, max {max(samples):.1f} ms; features median "
          f"{statistics.median(features):.0f}, bytes median {statistics.median(sizes):,.0f}; "
          f"with nodes p95 {nodes_p95:.1f} ms; "
          f"first call (index build) {first_ms:.0f} ms; whole export "
          f"{'not asked (quick)' if export_ms is None else f'{export_ms:.0f} ms'} "
          f"({export_bytes:,} bytes)", file=sys.stderr)
    return [
        BenchResult("console bbox 500 m view p95 (101k nodes)", p95, "ms",
                    "whole-map GeoJSON export" if export_ms else None, export_ms,
                    ratio_lower_better(p95, export_ms) if export_ms else None,
                    f"<= {GOAL_P95_MS:g} ms", p95 <= GOAL_P95_MS),
        BenchResult("console bbox 500 m view p50 (101k nodes)", p50, "ms"),
        BenchResult("console bbox 500 m view p95 with nodes (drawn from zoom 18)", nodes_p95,
                    "ms"),
        BenchResult("console first call after start (builds the edge index)", first_ms, "ms"),
    ]
