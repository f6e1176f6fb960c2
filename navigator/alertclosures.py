"""Closures from GTFS-Realtime alerts: an alert that closes a stop (or its elevator) closes the
platform and elevator edges of the map near that stop, for the alert's active periods. Pure: the
storage keeps them (:mod:`navigator.storage.alertclosures`) like mappers' closures, so they
survive a restart and reach every server process, and this module says which to add and which
to remove when the feed changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from navigator.transitfeed import StopRow
from routing.geo import haversine_m
from routing.model import EdgeRecord

if TYPE_CHECKING:  # storage imports this module; protobuf is loaded only with a feed
    from navigator.realtime import ServiceAlert

#: Edges of these kinds near a closed stop are closed with it.
CLOSED_WITH_STOP = frozenset({"platform", "elevator"})
ALERT_RADIUS_M = 30.0
#: A closure's ``created_by`` when an alert made it: this, then the alert's id.
CREATED_BY_PREFIX = "gtfs-rt:"
_CREATED_BY_CHARS = 80
_REASON_CHARS = 500


@dataclass(frozen=True, slots=True)
class AlertClosure:
    """A closure an alert asks for; ``starts_ts`` None: from whenever it was first stored."""

    edge_id: int
    starts_ts: float | None
    ends_ts: float | None
    reason: str
    created_by: str


@dataclass(frozen=True, slots=True)
class StoredClosure:
    id: int
    edge_id: int
    starts_ts: float
    ends_ts: float | None
    reason: str
    created_by: str | None


def created_by(alert_id: str) -> str:
    return (CREATED_BY_PREFIX + alert_id)[:_CREATED_BY_CHARS]


def _reason(alert: ServiceAlert) -> str:
    header = next((text for _, text in alert.headers if text), "")
    return f"GTFS-Realtime {alert.effect}{': ' if header else ''}{header}"[:_REASON_CHARS]


def alert_closures(
    alerts: Iterable[ServiceAlert], stops: Mapping[str, StopRow],
    children: Mapping[int, Sequence[StopRow]], edges: Iterable[EdgeRecord],
    node_position: Mapping[int, tuple[float, float]], now_ts: float,
) -> list[AlertClosure]:
    """One closure per active period not yet over (an alert without periods: one, open-ended)
    of each platform or elevator edge with an end within :data:`ALERT_RADIUS_M` of a stop the
    alert closes (a station: of its platforms)."""
    platforms = [e for e in edges if e.highway in CLOSED_WITH_STOP]
    out: set[AlertClosure] = set()
    for alert in alerts:
        points = [(s.lat, s.lon) for stop_id in alert.closed_stop_ids
                  if (stop := stops.get(stop_id)) is not None
                  for s in (stop, *children.get(stop.id, ()))]
        periods = [(s, e) for s, e in alert.periods or ((None, None),)
                   if e is None or e > now_ts]
        if not points or not periods:
            continue
        for edge in platforms:
            ends = [node_position[n] for n in (edge.u, edge.v) if n in node_position]
            if any(haversine_m(lat, lon, *end) <= ALERT_RADIUS_M for lat, lon in points
                   for end in ends):
                out.update(AlertClosure(edge.id, s, e, _reason(alert), created_by(alert.alert_id))
                           for s, e in periods)
    return sorted(out, key=lambda c: (c.created_by, c.edge_id, c.starts_ts or 0.0,
                                      c.ends_ts or 0.0))


def plan_closure_sync(wanted: Sequence[AlertClosure], stored: Sequence[StoredClosure]
                      ) -> tuple[list[StoredClosure], list[AlertClosure]]:
    """(stored closures to delete, wanted ones to insert) so that the stored alert closures are
    the wanted ones. A stored closure stands for a wanted one with the same edge, end, reason and
    alert, and the same start where the alert gives one: unchanged alerts change nothing."""
    left = list(stored)
    insert = []
    for w in wanted:
        same = next((s for s in left if (s.edge_id, s.ends_ts, s.reason, s.created_by)
                     == (w.edge_id, w.ends_ts, w.reason, w.created_by)
                     and (w.starts_ts is None or w.starts_ts == s.starts_ts)), None)
        if same is None:
            insert.append(w)
        else:
            left.remove(same)
    return left, insert
