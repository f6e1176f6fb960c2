"""A city's beacon layout as columns.

A 100k-node city has half a million beacons. As :class:`BeaconPlacement` objects they took 2 s to
load at every start; as columns they load in a fraction of that, and positioning indexes them
with vectorised numpy. Code that wants placements still gets them: the layout is a read-only
sequence that builds a :class:`BeaconPlacement` only when one is asked for.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from typing import overload

import numpy as np

from beacons.model import BeaconId, BeaconKind, BeaconPlacement

_KINDS = tuple(BeaconKind)
_CODE = {k: i for i, k in enumerate(_KINDS)}


class BeaconLayout(Sequence[BeaconPlacement]):
    """Beacons' ids, positions (WGS84), levels (NaN: none) and 1 m powers, one row per beacon.

    Indexed by id at construction (a live session looks up every beacon it hears).
    """

    __slots__ = ("kinds", "idents", "lat", "lon", "level", "power", "_index")

    def __init__(
        self,
        kinds: Sequence[BeaconKind],
        idents: Sequence[str],
        lat: Iterable[float] | np.ndarray,
        lon: Iterable[float] | np.ndarray,
        level: Iterable[float | None] | np.ndarray,
        power: Iterable[float] | np.ndarray,
    ) -> None:
        self.kinds = list(kinds)
        self.idents = list(idents)
        # numpy turns None into NaN for float arrays: "no level"
        self.lat, self.lon, self.level, self.power = (
            np.asarray(column, dtype=float) for column in (lat, lon, level, power)
        )
        n = len(self.idents)
        if any(len(c) != n for c in (self.kinds, self.lat, self.lon, self.level, self.power)):
            raise ValueError("beacon layout columns differ in length")
        self._index = dict(zip(zip(self.kinds, self.idents, strict=True), range(n), strict=True))

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        """Pickled with kinds as one byte each (start-up reads big layouts in another process;
        half a million enum members would unpickle one call at a time)."""
        codes = bytes(map(_CODE.__getitem__, self.kinds))
        return _unpickle, (codes, self.idents, self.lat, self.lon, self.level, self.power)

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
            BeaconId(self.kinds[i], self.idents[i]),
            float(self.lat[i]),
            float(self.lon[i]),
            None if math.isnan(level) else level,
            float(self.power[i]),
        )

    def __iter__(self) -> Iterator[BeaconPlacement]:
        return (self[i] for i in range(len(self)))

    def index_of(self, beacon: BeaconId) -> int | None:
        """Row of a beacon (the last one if it is listed twice), None if it is not in the layout."""
        return self._index.get((beacon.kind, beacon.ident))


def _unpickle(
    codes: bytes, idents: list[str], lat: np.ndarray, lon: np.ndarray, level: np.ndarray,
    power: np.ndarray,
) -> BeaconLayout:
    return BeaconLayout(list(map(_KINDS.__getitem__, codes)), idents, lat, lon, level, power)
