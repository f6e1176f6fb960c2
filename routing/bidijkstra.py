"""Bidirectional Dijkstra on CSR arrays, compiled by numba: a query pays for the states it
visits, not for the whole graph.

scipy's csgraph Dijkstra allocates and fills arrays over every vertex on each call (~15 ms on
the 601,796 turn states of the 100k grid, whatever its ``limit``). Here the distance and
predecessor arrays live in a :class:`Workspace` kept between queries, at infinity except while a
query runs: it remembers what it labelled and puts those back before returning.

The search runs from the seeds forward and from the goals backward (on the reversed arcs), each
time on the side with fewer states queued. A state is queued only if a path through it could
still beat the best meeting ``mu`` (its label plus a lower bound of the other side's: that
side's label, or its next key if the state is not settled there), and the search stops once
the two next keys add up to ``mu``: the meeting is then optimal. Both cut a third of the work
of the plain rule on the 100k grid.

The queues are 4-ary heaps (half the levels of a binary one; ~20 % less time a query on the
100k grid) with stale entries skipped when they surface. They are sized ahead for the worst
case, so nothing grows inside the loop: with non-negative weights a state is settled at most
once a side, so a side pushes at most once an arc, plus its starts. The pages of that reserve
are only mapped as the queue reaches them (a few thousand entries a query).

Importing this module imports numba (about a second, more on a loaded machine):
:mod:`routing.turngraph` does so on the first query, never at start-up. The compiled kernel is
cached beside this file (``cache=True``); ``python -m routing.bidijkstra`` compiles it ahead, as
``make`` does, since compiling takes 5-40 s.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

Arcs = tuple[np.ndarray, np.ndarray, np.ndarray]  # CSR pointers, indices, weights


@dataclass(slots=True)
class Workspace:
    """Per-state arrays of one graph's searches, reused by every query (one query at a time).
    ``dist`` and ``pred`` hold the forward label in column 0 and the backward one in column 1,
    side by side: a relaxation reads both. ``settled`` counts the states the last query took
    off its queues (what a query's time grows with; the benchmark reports it)."""

    dist: np.ndarray
    pred: np.ndarray
    touched: np.ndarray
    keys: np.ndarray
    vals: np.ndarray
    settled: int = 0

    @classmethod
    def sized(cls, states: int) -> Workspace:
        return cls(np.full((states, 2), np.inf), np.full((states, 2), -1, np.int32),
                   np.empty(states, np.int32), np.empty((2, 0)), np.empty((2, 0), np.int32))

    def reserve(self, entries: int) -> None:
        """Room for ``entries`` queue entries a side (``np.empty``: untouched pages cost
        nothing)."""
        if self.keys.shape[1] < entries:
            self.keys, self.vals = np.empty((2, entries)), np.empty((2, entries), np.int32)

    @property
    def states(self) -> int:
        return len(self.dist)


def search(ws: Workspace, fwd: Arcs, bwd: Arcs, seeds: np.ndarray, seed_costs: np.ndarray,
           goals: np.ndarray, goal_costs: np.ndarray,
           blocked: np.ndarray) -> tuple[float, list[int]]:
    """Cheapest cost from a seed (having paid its cost) to a goal (then paying its cost) and the
    states walked, seed first; (inf, []) when there is none. ``fwd`` are the arcs, ``bwd`` the
    same arcs reversed (a row lists the arcs into its state); ``blocked`` states are never
    entered. Weights must not be negative."""
    ws.reserve(max(len(fwd[1]), len(bwd[1])) + max(len(seeds), len(goals)))
    mu, meet, ws.settled = _bidirectional(
        (fwd[0], bwd[0]), (fwd[1], bwd[1]), (fwd[2], bwd[2]),
        (seeds.astype(np.int32), goals.astype(np.int32)),
        (seed_costs.astype(np.float64), goal_costs.astype(np.float64)),
        blocked.astype(np.int32), ws.dist, ws.pred, ws.touched, ws.keys, ws.vals)
    if meet < 0:
        return np.inf, []
    before, after = ws.pred[:, 0], ws.pred[:, 1]
    path = [int(meet)]
    while before[path[-1]] >= 0:
        path.append(int(before[path[-1]]))
    path.reverse()
    while after[path[-1]] >= 0:
        path.append(int(after[path[-1]]))
    return float(mu), path


@njit(inline="always")
def _sift_up(keys, vals, side, j, key, val):  # type: ignore[no-untyped-def]
    """Put (key, val) into heap ``side`` at free position ``j`` and move it up."""
    while j > 0:
        parent = (j - 1) >> 2
        if keys[side, parent] <= key:
            break
        keys[side, j], vals[side, j] = keys[side, parent], vals[side, parent]
        j = parent
    keys[side, j], vals[side, j] = key, val


@njit(inline="always")
def _drop_top(keys, vals, side, n):  # type: ignore[no-untyped-def]
    """Remove the top of heap ``side``, which holds ``n`` entries afterwards."""
    key, val = keys[side, n], vals[side, n]
    j = 0
    while True:
        first = 4 * j + 1
        if first >= n:
            break
        child, least = first, keys[side, first]
        for c in range(first + 1, min(first + 4, n)):
            if keys[side, c] < least:
                child, least = c, keys[side, c]
        if least >= key:
            break
        keys[side, j], vals[side, j] = keys[side, child], vals[side, child]
        j = child
    keys[side, j], vals[side, j] = key, val


@njit(cache=True, nogil=True)
def _bidirectional(ptrs, idxs, weights, starts, start_costs, blocked,  # type: ignore[no-untyped-def]
                   dist, pred, touched, keys, vals):
    """(best cost, meeting state or -1, states settled); side 0 searches forward, side 1
    backward.
    A blocked state's labels are minus infinity while the query runs: nothing improves them."""
    for s in blocked:
        dist[s, 0] = dist[s, 1] = -np.inf
    labelled = settled = 0
    mu, meet = np.inf, -1
    size = np.zeros(2, np.int64)
    for side in range(2):
        points, costs = starts[side], start_costs[side]
        for i in range(len(points)):
            v, d = points[i], costs[i]
            if d < dist[v, side]:
                if dist[v, 0] == np.inf and dist[v, 1] == np.inf:
                    touched[labelled] = v
                    labelled += 1
                dist[v, side], pred[v, side] = d, -1
                _sift_up(keys, vals, side, size[side], d, v)
                size[side] += 1
                if d + dist[v, 1 - side] < mu:
                    mu, meet = d + dist[v, 1 - side], v
    top = np.empty(2)
    while True:
        for side in range(2):
            while size[side] > 0 and keys[side, 0] > dist[vals[side, 0], side]:  # stale
                size[side] -= 1
                _drop_top(keys, vals, side, size[side])
            top[side] = keys[side, 0] if size[side] > 0 else np.inf
        if top[0] + top[1] >= mu:  # also when a side ran dry: no better meeting is left
            break
        side = 0 if size[0] <= size[1] else 1  # the smaller front: ~10 % less work than by key
        other, top_other = 1 - side, top[1 - side]
        u = vals[side, 0]
        settled += 1
        size[side] -= 1
        _drop_top(keys, vals, side, size[side])
        ptr, idx, w = ptrs[side], idxs[side], weights[side]
        lo, hi = ptr[u], ptr[u + 1]
        base = dist[u, side]
        for k in range(lo, hi):
            v = idx[k]
            d = base + w[k]
            if not d < dist[v, side]:
                continue
            there = dist[v, other]
            meets = d + there < mu
            if meets:
                mu, meet = d + there, v
            onward = d + min(there, top_other) < mu  # a path on through v may still beat mu
            if not (meets or onward):
                continue
            if dist[v, 0] == np.inf and dist[v, 1] == np.inf:
                touched[labelled] = v
                labelled += 1
            dist[v, side], pred[v, side] = d, u
            if onward:
                _sift_up(keys, vals, side, size[side], d, v)
                size[side] += 1
    for i in range(labelled):
        dist[touched[i], 0] = dist[touched[i], 1] = np.inf
    for s in blocked:
        dist[s, 0] = dist[s, 1] = np.inf
    return mu, meet, settled


def compile_ahead() -> None:
    """Compile (or load from the cache) the kernel on a two-state graph, with the types of
    :mod:`routing.turnarcs`' arrays (float32 weights)."""
    ptr, idx, w = np.array([0, 1, 1], np.int32), np.array([1], np.int32), np.ones(1, np.float32)
    back = np.array([0, 0, 1], np.int32), np.array([0], np.int32), w
    search(Workspace.sized(2), (ptr, idx, w), back, np.array([0]), np.array([0.0]),
           np.array([1]), np.array([0.0]), np.array([], np.int64))


if __name__ == "__main__":
    compile_ahead()
