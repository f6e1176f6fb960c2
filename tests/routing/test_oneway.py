"""One-way paths for walkers: which tags say so, and both routers refusing the wrong direction."""

from __future__ import annotations

import random

import networkx as nx
import pytest

from routing.compiled import SHORTEST
from routing.decisions import simplest_path_nx, transition_cost_m, turn_expanded
from routing.graph import build_graph, edge_records
from routing.model import EdgeRecord, NodeRecord
from routing.osm import read_osm
from routing.paths import ONE_WAY_RULE, NoAccessibleRoute, Router
from routing.profiles import PROFILES, Profile, edge_cost
from routing.tags import parse_foot_oneway

# 1 -> 2 is 100 m north by a one-way footway (way 30), or 236 m round by 3 and 4 (way 31); a
# one-way road 2 -> 5 (way 32, one-way for cars only); steps 6 -> 5 one-way for walkers against
# their drawing (way 33, the only way to 6); a footway 3 -> 7 whose oneway is lifted for walkers.
ONE_WAY_OSM = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="test">
  <node id="1" lat="52.4800" lon="13.4300"/>
  <node id="2" lat="52.4809" lon="13.4300"/>
  <node id="3" lat="52.4800" lon="13.4310"/>
  <node id="4" lat="52.4809" lon="13.4310"/>
  <node id="5" lat="52.4818" lon="13.4300"/>
  <node id="6" lat="52.4818" lon="13.4290"/>
  <node id="7" lat="52.4800" lon="13.4320"/>
  <way id="30"><nd ref="1"/><nd ref="2"/>
    <tag k="highway" v="footway"/><tag k="oneway" v="yes"/><tag k="surface" v="asphalt"/>
  </way>
  <way id="31"><nd ref="1"/><nd ref="3"/><nd ref="4"/><nd ref="2"/>
    <tag k="highway" v="footway"/><tag k="surface" v="asphalt"/>
  </way>
  <way id="32"><nd ref="2"/><nd ref="5"/>
    <tag k="highway" v="residential"/><tag k="oneway" v="yes"/><tag k="sidewalk" v="both"/>
  </way>
  <way id="33"><nd ref="5"/><nd ref="6"/>
    <tag k="highway" v="steps"/><tag k="oneway:foot" v="-1"/><tag k="handrail" v="yes"/>
  </way>
  <way id="34"><nd ref="3"/><nd ref="7"/>
    <tag k="highway" v="footway"/><tag k="oneway" v="yes"/><tag k="oneway:foot" v="no"/>
  </way>
</osm>
"""


@pytest.mark.parametrize(("tags", "expected"), [
    ({"highway": "footway", "oneway": "yes"}, "yes"),
    ({"highway": "path", "oneway": "-1"}, "-1"),
    ({"highway": "steps", "oneway": "1"}, "yes"),
    ({"highway": "footway", "oneway": "no"}, "no"),
    ({"highway": "footway", "oneway": "reversible"}, None),
    ({"highway": "footway"}, None),
    ({"highway": "residential", "oneway": "yes"}, None),  # cars only
    ({"highway": "pedestrian", "oneway": "yes"}, None),  # the vehicles let into the zone
    ({"highway": "cycleway", "foot": "designated", "oneway": "yes"}, None),  # cyclists
    ({"highway": "residential", "oneway": "yes", "oneway:foot": "yes"}, "yes"),
    ({"highway": "footway", "oneway": "yes", "oneway:foot": "no"}, "no"),
    ({"highway": "pedestrian", "foot:backward": "no"}, "yes"),
    ({"highway": "footway", "foot:forward": "no"}, "-1"),
])
def test_which_tags_make_a_way_one_way_for_walkers(tags, expected):
    assert parse_foot_oneway(tags) == expected


@pytest.fixture(scope="module")
def one_way_graph(tmp_path_factory) -> nx.MultiGraph:
    path = tmp_path_factory.mktemp("osm") / "oneway.osm"
    path.write_text(ONE_WAY_OSM, encoding="utf-8")
    extract = read_osm(path)
    return build_graph(extract.nodes, extract.edges)


def _edge_of_way(graph: nx.MultiGraph, way: int) -> EdgeRecord:
    return next(e for e in edge_records(graph) if e.osm_way_id == way)


def test_import_keeps_the_walkers_one_way_rule_relative_to_the_drawing(one_way_graph):
    rules = {e.osm_way_id: e.oneway for e in edge_records(one_way_graph)}
    assert rules == {30: "yes", 31: None, 32: None, 33: "-1", 34: "no"}
    footway = _edge_of_way(one_way_graph, 30)
    assert (footway.u, footway.v) == (1, 2)
    cane = PROFILES["blind_cane"]
    assert edge_cost(footway, cane) < edge_cost(footway, cane, backwards=True) == float("inf")


@pytest.mark.parametrize("decisions", [True, False])
@pytest.mark.parametrize("profile", list(PROFILES))
def test_both_routers_walk_a_one_way_path_only_its_way(one_way_graph, profile, decisions):
    router = Router(one_way_graph)
    along = _edge_of_way(one_way_graph, 30).id
    forth = router.shortest_path(1, 2, profile, decisions=decisions)
    back = router.shortest_path(2, 1, profile, decisions=decisions)
    assert forth is not None and back is not None
    assert forth[:2] == ([1, 2], [along])
    assert back[0] == [2, 4, 3, 1]
    steps_allowed = PROFILES[profile].allow_steps
    assert (router.shortest_path(6, 5, profile, decisions=decisions) is not None) == steps_allowed
    assert router.shortest_path(5, 6, profile, decisions=decisions) is None
    # the car one-way road is walked both ways
    assert router.shortest_path(5, 2, profile, decisions=decisions) is not None
    assert router.shortest_path(7, 3, profile, decisions=decisions) is not None
    if decisions:
        p = PROFILES[profile]
        for a, b in ((1, 2), (2, 1), (6, 5), (5, 6), (5, 1)):
            ref, mine = simplest_path_nx(one_way_graph, a, b, p), router.shortest_path(a, b,
                                                                                      profile)
            assert (ref is None) == (mine is None), (a, b)
            if ref is not None and mine is not None:
                assert mine[:2] == ref[:2] and mine[2] == pytest.approx(ref[2], rel=1e-4)


def test_plain_distance_ignores_one_way_rules(one_way_graph):
    """SHORTEST is the no-rules baseline that explains refusals."""
    router = Router(one_way_graph)
    found = router.shortest_path(2, 1, SHORTEST)
    assert found is not None and found[0] == [2, 1]


def _point_on(graph: nx.MultiGraph, edge: EdgeRecord, share: float) -> tuple[float, float]:
    a, b = graph.nodes[edge.u], graph.nodes[edge.v]
    return a["lat"] + share * (b["lat"] - a["lat"]), a["lon"] + share * (b["lon"] - a["lon"])


def test_points_on_a_one_way_path(one_way_graph):
    router = Router(one_way_graph)
    footway = _edge_of_way(one_way_graph, 30)
    low, high = _point_on(one_way_graph, footway, 0.3), _point_on(one_way_graph, footway, 0.7)
    up = router.route(low, high)
    assert up.edges == (footway.id,) and up.length_m == pytest.approx(40, abs=0.5)
    down = router.route(high, low)  # on to node 2, round by 4 and 3, back along from node 1
    assert down.nodes == (2, 4, 3, 1) and down.length_m == pytest.approx(30 + 236 + 30, abs=1)
    steps = _edge_of_way(one_way_graph, 33)
    with pytest.raises(NoAccessibleRoute) as err:
        router.route(_point_on(one_way_graph, steps, 0.2), _point_on(one_way_graph, steps, 0.8))
    assert err.value.rule == ONE_WAY_RULE
    with pytest.raises(NoAccessibleRoute) as err:
        router.route(_point_on(one_way_graph, footway, 0.9), _point_on(one_way_graph, steps, 0.8))
    assert err.value.rule == ONE_WAY_RULE
    assert router.route(_point_on(one_way_graph, steps, 0.8), _point_on(one_way_graph, steps,
                                                                        0.2)).edges == (steps.id,)


def _with_one_ways(graph: nx.MultiGraph, seed: int, share: float) -> nx.MultiGraph:
    """A copy where ``share`` of the edges are one-way for walkers (as ``oneway:foot`` would
    make any of them), half of them against their drawing."""
    rng = random.Random(seed)
    edges = [e._replace(oneway=rng.choice(("yes", "-1"))) if rng.random() < share else e
             for e in edge_records(graph)]
    nodes = [NodeRecord(n, d["lat"], d["lon"]) for n, d in graph.nodes(data=True)]
    return build_graph(nodes, edges)


def _directed_reference(graph: nx.MultiGraph, name: str) -> nx.DiGraph:
    """Edge costs only, each direction on its own: the node search's reference."""
    p, out = PROFILES[name], nx.DiGraph()
    out.add_nodes_from(graph.nodes)
    for e in edge_records(graph):
        for a, b, back in ((e.u, e.v, False), (e.v, e.u, True)):
            cost = edge_cost(e, p, backwards=back)
            if cost < out.get_edge_data(a, b, {"w": float("inf")})["w"]:
                out.add_edge(a, b, w=cost)
    return out


def test_routers_equal_the_references_on_random_pairs_with_one_way_paths(graphs):
    city = _with_one_ways(graphs["kaiserslautern"], seed=18, share=0.15)
    assert sum(e.oneway is not None for e in edge_records(city)) > 200
    router = Router(city)
    rng = random.Random(13)
    ids = sorted(max(nx.connected_components(city), key=len))
    refused = 0
    for name in ("blind_cane", "wheelchair"):
        p = PROFILES[name]
        expanded = turn_expanded(city, p)
        plain = _directed_reference(city, name)
        for _ in range(15):
            a, b = rng.sample(ids, 2)
            ref, mine = simplest_path_nx(city, a, b, p, expanded), router.shortest_path(a, b, name)
            assert (ref is None) == (mine is None), (name, a, b)
            refused += ref is None
            if ref is not None and mine is not None:
                assert mine[2] == pytest.approx(ref[2], rel=1e-4), (name, a, b)
            edges_only = router.shortest_path(a, b, name, decisions=False)
            try:
                expected = nx.shortest_path_length(plain, a, b, weight="w")
            except nx.NetworkXNoPath:
                assert edges_only is None, (name, a, b)
                continue
            assert edges_only is not None and edges_only[2] == pytest.approx(expected, rel=1e-6)
    assert refused < 30  # the pairs test routes, not only refusals


def _reference_price(expanded: nx.DiGraph, graph: nx.MultiGraph, walk: tuple[list[int], list[int],
                     float], p: Profile) -> float:
    """What the reference model pays for this very walk: its first edge from the start, then
    each arc of the turn-expanded graph (KeyError when a step is not allowed there, e.g. the
    wrong way along a one-way path)."""
    nodes, edges, _ = walk
    first = graph.edges[nodes[0], nodes[1], edges[0]]["edge"]
    total = edge_cost(first, p, backwards=first.u != nodes[0]) + transition_cost_m(
        None, first, 0.0, p.decisions)
    for i in range(1, len(edges)):
        came, goes = (nodes[i - 1], nodes[i], edges[i - 1]), (nodes[i], nodes[i + 1], edges[i])
        total += expanded[came][goes]["weight"]
    return total


@pytest.mark.parametrize("name", ["blind_cane", "wheelchair"])
def test_live_routes_with_one_way_paths_and_closures_equal_the_reference(graphs, name):
    """The compiled search against the reference with one-way paths and closures together; each
    route is a walk the reference allows and prices at the cost the router reports."""
    city = _with_one_ways(graphs["kaiserslautern"], seed=21, share=0.15)
    router, p = Router(city), PROFILES[name]
    expanded = turn_expanded(city, p)
    rng = random.Random(17)
    ids = sorted(max(nx.connected_components(city), key=len))
    checked = 0
    for _ in range(10):
        a, b = rng.sample(ids, 2)
        open_ = router.shortest_path(a, b, name)
        if open_ is None or len(open_[1]) < 3:
            continue
        closed = frozenset(rng.sample(open_[1], 2))
        without = build_graph([NodeRecord(n, d["lat"], d["lon"]) for n, d in city.nodes(data=True)],
                              [e for e in edge_records(city) if e.id not in closed])
        ref = simplest_path_nx(without, a, b, p)
        mine = router.shortest_path(a, b, name, closed_edges=closed)
        assert (ref is None) == (mine is None), (a, b, closed)
        for walk in (open_, mine):
            if walk is not None:
                assert (walk[0][0], walk[0][-1]) == (a, b)
                assert _reference_price(expanded, city, walk, p) == pytest.approx(walk[2],
                                                                                  rel=1e-4)
        if ref is not None and mine is not None:
            assert not closed & set(mine[1])
            assert mine[2] == pytest.approx(ref[2], rel=1e-4), (a, b, closed)
            checked += 1
    assert checked >= 5
