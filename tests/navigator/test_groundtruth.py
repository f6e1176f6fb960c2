"""The measuring stick: scores from a true track and the events, on a hand-made walk."""

from __future__ import annotations

import pytest

from navigator.groundtruth import WalkScore, score_walk, summarize
from routing.geo import LocalFrame
from routing.model import Maneuver, ManeuverKind, Route

FRAME = LocalFrame(49.44, 7.77)


def _at(x: float) -> tuple[float, float]:
    return FRAME.to_latlon(x, 0.0)


def _route() -> Route:
    """100 m due east; decisions at 20 (turn), 50 (cross), 51 (continue), 80 (steps), and 2 m
    from the start (a turn no announcement could be on time for); a landmark at 35."""
    def m(kind: ManeuverKind, x: float) -> Maneuver:
        return Maneuver(kind, int(x), *_at(x), 0.0, x)

    maneuvers = (m(ManeuverKind.DEPART, 0), m(ManeuverKind.TURN, 2), m(ManeuverKind.TURN, 20),
                 m(ManeuverKind.LANDMARK, 35), m(ManeuverKind.CROSS, 50),
                 m(ManeuverKind.CONTINUE, 51), m(ManeuverKind.STEPS, 80),
                 m(ManeuverKind.ARRIVE, 100))
    return Route((0, 100), (1,), 100.0, 100.0, "blind_cane", maneuvers, (_at(0), _at(100)))


def _truth(until_s: int = 110) -> list[tuple[float, float, float]]:
    """1 m/s east, then standing at the end."""
    return [(float(t), *_at(min(t, 100))) for t in range(until_s)]


def _said(t: float, x: float, phase: str = "ahead", kind: str = "turn") -> dict:
    lat, lon = _at(x)
    return {"type": "instruction", "t": t, "kind": kind, "phase": phase,
            "at": {"lat": lat, "lon": lon}}


def _fix(t: float, x: float, y: float = 0.0) -> dict:
    lat, lon = FRAME.to_latlon(x, y)
    return {"type": "fix", "t": t, "available": True, "lat": lat, "lon": lon}


def test_announcements_are_judged_where_the_walker_truly_was() -> None:
    events = [
        _said(14.0, 20), _said(18.0, 20, "approaching"),  # 6 m before: on time
        _said(30.0, 50, "reassurance"), _said(49.5, 50),  # reassurance does not count; 0.5 m
        _said(51.0, 51, "approaching"),  # the continue 1 m apart shares... its own point: 0 m
        # the steps at 80 are never announced
        {"type": "arrived", "t": 101.0},
    ]
    score = score_walk(_route(), _truth(), events)
    verdicts = [(p.kind, p.verdict, p.announced_before_m) for p in score.points]
    assert verdicts == [
        ("turn", "at_start", None),
        ("turn", "on_time", pytest.approx(6.0)),
        ("cross", "late", pytest.approx(0.5)),
        ("continue", "late", pytest.approx(0.0)),
        ("steps", "missed", None),
    ]
    assert score.arrived and score.arrival_error_m == pytest.approx(0.0, abs=1e-6)
    totals = summarize([score])
    assert totals["decision_points"] == 4  # the one at the start cannot be on time: not counted
    assert (totals["on_time"], totals["late"], totals["missed"]) == (1, 2, 1)
    assert totals["on_time_pct"] == 25.0


def test_early_short_and_after_a_re_route() -> None:
    rerouted = {"type": "rerouted", "t": 35.0,
                "instruction": _said(35.0, 50, "ahead") | {"type": "instruction"}}
    events = [_said(5.0, 20), _said(18.5, 20), rerouted, _said(78.0, 80, kind="steps")]
    score = score_walk(_route(), _truth(), events)
    by_kind = {p.kind: p for p in score.points if p.along_m > 3}
    assert by_kind["turn"].verdict == "early"
    assert by_kind["turn"].announced_before_m == pytest.approx(15.0)
    assert by_kind["cross"].verdict == "early"  # a re-route's first instruction is timed too
    assert by_kind["steps"].verdict == "short"


def test_a_point_the_walker_never_reached() -> None:
    score = score_walk(_route(), _truth(40), [_said(14.0, 20)])
    assert [p.verdict for p in score.points[2:]] == ["not_reached"] * 3
    assert not score.arrived and score.arrival_error_m is None


def test_fix_errors_confident_but_wrong_off_route_and_false_arrival() -> None:
    events = [_fix(10.0, 10.0), _fix(11.0, 11.0, 3.0), _fix(12.0, 30.0),  # 0, 3 and 18 m off
              {"type": "fix", "t": 13.0, "available": False, "reason": "stale"},
              {"type": "off_route", "t": 14.0}, {"type": "arrived", "t": 60.0}]
    score = score_walk(_route(), _truth(), events)
    assert score.errors_m == pytest.approx((0.0, 3.0, 18.0), abs=1e-6)
    assert (score.fixes, score.confident_wrong, score.off_route_events) == (3, 1, 1)
    assert not score.arrived and score.arrival_error_m == pytest.approx(40.0, abs=1e-6)
    totals = summarize([score, score])
    assert totals["walks"] == 2 and totals["confident_wrong_pct"] == pytest.approx(33.33)
    assert totals["mean_error_m"] == 7.0 and totals["arrived_pct"] == 0.0
    assert totals["fixes_available_pct"] == pytest.approx(100 * 6 / 220, abs=0.01)
    assert score.as_json()["points"][1] == {
        "kind": "turn", "along_m": 20.0, "announced_before_m": None, "verdict": "missed"}


def test_empty_walks() -> None:
    with pytest.raises(ValueError):
        score_walk(_route(), [], [])
    totals = summarize([WalkScore((), 0, 0, (), 0, 0, False, None)])
    assert totals["mean_error_m"] is None and totals["on_time_pct"] is None


def test_a_point_told_only_when_the_position_came_back_was_announced_then() -> None:
    """After an outage the walker hears the next point's action from where the fix is ("Location
    found again. In about 10 metres, turn right"): a point for which nothing else came was
    announced at that moment, not missed; one that also had its own timed instruction is judged
    by that."""
    events = [_said(12.0, 20, "regained"),  # 8 m before the turn, and nothing else for it
              _said(30.0, 50, "regained", kind="cross"), _said(44.0, 50, kind="cross"),
              _said(79.5, 80, "orientation", kind="steps")]  # 0.5 m before: late
    score = score_walk(_route(), _truth(), events)
    verdicts = {p.kind: (p.verdict, p.announced_before_m) for p in score.points[1:]}
    assert verdicts["turn"] == ("on_time", pytest.approx(8.0))
    assert verdicts["cross"] == ("on_time", pytest.approx(6.0))
    assert verdicts["steps"] == ("late", pytest.approx(0.5))
    assert verdicts["continue"] == ("missed", None)
