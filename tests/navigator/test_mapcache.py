"""The start-up copy of the map (issue 14): a start serves exactly the map in the database.

Every kind of change (an edit, an import, a revert, SQL from outside the service) clears the copy
in its own transaction; a copy written after a change it did not see is refused; where the
triggers are missing, or on PostgreSQL, no copy is used.
"""

from __future__ import annotations

import struct

import pytest
import sqlalchemy as sa

from beacons.model import BeaconId, BeaconPlacement
from navigator.storage import MapEditor, Storage, mapcodec
from navigator.storage import mapread as mapread_module
from navigator.storage.mapcache import (
    BULK_CACHE_KIB,
    TRIGGERS,
    read_cached_map,
    roomy_page_cache,
    write_cached_map,
)
from navigator.storage.mapcodec import decode_graph, encode_graph
from routing.model import EdgeRecord, NodeRecord
from tests.navigator.test_storage import small_extract, stored_small_map


def rich_edges(nodes: list[NodeRecord]) -> list[EdgeRecord]:
    """Edges with every kind of attribute value: text, booleans, ints, floats, None."""
    a, b, c = (n.id for n in nodes)
    return [
        EdgeRecord(id=7, u=a, v=b, length_m=12.345678901234567, highway="footway",
                   footway="crossing", crossing="traffic_signals", crossing_island=False,
                   traffic_signals_sound=True, traffic_signals_vibration=None, kerb="raised",
                   kerb_height_m=0.1 + 0.2, button_operated=True, oneway="-1", level="1;2"),
        EdgeRecord(id=2**62, u=b, v=c, length_m=3.0, highway="steps", step_count=12,
                   handrail=False, incline="5%", width_m=0.9, lit=True, osm_way_id=11_234_567_890,
                   sidewalk="both", name='Straße "am Markt", 1'),
        EdgeRecord(id=9, u=c, v=a, length_m=1e-3),
    ]


def test_the_codec_gives_back_exactly_the_records_and_their_types() -> None:
    nodes = [NodeRecord(11_234_567_890, 49.44, 7.77, None), NodeRecord(2, 49.4401, 7.7701, -1.5),
             NodeRecord(-3, -33.9, 151.2, 0.0)]
    edges = rich_edges(nodes)
    decoded = decode_graph(encode_graph(nodes, edges))
    assert decoded == (nodes, edges)
    for got, want in zip([*decoded[0], *decoded[1]], [*nodes, *edges], strict=True):
        assert [type(x) for x in got] == [type(x) for x in want]
    assert decode_graph(encode_graph([], [])) == ([], [])


def test_the_codec_columns_are_the_first_edge_fields() -> None:
    assert EdgeRecord._fields[:4] == ("id", "u", "v", "length_m")


def test_a_value_this_code_did_not_write_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    assert decode_graph(b"not a map") is None
    value = encode_graph([NodeRecord(1, 49.0, 7.0)], [])
    damaged = value.replace(struct.pack("<d", 49.0), struct.pack("<d", 48.0))
    assert damaged != value and decode_graph(damaged) is None  # its checksum fails
    monkeypatch.setattr(mapcodec, "FORMAT", mapcodec.FORMAT + 1)  # a newer release's value
    newer = encode_graph([NodeRecord(1, 49.0, 7.0)], [])
    monkeypatch.undo()
    assert decode_graph(newer) is None


@pytest.fixture
def store(sqlite_url: str) -> Storage:
    s = stored_small_map(sqlite_url)
    yield s
    s.close()


def copy_of(store: Storage) -> bytes | None:
    with store.engine.connect() as conn:
        cache = read_cached_map(conn)
    assert cache is not None
    return cache.data


def rows_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(conn: object) -> None:
        raise AssertionError("the rows were read although the copy is current")

    monkeypatch.setattr(mapread_module, "_read_graph", refuse)


def test_a_start_stores_the_copy_and_the_next_start_serves_it(
    store: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert copy_of(store) is None
    first = store.load_map(cached=True)
    assert copy_of(store) is not None
    rows_not_read(monkeypatch)
    second = store.load_map(cached=True)
    assert (second.nodes, second.edges) == (first.nodes, first.edges)
    assert sorted(second.edges) == sorted(small_extract().edges)


def changes() -> dict[str, object]:
    """Each kind of change to the stored map, as a function of the storage."""
    def edit_edge(store: Storage) -> None:
        MapEditor(store).update("edge", 1, {"tactile_paving": False}, None, "m")

    def move_node(store: Storage) -> None:
        node = small_extract().nodes[0].id
        MapEditor(store).update("node", node, {"lat": 49.4402}, None, "m")

    def add_and_delete(store: Storage) -> None:
        editor = MapEditor(store)
        made = editor.create("node", {"lat": 49.45, "lon": 7.78, "level": None}, "m")
        editor.delete("node", made.nodes[0].id, None, "m")

    def delete_then_revert(store: Storage) -> None:
        editor = MapEditor(store)
        editor.revert(editor.delete("edge", 2, None, "m").revision_id, "m")

    def import_another(store: Storage) -> None:
        store.replace_map(small_extract(offset=1000), actor="test", source="second")

    def sql_from_outside(store: Storage) -> None:
        with store.engine.begin() as conn:
            conn.execute(sa.text("UPDATE edges SET name = 'Hintergasse' WHERE id = 2"))

    return {f.__name__: f for f in (edit_edge, move_node, add_and_delete, delete_then_revert,
                                    import_another, sql_from_outside)}


@pytest.mark.parametrize("change", changes().values(), ids=list(changes()))
def test_every_change_clears_the_copy_and_a_start_serves_the_changed_map(
    store: Storage, change
) -> None:
    store.load_map(cached=True)
    assert copy_of(store) is not None
    change(store)
    assert copy_of(store) is None
    served = store.load_map(cached=True)
    stored = store.load_map()
    assert (served.nodes, served.edges) == (stored.nodes, stored.edges)
    assert copy_of(store) is not None  # the changed map's copy, for the next start
    again = store.load_map(cached=True)
    assert (again.nodes, again.edges) == (stored.nodes, stored.edges)


def test_a_copy_read_before_a_change_is_not_stored(store: Storage) -> None:
    with store.engine.connect() as conn:
        cache = read_cached_map(conn)
    assert cache is not None
    old = encode_graph(*store.load_graph())
    MapEditor(store).update("edge", 1, {"name": "Neue Straße"}, None, "m")
    with store.write() as conn:
        assert not write_cached_map(conn, cache.generation, old)
    assert copy_of(store) is None
    assert store.load_map(cached=True).edges == store.load_map().edges


def test_without_its_triggers_no_copy_is_trusted(store: Storage) -> None:
    store.load_map(cached=True)
    with store.engine.begin() as conn:
        conn.execute(sa.text(f"DROP TRIGGER {TRIGGERS[4]}"))  # edges' update
        conn.execute(sa.text("UPDATE edges SET name = 'Hintergasse' WHERE id = 2"))
        assert read_cached_map(conn) is None
    served = store.load_map(cached=True)
    assert {e.id: e.name for e in served.edges}[2] == "Hintergasse"


def test_beacons_are_read_fresh_beside_the_copy(store: Storage) -> None:
    store.load_map(cached=True)
    placement = BeaconPlacement(BeaconId.ibeacon("f7826da6-4fa2-4e98-8024-bc5b71e0893e", 1, 2),
                                49.4401, 7.7701, None, -59.0)
    store.replace_beacons([placement], actor="test")
    assert copy_of(store) is not None  # beacons are not in the copy
    assert len(store.load_map(cached=True).beacons) == 1


def test_postgresql_keeps_no_copy(db_url: str) -> None:
    store = Storage(db_url)
    store.migrate()
    try:
        if store.dialect == "sqlite":
            pytest.skip("the SQLite case is every other test here")
        store.replace_map(small_extract(), actor="test", source="unit")
        with store.engine.connect() as conn:
            assert read_cached_map(conn) is None
        assert sorted(store.load_map(cached=True).edges) == sorted(small_extract().edges)
    finally:
        store.close()


def test_a_whole_map_write_leaves_the_connections_settings_as_they_were(store: Storage) -> None:
    def settings(conn: sa.Connection) -> tuple[int, int]:
        return (conn.exec_driver_sql("PRAGMA cache_size").scalar_one(),
                conn.exec_driver_sql("PRAGMA temp_store").scalar_one())

    with store.engine.connect() as conn:
        before = settings(conn)
        with roomy_page_cache(conn):
            assert settings(conn) == (-BULK_CACHE_KIB, 2)  # 2: in memory
        assert settings(conn) == before
    store.replace_map(small_extract(offset=1000), actor="test", source="second")
    assert sorted(store.load_map(cached=True).edges) == sorted(small_extract(offset=1000).edges)
