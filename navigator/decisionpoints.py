"""The decision points of a route as the walker meets them: *places* (maneuvers at one point,
said as one instruction: "Turn left onto X. Then cross X.") and *chains* (a place only a few
metres after the previous one is told relative to it, right after it: "After another 4 metres,
turn right."). Pure: a route in, a tuple out.

Why chains: with decision points a few metres apart no fix of a phone tells them apart, but the
order of the instructions and the cane do. Said in one breath, each follows the one the walker
has just been told about; so a chained place needs no certain fix of its own
(:mod:`navigator.certainty` holds only the first place of a chain).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from navigator.guidancesettings import GuidanceSettings
from routing.model import DECISION_KINDS, Route


@dataclass(frozen=True, slots=True)
class Place:
    """Decision maneuvers at one point of the route, ``members[0]`` leading (route order).

    ``gap_before_m``: along the route to the previous place (inf: none).
    ``gap_after_m``: along the route to the next place not chained to this one, directly or
    through the places chained after it (inf: none). A chain is told in one breath, in order, so
    the walker tells its places apart by that order and the cane: the place after the chain is
    the one an instruction for it could be acted on at.
    ``chained``: closer than :attr:`GuidanceSettings.chain_m` to the previous place.
    """

    members: tuple[int, ...]
    along_m: float
    gap_before_m: float
    gap_after_m: float
    chained: bool

    @property
    def lead(self) -> int:
        return self.members[0]


def decision_places(route: Route, s: GuidanceSettings) -> tuple[Place, ...]:
    """The route's decision maneuvers grouped into places, in route order: maneuvers at the same
    node, or within ``same_place_m`` along the route, are one place."""
    groups: list[list[int]] = []
    for i, m in enumerate(route.maneuvers):
        if m.kind not in DECISION_KINDS:
            continue
        if groups:
            first = route.maneuvers[groups[-1][0]]
            if m.at_node == first.at_node or m.along_m - first.along_m <= s.same_place_m:
                groups[-1].append(i)
                continue
        groups.append([i])
    along = [route.maneuvers[g[0]].along_m for g in groups]
    before = [along[k] - along[k - 1] if k else math.inf for k in range(len(along))]
    chained = [gap < s.chain_m for gap in before]
    places = []
    for k, members in enumerate(groups):
        end = k + 1
        while end < len(along) and chained[end]:
            end += 1
        after = along[end] - along[k] if end < len(along) else math.inf
        places.append(Place(tuple(members), along[k], before[k], after, chained[k]))
    return tuple(places)


def place_of(places: tuple[Place, ...], count: int) -> tuple[int | None, ...]:
    """Per maneuver index (``count`` maneuvers), the index of its place (None: not a decision)."""
    out: list[int | None] = [None] * count
    for k, p in enumerate(places):
        for i in p.members:
            out[i] = k
    return tuple(out)
