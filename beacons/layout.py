"""A city's beacon layout as columns.

A 100k-node city has half a million beacons. As :class:`BeaconPlacement` objects they took 2 s to
load at every start; as numpy columns they load, travel between processes and index without a
Python object per beacon. Code that wants placements still gets them: the layout is a read-only
sequence that builds a :class:`BeaconPlacement` only when one is asked for.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from typing import overload

import numpy as np

from beacons.model import BeaconId, BeaconKind, BeaconPlacement
from routing.geo import LocalFrame

#: The kind each value of :attr:`BeaconLayout.kind_codes` stands for.
KINDS = tuple(BeaconKind)
_CODE = {k: i for i, k in enumerate(KINDS)}


class BeaconLayout(Sequence[BeaconPlacement]):
    """Beacons' kinds, ids, positions (WGS84), levels (NaN: none) and 1 m powers, one row each.

    Ids are kept as one fixed-width bytes array (UTF-8) with a sort order, so looking a heard
    beacon up is a binary search rather than a dict of half a million strings.
    """

    __slots__ = ("kind_codes", "idents", "lat", "lon", "level", "power", "_order")

    def __init__(
        self,
        kinds: Sequence[BeaconKind],
        idents: Sequence[str],
        lat: Iterable[float] | np.ndarray,
        lon: Iterable[float] | np.ndarray,
        level: Iterable[float | None] | np.ndarray,
        power: Iterable[float] | np.ndarray,
    ) -> None:
        self._set_columns(
            np.fromiter(map(_CODE.__getitem__, kinds), np.uint8, len(kinds)),
            _as_bytes(idents),
            # numpy turns None into NaN for float arrays: "no level"
            *(np.asarray(column, dtype=float) for column in (lat, lon, level, power)),
        )

    @classmethod
    def from_columns(cls, kind_codes: np.ndarray, idents: np.ndarray, lat: np.ndarray,
                     lon: np.ndarray, level: np.ndarray, power: np.ndarray) -> BeaconLayout:
        """A layout of columns already in its own form (kind codes as :attr:`kind_codes`, ids
        as bytes, NaN for no level): a selection, a stored copy; no Python object per beacon."""
        out = cls.__new__(cls)
        out._set_columns(kind_codes, idents, lat, lon, level, power)
        return out

    def _set_columns(self, kind_codes: np.ndarray, idents: np.ndarray, lat: np.ndarray,
                     lon: np.ndarray, level: np.ndarray, power: np.ndarray) -> None:
        n = len(idents)
        if any(len(c) != n for c in (kind_codes, lat, lon, level, power)):
            raise ValueError("beacon layout columns differ in length")
        self.kind_codes, self.idents, self.lat, self.lon, self.level, self.power = (
            kind_codes, idents, lat, lon, level, power)
        self._order = np.argsort(idents, kind="stable")

    @classmethod
    def of(cls, placements: Iterable[BeaconPlacement]) -> BeaconLayout:
        """The layout of some placements (itself when it already is one)."""
        if isinstance(placements, BeaconLayout):
            return placements
        rows = list(placements)
        return cls(
            [p.beacon.kind for p in rows],
            [p.beacon.ident for p in rows],
            [p.lat for p in rows],
            [p.lon for p in rows],
            [p.level for p in rows],
            [p.measured_power_dbm for p in rows],
        )

    def __len__(self) -> int:
        return len(self.idents)

    @overload
    def __getitem__(self, i: int) -> BeaconPlacement: ...

    @overload
    def __getitem__(self, i: slice) -> list[BeaconPlacement]: ...

    def __getitem__(self, i: int | slice) -> BeaconPlacement | list[BeaconPlacement]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        level = float(self.level[i])
        return BeaconPlacement(
            BeaconId(KINDS[self.kind_codes[i]], self.idents[i].decode()),
            float(self.lat[i]),
            float(self.lon[i]),
            None if math.isnan(level) else level,
            float(self.power[i]),
        )

    def __iter__(self) -> Iterator[BeaconPlacement]:
        return (self[i] for i in range(len(self)))

    def take(self, rows: np.ndarray) -> BeaconLayout:
        """The layout of some rows (a boolean mask or row numbers), in their order."""
        return BeaconLayout.from_columns(*(
            c[rows] for c in (self.kind_codes, self.idents, self.lat, self.lon, self.level,
                              self.power)
        ))

    def rows_of(self, beacons: Sequence[BeaconId]) -> list[int | None]:
        """Row of each beacon (the last one if it is listed twice); None when not in the layout.

        One binary search for all of them: a scan names its beacons together.
        """
        if not beacons or not len(self):
            return [None] * len(beacons)
        keys = [b.ident.encode() for b in beacons]
        width = self.idents.dtype.itemsize
        found = np.searchsorted(self.idents, keys, sorter=self._order).tolist()
        out: list[int | None] = []
        for key, beacon, pos in zip(keys, beacons, found, strict=True):
            row = None
            code = _CODE[beacon.kind]
            # longer keys would be cut to the array's width and could match a prefix
            while len(key) <= width and pos < len(self) and self.idents[self._order[pos]] == key:
                if self.kind_codes[self._order[pos]] == code:
                    row = int(self._order[pos])
                pos += 1
            out.append(row)
        return out


def near_path(layout: BeaconLayout, path: Sequence[tuple[float, float]], radius_m: float
              ) -> BeaconLayout:
    """The beacons within ``radius_m`` of a polyline of (lat, lon): those a walker on it could
    hear. Exact distances, but only for the beacons in the path's padded box (a big city has
    500k beacons)."""
    if not len(layout) or not path:
        return layout.take(np.zeros(0, dtype=np.int64))
    frame = LocalFrame(*path[0])
    pts = np.array([frame.to_xy(lat, lon) for lat, lon in path], dtype=float)
    x, y = frame.to_xy(layout.lat, layout.lon)
    (x0, y0), (x1, y1) = pts.min(axis=0) - radius_m, pts.max(axis=0) + radius_m
    rows = np.flatnonzero((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1))
    bx, by = x[rows], y[rows]
    best = np.hypot(bx - pts[0, 0], by - pts[0, 1])
    for (ax, ay), (cx, cy) in zip(pts[:-1], pts[1:], strict=True):
        dx, dy = cx - ax, cy - ay
        denom = dx * dx + dy * dy
        t = np.clip(((bx - ax) * dx + (by - ay) * dy) / denom, 0.0, 1.0) if denom else 0.0
        best = np.minimum(best, np.hypot(bx - (ax + t * dx), by - (ay + t * dy)))
    return layout.take(rows[best <= radius_m])


def _as_bytes(idents: Sequence[str]) -> np.ndarray:
    """Ids as a fixed-width bytes array (ASCII in practice; UTF-8 for anything else)."""
    if not len(idents):
        return np.zeros(0, dtype="S1")
    try:
        return np.array(idents, dtype="S")
    except UnicodeEncodeError:
        return np.array([s.encode() for s in idents], dtype="S")
