"""The measuring stick: what a simulated walker truly experienced, from its true track and the
events the pipeline sent it (pure: no clock, no I/O).

For each decision point of the planned route, where the walker *truly* was when its timed
instruction (``ahead``, or ``approaching`` when no ``ahead`` came first) was announced: the goal
is 3-10 m before the point (Wayfindr: 6 +- 1 m). Late is within 1 m of it or past it; missed is
never announced although the walker passed it. Besides: off-route events on a walk that never
left the route, "confident but wrong" fixes (reported available, truly more than 10 m off),
arrivals said where the walker truly was, and the true position error of every fix.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from routing.geo import LocalFrame, haversine_m, project_to_segment
from routing.model import DECISION_KINDS, Route

# Decision points (routing.model.DECISION_KINDS) ask the walker to act; landmarks only orient,
# arrival is scored on its own.
ON_TIME_M = (3.0, 10.0)
LATE_M = 1.0
WRONG_M = 10.0
#: An "arrived" counts when the walker truly is this close to the route's end.
ARRIVED_WITHIN_M = 5.0
#: The walker passes a point when its true track comes this close to it (the track is sampled
#: once a second, so corners are cut by a chord).
PASSES_WITHIN_M = 2.0
_TIMED_PHASES = ("ahead", "approaching")
#: After an outage (or at a resumed start) the walker is told the next point's action from where
#: the fix is ("In about 10 metres, turn right"): a point for which nothing else came was
#: announced then, not missed.
_ORIENTING_PHASES = ("regained", "orientation")
_SAME_POINT_M = 0.5


@dataclass(frozen=True, slots=True)
class PointScore:
    """One decision point: how far before it the walker truly was when it was announced
    (negative: already past), and the verdict (``on_time``, ``early``, ``short`` (1-3 m),
    ``late``, ``missed``; ``not_reached`` when the walk never truly came there, ``at_start``
    when the route starts closer to it than 3 m, so no announcement could be on time)."""

    kind: str
    along_m: float
    announced_before_m: float | None
    verdict: str


@dataclass(frozen=True, slots=True)
class WalkScore:
    points: tuple[PointScore, ...]
    scans: int
    fixes: int  # reported available
    errors_m: tuple[float, ...]  # of each available fix against the truth
    confident_wrong: int  # available and truly more than WRONG_M off
    off_route_events: int
    arrived: bool  # said "arrived" while truly within ARRIVED_WITHIN_M of the end
    arrival_error_m: float | None  # where it was said, from the true end

    def as_json(self) -> dict[str, Any]:
        return {
            **summarize([self]),
            "points": [{"kind": p.kind, "along_m": round(p.along_m, 1),
                                 "announced_before_m": _round(p.announced_before_m),
                                 "verdict": p.verdict} for p in self.points],
            "arrival_error_m": _round(self.arrival_error_m),
        }


def _round(x: float | None) -> float | None:
    return None if x is None or math.isnan(x) else round(x, 2)


def _walked(frame: LocalFrame, truth: Sequence[tuple[float, float, float]]
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Times, local points and distance walked of the true track."""
    t = np.array([p[0] for p in truth])
    x, y = frame.to_xy(np.array([p[1] for p in truth]), np.array([p[2] for p in truth]))
    xy = np.column_stack([x, y])
    return t, xy, np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))])


def _first_pass_m(xy: np.ndarray, walked: np.ndarray, point: tuple[float, float]
                  ) -> float | None:
    """Distance walked at the closest approach to ``point`` of the track's first passage within
    PASSES_WITHIN_M of it."""
    if len(xy) == 1:
        d = math.hypot(xy[0, 0] - point[0], xy[0, 1] - point[1])
        return 0.0 if d <= PASSES_WITHIN_M else None
    best: tuple[float, float] | None = None  # (distance, walked there)
    for i in range(len(xy) - 1):
        f, d = project_to_segment(point[0], point[1], *xy[i], *xy[i + 1])
        if best is not None and (d > PASSES_WITHIN_M or d > best[0] + 1e-9):
            break  # the passage is over
        if d <= PASSES_WITHIN_M and (best is None or d < best[0]):
            best = (d, float(walked[i] + f * (walked[i + 1] - walked[i])))
    return None if best is None else best[1]


def score_walk(route: Route, truth: Sequence[tuple[float, float, float]],
               events: Iterable[Mapping[str, Any]]) -> WalkScore:
    """Score one walk of ``route``: ``truth`` is the walker's true ``(t, lat, lon)`` at every
    scan, in time order; ``events`` are what the pipeline sent, each with its scan's ``t``."""
    if not truth:
        raise ValueError("a walk needs a true track")
    frame = LocalFrame(route.coordinates[0][0], route.coordinates[0][1])
    t, xy, walked = _walked(frame, truth)
    events = list(events)

    def walked_at(ts: float) -> float:
        return float(np.interp(ts, t, walked))

    def truth_at(ts: float) -> tuple[float, float]:
        return (float(np.interp(ts, t, [p[1] for p in truth])),
                float(np.interp(ts, t, [p[2] for p in truth])))

    announced = _first_said(events, frame, _TIMED_PHASES)
    for key, t_said in _first_said(events, frame, _ORIENTING_PHASES).items():
        if not any(math.dist(k, key) <= _SAME_POINT_M for k in announced):
            announced[key] = t_said
    points = []
    for m in route.maneuvers:
        if m.kind not in DECISION_KINDS:
            continue
        p = frame.to_xy(m.lat, m.lon)
        passed = _first_pass_m(xy, walked, p)
        when = next((v for k, v in announced.items() if math.dist(k, p) <= _SAME_POINT_M), None)
        before = None if passed is None or when is None else passed - walked_at(when)
        verdict = "at_start" if m.along_m < ON_TIME_M[0] else _verdict(passed, before)
        points.append(PointScore(m.kind.value, m.along_m, before, verdict))
    errors, off_route, arrival = [], 0, None
    for e in events:
        if e["type"] == "fix" and e.get("available"):
            errors.append(haversine_m(e["lat"], e["lon"], *truth_at(e["t"])))
        off_route += e["type"] == "off_route"
        if e["type"] == "arrived" and arrival is None:
            arrival = haversine_m(*truth_at(e["t"]), *route.coordinates[-1])
    return WalkScore(
        points=tuple(points),
        scans=len(truth),
        fixes=len(errors),
        errors_m=tuple(errors),
        confident_wrong=sum(err > WRONG_M for err in errors),
        off_route_events=off_route,
        arrived=arrival is not None and arrival <= ARRIVED_WITHIN_M,
        arrival_error_m=arrival,
    )


def _verdict(passed: float | None, before: float | None) -> str:
    if passed is None:
        return "not_reached"
    if before is None:
        return "missed"
    if before < LATE_M:
        return "late"
    if before < ON_TIME_M[0]:
        return "short"
    return "on_time" if before <= ON_TIME_M[1] else "early"


def summarize(walks: Sequence[WalkScore]) -> dict[str, Any]:
    """Totals over walks: shares in percent (of the decision points that could be announced on
    time), errors in metres, counts as counts."""
    points = [p for w in walks for p in w.points if p.verdict != "at_start"]
    verdicts = {v: sum(p.verdict == v for p in points)
                for v in ("on_time", "early", "short", "late", "missed", "not_reached")}
    before = [p.announced_before_m for p in points if p.announced_before_m is not None]
    errors = np.array([e for w in walks for e in w.errors_m])
    fixes, scans = sum(w.fixes for w in walks), sum(w.scans for w in walks)
    wrong = sum(w.confident_wrong for w in walks)
    return {
        "walks": len(walks),
        "decision_points": len(points),
        **verdicts,
        "on_time_pct": _pct(verdicts["on_time"], len(points)),
        "announced_before_median_m": _round(float(np.median(before))) if before else None,
        "off_route_events": sum(w.off_route_events for w in walks),
        "fixes_available_pct": _pct(fixes, scans),
        "confident_wrong_pct": _pct(wrong, fixes),
        "confident_wrong": wrong,
        "arrived_pct": _pct(sum(w.arrived for w in walks), len(walks)),
        "mean_error_m": _round(float(errors.mean())) if errors.size else None,
        "p90_error_m": _round(float(np.percentile(errors, 90))) if errors.size else None,
    }


def _pct(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(100.0 * part / whole, 2)


def _first_said(events: Sequence[Mapping[str, Any]], frame: LocalFrame, phases: tuple[str, ...]
                ) -> dict[tuple[float, float], float]:
    """Point (local x, y) -> t of the first instruction about it in one of ``phases``."""
    said: dict[tuple[float, float], float] = {}
    for e in events:
        data = e.get("instruction", e) if e["type"] == "rerouted" else e
        if e["type"] in ("instruction", "rerouted") and data.get("phase") in phases:
            at = frame.to_xy(data["at"]["lat"], data["at"]["lon"])
            key = next((k for k in said if math.dist(k, at) <= _SAME_POINT_M), at)
            said.setdefault(key, e["t"])
    return said
