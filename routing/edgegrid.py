"""A spatial index of edges for snapping: a point's nearest edge is among the few whose cells it
shares, so a query looks at a handful of edges, not a city's 200k."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import numpy as np

GRID_CELL_M = 50.0


class EdgeGrid:
    """Edges bucketed by the 50 m cells their bounding box touches, for fast snapping."""

    def __init__(self) -> None:
        self._cells: defaultdict[tuple[int, int], set[int]] = defaultdict(set)

    @staticmethod
    def _cells_of(x0: float, y0: float, x1: float, y1: float) -> Iterable[tuple[int, int]]:
        c = GRID_CELL_M
        for ix in range(int(np.floor(min(x0, x1) / c)), int(np.floor(max(x0, x1) / c)) + 1):
            for iy in range(int(np.floor(min(y0, y1) / c)), int(np.floor(max(y0, y1) / c)) + 1):
                yield ix, iy

    def add(self, slot: int, box: tuple[float, float, float, float]) -> None:
        for cell in self._cells_of(*box):
            self._cells[cell].add(slot)

    def add_many(
        self, slots: np.ndarray, x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray
    ) -> None:
        """:meth:`add` for many edges at once (same cells, vectorised)."""
        c = GRID_CELL_M
        ix0 = np.floor(np.minimum(x0, x1) / c).astype(np.int64)
        iy0 = np.floor(np.minimum(y0, y1) / c).astype(np.int64)
        nx_ = np.floor(np.maximum(x0, x1) / c).astype(np.int64) - ix0 + 1
        ny_ = np.floor(np.maximum(y0, y1) / c).astype(np.int64) - iy0 + 1
        count = nx_ * ny_
        owner = np.repeat(np.arange(len(slots)), count)
        r = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
        cx = ix0[owner] + r % nx_[owner]
        cy = iy0[owner] + r // nx_[owner]
        order = np.lexsort((cy, cx))
        cx, cy, members = cx[order], cy[order], np.asarray(slots)[owner[order]]
        cut = np.flatnonzero((np.diff(cx) != 0) | (np.diff(cy) != 0)) + 1
        starts = np.concatenate([[0], cut]).tolist()
        ends = [*cut.tolist(), len(cx)]
        keys = zip(cx[starts].tolist(), cy[starts].tolist(), strict=True)
        member_list = members.tolist()
        for key, a, b in zip(keys, starts, ends, strict=True):
            self._cells[key].update(member_list[a:b])

    def remove(self, slot: int, box: tuple[float, float, float, float]) -> None:
        for cell in self._cells_of(*box):
            self._cells.get(cell, set()).discard(slot)

    def near(self, x: float, y: float, radius_m: float) -> np.ndarray:
        """Slots of edges whose box touches the square of half-side ``radius_m`` around (x, y)."""
        found: set[int] = set()
        for cell in self._cells_of(x - radius_m, y - radius_m, x + radius_m, y + radius_m):
            found |= self._cells.get(cell, set())
        return np.fromiter(found, dtype=np.int64, count=len(found))
