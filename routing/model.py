"""Plain data shared by routing, beacons, voice and navigator (no I/O, no networkx).

The route graph is an undirected ``networkx.MultiGraph`` whose nodes are the integer ids of
:class:`NodeRecord` and whose edge keys are the integer ids of :class:`EdgeRecord`. Every edge is a
straight segment between two nodes (OSM ways are split at every node), so geometry, snapping and
positioning never need shape points. Edge data is ``{"edge": EdgeRecord, "length_m": float}``;
node data is ``{"lat": float, "lon": float, "level": float | None}``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple


class NodeRecord(NamedTuple):
    """A point of the walkable network (an OSM node or a mapper-made one).

    A named tuple for the reason given at :class:`EdgeRecord`.
    """

    id: int
    lat: float
    lon: float
    level: float | None = None


class EdgeRecord(NamedTuple):
    """A straight walkable segment ``u -> v`` with its accessibility attributes.

    ``None`` always means "not mapped", which profiles cost as slightly worse than known-good.
    Directional attributes (``incline``, ``oneway``) are relative to ``u -> v``.

    A named tuple rather than a frozen dataclass: a city has hundreds of thousands, and a stored
    row becomes one without a per-field ``__setattr__`` (0.5 s of every 100k-node start-up).
    """

    id: int
    u: int
    v: int
    length_m: float
    highway: str = "footway"
    name: str | None = None
    footway: str | None = None  # sidewalk | crossing | ...
    crossing: str | None = None  # traffic_signals | uncontrolled | marked | unmarked | no | ...
    crossing_island: bool | None = None
    traffic_signals_sound: bool | None = None
    traffic_signals_vibration: bool | None = None
    tactile_paving: bool | None = None
    kerb: str | None = None  # flush | lowered | raised | rolled | no
    kerb_height_m: float | None = None
    step_count: int | None = None
    handrail: bool | None = None
    incline: str | None = None  # "up" | "down" (relative to u -> v) or a grade like "5%"
    surface: str | None = None
    smoothness: str | None = None
    width_m: float | None = None
    lit: bool | None = None
    level: str | None = None
    osm_way_id: int | None = None
    sidewalk: str | None = None  # on roads: both | left | right | separate | no
    #: For walkers (see routing.tags.parse_foot_oneway): "yes" only u -> v, "-1" only v -> u,
    #: "no" both ways (as None, "not mapped").
    oneway: str | None = None
    button_operated: bool | None = None  # a signalled crossing's push button asks for green


class PlaceKind(enum.StrEnum):
    """What a named place is, so phrasing can say "the bakery" rather than an id."""

    SHOP = "shop"
    AMENITY = "amenity"
    STOP = "stop"
    ENTRANCE = "entrance"
    TOURISM = "tourism"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class PlaceRecord:
    """A named point of interest: a landmark for maneuvers and a destination for search."""

    id: int
    name: str
    kind: str
    lat: float
    lon: float
    level: float | None = None
    osm_id: int | None = None
    #: A stop's OSM ``ref`` (its code on the timetable, or the pole letter where the mappers put
    #: that there) and ``local_ref`` (the pole or platform letter), which a timetable's stops
    #: are matched by before their names; None for other places.
    ref: str | None = None
    local_ref: str | None = None


@dataclass(frozen=True, slots=True)
class MapExtract:
    """What an importer produced: written to storage in one transaction, or not at all."""

    nodes: list[NodeRecord]
    edges: list[EdgeRecord]
    places: list[PlaceRecord]


class ManeuverKind(enum.StrEnum):
    DEPART = "depart"
    CONTINUE = "continue"
    TURN = "turn"
    CROSS = "cross"
    STEPS = "steps"
    LANDMARK = "landmark"
    ARRIVE = "arrive"


#: Decision points: maneuvers where the walker must choose what to do (turn, cross, take the
#: steps, go straight on at a junction). Depart is where they stand, landmarks only orient,
#: arrival ends the walk.
DECISION_KINDS = frozenset(
    {ManeuverKind.TURN, ManeuverKind.CROSS, ManeuverKind.STEPS, ManeuverKind.CONTINUE}
)


@dataclass(frozen=True, slots=True)
class Maneuver:
    """One thing the pedestrian must do or notice, at a node of the route.

    ``distance_m`` is the walking distance from the previous maneuver to this one (0 for depart);
    ``along_m`` is the distance from the start of the route. ``attributes`` keys by kind:

    - depart: ``heading_deg`` (compass, 0 = north), ``street``
    - continue: ``street``, ``length_m`` (of the straight run that follows)
    - turn: ``direction`` ("left" | "right"), ``severity`` ("slight" | "normal" | "sharp" |
      "uturn"), ``clock`` (1..12), ``street`` (the street turned onto, or None)
    - cross: ``street``, ``signal`` ("acoustic" | "vibrating" | "acoustic_vibrating" | "visual" |
      "none" | "unknown"), ``island``, ``tactile_paving``, ``kerb``, ``length_m``, ``button``
      (a push button asks for green; True | False | None)
    - steps: ``direction`` ("up" | "down" | "unknown"), ``count``, ``handrail``
    - landmark: ``name``, ``landmark_kind``, ``side`` ("left" | "right" | None)
    - arrive: ``name``, ``side`` ("left" | "right" | "ahead" | None)
    """

    kind: ManeuverKind
    at_node: int
    lat: float
    lon: float
    distance_m: float
    along_m: float
    angle_deg: float | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Route:
    """A planned walk: the node/edge sequence, its cost under a profile and its maneuvers."""

    nodes: tuple[int, ...]
    edges: tuple[int, ...]
    length_m: float
    cost: float
    profile: str
    maneuvers: tuple[Maneuver, ...]
    coordinates: tuple[tuple[float, float], ...]  # (lat, lon) per node
    warnings: tuple[str, ...] = ()
