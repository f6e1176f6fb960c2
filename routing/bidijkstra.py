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

With landmark bounds (:mod:`routing.landmarks`) a state's key adds a potential: half the bound
of what is left to the goal minus half the bound of what lies behind it from the start, forward,
and the opposite backward (Goldberg and Harrelson's average potentials). Both sides then run on
the same non-negative reduced costs, the rules above hold unchanged on the keys, and the search
heads for the goal: on the 100k grid a 2 km query settles ~600 states instead of ~30,700.

The queues are 4-ary heaps (half the levels of a binary one; ~20 % less time a query on the
100k grid) with stale entries skipped when they surface. They are sized ahead for the worst
case, so nothing grows inside the loop: with non-negative weights a state is settled at most
once a side, so a side pushes at most once an arc, plus its starts. (Bounds in float32 can be
off by millimetres and let a state be settled again; should a queue then reach its reserve, the
query is searched again without bounds.) The pages of that reserve
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
    side by side: a relaxation reads both; ``pot`` the potential of a state labelled by the
    running query. ``settled`` counts the states the last query took off its queues (what a
    query's time grows with; the benchmark reports it)."""

    dist: np.ndarray
    pred: np.ndarray
    touched: np.ndarray
    pot: np.ndarray
    keys: np.ndarray
    vals: np.ndarray
    settled: int = 0

    @classmethod
    def sized(cls, states: int) -> Workspace:
        return cls(np.full((states, 2), np.inf), np.full((states, 2), -1, np.int32),
                   np.empty(states, np.int32), np.zeros(states), np.empty((2, 0)),
                   np.empty((2, 0), np.int32))

    def reserve(self, entries: int) -> None:
        """Room for ``entries`` queue entries a side (``np.empty``: untouched pages cost
        nothing)."""
        if self.keys.shape[1] < entries:
            self.keys, self.vals = np.empty((2, entries)), np.empty((2, entries), np.int32)

    @property
    def states(self) -> int:
        return len(self.dist)


def search(ws: Workspace, fwd: Arcs, bwd: Arcs, seeds: np.ndarray, seed_costs: np.ndarray,
           goals: np.ndarray, goal_costs: np.ndarray, blocked: np.ndarray,
           bounds: Bounds | None = None) -> tuple[float, list[int]]:
    """Cheapest cost from a seed (having paid its cost) to a goal (then paying its cost) and the
    states walked, seed first; (inf, []) when there is none. ``fwd`` are the arcs, ``bwd`` the
    same arcs reversed (a row lists the arcs into its state); ``blocked`` states are never
    entered. Weights must not be negative. ``bounds`` steer the search to the goal (ALT)."""
    ws.reserve(max(len(fwd[1]), len(bwd[1])) + max(len(seeds), len(goals)))
    for steer in (bounds, None):
        b = steer or _NO_BOUNDS
        mu, meet, ws.settled, done = _bidirectional(
            (fwd[0], bwd[0]), (fwd[1], bwd[1]), (fwd[2], bwd[2]),
            (seeds.astype(np.int32), goals.astype(np.int32)),
            (seed_costs.astype(np.float64), goal_costs.astype(np.float64)),
            blocked.astype(np.int32), ws.dist, ws.pred, ws.touched, ws.keys, ws.vals,
            ws.pot, b.table, b.goal_rows, b.goal_costs, b.seed_rows, b.seed_costs)
        if done:  # else rounding made the bounds re-settle states past the queue's reserve
            break
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


@dataclass(frozen=True, slots=True)
class Bounds:
    """Landmark distances for one query (see :mod:`routing.landmarks`): the table (per state,
    the cost from each landmark, then to each) and its rows at the goal states, with what is
    left to pay from each, and at the seeds, with what reaching each costs."""

    table: np.ndarray
    goal_rows: np.ndarray
    goal_costs: np.ndarray
    seed_rows: np.ndarray
    seed_costs: np.ndarray


_NO_BOUNDS = Bounds(np.zeros((0, 0), np.float32), np.zeros((0, 0)), np.zeros(0),
                    np.zeros((0, 0)), np.zeros(0))
#: Potentials are shrunk by a millionth: float32 arc weights and table entries are rounded, and
#: a shrunk bound leaves room for that in all but the rarest arcs (which the search survives:
#: a state is settled again).
_SHRINK = 1.0 - 1e-6
#: The bound of a state that cannot reach the goal (or be reached from the start): any finite
#: value the same at all such states keeps the potentials consistent.
_NEVER = 1e12


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


@njit(inline="always")
def _bound(table, v, rows, costs, towards):  # type: ignore[no-untyped-def]
    """Lower bound of the cost from the states of ``rows`` (plus their costs) to state ``v``,
    or from ``v`` to them when ``towards``, by the triangle inequality over every landmark."""
    k = table.shape[1] // 2
    least = _NEVER
    for j in range(len(costs)):
        best = 0.0
        for m in range(k):
            if towards:  # d(v, t) >= d(L, t) - d(L, v) and >= d(v, L) - d(t, L)
                a, b = rows[j, m] - table[v, m], table[v, k + m] - rows[j, k + m]
            else:  # d(s, v) >= d(L, v) - d(L, s) and >= d(s, L) - d(v, L)
                a, b = table[v, m] - rows[j, m], rows[j, k + m] - table[v, k + m]
            if a > best:  # NaN (both ends cut off from a landmark) tells nothing: skipped
                best = a
            if b > best:
                best = b
        if best + costs[j] < least:
            least = best + costs[j]
    return least


@njit(cache=True, nogil=True)
def _bidirectional(ptrs, idxs, weights, starts, start_costs, blocked,  # type: ignore[no-untyped-def]
                   dist, pred, touched, keys, vals, pot, table, goal_rows, goal_costs,
                   seed_rows, seed_costs):
    """(best cost, meeting state or -1, states settled, finished); side 0 searches forward,
    side 1 backward. Not finished when a queue ran out of its reserve (possible only with
    bounds).
    A blocked state's labels are minus infinity while the query runs: nothing improves them.
    With bounds a state's key is its label plus its potential forward and minus it backward:
    the average of the two sides' bounds (Goldberg and Harrelson), so that both searches run on
    the same non-negative reduced costs and the stopping rule stays that of plain Dijkstra."""
    steer = len(goal_costs) > 0
    for s in blocked:
        dist[s, 0] = dist[s, 1] = -np.inf
    labelled = settled = 0
    mu, meet = np.inf, -1
    size = np.zeros(2, np.int64)
    room = keys.shape[1]
    done = True
    for side in range(2):
        points, costs = starts[side], start_costs[side]
        for i in range(len(points)):
            v, d = points[i], costs[i]
            if d < dist[v, side]:
                if dist[v, 0] == np.inf and dist[v, 1] == np.inf:
                    touched[labelled] = v
                    labelled += 1
                    pot[v] = 0.0
                    if steer:
                        pot[v] = _SHRINK * 0.5 * (
                            _bound(table, v, goal_rows, goal_costs, True)
                            - _bound(table, v, seed_rows, seed_costs, False))
                dist[v, side], pred[v, side] = d, -1
                _sift_up(keys, vals, side, size[side], d + (pot[v] if side == 0 else -pot[v]), v)
                size[side] += 1
                if d + dist[v, 1 - side] < mu:
                    mu, meet = d + dist[v, 1 - side], v
    top = np.empty(2)
    while True:
        for side in range(2):
            while size[side] > 0:  # skip stale entries
                v = vals[side, 0]
                if keys[side, 0] <= dist[v, side] + (pot[v] if side == 0 else -pot[v]):
                    break
                size[side] -= 1
                _drop_top(keys, vals, side, size[side])
            top[side] = keys[side, 0] if size[side] > 0 else np.inf
        if top[0] + top[1] >= mu:  # also when a side ran dry: no better meeting is left
            break
        side = 0 if size[0] <= size[1] else 1  # the smaller front: ~10 % less work than by key
        other, top_other = 1 - side, top[1 - side]
        sign = 1.0 if side == 0 else -1.0
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
            if dist[v, 0] == np.inf and dist[v, 1] == np.inf:
                pv = 0.0
                if steer:
                    pv = _SHRINK * 0.5 * (
                        _bound(table, v, goal_rows, goal_costs, True)
                        - _bound(table, v, seed_rows, seed_costs, False))
            else:
                pv = pot[v]
            # the other side's label, or what its next key says it will be at least
            onward = d + min(there, top_other + sign * pv) < mu
            if not (meets or onward):
                continue
            if dist[v, 0] == np.inf and dist[v, 1] == np.inf:
                touched[labelled] = v
                labelled += 1
                pot[v] = pv
            dist[v, side], pred[v, side] = d, u
            if onward:
                if size[side] == room:
                    done = False
                    break
                _sift_up(keys, vals, side, size[side], d + sign * pv, v)
                size[side] += 1
        if not done:
            break
    for i in range(labelled):
        dist[touched[i], 0] = dist[touched[i], 1] = np.inf
    for s in blocked:
        dist[s, 0] = dist[s, 1] = np.inf
    return mu, meet, settled, done


def distances_from(ptr: np.ndarray, idx: np.ndarray, weights: np.ndarray,
                   source: int) -> np.ndarray:
    """The cheapest cost from ``source`` to every row of CSR arcs (inf where unreachable)."""
    dist = np.full(len(ptr) - 1, np.inf)
    keys, vals = np.empty((1, len(idx) + 1)), np.empty((1, len(idx) + 1), np.int32)
    _one_to_all(ptr, idx, weights, source, dist, keys, vals)
    return dist


@njit(cache=True, nogil=True)
def _one_to_all(ptr, idx, w, source, dist, keys, vals):  # type: ignore[no-untyped-def]
    """Plain Dijkstra to every row; a row is pushed once per label it improves to, so the
    queue holds at most one entry an arc plus the source."""
    dist[source] = 0.0
    _sift_up(keys, vals, 0, 0, 0.0, source)
    size = 1
    while size > 0:
        u, key = vals[0, 0], keys[0, 0]
        size -= 1
        _drop_top(keys, vals, 0, size)
        if key > dist[u]:
            continue
        for k in range(ptr[u], ptr[u + 1]):
            v, d = idx[k], key + w[k]
            if d < dist[v]:
                dist[v] = d
                _sift_up(keys, vals, 0, size, d, v)
                size += 1


def compile_ahead() -> None:
    """Compile (or load from the cache) the kernels on a two-state graph, with the types of
    :mod:`routing.turnarcs`' arrays (float32 weights) and of :mod:`routing.landmarks`'."""
    ptr, idx, w = np.array([0, 1, 1], np.int32), np.array([1], np.int32), np.ones(1, np.float32)
    back = np.array([0, 0, 1], np.int32), np.array([0], np.int32), w
    table = np.zeros((2, 2), np.float32)
    steer = Bounds(table, np.zeros((1, 2)), np.zeros(1), np.zeros((1, 2)), np.zeros(1))
    for bounds in (None, steer):
        search(Workspace.sized(2), (ptr, idx, w), back, np.array([0]), np.array([0.0]),
               np.array([1]), np.array([0.0]), np.array([], np.int64), bounds)
    distances_from(ptr, idx, w, 0)


if __name__ == "__main__":
    compile_ahead()
