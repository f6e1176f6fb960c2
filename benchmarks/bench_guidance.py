"""Guidance against ground truth: simulated walks through the real pipeline in three worlds.

Each walk goes through :func:`navigator.simulation.run_simulation` (the positioner and
``NavigationSession`` a live socket uses) on the shipped Kaiserslautern map and the Berlin-Neukoelln
extract, and is scored by :mod:`navigator.groundtruth`. Worlds:

- (a) ideal: dense layout, the positioner's own law (``SimulatedSource`` defaults);
- (b) harsh: dense layout, every radio effect (``beacons.worlds.harsh_channel``), no GNSS;
- (c) street: decision-point layout, the harsh radio and the phone's GNSS.

Methods: ours (the session's positioner with everything the scan carries), beacons alone (the
same without ``Scan.gnss``), GNSS alone snapped to the nearest path, the loudest beacon snapped
to the nearest path. The routes are random (seeded) 200-350 m walks; a walk that has not arrived
after 1.5x its walking time plus 60 s ends there (a lost walker can go on for ever).

Draws: the positioner's random numbers (its particles) decide late or on time at many a corner,
so each walk can be walked with several positioner seeds (``DRAW_OFFSETS``) in the same world,
along the same path, with the same radio. The table pools the draws and shows each figure's
spread over them; a goal is met only if every draw meets it.

Walkers: the goals are judged on a walker who ignores what it is told (it walks on at 1.2 m/s,
only a re-route is followed): the stricter test. The harsh and street worlds are walked again by
a walker who heeds the guidance (``WalkOptions.heeds``: it waits when told to wait, slows down
when told to), same walks and draws: information on whether the advice works, not a goal.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np

from beacons.layout import BeaconLayout
from beacons.model import Fix, Scan, Unavailable
from beacons.planning import path_length_km, plan_beacons, plan_decision_beacons
from beacons.positioning import Positioner, PositioningMap, PositioningSettings
from beacons.worlds import (
    BODY_LOSS_DB,
    DEAD_SHARE,
    EXPONENT_RANGE,
    FLAT_FAST_SIGMA_DB,
    FLAT_SHADOWING_SIGMA_DB,
    PACKET_LOSS,
    PHONE_OFFSET_RANGE_DB,
    SENSITIVITY_RANGE_DBM,
    SHADOWING_CORR_RANGE_M,
)
from benchmarks.common import BenchResult
from navigator.groundtruth import WalkScore, summarize
from navigator.mapstate import MapState
from navigator.routeplan import plan_between
from navigator.settings import DEFAULT_CITY_FILE
from navigator.simulation import Locator, WalkOptions, run_simulation
from navigator.storage import MapSnapshot
from routing.graph import build_graph
from routing.model import ManeuverKind, Route
from routing.osm import read_osm
from routing.paths import RoutingError
from voice.phrases import PhraseOptions, Verbosity

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CITIES = (("Kaiserslautern", DEFAULT_CITY_FILE),
          ("Neukoelln", DATA / "osm" / "berlin_neukoelln_karl-marx-platz_2024-03-30.osm"))
ROUTE_M = (200.0, 350.0)
SPEED_MPS = 1.2
VERBOSITIES: tuple[Verbosity, ...] = ("detailed", "normal", "brief", "decision_points")
#: Messages per km are walked once per seed base (route i with seed base + i).
TALK_SEED_BASES = (0, 100, 200)
#: Every world and method walks each route once per seed base (route i with seed base + i):
#: 6 walks of one seed base swung the street world's on-time share between 78 and 98 %, and
#: tuning on three bases met goals that three other bases did not.
GUIDANCE_SEED_BASES = (0, 100, 200, 300, 400, 500)
#: Draw k walks with the positioner's seed = the walk's seed + ``DRAW_OFFSETS[k]`` (the world,
#: the walker's path and its radio keep the walk's seed). Draw 0 is the walk's own seed, the
#: table's only draw before draws existed; the others are the 1,000th, 10,000th, ... primes, far
#: above every seed base (7919 and 104729 are the shifts that showed one draw was luck, #12).
DRAW_OFFSETS = (0, 7919, 104729, 1299709, 15485863, 179424673, 2038074743)
#: Draws per walk in ``benchmarks.run``'s table: main's harsh late + missed (+ not reached) were
#: 12, 22 and 22 in its three draws, so one draw cannot tell a better positioner from a luckier
#: one; three keep the section within about twice its one-draw time (1.6-1.8x its CPU).
GUIDANCE_DRAWS = 3
#: The methods whose fixes use the positioner's random numbers. The baselines never update it,
#: so every draw of theirs is the same walk: they are walked once.
DRAWN_METHODS = frozenset({"ours", "beacons alone"})
#: The worlds our positioner's walks are walked again in by a walker who heeds the guidance.
HEEDING_WORLDS = ("b harsh", "c street")
#: How ``--walker`` names the two walkers (heeds: ``WalkOptions.heeds``).
WALKERS = {"ignores": False, "heeds": True}


# --- baselines and a timer, all in the positioner's place ---------------------------------------


def _snapped(pmap: PositioningMap, lat: float, lon: float, error_m: float, t_s: float) -> Fix:
    """A fix at the point of the nearest edge."""
    edge, offset, _ = pmap.nearest_on_edges(np.array([pmap.frame.to_xy(lat, lon)]))
    x, y = pmap.point_xy(edge, offset)[0]
    slat, slon = pmap.frame.to_latlon(float(x), float(y))
    return Fix(slat, slon, pmap.node_level[pmap.edge_u[edge[0]]], int(pmap.edge_ids[edge[0]]),
               float(offset[0]), error_m, 1.0, t_s)


@dataclass
class GnssSnapped:
    """The phone's GNSS fix, snapped to the nearest path, its reported accuracy as the error."""

    pmap: PositioningMap

    def update(self, scan: Scan) -> Fix | Unavailable:
        g = scan.gnss
        if g is None:
            return Unavailable("no_gnss", scan.t_s)
        return _snapped(self.pmap, g.lat, g.lon, g.sigma_m, scan.t_s)


@dataclass
class LoudestBeacon:
    """The loudest beacon of the scan (mean over its advertisements), snapped to the nearest
    path."""

    pmap: PositioningMap

    def update(self, scan: Scan) -> Fix | Unavailable:
        by_beacon: dict[object, list[float]] = {}
        for r in scan.readings:
            by_beacon.setdefault(r.beacon, []).append(r.rssi_dbm)
        known = [(float(np.mean(v)), row) for b, v in by_beacon.items()
                 if (row := self.pmap.layout.rows_of([b])[0]) is not None]  # type: ignore[list-item]
        if not known:
            return Unavailable("too_few_beacons", scan.t_s)
        row = max(known)[1]
        return _snapped(self.pmap, float(self.pmap.layout.lat[row]),
                        float(self.pmap.layout.lon[row]), 5.0, scan.t_s)


@dataclass
class BeaconsAlone:
    """Our positioner, never shown the scan's GNSS."""

    positioner: Positioner

    def update(self, scan: Scan) -> Fix | Unavailable:
        return self.positioner.update(replace(scan, gnss=None))


@dataclass
class Timed:
    """Whatever locates, with the milliseconds of every update kept."""

    inner: Locator
    ms: list[float]

    def update(self, scan: Scan) -> Fix | Unavailable:
        t0 = time.perf_counter()
        out = self.inner.update(scan)
        self.ms.append((time.perf_counter() - t0) * 1000.0)
        return out


METHODS: dict[str, Callable[[Positioner], Locator]] = {
    "ours": lambda p: p,
    "beacons alone": BeaconsAlone,
    "GNSS snapped": lambda p: GnssSnapped(p.map),
    "loudest beacon": lambda p: LoudestBeacon(p.map),
}


@dataclass(frozen=True)
class World:
    layout: str  # "dense" | "decision"
    radio: Literal["ideal", "harsh"]
    gnss: bool
    methods: tuple[str, ...]


WORLDS = {
    "a ideal": World("dense", "ideal", False, ("ours", "loudest beacon")),
    "b harsh": World("dense", "harsh", False, ("ours", "loudest beacon")),
    "c street": World("decision", "harsh", True,
                      ("ours", "beacons alone", "GNSS snapped", "loudest beacon")),
}


# --- walks --------------------------------------------------------------------------------------


@dataclass
class City:
    name: str
    maps: dict[str, MapState]  # layout -> map holding it
    routes: list[tuple[tuple[float, float], tuple[float, float], Route]]


def _city(name: str, path: Path, walks: int) -> City:
    extract = read_osm(path)
    graph = build_graph(extract.nodes, extract.edges)
    maps = {name: MapState(MapSnapshot(extract.nodes, extract.edges, extract.places,
                                       BeaconLayout.of(layout), []))
            for name, layout in (("dense", plan_beacons(graph, spacing_m=10.0)),
                                 ("decision", plan_decision_beacons(graph, extract.places)))}
    rng = np.random.default_rng(2026)
    nodes = sorted(graph.nodes)
    routes: list[tuple[tuple[float, float], tuple[float, float], Route]] = []
    while len(routes) < walks:
        a, b = (graph.nodes[int(n)] for n in rng.choice(nodes, 2))
        start, end = (a["lat"], a["lon"]), (b["lat"], b["lon"])
        try:
            route = plan_between(maps["dense"], start, end, "blind_cane")
        except RoutingError:
            continue
        decisions = sum(m.kind in (ManeuverKind.TURN, ManeuverKind.CROSS, ManeuverKind.STEPS)
                        for m in route.maneuvers)
        if ROUTE_M[0] <= route.length_m <= ROUTE_M[1] and decisions >= 2:
            routes.append((start, end, route))
    return City(name, maps, routes)


@dataclass
class Row:
    """One world x method over every walk of every city, by draw."""

    world: str
    method: str
    draws: list[list[WalkScore]]  # [k]: every walk with draw k's positioner seed
    ms: list[float]
    #: Walked by the walker who heeds the guidance (information, never a goal).
    heeds: bool = False

    @property
    def scores(self) -> list[WalkScore]:
        """Every walk of every draw: the pooled figures."""
        return [s for d in self.draws for s in d]


def _walk(seed: int, route: Route, radio: Literal["ideal", "harsh"] = "ideal",
          gnss: bool = False, heeds: bool = False) -> WalkOptions:
    """The walker of route ``seed``; a walk not arrived after 1.5x its time plus 60 s ends."""
    return WalkOptions(seed=seed, radio=radio, gnss=gnss, speed_mps=SPEED_MPS,
                       max_duration_s=1.5 * route.length_m / SPEED_MPS + 60.0, heeds=heeds)


def _scored_walks(city: City, w: World, seed_base: int, draws: int = 1,
                  locate: Callable[[Positioner], Locator] | None = None, heeds: bool = False
                  ) -> Iterator[tuple[int, int, WalkScore]]:
    """Each route of ``city`` walked in world ``w`` (route i with seed ``seed_base + i``) once
    per draw (``DRAW_OFFSETS``; ``locate`` as for :func:`run_simulation`; ``heeds``: by the
    walker who heeds the guidance): seed, draw, score."""
    for seed, (start, end, route) in enumerate(city.routes, start=seed_base):
        for draw in range(draws):
            result = run_simulation(city.maps[w.layout], start, end, "blind_cane", "en",
                                    _walk(seed, route, w.radio, w.gnss, heeds), locate=locate,
                                    positioner_seed=seed + DRAW_OFFSETS[draw])
            yield seed, draw, result.score()


def _walk_all(cities: list[City], seed_base: int = 0, draws: int = 1) -> list[Row]:
    """Every world x method over every route; route i walks with seed ``seed_base + i``, with
    ``draws`` positioner seeds for the methods that use them."""
    rows = []
    for world, w in WORLDS.items():
        for method, heeds in _walkers(world, w):
            n = draws if method in DRAWN_METHODS else 1
            row = Row(world, method, [[] for _ in range(n)], [], heeds)
            for city in cities:
                for _, draw, score in _scored_walks(
                        city, w, seed_base, n,
                        lambda p, m=method, ms=row.ms: Timed(METHODS[m](p), ms),  # type: ignore[misc]
                        heeds):
                    row.draws[draw].append(score)
            print(f"   {world} / {method}{' / heeding walker' if heeds else ''}: "
                  f"{len(row.scores)} walks, draws {n}", file=sys.stderr, flush=True)
            rows.append(row)
    return rows


def _walkers(world: str, w: World) -> list[tuple[str, bool]]:
    """The world's rows: each method with the walker who ignores the guidance, then our
    positioner's walks again with the one who heeds it (in ``HEEDING_WORLDS``)."""
    heeding = [("ours", True)] if world in HEEDING_WORLDS else []
    return [*((m, False) for m in w.methods), *heeding]


def _messages_per_km(cities: list[City], seed_base: int = 0) -> dict[str, float]:
    """Spoken messages (every event with a text) per km of route, by the walker's verbosity:
    world (a), our positioner, every route of every city with the same seeds (route i walks
    with seed ``seed_base + i``)."""
    out: dict[str, float] = {}
    for verbosity in VERBOSITIES:
        said, km = 0, 0.0
        for city in cities:
            for seed, (start, end, route) in enumerate(city.routes, start=seed_base):
                walk = _walk(seed, route)
                result = run_simulation(city.maps["dense"], start, end, "blind_cane", "en", walk,
                                        opts=PhraseOptions(verbosity=verbosity))
                said += sum("text" in e for e in result.events)
                km += route.length_m / 1000.0
        out[verbosity] = said / km
    print("spoken messages per km, world (a), by verbosity: " + ", ".join(
        f"{v} {n:.1f}" for v, n in out.items()), file=sys.stderr, flush=True)
    return out


# --- report -------------------------------------------------------------------------------------


def _spread(values: Sequence[float | None], fmt: str = ".1f") -> str:
    v = [x for x in values if x is not None]
    return f"{min(v):{fmt}}-{max(v):{fmt}}" if v else "-"


def _pooled(pooled: dict[str, Any], per_draw: Sequence[dict[str, Any]], key: str) -> str:
    """A summary figure pooled over the draws, with [min-max over the draws] when several."""
    if len(per_draw) < 2:
        return str(pooled[key])
    return f"{pooled[key]} [{_spread([d[key] for d in per_draw], 'g')}]"


def _print_matrix(cities: list[City], rows: list[Row], bases: Sequence[int]) -> None:
    d = PositioningSettings()
    layouts = {k: sum(len(c.maps[k].beacons) for c in cities) for k in ("dense", "decision")}
    km = sum(path_length_km(c.maps["dense"].graph) for c in cities)
    draws = max(len(r.draws) for r in rows)
    print(f"\nguidance against truth: {', '.join(c.name for c in cities)}; "
          f"{len(cities[0].routes)} routes of {ROUTE_M[0]:.0f}-{ROUTE_M[1]:.0f} m per city, "
          f"walker {SPEED_MPS} m/s; each route walked with {len(bases)} seeds "
          f"(bases {'/'.join(map(str, bases))}), {len(rows[0].draws[0])} walks per draw")
    print(f"draws: our positioner's rows walk each walk with {draws} positioner seeds (the walk's "
          f"+ {', '.join(map(str, DRAW_OFFSETS[:draws]))}; same world, path and radio); their "
          "figures are pooled over every draw, [min-max over the draws]; the baselines do not "
          "use the positioner's random numbers and are walked once")
    print(f"walker: 'ignores' walks on at {SPEED_MPS} m/s whatever it is told (only a re-route "
          "is followed; the goals are judged on it, the stricter test); 'heeds' waits where it "
          "is when told to wait and walks at "
          f"{WalkOptions().slow_mps} m/s when told to slow down (information: does the advice "
          "work?); walk s: mean walk duration (max), a walk ends on arrival or the time limit")
    print(f"positioner's own assumptions: exponent {d.path_loss.exponent} "
          f"(prior spread {d.exponent_sigma:g}), readings {d.model_sigma_db:g} dB around the "
          f"model, phone offset prior {d.offset_sigma_db:g} dB, "
          f"1 m power {d.path_loss.measured_power_dbm:g} dBm as placed")
    print(f" (a) ideal: dense layout ({layouts['dense'] / km:.0f}/km), exponent 2, i.i.d. 4 dB, "
          "10 % dropouts: its own law")
    print(f" (b) harsh: dense layout; exponent {EXPONENT_RANGE[0]}-{EXPONENT_RANGE[1]}, offset "
          f"+-{PHONE_OFFSET_RANGE_DB[1]:g} dB, floor {SENSITIVITY_RANGE_DBM[0]:g}.."
          f"{SENSITIVITY_RANGE_DBM[1]:g} dBm, shadowing {FLAT_SHADOWING_SIGMA_DB} dB over "
          f"{SHADOWING_CORR_RANGE_M[0]:g}-{SHADOWING_CORR_RANGE_M[1]:g} m, "
          f"body {BODY_LOSS_DB:g} dB, 3 adverts x {FLAT_FAST_SIGMA_DB} dB fading, "
          f"{PACKET_LOSS:.0%} loss each, {DEAD_SHARE:.0%} dead; no GNSS")
    print(f" (c) street: decision-point layout ({layouts['decision'] / km:.0f}/km, "
          f"{layouts['decision'] / layouts['dense']:.0%} of dense) + (b)'s radio + phone GNSS")
    head: tuple[str, ...] = (
        "world", "method", "walker", "draws", "dp", "on-time %", "early", "short", "late",
        "missed", "n/r", "off-route", "conf-wrong %", "arrived %", "mean m", "(walks)", "p90 m",
        "walk s", "ms/scan")
    table: list[tuple[str, ...]] = [head]
    for r in rows:
        s, per = summarize(r.scores), [summarize(d) for d in r.draws]
        walks = [summarize([w]) for w in r.scores]
        durations = _durations_s(r.scores)
        table.append((r.world, r.method, "heeds" if r.heeds else "ignores", str(len(r.draws)),
                      str(s["decision_points"]),
                      *(_pooled(s, per, k) for k in (
                          "on_time_pct", "early", "short", "late", "missed", "not_reached",
                          "off_route_events", "confident_wrong_pct", "arrived_pct",
                          "mean_error_m")),
                      f"({_spread([w['mean_error_m'] for w in walks])})",
                      _pooled(s, per, "p90_error_m"),
                      f"{np.mean(durations):.0f} ({max(durations):.0f})",
                      f"{np.median(r.ms):.2f}"))
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    for row in table:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    print()


def _durations_s(walks: Sequence[WalkScore]) -> list[float]:
    """Each walk's duration: a scan a second from t = 0 to its end."""
    return [float(w.scans - 1) for w in walks]


def _goal(name: str, value: float | None, unit: str, goal: str | None, met: bool | None,
          baseline: str | None = None, baseline_value: float | None = None) -> BenchResult:
    return BenchResult(name, float("nan") if value is None else value, unit, baseline,
                       baseline_value, None, goal, met)


#: A goal: label, summary key, unit, goal text, and whether one draw's summary meets it.
Check = tuple[str, str, str, str, Callable[[dict[str, Any]], bool]]


def _at_most(v: float | None, bound: float) -> bool:
    return v is not None and v <= bound


def _checks(world: str, mean_bound: float) -> list[Check]:
    """The issue's goals for world (b) or (c)."""
    checks: list[Check] = [
        ("arrived", "arrived_pct", "%", "100 %", lambda d: d["arrived_pct"] == 100.0),
        ("late announcements (none missed either)", "late", "", "0",
         lambda d: d["late"] == d["missed"] == d["not_reached"] == 0),
        ("confident-but-wrong fixes", "confident_wrong_pct", "%", "<= 1 %",
         lambda d: _at_most(d["confident_wrong_pct"], 1.0)),
        ("mean error", "mean_error_m", "m", f"<= {mean_bound:g} m",
         lambda d: _at_most(d["mean_error_m"], mean_bound))]
    if world == "b harsh":
        return [*checks, ("p90 error", "p90_error_m", "m", "<= 5 m",
                          lambda d: _at_most(d["p90_error_m"], 5.0))]
    return [*checks,
            ("decision points announced 3-10 m before", "on_time_pct", "%", ">= 90 %",
             lambda d: d["on_time_pct"] is not None and d["on_time_pct"] >= 90.0),
            ("spurious off-route events", "off_route_events", "", "0",
             lambda d: d["off_route_events"] == 0)]


def _results(rows: list[Row], share: float) -> list[BenchResult]:
    """The goals, each judged on every draw (met only if each draw meets it), its value pooled
    over the draws and the draws' spread in its name; judged on the walker who ignores the
    guidance. The heeding walker's rows follow as information."""
    judged = [r for r in rows if not r.heeds]
    by = {(r.world, r.method): summarize(r.scores) for r in judged}
    per = {(r.world, r.method): [summarize(d) for d in r.draws] for r in judged}
    ms = {(r.world, r.method): float(np.median(r.ms)) for r in judged}

    def name(world: str, label: str, key: str) -> str:
        draws = per[(world, "ours")]
        if len(draws) < 2:
            return f"guidance {world}: {label}"
        return f"guidance {world}: {label} [{len(draws)} draws: " \
               f"{_spread([d[key] for d in draws], 'g')}]"

    out = []
    for world, base, mean_bound in (("b harsh", "loudest beacon", 2.5),
                                    ("c street", "GNSS snapped", 3.0)):
        s, b = by[(world, "ours")], by[(world, base)]
        out += [_goal(name(world, label, key), s[key], unit, goal,
                      all(met(d) for d in per[(world, "ours")]), base, b[key])
                for label, key, unit, goal, met in _checks(world, mean_bound)]
    out.append(_goal("guidance c street: beacons vs dense layout", 100.0 * share, "%", "<= 25 %",
                     share <= 0.25))
    a, a_base = by[("a ideal", "ours")], by[("a ideal", "loudest beacon")]
    out += [_goal(name("a ideal", "decision points announced 3-10 m before", "on_time_pct"),
                  a["on_time_pct"], "%", None, None, "loudest beacon", a_base["on_time_pct"]),
            _goal(name("a ideal", "mean error", "mean_error_m"), a["mean_error_m"], "m", None,
                  None, "loudest beacon", a_base["mean_error_m"])]
    out += [_goal(f"guidance {w}: positioner update, median", ms[(w, "ours")], "ms/scan", None,
                  None) for w in WORLDS]
    return out + _heeding([r for r in rows if r.heeds],
                          {(r.world, r.method): r for r in judged})


#: The heeding walker's figures shown next to the ignoring walker's: label, key, unit.
HEEDING_FIGURES = (("on time (3-10 m before)", "on_time_pct", "%"), ("late", "late", ""),
                   ("missed", "missed", ""), ("arrived", "arrived_pct", "%"),
                   ("mean error", "mean_error_m", "m"), ("p90 error", "p90_error_m", "m"),
                   ("confident-but-wrong fixes", "confident_wrong_pct", "%"))


def _heeding(rows: list[Row], ignoring: dict[tuple[str, str], Row]) -> list[BenchResult]:
    """The heeding walker's figures, pooled over the draws with their spread, each against the
    ignoring walker's (the baseline column), and its mean walk duration: information, no goal
    (the goals are judged on the ignoring walker, the stricter test)."""
    out = []
    for r in rows:
        s, per = summarize(r.scores), [summarize(d) for d in r.draws]
        other = ignoring[(r.world, r.method)].scores
        base = summarize(other)
        out += [_goal(f"guidance {r.world}, heeding walker (information): {label} "
                      f"[{len(per)} draws: {_spread([d[key] for d in per], 'g')}]", s[key], unit,
                      None, None, "ignoring walker", base[key])
                for label, key, unit in HEEDING_FIGURES]
        out.append(_goal(f"guidance {r.world}, heeding walker (information): mean walk duration",
                         float(np.mean(_durations_s(r.scores))), "s", None, None,
                         "ignoring walker", float(np.mean(_durations_s(other)))))
    return out


def run(quick: bool) -> list[BenchResult]:
    cities = [_city(name, path, 1 if quick else 3) for name, path in CITIES]
    bases = GUIDANCE_SEED_BASES[:1] if quick else GUIDANCE_SEED_BASES
    rows = _merge([_walk_all(cities, base, GUIDANCE_DRAWS) for base in bases])
    _print_matrix(cities, rows, bases)
    dense = sum(len(c.maps["dense"].beacons) for c in cities)
    return (_results(rows, sum(len(c.maps["decision"].beacons) for c in cities) / dense)
            + _talk([_messages_per_km(cities, base) for base in TALK_SEED_BASES]))


def _merge(runs: list[list[Row]]) -> list[Row]:
    """The rows of several seed bases as one row per world and method, draw by draw."""
    return [Row(same[0].world, same[0].method,
                [[w for row in same for w in row.draws[k]] for k in range(len(same[0].draws))],
                [m for row in same for m in row.ms], same[0].heeds)
            for same in zip(*runs, strict=True)]


def _talk(runs: list[dict[str, float]]) -> list[BenchResult]:
    """Messages per km by verbosity, the mean over the seed bases; "normal" says clearly less
    than "detailed" and more than "decision_points" (#15) with every seed base."""
    between = all(r["decision_points"] < r["normal"] < r["detailed"] for r in runs)
    bases = "/".join(str(b) for b in TALK_SEED_BASES)
    return [_goal(f"guidance a ideal: spoken messages per km, verbosity {v} (seeds {bases}: "
                  f"{_spread([r[v] for r in runs])})", float(np.mean([r[v] for r in runs])),
                  "/km", "between decision_points and detailed" if v == "normal" else None,
                  between if v == "normal" else None)
            for v in VERBOSITIES]


#: The figures ``bench_guidance`` prints per world.
FOCUS_KEYS = ("on_time_pct", "late", "missed", "not_reached", "off_route_events",
              "confident_wrong_pct", "arrived_pct", "mean_error_m", "p90_error_m")


def _focus(worlds: Sequence[str], bases: Sequence[int], cities: Sequence[str],
           draws: int = 1, walkers: Sequence[str] = ("ignores",)) -> None:
    """Our positioner only, chosen worlds and seed bases, each walk with ``draws`` positioner
    seeds and each of ``walkers`` (see ``WALKERS``), every walk's late and missed points listed
    with their draw: the quick loop for tuning the positioner or the guidance (deterministic per
    seed and draw)."""
    chosen = [_city(name, path, 3) for name, path in CITIES if name in cities]
    for world, walker in ((world, walker) for world in worlds for walker in walkers):
        w, label = WORLDS[world], f"{world} ({walker})"
        per_draw: list[list[WalkScore]] = [[] for _ in range(draws)]
        for base in bases:
            for city in chosen:
                for seed, draw, score in _scored_walks(city, w, base, draws,
                                                       heeds=WALKERS[walker]):
                    per_draw[draw].append(score)
                    walk = f"  {label} {city.name} seed {seed} draw {draw}"
                    for p in score.points:
                        if p.verdict in ("late", "missed", "not_reached"):
                            b = p.announced_before_m
                            said = "never" if b is None else f"{b:.1f} m before"
                            print(f"{walk}: {p.kind} at {p.along_m:.0f} m {p.verdict} "
                                  f"(announced {said})")
                    if not score.arrived:
                        print(f"{walk}: not arrived ({score.scans - 1} s)")
        per = [summarize(d) for d in per_draw]
        if draws > 1:
            for k, d in enumerate(per):
                print(f"{label} draw {k} (positioner seed = walk's + {DRAW_OFFSETS[k]}): "
                      f"{d['walks']} walks, " + ", ".join(f"{key} {d[key]}" for key in FOCUS_KEYS))
        walks = [s for d in per_draw for s in d]
        pooled, durations = summarize(walks), _durations_s(walks)
        print(f"{label}: {pooled['walks']} walks"
              + (f" ({draws} draws pooled, [min-max over the draws])" if draws > 1 else "")
              + ", " + ", ".join(f"{key} {_pooled(pooled, per, key)}" for key in FOCUS_KEYS)
              + f", walk s mean {np.mean(durations):.1f} median {np.median(durations):.0f} "
                f"max {max(durations):.0f}", flush=True)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=_focus.__doc__)
    parser.add_argument("--worlds", nargs="+", default=list(WORLDS), choices=list(WORLDS))
    parser.add_argument("--bases", nargs="+", type=int, default=list(GUIDANCE_SEED_BASES))
    parser.add_argument("--cities", nargs="+", default=[name for name, _ in CITIES],
                        choices=[name for name, _ in CITIES])
    parser.add_argument("--draws", type=int, default=1,
                        choices=range(1, len(DRAW_OFFSETS) + 1), metavar="N",
                        help="positioner seeds per walk: the walk's own plus the first N-1 of "
                             f"{', '.join(map(str, DRAW_OFFSETS[1:]))} (default 1)")
    parser.add_argument("--walker", choices=[*WALKERS, "both"], default="ignores",
                        help="ignores: walks on whatever it is told (the goals' walker); "
                             "heeds: waits and slows down when told to; both: each in turn")
    args = parser.parse_args()
    _focus(args.worlds, args.bases, args.cities, args.draws,
           list(WALKERS) if args.walker == "both" else [args.walker])
