"""The map's nodes and edges as one compact binary value, and back (no I/O).

A 100k-node city's 200k edge rows take ~1 s of CPU to read from SQLite, nearly all of it making
5 million Python values; their attributes, though, come in a few thousand combinations. So the
value holds numeric columns (ids, ends, lengths, coordinates) as NumPy arrays and each edge's
attributes as the number of its combination, the combinations once, as JSON (which keeps
``None``, booleans, ints and floats exactly). Decoding makes the same records in ~0.2 s. (An
edge's OSM way is one of its attributes here: an imported city has at most as many combinations
as ways, tens of thousands, still far fewer values than its rows.)

No pickle: the value lives in the database, and loading it must not run code.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Sequence
from typing import Any

import numpy as np

from routing.model import EdgeRecord, NodeRecord

#: Raised whenever the layout of the value changes; a value of another format is not used.
FORMAT = 1
#: Edge fields 0-3 (id, u, v, length_m) are columns; the rest are the attribute combination.
_HEAD = 4


def encode_graph(nodes: Sequence[NodeRecord], edges: Sequence[EdgeRecord]) -> bytes:
    """The records as one value; OverflowError/ValueError for ids a 64-bit column cannot hold."""
    combinations: dict[tuple[Any, ...], int] = {}
    combination_of = [combinations.setdefault(tuple(e[_HEAD:]), len(combinations)) for e in edges]
    meta = {
        "format": FORMAT,
        "node_fields": list(NodeRecord._fields),
        "edge_fields": list(EdgeRecord._fields),
        "node_levels": [n.level for n in nodes],
        "combinations": list(combinations),
    }
    arrays: dict[str, np.ndarray] = {
        "meta": np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
        "node_id": np.array([n.id for n in nodes], dtype=np.int64),
        "node_lat": np.array([n.lat for n in nodes], dtype=np.float64),
        "node_lon": np.array([n.lon for n in nodes], dtype=np.float64),
        "edge_id": np.array([e.id for e in edges], dtype=np.int64),
        "edge_u": np.array([e.u for e in edges], dtype=np.int64),
        "edge_v": np.array([e.v for e in edges], dtype=np.int64),
        "edge_length_m": np.array([e.length_m for e in edges], dtype=np.float64),
        "edge_combination": np.array(combination_of, dtype=np.int64),
    }
    out = io.BytesIO()
    np.savez(out, allow_pickle=False, **arrays)
    return out.getvalue()


def decode_graph(data: bytes) -> tuple[list[NodeRecord], list[EdgeRecord]] | None:
    """The records again; None for a value of another format or of other record fields (a
    newer or older release wrote it): the caller then reads the rows."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            meta = json.loads(arrays["meta"].tobytes())
            if (meta.get("format") != FORMAT
                    or meta.get("node_fields") != list(NodeRecord._fields)
                    or meta.get("edge_fields") != list(EdgeRecord._fields)):
                return None
            nodes = list(map(NodeRecord._make, zip(
                arrays["node_id"].tolist(), arrays["node_lat"].tolist(),
                arrays["node_lon"].tolist(), meta["node_levels"], strict=True)))
            combinations = [tuple(c) for c in meta["combinations"]]
            heads = zip(arrays["edge_id"].tolist(), arrays["edge_u"].tolist(),
                        arrays["edge_v"].tolist(), arrays["edge_length_m"].tolist(), strict=True)
            attributes = map(combinations.__getitem__, arrays["edge_combination"].tolist())
            edges = list(map(EdgeRecord._make, map(tuple.__add__, heads, attributes)))
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile):
        return None  # not a value this code wrote, or a damaged one
    return nodes, edges
