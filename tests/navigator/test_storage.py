"""Storage: migrations, map round trip, all-or-nothing import, keys (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from beacons.model import BeaconId, BeaconPlacement
from navigator.storage import (
    Edge,
    InvalidEdit,
    MapEditor,
    MapRevision,
    Node,
    Storage,
    StorageError,
    engine,
    mapwrite,
)
from routing.model import EdgeRecord, MapExtract, NodeRecord, PlaceRecord

BIG_OSM_ID = 11_234_567_890  # OSM ids passed 2**31 years ago


def small_extract(offset: int = 0) -> MapExtract:
    nodes = [NodeRecord(BIG_OSM_ID + offset + i, 49.44 + i * 1e-4, 7.77, None) for i in range(3)]
    edges = [
        EdgeRecord(id=1 + offset, u=nodes[0].id, v=nodes[1].id, length_m=11.1, name="Marktstraße",
                   tactile_paving=True, crossing="traffic_signals", traffic_signals_sound=True),
        EdgeRecord(id=2 + offset, u=nodes[1].id, v=nodes[2].id, length_m=11.1, highway="steps",
                   step_count=12, handrail=True, incline="up"),
    ]
    places = [PlaceRecord(id=BIG_OSM_ID + 100 + offset, name="Bäckerei Müller", kind="shop",
                          lat=49.4401, lon=7.7701)]
    return MapExtract(nodes, edges, places)


def stored_small_map(url: str) -> Storage:
    """A migrated database holding :func:`small_extract` (the caller closes it)."""
    store = Storage(url)
    store.migrate()
    store.replace_map(small_extract(), actor="t", source="test")
    return store


@pytest.fixture
def store(db_url: str) -> Storage:
    s = Storage(db_url)
    s.migrate()
    yield s
    s.close()


def test_migrations_give_exactly_the_model_schema(store: Storage) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


def test_migrate_twice_is_harmless(store: Storage) -> None:
    store.migrate()
    assert store.count(Node) == 0


def test_schema_head_is_the_newest_migration(store: Storage) -> None:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(engine.alembic_config(store.url)).get_current_head()
    assert engine.SCHEMA_HEAD == head == store.schema_version()


def test_migrate_upgrades_an_older_schema(db_url: str) -> None:
    from alembic import command

    old = Storage(db_url)
    command.upgrade(engine.alembic_config(old.url), "0002")
    assert old.schema_version() == "0002"
    old.migrate()
    assert old.schema_version() == engine.SCHEMA_HEAD
    old.close()


def test_map_round_trip_keeps_every_accessibility_attribute(store: Storage) -> None:
    extract = small_extract()
    store.replace_map(extract, actor="test", source="unit")
    snap = store.load_map()
    assert sorted(snap.nodes, key=lambda n: n.id) == extract.nodes
    assert sorted(snap.edges, key=lambda e: e.id) == extract.edges
    assert snap.places == extract.places
    assert store.count(MapRevision) == 1


def test_failed_import_leaves_previous_map_intact(store: Storage, monkeypatch) -> None:
    store.replace_map(small_extract(), actor="test", source="first")
    real_insert = mapwrite._insert_many

    def crash_on_edges(conn, table, rows, chunk=5000):
        if table is Edge:
            raise RuntimeError("power cut")
        real_insert(conn, table, rows, chunk)

    monkeypatch.setattr(mapwrite, "_insert_many", crash_on_edges)
    with pytest.raises(RuntimeError):
        store.replace_map(small_extract(offset=1000), actor="test", source="second")
    snap = store.load_map()
    assert {n.id for n in snap.nodes} == {n.id for n in small_extract().nodes}
    assert len(snap.edges) == 2


def test_api_keys_are_stored_hashed_and_resolve_to_their_role(store: Storage) -> None:
    key = store.create_api_key("mapper")
    role, prefix = store.role_of_key(key)
    assert role == "mapper" and key.startswith(prefix)
    assert store.role_of_key(key + "x") is None
    with store.engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT key_hash FROM api_keys")).scalar_one()
    assert key not in stored and len(stored) == 64


def test_unknown_role_is_refused(store: Storage) -> None:
    with pytest.raises(StorageError, match="unknown role"):
        store.create_api_key("superuser")


def test_beacon_plan_replaces_layout(store: Storage) -> None:
    store.replace_map(small_extract(), actor="t", source="u")
    layout = [BeaconPlacement(BeaconId.ibeacon("f7826da6-4fa2-4e98-8024-bc5b71e0893e", 1, i),
                              49.44, 7.77, None, -59.0) for i in range(3)]
    store.replace_beacons(layout, actor="t")
    store.replace_beacons(layout[:2], actor="t")
    assert list(store.load_map().beacons) == layout[:2]


@pytest.mark.parametrize("url", ["mysql://x/y", "redis://localhost", "nonsense", ""])
def test_unknown_database_scheme_is_a_clear_error(url: str) -> None:
    with pytest.raises(StorageError, match="unsupported database URL"):
        Storage(url)


def test_beacon_health_puts_silent_beacons_first_across_pages(store: Storage) -> None:
    ids = [BeaconId.ibeacon("f7826da6-4fa2-4e98-8024-bc5b71e0893e", 3, i) for i in range(6)]
    store.replace_beacons([BeaconPlacement(b, 49.44, 7.77, None, -59.0) for b in ids], actor="t")
    now = 1_000_000.0
    store.mark_beacons_seen({ids[0].ident: now, ids[2].ident: now - 10,
                             ids[4].ident: now - 100_000})
    cutoff = now - 3600  # silent: never heard (1, 3, 5) or not for a day (4)

    def page(offset: int, silent_only: bool = False) -> tuple[list[str], int, int]:
        rows, total, silent = store.beacon_health(cutoff, silent_only=silent_only, limit=3,
                                                  offset=offset)
        return [r["ident"] for r in rows], total, silent

    assert page(0) == ([ids[1].ident, ids[3].ident, ids[4].ident], 6, 4)
    assert page(3) == ([ids[5].ident, ids[0].ident, ids[2].ident], 6, 4)
    assert page(3, silent_only=True) == ([ids[5].ident], 4, 4)


def test_track_saved_by_two_processes_is_merged_by_time(store: Storage) -> None:
    later = [[20.0, 49.441, 7.771, 1.0], [21.0, 49.4411, 7.7711, 1.2]]
    earlier = [[10.0, 49.44, 7.77, 0.9], [11.0, 49.4401, 7.7701, 1.1]]
    store.save_track("s1", 1000.0, 1100.0, later, "h1")  # the process that saw the walk's end
    store.save_track("s1", 900.0, 1050.0, earlier, "h1")  # the first, when its copy expires
    assert store.load_track("s1") == {"started_ts": 900.0, "ended_ts": 1100.0,
                                      "points": earlier + later, "token_hash": "h1"}


def test_undoing_a_create_deletes_exactly_as_a_delete_does(store: Storage) -> None:
    """The revert of a create refuses a node edges still use and takes an edge's closures
    along, like a delete: one way to delete an entity."""
    editor = MapEditor(store)
    a = editor.create("node", {"lat": 49.44, "lon": 7.77, "level": None}, "t")
    b = editor.create("node", {"lat": 49.4401, "lon": 7.77, "level": None}, "t")
    edge = editor.create("edge", {"u": a.nodes[0].id, "v": b.nodes[0].id}, "t")
    editor.create("closure", {"edge_id": edge.edges[0].id, "starts_ts": 0.0}, "t")
    for undo in (lambda: editor.revert(a.revision_id, "t"),
                 lambda: editor.delete("node", a.nodes[0].id, None, "t")):
        with pytest.raises(InvalidEdit, match="still has 1 edge") as refused:
            undo()
        assert refused.value.field == "id"
    undone = editor.revert(edge.revision_id, "t")
    assert undone.deleted_edges == [edge.edges[0].id] and undone.closures_changed
    assert store.load_closures() == [] and store.count(Edge) == 0
    assert editor.revert(a.revision_id, "t").deleted_nodes == [a.nodes[0].id]
