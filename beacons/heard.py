"""The beacons of one scan as arrays the positioner can weigh, and what a walker's positioner
remembers about beacons between scans (their layout rows, when each was last heard).

A scan names its beacons by id; the layout is searched only for beacons this walker has not
heard before, since a walker hears the same few dozen over and over. Readings that cannot be
used are counted, never trusted: RSSI outside [-127, 20] dBm or NaN, beacons not in the layout,
and readings older than the same beacon's previous one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from beacons.layout import BeaconLayout
from beacons.lazy import readingkernels as kernels  # numba starts on first use
from beacons.model import BeaconId, BeaconKind, Reading, Scan
from beacons.persistence import Persistence

RSSI_MIN_DBM, RSSI_MAX_DBM = -127.0, 20.0
#: Beacons a walker's positioner remembers (layout rows by id; when each was last heard) before it
#: forgets the ones not heard for ``_FORGET_S``: a walk hears new beacons all along its way, so
#: the memory is bounded by recency, not by the walk's length (or a spoofer inventing ids). At
#: 4,096 a walker's two dicts grew 161 KiB over 5 minutes of a walk past a new beacon every
#: 0.7 s; at 256 they still filled for most of a walk (a typical walk hears 170 beacons, 28 in a
#: minute), 40-50 KiB a walker, part of ``make soak``'s growth with 400 walkers. At 64 they are
#: full after about a minute (tests/beacons/test_heard.py).
_CACHE_MAX = 64
_FORGET_S = 60.0
#: Beacon idents a map's walkers share the layout rows of (:data:`IdentRows`) before the memo is
#: started afresh: every walker on a map finds the same row for an ident, so one memo serves all
#: of them. One a walker, with the times kept in a dict, filled for a walker's first two minutes
#: (8-13 KiB on a street like the soak's; 8.4 KiB on tests/beacons/test_heard.py's street walk,
#: 0.5 KiB with the shared memo and :class:`HeardTimes`): with 400 walkers, 3-5 MiB of
#: ``make soak``'s growth (#14).
_IDENTS_KEPT = 4096
_UNSEEN = (None, -2)  # an ident not in the memo: no kind is ``None``
#: A phone's floor is the quietest reading it has reported, and at most this (the UCI iPhone 6S
#: reported nothing below -88 dBm; newer phones hear to about -100) ...
FLOOR_PRIOR_DBM = -88.0
#: ... once it has reported this many: the first scans near a few beacons say nothing of it
#: (judged from them, readings 5 dB above the floor were taken for censored ones and the
#: first fixes of a clean channel fell outside their radius).
FLOOR_AFTER_READINGS = 50
#: Readings one scan may add to a walker's :class:`HeardTimes` beyond its bound before pruning
_ROOM = 32

#: Layout row (-1: not in it) by beacon ident, with the kind it is for: an ident is a str,
#: hashed in C once per string, while a BeaconId's hash and equality are Python calls (two per
#: reading per scan). One per map (:attr:`beacons.positioning_map.PositioningMap.ident_rows`),
#: shared by its walkers; a dict's get and update are atomic, so walkers in threads share it.
IdentRows = dict[str, tuple[BeaconKind, int]]


@dataclass(frozen=True, slots=True)
class HeardBeacons:
    """Beacons of one scan, a burst averaged to one reading each."""

    rows: np.ndarray  # layout rows
    excess_db: np.ndarray  # RSSI minus the beacon's 1 m power
    weight: np.ndarray  # how much of each reading is news (see ScanDigester)
    #: the phone's floor minus the beacon's 1 m power: a reading is only heard above it (see
    #: beacons.likelihood.beacon_update); empty while the floor is not known
    floor_excess_db: np.ndarray

    @property
    def size(self) -> int:
        return int(self.rows.size)


@dataclass(frozen=True, slots=True)
class Rejected:
    """Readings of one scan that were not used, by reason."""

    rssi: int = 0
    unknown: int = 0
    time: int = 0


NOTHING_HEARD = HeardBeacons(np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0), np.zeros(0))
_NONE_REJECTED = Rejected()


class ScanDigester:
    """Turns scans into :class:`HeardBeacons` for one walker.

    A reading's weight is the share of it that is news since its beacon was last heard
    (:class:`~beacons.persistence.Persistence`): shadowing by a van or a wall stays while the
    walker passes, so the same beacon a second later is partly the same evidence again.
    """

    def __init__(self, layout: BeaconLayout, power_dbm: np.ndarray, beacon_xy: np.ndarray,
                 persistence: Persistence, ident_rows: IdentRows | None = None) -> None:
        self._layout, self._power, self._beacon_xy = layout, power_dbm, beacon_xy
        self._persistence = persistence
        #: the map's memo when given (bounded at _IDENTS_KEPT), else one of this walker's own
        self._row_of: IdentRows = {} if ident_rows is None else ident_rows
        self._idents_kept = _CACHE_MAX if ident_rows is None else _IDENTS_KEPT
        self._heard = HeardTimes()
        #: The last scan's beacons (not its readings: a walker's last scan kept for the second
        #: until the next one outlives the collector's young generations, see
        #: navigator/collector.py) and their layout rows.
        self._last: tuple[Sequence[BeaconId], list[int]] = ((), [])
        self._floor_dbm = FLOOR_PRIOR_DBM
        self._readings = 0  # reported so far, up to FLOOR_AFTER_READINGS

    @property
    def matched(self) -> tuple[BeaconId, ...]:
        """The last scan's readings whose beacon the layout knows (in order; any RSSI)."""
        beacons, rows = self._last
        return tuple(b for b, row in zip(beacons, rows, strict=True) if row >= 0)

    def heard_rows(self) -> np.ndarray:
        """Layout rows of every beacon the last scan heard (also those not weighed, and
        readings refused for their RSSI or time: the beacon was heard all the same)."""
        return np.array([row for row in self._last[1] if row >= 0], dtype=np.int64)

    def heard_lately(self, rows: np.ndarray) -> np.ndarray:
        """Which of the layout rows ``rows`` this walker has heard lately (within about a
        minute): those beacons are alive, while one never heard may be dead."""
        known, _, count = self._heard.arrays()
        # a few rows against at most the walker's last minute: one broadcast comparison
        return (rows[:, None] == known[None, :count]).any(axis=1)

    @property
    def floor_dbm(self) -> float | None:
        """The phone's floor (see :data:`FLOOR_PRIOR_DBM`), None until it has reported
        :data:`FLOOR_AFTER_READINGS` readings."""
        return self._floor_dbm if self._readings >= FLOOR_AFTER_READINGS else None

    def digest(self, scan: Scan, most: int, near_xy: tuple[float, float] | None = None
               ) -> tuple[HeardBeacons, Rejected]:
        """The scan's usable beacons, at most ``most``: the nearest to ``near_xy`` (the last
        fix, in the layout's metres ``beacon_xy``), or the loudest when there is no fix.

        Nearest, not loudest, once there is a fix: picking the loudest keeps a far beacon
        exactly when its reading came out loud, so signals seem to fall slower than they do.
        In the ideal world of the shipped city the cloud learnt an exponent of 1.4 for a true
        2, its misfits persisted with the bias (so every reading counted a quarter) and the
        flattened, tempered evidence left a cloud 8-12 m wide with the walker within 1 m of
        its centre: a third of the walks lost the fix for a scan at the station square's
        junction. The nearest are chosen by the map, not by their readings, so no bias; a
        beacon behind the walker reads low, which the body-loss model explains. Without a
        fix the loudest are the only guide to where the walker is."""
        readings = scan.readings
        n = len(readings)
        self._last = ((), [])
        if not n:
            return NOTHING_HEARD, _NONE_REJECTED
        row_list = self._rows_of(readings)
        self._last = ([r.beacon for r in readings], row_list)
        persistence = self._persistence
        readings_after = min(self._readings + n, FLOOR_AFTER_READINGS)
        x, y = (0.0, 0.0) if near_xy is None else near_xy
        (rows, excess, weight, floor, heard, pruned, floor_dbm, bad_rssi, unknown,
         stale) = kernels.digest(
            np.array(row_list, dtype=np.int64),
            np.fromiter([r.rssi_dbm for r in readings], float, n),
            np.fromiter([r.t_s for r in readings], float, n),
            *self._heard.reserve(n), scan.t_s, _FORGET_S, self._power, RSSI_MIN_DBM,
            RSSI_MAX_DBM, persistence.rho, persistence.lag_s, self._floor_dbm,
            readings_after >= FLOOR_AFTER_READINGS, self._beacon_xy, x, y, near_xy is not None,
            most)
        self._heard.kept(heard, pruned)
        rejected = (Rejected(bad_rssi, unknown, stale) if bad_rssi or unknown or stale
                    else _NONE_REJECTED)
        if not rows.size:
            return NOTHING_HEARD, rejected
        self._floor_dbm = floor_dbm
        self._readings = readings_after
        return HeardBeacons(rows, excess, weight, floor), rejected

    def _rows_of(self, readings: Sequence[Reading]) -> list[int]:
        """Layout row per reading's beacon, -1 when it is not in the layout."""
        cache = self._row_of
        beacons = [r.beacon for r in readings]
        hits = [cache.get(b.ident, _UNSEEN) for b in beacons]
        rows = [row if kind is b.kind else -2 for (kind, row), b in
                zip(hits, beacons, strict=True)]
        if -2 in rows:  # beacons this walker has not heard before: one search for all
            if len(cache) > self._idents_kept:
                cache.clear()
            new = [r.beacon for r, row in zip(readings, rows, strict=True) if row == -2]
            found = iter([-1 if row is None else row for row in self._layout.rows_of(new)])
            rows = [next(found) if row == -2 else row for row in rows]
            cache.update((r.beacon.ident, (r.beacon.kind, row))
                         for r, row in zip(readings, rows, strict=True))
        return rows


class HeardTimes:
    """When each beacon (layout row) a walker heard lately was last heard: two arrays with room
    for what the last minute needs, made with the walker, rather than a dict of a boxed int
    and float per beacon filling over the walk's first minutes (with 400 walkers, part of
    ``make soak``'s growth; #14). Pruned like the dict it replaces: past :attr:`_most` entries,
    only the beacons heard within ``_FORGET_S`` stay, and the next pruning waits for twice as
    many (at least ``_CACHE_MAX``), so a crowd of beacons costs a pass now and then, not one
    every scan."""

    __slots__ = ("_rows", "_t", "_count", "_most")

    def __init__(self) -> None:
        # room for a bound doubled once (a crowd of beacons: a street grid's corners)
        self._rows = np.zeros(2 * _CACHE_MAX + _ROOM, dtype=np.int64)
        self._t = np.zeros(2 * _CACHE_MAX + _ROOM)
        self._count = 0
        self._most = _CACHE_MAX

    def arrays(self) -> tuple[np.ndarray, np.ndarray, int]:
        """The rows, their times and how many of them are in use (for beacons.readingkernels)."""
        return self._rows, self._t, self._count

    def remember(self, rows: np.ndarray, t: np.ndarray, now: float) -> None:
        """The beacons ``rows`` (distinct) were heard at ``t``; ``now`` is the scan's time."""
        heard_rows, heard_t, count, most = self.reserve(rows.size)
        self.kept(*kernels.remember(heard_rows, heard_t, count, rows, t, most, now, _FORGET_S))

    def reserve(self, extra: int) -> tuple[np.ndarray, np.ndarray, int, int]:
        """Room for ``extra`` more beacons: the arrays, how many are in use and the bound past
        which beacons.readingkernels.remember prunes (its arguments; then :meth:`kept`)."""
        if self._count + extra > self._rows.size:  # more at once than the room kept
            size = 2 * (self._count + extra)
            self._rows = np.resize(self._rows, size)
            self._t = np.resize(self._t, size)
        return self._rows, self._t, self._count, self._most

    def kept(self, count: int, pruned: bool) -> None:
        """beacons.readingkernels.remember left ``count`` entries (``pruned``: by recency)."""
        self._count = count
        if pruned:
            self._most = max(_CACHE_MAX, 2 * self._count)
