"""Alternative routes: the recommended one first, then different ones, and what each trades."""

from __future__ import annotations

import pytest

from routing.alternatives import Tradeoff, alternative_routes, tradeoff
from routing.paths import Router
from routing.simplicity import simplicity_report
from tests.routing.conftest import latlon
from tests.routing.test_decisions import _staircase_or_straight
from tests.routing.test_paths import NEUKOELLN_SIGNALS


def test_the_simplest_and_the_shortest_differ_and_both_are_offered():
    g = _staircase_or_straight()
    router = Router(g)
    routes = alternative_routes(router, latlon(0, 0), latlon(100, 300), "blind_cane", 2)
    assert [r.nodes for r in routes] == [(1, 2, 6, 7, 9), (1, 2, 3, 4, 5, 9)]
    simple, short = (simplicity_report(g, r) for r in routes)
    t = tradeoff(simple, short)
    assert round(t.length_diff_m, 1) == -22.5 and (simple.turns, short.turns) == (1, 4)
    assert t == Tradeoff(t.length_diff_m, 3, 0, 0)
    assert alternative_routes(router, latlon(0, 0), latlon(100, 300), "blind_cane", 0) == [
        routes[0]]


def test_alternatives_on_a_real_street_count_crossings_without_signal(graphs, routers):
    g, router = graphs["neukoelln"], routers["neukoelln"]
    routes = alternative_routes(router, *NEUKOELLN_SIGNALS, "blind_cane", 2)
    assert 2 <= len(routes) <= 3 and len({r.edges for r in routes}) == len(routes)
    best = simplicity_report(g, routes[0])
    assert best.crossings["signalled_sound"] == 1
    assert tradeoff(best, best).unsignalled_crossings == 1  # the marked one
    for other in routes[1:]:
        t = tradeoff(best, simplicity_report(g, other))
        assert t.length_diff_m == pytest.approx(other.length_m - routes[0].length_m, abs=0.01)
