"""Real extracts loaded once per session, and a builder for tiny hand-made graphs."""

from __future__ import annotations

from typing import Any

import networkx as nx
import pytest

from routing.geo import LocalFrame, haversine_m
from routing.graph import build_graph
from routing.model import EdgeRecord, MapExtract, NodeRecord
from routing.osm import read_osm
from routing.paths import Router
from tests.conftest import SHARED_DATA

OSM_DIR = SHARED_DATA / "osm"
EXTRACTS = {
    "neukoelln": "berlin_neukoelln_karl-marx-platz_2024-03-30.osm",
    "herrenberg": "herrenberg-minimal_2021.osm.pbf",
    "kaiserslautern": "kaiserslautern_cc_2013.osm.gz",
}
FRAME = LocalFrame(52.48, 13.43)


@pytest.fixture(scope="session")
def extracts() -> dict[str, MapExtract]:
    return {name: read_osm(OSM_DIR / file) for name, file in EXTRACTS.items()}


@pytest.fixture(scope="session")
def graphs(extracts: dict[str, MapExtract]) -> dict[str, nx.MultiGraph]:
    return {name: build_graph(x.nodes, x.edges) for name, x in extracts.items()}


@pytest.fixture(scope="session")
def routers(graphs: dict[str, nx.MultiGraph]) -> dict[str, Router]:
    """Shared read-only routers: tests that edit build their own."""
    return {name: Router(g) for name, g in graphs.items()}


def latlon(x: float, y: float) -> tuple[float, float]:
    """A point given in metres east/north of the tiny graphs' origin."""
    return FRAME.to_latlon(x, y)


def tiny_graph(
    points: dict[int, tuple[float, float]], edges: list[tuple[int, int, dict[str, Any]]]
) -> nx.MultiGraph:
    """A graph from node positions in metres and (u, v, attributes) edges, ids counting from 1."""
    nodes = [NodeRecord(i, *latlon(x, y)) for i, (x, y) in points.items()]
    by_id = {n.id: n for n in nodes}
    records = []
    for k, (u, v, attrs) in enumerate(edges, start=1):
        a, b = by_id[u], by_id[v]
        length = haversine_m(a.lat, a.lon, b.lat, b.lon)
        records.append(EdgeRecord(k, u, v, length, **attrs))
    return build_graph(nodes, records)
