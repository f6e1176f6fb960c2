"""The imported timetable as the service uses it: stops, the calendar and (for any feed of city
size) every departure in memory, real-time changes beside them.

Another process (``blindpilot import-gtfs``) may replace the feed while the server runs: a
question first checks the feed's import time (one tiny query, at most every
:data:`FEED_CHECK_S`: it was a third of the work of a departures question) and reloads the
stops, the calendar and the departures when it changed. Without a feed everything here answers
"no timetable", and stops stay plain places of the map.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from navigator.departureindex import DepartureIndex
from navigator.departures import (
    Departure,
    ServiceCalendar,
    TripRealtime,
    next_departures,
    service_days,
    stop_alerts_at,
    windows,
)
from navigator.storage import FeedInfo, Storage
from navigator.transitfeed import StopRow
from routing.geo import haversine_m

if TYPE_CHECKING:  # protobuf is loaded only where a real-time feed is configured
    from navigator.realtime import ServiceAlert

#: A bus up to this late is still looked for when the real-time feed says it has not left.
MAX_LATE_S = 60 * 60
#: How long a check that the stored feed is still the one in memory holds.
FEED_CHECK_S = 1.0
#: Feeds up to this many stop times hold their departures in memory (~14 bytes each; reading
#: them about doubles a feed's load, ~3 s of CPU per million here); bigger ones are read from
#: storage per question.
INDEX_MAX_STOP_TIMES = 3_000_000


@dataclass(frozen=True, slots=True)
class TimetableSnapshot:
    """One imported feed's stops and calendar; replaced whole when the feed changes."""

    imported_ts: float | None = None
    timezone: str = "UTC"
    stops: Mapping[str, StopRow] = field(default_factory=dict)
    children: Mapping[int, tuple[StopRow, ...]] = field(default_factory=dict)
    lines: Mapping[int, tuple[str, ...]] = field(default_factory=dict)
    calendar: ServiceCalendar = field(default_factory=lambda: ServiceCalendar({}, {}))
    #: The stops again by their stored id (a pole's ``parent_id`` names its station so).
    by_id: Mapping[int, StopRow] = field(default_factory=dict)
    #: Every departure in memory; None for a feed over :data:`INDEX_MAX_STOP_TIMES` (read from
    #: storage per question instead).
    index: DepartureIndex | None = None

    @property
    def loaded(self) -> bool:
        return self.imported_ts is not None

    def boarding_stops(self, stop: StopRow) -> tuple[StopRow, ...]:
        """Where one boards at ``stop``: the stop itself, or a station's platforms and poles."""
        return self.children.get(stop.id, ()) if stop.location_type == 1 else (stop,)

    def alert_stop_ids(self, stop: StopRow) -> frozenset[str]:
        """The GTFS ids whose stop alerts concern someone at ``stop``: the stop, its platforms
        (a station) and its station (a platform)."""
        parent = self.by_id.get(stop.parent_id) if stop.parent_id is not None else None
        return frozenset({stop.gtfs_id, *(s.gtfs_id for s in self.boarding_stops(stop)),
                          *((parent.gtfs_id,) if parent is not None else ())})

    def stops_near(self, lat: float, lon: float, max_m: float) -> list[tuple[float, StopRow]]:
        """Boarding stops (poles, platforms) within ``max_m``, nearest first."""
        near = [(haversine_m(lat, lon, s.lat, s.lon), s) for s in self.stops.values()
                if s.location_type == 0]
        return sorted(((d, s) for d, s in near if d <= max_m), key=lambda x: x[0])


class Timetable:
    """The feed in storage, kept fresh; :attr:`realtime` is set by the GTFS-Realtime poller."""

    def __init__(self, storage: Storage, clock: Callable[[], float] = time.monotonic) -> None:
        self.storage = storage
        self._clock = clock  # seconds, for how long a feed check holds
        self.snapshot = TimetableSnapshot()
        self._checked = -math.inf  # monotonic seconds of the last feed check
        self.realtime: Mapping[str, TripRealtime] = {}
        #: The feed's alerts about lines and trips, said with their departures.
        self.alerts: tuple[ServiceAlert, ...] = ()
        #: The feed's alerts about stops, said with the stop's departures and on the way there.
        self.stop_alerts: tuple[ServiceAlert, ...] = ()
        #: How far before now to read the timetable: the latest delay the feed has, at most
        #: :data:`MAX_LATE_S` (a wider window costs every question).
        self.late_s = 0

    def set_realtime(self, trips: Mapping[str, TripRealtime],
                     alerts: Sequence[ServiceAlert] = ()) -> None:
        """Take a real-time feed's trip updates and alerts (the poller's, every poll)."""
        delays = [d for t in trips.values()
                  for d in (t.delay_s or 0, *(s.delay_s for s in t.stops))]
        self.late_s, self.realtime = min(MAX_LATE_S, max(delays, default=0)), trips
        self.alerts = tuple(a for a in alerts if a.line_entities)
        self.stop_alerts = tuple(a for a in alerts if a.stop_ids)

    def fresh(self) -> TimetableSnapshot | None:
        """The snapshot when its feed check still holds (no storage read), else None: then
        :meth:`current`, off the event loop."""
        return self.snapshot if self._clock() - self._checked < FEED_CHECK_S else None

    def current(self) -> TimetableSnapshot:
        """The snapshot of the feed stored now (reloaded if another process imported one), as
        of at most :data:`FEED_CHECK_S` ago."""
        now = self._clock()
        if now - self._checked < FEED_CHECK_S:
            return self.snapshot
        self._checked = now
        info = self.storage.feed_info()
        imported = info.imported_ts if info else None
        if imported != self.snapshot.imported_ts:
            self.snapshot = self._load(info) if info else TimetableSnapshot()
        return self.snapshot

    def _load(self, info: FeedInfo) -> TimetableSnapshot:
        stops = self.storage.load_transit_stops()
        children: dict[int, list[StopRow]] = {}
        for s in stops:
            if s.parent_id is not None:
                children.setdefault(s.parent_id, []).append(s)
        services, dates = self.storage.load_calendar()
        index = (DepartureIndex.build(self.storage.boarding_times(),
                                      {t.id: t for t in self.storage.trip_infos()})
                 if info.stop_times <= INDEX_MAX_STOP_TIMES else None)
        return TimetableSnapshot(
            info.imported_ts, info.timezone, {s.gtfs_id: s for s in stops},
            {k: tuple(v) for k, v in children.items()},
            {k: tuple(v) for k, v in self.storage.lines_at_stops().items()},
            ServiceCalendar.from_rows(services, dates), {s.id: s for s in stops}, index)

    def alerts_at(self, snapshot: TimetableSnapshot, stop: StopRow, now_ts: float
                  ) -> list[ServiceAlert]:
        """The stop alerts in effect at ``now_ts`` about ``stop`` (its station or platforms
        included), in the feed's order."""
        return stop_alerts_at(self.stop_alerts, snapshot.alert_stop_ids(stop), now_ts)

    def departures(self, snapshot: TimetableSnapshot, stops: tuple[StopRow, ...], now_ts: float,
                   *, horizon_s: float, limit: int) -> list[Departure]:
        """The next departures from ``stops`` at ``now_ts`` (time passed in, as everywhere)."""
        if not stops:
            return []
        days = service_days(now_ts, snapshot.timezone)
        realtime, earliest = self.realtime, now_ts - self.late_s
        spans = windows(days, earliest, now_ts + horizon_s)
        rows = (snapshot.index.rows(stops, spans) if snapshot.index is not None
                else self.storage.departure_rows([s.id for s in stops], spans))
        return next_departures(rows, days, snapshot.calendar, now_ts, horizon_s=horizon_s,
                               limit=limit, realtime=realtime, alerts=self.alerts)
