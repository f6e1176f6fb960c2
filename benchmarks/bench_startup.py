"""Start-up time of a >=100k-node city from SQLite: what a restart costs before the service answers.

Two figures, both in fresh processes (imports are part of a restart):

- the phases a restart goes through, each timed: imports, ``Storage.load_map`` (nodes, edges,
  places, beacons), ``MapState`` (graph + compiled router), and the positioning map the first
  live session needs (built lazily, so reported separately);
- end to end: a real server process on the same database, from spawn to the first 200 of
  ``/health`` (the map is loaded before the port opens, so that is "ready for routes").

Baseline in the same run: the same rows read as ORM objects (``select(Edge)``), the way the
design notes measured as 2.6-3 s for 200k edges.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import BenchResult, ratio_lower_better
from benchmarks.loadgen import ROOT, free_port, serve_args, server_env, spawn, wait_ready
from benchmarks.synthetic_city import SIDE, city_db

GOAL_S = 3.0
QUICK_SIDE = 60  # 14,400 nodes: a smoke run of the same code


def measure_phases(db_url: str) -> dict[str, float]:
    """Seconds per start-up phase, in this (fresh) process; also the ORM-object baseline."""
    t0 = time.perf_counter()
    from navigator.mapstate import MapState
    from navigator.storage import Storage

    out: dict[str, float] = {"imports_s": time.perf_counter() - t0}
    storage = Storage(db_url)
    try:
        t = time.perf_counter()
        snapshot = storage.load_map()
        out["load_map_s"] = time.perf_counter() - t
        t = time.perf_counter()
        storage.load_beacons()
        out["load_beacons_s"] = time.perf_counter() - t
        t = time.perf_counter()
        mapstate = MapState(snapshot)
        out["mapstate_s"] = time.perf_counter() - t
        t = time.perf_counter()
        mapstate.positioning_map()
        out["positioning_map_s"] = time.perf_counter() - t
        out["ready_s"] = out["imports_s"] + out["load_map_s"] + out["mapstate_s"]
        out.update(
            nodes=len(snapshot.nodes),
            edges=len(snapshot.edges),
            beacons=len(snapshot.beacons),
            places=len(snapshot.places),
        )
        del snapshot, mapstate
        out["columns_graph_s"], out["orm_graph_s"] = _graph_rows_both_ways(storage)
    finally:
        storage.close()
    return out


def _graph_rows_both_ways(storage: object) -> tuple[float, float]:
    """Nodes + edges as domain records: via column queries (as load_map) and via ORM objects."""
    from sqlmodel import Session, select

    from navigator.storage import EDGE_RECORD_FIELDS, Edge, Node
    from routing.model import EdgeRecord, NodeRecord

    engine = storage.engine  # type: ignore[attr-defined]
    t = time.perf_counter()
    nodes, edges = storage.load_graph()  # type: ignore[attr-defined]
    columns_s = time.perf_counter() - t
    del nodes, edges
    t = time.perf_counter()
    with Session(engine) as session:
        orm_nodes = [NodeRecord(n.id, n.lat, n.lon, n.level) for n in session.exec(select(Node))]
        orm_edges = [
            EdgeRecord(**{c: getattr(e, c) for c in EDGE_RECORD_FIELDS})
            for e in session.exec(select(Edge))
        ]
    orm_s = time.perf_counter() - t
    assert len(orm_nodes) and len(orm_edges)
    return columns_s, orm_s


def _phases_in_fresh_process(db_url: str) -> dict[str, float]:
    code = (
        "import json, sys; from benchmarks.bench_startup import measure_phases; "
        "print(json.dumps(measure_phases(sys.argv[1])))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, db_url],
        cwd=ROOT,
        check=True,
        stdout=subprocess.PIPE,
        timeout=600,
    ).stdout.decode()
    return json.loads(out.strip().splitlines()[-1])


def _serve_to_health(db_url: str) -> float:
    """Spawn a server on ``db_url`` and time spawn -> first 200 from /health."""
    with tempfile.TemporaryDirectory(prefix="blindpilot-start-") as tmp:
        port = free_port()
        t0 = time.monotonic()
        with spawn(
            serve_args(db_url, port), Path(tmp) / "server.log", server_env(Path(tmp))
        ) as proc:
            wait_ready(f"http://127.0.0.1:{port}/health", proc, timeout_s=600.0)
            return time.monotonic() - t0


def run(quick: bool) -> list[BenchResult]:
    side = QUICK_SIDE if quick else SIDE
    db_url, build_s = city_db(side)
    if build_s:
        print(f"  built the {side}x{side} city in {build_s:.0f} s (cached)", file=sys.stderr)
    p = _phases_in_fresh_process(db_url)
    e2e = _serve_to_health(db_url)
    print(f"  phases: {p}\n  serve -> /health 200: {e2e:.2f} s", file=sys.stderr)
    size = (
        f"{p['nodes'] / 1000:.0f}k nodes, {p['edges'] / 1000:.0f}k edges, "
        f"{p['beacons'] / 1000:.0f}k beacons"
    )
    goal = None if quick else f"<= {GOAL_S:g} s"

    def met(x: float) -> bool | None:
        return None if quick else x <= GOAL_S

    return [
        BenchResult(f"startup serve -> /health 200 ({size})", e2e, "s", goal=goal, met=met(e2e)),
        BenchResult(
            "startup imports+load_map+MapState (fresh process)",
            p["ready_s"],
            "s",
            goal=goal,
            met=met(p["ready_s"]),
        ),
        BenchResult("startup phase: imports", p["imports_s"], "s"),
        BenchResult("startup phase: Storage.load_map", p["load_map_s"], "s"),
        BenchResult("startup phase: of which load_beacons", p["load_beacons_s"], "s"),
        BenchResult("startup phase: MapState (graph + compiled router)", p["mapstate_s"], "s"),
        BenchResult("startup phase: positioning map (first session)", p["positioning_map_s"], "s"),
        BenchResult(
            "startup nodes+edges via column queries",
            p["columns_graph_s"],
            "s",
            "ORM objects (select(Edge))",
            p["orm_graph_s"],
            ratio_lower_better(p["columns_graph_s"], p["orm_graph_s"]),
        ),
    ]
