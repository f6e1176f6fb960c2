"""The console's edge index follows the live map edit by edit, in place, and its live rows are
then those of one built from scratch (order included: it decides what a truncated view shows)."""

from __future__ import annotations

import numpy as np
import pytest
from aiohttp.test_utils import TestClient

from beacons.layout import BeaconLayout
from navigator.bbox import parse_bbox
from navigator.console import EDGE_INDEX
from navigator.edgeindex import EdgeIndex
from navigator.keys import MAP, STORAGE
from navigator.mapstate import KEPT_EDITS, MapState
from navigator.storage import MapChange, MapSnapshot
from routing.model import EdgeRecord, NodeRecord
from tests.navigator.conftest import auth

COLUMNS = ("ids", "u", "v", "a", "b", "min_lon", "min_lat", "max_lon", "max_lat")


def assert_same(index: EdgeIndex, rebuilt: EdgeIndex) -> None:
    live = index.live_rows()
    assert rebuilt.size == len(rebuilt.live_rows()) == len(rebuilt.edges)  # a build: all live
    assert list(index.edges[live]) == list(rebuilt.edges)
    for name in COLUMNS:
        mine, theirs = getattr(index, name)[live], getattr(rebuilt, name)
        assert mine.dtype == theirs.dtype and np.array_equal(mine, theirs), name
    # a view sees the same edges, in the same order
    box = parse_bbox("-180,-90,180,90")
    assert index.ids[index.within(box)].tolist() == rebuilt.ids[rebuilt.within(box)].tolist()
    assert index.extent() == rebuilt.extent()


def current(mapstate: MapState, client: TestClient) -> EdgeIndex:
    with mapstate.lock:
        return client.app[EDGE_INDEX].get(mapstate)


async def test_every_kind_of_edit_leaves_the_index_equal_to_a_rebuild(
        client: TestClient, api_keys, monkeypatch: pytest.MonkeyPatch) -> None:
    h = auth(api_keys["mapper"])
    mapstate = client.app[MAP]
    current(mapstate, client)  # built once, from scratch
    rebuilds: list[int] = []
    build = EdgeIndex.of.__func__  # type: ignore[attr-defined]
    monkeypatch.setattr(EdgeIndex, "of", classmethod(
        lambda cls, graph: rebuilds.append(1) or build(cls, graph)))

    async def call(method: str, path: str, body: dict | None = None,
                   revision: int | None = None) -> dict:
        headers = {**h, "If-Match": str(revision)} if revision is not None else h
        r = await client.request(method, path, json=body, headers=headers)
        assert r.status < 300, await r.text()
        return await r.json() if r.status != 204 else {}

    def follows() -> None:
        """The index now, brought up to date edit by edit, is the one a rebuild makes."""
        index = current(mapstate, client)
        with mapstate.lock:
            assert_same(index, build(EdgeIndex, mapstate.graph))

    a = await call("POST", "/v1/map/nodes", {"lat": 49.4440, "lon": 7.7690})
    b = await call("POST", "/v1/map/nodes", {"lat": 49.4442, "lon": 7.7693})
    edge = await call("POST", "/v1/map/edges", {"u": a["id"], "v": b["id"]})
    follows()
    edge = await call("PATCH", f"/v1/map/edges/{edge['id']}", {"surface": "asphalt"},
                      edge["revision"])
    follows()
    # a city node with edges moves: the rows of its edges follow it
    old = next(e for e in mapstate.graph.graph["edges"].values() if e.id != edge["id"])
    node = await call("GET", f"/v1/map/nodes/{old.u}")
    await call("PATCH", f"/v1/map/nodes/{old.u}", {"lat": node["lat"] + 0.00002},
               node["revision"])
    follows()
    # the rest followed in one go: several edits since the index was last asked for
    split = await call("POST", f"/v1/map/edges/{edge['id']}/split", {"fraction": 0.4})
    half = split["edges"][0]
    await call("DELETE", f"/v1/map/edges/{half['id']}")
    revisions = await call("GET", "/v1/map/revisions?limit=1")
    await call("POST", f"/v1/map/revisions/{revisions[0]['id']}/revert")  # the edge is back
    await call("POST", "/v1/map/closures", {"edge_id": old.id})
    follows()
    assert rebuilds == []  # every edit was followed, none rebuilt the index
    index = current(mapstate, client)
    live = index.ids[index.live_rows()].tolist()
    assert half["id"] in live and edge["id"] not in live


async def test_an_index_too_far_behind_or_of_another_map_is_rebuilt(
        client: TestClient, api_keys) -> None:
    """Only the last KEPT_EDITS edits are kept; a whole new map (import, reload) starts over."""
    mapstate = client.app[MAP]
    first = current(mapstate, client)
    assert mapstate.edits_since(mapstate.edit_count) == []
    mapstate.edit_count += KEPT_EDITS + 1  # as if that many edits had gone by unseen
    assert mapstate.edits_since(mapstate.edit_count - KEPT_EDITS - 1) is None
    rebuilt = current(mapstate, client)
    assert rebuilt is not first
    assert_same(rebuilt, EdgeIndex.of(mapstate.graph))
    h = auth(api_keys["mapper"])
    r = await client.post("/v1/map/nodes", json={"lat": 49.4440, "lon": 7.7690}, headers=h)
    assert r.status == 201
    assert len(mapstate.edits_since(mapstate.edit_count - 1) or []) == 1
    generation = mapstate.generation
    with mapstate.lock:
        graph = mapstate.graph
    mapstate.reload(client.app[STORAGE].load_map)  # what an import does
    assert mapstate.generation == generation + 1 and mapstate.edit_count == 0
    assert mapstate.graph is not graph
    assert_same(current(mapstate, client), EdgeIndex.of(mapstate.graph))


def test_a_node_moved_alone_moves_the_rows_of_its_edges() -> None:
    """A change may move a node without putting its edges again (the index must not wait for
    them): their rows take the node's new position; an edge put and deleted in one catch-up
    leaves no row."""
    nodes = [NodeRecord(1, 49.0, 7.0), NodeRecord(2, 49.001, 7.0), NodeRecord(3, 49.001, 7.001)]
    edges = [EdgeRecord(10, 1, 2, 111.0), EdgeRecord(11, 2, 3, 73.0)]
    mapstate = MapState(MapSnapshot(nodes, edges, [], BeaconLayout.of([]), []))
    before = EdgeIndex.of(mapstate.graph)

    def change(revision: int, **parts: list) -> MapChange:
        empty: dict[str, list] = {k: [] for k in ("nodes", "edges", "places", "deleted_nodes",
                                                  "deleted_edges", "deleted_places")}
        return MapChange(revision, "node", None, **{**empty, **parts})

    changes = [change(1, nodes=[NodeRecord(2, 49.0015, 7.0005)]),
               change(2, edges=[EdgeRecord(12, 1, 3, 90.0)]),
               change(3, deleted_edges=[12])]
    for c in changes:
        mapstate.apply(c, lambda: [], lambda: [])
    assert mapstate.edits_since(0) == changes
    before.follow(mapstate.graph, changes)
    assert_same(before, EdgeIndex.of(mapstate.graph))
    assert before.a[1].tolist() == [7.0005, 49.0015]  # edge 11 starts at the moved node


def test_many_edits_grow_the_rows_and_dead_ones_are_dropped() -> None:
    """Room for new rows grows like a list's; once a quarter of the rows are dead they go."""
    nodes = [NodeRecord(i, 49.0 + i * 1e-4, 7.0) for i in range(1, 6)]
    edges = [EdgeRecord(10 + i, i, i + 1, 11.0) for i in range(1, 5)]
    mapstate = MapState(MapSnapshot(nodes, edges, [], BeaconLayout.of([]), []))
    index = EdgeIndex.of(mapstate.graph)
    sizes = []
    for n in range(1, 401):
        edge = EdgeRecord(10 + n % 4 + 1, n % 4 + 1, n % 4 + 2, 11.0, width_m=float(n))
        c = MapChange(n, "edge", None, [], [edge], [], [], [], [])
        mapstate.apply(c, lambda: [], lambda: [])
        index.follow(mapstate.graph, [c])
        sizes.append(index.size)
    assert max(sizes) > 256 and index.size < max(sizes)  # grew, then dropped the dead rows
    assert_same(index, EdgeIndex.of(mapstate.graph))
