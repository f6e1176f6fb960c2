"""Guidance that knows when it does not know: decision-point instructions wait for a fix certain
enough to tell the point from its neighbours, the walker hears once that the position is
uncertain, distances are hedged by the error (exact, hand-made routes, no radio)."""

from __future__ import annotations

import math

import pytest

from beacons.model import Fix, Unavailable
from navigator.certainty import announce_within_m, error_limit_m, too_uncertain
from navigator.decisionpoints import decision_places
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


def staircase() -> Route:
    """East 60 m, left onto Fackelstraße, 15 m north, right onto Mühlweg, east 40 m: two
    decision points 15 m apart, too far to be chained, near enough to be confused."""
    return route_through([(0, 0), (60, 0), (60, 15), (100, 15)], [TURN_LEFT, TURN_RIGHT])


def on_the_second_leg(lang: str = "en") -> NavigationSession:
    """Past the turn onto Fackelstraße with good fixes, 3 m up it."""
    s = session(staircase(), lang)
    walk(s, [k * 1.2 for k in range(1, 51)], error_m=1.0, t0=1.0)
    walk_north(s, [1.0, 3.0], error_m=1.0, t0=60.0)
    return s


def walk_north(s: NavigationSession, ys: list[float], error_m: float, t0: float
               ) -> list[Event]:
    """One fix per second up Fackelstraße (x = 60), all with the same error."""
    out: list[Event] = []
    for k, y in enumerate(ys):
        out += s.on_position(fix(60.0, y, t0 + k, error_m))
    return out


def test_the_error_limit_keeps_the_fixs_stretch_of_doubt_short_of_both_neighbours() -> None:
    s = GuidanceSettings()
    first, second = decision_places(staircase(), s)
    assert first.gap_before_m == math.inf and first.gap_after_m == pytest.approx(15.0)
    assert error_limit_m(first, 2.0, s) == pytest.approx(min(17.0, s.decision_error_max_m))
    assert error_limit_m(first, 7.0, s) == pytest.approx(
        min(22.0, s.decision_error_max_m))  # the next corner 15 + 7 m ahead, or the ceiling
    assert error_limit_m(second, 7.0, s) == pytest.approx(8.0)  # the previous one 8 m behind
    assert error_limit_m(second, 2.0, s) == pytest.approx(13.0)  # less in doubt as they come
    assert error_limit_m(second, 16.0, s) == 0.0
    _, chained = decision_places(jog(), s)
    assert chained.chained and error_limit_m(chained, 7.0, s) is None


def test_a_lone_turn_is_held_only_beyond_the_ceiling() -> None:
    """Nothing on the route to confuse it with, but side streets the route goes straight over
    are: a fix off by more than the ceiling gives no turn, a GNSS-grade fix does."""
    s = GuidanceSettings()
    (alone,) = decision_places(lone_turn(), s)
    assert error_limit_m(alone, 7.0, s) == pytest.approx(s.decision_error_max_m)
    assert too_uncertain(alone, 40.0, 6.0, s)
    assert not too_uncertain(alone, 10.0, 6.0, s)


def test_a_large_error_at_a_decision_point_holds_it_and_says_position_uncertain_once() -> None:
    s = on_the_second_leg()
    events = walk_north(s, [8.5, 9.0], error_m=11.0, t0=70.0)  # 6.5 and 6 m before
    (uncertain,) = said(events, "position_uncertain")
    assert uncertain["text"] == (
        "Location uncertain. Slow down, you are approaching the turn onto Mühlweg.")
    assert uncertain["kind"] == "turn" and uncertain["error_m"] == 11.0
    assert uncertain["error_limit_m"] == 8.5
    assert [d for d in said(events) if d["kind"] == "turn"] == [], "no turn from an 11 m fix"
    statuses = said(events, "fix")
    assert all(f["certain"] is False for f in statuses)
    assert [f["error_limit_m"] for f in statuses] == [8.5, 9.0]


def test_the_held_instruction_follows_with_its_distance_up_to_date_when_the_error_drops() -> None:
    s = on_the_second_leg("de")
    # the walker slows down, as told
    walk_north(s, [8.5, 9.0, 9.0, 9.5, 9.5, 9.5], error_m=11.0, t0=70.0)
    events = s.on_position(fix(60.0, 10.0, 77.0, 1.0))
    (turn,) = said(events)
    assert turn["phase"] == "ahead" and turn["distance_m"] == 5.0
    assert turn["text"] == "In 5 Metern biegen Sie rechts in den Mühlweg ab."
    assert said(events, "fix")[0]["certain"] is True


def test_once_certain_the_held_instruction_cuts_its_own_uncertain_message_short() -> None:
    """"Location uncertain. Slow down, ..." lasts 5 s; the walker is 6 m from the turn when it
    starts. Once a fix allows the turn, that message is obsolete: the turn comes at once and the
    app is told to stop the message for it, instead of at the corner after it."""
    s = on_the_second_leg()
    events = walk_north(s, [8.5], error_m=11.0, t0=70.0)
    assert len(said(events, "position_uncertain")) == 1
    (turn,) = said(walk_north(s, [9.7], error_m=1.0, t0=71.0))
    assert (turn["phase"], turn["distance_m"], turn["interrupts"]) == ("ahead", 5.3, True)
    # said in full: the reminder at 2 m waits for it, and does not interrupt
    assert said(s.on_position(fix(60.0, 13.2, 72.0, 1.0))) == []
    (approach,) = said(s.on_position(fix(60.0, 13.6, 75.0, 1.0)))
    assert approach["phase"] == "approaching" and "interrupts" not in approach


def test_a_turn_due_while_speech_plays_is_not_replaced_by_the_arrival_after_it() -> None:
    """The turn falls due while "location unavailable" is still being said (3 s), so it waits;
    the walker reaches it and the arrival 3 m on falls due too. The turn goes first: it used to
    be replaced by "you will arrive" and never said (a harsh-world walk, after "position
    uncertain" had held it)."""
    s = session(route_through([(0, 0), (60, 0), (60, 3)], [TURN_LEFT]))
    walk(s, [k * 1.2 for k in range(1, 40)], error_m=1.0, t0=1.0)  # to x = 46.8
    s.on_position(Unavailable("stale", 40.0))  # "Location unavailable. Please wait ..."
    events: list[Event] = []
    for t, (x, y) in zip([41.0, 41.5, 42.0, 42.5, 43.5, 44.5],
                         [(54.0, 0.0), (56.5, 0.0), (58.5, 0.0), (60.0, 0.2), (60.0, 0.5),
                          (60.0, 0.6)], strict=True):
        events += s.on_position(fix(x, y, t, 1.0))
    assert [(d["kind"], d["phase"]) for d in said(events)][:1] == [("turn", "regained")]


def test_held_at_6m_it_is_given_late_but_safe_as_the_walker_comes_on_with_the_same_error(
) -> None:
    s = on_the_second_leg()
    events = walk_north(s, [8.5], error_m=9.0, t0=70.0)  # 6.5 m before: limit 8.5
    assert len(said(events, "position_uncertain")) == 1
    (turn,) = said(walk_north(s, [10.0], error_m=9.0, t0=76.0))  # 5 m before: limit 10
    assert turn["phase"] == "ahead"
    assert turn["text"] == "In about 5 metres, turn right onto Mühlweg."


def test_held_until_the_point_the_approach_says_the_action_the_walker_has_not_heard() -> None:
    s = on_the_second_leg()
    walk_north(s, [8.5, 10.0, 12.0], error_m=14.0, t0=70.0)
    (turn,) = said(s.on_position(fix(60.0, 13.5, 76.0, 1.0)))
    assert turn["phase"] == "approaching"
    assert turn["text"] == "You are approaching the turn onto Mühlweg. Turn right onto Mühlweg."


def test_walked_past_while_uncertain_no_late_instruction_once_certain_beyond_it() -> None:
    """The walker turned on their own (the cane found the corner): a late "turn right" would
    send them the wrong way, so the held instruction is dropped, as for any passed
    announcement."""
    s = on_the_second_leg()
    walk_north(s, [8.5, 10.0, 12.0, 14.0], error_m=16.0, t0=70.0)
    events = s.on_position(fix(65.0, 15.0, 80.0, 1.0))  # 5 m along Mühlweg, certain
    assert [d for d in said(events) if d["kind"] == "turn"] == []
    assert s.progress.along_m == pytest.approx(80.0)


def test_a_turn_a_few_metres_after_another_is_chained_to_it_and_never_held() -> None:
    """8 m apart no 5 m fix tells the two corners apart, but the walker meets them in order:
    the second is said in its own window whatever the error, and nothing is held."""
    s = session(jog())
    events = walk(s, [k * 1.2 for k in range(1, 51)], error_m=5.0, t0=1.0)
    events += walk_north(s, [0.5, 1.5, 2.5], error_m=5.0, t0=60.0)
    turns = [(d["phase"], d["text"]) for d in said(events)
             if d["kind"] == "turn" and d["phase"] != "reassurance"]
    assert turns == [  # a 5 m fix: each said 1.5 m early (8.4 and 7.5 m), hedged to 5 m
        ("ahead", "In about 10 metres, turn left onto Fackelstraße."),
        ("approaching", "You are approaching the turn onto Fackelstraße."),
        ("ahead", "In about 10 metres, turn right onto Mühlweg."),
    ]
    assert said(events, "position_uncertain") == []


def jog_then_turn() -> Route:
    """The jog, then 40 m east and left again: the jog's two corners 8 m apart (chained), the
    next decision point 40 m after the second."""
    return route_through([(0, 0), (60, 0), (60, 8), (100, 8), (100, 40)],
                         [TURN_LEFT, TURN_RIGHT, TURN_LEFT])


def test_a_chain_is_one_unit_its_first_place_held_only_for_the_place_after_it() -> None:
    """Told in one breath and met in order, the chain's corners need no fix that tells them
    apart: the first one's doubt may reach the second, never the place after the chain."""
    s = GuidanceSettings()
    first, second, third = decision_places(jog_then_turn(), s)
    assert second.chained and not third.chained
    assert first.gap_after_m == pytest.approx(48.0)  # to the third corner, past the chained one
    assert second.gap_after_m == pytest.approx(40.0)
    assert error_limit_m(first, -1.5, s) == pytest.approx(s.decision_error_max_m)
    assert error_limit_m(third, 6.0, s) == pytest.approx(s.decision_error_max_m)  # 40 - 6 m


def test_a_7_m_fix_just_past_a_chains_first_corner_gives_both_corners_not_uncertain() -> None:
    """A fix that jumps 1.5 m past the first corner with a 7 m radius: the walker may be at
    either corner of the chain, and hears both, in order, instead of "position uncertain" (which
    would hold the second corner behind its speech until the walker is there)."""
    s = session(jog_then_turn())
    events = walk(s, [k * 1.2 for k in range(1, 46)], error_m=1.0, t0=1.0)  # to x = 54
    events += walk_north(s, [1.5], error_m=7.0, t0=50.0)
    assert said(events, "position_uncertain") == []
    last = said(events)[-2:]
    assert [(d["kind"], d["phase"]) for d in last] == [("turn", "approaching"), ("turn", "ahead")]
    assert "Mühlweg" in last[1]["text"]


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
    (keep,) = said(walk(s, [30.0], error_m=13.0, t0=10.0))  # 50 m to go, 13 m error
    assert keep["text"] == "Keep walking along Marktstraße. About 50 metres to go."


def test_regained_near_a_decision_point_waits_for_a_certain_fix_and_says_why() -> None:
    s = on_the_second_leg()
    lost = [e.type for k in range(5) for e in s.on_position(Unavailable("stale", 63.0 + k))]
    assert lost.count("location_unavailable") == 1
    events = walk_north(s, [8.5, 9.0], error_m=11.0, t0=70.0)
    assert [e.type for e in events] == ["position_uncertain", "fix", "fix"]
    (regained,) = said(s.on_position(fix(60.0, 9.0, 76.0, 1.0)))
    assert regained["phase"] == "regained"
    assert regained["text"] == (
        "Location found again. Guidance continues. In 6 metres, turn right onto Mühlweg.")


def test_a_far_decision_point_is_not_held_but_its_distance_is_hedged() -> None:
    s = session(lone_turn())
    s.on_position(Unavailable("stale", 5.0))
    (regained,) = said(s.on_position(fix(10.0, 0.0, 9.0, 12.0)))  # 50 m ahead, 12 m error
    assert regained["text"] == (
        "Location found again. Guidance continues. In about 50 metres, turn left onto "
        "Fackelstraße.")


def test_safety_messages_are_never_held_back() -> None:
    # "position uncertain" is said at once, even while an instruction is still being spoken
    s = NavigationSession(staircase(), no_replan, lang="en")
    first = s.on_position(fix(40.0, 0.0, 0.0, 1.0))
    assert said(first)[0]["kind"] == "depart"
    assert said(s.on_position(fix(60.0, 8.5, 0.5, 11.0)), "position_uncertain")
    # off route while an instruction is held: stop, new route
    s = NavigationSession(staircase(), lambda _start: staircase(), lang="en")
    s.on_position(fix(0.0, 0.0, 0.0, 1.0))
    walk(s, [k * 1.2 for k in range(1, 51)], error_m=1.0, t0=1.0)
    walk_north(s, [3.0, 8.5, 9.0], error_m=11.0, t0=60.0)
    events = walk(s, [48.0] * 8, error_m=11.0, t0=70.0, y=8.0)
    assert [e.type for e in events].count("off_route") == 1
    assert [e.type for e in events].count("rerouted") == 1
    # the location lost while an instruction is held
    s = on_the_second_leg()
    walk_north(s, [8.5, 9.0], error_m=11.0, t0=70.0)
    assert [e.type for e in s.on_position(Unavailable("stale", 72.0))] == [
        "location_unavailable", "fix"]
    # arrival is said however uncertain the fix
    s = session(lone_turn())
    walk(s, [20.0, 40.0, 60.0], error_m=1.0, t0=10.0)
    events = walk(s, [60.0], error_m=9.0, t0=20.0, y=39.0)
    assert [e.type for e in events] == ["arrived", "fix"]


def test_an_uncertain_fix_is_announced_earlier_by_a_share_of_its_error() -> None:
    """A walker truly nearer than a fix says would hear the turn at the corner, too late; one
    truly farther hears it a step early and still in time: so doubt brings it forward."""
    s = GuidanceSettings()
    assert announce_within_m(None, s) == announce_within_m(2.0, s) == 7.0  # Wayfindr's 6 +- 1
    assert announce_within_m(4.0, s) == 8.0
    assert announce_within_m(12.0, s) == 8.5  # at most 1.5 m earlier


def test_the_turn_comes_a_metre_earlier_from_a_4_m_fix_than_from_a_1_m_fix() -> None:
    fine, rough = session(lone_turn()), session(lone_turn())
    for s in (fine, rough):
        walk(s, [20.0, 40.0], error_m=1.0, t0=1.0)
    assert [d for d in said(walk(fine, [52.5], 1.0, t0=3.0)) if d["kind"] == "turn"] == []
    (turn,) = [d for d in said(walk(rough, [52.5], 4.0, t0=3.0)) if d["kind"] == "turn"]
    assert (turn["phase"], turn["distance_m"]) == ("ahead", 7.5)
    assert turn["text"] == "In about 10 metres, turn left onto Fackelstraße."  # hedged: to 5 m
    (turn,) = [d for d in said(walk(fine, [54.0], 1.0, t0=4.0)) if d["kind"] == "turn"]
    assert turn["text"] == "In 6 metres, turn left onto Fackelstraße."


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
