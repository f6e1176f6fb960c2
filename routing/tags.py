"""OSM tag values -> typed edge attributes, and the edge classes profiles and maneuvers share.

Parsing never raises: a value we cannot read is "not mapped" (``None``), which profiles cost as
slightly worse than known-good.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from routing.model import EdgeRecord

FOOT_HIGHWAYS = frozenset(
    {"footway", "path", "pedestrian", "steps", "living_street", "corridor", "platform", "track"}
)
ROAD_HIGHWAYS = frozenset(
    {
        "residential",
        "service",
        "unclassified",
        "road",
        "tertiary",
        "tertiary_link",
        "secondary",
        "secondary_link",
        "primary",
        "primary_link",
    }
)
_FOOT_ALLOWED = frozenset({"yes", "designated", "permissive", "official"})
_FOOT_DENIED = frozenset({"no", "private", "use_sidepath", "discouraged"})
_TRUE = frozenset({"yes", "true", "1"})
_FALSE = frozenset({"no", "false", "0", "none"})
_LENGTH_RE = re.compile(r"^\s*(-?\d+(?:[.,]\d+)?)\s*(mm|cm|m|ft|'|\"|in)?\s*$")
_UNIT_M = {None: 1.0, "m": 1.0, "cm": 0.01, "mm": 0.001, "ft": 0.3048, "'": 0.3048}
_UNIT_M |= {'"': 0.0254, "in": 0.0254}
_KERB_RANK = {"flush": 0, "no": 0, "lowered": 1, "rolled": 2, "raised": 3, "yes": 3}
#: Ways made for walking, where a plain ``oneway`` binds the walker too. Not ``pedestrian``: a
#: pedestrian street's ``oneway`` is for the vehicles let in (Herrenberg's Stuttgarter Straße,
#: a shopping street, has ``oneway=yes`` with ``oneway:bicycle=no``).
FOOT_ONEWAY_HIGHWAYS = frozenset({"footway", "path", "steps"})
_ONEWAY = {"yes": "yes", "true": "yes", "1": "yes", "-1": "-1", "reverse": "-1", "no": "no",
           "false": "no", "0": "no"}


def is_walkable(tags: Mapping[str, str]) -> bool:
    """Whether a way belongs in the pedestrian graph (roads without sidewalks do, costed worse)."""
    highway = tags.get("highway")
    foot = tags.get("foot")
    if not highway or foot in _FOOT_DENIED:
        return False
    if tags.get("access") in ("no", "private") and foot not in _FOOT_ALLOWED:
        return False
    if highway in FOOT_HIGHWAYS or highway in ROAD_HIGHWAYS:
        return True
    return highway in ("cycleway", "bridleway", "trunk", "trunk_link") and foot in _FOOT_ALLOWED


def parse_bool(value: str | None) -> bool | None:
    """yes/no style tag -> bool, anything else -> None."""
    if value is None:
        return None
    v = value.strip().lower()
    return True if v in _TRUE else False if v in _FALSE else None


def parse_length_m(value: str | None) -> float | None:
    """'1.5', '1,5 m', '150 cm', "3'" -> metres; unreadable or negative -> None."""
    if value is None:
        return None
    m = _LENGTH_RE.match(value.lower())
    if m is None:
        return None
    metres = float(m.group(1).replace(",", ".")) * _UNIT_M[m.group(2)]
    return metres if metres >= 0 else None


def parse_int(value: str | None) -> int | None:
    """A non-negative whole number, or None."""
    if value is None:
        return None
    v = value.strip()
    return int(v) if v.isdigit() else None


def parse_tactile_paving(value: str | None) -> bool | None:
    """'incorrect' paving misleads, so it counts as absent; partial/contrasted count as present."""
    if value is None:
        return None
    v = value.strip().lower()
    if v in ("yes", "partial", "contrasted", "primitive"):
        return True
    return False if v in ("no", "incorrect") else None


def parse_signal_aid(value: str | None) -> bool | None:
    """traffic_signals:sound / :vibration -> whether the aid exists ('locate', 'walk' count)."""
    if value is None:
        return None
    v = value.strip().lower()
    return False if v in _FALSE else True if v in _TRUE | {"locate", "walk", "beep"} else None


def parse_lit(value: str | None) -> bool | None:
    """Lighting: 24/7, automatic and limited count as lit."""
    if value is None:
        return None
    v = value.strip().lower()
    return (
        True
        if v in ("24/7", "automatic", "limited", "interval", "sunset-sunrise")
        else parse_bool(v)
    )


def parse_handrail(tags: Mapping[str, str]) -> bool | None:
    """handrail=* or any of handrail:left/right/center=yes."""
    sides = [
        parse_bool(tags.get(k)) for k in ("handrail:left", "handrail:right", "handrail:center")
    ]
    return True if any(sides) else parse_bool(tags.get("handrail"))


def parse_sidewalk(tags: Mapping[str, str]) -> str | None:
    """Summarise sidewalk / sidewalk:both|left|right as both/left/right/separate/no."""
    value = tags.get("sidewalk") or tags.get("sidewalk:both")
    if value:
        return value
    left, right = tags.get("sidewalk:left"), tags.get("sidewalk:right")
    if left == "yes" or right == "yes":
        return "both" if left == right else "left" if left == "yes" else "right"
    return left or right


def parse_foot_oneway(tags: Mapping[str, str]) -> str | None:
    """Whether a walker may use the way only in its drawing direction ("yes"), only against it
    ("-1"), both ways ("no"), or it is not said (None).

    OSM's rule, most specific first: ``oneway:foot`` wherever it is tagged; then
    ``foot:backward=no`` / ``foot:forward=no``; then ``oneway`` on footway, path and steps
    only. A ``oneway`` on a road binds vehicles, never the people on its sidewalks or crossing
    it; on a cycleway it binds cyclists, on a pedestrian street the vehicles let in.
    Time-dependent values (``reversible``, ``alternating``) say nothing for a route planned
    now.
    """
    value = tags.get("oneway:foot")
    if value is None and tags.get("foot:backward") == "no":
        value = "yes"
    if value is None and tags.get("foot:forward") == "no":
        value = "-1"
    if value is None and tags.get("highway") in FOOT_ONEWAY_HIGHWAYS:
        value = tags.get("oneway")
    return _ONEWAY.get(value.strip().lower()) if value else None


def against_oneway(edge: EdgeRecord, backwards: bool) -> bool:
    """Whether walking the edge ``u -> v`` (``v -> u`` when ``backwards``) goes against its
    one-way rule for walkers."""
    return edge.oneway == ("yes" if backwards else "-1")


def worse_kerb(a: str | None, b: str | None) -> str | None:
    """The kerb that is harder to pass (raised beats lowered beats flush)."""
    if a is None or b is None:
        return a or b
    return a if _KERB_RANK.get(a, 3) >= _KERB_RANK.get(b, 3) else b


def incline_grade_pct(incline: str | None) -> float | None:
    """A numeric incline ('5%', '-8 %', '3°') as percent grade, else None."""
    if incline is None:
        return None
    m = re.match(r"^\s*(-?\d+(?:[.,]\d+)?)\s*(%|°)?\s*$", incline)
    if m is None:
        return None
    value = float(m.group(1).replace(",", "."))
    if m.group(2) == "°":
        return math.tan(math.radians(value)) * 100.0
    return value


def is_road(edge: EdgeRecord) -> bool:
    """A carriageway (the pedestrian walks on or beside the road)."""
    return edge.highway in ROAD_HIGHWAYS


def is_crossing(edge: EdgeRecord) -> bool:
    """A street crossing: footway=crossing, or a footpath edge carrying crossing=*."""
    return edge.footway == "crossing" or (edge.crossing is not None and not is_road(edge))


def crossing_signal(edge: EdgeRecord) -> str:
    """acoustic | vibrating | acoustic_vibrating | visual | none | unknown (see Maneuver docs)."""
    if edge.traffic_signals_sound and edge.traffic_signals_vibration:
        return "acoustic_vibrating"
    if edge.traffic_signals_sound:
        return "acoustic"
    if edge.traffic_signals_vibration:
        return "vibrating"
    if edge.crossing == "traffic_signals":
        return "visual"
    if edge.crossing in ("uncontrolled", "marked", "zebra", "unmarked", "informal", "no"):
        return "none"
    return "unknown"
