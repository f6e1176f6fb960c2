"""What a walker's positioner remembers about beacons between scans stays bounded on a long walk."""

from __future__ import annotations

import gc
import tracemalloc

import numpy as np

from beacons.heard import ScanDigester
from beacons.layout import BeaconLayout
from beacons.model import BeaconId, BeaconKind, Reading, Scan
from beacons.persistence import Persistence

SPACING_M = 1.0
HEARD_WITHIN_M = 6.0
SPEED_MPS = 1.4
UUID = "f7826da6-4fa2-4e98-8024-bc5b71e0893e"


def _street(beacons: int) -> tuple[BeaconLayout, np.ndarray]:
    """Beacons every metre along a straight street (the layout's metres: x along it)."""
    idents = [BeaconId.ibeacon(UUID, 1, i).ident for i in range(beacons)]
    x = np.arange(beacons) * SPACING_M
    layout = BeaconLayout([BeaconKind.IBEACON] * beacons, idents, 49.0 + x / 111_000.0,
                          np.full(beacons, 7.0), [None] * beacons, np.full(beacons, -59.0))
    return layout, np.column_stack([x, np.zeros(beacons)])


def _scan(t_s: float) -> Scan:
    """What a walker at SPEED_MPS hears at ``t_s``: the beacons within HEARD_WITHIN_M."""
    at = t_s * SPEED_MPS
    near = range(max(0, int((at - HEARD_WITHIN_M) / SPACING_M)),
                 int((at + HEARD_WITHIN_M) / SPACING_M) + 1)
    return Scan(tuple(Reading(BeaconId.ibeacon(UUID, 1, i), -60.0 - abs(i * SPACING_M - at),
                              None, t_s) for i in near), t_s)


def _held_bytes() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def test_a_long_walk_does_not_grow_what_the_positioner_remembers() -> None:
    """A 40-minute walk past a new beacon every 0.7 s (3,400 in all) leaves the digester holding
    what the last minute needs, not every beacon the walk heard: its memory after 2,100 more
    scans is what it was after 300. (Remembering up to 4,096 beacons, it grew 925 KiB over
    those scans.)"""
    layout, xy = _street(3_500)
    digester = ScanDigester(layout, layout.power, xy, Persistence(0.9))
    for t in range(300):  # numba's first calls and the walk's first minute
        digester.digest(_scan(float(t)), most=12)
    tracemalloc.start()
    try:
        before = _held_bytes()
        for t in range(300, 2_400):
            digester.digest(_scan(float(t)), most=12)
        grown = _held_bytes() - before
    finally:
        tracemalloc.stop()
    assert grown < 64 * 1024, f"{grown / 1024:.0f} KiB more after 2,100 scans"
