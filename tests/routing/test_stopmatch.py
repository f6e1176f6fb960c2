"""Matching timetable stops to the map's stops: codes before names, names before distance; on the
real stops of the shipped Kaiserslautern extract (Hauptbahnhof poles A-E are 20-60 m apart)."""

from __future__ import annotations

import pytest

from routing.geo import LocalFrame
from routing.model import MapExtract, PlaceRecord
from routing.stopmatch import StopMatch, StopToMatch, match_stops

HBF_A, HBF_B, HBF_C = 2 * 571524030, 2 * 571524033, 2 * 1710115680


@pytest.fixture(scope="module")
def stops(extracts: dict[str, MapExtract]) -> dict[int, PlaceRecord]:
    return {p.id: p for p in extracts["kaiserslautern"].places if p.kind == "stop"}


def shifted(place: PlaceRecord, east_m: float, north_m: float) -> tuple[float, float]:
    """A position a survey might give for ``place``: ``east_m``/``north_m`` away from OSM's."""
    frame = LocalFrame(place.lat, place.lon)
    return frame.to_latlon(east_m, north_m)


def test_the_extract_keeps_the_pole_letters_of_its_stops(stops: dict[int, PlaceRecord]) -> None:
    hbf = sorted((p.ref, p.osm_id) for p in stops.values() if p.name == "Hauptbahnhof")
    assert hbf == [("A", 571524030), ("B", 571524033), ("C", 1710115680), ("D", 1710115670),
                   ("E", 1710115676)]
    assert stops[2 * 269385737].ref is None  # Post: no ref mapped
    assert all(p.local_ref is None for p in stops.values())  # none mapped in 2013


def test_a_pole_letter_beats_a_nearer_pole_of_the_same_name(
    stops: dict[int, PlaceRecord],
) -> None:
    # pole A as a feed surveyed it 20 m west, which is nearer pole C (28 m west of A)
    lat, lon = shifted(stops[HBF_A], -20.0, 0.0)
    by_letter = StopToMatch("hbf-a", "Hauptbahnhof", lat, lon, platform="A")
    by_name = StopToMatch("hbf-?", "Hauptbahnhof", lat, lon)
    assert match_stops([by_letter, by_name], list(stops.values())) == {
        "hbf-a": StopMatch(HBF_A, "platform"), "hbf-?": StopMatch(HBF_C, "name")}


def test_a_stop_code_finds_its_ref_whatever_the_feed_calls_the_stop(
    stops: dict[int, PlaceRecord],
) -> None:
    lat, lon = shifted(stops[HBF_B], 0.0, 40.0)
    stop = StopToMatch("x", "Kaiserslautern Hbf", lat, lon, code="b")
    assert match_stops([stop], list(stops.values())) == {"x": StopMatch(HBF_B, "ref")}


def test_a_code_or_letter_the_map_lacks_falls_back_to_name_then_distance(
    stops: dict[int, PlaceRecord],
) -> None:
    post = stops[2 * 571524037]
    lat, lon = shifted(post, 0.0, 5.0)
    named = StopToMatch("post", "Post", lat, lon, code="4711", platform="Z")
    renamed = StopToMatch("renamed", "Poststraße", lat, lon)
    assert match_stops([named, renamed], list(stops.values())) == {
        "post": StopMatch(post.id, "name"), "renamed": StopMatch(post.id, "distance")}


def test_codes_do_not_reach_further_than_names_do(stops: dict[int, PlaceRecord]) -> None:
    lat, lon = shifted(stops[HBF_A], 0.0, 400.0)
    far = StopToMatch("far", "Hauptbahnhof", lat, lon, code="A", platform="A")
    assert match_stops([far], list(stops.values())) == {}
