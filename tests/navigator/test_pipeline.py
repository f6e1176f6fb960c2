"""A round of walkers positioned in one call (``position_all``, a busy worker's rounds) gives
every walker exactly what its own updates one by one would: batching must change no one's fix."""

from __future__ import annotations

import networkx as nx
import numpy as np

from beacons.model import Fix
from beacons.planning import plan_beacons
from beacons.positioning import InvalidScan, Positioner, PositioningMap
from beacons.simulator import SimulatedSource, walk_along
from navigator.pipeline import position_all
from routing.graph import build_graph
from routing.osm import read_osm
from tests.conftest import SHARED_DATA

NEUKOELLN = SHARED_DATA / "osm" / "berlin_neukoelln_karl-marx-platz_2024-03-30.osm"


def _walks(graph: nx.MultiGraph, count: int) -> list[list[tuple[float, float, float]]]:
    """Walks of 150-400 m along shortest paths between seeded random nodes."""
    rng, nodes, out = np.random.default_rng(3), sorted(graph.nodes), []
    while len(out) < count:
        a, b = rng.choice(nodes, 2)
        if not nx.has_path(graph, a, b):
            continue
        path = nx.shortest_path(graph, a, b, weight="length_m")
        if 150.0 <= nx.path_weight(graph, path, "length_m") <= 400.0:
            out.append(walk_along([(graph.nodes[n]["lat"], graph.nodes[n]["lon"]) for n in path]))
    return out


def test_a_round_positions_every_walker_as_alone() -> None:
    extract = read_osm(NEUKOELLN)
    graph = build_graph(extract.nodes, extract.edges)
    placements = plan_beacons(graph, spacing_m=10.0)
    shared = PositioningMap(graph, placements)
    streams = [list(SimulatedSource(placements, walk, seed=k).iter_scans())
               for k, walk in enumerate(_walks(graph, 6))]
    streams[2][40] = streams[2][39]  # a repeated scan is fine; one from the past is refused
    streams[4][30] = streams[4][10]
    together = [Positioner(shared, seed=k) for k in range(len(streams))]
    alone = [Positioner(shared, seed=k) for k in range(len(streams))]
    fixes = refused = 0
    for i in range(max(len(s) for s in streams)):
        pairs = [(p, s[i]) for p, s in zip(together, streams, strict=True) if i < len(s)]
        got = position_all(pairs)
        for (positioner, scan), answer in zip(pairs, got, strict=True):
            own = alone[together.index(positioner)]
            try:
                expected = own.update(scan)
            except InvalidScan as err:
                assert isinstance(answer, InvalidScan) and str(answer) == str(err)
                refused += 1
                continue
            assert answer == expected
            fixes += isinstance(answer, Fix)
    assert refused == 1 and fixes > 500  # the walks were positioned, not all unavailable
