"""Import limits: a file too big for the loader is refused while it is read, naming the limit."""

from __future__ import annotations

import bz2
import gzip
from pathlib import Path

import pytest

from routing.limits import MAX_WAY_NODES, ImportLimits, LimitExceeded
from routing.osm import read_osm
from tests.conftest import KAISERSLAUTERN


def osm_xml(ways: list[list[tuple[float, float]]], padding: str = "") -> bytes:
    """Footways through the given (lat, lon) points, each point a node of its own."""
    nodes, way_xml, next_id = [], [], 1
    for w, points in enumerate(ways, 1):
        refs = []
        for lat, lon in points:
            nodes.append(f'<node id="{next_id}" lat="{lat:.7f}" lon="{lon:.7f}"/>')
            refs.append(f'<nd ref="{next_id}"/>')
            next_id += 1
        way_xml.append(f'<way id="{w}">{"".join(refs)}<tag k="highway" v="footway"/></way>')
    return (f'<osm version="0.6">{padding}' + "".join(nodes) + "".join(way_xml)
            + "</osm>").encode()


def refused(path: Path, **limits: object) -> LimitExceeded:
    with pytest.raises(LimitExceeded) as info:
        read_osm(path, limits=ImportLimits(**limits))  # type: ignore[arg-type]
    return info.value


def test_the_real_extracts_fit_the_default_limits() -> None:
    assert len(read_osm(KAISERSLAUTERN).nodes) > 1000


def test_a_way_longer_than_osm_allows_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "long_way.osm"
    path.write_bytes(osm_xml([[(49.0 + i * 1e-5, 7.0) for i in range(MAX_WAY_NODES + 1)]]))
    err = refused(path)
    assert err.limit == "max_way_nodes" and "way 1 has 2001 nodes" in str(err)


@pytest.mark.parametrize(("limit", "value"), [("max_nodes", 1000), ("max_ways", 100)])
def test_too_many_walkable_nodes_or_ways_are_refused(limit: str, value: int) -> None:
    err = refused(KAISERSLAUTERN, **{limit: value})
    assert err.limit == limit and f"{value:,}" in str(err)


def test_one_57_km_segment_is_refused(tmp_path: Path) -> None:
    """Reported: a 208-byte file with one 57 km segment cost +285 MB to load."""
    path = tmp_path / "segment.osm"
    path.write_bytes(osm_xml([[(49.0, 7.0), (49.4, 7.5)]]))
    err = refused(path)
    assert err.limit == "max_segment_m" and "57.4 km" in str(err)


def test_a_map_wider_than_a_city_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "two_towns.osm"
    path.write_bytes(osm_xml([[(49.0, 7.0), (49.0001, 7.0)], [(49.0, 9.0), (49.0001, 9.0)]]))
    err = refused(path)
    assert err.limit == "max_extent_km" and "146 x 0 km" in str(err)


@pytest.mark.parametrize(("compress", "suffix"), [(gzip.compress, "gz"), (bz2.compress, "bz2")])
def test_a_compressed_file_that_expands_too_far_is_refused_before_parsing(
    tmp_path: Path, compress: object, suffix: str
) -> None:
    """Reported: 5 MB of gzip held 5 GB of whitespace inside <osm>."""
    path = tmp_path / f"bomb.osm.{suffix}"
    path.write_bytes(compress(osm_xml([[(49.0, 7.0), (49.0001, 7.0)]],  # type: ignore[operator]
                                      padding=" " * 3_000_000)))
    err = refused(path, max_decompressed_bytes=2_000_000)
    assert err.limit == "max_decompressed_bytes" and "more than 1 MB" in str(err)
    assert read_osm(path, limits=ImportLimits(max_decompressed_bytes=4_000_000)).edges
