"""The departures index answers exactly what the storage read it replaces answers."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from navigator import timetable as timetable_module
from navigator.departureindex import DepartureIndex
from navigator.storage import Storage
from navigator.timetable import Timetable
from navigator.transitfeed import DepartureRow, StopRow, TripInfo
from navigator.transitimport import import_gtfs_file

from .test_transit_api import CAIRNS, FEED, NOW


def test_windows_include_both_ends_and_several_stops_come_out_by_time() -> None:
    trips = {7: TripInfo(7, 1, "T7", "Rathaus", 1, "105", 3, "R105"),
             8: TripInfo(8, 2, "T8", "Stiftsplatz", 0, "101", 3, "R101")}
    index = DepartureIndex.build([(1, 100, 7, 1), (1, 200, 8, 3), (1, 300, 7, 4),
                                  (2, 150, 8, 2)], trips)
    a = StopRow(1, "A", "Post", 49.0, 7.0, 0, None, "A", 1, None)
    b = StopRow(2, "B", "Post", 49.0, 7.0, 0, None, None, 0, None)
    assert index.rows([a], [(100, 200), (301, 400)]) == [[
        DepartureRow(100, 1, "T7", "Rathaus", 1, "105", 3, "A", "A", 1, 1, "R105"),
        DepartureRow(200, 2, "T8", "Stiftsplatz", 0, "101", 3, "A", "A", 1, 3, "R101")], []]
    assert [r.departure_s for r in index.rows([a, b], [(0, 1000)])[0]] == [100, 150, 200, 300]
    assert index.rows([StopRow(9, "Z", "Nowhere", 0, 0, 0, None, None, 0, None)],
                      [(0, 10**6)]) == [[]]


@pytest.mark.parametrize("feed", [FEED, CAIRNS], ids=["kaiserslautern", "cairns"])
def test_the_index_holds_every_boardable_departure_the_storage_holds(
    tmp_path: Path, feed: Path,
) -> None:
    storage = Storage(f"sqlite:///{tmp_path / 'timetable.db'}")
    storage.migrate()
    import_gtfs_file(storage, feed, now_ts=1.0, actor="test")
    snapshot = Timetable(storage).current()
    assert snapshot.index is not None
    stops = [s for s in snapshot.stops.values() if s.location_type == 0]
    rng = random.Random(3)
    for _ in range(300):
        at = rng.sample(stops, rng.choice((1, 3)))
        lo = rng.randrange(0, 30 * 3600)
        spans = [(lo, lo + rng.randrange(0, 4 * 3600)), (lo + 86400, lo + 90000)]
        stored = storage.departure_rows([s.id for s in at], spans)
        indexed = snapshot.index.rows(at, spans)
        assert [sorted(w) for w in indexed] == [sorted(w) for w in stored]
        assert all([r.departure_s for r in w] == sorted(r.departure_s for r in w)
                   for w in indexed)
    storage.close()


def test_a_feed_too_big_for_memory_is_read_from_storage_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    storage = Storage(f"sqlite:///{tmp_path / 'timetable.db'}")
    storage.migrate()
    import_gtfs_file(storage, FEED, now_ts=1.0, actor="test")
    in_memory = Timetable(storage)
    assert in_memory.current().index is not None
    monkeypatch.setattr(timetable_module, "INDEX_MAX_STOP_TIMES", 1000)
    from_storage = Timetable(storage)
    assert from_storage.current().index is None
    for timetable in (in_memory, from_storage):
        snapshot = timetable.current()
        stops = snapshot.boarding_stops(snapshot.stops["osm571524030"])
        found = timetable.departures(snapshot, stops, NOW, horizon_s=3600, limit=5)
        assert [(d.line, d.headsign, d.scheduled_ts - NOW) for d in found] == [
            ("105", "Rathaus", 17 * 60.0), ("105", "Rathaus", 37 * 60.0),
            ("105", "Rathaus", 57 * 60.0)]
    storage.close()
