"""The guidance state machine, rule by rule, on a hand-made L-shaped route (exact, no radio)."""

from __future__ import annotations

import pytest

from beacons.model import Fix, Unavailable
from navigator.session import GuidanceSettings, NavigationSession
from routing.geo import LocalFrame
from routing.model import Maneuver, ManeuverKind, Route
from routing.paths import NoAccessibleRoute

FRAME = LocalFrame(49.4440, 7.7690)


def ll(x: float, y: float) -> tuple[float, float]:
    return FRAME.to_latlon(x, y)


def l_route(east_m: float = 60.0, north_m: float = 40.0) -> Route:
    """Walk east, turn left (north) at the corner, arrive."""
    coords = (ll(0, 0), ll(east_m, 0), ll(east_m, north_m))
    m = [
        Maneuver(ManeuverKind.DEPART, 1, *coords[0], 0.0, 0.0, None,
                 {"heading_deg": 90.0, "street": "Marktstraße"}),
        Maneuver(ManeuverKind.TURN, 2, *coords[1], east_m, east_m, -90.0,
                 {"direction": "left", "severity": "normal", "clock": 9, "street": "Fackelstraße"}),
        Maneuver(ManeuverKind.ARRIVE, 3, *coords[2], north_m, east_m + north_m, None,
                 {"name": None, "side": None}),
    ]
    return Route((1, 2, 3), (10, 11), east_m + north_m, east_m + north_m, "blind_cane",
                 tuple(m), coords)


def fix(x: float, y: float, t: float) -> Fix:
    lat, lon = ll(x, y)
    return Fix(lat, lon, None, 10, 0.0, 1.0, 0.9, t)


def no_replan(_start: tuple[float, float]) -> Route:
    raise NoAccessibleRoute("test: no replanning expected")


def walk_east(session: NavigationSession, until_x: float, speed: float = 1.2, t0: float = 0.0,
              y: float = 0.0) -> list[tuple[float, object]]:
    """Feed one fix per second along the first leg; returns (x, event) pairs."""
    out = []
    t, x = t0, 0.0
    while x <= until_x:
        for e in session.on_position(fix(x, y, t)):
            out.append((x, e))
        t += 1.0
        x += speed
    return out


def instructions(events: list[tuple[float, object]]) -> list[tuple[float, dict]]:
    return [(x, e.data) for x, e in events if e.type == "instruction"]


def test_first_instruction_orients_the_walker_then_turn_is_announced_once_6m_ahead() -> None:
    s = NavigationSession(l_route(), no_replan, lang="en")
    got = instructions(walk_east(s, 59.0))
    assert got[0][1]["kind"] == "depart" and got[0][0] == 0.0
    turn_ahead = [(x, d) for x, d in got if d["kind"] == "turn" and d["phase"] == "ahead"]
    assert len(turn_ahead) == 1
    x, data = turn_ahead[0]
    assert 5.0 <= 60.0 - x <= 7.0
    assert data["text"].startswith("In ")
    approaching = [(x, d) for x, d in got if d["kind"] == "turn" and d["phase"] == "approaching"]
    assert len(approaching) == 1 and 60.0 - approaching[0][0] <= 2.0


def test_reassurance_every_10m_on_long_runs_but_not_in_the_first_7m() -> None:
    s = NavigationSession(l_route(east_m=80.0), no_replan, lang="de")
    got = instructions(walk_east(s, 70.0))
    reassure = [x for x, d in got if d["phase"] == "reassurance"]
    assert reassure, "a long straight run must be reassured"
    assert min(reassure) >= 7.0
    assert all(b - a >= 10.0 - 1e-9 for a, b in zip(reassure, reassure[1:], strict=False))
    # never so close to the turn that it would push the announcement out of its window
    assert max(reassure) < 80.0 - 7.0


def test_instructions_never_overlap_the_time_it_takes_to_say_them() -> None:
    settings = GuidanceSettings()
    s = NavigationSession(l_route(east_m=80.0), no_replan, lang="de", settings=settings)
    got = instructions(walk_east(s, 79.0))
    for (_, a), (_, b) in zip(got, got[1:], strict=False):
        said = settings.earcon_s + len(a["text"].split()) / settings.words_per_s
        assert b["t"] >= a["t"] + said - 1e-9


def test_arrival_within_2m_says_arrived_once() -> None:
    s = NavigationSession(l_route(), no_replan, lang="de", destination_name="Rathaus")
    walk_east(s, 60.0)
    events = []
    t = 100.0
    for y in range(0, 40):
        events += s.on_position(fix(60.0, float(y), t))
        t += 1
    arrived = [e for e in events if e.type == "arrived"]
    assert len(arrived) == 1 and arrived[0].data["name"] == "Rathaus"
    assert [e.type for e in s.on_position(fix(60.0, 40.0, t + 1))] == ["fix"]


def test_off_route_after_5s_then_replans_and_sends_rerouted() -> None:
    calls = []

    def replan(start: tuple[float, float]) -> Route:
        calls.append(start)
        return l_route()

    s = NavigationSession(l_route(), replan, lang="en")
    walk_east(s, 20.0)
    events = []
    for k in range(8):  # standing 12 m south of the route
        events += [(k, e) for e in s.on_position(fix(20.0, -12.0, 100.0 + k))]
    types = [(k, e.type) for k, e in events if e.type != "fix"]
    off = [k for k, t in types if t == "off_route"]
    assert off == [6], "off-route must wait > 5 s and fire once"
    rerouted = [e for _, e in events if e.type == "rerouted"]
    assert len(rerouted) == 1 and rerouted[0].data["instruction"]["text"]
    assert len(calls) == 1


def test_off_route_messages_are_rate_limited_to_one_per_10s() -> None:
    s = NavigationSession(l_route(), lambda _s: l_route(), lang="en")
    walk_east(s, 10.0)
    offs = []
    for k in range(30):
        events = s.on_position(fix(10.0, -15.0, 100.0 + k))
        offs += [100 + k for e in events if e.type == "off_route"]
    assert len(offs) >= 2
    assert all(b - a >= 10 for a, b in zip(offs, offs[1:], strict=False))


def test_walking_backwards_more_than_5m_counts_as_off_route() -> None:
    s = NavigationSession(l_route(), lambda _s: l_route(), lang="en")
    walk_east(s, 30.0)
    events = []
    x, t = 30.0, 100.0
    for _ in range(12):
        x -= 1.2
        events += s.on_position(fix(x, 0.0, t), heading_deg=270.0)
        t += 1
    assert any(e.type == "off_route" for e in events)


def test_location_unavailable_once_no_directions_meanwhile_then_orientation() -> None:
    s = NavigationSession(l_route(), no_replan, lang="en")
    walk_east(s, 30.0)
    during = []
    for k in range(10):
        during += s.on_position(Unavailable("too few beacons", 200.0 + k))
    assert [e.type for e in during if e.type != "fix"] == ["location_unavailable"]
    assert [e.data["available"] for e in during if e.type == "fix"] == [False] * 10
    back = s.on_position(fix(45.0, 0.0, 210.0))
    ins = [e for e in back if e.type == "instruction"]
    assert ins and ins[0].data["phase"] == "regained"
    assert ins[0].data["kind"] == "turn"


def test_a_position_back_while_the_loss_is_still_being_said_is_announced_as_regained() -> None:
    """A short loss: the fix is back while "location unavailable" still plays, and the turn's
    announcement falls due meanwhile; the walker told to wait must still hear that the position
    is back, in front of the turn (it was once replaced by a bare "turn left in ...")."""
    s = NavigationSession(l_route(), no_replan, lang="en")
    walk_east(s, 40.0)
    s.on_position(Unavailable("uncertain", 100.0))
    heard = []
    for k, x in enumerate((52.0, 53.0, 54.5, 56.0, 57.5)):
        heard += [e for e in s.on_position(fix(x, 0.0, 101.0 + k)) if e.type == "instruction"]
    assert heard and heard[0].data["phase"] == "regained"
    assert heard[0].data["kind"] == "turn"
    assert heard[0].data["text"].startswith("Location found again.")


def test_repeat_returns_the_last_instruction() -> None:
    s = NavigationSession(l_route(), no_replan, lang="de")
    assert s.repeat() == []
    walk_east(s, 3.0)
    assert s.repeat()[0].data["kind"] == "depart"


def test_every_position_is_answered_by_one_fix_status_last() -> None:
    s = NavigationSession(l_route(), no_replan, lang="en")
    for k in range(40):
        pos = fix(k * 1.2, 0.0, float(k)) if k % 7 else Unavailable("gap", float(k))
        events = s.on_position(pos)
        assert [e.type for e in events].count("fix") == 1 and events[-1].type == "fix"


def test_session_without_start_plans_at_first_fix() -> None:
    s = NavigationSession(None, lambda _start: l_route(), lang="en")
    events = s.on_position(fix(0.0, 0.0, 0.0))
    assert [e.type for e in events] == ["instruction", "fix"]
    assert s.route is not None


def test_no_route_at_first_fix_is_an_error_event_not_a_crash() -> None:
    s = NavigationSession(None, no_replan, lang="en")
    events = s.on_position(fix(0.0, 0.0, 0.0))
    assert [e.type for e in events] == ["error", "fix"]
    assert events[0].data["code"] == "no_accessible_route"


@pytest.mark.parametrize("lang", ["de", "en"])
def test_preview_lists_every_maneuver_in_order(lang: str) -> None:
    s = NavigationSession(l_route(), no_replan, lang=lang)
    assert [p["kind"] for p in s.preview()] == ["depart", "turn", "arrive"]


def test_reassurance_names_the_street_being_walked_not_the_next_one() -> None:
    s = NavigationSession(l_route(east_m=80.0), no_replan, lang="en")
    got = instructions(walk_east(s, 70.0))
    reassure = [d["text"] for _, d in got if d["phase"] == "reassurance"]
    assert reassure and all("Marktstraße" in t and "Fackelstraße" not in t for t in reassure)


def test_edges_ahead_drop_the_walked_ones_and_a_blocked_route_is_replanned_with_a_reason(
) -> None:
    detour = l_route(east_m=70.0)
    session = NavigationSession(l_route(), lambda _start: detour, lang="en")
    assert session.edges_ahead() == [10, 11]
    walk_east(session, until_x=65.0)  # past the corner's decision, onto edge 11
    session.on_position(fix(60.0, 5.0, 60.0))
    assert session.edges_ahead() == [11]
    (event,) = session.route_blocked(fix(60.0, 6.0, 61.0))
    assert event.type == "rerouted" and event.data["reason"] == "closed"
    assert event.data["instruction"]["text"].startswith("The way ahead is closed. New route.")
    assert event.data["instruction"]["phase"] == "rerouted"
    assert session.route is detour


def replan_if_blocked(session: NavigationSession, pos: Fix, blocked: list[int]) -> list:
    """What the WebSocket does at every fix with the edges found blocked ahead."""
    return session.route_blocked(pos) if session.acknowledge_blocked(blocked) else []


def test_a_blocked_edge_is_checked_afresh_on_every_new_route() -> None:
    detours = [l_route(east_m=70.0), l_route(east_m=75.0)]
    session = NavigationSession(l_route(), lambda _start: detours.pop(0), lang="en")
    walk_east(session, until_x=10.0)
    (event,) = replan_if_blocked(session, fix(10.0, 0.0, 20.0), [11])
    assert event.type == "rerouted" and event.data["reason"] == "closed"
    first_detour = session.route
    # the new route crosses edge 11 too (its edges are 10, 11): that is a new finding
    (event,) = replan_if_blocked(session, fix(11.0, 0.0, 21.0), [11])
    assert event.type == "rerouted" and session.route is not first_detour
    assert detours == []


def test_a_blocked_edge_without_a_way_round_is_said_once_not_at_every_fix() -> None:
    session = NavigationSession(l_route(), no_replan, lang="en")
    walk_east(session, until_x=10.0)
    (event,) = replan_if_blocked(session, fix(10.0, 0.0, 20.0), [11])
    assert event.type == "error" and event.data["code"]
    assert replan_if_blocked(session, fix(11.0, 0.0, 21.0), [11]) == []
    assert session.acknowledge_blocked([11]) == frozenset()


def test_only_newly_blocked_edges_count_and_acknowledging_nothing_is_nothing() -> None:
    session = NavigationSession(l_route(), no_replan, lang="en")
    assert session.acknowledge_blocked([]) == frozenset()
    assert session.acknowledge_blocked([10]) == {10}
    assert session.acknowledge_blocked([10, 11]) == {11}
    assert session.acknowledge_blocked([11, 10]) == frozenset()
