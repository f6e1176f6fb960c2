"""Testers' simulated walks through the real pipeline.

A simulated walker follows the planned route (optionally taking one deliberate wrong turn), a
simulated radio world turns its true position into beacon scans (the ideal
:class:`SimulatedSource`, or the harsh :class:`ChannelSource` with its phone's GNSS), and the very
positioning and session code a phone session uses turns them into fixes and spoken instructions.
When the session re-routes, the walker follows the new route, as a person would. By default it
ignores everything else it is told and walks on at a steady pace (the stricter test of the
guidance); a *heeding* walker (``WalkOptions.heeds``) also waits and slows down when told to, so
the benchmark can tell whether that advice works. Every walk is scored against its truth
(:mod:`navigator.groundtruth`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol

import numpy as np

from beacons.channel import RadioChannel
from beacons.gnss_simulator import GnssSimulator
from beacons.layout import BeaconLayout
from beacons.model import BeaconPlacement, Fix, Scan, Unavailable
from beacons.positioning import Positioner
from beacons.simulator import ChannelSource, SimulatedSource, walk_along
from beacons.worlds import harsh_channel, street_gnss
from navigator.groundtruth import WalkScore, score_walk
from navigator.guidancesettings import GuidanceSettings
from navigator.mapstate import MapState
from navigator.pipeline import build_guidance
from routing.geo import LocalFrame, haversine_m
from routing.graph import edge_by_id
from routing.model import DECISION_KINDS, ManeuverKind, Route
from voice.phrases import PhraseOptions


class Locator(Protocol):
    """Anything that turns a scan into a position the way :class:`Positioner` does."""

    def update(self, scan: Scan) -> Fix | Unavailable: ...


@dataclass(frozen=True, slots=True)
class WalkOptions:
    """How the simulated world and walker behave (all seeded; nothing reads a clock)."""

    seed: int = 0
    #: ``ideal``: the positioner's own law with ``noise_db``, ``dropout`` and ``dead``;
    #: ``harsh``: :func:`beacons.worlds.harsh_channel` drawn by the seed (those three unused).
    radio: Literal["ideal", "harsh"] = "ideal"
    #: Scans carry the phone's GNSS (:func:`beacons.worlds.street_gnss`).
    gnss: bool = False
    noise_db: float = 4.0
    dropout: float = 0.1
    dead: float = 0.0
    speed_mps: float = 1.2
    #: Take a wrong branch at the first junction after this many metres (None: never).
    wrong_turn_at_m: float | None = None
    wrong_turn_length_m: float = 25.0
    #: Silence every beacon near the route between these distances (a dead stretch).
    outage_from_m: float | None = None
    outage_to_m: float | None = None
    outage_radius_m: float = 35.0
    max_duration_s: float | None = None
    #: Do what the guidance says, as a blind walker would (#12): stand still from "location
    #: unavailable, please wait where you are" (or "please stop" on leaving the route) until
    #: the next thing said, then walk on along the same path; walk at ``slow_mps`` from
    #: "location uncertain, slow down" or "location still unknown, walk on slowly" until the
    #: next instruction or a fix the session reports certain; walking on without a position it
    #: stops at the next turn, crossing or steps of its route and stands there. False: walk on
    #: at ``speed_mps`` whatever is said (only a re-route is followed), the stricter walker the
    #: issue's goals are judged on.
    heeds: bool = False
    #: The heeding walker's pace when told to slow down: half the usual 1.2 m/s, a careful
    #: cane user's pace (about the slowest pedestrian speeds measured at crossings).
    slow_mps: float = 0.6


@dataclass
class SimulationResult:
    """Metrics and the full trace of one simulated walk."""

    arrived: bool
    errors_m: list[float]
    off_route_events: int
    unavailable_events: int
    instructions: list[dict[str, Any]]
    events: list[dict[str, Any]]
    duration_s: float
    truth: list[tuple[float, float]]
    fixes: list[tuple[float, float]]
    route: Route
    silenced: int = 0
    truth_t: list[float] = field(default_factory=list)
    #: The radio world and GNSS the walk had (drawn values included).
    world: dict[str, Any] = field(default_factory=dict)

    def score(self) -> WalkScore:
        """The walk scored against its truth (:func:`navigator.groundtruth.score_walk`)."""
        truth = [(t, la, lo) for t, (la, lo) in zip(self.truth_t, self.truth, strict=True)]
        return score_walk(self.route, truth, self.events)

    def guidance(self) -> dict[str, Any]:
        """:meth:`score` as JSON."""
        return self.score().as_json()

    def metrics(self) -> dict[str, Any]:
        """The body of ``POST /v1/simulations`` ``metrics``."""
        errs = np.array(self.errors_m) if self.errors_m else np.array([math.nan])
        return {
            "arrived": self.arrived,
            "mean_error_m": _round(float(np.mean(errs))),
            "p90_error_m": _round(float(np.percentile(errs, 90))),
            "fixes": len(self.errors_m),
            "off_route_events": self.off_route_events,
            "location_unavailable_events": self.unavailable_events,
            "instructions": self.instructions,
            "duration_s": round(self.duration_s, 1),
            "silenced_beacons": self.silenced,
            "world": self.world,
            "guidance": self.guidance(),
        }


def _round(x: float) -> float | None:
    return None if math.isnan(x) else round(x, 2)


class SimulatedWalker:
    """The walker and its radio world, driven by any transport (in-process or WebSocket).

    Call :meth:`scan` for the scan at time ``t`` (the walker's true position is recorded), send
    it through the pipeline, then hand the resulting event dicts to :meth:`observe`; a
    ``rerouted`` event makes the walker follow the new route's geometry, as a person would.
    """

    def __init__(self, mapstate: MapState, route: Route, walk: WalkOptions) -> None:
        self.walk = walk
        self.placements, silenced = _silence(mapstate.beacons, route, walk)
        world: dict[str, Any] = {"radio": walk.radio, "gnss": walk.gnss}
        # one world per walker: every leg (re-routes) meets the same phone, shadows and bias
        self.channel = None
        if walk.radio == "harsh":
            params = harsh_channel(walk.seed)
            self.channel = RadioChannel(self.placements, params, walk.seed)
            world["channel"] = asdict(params)
        self.gnss = None
        if walk.gnss:
            gnss = street_gnss(walk.seed)
            frame = self.channel.frame if self.channel else LocalFrame(*route.coordinates[0])
            self.gnss = GnssSimulator(gnss, frame, walk.seed)
            world["gnss_accuracy_kind"] = gnss.accuracy_kind.value
        #: The leg being walked: its path, when it began and the pace (m/s, 0: standing); a
        #: re-route, and for a heeding walker a change of pace, begins a new leg.
        self._leg: tuple[list[tuple[float, float]], float, float] = (
            _walker_path(mapstate, route, walk), 0.0, walk.speed_mps)
        self.source = self._source(*self._leg)
        #: The path beyond the decision point a heeding walker walking on without a position
        #: stopped at (resumed once the guidance speaks again).
        self._beyond: list[tuple[float, float]] = []
        #: Where the walker, walking on without a position, stops: at a turn it is not told to
        #: take, at the kerb of a crossing (the advice: "to the next corner or kerb"), before steps.
        self._stops = [(m.lat, m.lon) for m in route.maneuvers
                       if m.kind in DECISION_KINDS and m.kind != ManeuverKind.CONTINUE]
        self.limit_s = walk.max_duration_s or (3.0 * route.length_m / walk.speed_mps + 120.0)
        self.result = SimulationResult(False, [], 0, 0, [], [], 0.0, [], [], route, silenced,
                                       world=world)
        self._truth: tuple[float, float] = self.source.position_at(0.0)

    def _source(self, path: list[tuple[float, float]], t0: float, pace_mps: float
                ) -> SimulatedSource | ChannelSource:
        """The radio world for one leg of the walk (``pace_mps`` 0: standing at its start)."""
        walk = (walk_along(path, pace_mps, 1.0, t0) if pace_mps > 0
                else self._standing(path[0], t0))
        if self.channel is not None:
            return ChannelSource(self.channel, walk, gnss=self.gnss)
        w = self.walk  # same seed: the same beacons are dead on every leg
        return SimulatedSource(self.placements, walk, seed=w.seed, noise_db=w.noise_db,
                               dropout=w.dropout, dead=w.dead, gnss=self.gnss)

    def scan(self, t: float) -> Scan:
        self._truth = self.source.position_at(t)
        self.result.truth.append(self._truth)
        self.result.truth_t.append(t)
        return self.source.scan_at(t)

    def observe(self, t: float, events: list[dict[str, Any]]) -> None:
        """Record what the pipeline said at ``t`` and react to it."""
        r, truth = self.result, self._truth
        for e in events:
            r.events.append({**e, "t": t})
            if e["type"] == "fix" and e["available"]:
                r.fixes.append((e["lat"], e["lon"]))
                r.errors_m.append(haversine_m(e["lat"], e["lon"], *truth))
            if e["type"] in ("instruction", "rerouted"):
                data = e if e["type"] == "instruction" else e["instruction"]
                r.instructions.append({
                    "t": t, "kind": data["kind"], "phase": data.get("phase", e["type"]),
                    "text": data["text"], "distance_m": data["distance_m"],
                    "true_lat": truth[0], "true_lon": truth[1]})
            r.off_route_events += e["type"] == "off_route"
            r.unavailable_events += e["type"] == "location_unavailable" and e["phase"] == "lost"
            r.arrived = r.arrived or e["type"] == "arrived"
            if e["type"] == "rerouted":
                path = [truth, *((lat, lon) for lon, lat in e["geometry"]["coordinates"])]
                self._walk_leg(path, t, self.walk.speed_mps)
        if self.walk.heeds:
            self._heed(t, events)
        r.duration_s = t

    def _heed(self, t: float, events: list[dict[str, Any]]) -> None:
        """A heeding walker's pace after what was said at ``t``: the last message of the scan
        decides (a re-route says "please stop" and then the new route's first instruction);
        with nothing said, a fix the session calls certain ends a slow-down."""
        w, pace = self.walk, self._leg[2]
        said = [_PACE_STILL if e.get("phase") == "still" else _PACE_SAID[e["type"]]
                for e in events if e["type"] in _PACE_SAID]
        new = said[-1] if said else None
        if new is not None:
            pace = (w.slow_mps if new in ("slow", _PACE_STILL) else 0.0 if new == "stop"
                    else w.speed_mps)
        elif pace == w.slow_mps and any(e["type"] == "fix" and e.get("certain")
                                         for e in events):
            pace = w.speed_mps
        if pace == self._leg[2] and new != _PACE_STILL:
            return
        path, t0, old = self._leg
        rest = path if old == 0 else _rest_of(path, old * (t - t0))
        rest = [self._truth, *rest[1:], *self._beyond]
        beyond: list[tuple[float, float]] = []
        if new == _PACE_STILL:
            rest, beyond = _split_at_stop(rest, self._stops)
            pace = pace if len(rest) > 1 else 0.0  # already there: stays
        self._walk_leg(rest, t, pace, beyond)

    def _walk_leg(self, path: list[tuple[float, float]], t0: float, pace_mps: float,
                  beyond: Sequence[tuple[float, float]] = ()) -> None:
        self._leg = (path, t0, pace_mps)
        self._beyond = list(beyond)
        self.source = self._source(path, t0, pace_mps)

    def _standing(self, at: tuple[float, float], t0: float) -> list[tuple[float, float, float]]:
        """A leg standing at ``at`` from ``t0``, still facing the way the walker was going (its
        body keeps shadowing the beacons behind it): one step of a metre that ends there at
        ``t0``, after which the walk holds its last point."""
        heading = self.source.heading_at(t0)
        if heading is None:
            return [(t0, *at)]
        h = math.radians(heading)
        return [(t0 - 1.0, *LocalFrame(*at).to_latlon(-math.sin(h), -math.cos(h))), (t0, *at)]

    @property
    def done(self) -> bool:
        return self.result.arrived


def run_simulation(
    mapstate: MapState,
    start: tuple[float, float],
    end: tuple[float, float],
    profile: str,
    lang: str,
    walk: WalkOptions,
    settings: GuidanceSettings | None = None,
    locate: Callable[[Positioner], Locator] | None = None,
    opts: PhraseOptions | None = None,
    positioner_seed: int | None = None,
) -> SimulationResult:
    """Walk from ``start`` to ``end`` in-process; raises RoutingError if there is no route.

    ``locate`` wraps the session's positioner (a baseline in its place, a timer around it);
    ``opts`` are the walker's phrasing choices (verbosity); ``positioner_seed`` draws the
    positioner's random numbers apart from the world's (default: the walk's seed), so the same
    walk can be judged on several draws of its particles."""
    seed = walk.seed if positioner_seed is None else positioner_seed
    nav, positioner, route = build_guidance(mapstate, start, end, profile, lang,
                                            settings or GuidanceSettings(),
                                            opts or PhraseOptions(), seed)
    assert route is not None
    locator: Locator = positioner if locate is None else locate(positioner)
    walker = SimulatedWalker(mapstate, route, walk)
    t = 0.0
    while t <= walker.limit_s and not walker.done:
        events = nav.on_position(locator.update(walker.scan(t)))
        walker.observe(t, [{"type": e.type, **e.data} for e in events])
        t += 1.0
    return walker.result


#: What the heeding walker does on hearing each message (events without one change nothing) ...
_PACE_SAID = {"location_unavailable": "stop", "off_route": "stop", "position_uncertain": "slow",
              "instruction": "walk", "rerouted": "walk", "arrived": "walk"}
#: ... except "location still unknown" (``location_unavailable`` of phase ``still``): walk on
#: slowly, as for "slow down", but only to the next stop (:func:`_split_at_stop`).
_PACE_STILL = "still"
#: A walker this close to a stop is at it (a node of the path, a step of the walk is 0.6 m).
_AT_STOP_M = 1.0


def _split_at_stop(path: list[tuple[float, float]], stops: Sequence[tuple[float, float]]
                   ) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """``path`` up to its first point at one of ``stops``, and the rest after that point."""
    for i, p in enumerate(path):
        if any(haversine_m(*p, *q) <= _AT_STOP_M for q in stops):
            return path[:i + 1], path[i + 1:]
    return path, []


def _rest_of(path: list[tuple[float, float]], along_m: float) -> list[tuple[float, float]]:
    """``path`` from ``along_m`` metres on (its first point there, on the path)."""
    done = 0.0
    for i, (a, b) in enumerate(zip(path, path[1:], strict=False)):
        step = haversine_m(*a, *b)
        if done + step > along_m:
            f = (along_m - done) / step
            return [(a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1])), *path[i + 1:]]
        done += step
    return path[-1:]


def _silence(placements: Sequence[BeaconPlacement], route: Route, walk: WalkOptions
             ) -> tuple[BeaconLayout, int]:
    """Remove the beacons of the outage stretch from the simulated world (not from the map)."""
    layout = BeaconLayout.of(placements)
    if walk.outage_from_m is None or walk.outage_to_m is None:
        return layout, 0
    stretch = _points_between(route, walk.outage_from_m, walk.outage_to_m)
    # exact distances only for beacons in the stretch's box (a big city has 500k beacons)
    lats, lons = [la for la, _ in stretch], [lo for _, lo in stretch]
    pad_lat = 2 * walk.outage_radius_m / 111_000.0
    pad_lon = pad_lat / max(0.1, math.cos(math.radians(max(map(abs, lats)))))
    box = np.flatnonzero(
        (layout.lat >= min(lats) - pad_lat) & (layout.lat <= max(lats) + pad_lat)
        & (layout.lon >= min(lons) - pad_lon) & (layout.lon <= max(lons) + pad_lon)
    ).tolist()
    keep = np.ones(len(layout), dtype=bool)
    for i in box:
        la, lo = float(layout.lat[i]), float(layout.lon[i])
        keep[i] = min(haversine_m(la, lo, sla, slo) for sla, slo in stretch) > walk.outage_radius_m
    return layout.take(keep), len(layout) - int(keep.sum())


def _points_between(route: Route, from_m: float, to_m: float, step_m: float = 2.0
                    ) -> list[tuple[float, float]]:
    pts = [(la, lo) for _, la, lo in walk_along(route.coordinates, step_m, 1.0)]
    return [p for i, p in enumerate(pts) if from_m <= i * step_m <= to_m] or pts[:1]


def _walker_path(mapstate: MapState, route: Route, walk: WalkOptions
                 ) -> list[tuple[float, float]]:
    """The route, or its prefix up to a junction plus a wrong branch."""
    if walk.wrong_turn_at_m is None:
        return list(route.coordinates)
    graph = mapstate.graph
    node_at = {(d["lat"], d["lon"]): n for n, d in graph.nodes(data=True)}
    frame = LocalFrame(*route.coordinates[0])
    along = 0.0
    prev = frame.to_xy(*route.coordinates[0])
    on_route = set(route.edges)
    prefix = [route.coordinates[0]]
    for lat, lon in route.coordinates[1:]:
        xy = frame.to_xy(lat, lon)
        along += math.hypot(xy[0] - prev[0], xy[1] - prev[1])
        prev = xy
        prefix.append((lat, lon))
        node = node_at.get((lat, lon))
        if along < walk.wrong_turn_at_m or node is None:
            continue
        branch = _wrong_branch(graph, node, on_route, walk.wrong_turn_length_m)
        if branch:
            return prefix + branch
    return list(route.coordinates)


def _wrong_branch(graph: Any, node: int, on_route: set[int], length_m: float
                  ) -> list[tuple[float, float]]:
    """Walk away from the route along edges it does not use, for about ``length_m``."""
    out: list[tuple[float, float]] = []
    walked, current, used = 0.0, node, set(on_route)
    while walked < length_m:
        options = [(k, v) for _, v, k in graph.edges(current, keys=True) if k not in used]
        if not options:
            break
        key, nxt = min(options)
        used.add(key)
        walked += edge_by_id(graph, key).length_m
        current = nxt
        out.append((graph.nodes[nxt]["lat"], graph.nodes[nxt]["lon"]))
    return out if walked >= min(length_m, 10.0) else []
