"""How simple a route is to walk blind: its decision points, turns, crossings by type, tactile
guidance and the attributes nobody has mapped yet.

Orientation and mobility trainers judge a route by its decision points first and its length
second: every turn and every crossing is a place where a walker can go wrong. This report makes
that visible per route (API, CLI, benchmark), and its ``unknown_*`` figures tell mappers which
missing tags make routes worse. A pure function over a :class:`Route` and its graph.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from routing.geo import haversine_m
from routing.graph import edge_by_id
from routing.model import EdgeRecord, ManeuverKind, Route
from routing.tags import crossing_signal, is_crossing, is_road

#: A heading change over this is a turn a walker has to make on purpose (the issue's measure).
TURN_REPORT_DEG = 40.0
#: Crossing types from easiest to hardest for a blind walker.
CROSSING_TYPES = ("signalled_sound", "signalled", "marked", "unmarked", "unknown")
_MARKED = frozenset({"marked", "zebra", "uncontrolled"})
_UNMARKED = frozenset({"unmarked", "informal"})


@dataclass(frozen=True, slots=True)
class SimplicityReport:
    """Counts along one route; ``unknown_m`` is metres per attribute nobody has mapped."""

    length_m: float
    decision_points: int
    turns: int  # heading changes over TURN_REPORT_DEG
    turns_per_km: float
    street_changes: int
    crossings: Mapping[str, int]  # by CROSSING_TYPES
    steps: int
    tactile_share: float  # of the length, on edges with tactile paving
    unknown_m: Mapping[str, float] = field(default_factory=dict)
    unknown_crossings: Mapping[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "decision_points": self.decision_points,
            "turns": self.turns,
            "turns_per_km": round(self.turns_per_km, 2),
            "street_changes": self.street_changes,
            "crossings": dict(self.crossings),
            "steps": self.steps,
            "tactile_share": round(self.tactile_share, 3),
            "unknown_m": {k: round(v, 1) for k, v in self.unknown_m.items()},
            "unknown_crossings": dict(self.unknown_crossings),
        }


def crossing_type(edge: EdgeRecord) -> str:
    """One of CROSSING_TYPES: sound (or vibration) signal < visual signal < marked < unmarked."""
    signal = crossing_signal(edge)
    if signal in ("acoustic", "vibrating", "acoustic_vibrating"):
        return "signalled_sound"
    if signal == "visual":
        return "signalled"
    if edge.crossing in _MARKED:
        return "marked"
    if edge.crossing in _UNMARKED:
        return "unmarked"
    return "unknown"


def simplicity_report(graph: nx.MultiGraph, route: Route) -> SimplicityReport:
    """The report of a planned route (its maneuvers give the turns, its edges the rest)."""
    legs = [edge_by_id(graph, e) for e in route.edges]
    lengths = [
        haversine_m(a[0], a[1], b[0], b[1])
        for a, b in zip(route.coordinates, route.coordinates[1:], strict=False)
    ]
    turns = sum(
        1
        for m in route.maneuvers
        if m.kind is ManeuverKind.TURN and abs(m.angle_deg or 0.0) > TURN_REPORT_DEG
    )
    crossings = _crossings(legs)
    steps = sum(1 for m in route.maneuvers if m.kind is ManeuverKind.STEPS)
    total = sum(lengths)
    tactile = sum(m for e, m in zip(legs, lengths, strict=False) if e.tactile_paving)
    return SimplicityReport(
        length_m=total,
        decision_points=turns + sum(crossings.values()) + steps,
        turns=turns,
        turns_per_km=turns / (total / 1000.0) if total > 0 else 0.0,
        street_changes=_street_changes(legs),
        crossings=crossings,
        steps=steps,
        tactile_share=tactile / total if total > 0 else 0.0,
        unknown_m=_unknown_m(legs, lengths),
        unknown_crossings=_unknown_crossings(legs),
    )


def _crossing_runs(legs: list[EdgeRecord]) -> list[list[EdgeRecord]]:
    """Consecutive crossing edges are one crossing (a road split at its centre line)."""
    runs: list[list[EdgeRecord]] = []
    previous = False
    for e in legs:
        here = is_crossing(e)
        if here and previous:
            runs[-1].append(e)
        elif here:
            runs.append([e])
        previous = here
    return runs


def _crossings(legs: list[EdgeRecord]) -> dict[str, int]:
    """Crossings by type; a crossing made of several edges counts as its hardest part."""
    counts = Counter(
        max((crossing_type(e) for e in run), key=CROSSING_TYPES.index)
        for run in _crossing_runs(legs)
    )
    return {t: counts.get(t, 0) for t in CROSSING_TYPES}


def _street_changes(legs: list[EdgeRecord]) -> int:
    """Changes of named street along the way (crossings and unnamed paths in between skipped)."""
    names = [e.name for e in legs if e.name and not is_crossing(e)]
    return sum(1 for a, b in zip(names, names[1:], strict=False) if a != b)


def _unknown_m(legs: list[EdgeRecord], lengths: list[float]) -> dict[str, float]:
    """Metres walked where an attribute the profiles cost is not mapped."""
    out = {"surface": 0.0, "sidewalk": 0.0, "tactile_paving": 0.0, "lit": 0.0, "width": 0.0}
    for e, m in zip(legs, lengths, strict=False):
        road = is_road(e)
        out["surface"] += m if e.surface is None and not road else 0.0
        out["sidewalk"] += m if road and e.sidewalk is None else 0.0
        out["tactile_paving"] += m if e.tactile_paving is None else 0.0
        out["lit"] += m if e.lit is None else 0.0
        out["width"] += m if e.width_m is None and not road else 0.0
    return out


def _unknown_crossings(legs: list[EdgeRecord]) -> dict[str, int]:
    """Crossings missing the tags that decide how hard they are."""
    runs = _crossing_runs(legs)
    return {
        "signal": sum(1 for r in runs if all(crossing_signal(e) == "unknown" for e in r)),
        "kerb": sum(1 for r in runs if all(e.kerb is None for e in r)),
        "tactile_paving": sum(1 for r in runs if all(e.tactile_paving is None for e in r)),
    }
