"""GTFS-Realtime: trip updates and service alerts as Blind Pilot uses them. Pure: bytes in,
values out (the polling is :func:`navigator.transit.poll_realtime`).

- A trip update gives delays at stops, carried on to the following stops as GTFS-Realtime
  means them when the update names stops by ``stop_sequence``, and the trip's own ``delay``; a
  trip whose schedule relationship is ``CANCELED`` or ``DELETED`` is cancelled, and is then said
  as such instead of as a departure. (Updates naming stops by ``stop_id`` alone are not carried
  on: the first one stands for the trip.)
- A service alert is kept when it names a stop (an informed entity naming a stop and neither
  route nor trip: said with that stop's departures and as the walker nears it as a trip's
  boarding stop, whatever its effect) or a line or a trip (said with that line's or trip's
  departures). A stop's alert with effect ``NO_SERVICE`` (the stop is closed) or
  ``ACCESSIBILITY_ISSUE`` (its elevator or ramp is out of order) also closes it:
  :mod:`navigator.alertclosures` turns it into closures. An alert about one line at one stop is
  the line's, not the stop's: the stop stays open for the other lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from google.protobuf.message import DecodeError
from google.transit import gtfs_realtime_pb2 as rt

from navigator.departures import StopDelay, TripRealtime

CLOSING_EFFECTS = frozenset({"no_service", "accessibility_issue"})
_EFFECTS = {value: name.lower() for name, value in rt.Alert.Effect.items()}
_CANCELLED = {rt.TripDescriptor.CANCELED, rt.TripDescriptor.DELETED}


@dataclass(frozen=True, slots=True)
class InformedEntity:
    """What an alert is about: a line, a trip, a stop, or a line or trip at a stop."""

    route_id: str | None = None
    trip_id: str | None = None
    stop_id: str | None = None


@dataclass(frozen=True, slots=True)
class ServiceAlert:
    #: The feed entity's id: the same alert keeps it from poll to poll.
    alert_id: str
    #: The GTFS-Realtime effect in lower case ("no_service", "detour", …).
    effect: str
    entities: tuple[InformedEntity, ...]
    #: Periods in effect, (start, end) unix seconds with None for open ends; empty: always.
    periods: tuple[tuple[float | None, float | None], ...]
    #: The header text per language as the feed gives it, ("de", "Aufzug defekt"); "" when the
    #: feed names no language.
    headers: tuple[tuple[str, str], ...] = ()

    def active(self, now_ts: float) -> bool:
        return not self.periods or any((s is None or s <= now_ts) and (e is None or now_ts < e)
                                       for s, e in self.periods)

    @property
    def stop_ids(self) -> tuple[str, ...]:
        """The stops this alert is about as stops (not one line or trip at them)."""
        return tuple(e.stop_id for e in self.entities
                     if e.stop_id and e.route_id is None and e.trip_id is None)

    @property
    def closed_stop_ids(self) -> tuple[str, ...]:
        """The stops this alert closes (none unless its effect closes)."""
        return self.stop_ids if self.effect in CLOSING_EFFECTS else ()

    @property
    def line_entities(self) -> tuple[InformedEntity, ...]:
        """The entities naming a line or a trip (perhaps at one stop)."""
        return tuple(e for e in self.entities if e.route_id or e.trip_id)

    def scope(self, route_id: str, trip_id: str, stop_id: str) -> str | None:
        """"trip" when the alert names this trip, "line" when it names its line (anywhere, or
        at this stop), else None: whether a departure is said with it."""
        found = None
        for e in self.line_entities:
            if e.stop_id not in (None, stop_id) or e.route_id not in (None, route_id):
                continue
            if e.trip_id is None:
                found = "line"
            elif e.trip_id == trip_id:
                return "trip"
        return found

    def header(self, lang: str) -> str | None:
        """The header in ``lang`` ("de" also takes "de-DE"); None when the feed has none in it
        (an untagged text may be in any language, so it is not said as the walker's)."""
        for tag, text in self.headers:
            if text and tag and tag.casefold().split("-")[0] == lang.casefold():
                return text
        return None


@dataclass(frozen=True, slots=True)
class RealtimeFeed:
    trips: Mapping[str, TripRealtime]
    alerts: tuple[ServiceAlert, ...]
    #: The feed's own timestamp (header.timestamp), unix seconds; 0 when it gives none.
    feed_ts: float


class RealtimeError(ValueError):
    """The bytes are not a GTFS-Realtime feed."""


def parse_realtime(data: bytes) -> RealtimeFeed:
    """A ``FeedMessage`` (protobuf bytes) as trip changes and the alerts Blind Pilot acts on."""
    message = rt.FeedMessage()
    try:
        message.ParseFromString(data)
    except DecodeError as err:
        raise RealtimeError(f"not a GTFS-Realtime feed: {err}") from None
    if not message.HasField("header"):
        raise RealtimeError("not a GTFS-Realtime feed: no header")
    trips: dict[str, TripRealtime] = {}
    alerts: list[ServiceAlert] = []
    for entity in message.entity:
        if entity.HasField("trip_update") and entity.trip_update.trip.trip_id:
            update = entity.trip_update
            trips[update.trip.trip_id] = _trip_realtime(update)
        if entity.HasField("alert"):
            alert = _service_alert(entity.id, entity.alert)
            if alert.stop_ids or alert.line_entities:
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


def _service_alert(alert_id: str, alert: rt.Alert) -> ServiceAlert:
    entities = tuple(InformedEntity(e.route_id or None, e.trip.trip_id or None, e.stop_id or None)
                     for e in alert.informed_entity)
    periods = tuple((float(p.start) if p.HasField("start") else None,
                     float(p.end) if p.HasField("end") else None) for p in alert.active_period)
    headers = tuple((t.language, t.text) for t in alert.header_text.translation)
    return ServiceAlert(alert_id, _EFFECTS.get(alert.effect, "unknown_effect"), entities,
                        periods, headers)
