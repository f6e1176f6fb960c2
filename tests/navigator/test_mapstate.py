"""Start-up loading (load_map_state): the stored copies, the beacon helper process and its
fallback, the collector."""

from __future__ import annotations

import gc
import logging
import sys
import threading
import time
from pathlib import Path

import pytest

from beacons.model import BeaconId, BeaconPlacement
from navigator import mapstate as mapstate_mod
from navigator.mapstate import load_map_state
from navigator.storage import MapEditor, Storage
from routing.graph import edge_by_id, edge_records
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
    helped, helped_phases = load_map_state(store, beacons_in_helper=0)
    here, here_phases = load_map_state(store, beacons_in_helper=10**9)
    assert "beacons_wait_s" in helped_phases and "beacons_wait_s" not in here_phases
    assert len(helped.beacons) == 41
    assert list(helped.beacons) == list(here.beacons) == list(store.load_beacons())
    pmap = helped.positioning_map()
    eddystone = BeaconId.eddystone("edd1ebeac04e5defa017", "0badc0ffee01")
    assert pmap.layout.rows_of([eddystone, BeaconId.ibeacon(UUID, 7, 3)]) == [40, 3]
    assert helped.counts() == here.counts()


def test_a_start_after_an_edit_serves_the_edited_map_not_the_previous_starts_copy(
    store: Storage,
) -> None:
    """Starts keep a copy of nodes and edges (SQLite); an edit between two starts is served."""
    first, _ = load_map_state(store)
    MapEditor(store).update("edge", 1, {"name": "Neue Straße", "kerb": "raised"}, None, "m")
    second, _ = load_map_state(store)
    third, _ = load_map_state(store)  # from the copy the second start stored, on SQLite
    stored = {e.id: e for e in store.load_map().edges}
    for mapstate in (second, third):
        assert {e.id: e for e in edge_records(mapstate.graph)} == stored
    assert edge_by_id(first.graph, 1).name == "Marktstraße"


def test_a_start_with_the_beacons_copy_starts_no_helper(store: Storage) -> None:
    """The helper (SQLite) stores the layout's copy; the next start reads that, in-process."""
    if store.dialect != "sqlite":
        pytest.skip("PostgreSQL keeps no copy: its starts read the rows, big ones in a helper")
    first, first_phases = load_map_state(store, beacons_in_helper=0)
    assert "beacons_wait_s" in first_phases and store.beacon_copy_stored()
    second, second_phases = load_map_state(store, beacons_in_helper=0)
    assert "beacons_wait_s" not in second_phases
    assert list(second.beacons) == list(first.beacons) == list(store.load_beacons())


@pytest.mark.parametrize("beacons_in_helper", [0, 10**9], ids=["helper", "in-process"])
def test_a_start_after_a_beacon_edit_serves_the_edited_layout_not_the_previous_copy(
    store: Storage, beacons_in_helper: int
) -> None:
    first, _ = load_map_state(store, beacons_in_helper=beacons_in_helper)
    editor = MapEditor(store)
    moved = editor.list_rows("beacon", 1, 0)[0]["id"]
    editor.update("beacon", moved, {"lat": 49.4411, "level": 2.0}, None, "m")
    editor.create("beacon", {"kind": "ibeacon", "ident": f"{UUID}:7:99", "lat": 49.4402,
                             "lon": 7.7702, "level": None, "measured_power": -61.0}, "m")
    second, second_phases = load_map_state(store, beacons_in_helper=beacons_in_helper)
    third, third_phases = load_map_state(store, beacons_in_helper=beacons_in_helper)
    stored = list(store.load_beacons())
    assert len(stored) == 42 and stored != list(first.beacons)
    for mapstate in (second, third):
        assert list(mapstate.beacons) == stored
        assert mapstate.positioning_map().layout.rows_of([BeaconId.ibeacon(UUID, 7, 99)]) == [41]
    assert first.beacons[0].lat != 49.4411
    helped = [p for p in (second_phases, third_phases) if "beacons_wait_s" in p]
    # the helper reads the edited rows and stores their copy, which the third start reads
    expected = 0 if beacons_in_helper else (1 if store.dialect == "sqlite" else 2)
    assert len(helped) == expected


def test_failed_helper_falls_back_to_reading_here(
    store: Storage, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(sys, "executable", "/bin/false")
    with caplog.at_level(logging.WARNING, logger="navigator.mapstate"):
        mapstate, _ = load_map_state(store, beacons_in_helper=0)
    assert list(mapstate.beacons) == list(store.load_beacons())
    assert any(r.getMessage().startswith("beacon helper process failed") for r in caplog.records)
    assert store.beacon_copy_stored() == (store.dialect == "sqlite")  # for the next start


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
    started: list[mapstate_mod._BeaconHelper] = []

    class Recorded(mapstate_mod._BeaconHelper):
        def __init__(self, url: str) -> None:
            super().__init__(url)
            started.append(self)

    def broken(beacons: bool = True, cached: bool = False) -> None:
        raise RuntimeError("disk gone")

    monkeypatch.setattr(mapstate_mod, "_BeaconHelper", Recorded)
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
