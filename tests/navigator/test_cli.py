"""The `blindpilot` command line: exit codes, one-line errors, real work on real data."""

from __future__ import annotations

import json
import re
import shutil
import socket
import struct
from pathlib import Path

import pytest

from navigator.cli import main
from tests.conftest import NEUKOELLN, REPO, SHARED_DATA

STATION, MARKET = "49.43666,7.76797", "49.4432,7.7717"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str) -> bool:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    return len(lines) == 1 and "Traceback" not in err


@pytest.fixture
def city(city_db_template: Path, tmp_path: Path) -> str:
    dst = tmp_path / "city.db"
    shutil.copy(city_db_template, dst)
    return f"sqlite:///{dst}"


def test_keys_create_prints_the_key_alone_on_the_last_line(capsys, sqlite_url: str) -> None:
    code, out, _ = run(capsys, "keys", "create", "--role", "mapper", "--db", sqlite_url)
    assert code == 0
    key = out.strip().splitlines()[-1]
    assert key.startswith("bp_") and " " not in key


def test_keys_list_and_revoke(capsys, sqlite_url: str) -> None:
    """Issue 19 #15: a leaked key can be revoked from the terminal; list never shows keys."""
    from navigator.storage import Storage

    _, out, _ = run(capsys, "keys", "create", "--role", "mapper", "--db", sqlite_url)
    key = out.strip().splitlines()[-1]
    code, out, _ = run(capsys, "keys", "list", "--db", sqlite_url)
    assert code == 0 and key not in out
    row = next(ln.split() for ln in out.splitlines() if key[:10] in ln)
    assert row[2] == "mapper" and row[-1] == "active"
    code, out, _ = run(capsys, "keys", "revoke", row[0], "--db", sqlite_url)
    assert code == 0 and "revoked" in out
    assert Storage(sqlite_url).role_of_key(key) is None
    _, out, _ = run(capsys, "keys", "list", "--db", sqlite_url)
    assert next(ln for ln in out.splitlines() if key[:10] in ln).split()[-1] == "revoked"
    code, _, err = run(capsys, "keys", "revoke", "4711", "--db", sqlite_url)
    assert code == 2 and one_line_error(err) and "no API key with id 4711" in err


@pytest.mark.parametrize("url", ["mysql://localhost/x", "nonsense"])
def test_unknown_db_scheme_exits_2_with_one_line(capsys, url: str) -> None:
    code, _, err = run(capsys, "keys", "create", "--role", "admin", "--db", url)
    assert code == 2 and one_line_error(err) and "database URL" in err


def test_database_that_cannot_be_opened_exits_2(capsys, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'no' / 'such' / 'folder' / 'x.db'}"
    code, _, err = run(capsys, "keys", "create", "--role", "admin", "--db", url)
    assert code == 2 and one_line_error(err) and "cannot open the database" in err


def test_unreadable_osm_exits_2(capsys, sqlite_url: str, tmp_path: Path) -> None:
    code, _, err = run(capsys, "import-osm", str(tmp_path / "missing.osm"), "--db", sqlite_url)
    assert code == 2 and one_line_error(err)
    bad = tmp_path / "bad.osm"
    bad.write_text("<osm><node id='1' lat='x'")
    code, _, err = run(capsys, "import-osm", str(bad), "--db", sqlite_url)
    assert code == 2 and one_line_error(err)


def test_an_import_over_a_limit_exits_2_naming_the_setting(capsys, city: str, tmp_path: Path
                                                          ) -> None:
    path = tmp_path / "segment.osm"
    path.write_text('<osm version="0.6"><node id="1" lat="49.0" lon="7.0"/>'
                    '<node id="2" lat="49.4" lon="7.5"/><way id="1"><nd ref="1"/><nd ref="2"/>'
                    '<tag k="highway" v="footway"/></way></osm>')
    code, _, err = run(capsys, "import-osm", str(path), "--replace", "--db", city)
    assert code == 2 and one_line_error(err)
    assert err.strip() == (
        "blindpilot: error: segment.osm: a segment of way 1 is 57.4 km long; at most 2000 m is "
        "allowed between two nodes (setting BLINDPILOT_IMPORT_MAX_SEGMENT_M)")


def test_import_is_explicit_about_replacing(capsys, sqlite_url: str) -> None:
    code, out, _ = run(capsys, "import-osm", str(NEUKOELLN), "--db", sqlite_url)
    assert code == 0 and "nodes" in out
    code, _, err = run(capsys, "import-osm", str(NEUKOELLN), "--db", sqlite_url)
    assert code == 2 and "--replace" in err
    code, _, _ = run(capsys, "import-osm", str(NEUKOELLN), "--db", sqlite_url, "--replace")
    assert code == 0


def test_route_json_is_the_api_body(capsys, city: str) -> None:
    code, out, _ = run(capsys, "route", "--from", STATION, "--to", MARKET, "--lang", "en",
                       "--json", "--db", city)
    assert code == 0
    body = json.loads(out)
    assert body["maneuvers"][0]["kind"] == "depart" and body["geometry"]["type"] == "LineString"


@pytest.mark.parametrize(("frm", "word"), [("49.40,7.70", "too_far_from_network"),
                                           ("north-ish", "LAT,LON"), ("91,7", "range")])
def test_route_bad_input_exits_2(capsys, city: str, frm: str, word: str) -> None:
    code, _, err = run(capsys, "route", "--from", frm, "--to", MARKET, "--db", city)
    assert code == 2 and one_line_error(err) and word in err


@pytest.mark.parametrize("command", ["route", "simulate"])
def test_route_and_simulate_on_an_empty_database_say_how_to_load_a_map(
    capsys, sqlite_url: str, command: str
) -> None:
    """Reported: '(49.436660, 7.767970) is more than 50 m from any walkable path'."""
    code, _, err = run(capsys, command, "--from", STATION, "--to", MARKET, "--db", sqlite_url)
    assert code == 2 and one_line_error(err)
    assert "map_empty: no map is loaded" in err and "blindpilot import-osm FILE" in err


def test_decode_a_real_vector_and_reject_a_bad_one(capsys) -> None:
    vectors = json.loads((SHARED_DATA / "ble_vectors.json").read_text())
    good = next(v for v in vectors if v["format"] == "adv_data" and v["kind"] == "ibeacon"
                and v["expected"].get("valid", True) is not False)
    code, out, _ = run(capsys, "decode", good["hex"], "--json")
    assert code == 0 and json.loads(out)
    code, _, err = run(capsys, "decode", "02011aff")
    assert code == 2 and one_line_error(err)


def test_plan_beacons_proposes_and_applies(capsys, city: str) -> None:
    code, out, _ = run(capsys, "plan-beacons", "--spacing-m", "12", "--json", "--db", city)
    assert code == 0 and len(json.loads(out)) > 100
    code, _, _ = run(capsys, "plan-beacons", "--spacing-m", "12", "--apply", "--db", city)
    assert code == 0


def test_plan_beacons_reports_count_and_per_km_for_each_mode(capsys, city: str) -> None:
    counts = {}
    for mode in ("dense", "decision-points"):
        code, out, _ = run(capsys, "plan-beacons", "--mode", mode, "--db", city)
        match = re.search(r"^(\d+) beacons proposed .*: ([\d.]+) per km of path \(([\d.]+) km\)",
                          out, re.M)
        assert code == 0 and match, out
        counts[mode] = int(match[1])
        assert float(match[2]) == pytest.approx(counts[mode] / float(match[3]), rel=0.01)
    assert 0 < counts["decision-points"] <= 0.25 * counts["dense"]


def test_simulate_prints_metrics_and_writes_a_png(capsys, city: str, tmp_path: Path) -> None:
    plot = tmp_path / "walk.png"
    code, out, _ = run(capsys, "simulate", "--from", STATION, "--to", MARKET, "--seed", "2",
                       "--json", "--plot", str(plot), "--db", city)
    assert code == 0
    metrics = json.loads(out)["metrics"]
    assert metrics["arrived"] is True and metrics["guidance"]["arrived_pct"] == 100.0
    assert {"on_time", "late", "missed", "confident_wrong_pct", "points"} <= set(
        metrics["guidance"])
    header = plot.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", header[16:24])[0] > 300


def test_scenario_suite_replays(capsys, city: str) -> None:
    code, out, _ = run(capsys, "simulate", "--scenarios",
                       str(REPO / "scenarios" / "kaiserslautern.yaml"), "--db", city)
    assert code == 0, out
    assert "3 passed, 0 failed" in out


@pytest.mark.parametrize(("text", "says"), [
    ("[" * 30_000, "nested too deeply"),
    ("- name: x\n", "from"),
    ("just words", "YAML list"),
])
def test_a_broken_scenario_file_exits_2_with_one_line(capsys, sqlite_url: str, tmp_path: Path,
                                                      text: str, says: str) -> None:
    suite = tmp_path / "suite.yaml"
    suite.write_text(text)
    code, _, err = run(capsys, "simulate", "--scenarios", str(suite), "--db", sqlite_url)
    assert code == 2 and one_line_error(err) and says in err


def test_serve_on_a_busy_port_exits_2(capsys, sqlite_url: str) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, _, err = run(capsys, "serve", "--port", str(port), "--db", sqlite_url)
    assert code == 2 and one_line_error(err) and "in use" in err


def test_serve_refuses_a_worker_count_it_cannot_run(capsys, sqlite_url: str, monkeypatch
                                                    ) -> None:
    code, _, err = run(capsys, "serve", "--workers", "0", "--db", sqlite_url)
    assert code == 2 and one_line_error(err) and "--workers" in err
    monkeypatch.setenv("BLINDPILOT_MAP_SYNC_S", "0")  # workers would never see each other's edits
    code, _, err = run(capsys, "serve", "--workers", "2", "--db", sqlite_url)
    assert code == 2 and one_line_error(err) and "BLINDPILOT_MAP_SYNC_S" in err


def test_scan_without_bluetooth_is_a_clean_exit_2(capsys, city: str) -> None:
    code, _, err = run(capsys, "scan", "--seconds", "0.5", "--db", city)
    assert code == 0 or (code == 2 and one_line_error(err) and "Bluetooth" in err)


def test_speak_writes_a_wav_or_says_why_not(capsys, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("BLINDPILOT_AUDIO_DIR", str(tmp_path / "audio"))
    out = tmp_path / "hallo.wav"
    code, _, err = run(capsys, "speak", "In 10 Metern links abbiegen.", "--lang", "de", "-o",
                       str(out))
    if code == 0:
        assert out.read_bytes()[:4] == b"RIFF"
    else:
        assert code == 2 and one_line_error(err)
    code, _, err = run(capsys, "speak", "Hello", "--lang", "fr", "-o", str(out))
    assert code == 2 and "de, en" in err


def test_scan_survey_records_last_seen_and_tlm_battery(capsys, city: str, monkeypatch) -> None:
    import beacons.bleak_source
    from navigator.storage import MapEditor, Storage

    storage = Storage(city)
    placement = storage.load_beacons()[0]
    row = {"beacon_id": placement.beacon.ident, "beacon": {}, "kind": "ibeacon", "rssi": -70,
           "tx_power_1m_dbm": -59, "address": "AA:BB", "count": 3, "battery_mv": 2950,
           "temperature_c": 21.5}
    stranger = {**row, "beacon_id": "00000000-0000-0000-0000-000000000000:1:1",
                "battery_mv": None, "temperature_c": None}

    async def fake_scan(seconds: float) -> list[dict]:
        return [row, stranger]

    monkeypatch.setattr(beacons.bleak_source, "scan_once", fake_scan)
    code, out, _ = run(capsys, "scan", "--seconds", "1", "--json", "--db", city)
    assert code == 0
    assert [r["known"] for r in json.loads(out)] == [True, False]
    rows = MapEditor(storage).list_rows("beacon", 100_000, 0)
    beacon = next(b for b in rows if b["ident"] == placement.beacon.ident)
    assert beacon["battery_mv"] == 2950 and beacon["temperature_c"] == 21.5
    assert beacon["last_seen_ts"] is not None


def test_serve_starts_prints_the_url_and_a_working_curl_example(city: str, tmp_path: Path
                                                                ) -> None:
    import os
    import re
    import signal
    import subprocess
    import sys
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "BLINDPILOT_SPEECH": "0", "BLINDPILOT_BLUETOOTH_PROBE": "0",
           "BLINDPILOT_AUDIO_DIR": str(tmp_path / "audio")}
    proc = subprocess.Popen([sys.executable, "-m", "navigator.cli", "serve", "--port", str(port),
                             "--db", city], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, env=env, cwd=REPO)
    try:
        first = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}" in first
        curl = proc.stdout.readline()
        if curl.startswith("#"):
            curl = proc.stdout.readline()
        body = re.search(r"-d '(.*)'$", curl.strip()).group(1)
        req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/routes", data=body.encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            assert resp.status == 200 and json.loads(resp.read())["maneuvers"]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert code == 0, "SIGTERM must shut the server down cleanly"
