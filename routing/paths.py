"""Path search: snap points to the network and find the cheapest route under a profile.

Queries run on :class:`~routing.compiled.CompiledGraph` with scipy's C Dijkstra, bidirectionally
and bounded: both ends search up to a radius ``r`` (``limit``); the best meeting edge gives a cost
``mu``, which is provably optimal when ``mu <= 2 r`` (the optimal path's midpoint then lies in
both balls); otherwise the radius grows to ``mu / 2`` and the search repeats. Snapped points split
their edges virtually: each end seeds the search from both ends of its edge with the partial
costs. Closures are a per-query copy of the cost array with their entries set to infinity.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain

import networkx as nx
import numpy as np
from scipy.sparse.csgraph import dijkstra

from routing.columns import GraphColumns
from routing.compiled import SHORTEST, CompiledGraph, Snap
from routing.geo import haversine_m
from routing.maneuvers import build_maneuvers
from routing.model import EdgeRecord, NodeRecord, PlaceRecord, Route
from routing.profiles import DEFAULT_PROFILE, PROFILES, blocking_rule, get_profile
from routing.tags import against_oneway
from routing.turngraph import TurnGraph, has_decision_costs

SNAP_MAX_DISTANCE_M = 50.0
SNAP_WARN_DISTANCE_M = 15.0
_AT_NODE_M = 0.05
_ATTEMPTS = 4


class RoutingError(ValueError):
    """A route request that cannot be served; ``code`` is the API error code."""

    code = "routing_error"


class TooFarFromNetwork(RoutingError):
    code = "too_far_from_network"


class NoAccessibleRoute(RoutingError):
    """No path under the profile; ``rule`` says what blocked it."""

    code = "no_accessible_route"

    def __init__(self, rule: str) -> None:
        super().__init__(f"no accessible route: {rule}")
        self.rule = rule


class UnknownProfile(RoutingError):
    code = "unknown_profile"


def _check_profile(name: str) -> None:
    try:
        get_profile(name)
    except ValueError as err:
        raise UnknownProfile(str(err)) from None


@dataclass(frozen=True, slots=True)
class _Found:
    cost: float
    nodes: list[int]  # node indices
    entries: list[int]  # CSR entry positions between consecutive nodes


Seed = tuple[int, float]  # (node index, cost already spent to reach it)


class Router:
    """Serves route queries from a compiled copy of the graph; edits patch it in place.

    Reads are thread-safe: a lock makes each query see the arrays either before or after an edit.
    """

    def __init__(self, graph: nx.MultiGraph, columns: GraphColumns | None = None) -> None:
        """``columns``: the graph's own, when the caller has them (:mod:`routing.columns`)."""
        self.graph = graph
        self._lock = threading.RLock()
        self._c = CompiledGraph(graph, PROFILES, columns)
        self._cost_per_m = self._c.median_costs_per_m()
        self._turns = TurnGraph(self._c, PROFILES)

    # ---- edits ---------------------------------------------------------------------------------

    def update_edge(self, edge: EdgeRecord) -> None:
        """Insert or replace one edge in the compiled form (the caller updates the nx graph)."""
        with self._lock:
            self._c.put_edge(edge)

    def remove_edge(self, edge_id: int) -> None:
        with self._lock:
            self._c.remove_edge(edge_id)

    def add_node(self, node: NodeRecord) -> None:
        """Insert or move a node."""
        with self._lock:
            self._c.put_node(node)

    def remove_node(self, node_id: int) -> None:
        """Remove a node and its edges."""
        with self._lock:
            self._c.remove_node(node_id)

    # ---- snapping ------------------------------------------------------------------------------

    def snap(self, lat: float, lon: float, max_distance_m: float = SNAP_MAX_DISTANCE_M) -> Snap:
        """The nearest point on any edge; TooFarFromNetwork beyond ``max_distance_m``."""
        with self._lock:
            found = self._c.nearest(lat, lon, max_distance_m)
        if found is None:
            raise TooFarFromNetwork(
                f"({lat:.6f}, {lon:.6f}) is more than {max_distance_m:g} m from any walkable path"
            )
        return found

    # ---- search --------------------------------------------------------------------------------

    def shortest_path(
        self,
        source: int,
        target: int,
        profile: str = DEFAULT_PROFILE,
        closed_edges: frozenset[int] = frozenset(),
        decisions: bool = True,
    ) -> tuple[list[int], list[int], float] | None:
        """Cheapest node-to-node path as (node ids, edge ids, cost), or None if unreachable.

        ``profile`` may also be ``SHORTEST``: plain distance with no rules. ``decisions=False``
        leaves out the decision-point costs (a baseline for benchmarks).
        """
        if profile != SHORTEST:
            _check_profile(profile)
        with self._lock:
            c = self._c
            s, t = c.index_of(source), c.index_of(target)
            if decisions and _turns_matter(profile):
                turned = self._turns.path(profile, s, t, closed_edges)
                found = None if turned is None else _Found(turned.cost, turned.nodes,
                                                           turned.entries)
            else:
                data = c.entry_costs(profile, closed_edges)
                found = self._search(data, [(s, 0.0)], [(t, 0.0)], self._radius(profile, s, t),
                                     self._directed(profile))
            if found is None:
                return None
            return c.node_ids_of(found.nodes), c.edge_ids_at(found.entries), found.cost

    def _directed(self, profile: str) -> bool:
        """Whether the profile's costs differ by direction: uphill and downhill, or one-way
        paths (which ``SHORTEST``, plain distance, ignores)."""
        p = PROFILES.get(profile)
        if p is None:
            return False
        return p.uphill_per_pct > 0 or p.downhill_per_pct > 0 or self._c.has_one_way

    def _radius(self, profile: str, s: int, t: int) -> float:
        """First guess of the search radius: half the straight-line cost, plus some detour."""
        return max(50.0, 0.6 * self._c.straight_m(s, t) * self._cost_per_m[profile])

    def _search(
        self, data: np.ndarray, fwd: list[Seed], bwd: list[Seed], radius: float,
        directed: bool = False,
    ) -> _Found | None:
        """Bounded bidirectional Dijkstra, widening the bound until the meeting cost is proven.
        ``directed``: costs differ by direction, so the search from the end runs on the reversed
        costs (else one scipy call serves both ends)."""
        csr = self._c.adjacency
        matrix = csr.matrix(data)
        back = csr.matrix(csr.reversed_costs(data)) if directed else None
        seeds = [i for i, _ in fwd] + [i for i, _ in bwd]
        for attempt in range(_ATTEMPTS):
            limit = np.inf if attempt == _ATTEMPTS - 1 else radius
            if back is None:
                dist, pred = dijkstra(matrix, directed=True, indices=seeds, limit=limit,
                                      return_predecessors=True)
            else:
                parts = [dijkstra(m, directed=True, indices=[i for i, _ in ends], limit=limit,
                                  return_predecessors=True)
                         for m, ends in ((matrix, fwd), (back, bwd))]
                dist, pred = np.vstack([d for d, _ in parts]), np.vstack([p for _, p in parts])
            f_all = dist[: len(fwd)] + np.array([o for _, o in fwd])[:, None]
            b_all = dist[len(fwd) :] + np.array([o for _, o in bwd])[:, None]
            f, b = f_all.min(axis=0), b_all.min(axis=0)
            mu, a, b_node = self._meet(data, f, b)
            if math.isfinite(mu) and (mu <= 2 * radius or limit == np.inf):
                f_row, b_row = int(f_all[:, a].argmin()), int(b_all[:, b_node].argmin())
                head = _walk(pred[f_row], a)[::-1]
                tail = _walk(pred[len(fwd) + b_row], b_node)
                nodes = head + tail[1:] if a == b_node else head + tail
                return _Found(mu, nodes, self._entries(data, nodes))
            if limit == np.inf:
                return None
            radius = mu / 2 if math.isfinite(mu) else radius * 3
        return None

    def _meet(self, data: np.ndarray, f: np.ndarray, b: np.ndarray) -> tuple[float, int, int]:
        """Cheapest join of the two searches: at a node (a == b), or over one edge a -> b."""
        through = f + b
        node = int(np.argmin(through))
        best = (float(through[node]), node, node)
        rows = np.flatnonzero(np.isfinite(f))
        pos, group, cols = self._c.adjacency.row_entries(rows)
        if len(pos):
            row_of = rows[group]
            total = f[row_of] + data[pos] + b[cols]
            k = int(np.argmin(total))
            if total[k] < best[0]:
                best = (float(total[k]), int(row_of[k]), int(cols[k]))
        return best

    def _entries(self, data: np.ndarray, nodes: list[int]) -> list[int]:
        """The cheapest CSR entry between each pair of consecutive nodes (parallel edges)."""
        if len(nodes) < 2:
            return []
        heads, tails = np.array(nodes[:-1]), np.array(nodes[1:])
        pos, pair, cols = self._c.adjacency.row_entries(heads)
        costs = np.where(cols == tails[pair], data[pos], np.inf)
        order = np.lexsort((costs, pair))
        first = np.searchsorted(pair[order], np.arange(len(heads)))
        return [int(p) for p in pos[order[first]]]

    # ---- routes --------------------------------------------------------------------------------

    def route(
        self,
        from_latlon: tuple[float, float],
        to_latlon: tuple[float, float],
        profile: str = DEFAULT_PROFILE,
        closed_edges: frozenset[int] = frozenset(),
        places: Sequence[PlaceRecord] = (),
        decisions: bool = True,
    ) -> Route:
        """Plan a walk between two points; raises TooFarFromNetwork or NoAccessibleRoute.

        ``coordinates`` run from the snapped start through every node to the snapped end, and
        ``edges[i]`` joins ``coordinates[i]`` and ``coordinates[i + 1]`` (the first and last edge
        are walked in part); ``nodes`` are the graph nodes passed, in order.
        """
        _check_profile(profile)
        with self._lock:
            start, end, found = self._plan(from_latlon, to_latlon, profile, closed_edges,
                                           decisions)
            nodes = self._c.node_ids_of(found.nodes)
            inner = self._c.edge_ids_at(found.entries)
        points = [self._node_latlon(n) for n in nodes]
        has_start = not nodes or _gap_m(start, points[0]) > _AT_NODE_M
        has_end = not nodes or _gap_m(end, points[-1]) > _AT_NODE_M
        edges = [start.edge_id] * has_start + inner + [end.edge_id] * (has_end and bool(nodes))
        points = [(start.lat, start.lon)] * has_start + points + [(end.lat, end.lon)] * has_end
        maneuvers = build_maneuvers(
            self.graph,
            nodes,
            edges,
            places,
            start=points[0] if has_start else None,
            end=points[-1] if has_end else None,
            destination=to_latlon,
        )
        warnings = tuple(
            f"the {which} point is {s.distance_m:.0f} m from the nearest path"
            for which, s in (("start", start), ("end", end))
            if s.distance_m > SNAP_WARN_DISTANCE_M
        )
        return Route(
            nodes=tuple(nodes),
            edges=tuple(edges),
            length_m=maneuvers[-1].along_m,
            cost=found.cost,
            profile=profile,
            maneuvers=tuple(maneuvers),
            coordinates=tuple(points),
            warnings=warnings,
        )

    def _node_latlon(self, node_id: int) -> tuple[float, float]:
        d = self.graph.nodes[node_id]
        return d["lat"], d["lon"]

    def _plan(
        self,
        from_latlon: tuple[float, float],
        to_latlon: tuple[float, float],
        profile: str,
        closed: frozenset[int],
        decisions: bool = True,
    ) -> tuple[Snap, Snap, _Found]:
        """Snap both ends to edges usable under the profile and search; explain any failure."""
        c = self._c
        usable = c.edge_costs(profile, closed)
        ends = []
        for lat, lon in (from_latlon, to_latlon):
            snap = c.nearest(lat, lon, SNAP_MAX_DISTANCE_M, usable)
            if snap is None:
                any_edge = self.snap(lat, lon)  # raises TooFarFromNetwork
                rule = self._rule_for(any_edge.edge_id, profile, closed)
                raise NoAccessibleRoute(rule or f"the path here is blocked for {profile}")
            ends.append(snap)
        start, end = ends
        data = c.entry_costs(profile, closed)
        fwd, bwd = self._seeds(start, data), self._seeds(end, data, arriving=False)
        if decisions and _turns_matter(profile):
            turned = self._turns.path(profile, start, end, closed)
            found = None if turned is None else _Found(turned.cost, turned.nodes, turned.entries)
        else:
            radius = self._radius(profile, fwd[0][0], bwd[0][0])
            found = self._search(data, fwd, bwd, radius, self._directed(profile))
        direct = self._same_edge_cost(start, end, data)
        if direct is not None and (found is None or direct <= found.cost):
            return start, end, _Found(direct, [], [])
        if found is None:
            raise NoAccessibleRoute(self._explain(start, end, profile, closed))
        return start, end, found

    def _seeds(self, snap: Snap, data: np.ndarray, arriving: bool = True) -> list[Seed]:
        """The snapped edge's ends with the cost of walking to each from the snapped point (from
        each to the point when not ``arriving``)."""
        c = self._c
        edge = c.edge(snap.edge_id)
        to_u = c.cost_in(data, snap.edge_id, backwards=arriving)
        to_v = c.cost_in(data, snap.edge_id, backwards=not arriving)
        share = snap.offset_m / edge.length_m if edge.length_m > 0 else 0.0
        u, v = c.ends(snap.edge_id)
        if share * edge.length_m <= _AT_NODE_M:
            return [(u, 0.0)]
        if (1 - share) * edge.length_m <= _AT_NODE_M:
            return [(v, 0.0)]
        return [(u, to_u * share), (v, to_v * (1 - share))]

    def _same_edge_cost(self, start: Snap, end: Snap, data: np.ndarray) -> float | None:
        """The cost of walking straight along the edge both ends are on, if it may be walked."""
        if start.edge_id != end.edge_id:
            return None
        c = self._c
        backwards = end.offset_m < start.offset_m
        per_m = c.cost_in(data, start.edge_id, backwards) / max(c.edge(start.edge_id).length_m,
                                                                 1e-9)
        cost = abs(end.offset_m - start.offset_m) * per_m
        return cost if math.isfinite(cost) else None

    def _rule_for(self, edge_id: int, profile: str, closed: frozenset[int]) -> str | None:
        """The hard rule (or closure) that makes this edge unusable, if any."""
        if edge_id in closed:
            return "the path here is closed"
        return blocking_rule(self._c.edge(edge_id), PROFILES[profile])

    def _explain(self, start: Snap, end: Snap, profile: str, closed: frozenset[int]) -> str:
        """Why no route: search by plain distance and name the first rule on that path."""
        c = self._c
        for data, reason in (
            (c.entry_costs(SHORTEST, closed), None),
            (c.entry_costs(SHORTEST), "every way between the two points is closed"),
        ):
            fwd, bwd = self._seeds(start, data), self._seeds(end, data)
            found = self._search(data, fwd, bwd, self._radius(SHORTEST, fwd[0][0], bwd[0][0]))
            if found is None:
                continue
            if reason is not None:
                return reason
            edges = [start.edge_id, *c.edge_ids_at(found.entries), end.edge_id]
            rules: Iterable[str | None] = (self._rule_for(e, profile, closed) for e in edges)
            if any(against_oneway(c.edge(e), back) for e, back in self._walked(start, end,
                                                                                found)):
                rules = chain(rules, [ONE_WAY_RULE])
            return next((r for r in rules if r), f"the route is blocked for {profile}")
        return "the two points are not connected by walkable paths"

    def _walked(self, start: Snap, end: Snap, found: _Found) -> list[tuple[int, bool]]:
        """The edges of a path between snapped points, each with whether it is walked v -> u
        (the snapped edges only when walked in part: an end may sit on a node)."""
        c = self._c
        walked = [(e, pos == c.directed_entries(e)[1])
                  for pos, e in zip(found.entries, c.edge_ids_at(found.entries), strict=True)]
        if found.nodes:
            for snap, node, leaving in ((start, found.nodes[0], True),
                                        (end, found.nodes[-1], False)):
                length = c.edge(snap.edge_id).length_m
                if _AT_NODE_M < snap.offset_m < length - _AT_NODE_M:
                    at_u = node == c.ends(snap.edge_id)[0]
                    walked.append((snap.edge_id, at_u == leaving))
        return walked


#: Why a route that only a one-way path could make is refused.
ONE_WAY_RULE = "a path on the way is one-way for walkers (oneway) and leads the other way"


def _turns_matter(profile: str) -> bool:
    return profile in PROFILES and has_decision_costs(PROFILES[profile])


def _walk(pred: np.ndarray, node: int) -> list[int]:
    """Follow a predecessor row from ``node`` back to its search's seed."""
    out = [node]
    while pred[node] >= 0:
        node = int(pred[node])
        out.append(node)
    return out


def _gap_m(snap: Snap, point: tuple[float, float]) -> float:
    return haversine_m(snap.lat, snap.lon, point[0], point[1])
