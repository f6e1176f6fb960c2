"""What a walker's positioner remembers about beacons between scans stays bounded on a long walk."""

from __future__ import annotations

import gc
import tracemalloc

import numpy as np

from beacons.heard import _CACHE_MAX, _FORGET_S, HeardTimes, ScanDigester
from beacons.layout import BeaconLayout
from beacons.model import BeaconId, BeaconKind, Reading, Scan
from beacons.persistence import Persistence
from beacons.planning import plan_beacons
from beacons.positioning import Positioner
from beacons.positioning_map import PositioningMap
from beacons.simulator import SimulatedSource, walk_along
from routing.geo import LocalFrame
from routing.graph import build_graph
from routing.model import EdgeRecord, NodeRecord

SPACING_M = 1.0
HEARD_WITHIN_M = 6.0
SPEED_MPS = 1.4
UUID = "f7826da6-4fa2-4e98-8024-bc5b71e0893e"


def _street(beacons: int, spacing_m: float = SPACING_M) -> tuple[BeaconLayout, np.ndarray]:
    """Beacons every ``spacing_m`` along a straight street (the layout's metres: x along it)."""
    idents = [BeaconId.ibeacon(UUID, 1, i).ident for i in range(beacons)]
    x = np.arange(beacons) * spacing_m
    layout = BeaconLayout([BeaconKind.IBEACON] * beacons, idents, 49.0 + x / 111_000.0,
                          np.full(beacons, 7.0), [None] * beacons, np.full(beacons, -59.0))
    return layout, np.column_stack([x, np.zeros(beacons)])


def _scan(t_s: float, spacing_m: float = SPACING_M, within_m: float = HEARD_WITHIN_M) -> Scan:
    """What a walker at SPEED_MPS hears at ``t_s``: the beacons within ``within_m``."""
    at = t_s * SPEED_MPS
    near = range(max(0, int((at - within_m) / spacing_m)), int((at + within_m) / spacing_m) + 1)
    return Scan(tuple(Reading(BeaconId.ibeacon(UUID, 1, i), -60.0 - abs(i * spacing_m - at),
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


def test_what_a_walker_remembers_is_full_after_the_first_minute() -> None:
    """On a street like the soak's walks (about 11 beacons a scan, 40 different ones a minute,
    a new one every 2 s), the digester holds after one minute what it holds for the rest of the
    walk: the most it held over the next nine minutes is within 16 KiB of it. Remembering up to
    256 beacons, it kept filling for most of a walk (a typical walk of the soak hears 170): 51 KiB
    more here by minute ten, per walker; with 400 walkers that was part of ``make soak``'s
    growth (#14)."""
    spacing_m, within_m = 3.0, 16.0
    layout, xy = _street(700, spacing_m)
    ScanDigester(layout, layout.power, xy, Persistence(0.6)).digest(_scan(0.0), most=12)  # numba
    tracemalloc.start()
    try:
        digester = ScanDigester(layout, layout.power, xy, Persistence(0.6))
        for t in range(60):
            digester.digest(_scan(float(t), spacing_m, within_m), most=12)
        after_a_minute, most = _held_bytes(), 0
        for t in range(60, 600):
            digester.digest(_scan(float(t), spacing_m, within_m), most=12)
            if t % 10 == 0:
                most = max(most, _held_bytes())
    finally:
        tracemalloc.stop()
    grown = most - after_a_minute
    assert grown < 16 * 1024, f"{grown / 1024:.0f} KiB more than after the first minute"


def test_the_phone_floor_is_its_quietest_reading_once_it_has_reported_enough() -> None:
    """Readings are compared with what the law gives *given that they were heard* only once the
    phone has reported 50 readings (the first scans near a few beacons say nothing of its
    floor); the floor is then its quietest reading, and never above -88 dBm."""
    layout, xy = _street(40)
    digester = ScanDigester(layout, layout.power, xy, Persistence(0.6))
    first, _ = digester.digest(_scan(0.0), most=12)  # 7 readings, -60..-66 dBm
    assert first.floor_excess_db.size == 0
    for t in range(1, 8):
        heard, _ = digester.digest(_scan(float(t)), most=12)
    assert heard.floor_excess_db.size == heard.size
    assert np.allclose(heard.floor_excess_db, -88.0 - (-59.0))  # all heard above -88: the cap
    quiet = Scan((Reading(BeaconId.ibeacon(UUID, 1, 12), -95.0, None, 8.0),), 8.0)
    digester.digest(quiet, most=12)
    heard, _ = digester.digest(_scan(9.0), most=12)
    assert np.allclose(heard.floor_excess_db, -95.0 - (-59.0))


def test_what_a_scan_heard_and_what_the_walker_heard_lately() -> None:
    """The silent beacons (beacons.absence) are those not in the scan, also beyond the ones it
    weighed; a beacon heard a few scans ago is known alive, one never heard is not; the floor
    is told only once it is known."""
    layout, xy = _street(40)
    digester = ScanDigester(layout, layout.power, xy, Persistence(0.6))
    digester.digest(_scan(0.0), most=3)  # beacons 0-6 heard, 3 of them weighed
    assert digester.heard_rows().tolist() == list(range(7))
    assert digester.floor_dbm is None
    digester.digest(_scan(5.0), most=3)  # at 7 m: beacons 1-13
    assert digester.heard_rows().tolist() == list(range(1, 14))
    assert digester.heard_lately(np.array([0, 5, 20])).tolist() == [True, True, False]
    for t in range(6, 12):
        digester.digest(_scan(float(t)), most=3)
    assert digester.floor_dbm == -88.0


def _street_walk() -> tuple[PositioningMap, list[Scan]]:
    """A kilometre of street (40 blocks of 25 m) with a beacon every 10 m, and the 12-13
    minutes of walking it end to end."""
    frame = LocalFrame(49.44, 7.77)
    nodes = [NodeRecord(k, *frame.to_latlon(25.0 * k, 0.0)) for k in range(41)]
    graph = build_graph(nodes, [EdgeRecord(k + 1, k, k + 1, 25.0) for k in range(40)])
    placements = plan_beacons(graph, spacing_m=10.0)
    walk = walk_along([frame.to_latlon(0.0, 0.0), frame.to_latlon(1000.0, 0.0)])
    return PositioningMap(graph, placements), list(SimulatedSource(placements, walk,
                                                                   seed=0).iter_scans())


def test_a_walkers_positioner_holds_after_its_first_seconds_what_it_holds_later() -> None:
    """What a walker's positioner keeps between scans is made with it, not filled over its walk:
    on a street other walkers have already walked, a new walker's positioner holds within 3 KiB
    after 5 s of what it holds at any time over the next ten minutes. In ``make soak`` the
    baseline is taken seconds after the last of 400 walkers started, so every KiB a walker's
    state fills over its first minutes is 400 of the growth measured (#14). Each walker's own
    memo of layout rows by beacon id and its dict of when each beacon was last heard (a boxed
    int and float each) filled for the first two minutes: 8.4 KiB more here (0.5 KiB now). The
    rows by id are the same for every walker of a map, so the map keeps one memo for all of
    them; the times are two arrays made with the walker."""
    pmap, scans = _street_walk()
    assert len(scans) > 600
    first = Positioner(pmap, seed=1)  # the walkers before: the map's shared memos are warm
    for scan in scans:
        first.update(scan)
    tracemalloc.start()
    try:
        start = _held_bytes()
        walker = Positioner(pmap, seed=2)
        for scan in scans[:5]:
            walker.update(scan)
        after_5_s, most = _held_bytes(), 0
        for k in range(5, len(scans)):  # (a slice of them would count as held)
            walker.update(scans[k])
            if k % 15 == 0:
                most = max(most, _held_bytes())
    finally:
        tracemalloc.stop()
    grown = most - after_5_s
    assert grown < 3 * 1024, (f"{grown / 1024:.1f} KiB more than after 5 s "
                              f"({(after_5_s - start) / 1024:.1f} KiB then)")


def test_heard_times_forget_as_a_dict_pruned_by_recency_would() -> None:
    """:class:`HeardTimes` answers what the dict it replaced answered: each beacon's last time,
    pruned past the bound to the last ``_FORGET_S`` seconds' beacons, the bound then twice what
    stayed (here 200 scans of 1-40 distinct beacons out of 300, crowds that double the bound)."""
    rng = np.random.default_rng(4)
    heard, model, bound = HeardTimes(), {}, _CACHE_MAX
    for t in range(200):
        rows = rng.choice(300, size=int(rng.integers(1, 41)), replace=False).astype(np.int64)
        times = t - rng.random(rows.size)
        known, when, count = heard.arrays()
        lookup = dict(zip(known[:count].tolist(), when[:count].tolist(), strict=True))
        assert lookup == model
        heard.remember(rows, times, float(t))
        model.update(zip(rows.tolist(), times.tolist(), strict=True))
        if len(model) > bound:
            model = {b: u for b, u in model.items() if t - u < _FORGET_S}
            bound = max(_CACHE_MAX, 2 * len(model))
