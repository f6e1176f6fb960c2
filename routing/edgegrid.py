"""A spatial index of edges for snapping: a point's nearest edge is among the few whose cells it
shares, so a query looks at a handful of edges, not a city's 200k."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import numpy as np

GRID_CELL_M = 50.0


class EdgeGrid:
    """Edges bucketed by the 50 m cells they pass through, for fast snapping.

    The cells *along* a segment, not those of its bounding box: a box grows with the square of
    the length (one 57 km edge covered 650,000 cells, 330 MB), the cells along it linearly.
    """

    def __init__(self) -> None:
        self._cells: defaultdict[tuple[int, int], set[int]] = defaultdict(set)

    @staticmethod
    def _square_cells(x: float, y: float, half_m: float) -> Iterable[tuple[int, int]]:
        c = GRID_CELL_M
        for ix in range(int(np.floor((x - half_m) / c)), int(np.floor((x + half_m) / c)) + 1):
            for iy in range(int(np.floor((y - half_m) / c)), int(np.floor((y + half_m) / c)) + 1):
                yield ix, iy

    def add(self, slot: int, box: tuple[float, float, float, float]) -> None:
        _, cx, cy = segment_cells(*(np.array([b]) for b in box))
        for cell in zip(cx.tolist(), cy.tolist(), strict=True):
            self._cells[cell].add(slot)

    def add_many(
        self, slots: np.ndarray, x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray
    ) -> None:
        """:meth:`add` for many edges at once (same cells, vectorised)."""
        owner, cx, cy = segment_cells(x0, y0, x1, y1)
        order = np.lexsort((cy, cx))
        cx, cy, members = cx[order], cy[order], np.asarray(slots)[owner[order]]
        cut = np.flatnonzero((np.diff(cx) != 0) | (np.diff(cy) != 0)) + 1
        starts = np.concatenate([[0], cut]).astype(np.int64).tolist()
        ends = [*cut.tolist(), len(cx)]
        keys = zip(cx[starts].tolist(), cy[starts].tolist(), strict=True)
        member_list = members.tolist()
        for key, a, b in zip(keys, starts, ends, strict=True):
            self._cells[key].update(member_list[a:b])

    def remove(self, slot: int, box: tuple[float, float, float, float]) -> None:
        _, cx, cy = segment_cells(*(np.array([b]) for b in box))
        for cell in zip(cx.tolist(), cy.tolist(), strict=True):
            self._cells.get(cell, set()).discard(slot)

    def near(self, x: float, y: float, radius_m: float) -> np.ndarray:
        """Slots of edges that pass through the square of half-side ``radius_m`` around (x, y)
        (a superset of the edges within ``radius_m``)."""
        found: set[int] = set()
        for cell in self._square_cells(x, y, radius_m):
            found |= self._cells.get(cell, set())
        return np.fromiter(found, dtype=np.int64, count=len(found))


def _ranks(counts: np.ndarray) -> np.ndarray:
    """0, 1, .. counts[i] - 1 for each i in turn (the position of each repeated item)."""
    return np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)


def segment_cells(
    x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every grid cell each segment touches, as (segment index, cell x, cell y) arrays.

    Column by column: the segment's y-range within a column gives the rows it touches there
    (widened by a micrometre, so rounding never drops a cell the segment grazes).
    """
    c = GRID_CELL_M
    flip = x1 < x0  # walk every segment from its left end
    xa, xb = np.where(flip, x1, x0), np.where(flip, x0, x1)
    ya, yb = np.where(flip, y1, y0), np.where(flip, y0, y1)
    first_col = np.floor(xa / c).astype(np.int64)
    cols = np.floor(xb / c).astype(np.int64) - first_col + 1
    seg = np.repeat(np.arange(len(xa)), cols)
    col = first_col[seg] + _ranks(cols)
    dx = (xb - xa)[seg]
    slope = np.divide((yb - ya)[seg], dx, out=np.zeros_like(dx), where=dx > 0)
    ys = [ya[seg] + slope * (np.clip(edge, xa[seg], xb[seg]) - xa[seg])
          for edge in (col * c, (col + 1) * c)]
    vertical = dx == 0
    low = np.where(vertical, np.minimum(ya, yb)[seg], np.minimum(*ys)) - 1e-6
    high = np.where(vertical, np.maximum(ya, yb)[seg], np.maximum(*ys)) + 1e-6
    first_row = np.floor(low / c).astype(np.int64)
    rows = np.floor(high / c).astype(np.int64) - first_row + 1
    return np.repeat(seg, rows), np.repeat(col, rows), np.repeat(first_row, rows) + _ranks(rows)
