"""Can the way ahead still be walked? The edges of a walker's route that a closure, a removed edge
or an edit now forbids.

Pure: the live map and the time are passed in. The WebSocket asks at every fix and lets the
:class:`~navigator.session.NavigationSession` decide whether that is news (it remembers which
blocked edges it already acted on).
"""

from __future__ import annotations

from navigator.mapstate import MapState
from navigator.session import NavigationSession
from routing.graph import edge_or_none
from routing.profiles import PROFILES, blocking_rule


def blocked_ahead(mapstate: MapState, nav: NavigationSession, now_ts: float,
                  recheck_edges: bool) -> list[int]:
    """Edges of the route still ahead that may not be walked any more: closed now, removed from
    the map, or (checked when ``recheck_edges``, i.e. after a map edit) forbidden for the route's
    profile by their new attributes."""
    if nav.route is None:
        return []
    ahead = nav.edges_ahead()
    closed = mapstate.closed_edges(now_ts)
    profile = PROFILES[nav.route.profile]
    out = []
    for edge_id in ahead:
        edge = edge_or_none(mapstate.graph, edge_id)
        if edge_id in closed or edge is None or (recheck_edges and blocking_rule(edge, profile)):
            out.append(edge_id)
    return out
