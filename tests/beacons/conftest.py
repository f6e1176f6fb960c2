"""Shared fixtures: a real street graph (Neukoelln extract) with a planned beacon layout."""

from __future__ import annotations

import pytest

from beacons.planning import plan_beacons
from beacons.positioning import PositioningMap
from routing.graph import build_graph
from routing.osm import read_osm
from tests.conftest import SHARED_DATA

DATA = SHARED_DATA
NEUKOELLN = DATA / "osm" / "berlin_neukoelln_karl-marx-platz_2024-03-30.osm"


@pytest.fixture(scope="session")
def city_graph():
    extract = read_osm(NEUKOELLN)
    return build_graph(extract.nodes, extract.edges)


@pytest.fixture(scope="session")
def city_beacons(city_graph):
    return plan_beacons(city_graph, spacing_m=10.0)


@pytest.fixture(scope="session")
def city_map(city_graph, city_beacons):
    return PositioningMap(city_graph, city_beacons)
