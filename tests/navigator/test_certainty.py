"""Guidance that knows when it does not know: decision-point instructions wait for a fix certain
enough to tell the point from its neighbours, the walker hears once that the position is
uncertain, distances are hedged by the error (exact, hand-made routes, no radio)."""

from __future__ import annotations

import pytest

from beacons.model import Fix, Unavailable
from navigator.certainty import decision_error_limits
from navigator.session import Event, GuidanceSettings, NavigationSession
from routing.geo import LocalFrame
from routing.model import Maneuver, ManeuverKind, Route
from routing.paths import NoAccessibleRoute

FRAME = LocalFrame(49.4440, 7.7690)
K = ManeuverKind
TURN_LEFT = {"direction": "left", "severity": "normal", "clock": 9, "street": "Fackelstraße"}
TURN_RIGHT = {"direction": "right", "severity": "normal", "clock": 3, "street": "Mühlweg"}


def ll(x: float, y: float) -> tuple[float, float]:
    return FRAME.to_latlon(x, y)


def route_through(points: list[tuple[float, float]], turns: list[dict]) -> Route:
    """Depart at the first point, one turn at each inner point, arrive at the last."""
    coords = tuple(ll(x, y) for x, y in points)
    along = [0.0]
    for (ax, ay), (bx, by) in zip(points, points[1:], strict=False):
        along.append(along[-1] + ((bx - ax) ** 2 + (by - ay) ** 2) ** 0.5)
    kinds = [K.DEPART, *[K.TURN] * len(turns), K.ARRIVE]
    attrs = [{"heading_deg": 90.0, "street": "Marktstraße"}, *turns, {"name": None, "side": None}]
    maneuvers = tuple(
        Maneuver(kind, n + 1, *coords[n], along[n] - (along[n - 1] if n else 0.0), along[n],
                 None, a)
        for n, (kind, a) in enumerate(zip(kinds, attrs, strict=True)))
    return Route(tuple(range(1, len(points) + 1)), tuple(range(10, 10 + len(points) - 1)),
                 along[-1], along[-1], "blind_cane", maneuvers, coords)


def lone_turn() -> Route:
    """East 60 m, turn left, north 40 m: the turn has 50 m of clear path around it."""
    return route_through([(0, 0), (60, 0), (60, 40)], [TURN_LEFT])


def jog() -> Route:
    """East 60 m, left, 8 m north, right, east 40 m: two decision points 8 m apart."""
    return route_through([(0, 0), (60, 0), (60, 8), (100, 8)], [TURN_LEFT, TURN_RIGHT])


def fix(x: float, y: float, t: float, error_m: float) -> Fix:
    lat, lon = ll(x, y)
    return Fix(lat, lon, None, 10, 0.0, error_m, 0.9, t)


def no_replan(_start: tuple[float, float]) -> Route:
    raise NoAccessibleRoute("test: no replanning expected")


def session(route: Route, lang: str = "en") -> NavigationSession:
    s = NavigationSession(route, no_replan, lang=lang)
    s.on_position(fix(0.0, 0.0, 0.0, 1.0))  # the depart instruction
    return s


def walk(s: NavigationSession, xs: list[float], error_m: float, t0: float, y: float = 0.0
         ) -> list[Event]:
    """One fix per second at each x (on y), all with the same error."""
    out: list[Event] = []
    for k, x in enumerate(xs):
        out += s.on_position(fix(x, y, t0 + k, error_m))
    return out


def said(events: list[Event], kind: str = "instruction") -> list[dict]:
    return [e.data for e in events if e.type == kind]


def test_decision_error_limits_half_the_gap_to_the_nearest_decision_point_within_floor_and_cap(
) -> None:
    assert decision_error_limits(lone_turn(), GuidanceSettings()) == (None, 6.0, None)
    assert decision_error_limits(jog(), GuidanceSettings()) == (
        None, pytest.approx(4.0), pytest.approx(4.0), None)
    tight = route_through([(0, 0), (60, 0), (60, 1.5), (100, 1.5)], [TURN_LEFT, TURN_RIGHT])
    assert decision_error_limits(tight, GuidanceSettings())[1:3] == (2.0, 2.0)  # the floor
    wide = GuidanceSettings(decision_error_cap_m=8.0)
    assert decision_error_limits(lone_turn(), wide)[1] == 8.0


def test_a_large_error_at_a_decision_point_holds_it_and_says_position_uncertain_once() -> None:
    s = session(lone_turn())
    events = walk(s, [50.0 + k * 1.2 for k in range(8)], error_m=7.0, t0=10.0)  # x 50 .. 58.4
    (uncertain,) = said(events, "position_uncertain")
    assert uncertain["text"] == (
        "Location uncertain. Slow down, you are approaching the turn onto Fackelstraße.")
    assert uncertain["kind"] == "turn" and uncertain["error_m"] == 7.0
    assert uncertain["error_limit_m"] == 6.0
    assert [d for d in said(events) if d["kind"] == "turn"] == [], "no turn from a 7 m fix"
    statuses = said(events, "fix")
    assert all(f["certain"] is False and f["error_limit_m"] == 6.0 for f in statuses)


def test_the_held_instruction_follows_with_its_distance_up_to_date_when_the_error_drops() -> None:
    s = session(lone_turn(), lang="de")
    # the walker slows down, as told; the uncertainty takes 5.4 s to say
    walk(s, [52.0, 53.0, 54.0, 54.5, 55.0, 55.5], error_m=7.0, t0=10.0)
    events = s.on_position(fix(56.0, 0.0, 17.0, 1.0))
    (turn,) = said(events)
    assert turn["phase"] == "ahead" and turn["distance_m"] == 4.0
    assert turn["text"] == "In 4 Metern biegen Sie links in die Fackelstraße ab."
    assert said(events, "fix")[0]["certain"] is True
    # and once certain again, a new uncertainty is news: said again (once) at the approach
    events = walk(s, [58.5, 59.0], error_m=7.0, t0=20.0)
    assert len(said(events, "position_uncertain")) == 1


def test_held_until_the_point_the_approach_says_the_action_the_walker_has_not_heard() -> None:
    s = session(lone_turn())
    walk(s, [53.0, 55.0, 57.0], error_m=7.0, t0=10.0)
    (turn,) = said(s.on_position(fix(58.5, 0.0, 16.0, 1.0)))
    assert turn["phase"] == "approaching"
    assert turn["text"] == (
        "You are approaching the turn onto Fackelstraße. Turn left onto Fackelstraße.")


def test_walked_past_while_uncertain_no_late_instruction_once_certain_beyond_it() -> None:
    """The walker turned on their own (the cane found the corner): a late "turn left" would send
    them the wrong way, so the held instruction is dropped, as for any passed announcement."""
    s = session(lone_turn())
    walk(s, [54.0, 56.0, 58.0, 60.0], error_m=7.0, t0=10.0)
    events = s.on_position(fix(60.0, 5.0, 14.0, 1.0))  # 5 m up Fackelstraße, certain
    assert [d for d in said(events) if d["kind"] == "turn"] == []
    assert s.progress.along_m == pytest.approx(65.0)


def test_two_decision_points_8m_apart_need_a_smaller_error_than_one_with_50m_clear() -> None:
    xs = [50.0 + k * 1.2 for k in range(6)]  # into the 6 m window of the first turn
    clear = session(lone_turn())
    events = walk(clear, xs, error_m=5.0, t0=10.0)
    assert [d["phase"] for d in said(events) if d["kind"] == "turn"] == ["ahead"]
    assert said(events, "position_uncertain") == []
    close = session(jog())
    events = walk(close, xs, error_m=5.0, t0=10.0)
    assert [d for d in said(events) if d["kind"] == "turn"] == []
    assert [u["error_limit_m"] for u in said(events, "position_uncertain")] == [4.0]
    (turn,) = said(close.on_position(fix(57.0, 0.0, 20.0, 3.5)))
    assert turn["text"] == "In about 5 metres, turn left onto Fackelstraße."  # 3.5 m: hedged


def test_distances_are_hedged_when_the_error_is_a_sizeable_part_of_them() -> None:
    en, de = session(lone_turn(), "en"), session(lone_turn(), "de")
    for s, text in ((en, "In about 5 metres, turn left onto Fackelstraße."),
                    (de, "In etwa 5 Metern biegen Sie links in die Fackelstraße ab.")):
        (turn,) = said(s.on_position(fix(53.7, 0.0, 10.0, 3.0)))  # 6.3 m ahead, 3 m error
        assert turn["text"] == text and turn["distance_m"] == 6.3
    for lang, text in (("en", "In 6 metres, turn left onto Fackelstraße."),
                       ("de", "In 6 Metern biegen Sie links in die Fackelstraße ab.")):
        s = session(lone_turn(), lang)  # 1.9 m error: below 2 m, exact as before
        (turn,) = said(s.on_position(fix(53.7, 0.0, 10.0, 1.9)))
        assert turn["text"] == text


def test_reassurance_distances_are_hedged_too() -> None:
    s = session(route_through([(0, 0), (80, 0), (80, 40)], [TURN_LEFT]))
    (keep,) = said(walk(s, [20.0], error_m=13.0, t0=10.0))  # 60 m to go, 13 m error
    assert keep["text"] == "Keep walking along Marktstraße. About 60 metres to go."


def test_regained_near_a_decision_point_waits_for_a_certain_fix_and_says_why() -> None:
    s = session(lone_turn())
    walk(s, [10.0, 20.0, 30.0], error_m=1.0, t0=10.0)
    lost = [e.type for k in range(5) for e in s.on_position(Unavailable("stale", 20.0 + k))]
    assert lost.count("location_unavailable") == 1
    events = walk(s, [54.0, 55.0], error_m=7.0, t0=30.0)
    assert [e.type for e in events] == ["position_uncertain", "fix", "fix"]
    (regained,) = said(s.on_position(fix(56.0, 0.0, 36.0, 1.0)))
    assert regained["phase"] == "regained"
    assert regained["text"] == (
        "Location found again. Guidance continues. In 4 metres, turn left onto Fackelstraße.")


def test_a_far_decision_point_is_not_held_but_its_distance_is_hedged() -> None:
    s = session(lone_turn())
    s.on_position(Unavailable("stale", 5.0))
    (regained,) = said(s.on_position(fix(10.0, 0.0, 9.0, 12.0)))  # 50 m ahead, 12 m error
    assert regained["text"] == (
        "Location found again. Guidance continues. In about 50 metres, turn left onto "
        "Fackelstraße.")


def test_safety_messages_are_never_held_back() -> None:
    # "position uncertain" is said at once, even while an instruction is still being spoken
    s = NavigationSession(lone_turn(), no_replan, lang="en")
    first = s.on_position(fix(0.0, 0.0, 0.0, 1.0))
    assert said(first)[0]["kind"] == "depart"
    assert said(s.on_position(fix(55.0, 0.0, 0.5, 7.0)), "position_uncertain")
    # off route while an instruction is held: stop, new route
    s = NavigationSession(lone_turn(), lambda _start: lone_turn(), lang="en")
    s.on_position(fix(0.0, 0.0, 0.0, 1.0))
    walk(s, [54.0, 55.0], error_m=7.0, t0=10.0)
    events = walk(s, [55.0] * 8, error_m=7.0, t0=20.0, y=-12.0)
    assert [e.type for e in events].count("off_route") == 1
    assert [e.type for e in events].count("rerouted") == 1
    # the location lost while an instruction is held
    s = session(lone_turn())
    walk(s, [54.0, 55.0], error_m=7.0, t0=10.0)
    assert [e.type for e in s.on_position(Unavailable("stale", 12.0))] == [
        "location_unavailable", "fix"]
    # arrival is said however uncertain the fix
    s = session(lone_turn())
    walk(s, [20.0, 40.0, 60.0], error_m=1.0, t0=10.0)
    events = walk(s, [60.0], error_m=9.0, t0=20.0, y=39.0)
    assert [e.type for e in events] == ["arrived", "fix"]


def test_with_small_errors_nothing_changes() -> None:
    """Below the limits and the hedge threshold the walker hears exactly what they heard before
    the certainty rules (the sentences of the ideal world)."""
    s = NavigationSession(jog(), no_replan, lang="en")
    events = walk(s, [k * 1.2 for k in range(60)], error_m=1.5, t0=0.0)
    texts = [d["text"] for d in said(events)]
    assert texts[0] == "Walk east along Marktstraße."
    assert "In 6 metres, turn left onto Fackelstraße." in texts
    assert "You are approaching the turn onto Fackelstraße." in texts
    assert said(events, "position_uncertain") == []
