"""Map sync: a process's live map follows edits other processes commit (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import gc
import threading
import time

import pytest
from sqlalchemy.exc import OperationalError

from beacons.model import BeaconId, BeaconPlacement
from navigator.keys import MAP_SYNC, STORAGE
from navigator.mapstate import MapState, load_map_state
from navigator.mapsync import WINDOW, MapSync
from navigator.storage import MapEditor, MapSnapshot, Storage, changes
from routing.compiled import SHORTEST
from routing.graph import edge_by_id, edge_records
from tests.navigator.conftest import auth, create_keys
from tests.navigator.test_mapper import CENTRE, HBF, edge_mid_route
from tests.navigator.test_storage import BIG_OSM_ID, small_extract, stored_small_map

UUID = "f7826da6-4fa2-4e98-8024-bc5b71e0893e"
N0, N1, N2 = BIG_OSM_ID, BIG_OSM_ID + 1, BIG_OSM_ID + 2


@pytest.fixture
def store(db_url: str) -> Storage:
    s = stored_small_map(db_url)
    yield s
    s.close()


def follower(store: Storage) -> tuple[MapState, MapSync]:
    """What a second ``serve`` process holds: its own loaded map and its poller."""
    loaded = store.recent_revision_ids(WINDOW)
    mapstate, _ = load_map_state(store)
    gc.unfreeze()
    return mapstate, MapSync(store, mapstate, loaded)


def test_edits_from_elsewhere_reach_the_live_map(store: Storage) -> None:
    mapstate, sync = follower(store)
    assert sync.poll() == 0
    other = MapEditor(store)  # another process's edits: never applied to this live map
    other.update("node", N2, {"lat": 49.4404}, None, "m")  # moves; edge 2 grows to ~33 m
    other.create("node", {"id": N2 + 1, "lat": 49.4404, "lon": 7.7702}, "m")
    other.create("edge", {"id": 3, "u": N2, "v": N2 + 1, "highway": "footway"}, "m")
    other.delete("edge", 1, None, "m")
    other.create("landmark", {"name": "Apotheke", "kind": "shop", "lat": 49.44, "lon": 7.77},
                 "m")
    other.create("closure", {"edge_id": 2, "reason": "building site", "starts_ts": 0.0}, "m")
    assert sync.poll() == 6
    assert mapstate.graph.nodes[N2]["lat"] == 49.4404 and N2 + 1 in mapstate.graph
    assert {e.id for e in edge_records(mapstate.graph)} == {2, 3}
    assert edge_by_id(mapstate.graph, 2).length_m == pytest.approx(33.4, abs=0.1)
    found = mapstate.router.shortest_path(N1, N2, SHORTEST)  # the router has it too
    assert found is not None and found[2] == pytest.approx(33.4, abs=0.1)
    assert any(p.name == "Apotheke" for p in mapstate.places.values())
    assert mapstate.closed_edges(time.time()) == {2}
    assert sync.poll() == 0
    other.create("node", {"id": N2 + 5, "lat": 49.45, "lon": 7.78}, "m")
    other.delete("node", N2 + 5, None, "m")  # came and went between two polls
    assert sync.poll() == 2 and N2 + 5 not in mapstate.graph


def test_an_import_elsewhere_reloads_and_a_layout_elsewhere_swaps(store: Storage) -> None:
    mapstate, sync = follower(store)
    store.replace_map(small_extract(offset=10), actor="cli", source="other process")
    assert sync.poll() == 1
    assert set(mapstate.graph.nodes) == {N0 + 10, N1 + 10, N2 + 10}
    store.replace_beacons(
        [BeaconPlacement(BeaconId.ibeacon(UUID, 1, i), 49.44, 7.77, None, -59.0) for i in range(4)],
        actor="planner",
    )
    assert sync.poll() == 1 and len(mapstate.beacons) == 4


async def test_a_closure_made_in_one_process_reroutes_the_other(make_client,
                                                               any_db_settings) -> None:
    settings = any_db_settings.with_(map_sync_s=0.05)
    here, there = await make_client(settings), await make_client(settings)
    h = auth(create_keys(settings.database_url)["mapper"])
    body = {"from": HBF, "to": CENTRE}
    before = await (await there.post("/v1/routes", json=body)).json()
    target = await edge_mid_route(here, h, before)
    closure = {"edge_id": target["id"], "reason": "building site"}
    assert (await here.post("/v1/map/closures", json=closure, headers=h)).status == 201
    for _ in range(100):  # the other process polls every 0.05 s
        after = await (await there.post("/v1/routes", json=body)).json()
        if after["geometry"] != before["geometry"]:
            break
        await asyncio.sleep(0.05)
    assert after["geometry"] != before["geometry"], "the other process still routes over it"


async def test_own_edits_and_reloads_are_not_applied_twice(make_client, settings) -> None:
    client = await make_client(settings.with_(map_sync_s=3600.0))  # polled by hand here
    sync, storage = client.app[MAP_SYNC], client.app[STORAGE]
    h = auth(create_keys(settings.database_url)["mapper"])
    landmark = {"name": "Kiosk", "kind": "shop", "lat": 49.4447, "lon": 7.769}
    assert (await client.post("/v1/map/landmarks", json=landmark, headers=h)).status == 201
    plan = {"spacing_m": 15.0, "apply": True}
    assert (await client.post("/v1/map/beacon-plan", json=plan, headers=h)).status == 200
    assert await asyncio.to_thread(sync.poll) == 0
    MapEditor(storage).create("landmark", {**landmark, "name": "Imbiss"}, "elsewhere")
    assert await asyncio.to_thread(sync.poll) == 1


def test_an_import_between_the_log_and_the_rows_is_left_to_the_next_poll(
    store: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An import commits after the poll read the audit log but before it read what the edits
    touched: the change is still read as of the log (the moved node, not the new import's
    absence of it), and the next poll reloads the import."""
    mapstate, sync = follower(store)
    MapEditor(store).update("node", N2, {"lat": 49.4404}, None, "m")
    read_log = changes.revisions_after

    def log_then_import(conn, after_id, limit):  # type: ignore[no-untyped-def]
        refs = read_log(conn, after_id, limit)
        other = threading.Thread(target=store.replace_map, args=(small_extract(offset=10),),
                                 kwargs={"actor": "t", "source": "other process"})
        other.start()
        other.join()
        return refs

    monkeypatch.setattr(changes, "revisions_after", log_then_import)
    assert sync.poll() == 1
    monkeypatch.undo()
    assert set(mapstate.graph.nodes) == {N0, N1, N2}  # the database as it was at that poll
    assert mapstate.graph.nodes[N2]["lat"] == 49.4404
    assert sync.poll() == 1
    assert set(mapstate.graph.nodes) == {N0 + 10, N1 + 10, N2 + 10}


def test_a_failed_reload_keeps_the_whole_old_map_and_is_retried(
    store: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    mapstate, sync = follower(store)
    store.replace_map(small_extract(offset=10), actor="cli", source="other process")
    load = store.load_map

    def gone(beacons: bool = True) -> MapSnapshot:
        raise OperationalError("SELECT", {}, Exception("the database is away"))

    monkeypatch.setattr(store, "load_map", gone)
    with pytest.raises(OperationalError):
        sync.poll()
    assert set(mapstate.graph.nodes) == {N0, N1, N2}  # the old map, whole
    monkeypatch.setattr(store, "load_map", load)
    assert sync.poll() == 1
    assert set(mapstate.graph.nodes) == {N0 + 10, N1 + 10, N2 + 10}
    assert sync.poll() == 0


def test_a_reload_already_made_is_not_made_again(
    store: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """This process's import reloaded before its map sync saw the import (or the other way
    round): the second asks for nothing from the database."""
    mapstate, sync = follower(store)
    revision = store.replace_map(small_extract(offset=10), actor="t", source="import here")
    assert max(mapstate.reload(store.load_map, [revision])) == revision
    reads: list[bool] = []
    monkeypatch.setattr(store, "load_map", lambda beacons=True: reads.append(beacons))
    assert sync.poll() == 1 and not reads
    assert mapstate.reload(store.load_map, [revision]) == [] and not reads
    assert set(mapstate.graph.nodes) == {N0 + 10, N1 + 10, N2 + 10}
