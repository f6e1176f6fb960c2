"""Turn a routed path into typed maneuvers at its decision points (no sentences here).

Headings are measured over ``HEADING_WINDOW_M`` either side of a node, so a 1 m jog in the data
neither hides a real turn nor invents one; nodes whose heading change exceeds 22.5 deg are turns,
and candidate turns closer together than the window collapse into the sharpest of them. Angle
bins follow NavCog: slight up to 60 deg, normal up to 120, sharp up to 150, then u-turn.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np

from routing.geo import LocalFrame, bearing_deg, turn_angle_deg
from routing.graph import edge_by_id
from routing.model import EdgeRecord, Maneuver, ManeuverKind, PlaceRecord
from routing.tags import crossing_signal, incline_grade_pct, is_crossing, is_road, worse_kerb

TURN_THRESHOLD_DEG = 22.5
HEADING_WINDOW_M = 8.0
LANDMARK_RADIUS_M = 15.0
#: Landmarks are orientation aids, not a shop list: at most one per this many metres, and none
#: so close to another maneuver that their announcements would collide.
LANDMARK_MIN_GAP_M = 30.0
LANDMARK_CLEARANCE_M = 8.0
_SEVERITY_BINS = (
    (TURN_THRESHOLD_DEG, "straight"),
    (60.0, "slight"),
    (120.0, "normal"),
    (150.0, "sharp"),
    (180.0, "uturn"),
)
_ORDER = {  # at one point: turn first, then what happens there, landmarks, arrival last
    ManeuverKind.DEPART: 0,
    ManeuverKind.TURN: 1,
    ManeuverKind.CROSS: 2,
    ManeuverKind.STEPS: 2,
    ManeuverKind.CONTINUE: 3,
    ManeuverKind.LANDMARK: 4,
    ManeuverKind.ARRIVE: 5,
}
_SIGNAL_RANK = ("unknown", "none", "visual", "vibrating", "acoustic", "acoustic_vibrating")


def turn_severity(angle_deg: float) -> str:
    """straight (<= 22.5 deg) | slight | normal | sharp | uturn, by the absolute angle."""
    a = abs(angle_deg)
    return next(name for limit, name in _SEVERITY_BINS if a <= limit)


def clock_direction(angle_deg: float) -> int:
    """The clock-face hour of a relative direction: 12 ahead, 3 right, 6 behind, 9 left."""
    hour = round((angle_deg % 360.0) / 30.0) % 12
    return 12 if hour == 0 else hour


@dataclass(frozen=True, slots=True)
class _Path:
    """The route as a polyline in metres: points, their nodes, legs and cumulative distance."""

    xy: np.ndarray  # (n, 2) east/north metres
    latlon: list[tuple[float, float]]
    nodes: list[int]  # graph node at each point (nearest one for virtual ends)
    legs: list[EdgeRecord]  # legs[i] joins point i and i + 1
    forward: list[bool]  # whether leg i runs u -> v
    along: list[float]

    def at(self, s: float) -> np.ndarray:
        """The point ``s`` metres along the path (clamped to its ends)."""
        s = min(max(s, 0.0), self.along[-1])
        i = min(bisect.bisect_right(self.along, s) - 1, len(self.legs) - 1)
        span = self.along[i + 1] - self.along[i]
        t = 0.0 if span == 0 else (s - self.along[i]) / span
        return self.xy[i] + t * (self.xy[i + 1] - self.xy[i])

    def heading_deg(self, s_from: float, s_to: float) -> float:
        (x0, y0), (x1, y1) = self.at(s_from), self.at(s_to)
        return math.degrees(math.atan2(x1 - x0, y1 - y0)) % 360.0


def build_maneuvers(
    graph: nx.MultiGraph,
    node_path: Sequence[int],
    edge_path: Sequence[int],
    places: Sequence[PlaceRecord] = (),
    start: tuple[float, float] | None = None,
    end: tuple[float, float] | None = None,
    destination: tuple[float, float] | None = None,
) -> list[Maneuver]:
    """Maneuvers for a path, depart first and arrive last.

    ``edge_path[i]`` joins the i-th and (i+1)-th point, where the points are ``start`` (if given,
    a snapped point on ``edge_path[0]``), the nodes, and ``end`` (if given). ``destination`` is the
    requested end point, used to say on which side it lies.
    """
    path = _make_path(graph, node_path, edge_path, start, end)
    events: list[Maneuver] = [_depart(path)]
    events += _turns(path)
    events += _runs(graph, path)
    events += _street_changes(path)
    events += _landmarks(path, places)
    events.append(_arrive(path, places, destination))
    turns_at = {m.along_m for m in events if m.kind == ManeuverKind.TURN}
    events = [m for m in events if m.kind != ManeuverKind.CONTINUE or m.along_m not in turns_at]
    events.sort(key=lambda m: (m.along_m, _ORDER[m.kind]))
    return _with_distances(_thin_landmarks(events))


def _thin_landmarks(events: list[Maneuver]) -> list[Maneuver]:
    """Keep landmarks spaced out and clear of other maneuvers (shopping streets list dozens)."""
    others = [m.along_m for m in events if m.kind is not ManeuverKind.LANDMARK]
    kept: list[Maneuver] = []
    last = -math.inf
    for m in events:
        if m.kind is ManeuverKind.LANDMARK:
            crowded = any(abs(m.along_m - a) < LANDMARK_CLEARANCE_M for a in others)
            if crowded or m.along_m - last < LANDMARK_MIN_GAP_M:
                continue
            last = m.along_m
        kept.append(m)
    return kept


def _make_path(
    graph: nx.MultiGraph,
    node_path: Sequence[int],
    edge_path: Sequence[int],
    start: tuple[float, float] | None,
    end: tuple[float, float] | None,
) -> _Path:
    legs = [edge_by_id(graph, e) for e in edge_path]
    latlon = [(graph.nodes[n]["lat"], graph.nodes[n]["lon"]) for n in node_path]
    nodes = list(node_path)
    if start is not None:
        latlon.insert(0, start)
        nodes.insert(0, node_path[0] if node_path else legs[0].u)
    if end is not None:
        latlon.append(end)
        nodes.append(node_path[-1] if node_path else legs[-1].v)
    if len(latlon) != len(legs) + 1:
        raise ValueError(f"{len(legs)} edges cannot join {len(latlon)} points")
    frame = LocalFrame(*latlon[0])
    xy = np.array([frame.to_xy(lat, lon) for lat, lon in latlon])
    along = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))]).tolist()
    forward = []
    for leg, a, b in zip(legs, latlon, latlon[1:], strict=False):
        u = graph.nodes[leg.u]
        du = (a[0] - u["lat"]) ** 2 + (a[1] - u["lon"]) ** 2
        dv = (b[0] - u["lat"]) ** 2 + (b[1] - u["lon"]) ** 2
        forward.append(du <= dv)
    return _Path(xy, latlon, nodes, legs, forward, along)


def _maneuver(
    path: _Path, i: int, kind: ManeuverKind, attrs: dict[str, Any], angle: float | None = None
) -> Maneuver:
    lat, lon = path.latlon[i]
    return Maneuver(kind, path.nodes[i], lat, lon, 0.0, path.along[i], angle, attrs)


def _depart(path: _Path) -> Maneuver:
    heading = path.heading_deg(0.0, HEADING_WINDOW_M)
    attrs = {"heading_deg": round(heading, 1), "street": path.legs[0].name}
    return _maneuver(path, 0, ManeuverKind.DEPART, attrs)


def _turn_angle(path: _Path, i: int) -> float:
    s = path.along[i]
    return turn_angle_deg(
        path.heading_deg(s - HEADING_WINDOW_M, s), path.heading_deg(s, s + HEADING_WINDOW_M)
    )


def turn_points(path_along: Sequence[float], angles: Sequence[float]) -> list[int]:
    """Indices of the turns: heading change > 22.5 deg; same-side candidates within one window
    of the first are one bend, announced at its sharpest node."""
    picked: list[int] = []
    group_start = -math.inf
    for i, angle in enumerate(angles):
        if abs(angle) <= TURN_THRESHOLD_DEG:
            continue
        if picked and path_along[i] - group_start <= HEADING_WINDOW_M:
            last = picked[-1]
            if (angle > 0) == (angles[last] > 0):  # same side: one bend
                if abs(angle) > abs(angles[last]):
                    picked[-1] = i
                continue
        picked.append(i)
        group_start = path_along[i]
    return picked


def _turns(path: _Path) -> list[Maneuver]:
    interior = range(1, len(path.latlon) - 1)
    angles = [0.0] + [_turn_angle(path, i) for i in interior] + [0.0]
    out = []
    for i in turn_points(path.along, angles):
        a = angles[i]
        out.append(
            _maneuver(
                path,
                i,
                ManeuverKind.TURN,
                {
                    "direction": "right" if a > 0 else "left",
                    "severity": turn_severity(a),
                    "clock": clock_direction(a),
                    "street": path.legs[i].name,
                },
                round(a, 1),
            )
        )
    return out


def _run_kind(edge: EdgeRecord) -> ManeuverKind | None:
    if edge.highway == "steps":
        return ManeuverKind.STEPS
    return ManeuverKind.CROSS if is_crossing(edge) else None


def _runs(graph: nx.MultiGraph, path: _Path) -> list[Maneuver]:
    """One cross / steps maneuver per run of crossing / steps legs, then 'continue' after it."""
    out = []
    i = 0
    while i < len(path.legs):
        kind = _run_kind(path.legs[i])
        j = i
        while j + 1 < len(path.legs) and _run_kind(path.legs[j + 1]) == kind:
            j += 1
        if kind is not None:
            legs = path.legs[i : j + 1]
            length = path.along[j + 1] - path.along[i]
            if kind == ManeuverKind.CROSS:
                attrs = _crossing_attrs(graph, legs) | {"length_m": round(length, 1)}
            else:
                attrs = _steps_attrs(legs, path.forward[i : j + 1])
            out.append(_maneuver(path, i, kind, attrs))
            if j + 1 < len(path.legs):
                street = {"street": path.legs[j + 1].name}
                out.append(_maneuver(path, j + 1, ManeuverKind.CONTINUE, street))
        i = j + 1
    return out


def _tri(values: list[bool | None]) -> bool | None:
    """True if any is True, False if all are False, else unknown."""
    return True if any(values) else False if values and all(v is False for v in values) else None


def _crossing_attrs(graph: nx.MultiGraph, legs: list[EdgeRecord]) -> dict[str, Any]:
    signals = [crossing_signal(e) for e in legs]
    kerb = None
    for e in legs:
        kerb = worse_kerb(kerb, e.kerb)
    return {
        "street": _crossed_street(graph, legs),
        "signal": max(signals, key=_SIGNAL_RANK.index),
        "island": _tri([e.crossing_island for e in legs]),
        "tactile_paving": _tri([e.tactile_paving for e in legs]),
        "kerb": kerb,
        "button": _tri([e.button_operated for e in legs]),
    }


def _crossed_street(graph: nx.MultiGraph, legs: list[EdgeRecord]) -> str | None:
    """The crossing's own name (the importer names crossings after their road), else a road
    meeting it."""
    own = next((e.name for e in legs if e.name), None)
    if own is not None:
        return own
    for e in legs:
        for node in (e.u, e.v):
            for _, _, data in graph.edges(node, data=True):
                if is_road(data["edge"]) and data["edge"].name:
                    return data["edge"].name
    return None


def _steps_attrs(legs: list[EdgeRecord], forward: list[bool]) -> dict[str, Any]:
    direction = "unknown"
    for e, fwd in zip(legs, forward, strict=True):
        grade = incline_grade_pct(e.incline)
        up = {"up": True, "down": False}.get(e.incline or "", None if grade is None else grade > 0)
        if up is not None:
            direction = "up" if up == fwd else "down"
            break
    counts = [e.step_count for e in legs]
    return {
        "direction": direction,
        "count": None if None in counts else sum(c for c in counts if c is not None),
        "handrail": _tri([e.handrail for e in legs]),
    }


def _street_changes(path: _Path) -> list[Maneuver]:
    """'continue' where the street name changes (dropped later where a turn says it already)."""
    out = []
    for i in range(1, len(path.legs)):
        before, after = path.legs[i - 1], path.legs[i]
        if before.name and after.name and before.name != after.name:
            runs = _run_kind(before) or _run_kind(after)  # a run announces its own continue
            if runs is None:
                out.append(_maneuver(path, i, ManeuverKind.CONTINUE, {"street": after.name}))
    return out


def _side(direction: np.ndarray, offset: np.ndarray) -> str:
    cross = direction[0] * offset[1] - direction[1] * offset[0]
    return "left" if cross > 0 else "right"


def _landmarks(path: _Path, places: Sequence[PlaceRecord]) -> list[Maneuver]:
    """A landmark where the route passes within 15 m of a named place (not at its ends)."""
    if not places:
        return []
    frame = LocalFrame(*path.latlon[0])
    a, b = path.xy[:-1], path.xy[1:]
    d = b - a
    denom = np.maximum((d * d).sum(axis=1), 1e-12)
    low = path.xy.min(axis=0) - LANDMARK_RADIUS_M
    high = path.xy.max(axis=0) + LANDMARK_RADIUS_M
    out = []
    for place in places:
        p = np.array(frame.to_xy(place.lat, place.lon))
        if not ((low <= p) & (p <= high)).all():
            continue
        t = np.clip(((p - a) * d).sum(axis=1) / denom, 0.0, 1.0)
        foot = a + t[:, None] * d
        dist = np.hypot(*(p - foot).T)
        k = int(np.argmin(dist))
        s = path.along[k] + t[k] * (path.along[k + 1] - path.along[k])
        if dist[k] > LANDMARK_RADIUS_M or s < 1.0 or s > path.along[-1] - LANDMARK_RADIUS_M:
            continue
        lat, lon = (float(c) for c in frame.to_latlon(*foot[k]))
        attrs = {
            "name": place.name,
            "landmark_kind": place.kind,
            "side": _side(d[k], p - foot[k]) if dist[k] > 1.0 else None,
        }
        node = path.nodes[k if t[k] < 0.5 else k + 1]
        out.append(Maneuver(ManeuverKind.LANDMARK, node, lat, lon, 0.0, float(s), None, attrs))
    return out


def _arrive(
    path: _Path, places: Sequence[PlaceRecord], destination: tuple[float, float] | None
) -> Maneuver:
    last = len(path.latlon) - 1
    lat, lon = path.latlon[last]
    side = None
    if destination is not None:
        frame = LocalFrame(lat, lon)
        offset = np.array(frame.to_xy(*destination))
        if np.hypot(*offset) > 1.5:
            heading = path.heading_deg(path.along[-1] - HEADING_WINDOW_M, path.along[-1])
            toward = bearing_deg(lat, lon, *destination)
            if abs(turn_angle_deg(heading, toward)) < 30.0:
                side = "ahead"
            else:
                side = _side(path.xy[last] - path.at(path.along[-1] - HEADING_WINDOW_M), offset)
    target = destination or (lat, lon)
    near = [p for p in places if _close(p, target, LANDMARK_RADIUS_M)]
    name = min(near, key=lambda p: _dist2(p, target)).name if near else None
    return _maneuver(path, last, ManeuverKind.ARRIVE, {"name": name, "side": side})


def _dist2(place: PlaceRecord, point: tuple[float, float]) -> float:
    x, y = LocalFrame(*point).to_xy(place.lat, place.lon)
    return x * x + y * y


def _close(place: PlaceRecord, point: tuple[float, float], radius_m: float) -> bool:
    return _dist2(place, point) <= radius_m * radius_m


def _with_distances(events: list[Maneuver]) -> list[Maneuver]:
    """Fill distance_m (from the previous maneuver) and length_m of continue maneuvers."""
    out = []
    for k, m in enumerate(events):
        distance = m.along_m - events[k - 1].along_m if k else 0.0
        attrs = dict(m.attributes)
        if m.kind == ManeuverKind.CONTINUE:
            later = [e.along_m for e in events[k + 1 :] if e.kind != ManeuverKind.LANDMARK]
            attrs["length_m"] = round((later[0] if later else m.along_m) - m.along_m, 1)
        out.append(
            Maneuver(
                m.kind, m.at_node, m.lat, m.lon, round(distance, 1), m.along_m, m.angle_deg, attrs
            )
        )
    return out
