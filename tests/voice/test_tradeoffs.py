"""Trade-offs in plain words, German and English, exactly."""

from __future__ import annotations

import pytest

from routing.alternatives import Tradeoff, alternative_routes, tradeoff
from routing.paths import Router
from routing.simplicity import simplicity_report
from tests.routing.conftest import latlon
from tests.routing.test_decisions import _staircase_or_straight
from voice.tradeoffs import phrase_tradeoff


@pytest.mark.parametrize(("t", "en", "de"), [
    (Tradeoff(83.0, -3, 2, 0), "80 m longer, 3 fewer turns, only signalled crossings",
     "80 m länger, 3 Abbiegungen weniger, nur Übergänge mit Ampel"),
    (Tradeoff(-146.0, 1, 3, 1), "150 m shorter, 1 more turn, 1 crossing without traffic light",
     "150 m kürzer, 1 Abbiegung mehr, 1 Übergang ohne Ampel"),
    (Tradeoff(6.0, -1, 4, 2), "about as long, 1 fewer turn, 2 crossings without traffic light",
     "etwa gleich lang, 1 Abbiegung weniger, 2 Übergänge ohne Ampel"),
    (Tradeoff(-9.9, 0, 0, 0), "about as long, as many turns, no crossings",
     "etwa gleich lang, gleich viele Abbiegungen, keine Straßenüberquerung"),
])
def test_tradeoff_sentences(t, en, de):
    assert phrase_tradeoff(t, "en") == en
    assert phrase_tradeoff(t, "de") == de


def test_the_recommended_route_says_what_it_is():
    t = Tradeoff(0.0, 0, 2, 0)
    assert phrase_tradeoff(t, "en", recommended=True) == (
        "the simplest route, only signalled crossings")
    assert phrase_tradeoff(t, "de", recommended=True) == (
        "die einfachste Route, nur Übergänge mit Ampel")


def test_the_simplest_and_the_shortest_route_in_words():
    g = _staircase_or_straight()
    simple, short = (simplicity_report(g, r) for r in alternative_routes(
        Router(g), latlon(0, 0), latlon(100, 300), "blind_cane", 2))
    assert phrase_tradeoff(tradeoff(simple, short), "en") == (
        "20 m shorter, 3 more turns, no crossings")
    assert phrase_tradeoff(tradeoff(simple, short), "de") == (
        "20 m kürzer, 3 Abbiegungen mehr, keine Straßenüberquerung")
