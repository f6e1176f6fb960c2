"""Compile the positioner's loops (beacons/kernels.py, readingkernels.py, absencekernels.py,
mapkernels.py) into numba's cache, ahead.

numba compiles each loop on its first call and caches the machine code next to the module
(``beacons/__pycache__``); the first time on a machine that is tens of seconds of the first
walker's scans (measured 2026-11-28 on the busy 2-core machine: ~50 s). ``make run``,
``make test`` and ``make bench`` run this first: a short walk on a small street grid with a
beacon every 10 m calls every loop with the types the service passes it. Later starts only
load the cache (~1 s on a quiet machine; a worker does that in the background at start).
"""

from __future__ import annotations

import time

import numpy as np

from beacons.absence import unheard_evidence
from beacons.likelihood import BodyLoss, offset_prior
from beacons.planning import plan_beacons
from beacons.positioning import Positioner
from beacons.simulator import SimulatedSource, walk_along
from routing.geo import LocalFrame
from routing.graph import build_graph
from routing.model import EdgeRecord, NodeRecord


def main() -> None:
    t0 = time.perf_counter()
    frame = LocalFrame(49.44, 7.77)
    side = 6  # a 6 x 6 grid of 25 m blocks
    nodes = [NodeRecord(i * side + j, *frame.to_latlon(25.0 * i, 25.0 * j))
             for i in range(side) for j in range(side)]
    edges: list[EdgeRecord] = []
    for i in range(side):
        for j in range(side):
            here = i * side + j
            if i:
                edges.append(EdgeRecord(len(edges) + 1, here - side, here, 25.0))
            if j:
                edges.append(EdgeRecord(len(edges) + 1, here - 1, here, 25.0))
    graph = build_graph(nodes, edges)
    placements = plan_beacons(graph, spacing_m=10.0)
    route = [frame.to_latlon(25.0 * k, 0.0) for k in range(side)]
    route += [frame.to_latlon(125.0, 25.0 * k) for k in range(1, side)]
    source = SimulatedSource(placements, walk_along(route), seed=0)
    positioner = Positioner(graph, placements, seed=0)
    for scan in source.iter_scans():
        positioner.update(scan)
    # the silent beacons' loop runs for a wide fix, which this clean walk may never have
    body = BodyLoss(np.array([[1.0, 0.0]]), np.zeros(2), row=np.zeros(2, dtype=np.int64),
                    sign=np.ones(2))
    unheard_evidence(np.zeros((2, 2)), np.full(2, 0.5), np.ones((1, 2)), np.zeros(1),
                     np.zeros(1), offset_prior(6.0, 2), np.full(2, 2.0), body, 8.0, 0.1, 0.5,
                     20.0)
    print(f"positioner loops compiled or loaded in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
