"""Live guidance in the browser beyond the walk itself: the walker's commands and shortcuts,
sound (the server's audio, else the browser's voice) and vibration, GNSS as the W3C reports it
and what the app does on a server that cannot take it, and the demo's radio law."""

from __future__ import annotations

import io
import json
import wave
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

import numpy as np

from beacons.pathloss import expected_rssi_dbm
from tests.navigator.webapp.conftest import AppPage, OpenApp
from tests.navigator.webapp.test_walk import HAUPTBAHNHOF, SHORT_DEST, START

#: Replaces the browser's voice and vibration with recorders (the voice "speaks" at once).
SOUND_RECORDER = """
window.__spoken = [];
window.__vibrated = [];
speechSynthesis.speak = (u) => {
  window.__spoken.push([u.text, u.lang]);
  setTimeout(() => u.onend && u.onend(), 0);
};
navigator.vibrate = (pattern) => { window.__vibrated.push(pattern); return true; };
"""
#: What a server from before GNSS positioning answers a scan that carries it.
OLD_SERVER_ERROR = {"type": "error", "code": "invalid_message",
                    "message": "gnss: Extra inputs are not permitted"}


def plan_and_start(app: AppPage, dest: str = SHORT_DEST, demo_start: bool = True) -> None:
    page = app.page
    page.fill("#dest-q", dest)
    page.press("#dest-q", "Enter")
    page.locator("#dest-picker .choices button").first.click()
    if demo_start:
        page.fill("#start-q", START)
        page.press("#start-q", "Enter")
        page.locator("#start-picker .choices button").first.click()
    page.click("#plan-go")
    app.wait_for_screen("preview")
    page.click("#guide-start")
    app.wait_for_screen("guide")


def wait_until(app: AppPage, done: Callable[[], bool], what: str, timeout_s: float = 15) -> None:
    for _ in range(int(timeout_s * 20)):
        if done():
            return
        app.page.wait_for_timeout(50)
    raise AssertionError(f"timed out waiting for {what}")


def scans(app: AppPage) -> list[dict[str, Any]]:
    return [m for m in app.sent if m["type"] == "scan"]


def test_shortcuts_ask_pause_and_end_and_never_move_the_focus(open_app: OpenApp) -> None:
    app = open_app(speed=4)
    plan_and_start(app)
    moves = len(app.focus_moves())
    keys = app.page.keyboard
    wait_until(app, lambda: any(m["type"] == "instruction" for m in app.received), "guidance")
    for key, kind in (("W", "where_am_i"), ("A", "around_me")):
        keys.press(f"Alt+Shift+{key}")
        wait_until(app, lambda kind=kind: any(m.get("kind") == kind for m in app.received), kind)
        answer = next(m for m in app.received if m.get("kind") == kind)
        wait_until(app, lambda text=answer["text"]: ("live-polite", text) in app.live(),
                   f"{kind} in the live region")
    keys.press("Alt+Shift+R")
    wait_until(app, lambda: {"type": "repeat"} in app.sent, "repeat sent")
    keys.press("Alt+Shift+P")
    assert app.page.get_attribute("#cmd-pause", "aria-pressed") == "true"
    assert app.page.get_by_role("button", name="Pause").is_visible(), "the name stays"
    app.page.wait_for_timeout(300)
    held = len(scans(app))
    app.page.wait_for_timeout(1000)
    assert len(scans(app)) == held, "a paused walk sends no positions"
    assert ("live-polite", "Pause. Es werden keine Positionen gesendet.") in app.live()
    keys.press("Alt+Shift+P")
    wait_until(app, lambda: len(scans(app)) > held, "scans after the pause")
    assert app.focus_moves()[moves:] == [], "a shortcut or an answer moved the focus"
    keys.press("Alt+Shift+E")
    app.wait_for_screen("plan")
    assert app.sent[-1] == {"type": "stop"}
    assert ("live-polite", "Führung beendet.") in app.live()


def test_server_audio_plays_else_the_browsers_voice_with_vibration(open_app: OpenApp) -> None:
    """Every other instruction gets an audio URL (the test server is text-only): those are
    fetched and played, the others go to speechSynthesis in the walk's language."""
    fetched: list[str] = []
    delivered: list[dict[str, Any]] = []  # what the page got (after the audio URLs went in)

    def with_audio(ws: Any) -> None:
        server = ws.connect_to_server()
        count = iter(range(1_000_000))

        def to_page(raw: str | bytes) -> None:
            message = json.loads(raw)
            if message["type"] == "instruction" and next(count) % 2 == 0:
                message["audio_url"] = f"/v1/audio/{message['id']}.wav"
            delivered.append(message)
            ws.send(json.dumps(message))

        ws.on_message(server.send)
        server.on_message(to_page)

    app = open_app(speed=20, route_ws=with_audio, init_script=SOUND_RECORDER)
    app.page.route("**/v1/audio/*.wav",
                   lambda route: (fetched.append(route.request.url),
                                  route.fulfill(body=silent_wav(), content_type="audio/wav")))
    plan_and_start(app)
    app.wait_for_screen("arrived", timeout_s=60)
    told = [m for m in delivered if m["type"] in ("instruction", "arrived")]
    expected_voice = [(m["text"], "de-DE") for m in told if not m.get("audio_url")]
    expected_audio = [m["audio_url"] for m in told if m.get("audio_url")]
    wait_until(app, lambda: len(app.page.evaluate("window.__spoken")) >= len(expected_voice),
               "the voice to catch up")
    assert [tuple(x) for x in app.page.evaluate("window.__spoken")] == expected_voice
    assert [urlparse(url).path for url in fetched] == expected_audio
    vibrated = app.page.evaluate("window.__vibrated")
    assert vibrated[:-1] == [[120]] * (len(told) - 1) and vibrated[-1] == [400, 150, 400]


def silent_wav() -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * 800)
    return out.getvalue()


def test_gps_sends_w3c_gnss_and_says_so_when_the_server_cannot_take_it(open_app: OpenApp
                                                                       ) -> None:
    """Against a server from before GNSS positioning (emulated: it refuses the field), the app
    falls back to scans it takes, and tells the walker at once (assertive)."""
    from_page: list[dict[str, Any]] = []  # (a routed socket's frames, as the page sent them)

    def old_server(ws: Any) -> None:
        server = ws.connect_to_server()

        def to_server(raw: str | bytes) -> None:
            from_page.append(json.loads(raw))
            if "gnss" in from_page[-1]:
                ws.send(json.dumps(OLD_SERVER_ERROR))
            else:
                server.send(raw)

        ws.on_message(to_server)
        server.on_message(ws.send)

    app = open_app(speed=10, position=HAUPTBAHNHOF, route_ws=old_server)
    app.page.get_by_label("Standort des Telefons").check()
    plan_and_start(app, demo_start=False)
    notice = ("live-assertive", "Dieser Server kann den Standort des Telefons noch nicht "
                                "nutzen. Probieren Sie die Demo.")
    wait_until(app, lambda: notice in app.live(), "the no-GNSS notice")
    wait_until(app, lambda: sum(m["type"] == "scan" for m in from_page) >= 8, "later scans")
    sent = [m for m in from_page if m["type"] == "scan"]
    with_gnss = [i for i, s in enumerate(sent) if "gnss" in s]
    assert len(with_gnss) == 1, "sent once; after the refusal scans go without it"
    first, *later = sent[with_gnss[0]:]
    assert first["gnss"] == {"lat": HAUPTBAHNHOF[0], "lon": HAUPTBAHNHOF[1], "accuracy_m": 8.0,
                             "t": first["gnss"]["t"], "accuracy_kind": "w3c95"}
    assert 0 <= first["gnss"]["t"] <= first["t"]
    assert all("gnss" not in s and s["readings"] == [] for s in later)
    assert [text for region, text in app.live()].count(notice[1]) == 1


def test_the_demo_radio_follows_the_simulators_path_loss_law(open_app: OpenApp) -> None:
    app = open_app()
    distances = [0.1, 0.5, 1.0, 2.5, 10.0, 29.9]
    got = app.page.evaluate("""async (ds) => {
        const demo = await import("./js/demo.js");
        return ds.map((d) => demo.expectedRssiDbm(d, -59, 2.7));
    }""", distances)
    assert np.allclose(got, expected_rssi_dbm(np.array(distances), -59.0, 2.7))


#: The server holding a turn for a fix too uncertain for it (injected: the demo's radio is too
#: good to make one).
UNCERTAIN = {"type": "position_uncertain", "kind": "turn", "at": {"lat": 49.437, "lon": 7.768},
             "error_m": 7.0, "error_limit_m": 6.0, "lang": "de", "t": 3.0, "audio_url": None,
             "text": "Standort ungenau. Gehen Sie langsamer, Sie nähern sich der Abzweigung."}


def after_the_first_instruction(*messages: dict[str, Any]) -> Callable[[Any], None]:
    """A live-socket route passing everything through and sending ``messages`` to the page,
    in order, right after the server's first instruction."""

    def route(ws: Any) -> None:
        server = ws.connect_to_server()
        sent: list[bool] = []

        def to_page(raw: str | bytes) -> None:
            ws.send(raw)
            if json.loads(raw)["type"] == "instruction" and not sent:
                sent.append(True)
                for message in messages:
                    ws.send(json.dumps(message))

        ws.on_message(server.send)
        server.on_message(to_page)

    return route


def test_position_uncertain_is_said_at_once_assertively(open_app: OpenApp) -> None:
    """The server holds a turn because the position is too uncertain and says so: a safety
    message, said assertively like off_route (injected here: the demo's radio is too good)."""
    app = open_app(speed=20, route_ws=after_the_first_instruction(UNCERTAIN))
    plan_and_start(app)
    notice = ("live-assertive", UNCERTAIN["text"])
    wait_until(app, lambda: notice in app.live(), "the uncertainty warning")
    assert UNCERTAIN["text"] in app.page.locator("#history li").all_inner_texts()


def test_the_walker_chooses_decision_points_only_and_the_session_is_asked_for_it(
        open_app: OpenApp) -> None:
    app = open_app()
    page = app.page
    choice = page.get_by_role("radio", name="Nur Entscheidungspunkte")
    assert choice.is_visible(), "the server names the level: the app offers it"
    choice.check()
    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/v1/sessions")
                             ) as request:
        plan_and_start(app)
    assert request.value.post_data_json["verbosity"] == "decision_points"
    kept = json.loads(page.evaluate("localStorage.getItem('blindpilot.settings')"))
    assert kept["verbosity"] == "decision_points", "a setting, kept on the device"


#: Records, at each ``speechSynthesis.cancel()`` (what is being said is cut off), the latest line
#: of the polite live region: the DOM is written before the app silences the speech.
CANCEL_RECORDER = SOUND_RECORDER + """
window.__cut_for = [];
speechSynthesis.cancel = () => {
  const polite = document.getElementById("live-polite");
  window.__cut_for.push(polite && polite.lastElementChild
    ? polite.lastElementChild.textContent : null);
};
"""


def test_an_interrupting_instruction_cuts_its_position_uncertain_short(open_app: OpenApp
                                                                        ) -> None:
    """The held turn, once a fix allows it, comes with ``interrupts``: the app stops the
    "position uncertain" still being said and says the turn at once; an ordinary instruction
    waits its turn (nothing is cut off for it)."""
    turn = {"type": "instruction", "id": 901, "kind": "turn", "phase": "ahead", "lang": "de",
            "distance_m": 6.0, "t": 4.0, "at": {"lat": 49.437, "lon": 7.768}, "audio_url": None,
            "interrupts": True, "text": "In 6 Metern rechts abbiegen (Test, unterbrechend)."}
    plain = {k: v for k, v in turn.items() if k != "interrupts"} | {
        "id": 902, "text": "Danach geradeaus (Test, wartend)."}
    app = open_app(speed=20, route_ws=after_the_first_instruction(UNCERTAIN, turn, plain),
                   init_script=CANCEL_RECORDER)
    plan_and_start(app)
    wait_until(app, lambda: ("live-polite", plain["text"]) in app.live(), "the plain instruction")
    cut_for = app.page.evaluate("window.__cut_for")
    assert turn["text"] in cut_for, "the interrupting turn stopped what was being said"
    assert plain["text"] not in cut_for, "an ordinary instruction cuts nobody off"
    assert ("live-polite", turn["text"]) in app.live()
