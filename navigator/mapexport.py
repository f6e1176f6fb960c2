"""The map as one GeoJSON FeatureCollection that opens in QGIS (ODbL attribution kept), written
piece by piece.

Built whole, a 100k-node city's document was 77 MB (+311 MB while it was made) and its making
held the live map's lock and the event loop for 2.8 s. Now :func:`take_export` copies only what
the export needs (node positions, references to the immutable edge, place and beacon records)
under the lock (the handler does that on a worker thread), and :func:`geojson_chunks` turns
that into bytes a few hundred features at a time, for the handler to send as they come.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np

from beacons.layout import BeaconLayout
from navigator.bbox import BBox
from routing.graph import edge_records
from routing.model import EdgeRecord, PlaceRecord

ATTRIBUTION = "© OpenStreetMap contributors, ODbL 1.0 (map data); Blind Pilot edits"
#: Features per chunk: ~100 KB and a few ms of encoding (measured on the 101k-node synthetic
#: city); the handler makes each on a worker thread and sends it before making the next.
CHUNK_FEATURES = 250


@dataclass(frozen=True, slots=True)
class MapExport:
    """What one export writes, fixed when it was taken: edits after that do not show in it."""

    #: (id, lat, lon, level) of every node written (those in the box).
    nodes: list[tuple[int, float, float, float | None]]
    #: Every node an edge written ends at (inside the box or not), as in ``nodes``.
    ends: dict[int, tuple[int, float, float, float | None]]
    edges: list[EdgeRecord]
    places: list[PlaceRecord]
    beacons: BeaconLayout


def take_export(graph: nx.MultiGraph, places: Iterable[PlaceRecord], beacons: BeaconLayout,
                bbox: BBox | None = None) -> MapExport:
    """Copy what an export of ``bbox`` (None: everything) writes; call it holding the map's lock.

    In a box: its nodes, landmarks and beacons, and every edge with an end in it (whole, so a
    path leaving the box is not cut off mid-way).
    """
    every = [(n, d["lat"], d["lon"], d["level"]) for n, d in graph.nodes(data=True)]
    ends = {node[0]: node for node in every}
    if bbox is None:
        return MapExport(every, ends, list(edge_records(graph)), list(places), beacons)
    nodes = [node for node in every if bbox.contains(node[1], node[2])]
    kept = {node[0] for node in nodes}
    edges = [e for e in edge_records(graph) if e.u in kept or e.v in kept]
    return MapExport(nodes, ends, edges, [p for p in places if bbox.contains(p.lat, p.lon)],
                     beacons.take(_beacons_in(beacons, bbox)))


def _point(lat: float, lon: float, props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": props}


def _features(export: MapExport) -> Iterator[dict[str, Any]]:
    """Nodes, edges (with every attribute), landmarks and beacons, each tagged by ``layer``."""
    for n, lat, lon, level in export.nodes:
        yield _point(lat, lon, {"layer": "node", "id": n, "level": level})
    ends = export.ends
    for edge in export.edges:
        _, alat, alon, _ = ends[edge.u]
        _, blat, blon, _ = ends[edge.v]
        yield {"type": "Feature",
               "geometry": {"type": "LineString", "coordinates": [[alon, alat], [blon, blat]]},
               "properties": {"layer": "edge", **edge._asdict()}}
    for p in export.places:
        yield _point(p.lat, p.lon, {"layer": "landmark", "id": p.id, "name": p.name,
                                    "kind": p.kind})
    for b in export.beacons:
        yield _point(b.lat, b.lon, {"layer": "beacon", "kind": b.beacon.kind.value,
                                    "ident": b.beacon.ident,
                                    "measured_power": b.measured_power_dbm})


def geojson_chunks(export: MapExport, per_chunk: int = CHUNK_FEATURES) -> Iterator[bytes]:
    """The FeatureCollection as UTF-8 pieces whose concatenation is one JSON document.

    Each feature becomes text at once: a chunk's worth of feature dicts kept alive survived
    young collections into the oldest generation, whose full collections then held the loop
    for ~100 ms at a time on a 100k-node city.
    """
    head = {"type": "FeatureCollection", "attribution": ATTRIBUTION}
    yield json.dumps(head, ensure_ascii=False)[:-1].encode() + b', "features": ['
    texts: list[str] = []
    separator = ""
    for feature in _features(export):
        texts.append(json.dumps(feature, ensure_ascii=False))
        if len(texts) == per_chunk:
            yield (separator + ", ".join(texts)).encode()
            texts, separator = [], ", "
    if texts:
        yield (separator + ", ".join(texts)).encode()
    yield b"]}"


def _beacons_in(beacons: BeaconLayout, bbox: BBox) -> np.ndarray:
    """Rows of the beacons inside ``bbox`` (a boolean mask)."""
    return ((beacons.lat >= bbox.min_lat) & (beacons.lat <= bbox.max_lat)
            & (beacons.lon >= bbox.min_lon) & (beacons.lon <= bbox.max_lon))
