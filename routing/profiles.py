"""Accessibility profiles as data: hard rules (never route here) and cost factors (prefer this).

Cost of an edge = length_m x the product of its factors, so the cost does not depend on how a way
was split into edges. A factor reads as "one metre of this is worth N metres of good footway": with
``unsignalled_crossing_factor=12`` a 12 m zebra costs like 144 m, so a blind cane user walks up to
~120 m further to reach a crossing with an acoustic or vibrating signal (the soft form of "no
unsignalled crossing when a signalled one is near"). Tactile paving divides the cost as in HULOP.
``None`` attributes cost a little more than known-good ones.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from routing.edgeclasses import EdgeClasses
from routing.model import EdgeRecord
from routing.tags import against_oneway, crossing_signal, incline_grade_pct, is_crossing, is_road

ROUGH_SURFACES = frozenset(
    {
        "sett",
        "cobblestone",
        "unhewn_cobblestone",
        "pebblestone",
        "gravel",
        "fine_gravel",
        "compacted",
        "ground",
        "dirt",
        "earth",
        "grass",
        "grass_paver",
        "sand",
        "mud",
        "woodchips",
        "rock",
        "stepping_stones",
    }
)
BAD_SMOOTHNESS = frozenset({"bad", "very_bad", "horrible", "very_horrible", "impassable"})
_SIDEWALK_PRESENT = frozenset({"both", "left", "right", "yes"})
#: What ``incline=up`` or ``down`` without a number is taken to mean.
UNKNOWN_GRADE_PCT = 5.0


@dataclass(frozen=True, slots=True)
class DecisionCosts:
    """Fixed costs, in metres of good footway, of the decision points a walker passes: what
    makes a route simple rather than short (see routing/decisions.py and the README).

    A turn costs ``turn_90_m`` at 90 deg, growing linearly from nothing at ``free_turn_deg`` (a
    bend the walker follows without deciding). A crossing costs by type, on top of its per-metre
    factor; leaving a tactile guidance line and changing named street cost extra.
    """

    turn_90_m: float = 0.0
    free_turn_deg: float = 25.0
    crossing_sound_m: float = 0.0  # signalled with sound or vibration
    crossing_signal_m: float = 0.0  # signalled, visual only
    crossing_marked_m: float = 0.0
    crossing_unmarked_m: float = 0.0
    crossing_unknown_m: float = 0.0
    street_change_m: float = 0.0
    leave_tactile_m: float = 0.0


@dataclass(frozen=True, slots=True)
class Profile:
    """Hard rules first (``allow_*`` / ``max_*`` / ``min_*``), then factors and penalties."""

    name: str
    walking_speed_mps: float = 1.1  # for durations; cane and wheelchair users walk slower
    allow_steps: bool = True
    max_kerb_height_m: float | None = None
    allow_raised_kerb: bool = True
    min_width_m: float | None = None
    max_incline_pct: float | None = None
    forbidden_smoothness: frozenset[str] = frozenset({"impassable"})
    tactile_paving_divisor: float = 1.0
    road_no_sidewalk_factor: float = 2.0
    steps_factor: float = 2.0
    no_handrail_factor: float = 1.0
    rough_factor: float = 1.2
    narrow_width_m: float = 1.2
    narrow_factor: float = 1.1
    unlit_factor: float = 1.0
    unknown_factor: float = 1.05
    signalled_crossing_factor: float = 1.5
    visual_only_crossing_factor: float = 3.0
    unsignalled_crossing_factor: float = 6.0
    unknown_crossing_factor: float = 5.0
    flush_kerb_factor: float = 1.0
    #: Directed: each percent of grade walked uphill (downhill) adds this share of the cost.
    uphill_per_pct: float = 0.0
    downhill_per_pct: float = 0.0
    decisions: DecisionCosts = DecisionCosts()


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile(
            name="blind_cane",
            walking_speed_mps=0.9,
            tactile_paving_divisor=3.0,
            road_no_sidewalk_factor=4.0,
            steps_factor=3.0,
            no_handrail_factor=1.5,
            rough_factor=1.3,
            visual_only_crossing_factor=8.0,
            unsignalled_crossing_factor=12.0,
            unknown_crossing_factor=10.0,
            flush_kerb_factor=2.0,
            decisions=DecisionCosts(
                turn_90_m=120.0,
                crossing_sound_m=10.0,
                crossing_signal_m=30.0,
                crossing_marked_m=100.0,
                crossing_unmarked_m=160.0,
                crossing_unknown_m=120.0,
                street_change_m=10.0,
                leave_tactile_m=15.0,
            ),
        ),
        Profile(
            name="guide_dog",
            walking_speed_mps=1.2,
            tactile_paving_divisor=1.5,
            road_no_sidewalk_factor=3.0,
            steps_factor=2.0,
            narrow_width_m=1.5,
            narrow_factor=1.4,
            visual_only_crossing_factor=6.0,
            unsignalled_crossing_factor=10.0,
            unknown_crossing_factor=8.0,
            flush_kerb_factor=1.3,
            decisions=DecisionCosts(
                turn_90_m=80.0,
                crossing_sound_m=10.0,
                crossing_signal_m=20.0,
                crossing_marked_m=80.0,
                crossing_unmarked_m=120.0,
                crossing_unknown_m=100.0,
                street_change_m=10.0,
                leave_tactile_m=5.0,
            ),
        ),
        Profile(
            name="low_vision",
            walking_speed_mps=1.1,
            tactile_paving_divisor=2.0,
            road_no_sidewalk_factor=3.0,
            steps_factor=4.0,
            no_handrail_factor=1.5,
            unlit_factor=1.4,
            visual_only_crossing_factor=2.0,
            unsignalled_crossing_factor=6.0,
            unknown_crossing_factor=5.0,
            decisions=DecisionCosts(
                turn_90_m=40.0,
                crossing_sound_m=5.0,
                crossing_signal_m=10.0,
                crossing_marked_m=50.0,
                crossing_unmarked_m=80.0,
                crossing_unknown_m=60.0,
                street_change_m=5.0,
                leave_tactile_m=5.0,
            ),
        ),
        Profile(
            name="wheelchair",
            walking_speed_mps=1.0,
            allow_steps=False,
            max_kerb_height_m=0.03,
            allow_raised_kerb=False,
            min_width_m=0.9,
            max_incline_pct=8.0,
            forbidden_smoothness=frozenset({"very_bad", "horrible", "very_horrible", "impassable"}),
            road_no_sidewalk_factor=2.0,
            rough_factor=2.5,
            narrow_width_m=1.5,
            narrow_factor=1.3,
            signalled_crossing_factor=1.2,
            visual_only_crossing_factor=1.2,
            unsignalled_crossing_factor=3.0,
            unknown_crossing_factor=3.0,
            uphill_per_pct=0.12,  # pushing up 6 % costs 1.7x the level way
            downhill_per_pct=0.04,  # braking down it 1.24x
            decisions=DecisionCosts(
                turn_90_m=20.0,
                crossing_sound_m=5.0,
                crossing_signal_m=5.0,
                crossing_marked_m=15.0,
                crossing_unmarked_m=25.0,
                crossing_unknown_m=20.0,
                street_change_m=5.0,
            ),
        ),
    )
}
DEFAULT_PROFILE = "blind_cane"


def blocking_rule(edge: EdgeRecord, profile: Profile) -> str | None:
    """The hard rule that forbids this edge for this profile, as a human sentence, or None."""
    who = profile.name
    if edge.highway == "steps" and not profile.allow_steps:
        return f"steps are not allowed for {who}"
    if edge.crossing == "no":
        return "the street cannot be crossed here (crossing=no)"
    if edge.smoothness in profile.forbidden_smoothness:
        return f"surface smoothness '{edge.smoothness}' is not passable for {who}"
    if edge.kerb == "raised" and not profile.allow_raised_kerb:
        return f"raised kerbs are not passable for {who}"
    limit = profile.max_kerb_height_m
    if limit is not None and edge.kerb_height_m is not None and edge.kerb_height_m > limit:
        return f"kerbs higher than {limit * 100:.0f} cm are not passable for {who}"
    if profile.min_width_m is not None and edge.width_m is not None:
        if edge.width_m < profile.min_width_m:
            return f"paths narrower than {profile.min_width_m:g} m are not passable for {who}"
    grade = incline_grade_pct(edge.incline)
    if profile.max_incline_pct is not None and grade is not None:
        if abs(grade) > profile.max_incline_pct:
            return f"inclines steeper than {profile.max_incline_pct:g} % are not passable for {who}"
    return None


def edge_cost(edge: EdgeRecord, profile: Profile, backwards: bool = False) -> float:
    """Generalised cost in metre-equivalents of walking ``u -> v`` (``v -> u`` when
    ``backwards``); math.inf when a hard rule forbids the edge or its one-way rule for walkers
    forbids that direction (for every profile: it is the world's rule, not the walker's)."""
    if against_oneway(edge, backwards) or blocking_rule(edge, profile) is not None:
        return math.inf
    factor = _surface_factor(edge, profile) * _way_factor(edge, profile)
    factor *= _slope_factor(edge, profile, backwards)
    if is_crossing(edge):
        factor *= _crossing_factor(edge, profile)
    if edge.highway == "steps":
        factor *= profile.steps_factor * _handrail_factor(edge, profile)
    if edge.tactile_paving:
        factor /= profile.tactile_paving_divisor
    return edge.length_m * factor


def _way_factor(edge: EdgeRecord, profile: Profile) -> float:
    """Walking on a carriageway, narrowness and darkness."""
    factor = 1.0
    if is_road(edge) and edge.highway != "living_street":
        if edge.sidewalk in _SIDEWALK_PRESENT:
            factor *= 1.1
        elif edge.sidewalk is None:
            factor *= (1.0 + profile.road_no_sidewalk_factor) / 2.0
        else:  # no, none, separate: walking the carriageway itself
            factor *= profile.road_no_sidewalk_factor
    if edge.width_m is not None and edge.width_m < profile.narrow_width_m:
        factor *= profile.narrow_factor
    if edge.lit is False:
        factor *= profile.unlit_factor
    return factor


def signed_grade_pct(edge: EdgeRecord, backwards: bool = False) -> float | None:
    """The grade walking ``u -> v`` (or back), positive uphill; ``up``/``down`` without a number
    count as UNKNOWN_GRADE_PCT."""
    grade = incline_grade_pct(edge.incline)
    if grade is None:
        grade = {"up": UNKNOWN_GRADE_PCT, "down": -UNKNOWN_GRADE_PCT}.get(edge.incline or "")
    if grade is None:
        return None
    return -grade if backwards else grade


def _slope_factor(edge: EdgeRecord, profile: Profile, backwards: bool) -> float:
    grade = signed_grade_pct(edge, backwards)
    if grade is None:
        return 1.0
    return 1.0 + profile.uphill_per_pct * max(grade, 0.0) + profile.downhill_per_pct * max(
        -grade, 0.0)


def _surface_factor(edge: EdgeRecord, profile: Profile) -> float:
    if edge.surface in ROUGH_SURFACES or edge.smoothness in BAD_SMOOTHNESS:
        return profile.rough_factor
    return profile.unknown_factor if edge.surface is None and not is_road(edge) else 1.0


def _handrail_factor(edge: EdgeRecord, profile: Profile) -> float:
    if edge.handrail:
        return 1.0
    unknown = edge.handrail is None
    return (1.0 + profile.no_handrail_factor) / 2.0 if unknown else profile.no_handrail_factor


def _crossing_factor(edge: EdgeRecord, profile: Profile) -> float:
    """Signals first; a flush kerb without tactile paving hides where the road begins."""
    signal = crossing_signal(edge)
    if signal in ("acoustic", "vibrating", "acoustic_vibrating"):
        factor = profile.signalled_crossing_factor
    elif signal == "visual":
        factor = profile.visual_only_crossing_factor
    elif signal == "none":
        factor = profile.unsignalled_crossing_factor
    else:
        factor = profile.unknown_crossing_factor
    if edge.kerb in ("flush", "no") and not edge.tactile_paving:
        factor *= profile.flush_kerb_factor
    return factor


def get_profile(name: str) -> Profile:
    """The profile by name; ValueError naming the known ones otherwise."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown profile {name!r} (known: {', '.join(PROFILES)})") from None


#: Edge fields no profile looks at: edges equal in every other field cost the same per metre.
_NOT_COSTED = frozenset({"id", "u", "v", "length_m", "osm_way_id", "name"})
_COSTED_FIELDS = operator.attrgetter(
    *(f for f in EdgeRecord._fields if f not in _NOT_COSTED)
)


def edge_cost_factors(
    classes: EdgeClasses, profiles: Mapping[str, Profile], backwards: bool = False
) -> dict[str, np.ndarray]:
    """Per profile, each edge's cost per metre (inf when forbidden), evaluated once per distinct
    set of costed attributes: a city has thousands of edges for every such set.

    ``length * factor`` equals :func:`edge_cost` exactly, since that is how it is computed.
    """
    distinct: dict[tuple[object, ...], int] = {}
    costed = np.fromiter((distinct.setdefault(_COSTED_FIELDS(e), len(distinct))
                          for e in classes.unit), np.int64, len(classes.unit))
    first: dict[int, EdgeRecord] = {}
    for k, e in zip(costed.tolist(), classes.unit, strict=True):
        first.setdefault(k, e)
    index = costed[classes.index]
    return {
        name: np.array([edge_cost(first[k], p, backwards) for k in range(len(distinct))],
                       dtype=float)[index]
        for name, p in profiles.items()
    }
