"""OSM import: real extracts in all three formats, tag parsing, node-tag rules, bad files."""

from __future__ import annotations

import bz2
import gzip
from collections import Counter

import pytest

from routing.osm import OsmImportError, read_osm
from routing.tags import crossing_signal, is_crossing, parse_length_m, parse_tactile_paving

TINY_OSM = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="test">
  <node id="1" lat="52.4800" lon="13.4300"/>
  <node id="2" lat="52.4801" lon="13.4300"/>
  <node id="3" lat="52.4802" lon="13.4300">
    <tag k="highway" v="crossing"/><tag k="crossing" v="traffic_signals"/>
    <tag k="traffic_signals:sound" v="yes"/><tag k="traffic_signals:vibration" v="no"/>
    <tag k="crossing:island" v="no"/><tag k="button_operated" v="yes"/>
  </node>
  <node id="4" lat="52.4803" lon="13.4300">
    <tag k="kerb" v="raised"/><tag k="kerb:height" v="6 cm"/><tag k="tactile_paving" v="yes"/>
  </node>
  <node id="5" lat="52.4802" lon="13.4290"/>
  <node id="6" lat="52.4802" lon="13.4310"/>
  <node id="7" lat="52.4810" lon="13.4300"/>
  <node id="8" lat="52.4811" lon="13.4300">
    <tag k="shop" v="bakery"/><tag k="name" v="Bäckerei Kühn"/><tag k="ref" v="B1"/>
  </node>
  <way id="10">
    <nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/>
    <tag k="highway" v="footway"/><tag k="footway" v="crossing"/>
  </way>
  <way id="11">
    <nd ref="5"/><nd ref="3"/><nd ref="6"/>
    <tag k="highway" v="residential"/><tag k="name" v="Teststraße"/>
    <tag k="sidewalk" v="separate"/>
  </way>
  <way id="12">
    <nd ref="4"/><nd ref="7"/>
    <tag k="highway" v="steps"/><tag k="step_count" v="12 "/><tag k="width" v="wide"/>
    <tag k="incline" v="up"/><tag k="handrail:left" v="yes"/>
  </way>
  <way id="13">
    <nd ref="6"/><nd ref="7"/><tag k="highway" v="footway"/><tag k="foot" v="no"/>
  </way>
  <way id="14">
    <nd ref="5"/><nd ref="7"/><tag k="highway" v="service"/><tag k="access" v="private"/>
  </way>
  <way id="15">
    <nd ref="5"/><nd ref="1"/><tag k="highway" v="motorway"/>
  </way>
</osm>
"""


@pytest.mark.parametrize("name", ["neukoelln", "herrenberg", "kaiserslautern"])
def test_real_extract_is_a_consistent_walkable_network(extracts, name):
    x = extracts[name]
    node_ids = {n.id for n in x.nodes}
    edge_ids = [e.id for e in x.edges]
    assert len(x.edges) > 500 and len(x.places) > 50
    assert len(set(edge_ids)) == len(edge_ids) and min(edge_ids) > 0
    assert all(e.u in node_ids and e.v in node_ids and e.length_m > 0 for e in x.edges)
    assert not {e.highway for e in x.edges} & {"motorway", "trunk", "construction"}
    assert len({p.id for p in x.places}) == len(x.places)


def test_herrenberg_keeps_steps_with_counts_and_node_tags(extracts):
    edges = extracts["herrenberg"].edges
    steps = [e for e in edges if e.highway == "steps"]
    assert len({e.osm_way_id for e in steps}) == 102  # of 103: one is access=private
    assert any(e.step_count for e in steps)
    assert any(e.handrail for e in steps)


def test_neukoelln_signal_node_tags_reach_whole_crossing_way(extracts):
    crossing = [e for e in extracts["neukoelln"].edges if e.osm_way_id == 940414779]
    assert len(crossing) > 1
    assert all(crossing_signal(e) == "acoustic_vibrating" for e in crossing)
    assert all(e.name == "Thomasstraße" for e in crossing)  # named after the road it crosses
    signals = Counter(crossing_signal(e) for e in extracts["neukoelln"].edges if is_crossing(e))
    assert signals["acoustic_vibrating"] > 0 and signals["none"] > 0


def test_tiny_file_rules(tmp_path):
    path = tmp_path / "tiny.osm"
    path.write_text(TINY_OSM, encoding="utf-8")
    x = read_osm(path)
    ways = {e.osm_way_id for e in x.edges}
    assert ways == {10, 11, 12}  # foot=no, access=private and motorway are not walkable
    crossing = [e for e in x.edges if e.osm_way_id == 10]
    assert [(e.u, e.v) for e in crossing] == [(1, 2), (2, 3), (3, 4)]  # split at every node
    assert all(e.crossing == "traffic_signals" and e.traffic_signals_sound for e in crossing)
    assert all(
        e.traffic_signals_vibration is False and e.crossing_island is False for e in crossing
    )
    assert all(e.button_operated is True for e in crossing)  # from the crossing node
    assert all(e.name == "Teststraße" for e in crossing)
    last = crossing[-1]  # touches the kerb node
    assert last.kerb == "raised" and last.kerb_height_m == pytest.approx(0.06)
    assert last.tactile_paving is True and crossing[0].kerb is None
    road = [e for e in x.edges if e.osm_way_id == 11]
    assert len(road) == 2 and road[0].sidewalk == "separate" and road[0].crossing is None
    (steps,) = [e for e in x.edges if e.osm_way_id == 12]
    assert (steps.step_count, steps.width_m, steps.incline, steps.handrail) == (
        12,
        None,
        "up",
        True,
    )
    assert [(p.name, p.kind, p.id) for p in x.places] == [("Bäckerei Kühn", "shop", 16)]
    assert x.places[0].ref is None  # a shop's ref is no stop code: not kept


def test_stops_keep_their_ref_and_local_ref(tmp_path):
    path = tmp_path / "stops.osm"
    path.write_text("""<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="test">
  <node id="1" lat="52.48" lon="13.43">
    <tag k="highway" v="bus_stop"/><tag k="name" v="Teststraße"/><tag k="ref" v=" 4711 "/>
    <tag k="local_ref" v="2"/>
  </node>
  <node id="2" lat="52.4801" lon="13.43"/>
  <node id="3" lat="52.4801" lon="13.4301"/>
  <way id="4">
    <nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="1"/>
    <tag k="public_transport" v="platform"/><tag k="name" v="Teststraße"/><tag k="ref" v=""/>
  </way>
  <way id="5"><nd ref="2"/><nd ref="3"/><tag k="highway" v="footway"/></way>
</osm>""", encoding="utf-8")
    places = read_osm(path).places
    assert [(p.id, p.ref, p.local_ref) for p in places] == [(2, "4711", "2"), (9, None, None)]


def test_compressed_files_and_progress(tmp_path):
    raw = TINY_OSM.encode()
    (tmp_path / "a.osm.gz").write_bytes(gzip.compress(raw))
    (tmp_path / "a.osm.bz2").write_bytes(bz2.compress(raw))
    counts: list[int] = []
    for file in ("a.osm.gz", "a.osm.bz2"):
        assert len(read_osm(tmp_path / file, progress=counts.append).edges) == 6
    assert sum(counts) == 2 * 14  # 8 nodes + 6 ways, twice


@pytest.mark.parametrize(
    "content",
    [
        "<osm version='0.6'><node id='1' lat='52.4' lon=",  # truncated XML
        "this is not OSM at all",
        "<?xml version='1.0'?><osm version='0.6'><node id='1' lat='1' lon='1'/></osm>",  # empty
    ],
)
def test_malformed_or_empty_file_raises_one_line_error(tmp_path, content):
    path = tmp_path / "bad.osm"
    path.write_text(content)
    with pytest.raises(OsmImportError) as err:
        read_osm(path)
    assert "\n" not in str(err.value) and "bad.osm" in str(err.value)


def test_missing_file_raises(tmp_path):
    with pytest.raises(OsmImportError, match="no such file"):
        read_osm(tmp_path / "nope.osm.pbf")


@pytest.mark.parametrize(
    "raw, metres",
    [
        ("1.5", 1.5),
        ("1,5 m", 1.5),
        ("150 cm", 1.5),
        ("30mm", 0.03),
        ("3'", 0.9144),
        ("wide", None),
        ("", None),
        ("-2", None),
        (None, None),
    ],
)
def test_parse_length(raw, metres):
    assert parse_length_m(raw) == (pytest.approx(metres) if metres is not None else None)


def test_incorrect_tactile_paving_counts_as_absent():
    assert parse_tactile_paving("incorrect") is False
    assert parse_tactile_paving("contrasted") is True
    assert parse_tactile_paving("maybe") is None


def test_node_missing_from_extract_breaks_the_way(tmp_path):
    path = tmp_path / "clipped.osm"
    path.write_text(
        """<osm version="0.6">
  <node id="1" lat="52.48" lon="13.43"/><node id="2" lat="52.481" lon="13.43"/>
  <node id="4" lat="52.483" lon="13.43"/><node id="5" lat="52.484" lon="13.43"/>
  <way id="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="5"/>
    <tag k="highway" v="footway"/></way>
</osm>"""
    )
    assert [(e.u, e.v) for e in read_osm(path).edges] == [(1, 2), (4, 5)]
