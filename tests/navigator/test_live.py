"""Live guidance end to end: real WebSocket, positioning and simulated beacons (Kaiserslautern)."""

from __future__ import annotations

import asyncio
import gc
import itertools
import json
import logging
import time
import weakref
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from beacons.model import Scan
from navigator.certainty import announce_within_m
from navigator.guidancesettings import GuidanceSettings
from navigator.keys import MAP, SETTINGS
from navigator.livesessions import SESSIONS
from navigator.routeplan import plan_between
from navigator.simulation import SimulatedWalker, WalkOptions
from routing.geo import haversine_m

START = (49.43666, 7.76797)  # Hauptbahnhof
END = (49.4432, 7.7717)


def scan_json(scan: Scan) -> dict:
    readings = [{"beacon": r.beacon.to_json(), "rssi": r.rssi_dbm, "tx_power": r.tx_power_dbm}
                for r in scan.readings]
    return {"type": "scan", "t": scan.t_s, "readings": readings}


@dataclass(frozen=True)
class Walk:
    """A session as POST /v1/sessions answered it: its id and its secret token."""

    id: str
    token: str
    ws_url: str

    def url(self, leaf: str) -> str:
        """``/v1/sessions/{id}/{leaf}`` with the token, as a client holding it asks."""
        return f"/v1/sessions/{self.id}/{leaf}?token={self.token}"


async def create_session(client: TestClient, lang: str = "en", **extra: object) -> Walk:
    r = await client.post("/v1/sessions", json={
        "from": {"lat": START[0], "lon": START[1]}, "to": {"lat": END[0], "lon": END[1]},
        "lang": lang, **extra})
    assert r.status == 201, await r.text()
    body = await r.json()
    return Walk(body["session_id"], body["token"], body["ws_url"])


async def open_session(client: TestClient, lang: str = "en", **extra: object
                       ) -> tuple[Walk, object]:
    walk = await create_session(client, lang, **extra)
    ws = await client.ws_connect(walk.ws_url)
    hello = await ws.receive_json()
    assert hello["type"] == "session" and hello["session_id"] == walk.id
    return walk, ws


async def walk_a_few_steps(client: TestClient, seed: int, steps: int, lang: str = "en",
                           **extra: object) -> tuple[Walk, object, SimulatedWalker]:
    """Open a session and walk its first ``steps`` seconds; the socket stays open."""
    mapstate = client.app[MAP]
    route = plan_between(mapstate, START, END, "blind_cane")
    walker = SimulatedWalker(mapstate, route, WalkOptions(seed=seed))
    walk, ws = await open_session(client, lang, **extra)
    for t in range(steps):
        await send_and_collect(ws, scan_json(walker.scan(float(t))))
    return walk, ws, walker


async def send_and_collect(ws, message: dict, timeout_s: float = 10.0) -> list[dict]:
    """Send one scan; collect what it caused, up to and including its fix status."""
    await ws.send_json(message)
    out = []
    while True:
        msg = await ws.receive_json(timeout=timeout_s)
        out.append(msg)
        if msg["type"] == "fix":
            return out


async def walk_over_websocket(client: TestClient, walk: WalkOptions) -> SimulatedWalker:
    mapstate = client.app[MAP]
    walker = SimulatedWalker(mapstate, plan_between(mapstate, START, END, "blind_cane"), walk)
    _, ws = await open_session(client)
    t = 0.0
    while t <= walker.limit_s and not walker.done:
        walker.observe(t, await send_and_collect(ws, scan_json(walker.scan(t))))
        t += 1.0
    await ws.close()
    return walker


@pytest.mark.slow
async def test_walk_arrives_and_announces_decision_points_6m_ahead(client: TestClient) -> None:
    walker = await walk_over_websocket(client, WalkOptions(seed=3))
    r = walker.result
    assert r.arrived
    assert r.off_route_events == 0
    decisions = ("turn", "cross", "steps")
    told = [i for i in r.instructions if i["phase"] == "ahead" and i["kind"] in decisions]
    # a point less than 10 m after the previous one is said right after that one, relative to
    # it ("After another 9 metres, ..."; navigator/decisionpoints.py): not 6 m ahead, by design
    chained = [i for i in told if i["text"].startswith("After another")]
    ahead = [i for i in told if i not in chained]
    assert len(ahead) >= 3
    # 6 +- 1 m from the fix; from a fix with more than 2 m of doubt up to 1.5 m earlier
    # (navigator.certainty.announce_within_m): the window's far end is the one the fix of the
    # moment allowed, give or take the 0.05 m of the event's rounding (positioning is random per
    # session, and a 7 m end for every fix failed 3 sessions in 14 with the announcements where
    # the rule puts them)
    error_at = {e["t"]: e["error_m"] for e in r.events if e["type"] == "fix" and e["available"]}
    settings = GuidanceSettings()
    in_window = [i for i in ahead if 4.95 <= i["distance_m"] <= announce_within_m(
        error_at.get(i["t"]), settings) + 0.05]
    assert all(i["distance_m"] <= 8.5 for i in ahead), ahead
    assert len(in_window) >= 0.75 * len(ahead), [(i["distance_m"], error_at.get(i["t"]))
                                                 for i in ahead]
    assert all(i["distance_m"] <= 10.0 for i in chained), chained
    for a, b in itertools.combinations(ahead, 2):  # the same words for two points can happen
        if (a["kind"], a["text"]) == (b["kind"], b["text"]):
            moved = haversine_m(a["true_lat"], a["true_lon"], b["true_lat"], b["true_lon"])
            same_point = moved < abs(a["distance_m"] - b["distance_m"]) + 3.0
            assert not same_point, f"a decision point was announced twice: {a['text']}"
    assert max(r.errors_m) < 10.0


@pytest.mark.slow
async def test_wrong_turn_triggers_off_route_then_reroute(client: TestClient) -> None:
    walker = await walk_over_websocket(client, WalkOptions(seed=5, wrong_turn_at_m=60.0,
                                                           wrong_turn_length_m=40.0))
    types = [e["type"] for e in walker.result.events]
    assert "off_route" in types
    i = types.index("off_route")
    assert types[i + 1] == "rerouted", "the new first instruction follows at once"
    rerouted = walker.result.events[i + 1]
    assert rerouted["instruction"]["text"] and rerouted["geometry"]["coordinates"]
    assert walker.result.arrived


def unavailable_stretches(events: list[dict]) -> list[tuple[float, float]]:
    """(lost, regained) times of each stretch without a position, checking that each is
    announced exactly once, at its start, and guided through in silence but for, once, the
    advice to walk on slowly ``still_unavailable_after_s`` or more after the loss (#12).

    Positioning is random per session (seeded by its id): in ~7 % of sessions the fading edge
    of a dead stretch also costs a few uncertain seconds before it: a separate stretch
    (announced once, regained once), not a repeated announcement.
    """
    stretches: list[tuple[float, float]] = []
    lost_t: float | None = None
    still_said = False
    for e in events:
        if e["type"] == "location_unavailable" and e["phase"] == "still":
            assert lost_t is not None and not still_said, "walk-on advice without a wait"
            assert e["t"] - lost_t >= GuidanceSettings().still_unavailable_after_s
            still_said = True
        elif e["type"] == "location_unavailable":
            assert lost_t is None, "location_unavailable repeated within one stretch"
            lost_t, still_said = e["t"], False
        elif lost_t is None:
            continue
        elif (e["type"] == "fix" and e["available"]) or (
            e["type"] == "instruction" and e["phase"] == "regained"  # sent before its fix
        ):
            stretches.append((lost_t, e["t"]))
            lost_t = None
        elif e["type"] == "instruction":
            raise AssertionError(f"directional instruction while the position is unknown: {e}")
    assert lost_t is None and stretches, "the walk must lose and regain its position"
    return stretches


@pytest.mark.slow
async def test_dead_stretch_says_location_unavailable_and_gives_no_directions(client: TestClient
                                                                             ) -> None:
    walker = await walk_over_websocket(client, WalkOptions(seed=7, outage_from_m=80.0,
                                                           outage_to_m=180.0))
    events = walker.result.events
    stretches = unavailable_stretches(walker.result.events)
    dead_from, back_t = max(stretches, key=lambda s: s[1] - s[0])
    assert back_t - dead_from >= 10, "the outage must be a real stretch"
    for _, regained_t in stretches:
        after = [e for e in events if e["type"] == "instruction" and e["t"] >= regained_t]
        assert after and after[0]["phase"] == "regained"


async def test_unknown_session_is_404(client: TestClient) -> None:
    r = await client.get("/v1/sessions/nope/ws")
    assert r.status == 404 and (await r.json())["error"]["code"] == "unknown_session"


async def test_bad_messages_get_error_events_and_the_socket_stays_open(client: TestClient
                                                                      ) -> None:
    _, ws = await open_session(client)
    for bad in ("{not json", json.dumps({"type": "dance"}), json.dumps([1]),
                json.dumps({"type": "scan", "t": -1, "readings": []}),
                json.dumps({"type": "scan", "t": 1, "readings": [{"beacon": {"uuid": "x"},
                                                                   "rssi": -60}]})):
        await ws.send_str(bad)
        msg = await ws.receive_json(timeout=5)
        assert msg["type"] == "error" and msg["message"], bad
    await ws.send_bytes(b"\x00")
    assert (await ws.receive_json(timeout=5))["type"] == "error"
    await ws.send_json({"type": "repeat"})
    assert (await ws.receive_json(timeout=5))["type"] in ("instruction", "error")
    assert not ws.closed


async def test_more_than_20_messages_per_second_are_throttled(make_client, settings) -> None:
    client = await make_client(settings.with_(ws_messages_per_s=20.0))
    _, ws = await open_session(client)
    _, other = await open_session(client)
    for _ in range(40):
        await ws.send_json({"type": "where_am_i"})
    replies = [await ws.receive_json(timeout=5) for _ in range(40)]
    assert any(r["type"] == "error" and r["code"] == "rate_limited" for r in replies)
    await other.send_json({"type": "where_am_i"})
    assert (await other.receive_json(timeout=5))["type"] == "instruction"


async def test_reconnect_resumes_the_same_session(client: TestClient) -> None:
    walk, ws, _ = await walk_a_few_steps(client, seed=1, steps=5)
    await ws.close()
    ws2 = await client.ws_connect(walk.url("ws"))
    hello = await ws2.receive_json()
    assert hello["resumed"] is True and hello["last_instruction"]["text"]
    await ws2.send_json({"type": "repeat"})
    assert (await ws2.receive_json())["text"] == hello["last_instruction"]["text"]


async def test_an_ended_walks_connection_is_freed_without_the_cycle_collector(
        client: TestClient) -> None:
    """A serving worker's full collections are minutes apart (navigator/collector.py): what an
    ended walk leaves to the cycle collector piles up in the meantime (#14). Walks stopped by the
    walker and walks whose socket just closed both free the server's socket by refcount."""
    await walk_a_few_steps(client, seed=1, steps=2)  # first-use caches, made before counting
    gc.collect()
    gc.disable()
    try:
        ended = []
        for i in range(4):
            walk, ws, _ = await walk_a_few_steps(client, seed=20 + i, steps=3)
            ended.append(weakref.ref(client.app[SESSIONS].sessions[walk.id].ws))
            if i % 2:
                await ws.send_json({"type": "stop"})
                assert (await ws.receive_json())["type"] == "stopped"
            await ws.close()
        # a later walk's scan moves the inbox on from the round that held the last of them
        await walk_a_few_steps(client, seed=30, steps=1)
        deadline = time.monotonic() + 10.0
        while any(ref() is not None for ref in ended) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert [ref() for ref in ended] == [None] * 4
    finally:
        gc.enable()


async def test_where_am_i_and_around_me_and_preview(client: TestClient) -> None:
    walk, ws, _ = await walk_a_few_steps(client, seed=2, steps=4, lang="de")
    await ws.send_json({"type": "where_am_i"})
    where = await ws.receive_json()
    assert where["kind"] == "where_am_i" and where["lang"] == "de" and where["text"]
    await ws.send_json({"type": "around_me"})
    assert (await ws.receive_json())["kind"] == "around_me"
    preview = await (await client.get(walk.url("preview"))).json()
    assert preview[0]["kind"] == "depart" and preview[-1]["kind"] == "arrive"
    await ws.send_json({"type": "stop"})
    assert (await ws.receive_json())["type"] == "stopped"
    assert (await client.get(walk.url("preview"))).status == 404


@pytest.mark.parametrize("keep", [False, True])
async def test_track_is_kept_after_the_session_only_when_opted_in(client: TestClient,
                                                                  keep: bool) -> None:
    walk, ws, _ = await walk_a_few_steps(client, seed=1, steps=6, keep_track=keep)
    assert (await client.get(walk.url("track"))).status == 404  # still live
    await ws.send_json({"type": "stop"})
    assert (await ws.receive_json())["type"] == "stopped"
    await ws.receive()  # the server closes the socket once the session is ended
    r = await client.get(walk.url("track"))
    if keep:
        assert r.status == 200 and len((await r.json())["points"]) == 6
    else:
        assert r.status == 404


async def test_live_scans_mark_beacons_as_seen_for_beacon_health(client: TestClient) -> None:
    from navigator.livesessions import flush_heard
    from tests.navigator.conftest import auth, create_keys

    await walk_a_few_steps(client, seed=1, steps=5)
    await flush_heard(client.app)
    key = create_keys(client.app[SETTINGS].database_url)["mapper"]
    health = await (await client.get("/v1/beacons/health", headers=auth(key))).json()
    seen = [b for b in health if not b["silent"]]
    assert seen and all(b["last_seen"] is not None for b in seen)
    assert len(seen) < len(health)  # a walk near the station hears only nearby beacons


async def test_a_reconnect_to_another_process_resumes_the_session(make_client, settings
                                                                  ) -> None:
    """Two servers on one database, as behind a proxy: B resumes what A started."""
    a = await make_client(settings)
    b = await make_client(settings)
    walk, ws, walker = await walk_a_few_steps(a, seed=1, steps=3)
    await ws.close()
    ws_b = await b.ws_connect(walk.url("ws"))
    assert (await ws_b.receive_json())["session_id"] == walk.id
    said = []
    for t in range(3, 8):
        said += await send_and_collect(ws_b, scan_json(walker.scan(float(t))))
    instructions = [m for m in said if m["type"] == "instruction"]
    assert instructions and instructions[0]["kind"] == "depart", "B re-orients the walker"
    await ws_b.send_json({"type": "stop"})
    assert (await ws_b.receive_json())["type"] == "stopped"
    await ws_b.receive()
    assert (await b.get(walk.url("preview"))).status == 404
    c = await make_client(settings)
    assert (await c.get(walk.url("preview"))).status == 404, "descriptor gone"


async def test_idle_sessions_expire_and_their_descriptor_goes(make_client, settings) -> None:
    from navigator.livesessions import SESSIONS, end_session

    client = await make_client(settings)
    walk, ws, _ = await walk_a_few_steps(client, seed=1, steps=2)
    await ws.close()
    registry = client.app[SESSIONS]
    assert registry.expire(time.monotonic()) == []
    gone = registry.expire(time.monotonic() + registry.idle_s + 1)
    assert [s.id for s in gone] == [walk.id]
    await end_session(client.app, gone[0], expired=True)
    assert (await client.get(walk.url("preview"))).status == 404


async def test_an_idle_copy_expiring_leaves_a_walk_resumed_elsewhere(make_client, settings
                                                                    ) -> None:
    """The walker moved from A to B; A's idle copy expires; a third process can still resume."""
    from navigator.livesessions import SESSIONS, end_session

    a, b = await make_client(settings), await make_client(settings)
    walk, ws, _ = await walk_a_few_steps(a, seed=1, steps=2)
    await ws.close()
    a.app[SESSIONS].sessions[walk.id].last_active_s -= 120  # A last heard it 2 minutes ago
    ws_b = await b.ws_connect(walk.url("ws"))
    assert (await ws_b.receive_json())["session_id"] == walk.id
    (gone,) = a.app[SESSIONS].expire(time.monotonic() + a.app[SESSIONS].idle_s - 60)
    await end_session(a.app, gone, expired=True)
    c = await make_client(settings)
    assert (await c.get(walk.url("preview"))).status == 200


async def test_a_closure_on_the_route_ahead_reroutes_the_walker(client: TestClient, api_keys
                                                               ) -> None:
    from navigator.livesessions import SESSIONS
    from tests.navigator.conftest import auth

    walk, ws, walker = await walk_a_few_steps(client, seed=2, steps=6)
    live = client.app[SESSIONS].sessions[walk.id]
    ahead = live.nav.edges_ahead()
    target = ahead[len(ahead) // 2]
    closure = {"edge_id": target, "reason": "building site"}
    r = await client.post("/v1/map/closures", json=closure, headers=auth(api_keys["mapper"]))
    assert r.status == 201
    rerouted: list[dict] = []
    t = 6.0
    while not rerouted and t < 12:  # at the next fix (a scan may leave the position unknown)
        said = await send_and_collect(ws, scan_json(walker.scan(t)))
        rerouted = [m for m in said if m["type"] == "rerouted"]
        t += 1.0
    assert rerouted and rerouted[0]["reason"] == "closed"
    assert rerouted[0]["instruction"]["text"].startswith("The way ahead is closed. New route.")
    assert target not in live.nav.route.edges
    said = await send_and_collect(ws, scan_json(walker.scan(t)))
    assert not [m for m in said if m["type"] == "rerouted"], "one closure, one new route"


# --------------------------------------------------------------------------- GNSS in scans


def gnss_json(lat: float, lon: float, t: float, **extra: object) -> dict:
    return {"lat": lat, "lon": lon, "accuracy_m": 8.0, "t": t, **extra}


def record_scans(client: TestClient, session_id: str, monkeypatch: pytest.MonkeyPatch
                 ) -> list[Scan]:
    """The scans the session's positioner is given, from now on."""
    from navigator.livesessions import SESSIONS

    positioner = client.app[SESSIONS].sessions[session_id].positioner
    seen: list[Scan] = []
    update = positioner.update

    def recording(scan: Scan):  # type: ignore[no-untyped-def]
        seen.append(scan)
        return update(scan)

    monkeypatch.setattr(positioner, "update", recording)
    return seen


async def test_a_scan_with_readings_and_gnss_guides_and_hands_the_fix_to_the_positioner(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from beacons.model import AccuracyKind, GnssFix

    walk, ws, walker = await walk_a_few_steps(client, seed=2, steps=3)
    seen = record_scans(client, walk.id, monkeypatch)
    said = []
    for t in (3.0, 4.0, 5.0):
        msg = scan_json(walker.scan(t))
        lat, lon = walker.result.truth[-1]
        msg["gnss"] = gnss_json(lat, lon, t - 0.4, accuracy_kind="android68", heading_deg=10.0,
                                speed_mps=1.2)
        said += await send_and_collect(ws, msg)
    assert not [m for m in said if m["type"] == "error"], said
    assert [m["type"] for m in said].count("fix") == 3
    assert [len(s.readings) > 0 for s in seen] == [True] * 3
    assert seen[-1].gnss == GnssFix(lat, lon, 8.0, 4.6, AccuracyKind.ANDROID68, 10.0, 1.2)


async def test_a_scan_with_gnss_alone_is_accepted(client: TestClient,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from beacons.model import AccuracyKind

    walk, ws, walker = await walk_a_few_steps(client, seed=2, steps=3)
    seen = record_scans(client, walk.id, monkeypatch)
    lat, lon = walker.result.truth[-1]
    said = await send_and_collect(ws, {"type": "scan", "t": 3.0,
                                       "gnss": gnss_json(lat, lon, 3.0)})
    assert [m["type"] for m in said if m["type"] in ("error", "fix")] == ["fix"], said
    (scan,) = seen
    assert scan.readings == () and scan.t_s == 3.0
    assert scan.gnss is not None and scan.gnss.accuracy_kind is AccuracyKind.W3C95  # default


BAD_GNSS = [
    ('{"lat": 91, "lon": 7.77, "accuracy_m": 5, "t": 1}', "gnss.lat"),
    ('{"lat": 49.44, "lon": -180.5, "accuracy_m": 5, "t": 1}', "gnss.lon"),
    ('{"lat": 49.44, "lon": 7.77, "accuracy_m": 0, "t": 1}', "gnss.accuracy_m"),
    ('{"lat": 49.44, "lon": 7.77, "accuracy_m": -3, "t": 1}', "gnss.accuracy_m"),
    ('{"lat": 49.44, "lon": 7.77, "accuracy_m": 1e400, "t": 1}', "gnss.accuracy_m"),  # inf
    ('{"lat": 49.44, "lon": 7.77, "accuracy_m": 5, "t": 1e9}', "after the scan's t"),
    ('{"lat": 49.44, "lon": 7.77, "accuracy_m": 5, "t": 1, "accuracy_kind": "cep50"}',
     "gnss.accuracy_kind"),
]


@pytest.mark.parametrize(("gnss", "named"), BAD_GNSS)
async def test_a_bad_gnss_value_is_an_error_event_and_the_scan_and_session_go_on(
        client: TestClient, monkeypatch: pytest.MonkeyPatch, gnss: str, named: str) -> None:
    walk, ws, walker = await walk_a_few_steps(client, seed=2, steps=3)
    seen = record_scans(client, walk.id, monkeypatch)
    for t in (3.0, 4.0):  # with readings beside it, then alone
        scan = scan_json(walker.scan(t))
        readings = json.dumps(scan["readings"]) if t == 3.0 else None
        body = f'"readings": {readings}, ' if readings else ""
        await ws.send_str(f'{{"type": "scan", "t": {t}, {body}"gnss": {gnss}}}')
        error = await ws.receive_json(timeout=10)
        assert error["type"] == "error" and error["code"] == "invalid_gnss", error
        assert named in error["message"], error
        said = []
        while not said or said[-1]["type"] != "fix":
            said.append(await ws.receive_json(timeout=10))
        assert [m["type"] for m in said].count("error") == 0, said
    assert [s.gnss for s in seen] == [None, None], "a refused fix never reaches the positioner"
    assert len(seen[0].readings) > 0 and seen[1].readings == ()
    said = await send_and_collect(ws, scan_json(walker.scan(5.0)))  # the session goes on
    assert said[-1]["type"] == "fix" and not ws.closed


@pytest.mark.parametrize("gnss", [
    '{"lat": NaN, "lon": 7.77, "accuracy_m": 5, "t": 1}',
    '{"lat": 49.44, "lon": -Infinity, "accuracy_m": 5, "t": 1}',
    '{"lat": 49.44, "lon": 7.77, "accuracy_m": NaN, "t": 1}',
])
async def test_nan_in_gnss_is_not_json_the_message_is_refused_and_the_session_goes_on(
        client: TestClient, monkeypatch: pytest.MonkeyPatch, gnss: str) -> None:
    """NaN and Infinity are not JSON numbers (RFC 8259): the whole message is refused as
    invalid_message before anything in it is read, and nothing of it is used."""
    walk, ws, walker = await walk_a_few_steps(client, seed=2, steps=3)
    seen = record_scans(client, walk.id, monkeypatch)
    readings = json.dumps(scan_json(walker.scan(3.0))["readings"])
    await ws.send_str(f'{{"type": "scan", "t": 3.0, "readings": {readings}, "gnss": {gnss}}}')
    error = await ws.receive_json(timeout=10)
    assert error["type"] == "error" and error["code"] == "invalid_message", error
    assert "not a JSON number" in error["message"], error
    assert seen == []
    said = await send_and_collect(ws, scan_json(walker.scan(4.0)))
    assert said[-1]["type"] == "fix" and not ws.closed and len(seen) == 1


async def test_an_uncertain_fix_at_a_decision_point_says_position_uncertain_over_the_socket(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """The positioner's error estimate made 40 m larger (beyond any decision point's limit, however
    the positioner is calibrated): the first turn is held and the walker hears, once, that the
    position is uncertain (with audio); they slow down (stand) and with honest errors again the
    turn's instruction follows."""
    import dataclasses

    from beacons.model import Fix
    from navigator.livesessions import SESSIONS

    walk, ws, walker = await walk_a_few_steps(client, seed=3, steps=2)
    positioner = client.app[SESSIONS].sessions[walk.id].positioner
    update, scale = positioner.update, {"extra_m": 40.0}

    def inflated(scan: Scan):  # type: ignore[no-untyped-def]
        pos = update(scan)
        return (dataclasses.replace(pos, error_m=pos.error_m + scale["extra_m"])
                if isinstance(pos, Fix) else pos)

    monkeypatch.setattr(positioner, "update", inflated)
    said: list[dict] = []
    t = 2
    while t < 60 and not [m for m in said if m["type"] == "position_uncertain"]:
        said += await send_and_collect(ws, scan_json(walker.scan(float(t))))  # the turn: ~43 m
        t += 1
    stood_at = float(t - 1)
    for _ in range(8):  # slowing down as told: standing where the warning came
        said += await send_and_collect(ws, {**scan_json(walker.scan(stood_at)), "t": float(t)})
        t += 1
    assert_uncertainty_said_once_per_stretch(said)
    (uncertain, *_) = [m for m in said if m["type"] == "position_uncertain"]
    assert uncertain["text"].startswith("Location uncertain. Slow down, you are approaching")
    assert uncertain["kind"] == "turn" and "audio_url" in uncertain
    assert not [m for m in said if m["type"] == "instruction" and m["kind"] == "turn"]
    assert [m["certain"] for m in said if m["type"] == "fix" and m["available"]][-1] is False
    scale["extra_m"] = 0.0
    later: list[dict] = []
    for _ in range(4):
        later += await send_and_collect(ws, {**scan_json(walker.scan(stood_at)), "t": float(t)})
        t += 1
    turn = [m for m in later if m["type"] == "instruction"]
    assert turn and turn[0]["kind"] == "turn", later


def assert_uncertainty_said_once_per_stretch(events: list[dict]) -> None:
    """position_uncertain is not repeated until a certain fix or a lost position came between
    (the positioner is random per session: a short outage may start a new stretch)."""
    said = False
    for e in events:
        if e["type"] == "position_uncertain":
            assert not said, "position_uncertain repeated within one uncertain stretch"
            said = True
        elif e["type"] == "location_unavailable" or (e["type"] == "fix" and e.get("certain")):
            said = False
    assert any(e["type"] == "position_uncertain" for e in events), events


async def test_a_walk_cannot_be_taken_over_without_its_token(make_client, settings) -> None:
    """Issue 19 #14: anyone who knew a session id could connect to its ws_url, cut the walker
    off (close 4000), hear where they were, stop the walk and read the track. The id is no
    secret now; the token is, on the socket, the preview and the track, in every process."""
    a, b = await make_client(settings), await make_client(settings)
    walk, ws, _ = await walk_a_few_steps(a, seed=1, steps=3, keep_track=True)
    bare = f"/v1/sessions/{walk.id}/ws"
    for app in (a, b):  # b would resume it from storage: refused before anything is built
        wrong = walk.token[:-1] + ("y" if walk.token.endswith("x") else "x")
        for path, code in ((bare, "session_token_required"),
                           (bare + "?token=" + wrong, "invalid_session_token"),
                           (f"/v1/sessions/{walk.id}/preview", "session_token_required")):
            r = await app.get(path)
            assert r.status == 401 and (await r.json())["error"]["code"] == code, path
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await app.ws_connect(bare)
        assert refused.value.status == 401
        r = await app.get(f"/v1/sessions/{walk.id}/preview",
                          headers={"X-Session-Token": walk.token})
        assert r.status == 200
    assert not ws.closed, "the walker was not cut off"
    await ws.send_json({"type": "stop"})
    assert (await ws.receive_json())["type"] == "stopped"
    await ws.receive()
    r = await b.get(f"/v1/sessions/{walk.id}/track")
    assert r.status == 401 and (await r.json())["error"]["code"] == "session_token_required"
    r = await b.get(f"/v1/sessions/{walk.id}/track", headers={"X-Session-Token": "bp_guess"})
    assert r.status == 401
    r = await b.get(walk.url("track"))
    assert r.status == 200 and len((await r.json())["points"]) == 3
    assert "token_hash" not in await r.json()
    doc = await (await a.get("/openapi.json")).json()
    for leaf in ("ws", "preview", "track"):
        op = doc["paths"][f"/v1/sessions/{{id}}/{leaf}"]["get"]
        assert "token" in [p["name"] for p in op["parameters"]] and "401" in op["responses"]
    assert "token" in doc["components"]["schemas"]["SessionCreated"]["required"]


async def test_a_second_connection_with_the_token_takes_over_and_the_first_hears_it(
        client: TestClient) -> None:
    """Resume and replace: the newer connection carries the walk on; the older one is told in
    words (the walker hears it), then closed with 4000."""
    walk, first, walker = await walk_a_few_steps(client, seed=1, steps=3, lang="de")
    second = await client.ws_connect(walk.ws_url)
    told = await first.receive_json(timeout=5)
    assert told["type"] == "replaced" and told["lang"] == "de"
    assert "andere Verbindung" in told["text"] and "audio_url" in told
    closed = await first.receive(timeout=5)
    assert closed.type == aiohttp.WSMsgType.CLOSE and closed.data == 4000
    hello = await second.receive_json(timeout=5)
    assert hello["type"] == "session" and hello["took_over"] is True and hello["resumed"] is True
    said = await send_and_collect(second, scan_json(walker.scan(3.0)))
    assert said[-1]["type"] == "fix"
    third = await client.ws_connect(walk.ws_url)  # after a clean close nobody is replaced
    await second.close()
    hello = await third.receive_json(timeout=5)
    assert hello["took_over"] is True  # second was still open when third came


async def test_logs_show_only_a_short_prefix_of_session_ids_and_never_tokens(
        make_client, settings, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    a, b = await make_client(settings), await make_client(settings)
    walk, ws, _ = await walk_a_few_steps(a, seed=1, steps=2)
    await ws.close()
    ws_b = await b.ws_connect(walk.ws_url)  # resumed: logged by b
    await ws_b.receive_json()
    await ws_b.close()
    # the test server's access log is left out: `blindpilot serve` runs without one
    # (navigator.server.make_runner) and keeps aiohttp.access at WARNING (navigator.logs)
    logged = [json.dumps(vars(r), default=str) + r.getMessage() for r in caplog.records
              if r.name != "aiohttp.access"]
    mine = [line for line in logged if walk.id[:8] in line]
    assert any("session_created" in line for line in mine)
    assert any("session_resumed" in line for line in mine)
    assert not [line for line in logged if walk.id in line or walk.token in line]
