"""Start-up loading (load_map_state): the helper processes reading the beacon layout and (in
``serve``, from before its imports) the map, their fallbacks, the collector."""

from __future__ import annotations

import gc
import logging
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from beacons.model import BeaconId, BeaconPlacement
from navigator import mapstate as mapstate_mod
from navigator.app import load_service
from navigator.children import ReadHelper, start_map_read
from navigator.mapstate import MapState, load_map_state
from navigator.settings import Settings
from navigator.storage import Storage, snapshot_of_rows
from navigator.storage.mapread import map_rows
from routing.graph import edge_records
from tests.navigator.test_storage import small_extract

UUID = "f7826da6-4fa2-4e98-8024-bc5b71e0893e"


@pytest.fixture
def store(db_url: str) -> Storage:
    s = Storage(db_url)
    s.migrate()
    s.replace_map(small_extract(), actor="t", source="test")
    s.replace_beacons(
        [
            BeaconPlacement(BeaconId.ibeacon(UUID, 7, i), 49.44 + i * 1e-5, 7.77,
                            None if i % 3 else 1.0, -59.0 - i % 5)
            for i in range(40)
        ]
        + [BeaconPlacement(BeaconId.eddystone("edd1ebeac04e5defa017", "0badc0ffee01"),
                           49.4401, 7.7701, None, -62.0)],
        actor="t",
    )
    yield s
    s.close()


def test_helper_process_reads_the_same_layout(store: Storage) -> None:
    here, here_phases = load_map_state(store, beacons_in_helper=10**9)
    helped, helped_phases = load_map_state(store, beacons_in_helper=0)
    assert "beacons_wait_s" in helped_phases and "beacons_wait_s" not in here_phases
    assert len(helped.beacons) == 41
    assert list(helped.beacons) == list(here.beacons) == list(store.load_beacons())
    pmap = helped.positioning_map()
    eddystone = BeaconId.eddystone("edd1ebeac04e5defa017", "0badc0ffee01")
    assert pmap.layout.rows_of([eddystone, BeaconId.ibeacon(UUID, 7, 3)]) == [40, 3]
    assert helped.counts() == here.counts()


def test_failed_helper_falls_back_to_reading_here(
    store: Storage, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(sys, "executable", "/bin/false")
    with caplog.at_level(logging.WARNING, logger="navigator.mapstate"):
        mapstate, _ = load_map_state(store, beacons_in_helper=0)
    assert list(mapstate.beacons) == list(store.load_beacons())
    assert any(r.getMessage().startswith("beacon helper process failed") for r in caplog.records)


def test_helper_that_cannot_start_means_reading_here(
    store: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    mapstate, phases = load_map_state(store, beacons_in_helper=0)
    assert list(mapstate.beacons) == list(store.load_beacons())
    assert "beacons_wait_s" not in phases


def test_failed_load_stops_the_helper_and_restores_the_collector(
    store: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[ReadHelper] = []

    class Recorded(ReadHelper):
        def __init__(self, what: str, entry: str, url: str, parts: Sequence[str]) -> None:
            super().__init__(what, entry, url, parts)
            started.append(self)

    def broken(beacons: bool = True) -> None:
        raise RuntimeError("disk gone")

    monkeypatch.setattr(mapstate_mod, "ReadHelper", Recorded)
    monkeypatch.setattr(store, "load_map", broken)
    with pytest.raises(RuntimeError, match="disk gone"):
        load_map_state(store, beacons_in_helper=0)
    assert gc.isenabled()
    gc.unfreeze()
    (helper,) = started
    assert helper._proc.poll() is not None  # noqa: SLF001 - no helper left behind
    assert not Path(helper._dir.name).exists()  # noqa: SLF001


def test_health_sizes_never_wait_for_the_maps_lock(store: Storage) -> None:
    """/health asks on the event loop: while another thread holds the map's lock (an export's
    copy, a reload, the positioning index being built: up to seconds on a big city) it gets the
    sizes last read at once, and the current ones when the lock is free again."""
    mapstate, _ = load_map_state(store)
    before = mapstate.counts()
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with mapstate.lock:
            mapstate.beacons = mapstate.beacons.take(mapstate.beacons.lat > 1e9)  # none left
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(10)
    t0 = time.perf_counter()
    assert mapstate.counts() == before  # not the half-made change, and no wait
    assert time.perf_counter() - t0 < 0.05
    release.set()
    holder.join(10)
    assert mapstate.counts() == {**before, "beacons": 0}


def _early(store: Storage) -> ReadHelper:
    """What ``serve`` starts before its imports."""
    helper = start_map_read(store.url)
    assert helper is not None
    return helper


def _same_map(a: MapState, b: MapState) -> None:
    assert list(edge_records(a.graph)) == list(edge_records(b.graph))
    assert dict(a.graph.nodes(data=True)) == dict(b.graph.nodes(data=True))
    assert a.places == b.places and a.closures == b.closures
    assert list(a.beacons) == list(b.beacons)
    assert a.snapshot_revisions == b.snapshot_revisions
    assert a.counts() == b.counts()


def test_rows_make_the_snapshot_again(store: Storage) -> None:
    snapshot = store.load_map()
    again = snapshot_of_rows(map_rows(snapshot), snapshot.beacons)
    assert again.nodes == snapshot.nodes and again.edges == snapshot.edges
    assert all(type(e) is type(snapshot.edges[0]) for e in again.edges)  # records, not tuples
    assert (again.places, again.closures) == (snapshot.places, snapshot.closures)
    assert (again.revision, again.revision_ids) == (snapshot.revision, snapshot.revision_ids)


@pytest.mark.parametrize("beacons_in_helper", [0, 10**9])
def test_a_map_read_early_is_the_map_read_here(store: Storage, beacons_in_helper: int) -> None:
    here, _ = load_map_state(store, beacons_in_helper=beacons_in_helper)
    early, phases = load_map_state(store, beacons_in_helper=beacons_in_helper,
                                   early=_early(store))
    assert phases["read_in_helper"] == 1.0
    _same_map(early, here)
    assert early.snapshot_revisions == sorted(store.recent_revision_ids(200)) != []


def test_routes_and_positioning_from_an_early_read_are_those_of_a_read_here(
    city_db_url: str
) -> None:
    store = Storage(city_db_url)
    try:
        here, _ = load_map_state(store)
        early, phases = load_map_state(store, early=_early(store))
    finally:
        store.close()
    assert phases["read_in_helper"] == 1.0
    _same_map(early, here)
    a, b = (49.4447, 7.7690), (49.4432, 7.7717)
    for profile in ("blind_cane", "wheelchair"):
        ours, theirs = early.router.route(a, b, profile), here.router.route(a, b, profile)
        assert ours.edges == theirs.edges and ours.cost == theirs.cost
    pa, pb = early.positioning_map(), here.positioning_map()
    assert (pa.edge_ids == pb.edge_ids).all() and (pa.node_xy == pb.node_xy).all()


def test_a_failed_early_read_means_reading_here(
    store: Storage, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(sys, "executable", "/bin/false")
    early = _early(store)
    with caplog.at_level(logging.WARNING):
        mapstate, phases = load_map_state(store, beacons_in_helper=10**9, early=early)
    assert phases["read_in_helper"] == 0.0
    assert mapstate.counts()["edges"] == len(store.load_map().edges)
    assert any(r.getMessage().startswith("map helper process failed") for r in caplog.records)
    assert not Path(early._dir.name).exists()  # noqa: SLF001 - its files are gone


def _loaded_from_helper(caplog: pytest.LogCaptureFixture) -> float:
    (loaded,) = [r for r in caplog.records if getattr(r, "event", "") == "map_loaded"]
    return float(loaded.read_in_helper)  # type: ignore[attr-defined]


def test_load_service_takes_the_early_read(sqlite_url: str, caplog: pytest.LogCaptureFixture
                                           ) -> None:
    store = Storage(sqlite_url)
    store.migrate()
    store.replace_map(small_extract(), actor="t", source="test")
    early = _early(store)
    with caplog.at_level(logging.INFO, logger="navigator.app"):
        loaded = load_service(Settings(database_url=sqlite_url, default_city=None), early)
    try:
        assert _loaded_from_helper(caplog) == 1.0
        assert loaded.revisions == sorted(store.recent_revision_ids(200))  # map sync starts here
    finally:
        loaded.storage.close()
        store.close()


def test_an_early_read_from_before_a_migration_or_the_default_city_is_not_taken(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The helper may have read the database before the schema was brought up to date or the
    default city imported: no audit-log entry says so, so map sync would never catch up."""
    store = Storage(sqlite_url)
    store.migrate()
    early = _early(store)  # an empty database: the default city comes after it
    with caplog.at_level(logging.INFO, logger="navigator.app"):
        loaded = load_service(Settings(database_url=sqlite_url), early)
    assert _loaded_from_helper(caplog) == 0.0 and loaded.mapstate.counts()["nodes"] > 0
    assert not Path(early._dir.name).exists()  # noqa: SLF001 - stopped, its files gone
    loaded.storage.close()
    caplog.clear()
    monkeypatch.setattr(Storage, "migrate", lambda self: True)
    early = _early(store)
    with caplog.at_level(logging.INFO, logger="navigator.app"):
        loaded = load_service(Settings(database_url=sqlite_url), early)
    assert _loaded_from_helper(caplog) == 0.0
    loaded.storage.close()
    store.close()
