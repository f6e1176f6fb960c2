"""GTFS-Realtime: trip updates and service alerts as Blind Pilot uses them. Pure: bytes and the
time in, values out (the polling is :func:`navigator.transit.realtime_ctx`).

- A trip update gives delays at stops, carried on to the following stops as GTFS-Realtime
  means them when the update names stops by ``stop_sequence``, and the trip's own ``delay``; a
  trip whose schedule relationship is ``CANCELED`` or ``DELETED`` is cancelled, and is then said
  as such instead of as a departure. (Updates naming stops by ``stop_id`` alone are not carried
  on: the first one stands for the trip.)
- A service alert in effect now with effect ``NO_SERVICE`` (the stop is closed) or
  ``ACCESSIBILITY_ISSUE`` (its elevator or ramp is out of order) on a stop closes the platform
  and elevator edges of the map within :data:`ALERT_RADIUS_M` of that stop (a station: of its
  platforms), so routes no longer lead the walker there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from google.protobuf.message import DecodeError
from google.transit import gtfs_realtime_pb2 as rt

from navigator.departures import StopDelay, TripRealtime
from navigator.transitfeed import StopRow
from routing.geo import haversine_m
from routing.model import EdgeRecord

#: Edges of these kinds near a closed stop are closed with it.
CLOSED_WITH_STOP = frozenset({"platform", "elevator"})
ALERT_RADIUS_M = 30.0
_CLOSING_EFFECTS = {rt.Alert.NO_SERVICE: "no_service",
                    rt.Alert.ACCESSIBILITY_ISSUE: "accessibility_issue"}
_CANCELLED = {rt.TripDescriptor.CANCELED, rt.TripDescriptor.DELETED}


@dataclass(frozen=True, slots=True)
class StopAlert:
    """An alert that closes stops (``effect``: "no_service" or "accessibility_issue")."""

    stop_ids: tuple[str, ...]
    effect: str
    #: Periods in effect, (start, end) unix seconds with None for open ends; empty: always.
    periods: tuple[tuple[float | None, float | None], ...]
    header: str

    def active(self, now_ts: float) -> bool:
        return not self.periods or any((s is None or s <= now_ts) and (e is None or now_ts < e)
                                       for s, e in self.periods)


@dataclass(frozen=True, slots=True)
class RealtimeFeed:
    trips: Mapping[str, TripRealtime]
    alerts: tuple[StopAlert, ...]
    #: The feed's own timestamp (header.timestamp), unix seconds; 0 when it gives none.
    feed_ts: float


class RealtimeError(ValueError):
    """The bytes are not a GTFS-Realtime feed."""


def parse_realtime(data: bytes) -> RealtimeFeed:
    """A ``FeedMessage`` (protobuf bytes) as trip changes and closing alerts."""
    message = rt.FeedMessage()
    try:
        message.ParseFromString(data)
    except DecodeError as err:
        raise RealtimeError(f"not a GTFS-Realtime feed: {err}") from None
    if not message.HasField("header"):
        raise RealtimeError("not a GTFS-Realtime feed: no header")
    trips: dict[str, TripRealtime] = {}
    alerts: list[StopAlert] = []
    for entity in message.entity:
        if entity.HasField("trip_update") and entity.trip_update.trip.trip_id:
            update = entity.trip_update
            trips[update.trip.trip_id] = _trip_realtime(update)
        if entity.HasField("alert"):
            alert = _stop_alert(entity.alert)
            if alert is not None:
                alerts.append(alert)
    return RealtimeFeed(trips, tuple(alerts), float(message.header.timestamp))


def _delay(stu: rt.TripUpdate.StopTimeUpdate) -> int | None:
    for event in (stu.departure, stu.arrival):
        if event.HasField("delay"):
            return int(event.delay)
    return None


def _trip_realtime(update: rt.TripUpdate) -> TripRealtime:
    stops = tuple(
        StopDelay(int(stu.stop_sequence) if stu.HasField("stop_sequence") else None,
                  stu.stop_id or None, d)
        for stu in update.stop_time_update if (d := _delay(stu)) is not None)
    # Without a trip-wide delay, updates that name stops only by id cannot be carried on to
    # the stops after them (that needs the trip's stop order): their first delay stands in.
    delay = (int(update.delay) if update.HasField("delay")
             else next((s.delay_s for s in stops if s.seq is None), None))
    return TripRealtime(update.trip.schedule_relationship in _CANCELLED, delay, stops)


def _stop_alert(alert: rt.Alert) -> StopAlert | None:
    effect = _CLOSING_EFFECTS.get(alert.effect)
    stops = tuple(e.stop_id for e in alert.informed_entity if e.stop_id)
    if effect is None or not stops:
        return None
    periods = tuple((float(p.start) if p.HasField("start") else None,
                     float(p.end) if p.HasField("end") else None) for p in alert.active_period)
    header = next((t.text for t in alert.header_text.translation), "")
    return StopAlert(stops, effect, periods, header)


def alert_closed_edges(
    alerts: Iterable[StopAlert], stops: Mapping[str, StopRow],
    children: Mapping[int, Sequence[StopRow]], edges: Iterable[EdgeRecord],
    node_position: Mapping[int, tuple[float, float]], now_ts: float,
) -> frozenset[int]:
    """Platform and elevator edges with an end within :data:`ALERT_RADIUS_M` of a stop closed
    by an alert in effect at ``now_ts``."""
    points: list[tuple[float, float]] = []
    for alert in alerts:
        if not alert.active(now_ts):
            continue
        for stop_id in alert.stop_ids:
            stop = stops.get(stop_id)
            if stop is not None:
                points += [(s.lat, s.lon) for s in (stop, *children.get(stop.id, ()))]
    if not points:
        return frozenset()
    closed = set()
    for edge in edges:
        if edge.highway not in CLOSED_WITH_STOP:
            continue
        ends = [node_position[n] for n in (edge.u, edge.v) if n in node_position]
        if any(haversine_m(lat, lon, *end) <= ALERT_RADIUS_M for lat, lon in points
               for end in ends):
            closed.add(edge.id)
    return frozenset(closed)
