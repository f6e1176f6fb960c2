"""A mapper's session end to end in the browser, every step through the real API: tag an edge
as a crossing with an acoustic signal and see the planned route change, close an edge, read the
diff and revert the edit, resolve a 412 provoked from a second browser context, and see a
walker's live session rerouted round an edge closed in the console."""

from __future__ import annotations

from typing import Any

import aiohttp
import requests

from navigator.keys import MAP
from navigator.livesessions import SESSIONS
from navigator.routeplan import plan_between
from navigator.simulation import SimulatedWalker, WalkOptions
from tests.navigator.console.conftest import ConsolePage, ConsoleServer, OpenConsole
from tests.navigator.test_live import scan_json, send_and_collect

FROM, TO = (49.43666, 7.76797), (49.4432, 7.7717)


def plain_edge_on_route(server: ConsoleServer) -> int:
    """A footway of the planned route that is no crossing and has no steps."""
    route = plan_between(server.server.app[MAP], FROM, TO, "blind_cane")
    for edge_id in route.edges[3:]:
        edge = server.api("GET", f"/v1/map/edges/{edge_id}")
        if edge["crossing"] is None and edge["highway"] in ("footway", "path", "pedestrian"):
            return edge_id
    raise AssertionError("no plain footway on the route")


def select_edge(console: ConsolePage, edge_id: int) -> None:
    """The keyboard way: type the id (no pointer needed)."""
    page = console.page
    page.fill("#select-id", str(edge_id))
    page.press("#select-id", "Enter")
    page.wait_for_selector(f"#edge-title:has-text('Edge {edge_id} ')")


def plan(console: ConsolePage) -> str:
    page = console.page
    console.view("route")
    before = page.text_content("#route-result")
    page.fill("#r-from", f"{FROM[0]}, {FROM[1]}")
    page.fill("#r-to", f"{TO[0]}, {TO[1]}")
    page.click("#route-form button[type=submit]")
    page.wait_for_function(
        "(before) => { const t = document.getElementById('route-result').textContent;"
        " return t.startsWith('Route of') && t !== before; }", arg=before)
    return str(page.text_content("#route-result"))


def test_tag_a_crossing_close_an_edge_and_revert(open_console: OpenConsole,
                                                 console_server: ConsoleServer) -> None:
    console = open_console()
    page = console.page
    console.signed_in(console_server.keys["mapper"])
    first = plan(console)
    assert page.locator("#route-steps li").count() >= 3
    edge_id = plain_edge_on_route(console_server)

    # tag it as a crossing with traffic signals that sound, through the crossing preset
    select_edge(console, edge_id)
    page.select_option("#preset", "crossing")
    page.select_option("#f-crossing", "traffic_signals")
    page.select_option("#f-sound", "true")
    page.select_option("#f-button", "true")
    page.click("#edge-save")
    page.wait_for_selector("#edit-result:has-text('saved')")
    edge = console_server.api("GET", f"/v1/map/edges/{edge_id}")
    assert (edge["crossing"], edge["traffic_signals_sound"], edge["button_operated"],
            edge["footway"]) == ("traffic_signals", True, True, "crossing")
    console.shot("console-mapper-edit")
    tagged = plan(console)
    # A crossing costs the cane profile what a crossing costs (routing/decisions.py), even one
    # whose signal sounds: where a plain footway was, the planned route now goes round it.
    assert tagged != first
    assert edge_id not in plan_between(console_server.server.app[MAP], FROM, TO,
                                       "blind_cane").edges
    console.shot("console-mapper-route")

    # close an edge of the new route: the route goes around, and the map draws it closed
    closed_id = plain_edge_on_route(console_server)
    select_edge(console, closed_id)
    console.view("closures")
    assert page.input_value("#c-edge") == str(closed_id)
    page.fill("#c-reason", "Building site")
    loads = console.map_loads()
    page.click("#closure-form button[type=submit]")
    page.wait_for_selector("#closure-result:has-text('closed')")
    page.wait_for_selector(f"#closure-list li:has-text('Edge {closed_id}: Building site')")
    console.wait_map_load(loads)
    assert page.locator(f"path.look-closed[data-edge='{closed_id}']").count() == 1
    assert console.axe_violations() == []
    console.shot("console-mapper-closures")
    closed = plan(console)
    assert closed != tagged
    route = plan_between(console_server.server.app[MAP], FROM, TO, "blind_cane")
    assert closed_id not in route.edges

    # the history: the edit's diff, then revert it
    console.view("history")
    page.click("#history-load")
    row = page.locator("#history-rows tr", has_text=f"update edge {edge_id}").first
    revision = int(row.locator("td").first.text_content() or "0")
    row.get_by_role("button", name=f"Diff of {revision}").click()
    page.wait_for_selector("#diff-rows th:has-text('traffic_signals_sound')")
    assert "traffic_signals" in (page.text_content("#diff-rows") or "")
    assert console.axe_violations() == []
    console.shot("console-mapper-history")
    row.get_by_role("button", name=f"Revert {revision}").click()
    page.wait_for_selector(f"#history-result:has-text('Revision {revision} reverted')")
    edge = console_server.api("GET", f"/v1/map/edges/{edge_id}")
    assert edge["crossing"] is None and edge["traffic_signals_sound"] is None
    undo = page.locator("#history-rows tr", has_text=f"revert edge {edge_id}")
    assert undo.count() == 1

    # revert the revert: the tagged crossing is back, and the history says so
    undo_revision = int(undo.locator("td").first.text_content() or "0")
    undo.get_by_role("button", name=f"Revert {undo_revision}").click()
    page.wait_for_selector(f"#history-result:has-text('Revision {undo_revision} reverted')")
    edge = console_server.api("GET", f"/v1/map/edges/{edge_id}")
    assert (edge["crossing"], edge["traffic_signals_sound"]) == ("traffic_signals", True)
    assert page.locator("#history-rows tr", has_text=f"revert edge {edge_id}").count() == 2


def test_a_412_from_a_second_browser_is_shown_and_resolved(open_console: OpenConsole,
                                                         console_server: ConsoleServer) -> None:
    mine, theirs = open_console(), open_console()
    mine.signed_in(console_server.keys["mapper"])
    theirs.signed_in(console_server.keys["admin"])
    edge_id = plain_edge_on_route(console_server)
    select_edge(mine, edge_id)
    select_edge(theirs, edge_id)
    # they save first
    theirs.page.select_option("#preset", "footway")
    theirs.page.select_option("#f-surface", "asphalt")
    theirs.page.click("#edge-save")
    theirs.page.wait_for_selector("#edit-result:has-text('saved')")
    # then I save my own change against the revision I opened: 412, shown as a conflict
    page = mine.page
    page.select_option("#preset", "footway")
    page.fill("#f-width", "1.8")
    page.click("#edge-save")
    page.wait_for_selector("#conflict:not([hidden])")
    assert mine.active() == "conflict-title"
    rows = [[c.strip() for c in row.locator("th, td").all_text_contents()]
            for row in page.locator("#conflict-rows tr").all()]
    assert rows[0] == ["width_m", "1.8", "—"]  # mine, then theirs
    assert rows[1][0] == "surface" and rows[1][1].endswith("(not changed by you)")
    assert rows[1][2] == "asphalt" and len(rows) == 2
    assert mine.axe_violations() == []
    mine.shot("console-mapper-conflict")
    page.click("#conflict-reapply")
    page.wait_for_selector("#edit-result:has-text('saved')")
    assert not page.is_visible("#conflict")
    edge = console_server.api("GET", f"/v1/map/edges/{edge_id}")
    assert (edge["surface"], edge["width_m"]) == ("asphalt", 1.8)  # theirs and mine, both kept


def test_validation_list_zooms_and_a_node_moves_by_typed_coordinates(
        open_console: OpenConsole, console_server: ConsoleServer) -> None:
    console = open_console()
    page = console.page
    console.signed_in(console_server.keys["mapper"])
    console.view("validation")
    page.click("#validate")
    page.wait_for_selector("#validation-summary:has-text('problems listed')")
    problems = page.locator("#validation-list li")
    assert problems.count() > 0
    assert page.locator("#map path.problem").count() > 0  # the overlay
    console.shot("console-mapper-validation")
    # "Show" on a crossing that lacks signal information: the map zooms there and opens it
    crossing = problems.filter(has_text="Crossing edge").first
    edge_id = int((crossing.text_content() or "").split("Crossing edge ")[1].split()[0])
    loads = console.map_loads()
    crossing.get_by_role("button", name="Show").click()
    page.wait_for_selector(f"#edge-title:has-text('Edge {edge_id} ')")
    console.wait_map_load(loads)
    assert page.evaluate("window.consoleApp.map.map.getZoom()") >= 19
    # move the edge's first node without dragging: type where it goes, from the keyboard
    node_id = console_server.api("GET", f"/v1/map/edges/{edge_id}")["u"]
    node = console_server.api("GET", f"/v1/map/nodes/{node_id}")
    page.select_option("#select-kind", "node")
    page.fill("#select-id", str(node_id))
    page.press("#select-id", "Enter")
    page.wait_for_selector(f"#node-title:has-text('Node {node_id},')")
    page.fill("#n-lat", f"{node['lat'] + 0.00001:.7f}")
    page.focus("#node-save")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#edit-result:has-text('Node {node_id} saved')")
    moved = console_server.api("GET", f"/v1/map/nodes/{node_id}")
    assert abs(moved["lat"] - node["lat"] - 0.00001) < 1e-9 and moved["lon"] == node["lon"]
    assert moved["revision"] == node["revision"] + 1
    assert console.axe_violations() == []


def test_add_connect_split_and_delete_from_the_keyboard(open_console: OpenConsole,
                                                  console_server: ConsoleServer) -> None:
    """Geometry edits with typed coordinates and ids only (WCAG 2.5.7), each checked in the API."""
    console = open_console()
    page = console.page
    console.signed_in(console_server.keys["mapper"])
    # a node typed in, then a node at the map's centre: both become the ends to connect
    page.fill("#g-pos", f"{FROM[0]:.6f}, {FROM[1] + 0.0002:.6f}")
    page.focus("#add-node")
    page.keyboard.press("Enter")
    page.wait_for_selector("#geometry-result:has-text('added')")
    first = int(page.input_value("#g-from"))
    assert console_server.api("GET", f"/v1/map/nodes/{first}")["lat"] == round(FROM[0], 6)
    page.click("button[data-pick=g-pos]")
    page.click("#add-node")
    page.wait_for_selector(f"#geometry-result:has-text('Node {first + 1} added')")
    second = int(page.input_value("#g-to"))
    assert console_server.status(f"/v1/map/nodes/{second}") == 200
    page.wait_for_selector(f"#node-title:has-text('Node {second},')")

    page.focus("#connect")
    page.keyboard.press("Enter")
    page.wait_for_selector("#geometry-result:has-text('connects')")
    edge_id = int((page.text_content("#geometry-result") or "").split()[1])
    edge = console_server.api("GET", f"/v1/map/edges/{edge_id}")
    assert (edge["u"], edge["v"], edge["highway"]) == (first, second, "footway")
    assert edge["length_m"] > 0
    page.wait_for_selector(f"#edge-title:has-text('Edge {edge_id} ')")
    assert console.axe_violations() == []
    console.shot("console-mapper-geometry")

    # split it at the middle: a node between two halves that keep its tags
    page.fill("#split-at", "0.5")
    page.focus("#edge-split")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#edit-result:has-text('Edge {edge_id} split')")
    words = (page.text_content("#edit-result") or "").rstrip(".").split()
    middle, halves = int(words[5]), (int(words[8]), int(words[10]))
    page.wait_for_selector(f"#node-title:has-text('Node {middle},')")
    assert console_server.status(f"/v1/map/edges/{edge_id}") == 404
    ends = [(e["u"], e["v"]) for e in (console_server.api("GET", f"/v1/map/edges/{h}")
                                        for h in halves)]
    assert ends == [(first, middle), (middle, second)]

    # a node that still has edges is refused; the edges, then the nodes, go
    page.click("#node-delete")
    page.wait_for_selector(f"#edit-result:has-text('Node {middle} not deleted')")
    assert console_server.status(f"/v1/map/nodes/{middle}") == 200
    for half in halves:
        page.select_option("#select-kind", "edge")
        page.fill("#select-id", str(half))
        page.press("#select-id", "Enter")
        page.wait_for_selector(f"#edge-title:has-text('Edge {half} ')")
        page.focus("#edge-delete")
        page.keyboard.press("Enter")
        page.wait_for_selector(f"#edit-result:has-text('Edge {half} deleted')")
        assert console_server.status(f"/v1/map/edges/{half}") == 404
    for node_id in (middle, second, first):
        page.select_option("#select-kind", "node")
        page.fill("#select-id", str(node_id))
        page.press("#select-id", "Enter")
        page.wait_for_selector(f"#node-title:has-text('Node {node_id},')")
        page.click("#node-delete")
        page.wait_for_selector(f"#edit-result:has-text('Node {node_id} deleted')")
        assert console_server.status(f"/v1/map/nodes/{node_id}") == 404
    assert console.axe_violations() == []


class LiveWalk:
    """A walker's session beside the console, as a phone holds one: opened with POST
    /v1/sessions, then its WebSocket with the token that answer gave (docs/API.md). The client
    runs on the served app's loop, the only loop the test has."""

    def __init__(self, server: ConsoleServer) -> None:
        self.server = server.server
        mapstate = self.server.app[MAP]
        self.walker = SimulatedWalker(mapstate, plan_between(mapstate, FROM, TO, "blind_cane"),
                                      WalkOptions(seed=2))
        r = requests.post(server.base_url + "/v1/sessions", timeout=10, json={
            "from": {"lat": FROM[0], "lon": FROM[1]}, "to": {"lat": TO[0], "lon": TO[1]},
            "lang": "en"})
        r.raise_for_status()
        body = r.json()
        self.id, self.token = body["session_id"], body["token"]
        self.http = self.server.run(self._client())
        self.ws = self.server.run(self.http.ws_connect(server.base_url + body["ws_url"]))
        hello = self.server.run(self.ws.receive_json(timeout=10))
        assert hello["type"] == "session" and hello["session_id"] == self.id
        self.t = 0.0

    @staticmethod
    async def _client() -> aiohttp.ClientSession:
        return aiohttp.ClientSession()

    def step(self) -> list[dict[str, Any]]:
        """One second of walking: the scan the phone hears, and what the server says to it."""
        said = self.server.run(send_and_collect(self.ws, scan_json(self.walker.scan(self.t))))
        self.t += 1.0
        return said

    def close(self) -> None:
        self.server.run(self.ws.close())
        self.server.run(self.http.close())


def test_a_live_walk_is_rerouted_when_the_mapper_closes_an_edge_ahead(
        open_console: OpenConsole, console_server: ConsoleServer) -> None:
    walk = LiveWalk(console_server)
    try:
        for _ in range(6):
            walk.step()
        preview = requests.get(f"{console_server.base_url}/v1/sessions/{walk.id}/preview",
                               params={"token": walk.token}, timeout=10)
        assert preview.status_code == 200  # the walk is reachable with its token only
        live = console_server.server.app[SESSIONS].sessions[walk.id]
        ahead = live.nav.edges_ahead()
        target = ahead[len(ahead) // 2]

        # the mapper closes that edge in the console, by its id (keyboard only)
        console = open_console()
        page = console.page
        console.signed_in(console_server.keys["mapper"])
        select_edge(console, target)
        console.view("closures")
        assert page.input_value("#c-edge") == str(target)
        page.fill("#c-reason", "Scaffolding over the pavement")
        page.focus("#closure-form button[type=submit]")
        page.keyboard.press("Enter")
        page.wait_for_selector(f"#closure-list li:has-text('Edge {target}: Scaffolding')")

        rerouted: list[dict[str, Any]] = []
        while not rerouted and walk.t < 14:  # at the next fix (a scan may leave it unknown)
            rerouted = [m for m in walk.step() if m["type"] == "rerouted"]
        assert rerouted and rerouted[0]["reason"] == "closed"
        assert rerouted[0]["instruction"]["text"].startswith("The way ahead is closed. New route.")
        assert target not in live.nav.route.edges
        assert not [m for m in walk.step() if m["type"] == "rerouted"], "one closure, one reroute"
    finally:
        walk.close()
