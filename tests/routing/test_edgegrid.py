"""The snapping grid of the compiled graph: every cell a segment touches, and no more than that."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np

from routing.edgegrid import GRID_CELL_M, segment_cells
from routing.paths import Router
from tests.routing.conftest import latlon, tiny_graph


def cells_on(x0: float, y0: float, x1: float, y1: float, step_m: float = 0.5) -> set[tuple]:
    """Cells of points every ``step_m`` along the segment (a lower bound of what it touches)."""
    n = int(np.hypot(x1 - x0, y1 - y0) / step_m) + 2
    t = np.linspace(0, 1, n)
    xs, ys = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
    return set(zip(np.floor(xs / GRID_CELL_M).astype(int).tolist(),
                   np.floor(ys / GRID_CELL_M).astype(int).tolist(), strict=True))


def test_segment_cells_cover_every_point_of_random_segments() -> None:
    rng = np.random.default_rng(3)
    a = rng.uniform(-400, 400, size=(300, 2))
    b = a + rng.uniform(-300, 300, size=(300, 2))
    b[:20, 0] = a[:20, 0]  # vertical
    b[20:40, 1] = a[20:40, 1]  # horizontal
    b[40:50] = a[40:50]  # a point
    b[50:60] = np.round(b[50:60] / GRID_CELL_M) * GRID_CELL_M  # ends on cell corners
    owner, cx, cy = segment_cells(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    for i in range(len(a)):
        got = set(zip(cx[owner == i].tolist(), cy[owner == i].tolist(), strict=True))
        assert cells_on(*a[i], *b[i]) <= got, i
        length = float(np.hypot(*(b[i] - a[i])))
        assert len(got) <= 2 * (length / GRID_CELL_M + 2) + 2, (i, len(got))  # linear


def test_snapping_finds_the_nearest_point_of_a_long_diagonal_edge() -> None:
    graph = tiny_graph({1: (0, 0), 2: (5_000, 4_000), 3: (20, 0)}, [(1, 2, {}), (1, 3, {})])
    router = Router(graph)
    lat, lon = latlon(2_500, 2_030)  # ~23 m off the long edge, far from every node
    snap = router.snap(lat, lon)
    assert snap.edge_id == 1 and 20 < snap.distance_m < 25


def test_a_57_km_edge_costs_no_more_memory_than_its_length() -> None:
    """Reported: one 57 km segment (a 208-byte OSM file) took +285 MB and seconds to index."""
    script = textwrap.dedent("""
        import resource
        from routing.graph import build_graph
        from routing.model import EdgeRecord, NodeRecord
        from routing.paths import Router
        graph = build_graph([NodeRecord(1, 49.0, 7.0), NodeRecord(2, 49.4, 7.5)],
                            [EdgeRecord(1, 1, 2, 57_400.0)])
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        Router(graph)
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, timeout=120)
    grown_kb = int(out.stdout.strip())
    assert grown_kb < 20 * 1024, f"indexing one long edge took {grown_kb / 1024:.0f} MB"
