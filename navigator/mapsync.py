"""Keeping this process's live map in step with edits committed by other processes.

Several ``serve`` processes share one PostgreSQL database. The process that serves a mapper's edit
applies it at once; every other one finds it in the audit log (``map_revisions``) within a poll
interval and applies the database's current state of what it touched. An import reloads the map.

PostgreSQL hands out ids before commit, so a revision can become visible after a higher one: the
last :data:`WINDOW` ids are re-examined on each poll, and those already applied are skipped.
"""

from __future__ import annotations

import logging
import time

from navigator.mapstate import MapState
from navigator.storage import REVISION_WINDOW as WINDOW
from navigator.storage import Storage

log = logging.getLogger(__name__)


class MapSync:
    """Polls the audit log and applies what other processes committed. Not thread-safe: one
    poller per process (MapState serialises it with this process's own edits)."""

    def __init__(self, storage: Storage, mapstate: MapState, loaded: list[int]) -> None:
        """``loaded``: :meth:`Storage.recent_revision_ids` read *before* the map was loaded."""
        self._storage, self._map = storage, mapstate
        self._applied = set(loaded)
        self._high = max(loaded, default=0)

    def mark_applied(self, ids: list[int]) -> None:
        """Revisions this process has applied itself (its own edits, a reload it just did), so
        polling does not apply them again (a beacon edit re-reads a whole layout)."""
        self._applied.update(ids)

    def poll(self) -> int:
        """Apply what was committed since the last poll; how many revisions that was."""
        ids, change = self._storage.changes_since(max(0, self._high - WINDOW), self._applied)
        if not ids:
            return 0
        count, t0 = len(ids), time.perf_counter()
        if change is None:
            held = self._map.reload(self._storage.load_map, unless_holding=ids)
            ids += held
            how = "reloaded" if held else "already held"
        else:
            try:
                self._map.apply(change, self._storage.load_beacons, self._storage.load_closures)
                how = "applied"
            except Exception as err:  # noqa: BLE001 - the live map disagrees with the database:
                # start afresh rather than fail on the same revisions at every poll
                log.warning("map sync could not apply a change; reloading the map",
                            extra={"event": "map_sync_reload", "error": str(err)})
                ids += self._map.reload(self._storage.load_map)
                how = "reloaded"
        self._applied.update(ids)
        self._high = max(self._high, *ids)
        self._applied = {i for i in self._applied if i > self._high - WINDOW}
        log.info("map synced", extra={"event": "map_sync", "revisions": count, "how": how,
                                      "last_revision": self._high,
                                      "seconds": round(time.perf_counter() - t0, 3)})
        return count
