"""Import walkable ways, their accessibility tags and named places from an OSM file (pyosmium).

Every way node becomes a graph node and every pair of consecutive way nodes one straight edge, so
ways are split at every intersection by construction. Node ids are OSM node ids; edge ids count
from 1 in file order; place ids are ``2 * osm_id`` for nodes and ``2 * osm_id + 1`` for ways.

Node tags that describe a crossing (highway=crossing|traffic_signals, crossing=*, crossing:island,
traffic_signals:sound|vibration, tactile_paving, kerb) are copied onto edges, filling only values
the way itself leaves unmapped:

1. onto every edge of the crossing ways (footway=crossing or crossing=*) through the node — the
   signal serves the whole crossing, which mappers often split at kerb and island nodes; else
2. onto the non-road walkable edges incident to the node (a footway running over a road with no
   crossing way drawn) — these then count as crossing edges;
3. a crossing node that only sits on roads is ignored (someone walking along the road passes it).

Crossing ways rarely carry a name: their edges take the name of a named road (walkable or not,
e.g. foot=use_sidepath) that shares a node with the crossing way, so maneuvers can say which
street is crossed.

kerb / kerb:height / tactile_paving on any other node (kerb nodes at the ends of a crossing) apply
to every edge incident to that node; with two kerbs on one edge the harder one wins.
"""

from __future__ import annotations

import bz2
import gzip
import io
import os
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import osmium

from routing.geo import haversine_m
from routing.limits import (
    DEFAULT_LIMITS,
    MAX_WAY_NODES,
    ImportLimits,
    LimitExceeded,
    check_shape,
)
from routing.model import EdgeRecord, MapExtract, NodeRecord, PlaceKind, PlaceRecord
from routing.tags import (
    ROAD_HIGHWAYS,
    is_walkable,
    parse_bool,
    parse_foot_oneway,
    parse_handrail,
    parse_int,
    parse_length_m,
    parse_lit,
    parse_sidewalk,
    parse_signal_aid,
    parse_tactile_paving,
    worse_kerb,
)

PROGRESS_EVERY = 10_000
#: The longest stop ``ref`` / ``local_ref`` kept (the column's width).
MAX_REF_CHARS = 40
_NODE_KEYS = frozenset(
    {
        "highway",
        "crossing",
        "crossing:island",
        "crossing:signals",
        "traffic_signals:sound",
        "traffic_signals:vibration",
        "button_operated",
        "tactile_paving",
        "kerb",
        "kerb:height",
    }
)
_PLACE_KEYS = (
    ("shop", PlaceKind.SHOP),
    ("amenity", PlaceKind.AMENITY),
    ("tourism", PlaceKind.TOURISM),
    ("entrance", PlaceKind.ENTRANCE),
)
_STOP_TAGS = (
    ("highway", "bus_stop"),
    ("railway", "tram_stop"),
    ("railway", "station"),
    ("railway", "halt"),
    ("railway", "subway_entrance"),
    ("public_transport", "platform"),
    ("public_transport", "station"),
)


_NAMED_ROADS = ROAD_HIGHWAYS | {"trunk", "trunk_link", "living_street", "pedestrian"}


class OsmImportError(ValueError):
    """The file cannot be imported; the message is one human-readable line."""


@dataclass(frozen=True, slots=True)
class _Way:
    id: int
    tags: dict[str, str]
    nodes: list[tuple[int, float, float] | None]  # (osm id, lat, lon); None: not in the file


def read_osm(
    path: str | os.PathLike[str],
    progress: Callable[[int], None] | None = None,
    limits: ImportLimits = DEFAULT_LIMITS,
) -> MapExtract:
    """Read .osm / .osm.gz / .osm.bz2 / .osm.pbf into records; nothing is kept on failure.

    ``progress`` is called with the number of OSM objects processed since its previous call (what
    ``tqdm.update`` wants). A file over ``limits`` raises :class:`LimitExceeded`, as early as the
    limit can be seen.
    """
    file = Path(path)
    if not file.is_file():
        raise OsmImportError(f"{file}: no such file")
    try:
        _check_decompressed_size(file, limits.max_decompressed_bytes)
        crossing_nodes, ways, places, road_names = _scan(file, progress, limits)
    except (RuntimeError, OSError, EOFError, ValueError) as exc:  # how bad input is reported
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise OsmImportError(f"{file.name}: not a readable OSM file ({first_line})") from exc
    nodes, edges = _segments(ways)
    if not edges:
        raise OsmImportError(f"{file.name}: no walkable ways found")
    edges = _apply_node_tags(edges, crossing_nodes)
    _name_crossings(edges, road_names)
    records = [EdgeRecord(**e) for e in edges]
    check_shape(nodes, records, limits, file.name)
    return MapExtract(nodes=nodes, edges=records, places=places)


_COMPRESSED: dict[bytes, Callable[[Path], io.BufferedIOBase]] = {
    b"\x1f\x8b": gzip.GzipFile, b"BZ": bz2.BZ2File}


def _check_decompressed_size(file: Path, max_bytes: int) -> None:
    """Refuse XML that expands beyond ``max_bytes``, counted before libosmium parses it (which
    it does holding the GIL, so only its own process may wait for it)."""
    with file.open("rb") as raw:
        opener = _COMPRESSED.get(raw.read(2))
    size = file.stat().st_size
    if opener is not None:
        size = 0
        with opener(file) as data:
            while size <= max_bytes and (chunk := data.read(1024 * 1024)):
                size += len(chunk)
    if size > max_bytes:
        raise LimitExceeded("max_decompressed_bytes",
                            f"{file.name}: more than {max_bytes // (1024 * 1024)} MB of OSM data "
                            "once decompressed")


def _scan(
    file: Path, progress: Callable[[int], None] | None, limits: ImportLimits
) -> tuple[dict[int, dict[str, str]], list[_Way], list[PlaceRecord], dict[int, str]]:
    """One pass: tagged nodes, walkable ways with coordinates, named places, road node names."""
    tagged: dict[int, dict[str, str]] = {}
    road_names: dict[int, str] = {}
    ways: list[_Way] = []
    walkable_nodes: set[int] = set()
    places: list[PlaceRecord] = []
    pending = 0
    for obj in osmium.FileProcessor(str(file)).with_locations():
        pending += 1
        if progress is not None and pending >= PROGRESS_EVERY:
            progress(pending)
            pending = 0
        if isinstance(obj, osmium.osm.Node):
            tags = {t.k: t.v for t in obj.tags}
            if not tags:
                continue
            kept = {k: v for k, v in tags.items() if k in _NODE_KEYS}
            if kept:
                tagged[obj.id] = kept
            place = _place(tags, 2 * obj.id, obj.id, [(obj.location.lat, obj.location.lon)])
            if place is not None:
                places.append(place)
        elif isinstance(obj, osmium.osm.Way):
            tags = {t.k: t.v for t in obj.tags}
            coords = [
                (n.ref, n.location.lat, n.location.lon) if n.location.valid() else None
                for n in obj.nodes
            ]
            if tags.get("name") and tags.get("highway") in _NAMED_ROADS:
                road_names.update((n.ref, tags["name"]) for n in obj.nodes)
            if is_walkable(tags):
                ways.append(_Way(obj.id, tags, coords))
                walkable_nodes.update(n.ref for n in obj.nodes)
                _check_counts(file.name, obj.id, len(coords), len(ways), len(walkable_nodes),
                              limits)
            elif any(coords):
                points = [(c[1], c[2]) for c in coords if c is not None]
                place = _place(tags, 2 * obj.id + 1, obj.id, points)
                if place is not None:
                    places.append(place)
    if progress is not None and pending:
        progress(pending)
    return tagged, ways, places, road_names


def _check_counts(source: str, way_id: int, way_nodes: int, ways: int, nodes: int,
                  limits: ImportLimits) -> None:
    """Refuse a file as soon as it holds more walkable ways or nodes than an import may."""
    if way_nodes > MAX_WAY_NODES:
        raise LimitExceeded("max_way_nodes", f"{source}: way {way_id} has {way_nodes} nodes; "
                                             f"OSM allows at most {MAX_WAY_NODES}")
    if ways > limits.max_ways:
        raise LimitExceeded("max_ways", f"{source}: more than {limits.max_ways:,} walkable ways")
    if nodes > limits.max_nodes:
        raise LimitExceeded("max_nodes",
                            f"{source}: more than {limits.max_nodes:,} walkable nodes")


def _place(
    tags: Mapping[str, str], place_id: int, osm_id: int, points: list[tuple[float, float]]
) -> PlaceRecord | None:
    """A named shop / amenity / stop / tourism / entrance, at the mean of its points; a stop
    keeps its ``ref`` and ``local_ref``."""
    name = tags.get("name")
    if not name:
        return None
    kind = next((k for key, k in _PLACE_KEYS if key in tags), None)
    if any(tags.get(k) == v for k, v in _STOP_TAGS):
        kind = PlaceKind.STOP
    if kind is None:
        return None
    lat = sum(p[0] for p in points) / len(points)
    lon = sum(p[1] for p in points) / len(points)
    level = parse_length_m(tags.get("level"))
    refs = (_ref(tags.get("ref")), _ref(tags.get("local_ref"))) if kind == PlaceKind.STOP else ()
    return PlaceRecord(place_id, name, kind.value, lat, lon, level, osm_id, *refs)


def _ref(value: str | None) -> str | None:
    """A ref as stored: trimmed, at most :data:`MAX_REF_CHARS` (longer is no pole's code)."""
    text = (value or "").strip()
    return text[:MAX_REF_CHARS] if text else None


def _way_attributes(way: _Way) -> dict[str, Any]:
    """Edge attributes shared by every segment of a way (before node tags)."""
    t = way.tags
    highway = t["highway"]
    footway = t.get("footway")
    if "crossing" in (t.get("path"), t.get("cycleway")):
        footway = "crossing"
    crossing = t.get("crossing")
    if parse_bool(t.get("crossing:signals")) and crossing in (None, "marked", "uncontrolled"):
        crossing = "traffic_signals"
    return {
        "highway": highway,
        "name": t.get("name"),
        "footway": footway,
        "crossing": crossing,
        "crossing_island": parse_bool(t.get("crossing:island")),
        "traffic_signals_sound": parse_signal_aid(t.get("traffic_signals:sound")),
        "traffic_signals_vibration": parse_signal_aid(t.get("traffic_signals:vibration")),
        "button_operated": parse_bool(t.get("button_operated")),
        "tactile_paving": parse_tactile_paving(t.get("tactile_paving")),
        "kerb": t.get("kerb"),
        "kerb_height_m": parse_length_m(t.get("kerb:height")),
        "handrail": parse_handrail(t),
        "incline": t.get("incline"),
        "surface": t.get("surface"),
        "smoothness": t.get("smoothness"),
        "width_m": parse_length_m(t.get("width") or t.get("est_width")),
        "lit": parse_lit(t.get("lit")),
        "level": t.get("level"),
        "osm_way_id": way.id,
        "sidewalk": parse_sidewalk(t) if highway in ROAD_HIGHWAYS else None,
        "oneway": parse_foot_oneway(t),
    }


def _segments(ways: list[_Way]) -> tuple[list[NodeRecord], list[dict[str, Any]]]:
    """Split every way into straight segments; step counts are shared out by segment length."""
    nodes: dict[int, NodeRecord] = {}
    edges: list[dict[str, Any]] = []
    for way in ways:
        base = _way_attributes(way)
        pairs = [  # a node missing from the extract breaks the way rather than bridging it
            (a, b)
            for a, b in zip(way.nodes, way.nodes[1:], strict=False)
            if a is not None and b is not None and a[0] != b[0]
        ]
        lengths = [haversine_m(a[1], a[2], b[1], b[2]) for a, b in pairs]
        steps = _split_count(parse_int(way.tags.get("step_count")), lengths)
        for (a, b), length, count in zip(pairs, lengths, steps, strict=True):
            for osm_id, lat, lon in (a, b):
                nodes.setdefault(osm_id, NodeRecord(osm_id, lat, lon))
            edge = dict(base, id=len(edges) + 1, u=a[0], v=b[0], length_m=length)
            edge["step_count"] = count if base["highway"] == "steps" else None
            edges.append(edge)
    return list(nodes.values()), edges


def _split_count(total: int | None, lengths: list[float]) -> list[int | None]:
    """Share a way's step_count over its segments so that the parts add up to the total."""
    whole = sum(lengths)
    if total is None or whole <= 0:
        return [total if len(lengths) == 1 else None] * len(lengths)
    shares: list[int | None] = []
    done, acc = 0, 0.0
    for length in lengths:
        acc += length
        upto = round(total * acc / whole)
        shares.append(upto - done)
        done = upto
    return shares


def _apply_node_tags(
    edges: list[dict[str, Any]], tagged: dict[int, dict[str, str]]
) -> list[dict[str, Any]]:
    """Copy crossing and kerb node tags onto incident edges (rules in the module docstring)."""
    incident: dict[int, list[dict[str, Any]]] = defaultdict(list)
    by_way: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for e in edges:
        by_way[e["osm_way_id"]].append(e)
        for end in (e["u"], e["v"]):
            if end in tagged:
                incident[end].append(e)
    for node_id, around in incident.items():
        tags = tagged[node_id]
        if _is_crossing_node(tags):
            ways = {e["osm_way_id"] for e in around if e["footway"] == "crossing" or e["crossing"]}
            paths = [e for e in around if e["highway"] not in ROAD_HIGHWAYS]
            for e in [e for w in ways for e in by_way[w]] or paths:
                _fill_crossing(e, tags)
        for e in around:
            e["kerb"] = worse_kerb(e["kerb"], tags.get("kerb"))
            height = parse_length_m(tags.get("kerb:height"))
            if height is not None:
                e["kerb_height_m"] = max(height, e["kerb_height_m"] or 0.0)
            if e["tactile_paving"] is None:
                e["tactile_paving"] = parse_tactile_paving(tags.get("tactile_paving"))
    return edges


def _name_crossings(edges: list[dict[str, Any]], road_names: dict[int, str]) -> None:
    """Give unnamed crossing ways the name of the road they meet."""
    by_way: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for e in edges:
        if e["name"] is None and (e["footway"] == "crossing" or e["crossing"]):
            by_way[e["osm_way_id"]].append(e)
    for way_edges in by_way.values():
        ends = (n for e in way_edges for n in (e["u"], e["v"]))
        name = next((road_names[n] for n in ends if n in road_names), None)
        for e in way_edges:
            e["name"] = name


def _is_crossing_node(tags: Mapping[str, str]) -> bool:
    return tags.get("highway") in ("crossing", "traffic_signals") or "crossing" in tags


def _fill_crossing(edge: dict[str, Any], tags: Mapping[str, str]) -> None:
    """Fill a crossing edge's unmapped crossing attributes from the crossing node's tags."""
    crossing = tags.get("crossing")
    if parse_bool(tags.get("crossing:signals")) or tags.get("highway") == "traffic_signals":
        crossing = "traffic_signals" if crossing in (None, "marked", "uncontrolled") else crossing
    filled = {
        "crossing": crossing or "yes",
        "crossing_island": parse_bool(tags.get("crossing:island")),
        "traffic_signals_sound": parse_signal_aid(tags.get("traffic_signals:sound")),
        "traffic_signals_vibration": parse_signal_aid(tags.get("traffic_signals:vibration")),
        "button_operated": parse_bool(tags.get("button_operated")),
    }
    for key, value in filled.items():
        if edge[key] is None or (key == "crossing" and edge[key] == "yes"):
            edge[key] = value
