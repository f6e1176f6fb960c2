"""What leaves a stop next: the timetable's rows, the service calendar, real-time changes and
the time (always passed in) become departures. Pure, no I/O.

GTFS counts a trip's times from its *service day*: "noon minus 12 h" local time, which is
midnight except on the two days a year the clocks change. A trip of Monday's service leaving at
25:10:00 leaves on Tuesday at 01:10, so the departures after midnight come from two service days,
yesterday's and today's; :func:`service_days` gives both, :func:`windows` the part of each that
falls into the time asked for.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal, Protocol, TypeVar
from zoneinfo import ZoneInfo

from navigator.transitfeed import DepartureRow, ServiceDateRow, ServiceRow

Wheelchair = Literal["yes", "no", "unknown"]
_WHEELCHAIR: dict[int, Wheelchair] = {1: "yes", 2: "no"}


@dataclass(frozen=True, slots=True)
class ServiceCalendar:
    """Which services run on which dates (calendar.txt and calendar_dates.txt)."""

    #: service id -> (weekday bits, Monday = bit 0; first date; last date), dates as YYYYMMDD
    weekly: Mapping[int, tuple[int, int | None, int | None]]
    #: (service id, YYYYMMDD) -> added (True) or removed (False) that day
    exceptions: Mapping[tuple[int, int], bool]

    @classmethod
    def from_rows(cls, services: Iterable[ServiceRow], dates: Iterable[ServiceDateRow]
                  ) -> ServiceCalendar:
        return cls({s.id: (s.weekdays, s.start_date, s.end_date) for s in services},
                   {(d.service_id, d.date): d.added for d in dates})

    def runs(self, service_id: int, day: date) -> bool:
        ymd = day.year * 10000 + day.month * 100 + day.day
        exception = self.exceptions.get((service_id, ymd))
        if exception is not None:
            return exception
        weekdays, first, last = self.weekly.get(service_id, (0, None, None))
        return (bool(weekdays >> day.weekday() & 1) and (first is None or first <= ymd)
                and (last is None or ymd <= last))


@dataclass(frozen=True, slots=True)
class ServiceDay:
    day: date
    #: Unix time of the day's "noon minus 12 h", the zero its GTFS times count from.
    start_ts: float


def service_days(now_ts: float, timezone: str) -> tuple[ServiceDay, ServiceDay]:
    """Yesterday's and today's service day at ``now_ts`` in the feed's time zone."""
    zone = ZoneInfo(timezone)
    today = datetime.fromtimestamp(now_ts, zone).date()

    def start(day: date) -> float:
        return datetime.combine(day, time(12), zone).timestamp() - 12 * 3600

    yesterday = today - timedelta(days=1)
    return ServiceDay(yesterday, start(yesterday)), ServiceDay(today, start(today))


def windows(days: Sequence[ServiceDay], from_ts: float, to_ts: float) -> list[tuple[int, int]]:
    """For each service day, its seconds (as GTFS counts them) from ``from_ts`` to ``to_ts``."""
    return [(max(0, math.floor(from_ts - d.start_ts)), math.ceil(to_ts - d.start_ts))
            for d in days]


@dataclass(frozen=True, slots=True)
class StopDelay:
    """A trip update's prediction at one stop, named by its place in the trip, its id or both."""

    seq: int | None
    stop_id: str | None
    delay_s: int


@dataclass(frozen=True, slots=True)
class TripRealtime:
    """What the real-time feed says about one trip (GTFS-Realtime trip updates)."""

    cancelled: bool = False
    #: Seconds late (negative: early) for the whole trip; None: no trip-wide prediction.
    delay_s: int | None = None
    #: Predictions at particular stops, in the order the update gives them.
    stops: tuple[StopDelay, ...] = ()

    def delay_at(self, stop_id: str, seq: int) -> int | None:
        """The delay at one stop of the trip: its own prediction; else, as GTFS-Realtime
        carries a delay on, that of the nearest predicted stop before it (known when the update
        gives stop_sequence); else the trip's delay."""
        for s in self.stops:
            if s.seq == seq or (s.seq is None and s.stop_id == stop_id):
                return s.delay_s
        earlier = [s for s in self.stops if s.seq is not None and s.seq < seq]
        if earlier:
            return max(earlier, key=lambda s: s.seq or 0).delay_s
        return self.delay_s


class LineAlert(Protocol):
    """What departures need of a real-time alert (:class:`navigator.realtime.ServiceAlert`,
    which imports this module)."""

    @property
    def alert_id(self) -> str: ...

    @property
    def effect(self) -> str: ...

    def active(self, now_ts: float) -> bool: ...

    def scope(self, route_id: str, trip_id: str, stop_id: str) -> str | None: ...

    def header(self, lang: str) -> str | None: ...


class StopAlert(Protocol):
    """What a stop's departures need of a real-time alert about the stop."""

    @property
    def stop_ids(self) -> tuple[str, ...]: ...

    def active(self, now_ts: float) -> bool: ...


AnyStopAlert = TypeVar("AnyStopAlert", bound=StopAlert)


def stop_alerts_at(alerts: Iterable[AnyStopAlert], stop_ids: Collection[str], now_ts: float
                   ) -> list[AnyStopAlert]:
    """The alerts in effect at ``now_ts`` that name one of ``stop_ids``, in the feed's order."""
    return [a for a in alerts if a.active(now_ts) and any(s in stop_ids for s in a.stop_ids)]


@dataclass(frozen=True, slots=True)
class DepartureAlert:
    """A real-time alert about a departure's line or trip, said with it."""

    alert: LineAlert
    #: "line" (the whole line, or the line at this stop) or "trip" (this trip).
    scope: str

    def to_json(self, lang: str) -> dict[str, Any]:
        return {"id": self.alert.alert_id, "effect": self.alert.effect, "scope": self.scope,
                "header": self.alert.header(lang)}


@dataclass(frozen=True, slots=True)
class Departure:
    line: str
    headsign: str
    stop_id: str
    platform: str | None
    scheduled_ts: float
    #: Scheduled plus the real-time delay; None when there is no real-time prediction.
    realtime_ts: float | None
    cancelled: bool
    wheelchair: Wheelchair
    trip_id: str
    route_type: int
    route_id: str = ""
    alerts: tuple[DepartureAlert, ...] = ()

    @property
    def expected_ts(self) -> float:
        return self.realtime_ts if self.realtime_ts is not None else self.scheduled_ts

    def to_json(self, now_ts: float, lang: str = "de") -> dict[str, Any]:
        """The API's departure: times as unix seconds and as whole minutes from ``now_ts``,
        alerts' headers in ``lang`` (the API's default, German, unless told)."""
        delay_s = None if self.realtime_ts is None else self.realtime_ts - self.scheduled_ts
        return {
            "line": self.line, "headsign": self.headsign, "stop_id": self.stop_id,
            "platform": self.platform, "scheduled_ts": self.scheduled_ts,
            "scheduled_min": minutes_until(self.scheduled_ts, now_ts),
            "realtime_ts": self.realtime_ts,
            "realtime_min": (None if self.realtime_ts is None
                             else minutes_until(self.realtime_ts, now_ts)),
            "delay_min": None if delay_s is None else round(delay_s / 60),
            "cancelled": self.cancelled, "wheelchair_accessible": self.wheelchair,
            "trip_id": self.trip_id, "route_type": self.route_type,
            "alerts": [a.to_json(lang) for a in self.alerts],
        }


def minutes_until(ts: float, now_ts: float) -> int:
    """Whole minutes left, rounded down as departure boards do; never negative."""
    return max(0, math.floor((ts - now_ts) / 60))


def next_departures(
    rows_by_day: Sequence[Sequence[DepartureRow]],
    days: Sequence[ServiceDay],
    calendar: ServiceCalendar,
    now_ts: float,
    *,
    horizon_s: float,
    limit: int,
    realtime: Mapping[str, TripRealtime] | None = None,
    alerts: Sequence[LineAlert] = (),
) -> list[Departure]:
    """The next ``limit`` departures within ``horizon_s`` of ``now_ts``, soonest (as expected
    now) first. ``rows_by_day[i]`` are the stored rows of ``days[i]``'s window; rows of services
    that do not run that day are dropped. A late bus scheduled before now that has not left yet
    is kept; a cancelled trip is kept and marked, so it can be said that it will not come. Each
    carries the ``alerts`` about its line or trip in effect when it leaves; a ``no_service``
    alert naming the trip cancels it, as a trip update would."""
    updates = realtime or {}
    out: list[Departure] = []
    for rows, day in zip(rows_by_day, days, strict=True):
        running: dict[int, bool] = {}  # a day's rows share a few services: ask once each
        for row in rows:
            runs = running.get(row.service_id)
            if runs is None:
                runs = running[row.service_id] = calendar.runs(row.service_id, day.day)
            if not runs:
                continue
            scheduled = day.start_ts + row.departure_s
            update = updates.get(row.trip_gtfs_id)
            delay = update.delay_at(row.stop_gtfs_id, row.seq) if update else None
            expected = scheduled + delay if delay is not None else None
            if (expected if expected is not None else scheduled) < now_ts:
                continue
            if scheduled > now_ts + horizon_s:
                continue
            about = (_alerts_about(alerts, row, expected if expected is not None else scheduled)
                     if alerts else ())
            cancelled = bool(update and update.cancelled) or any(
                a.scope == "trip" and a.alert.effect == "no_service" for a in about)
            out.append(Departure(
                row.line, row.headsign, row.stop_gtfs_id, row.platform_code, scheduled, expected,
                cancelled, _WHEELCHAIR.get(row.trip_wheelchair, "unknown"),
                row.trip_gtfs_id, row.route_type, row.route_gtfs_id, about))
    out.sort(key=lambda d: (d.expected_ts, d.line, d.headsign))
    return out[:limit]


def _alerts_about(alerts: Sequence[LineAlert], row: DepartureRow, leaves_ts: float
                  ) -> tuple[DepartureAlert, ...]:
    found = ((a, a.scope(row.route_gtfs_id, row.trip_gtfs_id, row.stop_gtfs_id)) for a in alerts)
    return tuple(DepartureAlert(a, scope) for a, scope in found
                 if scope is not None and a.active(leaves_ts))
