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

Importing this module imports numba (about a second, more on a loaded machine):
:mod:`routing.turngraph` does so on the first query, never at start-up. The compiled kernel is
cached beside this file (``cache=True``); ``python -m routing.bidijkstra`` compiles it ahead, as
``make`` does, since compiling takes 5-40 s.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

_HEAP = 1024  # first heap capacity per side; it doubles when full

Arcs = tuple[np.ndarray, np.ndarray, np.ndarray]  # CSR pointers, indices, weights


@dataclass(slots=True)
class Workspace:
    """Per-state arrays of one graph's searches, reused by every query (one query at a time).
    ``dist`` and ``pred`` hold the forward label in column 0 and the backward one in column 1,
    side by side: a relaxation reads both."""

    dist: np.ndarray
    pred: np.ndarray
    touched: np.ndarray
    keys: np.ndarray
    vals: np.ndarray

    @classmethod
    def sized(cls, states: int) -> Workspace:
        return cls(np.full((states, 2), np.inf), np.full((states, 2), -1, np.int32),
                   np.empty(states, np.int32), np.empty((2, _HEAP)),
                   np.empty((2, _HEAP), np.int32))

    @property
    def states(self) -> int:
        return len(self.dist)


def search(ws: Workspace, fwd: Arcs, bwd: Arcs, seeds: np.ndarray, seed_costs: np.ndarray,
           goals: np.ndarray, goal_costs: np.ndarray,
           blocked: np.ndarray) -> tuple[float, list[int]]:
    """Cheapest cost from a seed (having paid its cost) to a goal (then paying its cost) and the
    states walked, seed first; (inf, []) when there is none. ``fwd`` are the arcs, ``bwd`` the
    same arcs reversed (a row lists the arcs into its state); ``blocked`` states are never
    entered."""
    mu, meet, ws.keys, ws.vals = _bidirectional(
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
        parent = (j - 1) >> 1
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
        child = 2 * j + 1
        if child >= n:
            break
        if child + 1 < n and keys[side, child + 1] < keys[side, child]:
            child += 1
        if keys[side, child] >= key:
            break
        keys[side, j], vals[side, j] = keys[side, child], vals[side, child]
        j = child
    keys[side, j], vals[side, j] = key, val


@njit(inline="always")
def _room(keys, vals, need):  # type: ignore[no-untyped-def]
    """The heaps, grown to hold ``need`` entries a side."""
    cap = keys.shape[1]
    if cap >= need:
        return keys, vals
    while cap < need:
        cap *= 2
    bigger_k, bigger_v = np.empty((2, cap)), np.empty((2, cap), vals.dtype)
    bigger_k[:, : keys.shape[1]], bigger_v[:, : keys.shape[1]] = keys, vals
    return bigger_k, bigger_v


@njit(cache=True, nogil=True)
def _bidirectional(ptrs, idxs, weights, starts, start_costs, blocked,  # type: ignore[no-untyped-def]
                   dist, pred, touched, keys, vals):
    """(best cost, meeting state or -1, heaps); side 0 searches forward, side 1 backward.
    A blocked state's labels are minus infinity while the query runs: nothing improves them."""
    for s in blocked:
        dist[s, 0] = dist[s, 1] = -np.inf
    labelled = 0
    mu, meet = np.inf, -1
    size = np.zeros(2, np.int64)
    for side in range(2):
        points, costs = starts[side], start_costs[side]
        keys, vals = _room(keys, vals, size[side] + len(points))
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
        size[side] -= 1
        _drop_top(keys, vals, side, size[side])
        ptr, idx, w = ptrs[side], idxs[side], weights[side]
        lo, hi = ptr[u], ptr[u + 1]
        keys, vals = _room(keys, vals, size[side] + hi - lo)
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
    return mu, meet, keys, vals


def compile_ahead() -> None:
    """Compile (or load from the cache) the kernel on a two-state graph."""
    ptr, idx, w = np.array([0, 1, 1], np.int32), np.array([1], np.int32), np.array([1.0])
    back = np.array([0, 0, 1], np.int32), np.array([0], np.int32), w
    search(Workspace.sized(2), (ptr, idx, w), back, np.array([0]), np.array([0.0]),
           np.array([1]), np.array([0.0]), np.array([], np.int64))


if __name__ == "__main__":
    compile_ahead()
