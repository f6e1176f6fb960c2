"""Assembling one walker's pipeline: a positioner seeded at the start and a navigation session;
and positioning several walkers' scans at once.

The WebSocket sessions and the tester's simulations build it here, so a simulation exercises
exactly what a walker gets. (The guidance rules themselves are :mod:`navigator.session`.)
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence

from beacons.model import Fix, Scan, Unavailable
from beacons.positioning import InvalidScan, Positioner
from navigator.collector import warm_then_freeze
from navigator.guidancesettings import GuidanceSettings
from navigator.mapstate import MapState
from navigator.routeplan import plan_between
from navigator.session import NavigationSession
from routing.model import Route
from voice.phrases import PhraseOptions


def build_guidance(
    mapstate: MapState,
    start: tuple[float, float] | None,
    end: tuple[float, float],
    profile: str,
    lang: str,
    settings: GuidanceSettings,
    opts: PhraseOptions,
    seed: int,
    destination_name: str | None = None,
) -> tuple[NavigationSession, Positioner, Route | None]:
    """A session (with its first route when ``start`` is known) and a positioner seeded there.

    Raises ``routing.paths.RoutingError`` when ``start`` is given and no route exists.
    """

    def replan(origin: tuple[float, float]) -> Route:
        return plan_between(mapstate, origin, end, profile)

    route = replan(start) if start is not None else None
    nav = NavigationSession(route, replan, lang=lang, destination_name=destination_name,
                            settings=settings, opts=opts)
    positioner = Positioner(mapstate.positioning_map(), seed=seed)
    if start is not None:
        positioner.hint(*start)
    return nav, positioner, route



#: A positioning result, or the scan refused (its time went backwards).
Position = Fix | Unavailable | InvalidScan


def position_all(pairs: Sequence[tuple[Positioner, Scan]]) -> list[Position]:
    """Fold one scan into each of several walkers' positioners: the scans of one round of a busy
    process (at most one per walker), in one call.

    This is the seam for a positioner that updates many walkers in one vectorised step (their
    particles stacked, one array operation per filter stage instead of one per walker and stage):
    today it updates them one by one.
    """
    out: list[Position] = []
    for positioner, scan in pairs:
        try:
            out.append(positioner.update(scan))
        except InvalidScan as err:
            out.append(err)
    return out


def warm_positioner() -> None:
    """Start the positioner's compiled loops (beacons.kernels) in a thread of their own, once
    per process, so the first walker's scan does not wait seconds for numba; what they made
    is then frozen out of collections (:mod:`navigator.collector`)."""
    if "beacons.kernels" in sys.modules:
        return

    def warm() -> None:
        from beacons.kernels import warm

        warm()

    threading.Thread(target=warm_then_freeze, args=(warm,), name="warm-positioner",
                     daemon=True).start()
