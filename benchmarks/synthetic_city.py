"""A >=100k-node walkable city in SQLite, built once and cached, for start-up benchmarks.

Real extracts big enough are not shipped, so the city is synthetic but shaped like a real one:
every street intersection has four sidewalk corners joined by crossings (signalled, with or
without sound/vibration, zebra, unmarked), sidewalks run along every block (some with steps,
tactile paving, rough surfaces), there are named places, and the beacon layout is the product's
own plan (:func:`beacons.planning.plan_beacons`).
"""

from __future__ import annotations

import os
import random
import sqlite3
import tempfile
import time
from pathlib import Path

from beacons.planning import plan_beacons
from navigator.storage import Storage
from navigator.storage.engine import SCHEMA_HEAD
from routing.geo import LocalFrame, haversine_m
from routing.graph import build_graph
from routing.model import EdgeRecord, MapExtract, NodeRecord, PlaceKind, PlaceRecord

#: 159 x 159 intersections x 4 corners = 101,124 nodes, ~202k edges.
SIDE = 159
BLOCK_M = 60.0
CORNER_M = 5.0  # half the width of a street, kerb to kerb
BEACON_SPACING_M = 10.0
CACHE_DIR = Path(
    os.environ.get("BLINDPILOT_BENCH_CACHE", Path(tempfile.gettempdir()) / "blindpilot-bench")
)
VERSION = 1  # bump when the city changes so a stale cache is not reused

_CROSSINGS = [
    (
        {
            "crossing": "traffic_signals",
            "traffic_signals_sound": True,
            "traffic_signals_vibration": True,
            "tactile_paving": True,
            "kerb": "lowered",
        },
        15,
    ),
    ({"crossing": "traffic_signals", "traffic_signals_sound": True}, 10),
    ({"crossing": "traffic_signals"}, 15),
    ({"crossing": "marked", "kerb": "lowered"}, 20),
    ({"crossing": "uncontrolled", "crossing_island": True}, 10),
    ({"crossing": "unmarked", "kerb": "raised", "kerb_height_m": 0.12}, 30),
]
_SIDEWALKS = [
    ({"surface": "paving_stones"}, 55),
    ({"surface": "asphalt", "tactile_paving": True, "lit": True}, 20),
    ({"surface": "sett", "smoothness": "bad"}, 10),
    ({"surface": "paving_stones", "width_m": 0.9}, 10),
    ({"highway": "steps", "step_count": 6, "handrail": True, "incline": "up"}, 3),
    ({"highway": "steps", "step_count": 14, "handrail": False, "incline": "down"}, 2),
]
_PLACE_KINDS = [k.value for k in PlaceKind]


def _pick(rng: random.Random, table: list[tuple[dict, int]]) -> dict:
    return rng.choices([a for a, _ in table], [w for _, w in table])[0]


def build_city(side: int = SIDE, seed: int = 11) -> MapExtract:
    """The city's nodes (4 per intersection), sidewalks, crossings and places; deterministic."""
    rng = random.Random(seed)
    frame = LocalFrame(49.44, 7.76)
    corners = ((1, 1), (-1, 1), (-1, -1), (1, -1))  # NE, NW, SW, SE

    def nid(i: int, j: int, q: int) -> int:
        return 4 * (j * side + i) + q + 1

    nodes: list[NodeRecord] = []
    for j in range(side):
        for i in range(side):
            cx = i * BLOCK_M + rng.uniform(-6, 6)
            cy = j * BLOCK_M + rng.uniform(-6, 6)
            for q, (sx, sy) in enumerate(corners):
                lat, lon = frame.to_latlon(cx + sx * CORNER_M, cy + sy * CORNER_M)
                nodes.append(NodeRecord(nid(i, j, q), lat, lon))
    by_id = {n.id: n for n in nodes}
    edges: list[EdgeRecord] = []

    def add(u: int, v: int, **attrs: object) -> None:
        a, b = by_id[u], by_id[v]
        edges.append(
            EdgeRecord(len(edges) + 1, u, v, haversine_m(a.lat, a.lon, b.lat, b.lon), **attrs)
        )  # type: ignore[arg-type]

    for j in range(side):
        for i in range(side):
            ns, ew = f"Nordstraße {i + 1}", f"Weststraße {j + 1}"
            ne, nw, sw, se = (nid(i, j, q) for q in range(4))
            for u, v, street in ((nw, ne, ns), (sw, se, ns), (nw, sw, ew), (ne, se, ew)):
                add(
                    u,
                    v,
                    highway="footway",
                    footway="crossing",
                    name=street,
                    **_pick(rng, _CROSSINGS),
                )
            if i + 1 < side:  # sidewalks on both sides of the east-west street
                for u, v in ((ne, nid(i + 1, j, 1)), (se, nid(i + 1, j, 2))):
                    add(
                        u,
                        v,
                        **{
                            "highway": "footway",
                            "footway": "sidewalk",
                            "name": ew,
                            **_pick(rng, _SIDEWALKS),
                        },
                    )
            if j + 1 < side:
                for u, v in ((ne, nid(i, j + 1, 3)), (nw, nid(i, j + 1, 2))):
                    add(
                        u,
                        v,
                        **{
                            "highway": "footway",
                            "footway": "sidewalk",
                            "name": ns,
                            **_pick(rng, _SIDEWALKS),
                        },
                    )
    places = []
    for k in range(side * side // 10):
        n = nodes[rng.randrange(len(nodes))]
        places.append(
            PlaceRecord(k + 1, f"Ort {k + 1}", rng.choice(_PLACE_KINDS), n.lat + 2e-5, n.lon + 2e-5)
        )
    return MapExtract(nodes, edges, places)


def city_db(side: int = SIDE) -> tuple[str, float]:
    """SQLAlchemy URL of the cached city database (built on first use) and the build seconds
    (0 when cached)."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    # the schema in the name: a tree at another schema (a branch, main) has its own file rather
    # than migrating, and so breaking, the other's
    path = CACHE_DIR / f"city_{side}_v{VERSION}_{SCHEMA_HEAD}.db"
    url = f"sqlite:///{path}"
    if path.exists():
        return url, 0.0
    t0 = time.perf_counter()
    tmp = path.with_suffix(".building")
    for stale in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        stale.unlink(missing_ok=True)
    storage = Storage(f"sqlite:///{tmp}")
    try:
        storage.migrate()
        extract = build_city(side)
        storage.replace_map(extract, actor="bench", source="synthetic_city")
        placements = plan_beacons(
            build_graph(extract.nodes, extract.edges), spacing_m=BEACON_SPACING_M
        )
        storage.replace_beacons(placements, actor="bench")
    finally:
        storage.close()
    with sqlite3.connect(tmp) as conn:  # fold the WAL in so the file can be renamed alone
        conn.execute("PRAGMA journal_mode=DELETE")
    tmp.rename(path)
    return url, time.perf_counter() - t0
