"""The live in-memory map of one process: graph, compiled router, places, beacons, closures.

Built from a storage snapshot at start; mapper edits are applied in place under a lock after they
commit, so a route query never sees half an edit and no edit needs a restart.
"""

from __future__ import annotations

import gc
import logging
import pickle
import subprocess
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Collection, Sequence
from pathlib import Path

import networkx as nx

from beacons.layout import BeaconLayout
from beacons.model import BeaconPlacement
from beacons.positioning import PositioningMap
from navigator.children import child_command, child_env
from navigator.collector import collector_paused
from navigator.storage import (
    Beacon,
    ClosureWindow,
    MapChange,
    MapSnapshot,
    Storage,
)
from routing.graph import build_graph, drop_edge, edge_count, put_edge
from routing.model import PlaceRecord
from routing.paths import Router

log = logging.getLogger(__name__)
#: Applied edits kept for indexes that follow the map edit by edit (one that fell further
#: behind rebuilds).
KEPT_EDITS = 256


class MapState:
    """Graph + router + places + beacons + closures, consistent with each other."""

    def __init__(self, snapshot: MapSnapshot) -> None:
        self.lock = threading.RLock()
        self._apply_lock = threading.Lock()
        #: Bumped on every applied change; derived indexes rebuild when it moves.
        self.version = 0
        #: Bumped when a whole new map is swapped in (then nothing follows it edit by edit).
        self.generation = 0
        #: Edits applied since then, counted, the latest kept as (number, change): an index
        #: that follows the map catches up by these instead of rebuilding.
        self.edit_count = 0
        self._edits: deque[tuple[int, MapChange]] = deque(maxlen=KEPT_EDITS)
        self._positioning: tuple[int, PositioningMap] | None = None
        #: The audit-log revisions the last whole snapshot included: a committed edit among them
        #: is already in the map and must not be applied again over a newer state.
        self._snapshot_revisions: frozenset[int] = frozenset()
        self.replace(snapshot)
        self._last_counts = self.counts()

    def replace(self, snapshot: MapSnapshot) -> None:
        """Swap in a whole new map for every later query (start-up and tests; a running
        service reloads through :meth:`reload`, which keeps reloads in database order)."""
        graph = build_graph(snapshot.nodes, snapshot.edges)
        router = Router(graph, snapshot.columns)
        with self.lock:
            self.graph: nx.MultiGraph = graph
            #: The graph's columns as read (:mod:`routing.columns`) until an edit changes it:
            #: the positioning index is built from them rather than from the graph.
            self._columns = snapshot.columns
            self.router = router
            self.places: dict[int, PlaceRecord] = {p.id: p for p in snapshot.places}
            self.beacons = BeaconLayout.of(snapshot.beacons)
            self.closures: list[ClosureWindow] = list(snapshot.closures)
            self._snapshot_revisions = frozenset(snapshot.revision_ids)
            self.version += 1
            self.generation += 1
            self.edit_count = 0
            self._edits.clear()

    def reload(self, load: Callable[[], MapSnapshot],
               unless_holding: Collection[int] = ()) -> list[int]:
        """Read the database's current map and swap it in; the audit-log ids the map now holds.

        Reading happens inside the editors' lock: two reloads (overlapping imports, an import
        racing map sync) then swap in their snapshots in the order they were read, so the live
        map always ends at the newest committed state, never at an older one swapped in last.
        Nothing is read when the last snapshot already held every id of ``unless_holding`` (map
        sync asking for a reload that this process's own import has just made).
        """
        with self._apply_lock:
            if unless_holding and self._snapshot_revisions.issuperset(unless_holding):
                return []
            snapshot = load()
            self.replace(snapshot)
            return snapshot.revision_ids

    def counts(self) -> dict[str, int]:
        """Sizes reported by /health, of one map: read under the lock (unlocked, a reload
        swapping in the graph and then the places was seen as the new city's nodes with the old
        grid's places). While another thread holds the lock, the sizes last read: /health runs
        on the event loop, and a reload holds the lock 0.1-0.2 s on a
        100k-node city (the export benchmark's loop block was 199 ms, all of it this wait)."""
        if not self.lock.acquire(blocking=False):
            return dict(self._last_counts)
        try:
            counts = {
                "nodes": self.graph.number_of_nodes(),
                "edges": edge_count(self.graph),
                "places": len(self.places),
                "beacons": len(self.beacons),
            }
        finally:
            self.lock.release()
        self._last_counts = counts
        return counts

    def positioning_map(self) -> PositioningMap:
        """Edge geometry + beacon layout for positioning, shared by every session."""
        with self.lock:
            if self._positioning is None or self._positioning[0] != self.version:
                self._positioning = (self.version, PositioningMap(
                    self.graph, self.beacons, columns=self._columns))
            return self._positioning[1]

    def edits_since(self, count: int) -> list[MapChange] | None:
        """The edits applied to this generation after its first ``count``, in order; None when
        some of them are no longer kept. Call with :attr:`lock` held."""
        if self.edit_count - count > len(self._edits):
            return None
        return [change for number, change in self._edits if number > count]

    def set_beacons(self, beacons: Sequence[BeaconPlacement]) -> None:
        """A new beacon layout (an applied plan or an edited beacon); positioning rebuilds."""
        layout = BeaconLayout.of(beacons)
        with self.lock:
            self.beacons = layout
            self.version += 1

    def closed_edges(self, now_ts: float) -> frozenset[int]:
        """Edges closed at this moment (closures are honoured at query time; GTFS-Realtime
        alerts' closures are stored closures too)."""
        return frozenset(c.edge_id for c in self.closures if c.active(now_ts))

    def apply(
        self,
        change: MapChange,
        load_beacons: Callable[[], Sequence[BeaconPlacement]],
        load_closures: Callable[[], list[ClosureWindow]],
    ) -> None:
        """Apply a committed edit to the graph and the compiled router, incrementally.

        Beacons and closures are re-read outside :attr:`lock` (on a big city the layout takes a
        second, and route queries and new sessions wait for that lock) but inside one lock of
        the editors, so a slower earlier edit never swaps in an older read over a newer one.
        """
        with self._apply_lock:
            if change.revision_id in self._snapshot_revisions:
                return  # a reload since its commit already holds it (or something newer)
            beacons = load_beacons() if change.beacons_changed else None
            closures = load_closures() if change.closures_changed else None
            self._swap_in(change, beacons, closures)

    def _swap_in(self, change: MapChange, beacons: Sequence[BeaconPlacement] | None,
                 closures: list[ClosureWindow] | None) -> None:
        with self.lock:
            if change.deleted_edges or change.deleted_nodes or change.nodes or change.edges:
                self._columns = None
            for edge_id in change.deleted_edges:
                drop_edge(self.graph, edge_id)
                self.router.remove_edge(edge_id)
            for node_id in change.deleted_nodes:
                if node_id in self.graph:  # a synced change may name a node never seen here
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
            if beacons is not None:
                self.set_beacons(beacons)
            if closures is not None:
                self.closures = closures
            self.version += 1
            self.edit_count += 1
            self._edits.append((self.edit_count, change))


#: Layouts this big, when their stored copy cannot serve (the first start after a beacon
#: change, PostgreSQL), are read by a helper process while this one reads and builds the graph
#: (556k beacons' rows: ~1.2 s of CPU on the other core); smaller ones are not worth a process.
BEACONS_IN_HELPER = 100_000


def load_map_state(
    storage: Storage, beacons_in_helper: int = BEACONS_IN_HELPER
) -> tuple[MapState, dict[str, float]]:
    """Read the map and build everything a route query or a live session needs; seconds per phase.

    Loading makes millions of long-lived objects and no garbage cycles, so the collector is paused
    meanwhile (its passes re-scanned the growing map: ~40 % of load time on a 100k-node city) and
    what was loaded is then frozen out of later collections, which otherwise stalled live
    sessions by 50-150 ms each.
    """
    phases: dict[str, float] = {}
    helper: _BeaconHelper | None = None
    with collector_paused():
        try:
            t = time.perf_counter()
            if not storage.beacon_copy_stored() and storage.count(Beacon) >= beacons_in_helper:
                helper = _BeaconHelper.start(storage.url)
            snapshot = storage.load_map(beacons=helper is None, cached=True)
            phases["read_s"] = time.perf_counter() - t
            t = time.perf_counter()
            mapstate = MapState(snapshot)
            del snapshot
            phases["graph_router_s"] = time.perf_counter() - t
            if helper is not None:
                t = time.perf_counter()
                mapstate.set_beacons(helper.result(storage))
                phases["beacons_wait_s"] = time.perf_counter() - t
            t = time.perf_counter()
            if edge_count(mapstate.graph):
                mapstate.positioning_map()
            phases["positioning_s"] = time.perf_counter() - t
        finally:
            if helper is not None:
                helper.close()
            gc.freeze()
    return mapstate, phases


class _BeaconHelper:
    """Reads the beacon layout in a child interpreter (:mod:`navigator.children`): its own core
    and its own GIL; it also stores the layout's copy for the next start. The layout comes back
    through a file, not a pipe: draining tens of megabytes from a pipe needs a thread that the
    busy main thread starves of the GIL, which stalls the child.
    """

    @classmethod
    def start(cls, url: str) -> _BeaconHelper | None:
        """A running helper; None (beacons are then read in-process) if none can be started."""
        try:
            return cls(url)
        except (OSError, ValueError) as err:  # no interpreter to run, no temporary folder
            log.warning("beacon helper process not started; reading beacons here",
                        extra={"event": "beacon_helper_failed", "error": str(err)})
            return None

    def __init__(self, url: str) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="blindpilot-start-")
        self._out = Path(self._dir.name) / "beacons.pickle"
        self._err = open(Path(self._dir.name) / "stderr", "w+b")  # noqa: SIM115 - closed in result
        self._proc = subprocess.Popen(
            child_command("import sys; from navigator.storage import write_beacon_layout; "
                          "write_beacon_layout(sys.argv[1])", str(self._out)),
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._err, env=child_env(),
        )
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.write((url + "\n").encode())  # one line: fits the pipe, never blocks
            self._proc.stdin.close()
        except BrokenPipeError:
            pass  # the child died at once: result() reports it as a failed helper and reads here

    def result(self, storage: Storage) -> BeaconLayout:
        """The helper's layout; read here instead if the helper failed."""
        if self._proc.wait() == 0:
            layout = pickle.loads(self._out.read_bytes())
            if isinstance(layout, BeaconLayout):
                return layout
        self._err.seek(0)
        log.warning("beacon helper process failed; reading beacons here",
                    extra={"event": "beacon_helper_failed", "exit_code": self._proc.returncode,
                           "stderr": self._err.read().decode(errors="replace")[-2000:]})
        return storage.load_beacons(cached=True)

    def close(self) -> None:
        """Stop the helper if loading failed before its answer was needed; remove its files."""
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        self._err.close()
        self._dir.cleanup()
