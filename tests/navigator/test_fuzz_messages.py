"""Hypothesis against the live-guidance message handler (WebSocket text -> reply messages).

Reading a message (``read_message``) and answering it (``answer_messages``, as the process's
inbox does) must turn any client text into a list of reply dicts and never raise: garbage gets
one ``error``, a valid scan always ends with exactly one ``fix`` status. The pipeline is
the real one (Kaiserslautern positioning map, planned route, positioner), built without a
server so thousands of examples stay cheap. Beacon frame parsing is fuzzed in
tests/beacons/test_frames.py.
"""

from __future__ import annotations

import json
import math
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from beacons.model import BeaconKind
from navigator import api
from navigator.inbox import Delivery
from navigator.keys import MAP, SETTINGS, VOICE
from navigator.live import answer_messages, read_message
from navigator.liveschemas import (
    BeaconIds,
    InvalidMessage,
    ScanIn,
    decode_with_models,
    scan_fast,
)
from navigator.livesessions import SESSIONS, LiveSession, SessionRegistry
from navigator.mapstate import MapState
from navigator.pipeline import build_guidance
from navigator.storage import Storage
from routing.paths import NoAccessibleRoute
from tests.navigator.conftest import make_settings
from voice.phrases import PhraseOptions
from voice.service import build_voice_service

START = (49.43666, 7.76797)  # Hauptbahnhof
END = (49.4432, 7.7717)
FUZZ = settings(max_examples=300, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SCANS = settings(FUZZ, max_examples=120)


@pytest.fixture(scope="module")
def app(city_db_template: Path, tmp_path_factory: pytest.TempPathFactory
        ) -> Iterator[web.Application]:
    """The state handle_message reads (map, registry, voice), without a running server."""
    tmp = tmp_path_factory.mktemp("messages")
    shutil.copy(city_db_template, tmp / "city.db")
    cfg = make_settings(f"sqlite:///{tmp / 'city.db'}", tmp, default_city=None)
    storage = Storage(cfg.database_url)
    application = web.Application()
    application[SETTINGS] = cfg
    application[MAP] = MapState(storage.load_map())
    storage.close()
    application[SESSIONS] = SessionRegistry(cfg.session_idle_s)
    voice = build_voice_service(cfg.audio_dir, cfg.audio_cache_bytes, speech=False)
    application[VOICE] = voice
    yield application
    voice.close()


def new_session(app: web.Application, routed: bool = False) -> LiveSession:
    """A session as POST /v1/sessions makes it (routed: with a planned route)."""
    mapstate = app[MAP]
    nav, positioner, _ = build_guidance(
        mapstate, START if routed else None, END, "blind_cane", "en",
        app[SETTINGS].guidance, PhraseOptions(), 7)
    # Not registered: "stop" pops it with a default, and thousands would only pile up.
    return LiveSession(f"fuzz-{time.monotonic_ns()}", nav, positioner, 0.0,
                       api.TokenBucket(1e9, 10**9))


@pytest.fixture(scope="module")
def known_beacons(app: web.Application) -> list[dict[str, Any]]:
    """Identities of beacons the map holds, as apps send them."""
    out = []
    for p in app[MAP].beacons[:400]:
        if p.beacon.kind is BeaconKind.EDDYSTONE:
            ns, inst = p.beacon.ident.split(":")
            out.append({"namespace": ns, "instance": inst})
        else:
            uuid, major, minor = p.beacon.ident.split(":")
            out.append({"uuid": uuid, "major": int(major), "minor": int(minor)})
    assert out, "the city template has a beacon layout"
    return out


def handle_message(app: web.Application, live: LiveSession, raw: str, now_s: float
                   ) -> list[dict[str, Any]]:
    """One client message in, its replies out: read, then answered in a round of its own."""
    message = read_message(app[SESSIONS], live, raw, now_s)
    return answer_messages(app, [Delivery(live, None, message)], lambda i: True)[0]  # type: ignore[arg-type]


# --------------------------------------------------------------------------- strategies

finite = st.floats(allow_nan=False, allow_infinity=False)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | finite | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=12,
)
random_beacon = st.one_of(
    st.builds(lambda u, a, b: {"uuid": u, "major": a, "minor": b}, st.uuids().map(str),
              st.integers(0, 65535), st.integers(0, 65535)),
    st.builds(lambda n, i: {"namespace": n, "instance": i},
              st.binary(min_size=10, max_size=10).map(bytes.hex),
              st.binary(min_size=6, max_size=6).map(bytes.hex)),
)


def beacon_ids(known: list[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(st.sampled_from(known), random_beacon)


def readings(known: list[dict[str, Any]]) -> st.SearchStrategy[list[dict[str, Any]]]:
    reading = st.fixed_dictionaries(
        {"beacon": beacon_ids(known), "rssi": finite},
        optional={"tx_power": st.none() | finite},
    )
    # Mostly plausible radio values, sometimes anything finite (1e308 dBm included).
    plausible = st.fixed_dictionaries(
        {"beacon": beacon_ids(known), "rssi": st.floats(-110, -30)},
        optional={"tx_power": st.none() | st.floats(-100, 0)},
    )
    return st.lists(st.one_of(plausible, plausible, reading), max_size=40)


def gnss(t: float) -> st.SearchStrategy[dict[str, Any]]:
    """A satellite fix as a phone may send it with a scan at ``t`` (taken at or before it)."""
    return st.fixed_dictionaries(
        {"lat": st.floats(-90, 90), "lon": st.floats(-180, 180),
         "accuracy_m": st.floats(0, 1e6, exclude_min=True), "t": st.floats(0, t)},
        optional={"accuracy_kind": st.sampled_from(["w3c95", "android68", "ios_rms"]),
                  "heading_deg": st.none() | st.floats(0, 360),
                  "speed_mps": st.none() | st.floats(0, 1e3)},
    )


@st.composite
def valid_scan(draw: st.DrawFn, known: list[dict[str, Any]], t: float) -> dict[str, Any]:
    """Readings, a GNSS fix, or both."""
    msg = draw(st.fixed_dictionaries(
        {"type": st.just("scan"), "t": st.just(t)},
        optional={"readings": readings(known), "heading_deg": st.none() | st.floats(0, 360),
                  "gnss": st.none() | gnss(t)},
    ))
    if msg.get("gnss") is None:
        msg["readings"] = msg.get("readings", [])  # without a fix, readings are required
    return msg


#: One bad gnss value each (out of range, accuracy <= 0, wrong type; from the future is drawn
#: apart). NaN and Infinity are not JSON: a message with one is refused whole (see below).
BAD_GNSS = {
    "lat": st.one_of(st.floats(min_value=90.001, allow_infinity=False),
                     st.floats(max_value=-90.001, allow_infinity=False), st.text(max_size=3),
                     st.booleans()),
    "lon": st.one_of(st.floats(min_value=180.001, allow_infinity=False),
                     st.floats(max_value=-180.001, allow_infinity=False)),
    "accuracy_m": st.one_of(st.floats(max_value=0, allow_infinity=False), st.none()),
    "t": st.floats(max_value=-1e-9, allow_infinity=False),
    "accuracy_kind": st.one_of(st.text(max_size=8).filter(
        lambda k: k not in ("w3c95", "android68", "ios_rms")), st.integers()),
    "heading_deg": st.one_of(st.floats(min_value=360.001, allow_infinity=False),
                             st.floats(max_value=-1e-9, allow_infinity=False)),
    "speed_mps": st.floats(max_value=-1e-9, allow_infinity=False),
}


BREAK = {
    "type": st.sampled_from(["scan ", "SCAN", "", "fix", None, 1]),
    "t": st.one_of(st.floats(max_value=-1e-9, allow_infinity=False), st.text(max_size=5),
                   st.none(), st.booleans()),
    "readings": st.one_of(st.none(), st.text(max_size=5), st.dictionaries(st.text(), st.text()),
                          st.lists(st.integers(), min_size=1, max_size=3)),
    "heading_deg": st.one_of(st.floats(max_value=-1e-9, allow_infinity=False),
                             st.floats(min_value=360.001, allow_infinity=False),
                             st.text(max_size=3)),
}


@st.composite
def near_valid_scan(draw: st.DrawFn, known: list[dict[str, Any]]) -> dict[str, Any]:
    """A valid scan with exactly one thing wrong, so the validator is probed at its edges."""
    msg = draw(valid_scan(known, draw(st.floats(0, 1e6))))
    msg.pop("gnss", None)  # a bad gnss alone is not a bad message (see the property below)
    msg["readings"] = msg.get("readings", [])
    how = draw(st.sampled_from(["drop", "extra", "break", "reading", "beacon"]))
    if how == "drop":
        del msg[draw(st.sampled_from(["type", "t", "readings"]))]
    elif how == "extra":
        fields = {"type", "t", "readings", "heading_deg", "gnss"}
        msg[draw(st.text(min_size=1, max_size=8).filter(lambda k: k not in fields))] = draw(
            json_values)
    elif how == "break":
        key = draw(st.sampled_from(sorted(BREAK)))
        msg[key] = draw(BREAK[key])
    elif how == "reading":
        bad = draw(st.sampled_from([{}, {"rssi": -60}, {"beacon": {}, "rssi": -60}, "x", 3,
                                    {"beacon": known[0], "rssi": "loud"},
                                    {"beacon": known[0], "rssi": -60, "extra": 1}]))
        msg["readings"] = [*msg["readings"], bad]
    else:
        beacon = dict(draw(st.sampled_from(known)))
        beacon.update(draw(st.sampled_from([
            {"major": 70000}, {"minor": -1}, {"uuid": "not-a-uuid"}, {"namespace": "ab"},
            {"instance": "zz" * 6}, {"major": None}, {"major": 1.5}])))
        msg["readings"] = [{"beacon": beacon, "rssi": -60}]
    return msg


def _json_text(value: Any) -> str:
    return json.dumps(value, allow_nan=False)


# --------------------------------------------------------------------------- properties


def assert_replies(out: Any) -> list[dict[str, Any]]:
    assert isinstance(out, list) and out
    for msg in out:
        assert isinstance(msg, dict) and isinstance(msg.get("type"), str), msg
        json.dumps(msg, allow_nan=False)  # must be sendable as strict JSON
    return out


def assert_one_error(out: list[dict[str, Any]]) -> None:
    assert len(out) == 1 and out[0]["type"] == "error", out
    assert isinstance(out[0]["code"], str) and isinstance(out[0]["message"], str)


@FUZZ
@given(raw=st.one_of(st.text(max_size=60), json_values.map(_json_text),
                     st.sampled_from(["NaN", "Infinity", "-Infinity", '{"type":"scan","t":NaN,'
                                      '"readings":[]}', "[]" * 2000, "{" * 2000, "\x00"])))
def test_arbitrary_text_is_answered_not_raised(app: web.Application, raw: str) -> None:
    """Any text a client may send yields replies; what is not a valid message is one error."""
    live = new_session(app)
    out = assert_replies(handle_message(app, live, raw, 1.0))
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not (isinstance(value, dict) and value.get("type") in
            {"scan", "repeat", "where_am_i", "around_me", "stop"}):
        assert_one_error(out)


@FUZZ
@given(data=st.data())
def test_near_valid_scans_are_one_error(app: web.Application, known_beacons: list[dict[str, Any]],
                                        data: st.DataObject) -> None:
    """A scan with one field wrong is refused with one invalid_message error, and no state moves."""
    live = new_session(app)
    msg = data.draw(near_valid_scan(known_beacons))
    out = assert_replies(handle_message(app, live, _json_text(msg), 1.0))
    assert_one_error(out)
    assert out[0]["code"] == "invalid_message", (msg, out)
    assert live.nav.last_fix is None


@SCANS
@given(data=st.data())
def test_valid_scans_end_with_exactly_one_fix(app: web.Application,
                                              known_beacons: list[dict[str, Any]],
                                              data: st.DataObject) -> None:
    """Every valid scan, however odd its radio values, ends with one fix status and no crash."""
    live = new_session(app, routed=data.draw(st.booleans()))
    t = 0.0
    for _ in range(data.draw(st.integers(1, 6))):
        t += data.draw(st.floats(0, 30))
        msg = data.draw(valid_scan(known_beacons, t))
        out = assert_replies(handle_message(app, live, _json_text(msg), t))
        assert [m["type"] for m in out].count("fix") == 1, out
        assert out[-1]["type"] == "fix", out
        fix = out[-1]
        if fix["available"]:
            assert math.isfinite(fix["lat"]) and math.isfinite(fix["lon"]), fix
    for command in ("repeat", "where_am_i", "around_me"):
        assert_replies(handle_message(app, live, json.dumps({"type": command}), t))


@SCANS
@given(data=st.data())
def test_a_bad_gnss_fix_is_one_error_and_the_scan_still_answers(
        app: web.Application, known_beacons: list[dict[str, Any]], data: st.DataObject) -> None:
    """One bad gnss value (or a fix newer than its scan): an invalid_gnss error first, then the
    scan goes on without it and ends with exactly one fix; never a crash. The readings alone may
    put an unrouted walker's first fix on a path that does not reach the destination, which is
    then said too (no_accessible_route: found by the fuzzer, a beacon heard at 0 dBm next to
    such a path; so since before the GNSS checks existed)."""
    live = new_session(app, routed=data.draw(st.booleans()))
    t = data.draw(st.floats(0, 1e6))
    msg = data.draw(valid_scan(known_beacons, t))
    fix = data.draw(gnss(t))
    if data.draw(st.booleans()):
        key = data.draw(st.sampled_from(sorted(BAD_GNSS)))
        fix[key] = data.draw(BAD_GNSS[key])
    else:
        fix["t"] = t + data.draw(st.floats(1e-3, 1e6))  # from the future
    msg["gnss"] = fix
    out = assert_replies(handle_message(app, live, _json_text(msg), t))
    assert out[0]["type"] == "error" and out[0]["code"] == "invalid_gnss", (msg, out)
    assert [m["type"] for m in out].count("fix") == 1 and out[-1]["type"] == "fix", out
    codes = [m["code"] for m in out if m["type"] == "error"]
    assert codes.count("invalid_gnss") == 1, out
    assert set(codes[1:]) <= {NoAccessibleRoute.code}, out


@FUZZ
@given(data=st.data())
def test_nan_or_infinity_in_gnss_refuses_the_message_whole(
        app: web.Application, known_beacons: list[dict[str, Any]], data: st.DataObject) -> None:
    """NaN and Infinity are not JSON numbers: one invalid_message error, and no state moves."""
    live = new_session(app)
    t = data.draw(st.floats(0, 1e6))
    msg = data.draw(valid_scan(known_beacons, t))
    fix = data.draw(gnss(t))
    fix[data.draw(st.sampled_from(["lat", "lon", "accuracy_m", "t", "heading_deg",
                                   "speed_mps"]))] = data.draw(
        st.sampled_from([math.nan, math.inf, -math.inf]))
    msg["gnss"] = fix
    out = assert_replies(handle_message(app, live, json.dumps(msg), t))
    assert_one_error(out)
    assert out[0]["code"] == "invalid_message" and "not a JSON number" in out[0]["message"]
    assert live.nav.last_fix is None


@FUZZ
@given(t=st.floats(0, 1e6), back=st.floats(1e-3, 1e6))
def test_time_running_backwards_is_an_error(app: web.Application, t: float, back: float) -> None:
    """A scan older than the previous one is refused (invalid_scan), never folded in."""
    live = new_session(app)
    handle_message(app, live, _json_text({"type": "scan", "t": t + back, "readings": []}), 0.0)
    out = assert_replies(handle_message(
        app, live, _json_text({"type": "scan", "t": t, "readings": []}), 0.0))
    assert_one_error(out)
    assert out[0]["code"] == "invalid_scan"


@st.composite
def scan_with_bad_gnss(draw: st.DrawFn, known: list[dict[str, Any]]) -> dict[str, Any]:
    t = draw(st.floats(0, 1e6))
    msg = draw(valid_scan(known, t))
    fix = draw(gnss(t))
    key = draw(st.sampled_from([*sorted(BAD_GNSS), "future"]))
    if key == "future":
        fix["t"] = t + draw(st.floats(1e-3, 1e3))
    else:
        fix[key] = draw(BAD_GNSS[key])
    return {**msg, "gnss": fix}


@FUZZ
@given(data=st.data())
def test_the_fast_scan_path_accepts_only_what_the_models_accept_with_the_same_values(
        known_beacons: list[dict[str, Any]], data: st.DataObject) -> None:
    """A scan the msgspec fast path takes is one the pydantic models take too, giving the very
    same Scan; every other valid scan is one with a bad GNSS fix to report, left to them."""
    t = data.draw(st.floats(0, 1e6))
    msg = data.draw(st.one_of(valid_scan(known_beacons, t), near_valid_scan(known_beacons),
                              scan_with_bad_gnss(known_beacons), json_values))
    raw = _json_text(msg)
    fast = scan_fast(raw, BeaconIds())
    try:
        checked = decode_with_models(raw)
    except InvalidMessage:
        assert fast is None, (msg, fast)
        return
    if fast is not None:
        assert checked == ScanIn(fast), msg
    elif isinstance(checked, ScanIn):  # every valid scan is fast, only a bad fix to report not
        assert checked.gnss_error is not None, f"a valid scan took the slow path: {msg}"
