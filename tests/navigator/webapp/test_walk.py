"""Walks in the browser: planned by keyboard alone, guided over the real WebSocket, told through
the live regions in order, resumed after a dropped connection, and driven by the phone's
(mocked) position as well as by the demo walker.

The clock runs fast (``?speed=``): a scan every 50 ms carries one simulated second, so the
server's timing rules see a walker at walking pace.
"""

from __future__ import annotations

import json
import time
from typing import Any

from beacons.simulator import walk_along
from tests.navigator.webapp.conftest import AppPage, OpenApp

START = "Hauptbahnhof"
#: 141 m with four turns and a crossing whose lights have no sound (a warning in the preview).
LONG_DEST = "Postbank"
#: 76 m: a turn, a landmark, a turn.
SHORT_DEST = "Subway"
HAUPTBAHNHOF = (49.43666, 7.76797)
SPOKEN = ("instruction", "rerouted", "off_route", "location_unavailable", "position_uncertain",
          "arrived")
#: Said assertively (interrupting): safety only.
URGENT = ("off_route", "location_unavailable", "position_uncertain")
LOST = "Verbindung verloren. Ich verbinde neu …"
BACK = "Wieder verbunden. Die Führung geht weiter."


def choose_place(app: AppPage, field: str, name: str) -> None:
    """Type a name into a search field, submit with Enter, Tab to the first hit, press Enter."""
    keyboard = app.page.keyboard
    assert app.active() == field
    keyboard.type(name)
    keyboard.press("Enter")
    app.page.wait_for_selector(f"#{field.split('-')[0]}-picker .choices button")
    app.tab_to(name)
    keyboard.press("Enter")


def plan_by_keyboard(app: AppPage, dest: str, demo_start: bool = True) -> dict[str, Any]:
    """Destination (and the demo's start) by keyboard alone, up to the route preview."""
    app.tab_to("dest-q")
    choose_place(app, "dest-q", dest)
    if demo_start:
        choose_place(app, "start-q", START)
    assert app.active() == "plan-go"
    with app.page.expect_response("**/v1/routes") as answer:
        app.page.keyboard.press("Enter")
    app.wait_for_screen("preview")
    assert app.active() == "preview-title", "the new screen's heading takes the focus"
    return answer.value.json()


def start_by_keyboard(app: AppPage) -> int:
    """Start guidance with the keyboard; the number of focus moves so far."""
    app.tab_to("Führung starten")
    app.page.keyboard.press("Enter")
    app.wait_for_screen("guide")
    assert app.active() == "guide-title"
    return len(app.focus_moves())


def spoken(app: AppPage) -> list[dict[str, Any]]:
    """What the server told the walker (every message that is to be said), in order."""
    return [m for m in app.received if m["type"] in SPOKEN]


def text_of(message: dict[str, Any]) -> str:
    return str(message["instruction"]["text"] if message["type"] == "rerouted" else message["text"])


def assert_told_in_order(app: AppPage, route: dict[str, Any],
                         told: list[dict[str, Any]] | None = None) -> None:
    """Every spoken message (``told``: all the server sent) reached the live region, in that
    order, polite unless it is a safety message; instructions follow the route's maneuvers;
    "arrived" comes last."""
    told = spoken(app) if told is None else told
    live = [entry for entry in app.live() if entry[1] in {text_of(m) for m in told}]
    assert [text for _, text in live] == [text_of(m) for m in told]
    for (region, _), message in zip(live, told, strict=True):
        urgent = message["type"] in URGENT or message.get("reason") == "closed"
        assert region == ("live-assertive" if urgent else "live-polite"), message
    assert told[-1]["type"] == "arrived" and told[-1]["text"] == live[-1][1]
    where = {(m["at"]["lat"], m["at"]["lon"]): i for i, m in enumerate(route["maneuvers"])}
    order = [where[(m["at"]["lat"], m["at"]["lon"])] for m in told if m["type"] == "instruction"]
    assert order == sorted(order), "instructions go back along the route"
    assert {"depart", "turn", "arrive"} <= {m["kind"] for m in told if "kind" in m} | {"arrive"}


def test_a_demo_walk_planned_by_keyboard_is_told_in_order_and_arrives(open_app: OpenApp
                                                                      ) -> None:
    app = open_app(speed=20)
    route = plan_by_keyboard(app, LONG_DEST)
    steps = app.page.locator("#pv-steps li").all_inner_texts()
    assert steps == [m["text"] for m in route["maneuvers"]], "the preview reads every step"
    assert app.page.locator("#pv-warning-list li").count() >= 1  # a crossing without sound
    moves = start_by_keyboard(app)
    app.wait_for_screen("arrived", timeout_s=60)
    assert_told_in_order(app, route)
    assert app.focus_moves()[moves:] == ["arrived-title"], "focus moved during the walk"
    scans = [m for m in app.sent if m["type"] == "scan"]
    assert len(scans) > route["length_m"] / 1.5 and all(s["readings"] for s in scans[:5])
    times = [s["t"] for s in scans]
    assert times == sorted(times) and "gnss" not in scans[0]
    assert app.sent[-1] == {"type": "stop"}, "the session is ended on the server at arrival"
    kept = app.page.evaluate("JSON.stringify(localStorage)")
    assert set(json.loads(kept)) == {"blindpilot.recent"} and '"lat' not in kept, \
        "only destinations (id, name, kind) are kept on the device, never a position"


def test_a_dropped_connection_mid_walk_resumes_the_same_session(open_app: OpenApp) -> None:
    routes: list[Any] = []

    def through(ws: Any) -> None:  # the network between page and server, which we can cut
        routes.append((ws, ws.connect_to_server()))

    app = open_app(speed=20, route_ws=through)
    route = plan_by_keyboard(app, SHORT_DEST)
    moves = start_by_keyboard(app)
    deadline = time.monotonic() + 20
    while sum(m["type"] == "instruction" for m in app.received) < 2:
        assert time.monotonic() < deadline, "no guidance before the drop"
        app.page.wait_for_timeout(50)
    page_side, server_side = routes[-1]
    server_side.close(code=1011, reason="network drop")
    page_side.close(code=1011, reason="network drop")
    app.wait_for_screen("arrived", timeout_s=60)
    hellos = [m for m in app.received if m["type"] == "session"]
    assert len(routes) >= 2 and len({url for url in app.sockets}) == 1, "one session URL"
    assert [h["resumed"] for h in hellos][:2] == [False, True]
    assert len({h["session_id"] for h in hellos}) == 1
    notices = [(region, text) for region, text in app.live() if text in (LOST, BACK)]
    assert notices == [("live-assertive", LOST), ("live-polite", BACK)]
    assert_told_in_order(app, route, heard_despite_a_drop(app))
    assert app.focus_moves()[moves:] == ["arrived-title"]


def heard_despite_a_drop(app: AppPage) -> list[dict[str, Any]]:
    """What the walker must have heard when the connection dropped once: all the server said
    before the page noticed, the newest instruction lost in the drop (the server's hello on
    reconnecting carries it; older lost ones are stale by then), all it said after."""
    hello_at = [i for i, m in enumerate(app.received) if m["type"] == "session"][1]
    before = [m for m in app.received[:hello_at] if m["type"] in SPOKEN]
    after = [m for m in app.received[hello_at + 1:] if m["type"] in SPOKEN]
    reached = [text for _, text in app.live()].index(LOST)  # said before the drop was noticed
    heard, lost = before[:reached], before[reached:]
    if lost:
        last = app.received[hello_at]["last_instruction"]
        assert last["id"] == lost[-1]["id"], "the hello carries the newest instruction"
        heard.append(last)
    return heard + after


def test_the_phones_position_moved_along_the_route_guides_to_arrival(open_app: OpenApp
                                                                     ) -> None:
    """Demo outdoors: the (mocked) Geolocation walks the route step by step; the app hears the
    simulated beacons where the phone is."""
    app = open_app(speed=20, position=HAUPTBAHNHOF)
    app.page.get_by_label("Demo draußen").check()
    route = plan_by_keyboard(app, SHORT_DEST, demo_start=False)
    assert app.page.locator("#pv-from").inner_text() == "Ihr Standort"
    start_by_keyboard(app)
    walk_the_phone_along(app, route)
    assert_told_in_order(app, route)
    first = next(m for m in app.sent if m["type"] == "scan" and "gnss" in m)
    assert first["gnss"]["accuracy_kind"] == "w3c95" and first["gnss"]["accuracy_m"] == 8.0


def test_a_walk_on_the_phones_gnss_alone_arrives(open_app: OpenApp) -> None:
    """The phone's GPS and no beacon at all (mode "gps", as on a street without beacons): every
    scan carries GNSS and no readings, and the (mocked) position walked along the route guides
    the walker to arrival in order."""
    app = open_app(speed=20, position=HAUPTBAHNHOF)
    app.page.get_by_label("Standort des Telefons (GPS)").check()
    route = plan_by_keyboard(app, SHORT_DEST, demo_start=False)
    start_by_keyboard(app)
    walk_the_phone_along(app, route)
    assert_told_in_order(app, route)
    sent = [m for m in app.sent if m["type"] == "scan"]
    assert sent and all(m["readings"] == [] for m in sent)
    assert sum("gnss" in m for m in sent) >= 0.8 * len(sent)


def walk_the_phone_along(app: AppPage, route: dict[str, Any]) -> None:
    """Move the mocked Geolocation along the route until the walker is told they arrived.

    4.8 m every 200 ms: at 20 simulated seconds a second that is walking pace (1.2 m/s) on the
    clock the scans carry, however busy the machine is (a position every 4 s)."""
    for i, (lat, lon) in enumerate(walk_points(route, step_m=4.8)):
        app.page.context.set_geolocation({"latitude": lat, "longitude": lon, "accuracy": 8.0})
        app.page.wait_for_timeout(200)
        if i % 4 == 0 and any(m["type"] == "arrived" for m in app.received):
            break
    app.wait_for_screen("arrived", timeout_s=20)


def walk_points(route: dict[str, Any], step_m: float) -> list[tuple[float, float]]:
    """The route's GeoJSON line as (lat, lon) points every ``step_m`` metres."""
    coords = [(lat, lon) for lon, lat in route["geometry"]["coordinates"]]
    return [(lat, lon) for _, lat, lon in walk_along(coords, step_m, 1.0)]


def test_a_walk_taken_over_by_another_connection_is_said_to_the_walker(open_app: OpenApp
                                                                       ) -> None:
    """Issue 19 #14: a second connection with the walk's token (another tab, device, or
    someone who got hold of it) takes the walk over; the first device says so, aloud and
    at once, and stops guiding instead of reconnecting and fighting over the walk."""
    app = open_app(speed=10)  # the long walk, slower: ~14 s, far from arriving at the takeover
    plan_by_keyboard(app, LONG_DEST)
    start_by_keyboard(app)
    deadline = time.monotonic() + 20
    while not any(m["type"] == "instruction" for m in app.received):
        assert time.monotonic() < deadline, "no guidance before the takeover"
        app.page.wait_for_timeout(50)
    (url,) = set(app.sockets)
    other = open_app()
    opened = other.page.evaluate("""(url) => new Promise((resolve) => {
        const ws = new WebSocket(url);
        ws.onmessage = (e) => resolve(JSON.parse(e.data));
        ws.onclose = (e) => resolve({closed: e.code});
    })""", url)
    assert opened["type"] == "session" and opened["took_over"] is True
    app.wait_for_screen("error")
    replaced = [m for m in app.received if m["type"] == "replaced"]
    assert len(replaced) == 1 and "andere Verbindung" in replaced[0]["text"]
    assert ("live-assertive", replaced[0]["text"]) in app.live(), "said at once"
    assert len(set(app.sockets)) == 1 and len(app.sockets) == 1, "no reconnect to fight back"
