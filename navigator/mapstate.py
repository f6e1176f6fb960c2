"""The live in-memory map of one process: graph, compiled router, places, beacons, closures.

Built from a storage snapshot at start; mapper edits are applied in place under a lock after they
commit, so a route query never sees half an edit and no edit needs a restart.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable, Sequence

import networkx as nx

from beacons.layout import BeaconLayout
from beacons.model import BeaconPlacement
from beacons.positioning import PositioningMap
from navigator.storage import ClosureWindow, MapChange, MapSnapshot, Storage
from routing.graph import build_graph, drop_edge, put_edge
from routing.model import PlaceRecord
from routing.paths import Router


class MapState:
    """Graph + router + places + beacons + closures, consistent with each other."""

    def __init__(self, snapshot: MapSnapshot) -> None:
        self.lock = threading.RLock()
        #: Bumped on every applied change; derived indexes rebuild when it moves.
        self.version = 0
        self._positioning: tuple[int, PositioningMap] | None = None
        self.replace(snapshot)

    def replace(self, snapshot: MapSnapshot) -> None:
        """Swap in a whole new map (after an import) for every later query."""
        graph = build_graph(snapshot.nodes, snapshot.edges)
        router = Router(graph)
        with self.lock:
            self.graph: nx.MultiGraph = graph
            self.router = router
            self.places: dict[int, PlaceRecord] = {p.id: p for p in snapshot.places}
            self.beacons = BeaconLayout.of(snapshot.beacons)
            self.closures: list[ClosureWindow] = list(snapshot.closures)
            self.version += 1

    def counts(self) -> dict[str, int]:
        """Sizes reported by /health."""
        return {
            "nodes": self.graph.number_of_nodes(),
            # the id index: networkx counts a MultiGraph's edges by walking them (0.25 s)
            "edges": len(self.graph.graph["edges"]),
            "places": len(self.places),
            "beacons": len(self.beacons),
        }

    def positioning_map(self) -> PositioningMap:
        """Edge geometry + beacon layout for positioning, shared by every session."""
        with self.lock:
            if self._positioning is None or self._positioning[0] != self.version:
                self._positioning = (self.version, PositioningMap(self.graph, self.beacons))
            return self._positioning[1]

    def set_beacons(self, beacons: Sequence[BeaconPlacement]) -> None:
        """A new beacon layout (an applied plan or an edited beacon); positioning rebuilds."""
        layout = BeaconLayout.of(beacons)
        with self.lock:
            self.beacons = layout
            self.version += 1

    def closed_edges(self, now_ts: float) -> frozenset[int]:
        """Edges closed at this moment (closures are honoured at query time)."""
        return frozenset(c.edge_id for c in self.closures if c.active(now_ts))

    def apply(
        self,
        change: MapChange,
        load_beacons: Callable[[], Sequence[BeaconPlacement]],
        load_closures: Callable[[], list[ClosureWindow]],
    ) -> None:
        """Apply a committed edit to the graph and the compiled router, incrementally."""
        with self.lock:
            for edge_id in change.deleted_edges:
                drop_edge(self.graph, edge_id)
                self.router.remove_edge(edge_id)
            for node_id in change.deleted_nodes:
                self.graph.remove_node(node_id)
                self.router.remove_node(node_id)
            for node in change.nodes:
                self.graph.add_node(node.id, lat=node.lat, lon=node.lon, level=node.level)
                self.router.add_node(node)
            for edge in change.edges:
                put_edge(self.graph, edge)
                self.router.update_edge(edge)
            for place_id in change.deleted_places:
                self.places.pop(place_id, None)
            self.places.update((p.id, p) for p in change.places)
            if change.beacons_changed:
                self.set_beacons(load_beacons())
            if change.closures_changed:
                self.closures = load_closures()
            self.version += 1


def load_map_state(storage: Storage) -> tuple[MapState, dict[str, float]]:
    """Read the map and build everything a route query or a live session needs; seconds per phase.

    Loading makes millions of long-lived objects and no garbage cycles, so the collector is paused
    meanwhile (its passes re-scanned the growing map: ~40 % of load time on a 100k-node city) and
    what was loaded is then frozen out of later collections, which otherwise stalled live
    sessions by 50-150 ms each.
    """
    phases: dict[str, float] = {}
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        t = time.perf_counter()
        snapshot = storage.load_map()
        phases["read_s"] = time.perf_counter() - t
        t = time.perf_counter()
        mapstate = MapState(snapshot)
        phases["graph_router_s"] = time.perf_counter() - t
        t = time.perf_counter()
        if mapstate.graph.graph["edges"]:
            mapstate.positioning_map()
        phases["positioning_s"] = time.perf_counter() - t
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()
    return mapstate, phases
