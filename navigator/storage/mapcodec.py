"""The map's nodes and edges, and its beacon layout, each as one compact binary value, and back
(no I/O).

A 100k-node city's 200k edge rows take ~1 s of CPU to read from SQLite, nearly all of it making
5 million Python values; their attributes, though, come in a few thousand combinations. So the
graph's value holds numeric columns (ids, ends, lengths, coordinates) as NumPy arrays and each
edge's attributes as the number of its combination, the combinations once, as JSON (which keeps
``None``, booleans, ints and floats exactly). Decoding makes the same records in ~0.2 s. (An
edge's OSM way is one of its attributes here: an imported city has at most as many combinations
as ways, tens of thousands, still far fewer values than its rows.)

The layout's value is its own columns (:class:`BeaconLayout` keeps no Python object per beacon):
556k beacons' rows take ~1.2 s of CPU to read, their 47 MB value ~0.15 s.

No pickle: the values live in the database, and loading them must not run code.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Sequence
from itertools import repeat
from typing import Any, NamedTuple

import numpy as np

from beacons.layout import KINDS, BeaconLayout
from routing.columns import GraphColumns
from routing.model import EdgeRecord, NodeRecord

#: Raised whenever the layout of a value changes; a value of another format is not used.
FORMAT = 1
#: Edge fields 0-3 (id, u, v, length_m) are columns; the rest are the attribute combination.
_HEAD = 4
#: The layout's columns, as :class:`BeaconLayout` names them.
_LAYOUT_COLUMNS = ("kind_codes", "idents", "lat", "lon", "level", "power")
#: What a value that is not ours, or a damaged one, raises while read.
_UNREADABLE = (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile)


def encode_graph(nodes: Sequence[NodeRecord], edges: Sequence[EdgeRecord]) -> bytes:
    """The records as one value; OverflowError/ValueError for ids a 64-bit column cannot hold."""
    combinations: dict[tuple[Any, ...], int] = {}
    combination_of = [combinations.setdefault(tuple(e[_HEAD:]), len(combinations)) for e in edges]
    meta = {
        "node_fields": list(NodeRecord._fields),
        "edge_fields": list(EdgeRecord._fields),
        "node_levels": [n.level for n in nodes],
        "combinations": list(combinations),
    }
    return _pack(meta, {
        "node_id": np.array([n.id for n in nodes], dtype=np.int64),
        "node_lat": np.array([n.lat for n in nodes], dtype=np.float64),
        "node_lon": np.array([n.lon for n in nodes], dtype=np.float64),
        "edge_id": np.array([e.id for e in edges], dtype=np.int64),
        "edge_u": np.array([e.u for e in edges], dtype=np.int64),
        "edge_v": np.array([e.v for e in edges], dtype=np.int64),
        "edge_length_m": np.array([e.length_m for e in edges], dtype=np.float64),
        "edge_combination": np.array(combination_of, dtype=np.int64),
    })


class DecodedGraph(NamedTuple):
    """A graph's value read back: its records, and the columns they were stored as (what the
    compiled router and the positioning index are built from, :mod:`routing.columns`)."""

    nodes: list[NodeRecord]
    edges: list[EdgeRecord]
    columns: GraphColumns


def decode_graph(data: bytes) -> DecodedGraph | None:
    """The records again; None for a value of another format or of other record fields (a
    newer or older release wrote it): the caller then reads the rows."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            meta = _meta(arrays)
            if (meta is None or meta.get("node_fields") != list(NodeRecord._fields)
                    or meta.get("edge_fields") != list(EdgeRecord._fields)):
                return None
            combination_of = arrays["edge_combination"]
            columns = GraphColumns(
                node_id=arrays["node_id"], node_lat=arrays["node_lat"],
                node_lon=arrays["node_lon"], edge_id=arrays["edge_id"], edge_u=arrays["edge_u"],
                edge_v=arrays["edge_v"], length_m=arrays["edge_length_m"],
                edge_class=combination_of)
            # tuple.__new__ rather than _make: a Python call less per record (0.045 s a city);
            # so the combinations' lengths are checked here, as _make would have
            nodes = list(map(tuple.__new__, repeat(NodeRecord), zip(
                columns.node_id.tolist(), columns.node_lat.tolist(), columns.node_lon.tolist(),
                meta["node_levels"], strict=True)))
            combinations = [tuple(c) for c in meta["combinations"]]
            if any(len(c) != len(EdgeRecord._fields) - _HEAD for c in combinations):
                return None
            heads = zip(columns.edge_id.tolist(), columns.edge_u.tolist(),
                        columns.edge_v.tolist(), columns.length_m.tolist(), strict=True)
            attributes = map(combinations.__getitem__, combination_of.tolist())
            edges = list(map(tuple.__new__, repeat(EdgeRecord),
                             map(tuple.__add__, heads, attributes)))
    except _UNREADABLE:
        return None  # not a value this code wrote, or a damaged one
    return DecodedGraph(nodes, edges, columns)


def encode_layout(layout: BeaconLayout) -> bytes:
    """The layout's columns as one value (the kinds its codes stand for named beside them)."""
    meta = {"kinds": [k.value for k in KINDS], "columns": list(_LAYOUT_COLUMNS)}
    return _pack(meta, {name: getattr(layout, name) for name in _LAYOUT_COLUMNS})


def decode_layout(data: bytes) -> BeaconLayout | None:
    """The layout again; None for a value of another format, or whose kind codes stand for
    other kinds than this release's (the caller then reads the rows)."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            meta = _meta(arrays)
            if (meta is None or meta.get("kinds") != [k.value for k in KINDS]
                    or meta.get("columns") != list(_LAYOUT_COLUMNS)):
                return None
            return BeaconLayout.from_columns(*(arrays[name] for name in _LAYOUT_COLUMNS))
    except _UNREADABLE:
        return None


def _pack(meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> bytes:
    """Arrays and a JSON header, stamped with :data:`FORMAT`, as one ``.npz`` (zip: each member
    has a checksum, so a damaged value is refused when read)."""
    header = json.dumps({"format": FORMAT, **meta}).encode()
    out = io.BytesIO()
    np.savez(out, allow_pickle=False, meta=np.frombuffer(header, dtype=np.uint8), **arrays)
    return out.getvalue()


def _meta(arrays: Any) -> dict[str, Any] | None:
    """A value's JSON header; None when another format wrote it."""
    meta: dict[str, Any] = json.loads(arrays["meta"].tobytes())
    return meta if meta.get("format") == FORMAT else None
