"""The way ahead, checked against the live map: closures, removed edges, edits (no aiohttp).

A three-node live map under the L-shaped route of test_session.py: edge 10 east, then edge 11
north.
"""

from __future__ import annotations

from beacons.layout import BeaconLayout
from navigator.blocking import blocked_ahead
from navigator.mapstate import MapState
from navigator.session import NavigationSession
from navigator.storage import ClosureWindow, MapSnapshot
from routing.model import EdgeRecord, NodeRecord
from tests.navigator.test_session import fix, l_route, ll, no_replan

NOW = 1_000_000.0


def live_map(edges: list[EdgeRecord] | None = None,
             closures: tuple[ClosureWindow, ...] = ()) -> MapState:
    nodes = [NodeRecord(1, *ll(0, 0)), NodeRecord(2, *ll(60, 0)), NodeRecord(3, *ll(60, 40))]
    if edges is None:
        edges = [EdgeRecord(10, 1, 2, 60.0), EdgeRecord(11, 2, 3, 40.0)]
    return MapState(MapSnapshot(nodes, edges, [], BeaconLayout.of([]), list(closures)))


def walking() -> NavigationSession:
    session = NavigationSession(l_route(), no_replan, lang="en")
    session.on_position(fix(10.0, 0.0, 0.0))
    return session


def test_nothing_is_blocked_on_an_open_map_or_without_a_route() -> None:
    assert blocked_ahead(live_map(), walking(), NOW, recheck_edges=True) == []
    no_route = NavigationSession(None, no_replan)
    assert blocked_ahead(live_map(), no_route, NOW, recheck_edges=True) == []


def test_a_closure_blocks_while_it_is_active_and_only_ahead() -> None:
    closed = live_map(closures=(ClosureWindow(11, NOW - 10, NOW + 10),))
    assert blocked_ahead(closed, walking(), NOW, recheck_edges=False) == [11]
    assert blocked_ahead(closed, walking(), NOW + 10, recheck_edges=False) == []
    assert blocked_ahead(closed, walking(), NOW - 11, recheck_edges=False) == []
    session = walking()
    session.on_position(fix(60.0, 5.0, 60.0))  # around the corner: edge 10 is behind
    behind = live_map(closures=(ClosureWindow(10, NOW - 10, None),))
    assert blocked_ahead(behind, session, NOW, recheck_edges=False) == []


def test_an_edge_removed_from_the_map_blocks() -> None:
    removed = live_map(edges=[EdgeRecord(10, 1, 2, 60.0)])
    assert blocked_ahead(removed, walking(), NOW, recheck_edges=False) == [11]


def test_an_edit_forbidding_the_profile_blocks_when_edges_are_rechecked() -> None:
    edited = live_map(edges=[EdgeRecord(10, 1, 2, 60.0),
                             EdgeRecord(11, 2, 3, 40.0, crossing="no")])
    assert blocked_ahead(edited, walking(), NOW, recheck_edges=True) == [11]
    assert blocked_ahead(edited, walking(), NOW, recheck_edges=False) == []
