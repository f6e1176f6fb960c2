"""The start-up copies of the map (issue 14): a start serves exactly the map in the database.

Two copies, nodes and edges and the beacon layout. Every kind of change to a copy's rows (an
edit, an import, a plan, a revert, SQL from outside the service) clears that copy in its own
transaction and keeps the other; a copy written after a change it did not see is refused; where
its triggers are missing, or on PostgreSQL, no copy is used.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

import numpy as np
import pytest
import sqlalchemy as sa

from beacons.layout import KINDS, BeaconLayout
from beacons.model import BeaconId, BeaconPlacement
from navigator.storage import MapEditor, Storage, mapcodec
from navigator.storage import mapread as mapread_module
from navigator.storage.mapcache import (
    GRAPH,
    LAYOUT,
    CopyPart,
    copy_is_stored,
    read_cached_map,
    rewriting,
    write_cached_map,
)
from navigator.storage.mapcodec import decode_graph, decode_layout, encode_graph, encode_layout
from navigator.storage.mapread import BEACON_LAYOUT_COLUMNS
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
    assert decoded is not None and (decoded.nodes, decoded.edges) == (nodes, edges)
    for got, want in zip([*decoded.nodes, *decoded.edges], [*nodes, *edges], strict=True):
        assert [type(x) for x in got] == [type(x) for x in want]
    empty = decode_graph(encode_graph([], []))
    assert empty is not None and (empty.nodes, empty.edges) == ([], [])


def test_the_codec_columns_are_the_first_edge_fields() -> None:
    assert EdgeRecord._fields[:4] == ("id", "u", "v", "length_m")


UUID = "f7826da6-4fa2-4e98-8024-bc5b71e0893e"


def rich_layout() -> BeaconLayout:
    """Every kind, a level and none, ids of several widths (one not ASCII)."""
    return BeaconLayout.of([
        BeaconPlacement(BeaconId.ibeacon(UUID, 1, 2), 49.44, 7.77, None, -59.0),
        BeaconPlacement(BeaconId.eddystone("edd1ebeac04e5defa017", "0badc0ffee01"),
                        49.4401, 7.7701, -1.5, -62.25),
        BeaconPlacement(BeaconId.altbeacon(UUID, 65535, 0), -33.9, 151.2, 0.0, 3.0),
        BeaconPlacement(BeaconId(KINDS[0], "straße-7"), 49.0, 7.0, 2.0, -80.5),
    ])


def same_layout(got: BeaconLayout, want: BeaconLayout) -> None:
    """Equal column by column, dtypes included (NaN where there is no level)."""
    for name in ("kind_codes", "idents", "lat", "lon", "level", "power"):
        a, b = getattr(got, name), getattr(want, name)
        assert a.dtype == b.dtype, name
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), name
    assert list(got) == list(want)


def test_the_layout_codec_gives_back_exactly_the_columns() -> None:
    layout = rich_layout()
    decoded = decode_layout(encode_layout(layout))
    assert decoded is not None
    same_layout(decoded, layout)
    assert decoded.rows_of([BeaconId.altbeacon(UUID, 65535, 0), BeaconId.ibeacon(UUID, 1, 3),
                            BeaconId(KINDS[0], "straße-7")]) == [2, None, 3]
    empty = decode_layout(encode_layout(BeaconLayout.of([])))
    assert empty is not None and len(empty) == 0


def test_a_value_this_code_did_not_write_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    assert decode_graph(b"not a map") is None
    assert decode_layout(b"not a layout") is None
    value = encode_graph([NodeRecord(1, 49.0, 7.0)], [])
    damaged = value.replace(struct.pack("<d", 49.0), struct.pack("<d", 48.0))
    assert damaged != value and decode_graph(damaged) is None  # its checksum fails
    layout = encode_layout(rich_layout())
    damaged = layout.replace(struct.pack("<d", 49.4401), struct.pack("<d", 48.0))
    assert damaged != layout and decode_layout(damaged) is None
    assert decode_layout(value) is None and decode_graph(layout) is None  # each its own
    monkeypatch.setattr(mapcodec, "FORMAT", mapcodec.FORMAT + 1)  # a newer release's values
    newer = encode_graph([NodeRecord(1, 49.0, 7.0)], []), encode_layout(rich_layout())
    monkeypatch.undo()
    assert decode_graph(newer[0]) is None and decode_layout(newer[1]) is None
    monkeypatch.setattr(mapcodec, "_HEAD", 5)  # combinations written a field short
    short = encode_graph([NodeRecord(1, 49.0, 7.0)], [EdgeRecord(5, 1, 1, 3.0)])
    monkeypatch.undo()
    assert decode_graph(short) is None


def test_a_layout_whose_codes_mean_other_kinds_is_not_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A release that lists the kinds in another order would read every code as another kind."""
    value = encode_layout(rich_layout())
    monkeypatch.setattr(mapcodec, "KINDS", tuple(reversed(KINDS)))
    assert decode_layout(value) is None


@pytest.fixture
def store(sqlite_url: str) -> Storage:
    s = stored_small_map(sqlite_url)
    s.replace_beacons(list(rich_layout()), actor="test")
    yield s
    s.close()


def copy_of(store: Storage, part: CopyPart = GRAPH) -> bytes | None:
    with store.engine.connect() as conn:
        cache = read_cached_map(conn, part)
    assert cache is not None
    return cache.data


def rows_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(conn: object) -> None:
        raise AssertionError("the rows were read although the copy is current")

    monkeypatch.setattr(mapread_module, "_read_graph", refuse)
    monkeypatch.setattr(mapread_module, "_read_beacons", refuse)


def test_a_start_stores_the_copies_and_the_next_start_serves_them(
    store: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert copy_of(store) is None and copy_of(store, LAYOUT) is None
    assert not store.beacon_copy_stored()
    first = store.load_map(cached=True)
    assert copy_of(store) is not None and copy_of(store, LAYOUT) is not None
    assert store.beacon_copy_stored()
    rows_not_read(monkeypatch)
    second = store.load_map(cached=True)
    assert (second.nodes, second.edges) == (first.nodes, first.edges)
    assert sorted(second.edges) == sorted(small_extract().edges)
    same_layout(second.beacons, first.beacons)
    same_layout(second.beacons, rich_layout())
    same_layout(store.load_beacons(cached=True), rich_layout())


def graph_changes() -> dict[str, Callable[[Storage], None]]:
    """Each kind of change to the stored nodes and edges, as a function of the storage."""
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


def beacon_changes() -> dict[str, Callable[[Storage], None]]:
    """Each kind of change to the stored beacon layout, as a function of the storage."""
    def ids(store: Storage) -> list[int]:
        with store.engine.connect() as conn:
            return list(conn.execute(sa.text("SELECT id FROM beacons ORDER BY id")).scalars())

    def first_id(store: Storage) -> int:
        return ids(store)[0]

    def move_beacon(store: Storage) -> None:
        MapEditor(store).update("beacon", first_id(store), {"lat": 49.4403}, None, "m")

    def recalibrate_beacon(store: Storage) -> None:
        MapEditor(store).update("beacon", first_id(store), {"measured_power": -70.0}, None, "m")

    def add_beacon(store: Storage) -> None:
        MapEditor(store).create("beacon", {"kind": "ibeacon", "ident": f"{UUID}:9:9",
                                           "lat": 49.4402, "lon": 7.7702, "level": None,
                                           "measured_power": -59.0}, "m")

    def delete_beacon(store: Storage) -> None:
        MapEditor(store).delete("beacon", first_id(store), None, "m")

    def revert_a_delete(store: Storage) -> None:
        """Two deleted, a start stores that layout's copy, the revert brings one back."""
        editor = MapEditor(store)
        a, b = ids(store)[:2]
        deleted = editor.delete("beacon", a, None, "m")
        editor.delete("beacon", b, None, "m")
        store.load_map(cached=True)
        assert copy_of(store, LAYOUT) is not None
        editor.revert(deleted.revision_id, "m")

    def apply_a_plan(store: Storage) -> None:
        store.replace_beacons(list(rich_layout())[1:], actor="test")

    def sql_level(store: Storage) -> None:
        with store.engine.begin() as conn:
            conn.execute(sa.text("UPDATE beacons SET level = 3 WHERE level IS NULL"))

    def sql_renumber(store: Storage) -> None:
        """The layout is in id order: a new id reorders it."""
        with store.engine.begin() as conn:
            conn.execute(sa.text("UPDATE beacons SET id = 1000 WHERE id = :i"),
                         {"i": first_id(store)})

    return {f.__name__: f for f in (move_beacon, recalibrate_beacon, add_beacon, delete_beacon,
                                    revert_a_delete, apply_a_plan, sql_level, sql_renumber)}


@pytest.mark.parametrize("change", graph_changes().values(), ids=list(graph_changes()))
def test_every_change_of_the_graph_clears_its_copy_and_a_start_serves_the_changed_map(
    store: Storage, change: Callable[[Storage], None]
) -> None:
    store.load_map(cached=True)
    assert copy_of(store) is not None
    layout_copy = copy_of(store, LAYOUT)
    change(store)
    assert copy_of(store) is None
    assert copy_of(store, LAYOUT) == layout_copy  # the beacons' copy stays
    served = store.load_map(cached=True)
    stored = store.load_map()
    assert (served.nodes, served.edges) == (stored.nodes, stored.edges)
    assert copy_of(store) is not None  # the changed map's copy, for the next start
    again = store.load_map(cached=True)
    assert (again.nodes, again.edges) == (stored.nodes, stored.edges)


@pytest.mark.parametrize("change", beacon_changes().values(), ids=list(beacon_changes()))
def test_every_change_of_the_beacons_clears_their_copy_and_a_start_serves_the_changed_layout(
    store: Storage, change: Callable[[Storage], None]
) -> None:
    store.load_map(cached=True)
    before = store.load_beacons()
    graph_copy = copy_of(store)
    assert copy_of(store, LAYOUT) is not None
    change(store)
    assert copy_of(store, LAYOUT) is None
    assert copy_of(store) == graph_copy  # the nodes' and edges' copy stays
    stored = store.load_beacons()
    assert list(stored) != list(before)
    same_layout(store.load_map(cached=True).beacons, stored)
    assert copy_of(store, LAYOUT) is not None  # the changed layout's copy, for the next start
    same_layout(store.load_map(cached=True).beacons, stored)


def test_sightings_and_telemetry_keep_the_beacons_copy(store: Storage) -> None:
    """Live scans write when each beacon was last heard, all day: that is not the layout."""
    store.load_map(cached=True)
    layout_copy = copy_of(store, LAYOUT)
    ident = rich_layout()[1].beacon.ident
    store.mark_beacons_seen({ident: 1_700_000_000.0}, {ident: (2900, 21.5)})
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE beacons SET revision = revision + 1"))
    assert copy_of(store, LAYOUT) == layout_copy
    same_layout(store.load_map(cached=True).beacons, store.load_beacons())


def test_the_beacons_update_trigger_watches_every_column_the_layout_reads(
    store: Storage,
) -> None:
    with store.engine.connect() as conn:
        sql = conn.execute(sa.text("SELECT sql FROM sqlite_master WHERE name = :n"),
                           {"n": LAYOUT.triggers[1]}).scalar_one()
    watched = sql.split(" OF ", 1)[1].split(" ON ", 1)[0]
    assert {c.strip() for c in watched.split(",")} == {"id", *BEACON_LAYOUT_COLUMNS}


@pytest.mark.parametrize(("part", "change"), [
    (GRAPH, lambda store: MapEditor(store).update("edge", 1, {"name": "Neue Straße"}, None, "m")),
    (LAYOUT, lambda store: store.replace_beacons(list(rich_layout())[:2], actor="test")),
], ids=["graph", "beacons"])
def test_a_copy_read_before_a_change_is_not_stored(
    store: Storage, part: CopyPart, change: Callable[[Storage], None]
) -> None:
    with store.engine.connect() as conn:
        cache = read_cached_map(conn, part)
    assert cache is not None
    old = encode_graph(*store.load_graph()) if part is GRAPH else encode_layout(
        store.load_beacons())
    change(store)
    with store.write() as conn:
        assert not write_cached_map(conn, part, cache.generation, old)
    assert copy_of(store, part) is None
    served, stored = store.load_map(cached=True), store.load_map()
    assert served.edges == stored.edges
    same_layout(served.beacons, stored.beacons)


def test_a_helper_that_read_before_a_change_stores_no_copy(
    store: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The start-up helper reads the beacons and then stores their copy: a plan committed in
    between leaves the copy empty, and the next start reads the plan's rows."""
    read = mapread_module._read_beacons

    def read_then_plan(conn: sa.Connection) -> BeaconLayout:
        layout = read(conn)
        store.replace_beacons(list(rich_layout())[:1], actor="test")
        return layout

    monkeypatch.setattr(mapread_module, "_read_beacons", read_then_plan)
    assert len(store.load_beacons(cached=True)) == 4
    monkeypatch.undo()
    assert copy_of(store, LAYOUT) is None
    assert len(store.load_beacons(cached=True)) == 1


def test_without_its_triggers_no_copy_is_trusted(store: Storage) -> None:
    store.load_map(cached=True)
    with store.engine.begin() as conn:
        conn.execute(sa.text(f"DROP TRIGGER {GRAPH.triggers[4]}"))  # edges' update
        conn.execute(sa.text("UPDATE edges SET name = 'Hintergasse' WHERE id = 2"))
        assert read_cached_map(conn, GRAPH) is None
        assert read_cached_map(conn, LAYOUT) is not None  # its own triggers are all there
    served = store.load_map(cached=True)
    assert {e.id: e.name for e in served.edges}[2] == "Hintergasse"


def test_without_its_triggers_no_beacon_copy_is_trusted(store: Storage) -> None:
    store.load_map(cached=True)
    with store.engine.begin() as conn:
        conn.execute(sa.text(f"DROP TRIGGER {LAYOUT.triggers[1]}"))  # beacons' update
        conn.execute(sa.text("UPDATE beacons SET measured_power = -99"))
        assert read_cached_map(conn, LAYOUT) is None and not copy_is_stored(conn, LAYOUT)
        assert read_cached_map(conn, GRAPH) is not None
    assert not store.beacon_copy_stored()
    served = store.load_map(cached=True)
    assert set(served.beacons.power.tolist()) == {-99.0}


def test_postgresql_keeps_no_copy(db_url: str) -> None:
    store = Storage(db_url)
    store.migrate()
    try:
        if store.dialect == "sqlite":
            pytest.skip("the SQLite case is every other test here")
        store.replace_map(small_extract(), actor="test", source="unit")
        store.replace_beacons(list(rich_layout()), actor="test")
        with store.engine.connect() as conn:
            assert read_cached_map(conn, GRAPH) is None and read_cached_map(conn, LAYOUT) is None
        assert not store.beacon_copy_stored()
        snapshot = store.load_map(cached=True)
        assert sorted(snapshot.edges) == sorted(small_extract().edges)
        same_layout(snapshot.beacons, rich_layout())
    finally:
        store.close()


def triggers_sql(store: Storage) -> dict[str, str]:
    with store.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"))
        return {name: sql for name, sql in rows}


def test_a_whole_import_or_plan_leaves_every_trigger_as_it_was(store: Storage) -> None:
    """They are dropped for the transaction that rewrites their tables, and made again."""
    before = triggers_sql(store)
    assert set(before) >= {*GRAPH.triggers, *LAYOUT.triggers}
    store.replace_map(small_extract(offset=1000), actor="test", source="second")
    store.replace_beacons(list(rich_layout())[:2], actor="test")
    assert triggers_sql(store) == before
    MapEditor(store).update("edge", 1001, {"name": "Neue Straße"}, None, "m")
    store.load_map(cached=True)
    MapEditor(store).update("edge", 1001, {"name": "Alte Straße"}, None, "m")
    assert copy_of(store) is None  # they still fire
    assert {e.id: e.name for e in store.load_map(cached=True).edges}[1001] == "Alte Straße"


def test_a_failed_plan_keeps_the_triggers_and_the_copy(store: Storage) -> None:
    store.load_map(cached=True)
    before, layout_copy = triggers_sql(store), copy_of(store, LAYOUT)
    twice = [rich_layout()[0]] * 2  # one id twice: the beacons' unique ident refuses it
    with pytest.raises(sa.exc.IntegrityError):
        store.replace_beacons(twice, actor="test")
    assert triggers_sql(store) == before
    assert copy_of(store, LAYOUT) == layout_copy
    same_layout(store.load_map(cached=True).beacons, rich_layout())


def test_no_other_connection_sees_the_triggers_missing(store: Storage) -> None:
    """The drop is inside the writing transaction (pysqlite opens one only before DML: the
    copy's clearing comes first for that)."""
    store.load_map(cached=True)
    with store.write() as conn, rewriting(conn, LAYOUT):
        conn.execute(sa.text("DELETE FROM beacons"))
        with store.engine.connect() as other:
            assert read_cached_map(other, LAYOUT) is not None  # its triggers all there
    assert copy_of(store, LAYOUT) is None and len(store.load_map(cached=True).beacons) == 0
