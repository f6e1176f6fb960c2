"""A start builds the compiled router and the positioning index from the columns of the map's
stored copy (issue 14): exactly what building them from the graph gives, and never the columns
of a map that an edit has changed since."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

from beacons.model import BeaconId, BeaconPlacement
from beacons.positioning_map import PositioningMap
from navigator.mapstate import load_map_state
from navigator.storage import MapEditor, Storage
from navigator.storage.mapcodec import DecodedGraph, decode_graph, encode_graph
from routing.columns import GraphColumns
from routing.compiled import CompiledGraph
from routing.graph import build_graph
from routing.model import EdgeRecord, NodeRecord
from routing.profiles import PROFILES
from tests.navigator.test_storage import small_extract

UUID = "f7826da6-4fa2-4e98-8024-bc5b71e0893e"


def varied_city(side: int = 9, seed: int = 3) -> tuple[list[NodeRecord], list[EdgeRecord]]:
    """A grid with every kind of edge the compiled form tells apart: one-way both ways, named
    streets, crossings of each kind, steps; ids neither sorted nor positive, a parallel edge,
    a node without edges, and OSM ways that split alike edges into several combinations."""
    rng = random.Random(seed)
    ids = rng.sample(range(-500, 5000), side * side + 1)
    nodes = [NodeRecord(ids[i], 49.44 + (i // side) * 2e-4, 7.77 + (i % side) * 3e-4,
                        rng.choice([None, 0.0, 1.0])) for i in range(side * side + 1)]
    choices: dict[str, list[Any]] = {
        "highway": ["footway", "residential", "steps", "crossing"],
        "name": [None, "Marktstraße", "Bahnhofstraße"],
        "footway": [None, "sidewalk", "crossing"],
        "crossing": [None, "traffic_signals", "uncontrolled", "marked"],
        "tactile_paving": [None, True, False],
        "oneway": [None, None, "yes", "-1", "no"],
        "osm_way_id": [None, 11, 12, 2**40],
        "traffic_signals_sound": [None, True],
    }
    edges = []
    edge_ids = rng.sample(range(1, 10**6), 2 * side * side + 1)
    for i in range(side * side):
        for j in (i + 1, i + side):
            if (j == i + 1 and j % side == 0) or j >= side * side:
                continue
            attrs = {k: rng.choice(v) for k, v in choices.items()}
            edges.append(EdgeRecord(edge_ids[len(edges)], nodes[i].id, nodes[j].id,
                                    rng.uniform(5, 40), **attrs))
    first = edges[0]
    edges.append(first._replace(id=edge_ids[len(edges)], oneway="yes"))  # a parallel edge
    return nodes, edges


def decoded(nodes: list[NodeRecord], edges: list[EdgeRecord]) -> DecodedGraph:
    graph = decode_graph(encode_graph(nodes, edges))
    assert graph is not None
    return graph


def same_state(a: Any, b: Any, path: str = "") -> None:
    """Two objects hold equal state, arrays compared by value (NaN equal to NaN)."""
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype, path
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), path
    elif isinstance(a, dict):
        assert list(a) == list(b), path
        for key in a:
            same_state(a[key], b[key], f"{path}[{key!r}]")
    elif isinstance(a, (list, tuple)) and not hasattr(a, "_fields"):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            same_state(x, y, f"{path}[{i}]")
    elif not isinstance(a, tuple) and (hasattr(a, "__dict__") or hasattr(a, "__slots__")):
        assert type(a) is type(b), path
        fields = getattr(a, "__slots__", None) or vars(a)
        for name in fields:
            if name == "_piece_tree" or name == "_beacon_tree":  # k-d trees: by their points
                same_state(getattr(a, name).data, getattr(b, name).data, f"{path}.{name}")
            else:
                same_state(getattr(a, name), getattr(b, name), f"{path}.{name}")
    else:
        assert a == b, path


def test_the_compiled_router_from_the_copys_columns_is_the_one_from_the_graph() -> None:
    copy = decoded(*varied_city())
    graph = build_graph(copy.nodes, copy.edges)
    from_columns = CompiledGraph(graph, PROFILES, copy.columns)
    from_graph = CompiledGraph(graph, PROFILES)
    same_state(from_columns, from_graph)
    assert from_graph.has_one_way and len(from_graph._names) == 2


def test_the_positioning_index_from_the_copys_columns_is_the_one_from_the_graph() -> None:
    copy = decoded(*varied_city())
    graph = build_graph(copy.nodes, copy.edges)
    beacons = [BeaconPlacement(BeaconId.ibeacon(UUID, 1, i), 49.44 + i * 1e-4, 7.771, None,
                               -59.0) for i in range(12)]
    same_state(PositioningMap(graph, beacons, columns=copy.columns),
               PositioningMap(graph, beacons))


def test_columns_of_another_graph_are_refused() -> None:
    nodes, edges = varied_city()
    copy = decoded(nodes, edges)
    other = build_graph(nodes, edges[:-1])
    with pytest.raises(ValueError, match="another graph"):
        CompiledGraph(other, PROFILES, copy.columns)
    with pytest.raises(ValueError, match="another graph"):
        PositioningMap(other, [], columns=copy.columns)


def test_an_edge_to_a_missing_node_is_named() -> None:
    columns = GraphColumns(
        node_id=np.array([5, 7]), node_lat=np.zeros(2), node_lon=np.zeros(2),
        edge_id=np.array([1, 2]), edge_u=np.array([5, 7]), edge_v=np.array([7, 9]),
        length_m=np.ones(2))
    with pytest.raises(ValueError, match=r"edge 2 references a missing node \(7 or 9\)"):
        columns.end_rows()


@pytest.fixture
def store(sqlite_url: str) -> Storage:
    """SQLite: a start reads the graph's columns from the stored copy only where copies are kept
    (PostgreSQL keeps none, so its starts build from the rows and have no start columns)."""
    s = Storage(sqlite_url)
    s.migrate()
    s.replace_map(small_extract(), actor="t", source="test")
    yield s
    s.close()


def test_after_an_edit_positioning_follows_the_edited_graph_not_the_start_columns(
    store: Storage,
) -> None:
    load_map_state(store)  # stores the copy
    mapstate, _ = load_map_state(store)  # a start from the copy's columns
    assert mapstate._columns is not None
    node = small_extract().nodes[1]
    change = MapEditor(store).update("node", node.id, {"lat": node.lat + 1e-4}, None, "m")
    mapstate.apply(change, store.load_beacons, store.load_closures)
    pmap = mapstate.positioning_map()
    row = list(mapstate.graph.nodes).index(node.id)
    moved = pmap.frame.to_xy(node.lat + 1e-4, node.lon)
    assert pmap.node_xy[row] == pytest.approx(moved)
