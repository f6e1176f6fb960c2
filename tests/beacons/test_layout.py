"""The beacon layout as columns and the positioning map's on-demand edge queries, checked against
brute force on the real Neukoelln graph."""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pytest

from beacons.layout import BeaconLayout
from beacons.model import BeaconId, BeaconKind, BeaconPlacement
from beacons.pathloss import PathLossModel
from beacons.positioning import PIECE_M, Positioner, PositioningMap, PositioningSettings
from routing.graph import build_graph
from routing.model import EdgeRecord, NodeRecord

UUID = "f7826da6-4fa2-4e98-8024-bc5b71e0893e"


def test_layout_round_trips_placements_and_finds_beacons(city_beacons) -> None:
    layout = BeaconLayout.of(city_beacons)
    assert len(layout) == len(city_beacons)
    assert list(layout) == list(city_beacons)
    assert layout[3] == city_beacons[3] and layout[1:3] == list(city_beacons[1:3])
    assert BeaconLayout.of(layout) is layout
    assert layout.rows_of([city_beacons[7].beacon])[0] == 7
    assert layout.rows_of([BeaconId.ibeacon(UUID, 65535, 65535)])[0] is None


def test_layout_keeps_no_level_and_tells_kinds_apart() -> None:
    ib = BeaconPlacement(BeaconId.ibeacon(UUID, 1, 2), 49.44, 7.77, None, -59.0)
    alt = BeaconPlacement(BeaconId.altbeacon(UUID, 1, 2), 49.45, 7.78, 1.0, -61.0)
    layout = BeaconLayout.of([ib, alt])
    assert layout[0].level is None and layout[1].level == 1.0
    assert layout.rows_of([ib.beacon])[0] == 0 and layout.rows_of([alt.beacon])[0] == 1
    assert layout.rows_of([BeaconId(BeaconKind.EDDYSTONE, ib.beacon.ident)])[0] is None


def test_rows_of_looks_up_a_whole_scan_and_refuses_near_misses() -> None:
    a = BeaconPlacement(BeaconId.ibeacon(UUID, 1, 2), 49.44, 7.77, None, -59.0)
    b = BeaconPlacement(BeaconId.ibeacon(UUID, 1, 20), 49.44, 7.77, None, -59.0)
    again = dataclasses.replace(a, lat=49.45)  # listed twice: the later row counts
    layout = BeaconLayout.of([a, b, again])
    longer = BeaconId.ibeacon(UUID, 1, 200)  # a stored id is a prefix of it
    shorter = BeaconId(BeaconKind.IBEACON, a.beacon.ident[:-1])
    assert layout.rows_of([b.beacon, a.beacon, longer, shorter]) == [1, 2, None, None]
    assert BeaconLayout.of([]).rows_of([a.beacon]) == [None]


def test_layout_keeps_ids_outside_ascii() -> None:
    odd = BeaconPlacement(BeaconId(BeaconKind.EDDYSTONE, "straße:01"), 49.44, 7.77, None, -59.0)
    layout = BeaconLayout.of([odd])
    assert layout[0] == odd and layout.rows_of([odd.beacon])[0] == 0
    assert pickle.loads(pickle.dumps(layout))[0] == odd


def test_layout_columns_must_agree() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        BeaconLayout([BeaconKind.IBEACON], ["a:1:2"], [49.0], [7.0, 7.1], [None], [-59.0])


def _all_samples(pmap: PositioningMap) -> tuple[np.ndarray, np.ndarray]:
    edges = np.arange(pmap.length.size)
    counts = pmap.sample_count
    edge = np.repeat(edges, counts)
    k = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    return edge, (k + 0.5) / counts[edge] * pmap.length[edge]


def test_samples_near_are_exactly_the_points_within_the_radius(city_map) -> None:
    edge, offset = _all_samples(city_map)
    xy = city_map.point_xy(edge, offset)
    rng = np.random.default_rng(3)
    for x, y in city_map.node_xy[rng.choice(len(city_map.node_xy), 20)] + rng.normal(0, 15, 2):
        got_edge, got_offset, got_xy = city_map.samples_near(x, y, 30.0)
        want = np.hypot(xy[:, 0] - x, xy[:, 1] - y) <= 30.0
        assert sorted(zip(got_edge.tolist(), got_offset.round(6).tolist(), strict=True)) == sorted(
            zip(edge[want].tolist(), offset[want].round(6).tolist(), strict=True)
        )
        assert np.allclose(got_xy, city_map.point_xy(got_edge, got_offset))


def _brute_nearest(pmap: PositioningMap, p: np.ndarray) -> float:
    a, ab = pmap.a_xy, pmap.b_xy - pmap.a_xy
    t = np.clip(((p - a) * ab).sum(1) / np.maximum((ab * ab).sum(1), 1e-12), 0, 1)
    return float(np.hypot(*(a + t[:, None] * ab - p).T).min())


def test_nearest_on_edges_is_exact(city_map) -> None:
    rng = np.random.default_rng(5)
    points = city_map.node_xy[rng.choice(len(city_map.node_xy), 40)] + rng.normal(0, 40, (40, 2))
    edge, offset, dist = city_map.nearest_on_edges(points)
    for p, e, o, d in zip(points, edge, offset, dist, strict=True):
        assert d == pytest.approx(_brute_nearest(city_map, p), abs=1e-6)
        assert np.hypot(*(city_map.point_xy(np.array([e]), np.array([o]))[0] - p)) == (
            pytest.approx(d, abs=1e-6)
        )


def test_nearest_on_a_long_edge_is_found_from_its_middle() -> None:
    # one 400 m edge (many pieces) and a short one far away: the nearest point is mid-edge
    nodes = [NodeRecord(1, 49.44, 7.76), NodeRecord(2, 49.44, 7.7655),
             NodeRecord(3, 49.45, 7.76), NodeRecord(4, 49.4501, 7.76)]
    edges = [EdgeRecord(1, 1, 2, 400.0), EdgeRecord(2, 3, 4, 11.0)]
    pmap = PositioningMap(build_graph(nodes, edges), [])
    assert pmap.length[0] > 10 * PIECE_M
    mid = (pmap.a_xy[0] + pmap.b_xy[0]) / 2 + np.array([0.0, 7.0])
    edge, offset, dist = pmap.nearest_on_edges(mid[None, :])
    assert int(edge[0]) == 0 and dist[0] == pytest.approx(7.0, abs=0.01)
    assert offset[0] == pytest.approx(pmap.length[0] / 2, abs=0.01)


def test_calibrated_powers_override_the_layout(city_graph, city_beacons) -> None:
    target = city_beacons[4].beacon
    model = PathLossModel(power_1m_dbm={target: -70.0, "not-a-beacon": -10.0})
    positioner = Positioner(city_graph, city_beacons, PositioningSettings(path_loss=model))
    powers = positioner._power  # noqa: SLF001 - the figure the likelihood uses
    assert powers[4] == -70.0
    others = np.delete(powers, 4)
    assert np.array_equal(others, np.delete(BeaconLayout.of(city_beacons).power, 4))
    assert positioner.map.beacon_power[4] != -70.0  # the shared map is not touched


def test_uncalibrated_walkers_share_one_power_array(city_map) -> None:
    # a city's layout has 500k beacons: a copy per walker would be 4 MB each
    a, b = Positioner(city_map), Positioner(city_map)
    assert a._power is b._power is city_map.beacon_power  # noqa: SLF001



def test_take_keeps_rows_in_order_and_finds_them(city_beacons) -> None:
    layout = BeaconLayout.of(city_beacons)
    mask = np.zeros(len(layout), dtype=bool)
    mask[[2, 5, 9]] = True
    part = layout.take(mask)
    assert list(part) == [city_beacons[i] for i in (2, 5, 9)]
    assert part.rows_of([city_beacons[9].beacon, city_beacons[3].beacon]) == [2, None]


def test_near_path_keeps_exactly_the_beacons_within_reach_of_the_line(city_beacons) -> None:
    from beacons.layout import near_path
    from routing.geo import LocalFrame, project_to_segment

    layout = BeaconLayout.of(city_beacons)
    lats, lons = layout.lat, layout.lon
    path = [(float(lats.min() + 0.3 * np.ptp(lats)), float(lons.min() + 0.2 * np.ptp(lons))),
            (float(lats.min() + 0.6 * np.ptp(lats)), float(lons.min() + 0.5 * np.ptp(lons))),
            (float(lats.min() + 0.4 * np.ptp(lats)), float(lons.min() + 0.8 * np.ptp(lons)))]
    frame = LocalFrame(*path[0])
    pts = [frame.to_xy(la, lo) for la, lo in path]

    def distance_m(p: BeaconPlacement) -> float:
        x, y = frame.to_xy(p.lat, p.lon)
        return min(project_to_segment(x, y, *a, *b)[1] for a, b in zip(pts, pts[1:], strict=False))

    near = near_path(layout, path, 30.0)
    expected = [p for p in city_beacons if distance_m(p) <= 30.0]
    assert 10 < len(expected) < len(city_beacons) / 2
    assert sorted(p.beacon.ident for p in near) == sorted(p.beacon.ident for p in expected)
    around_start = near_path(layout, path[:1], 30.0)  # a single point: a circle round it
    assert {p.beacon for p in around_start} == {
        p.beacon for p in city_beacons if np.hypot(*frame.to_xy(p.lat, p.lon)) <= 30.0}
    assert len(near_path(BeaconLayout.of([]), path, 30.0)) == 0
