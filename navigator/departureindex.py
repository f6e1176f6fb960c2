"""Every boardable departure of a feed in memory, by stop and time: a departures question is
then two binary searches per stop and service day instead of a storage read (which was half of
its CPU time, and the CPU time is what a busy machine turns into waiting). Pure, no I/O: the
storage hands the rows in (:meth:`navigator.storage.TransitStore.boarding_times`).

Compact on purpose: per stop three arrays of machine integers (time, trip, place in the trip),
the trips' words once each; a :class:`~navigator.transitfeed.DepartureRow` is made only for
the few rows a question's window holds. About 14 bytes a stop time (measured: 1.6 MB for the
benchmark's 118,560 boardable ones), so a feed of a million holds ~14 MB per server process.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from navigator.transitfeed import DepartureRow, StopRow, TripInfo


@dataclass(frozen=True, slots=True)
class StopTimes:
    """One stop's boardable departures, sorted by time: three parallel arrays."""

    departure_s: array[int]
    trip_id: array[int]
    seq: array[int]


@dataclass(frozen=True, slots=True)
class DepartureIndex:
    stops: Mapping[int, StopTimes]
    trips: Mapping[int, TripInfo]

    @classmethod
    def build(cls, times: Iterable[tuple[int, int, int, int]],
              trips: Mapping[int, TripInfo]) -> DepartureIndex:
        """From ``(stop id, departure_s, trip id, seq)`` rows sorted by stop and time."""
        stops: dict[int, StopTimes] = {}
        for stop_id, departure_s, trip_id, seq in times:
            found = stops.get(stop_id)
            if found is None:
                found = stops[stop_id] = StopTimes(array("i"), array("i"), array("i"))
            found.departure_s.append(departure_s)
            found.trip_id.append(trip_id)
            found.seq.append(seq)
        return cls(stops, trips)

    def rows(self, stops: Sequence[StopRow], windows: Sequence[tuple[int, int]]
             ) -> list[list[DepartureRow]]:
        """As :meth:`navigator.storage.TransitStore.departure_rows`: per window ``(from_s,
        to_s)`` (both included) of service-day seconds, the departures at ``stops`` in it, by
        time."""
        out: list[list[DepartureRow]] = []
        for lo, hi in windows:
            found: list[DepartureRow] = []
            for stop in stops:
                times = self.stops.get(stop.id)
                if times is None:
                    continue
                start = bisect_left(times.departure_s, lo)
                for i in range(start, bisect_right(times.departure_s, hi, lo=start)):
                    trip = self.trips[times.trip_id[i]]
                    found.append(DepartureRow(
                        times.departure_s[i], trip.service_id, trip.gtfs_id, trip.headsign,
                        trip.wheelchair, trip.line, trip.route_type, stop.gtfs_id,
                        stop.platform_code, stop.wheelchair, times.seq[i], trip.route_gtfs_id))
            if len(stops) > 1:
                found.sort(key=lambda r: r.departure_s)
            out.append(found)
        return out
