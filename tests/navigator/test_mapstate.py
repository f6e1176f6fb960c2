"""Start-up loading (load_map_state): the beacon helper process, its fallback, the collector."""

from __future__ import annotations

import gc
import logging
import sys

import pytest

from beacons.model import BeaconId, BeaconPlacement
from navigator.mapstate import load_map_state
from navigator.storage import Storage
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
    assert pmap.rows_of([eddystone, BeaconId.ibeacon(UUID, 7, 3)]) == [40, 3]
    assert helped.counts() == here.counts()


def test_failed_helper_falls_back_to_reading_here(
    store: Storage, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(sys, "executable", "/bin/false")
    with caplog.at_level(logging.WARNING, logger="navigator.mapstate"):
        mapstate, _ = load_map_state(store, beacons_in_helper=0)
    assert list(mapstate.beacons) == list(store.load_beacons())
    assert any(r.getMessage().startswith("beacon helper process failed") for r in caplog.records)


def test_collector_runs_again_after_loading(store: Storage) -> None:
    assert gc.isenabled()
    load_map_state(store)
    assert gc.isenabled()
    gc.unfreeze()
