"""Landmark distances (ALT: A*, landmarks and the triangle inequality): lower bounds of what is
left of a route, so that the live search heads for its goal and settles fewer states, exactly.

For a landmark ``L`` and any states ``v``, ``t``: d(v, t) >= d(L, t) - d(L, v) and
d(v, t) >= d(v, L) - d(t, L). A table holds, per turn state, the cost from and to each of a few
landmark states under one profile, decision costs included. Bounds over the nodes on edge costs
alone, tried first, were useless: on the 100k grid they reach 55 % of the true cost (a node
path zigzags along cheap edges for free) and saved 60 % of the settled states where these save
(see the README).

Landmarks are picked farthest-first (each the state worst covered by those picked so far), which
puts them round the edge of the map, behind the places a query wants to reach.

A table stays valid as long as no arc has got cheaper since it was measured: a raised cost or a
closure only makes true distances longer, so the bounds still hold (and stay consistent, which
the search needs). :attr:`routing.turnarcs.TurnArcs.cuts` counts the edits that made an arc
cheaper or added one (a new edge, a cheaper attribute, a gentler turn); a table measured at
another count is stale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from routing.bidijkstra import Arcs, Bounds, distances_from

#: Landmarks per table: on the 100k grid 4 settle 8 % more states than 8, at half the memory;
#: on Kaiserslautern the slowest of 40 queries settled 559 states with 4, 287 with 6.
LANDMARKS = 6


@dataclass(frozen=True, slots=True)
class LandmarkTable:
    """Per state, the cost from each landmark (columns ``:k``) and to it (``k:``), in float32
    (half the memory; bounds off by millimetres, which the search tolerates), measured when the
    arcs' cut count for the profile was ``cuts``."""

    landmarks: tuple[int, ...]
    dist: np.ndarray
    cuts: int

    def bounds(self, seeds: np.ndarray, seed_costs: np.ndarray, goals: np.ndarray,
               goal_costs: np.ndarray) -> Bounds:
        """What the search needs for one query: from the seed states (with what reaching them
        costs) to the goal states (with what is left to pay from them)."""
        return Bounds(self.dist, self.dist[goals].astype(np.float64),
                      goal_costs.astype(np.float64), self.dist[seeds].astype(np.float64),
                      seed_costs.astype(np.float64))


def build_table(fwd: Arcs, bwd: Arcs, count: int, cuts: int) -> LandmarkTable:
    """Pick up to ``count`` landmarks on the arcs ``fwd`` (``bwd``: the same reversed) and
    measure from and to each."""
    states = len(fwd[0]) - 1
    used = np.flatnonzero(np.diff(fwd[0]) > 0)
    picked: list[int] = []
    columns: list[np.ndarray] = []
    if len(used):
        # start at the state farthest from some state, then always at the worst covered one
        cover = distances_from(*fwd, int(used[len(used) // 2]))
        while len(picked) < count:
            finite = np.where(np.isfinite(cover), cover, -1.0)
            far = int(np.argmax(finite))
            if finite[far] <= 0:  # every state reached is a landmark already
                break
            picked.append(far)
            columns.append(distances_from(*fwd, far))
            cover = columns[-1] if len(picked) == 1 else np.minimum(cover, columns[-1])
        columns += [distances_from(*bwd, far) for far in picked]
    dist = np.empty((states, len(columns)), np.float32)
    for m, column in enumerate(columns):
        dist[:, m] = column
    return LandmarkTable(tuple(picked), dist, cuts)
