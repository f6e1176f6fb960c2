"""The timetable's SQL: replacing the feed in one transaction, and the reads departures need."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from navigator.storage.audit import record_revision
from navigator.storage.engine import Database
from navigator.storage.transittables import (
    TRANSIT_FEEDS,
    TRANSIT_ROUTES,
    TRANSIT_SERVICE_DATES,
    TRANSIT_SERVICES,
    TRANSIT_STOP_TIMES,
    TRANSIT_STOPS,
    TRANSIT_TABLES,
    TRANSIT_TRIPS,
)
from navigator.transitfeed import (
    DepartureRow,
    FeedExtract,
    ServiceDateRow,
    ServiceRow,
    StopRow,
    TripInfo,
)

log = logging.getLogger(__name__)

_CHUNK = 5000


class FeedInfo(NamedTuple):
    source: str
    timezone: str
    imported_ts: float
    stop_times: int


class TransitStore(Database):
    """One feed at a time: an import replaces the previous one whole, or leaves it untouched."""

    def replace_feed(self, feed: FeedExtract, *, now_ts: float, actor: str | None,
                     progress: Callable[[int], None] | None = None) -> None:
        tick = progress or (lambda _n: None)
        with self.write() as conn:
            for table in reversed(TRANSIT_TABLES):
                conn.execute(sa.delete(table))
            conn.execute(sa.insert(TRANSIT_FEEDS), [{
                "id": 1, "source": feed.source[:200], "timezone": feed.timezone,
                "imported_ts": now_ts, "stop_times": len(feed.stop_times)}])
            for table, rows in ((TRANSIT_STOPS, feed.stops), (TRANSIT_ROUTES, feed.routes),
                                (TRANSIT_SERVICES, feed.services),
                                (TRANSIT_SERVICE_DATES, feed.service_dates),
                                (TRANSIT_TRIPS, feed.trips), (TRANSIT_STOP_TIMES, feed.stop_times)):
                _insert_rows(conn, table, rows, tick)
            summary = {"source": feed.source, "stops": len(feed.stops), "trips": len(feed.trips),
                       "stop_times": len(feed.stop_times), "unmatched_stops": len(feed.unmatched),
                       "matched_by": dict(feed.matched_by)}
            record_revision(conn, "transit", "import", actor, after=summary)
        log.info("timetable imported", extra={"event": "gtfs_import", **summary})

    def feed_info(self) -> FeedInfo | None:
        with self.engine.connect() as conn:
            row = conn.execute(_FEED_INFO).first()
        return FeedInfo(*row) if row else None

    def load_transit_stops(self) -> list[StopRow]:
        """Every stop of the feed (a city has thousands, not millions: kept in memory)."""
        with self.engine.connect() as conn:
            return [StopRow(*r) for r in conn.execute(
                sa.select(*(TRANSIT_STOPS.c[f] for f in StopRow._fields)))]

    def load_calendar(self) -> tuple[list[ServiceRow], list[ServiceDateRow]]:
        with self.engine.connect() as conn:
            services = [ServiceRow(*r) for r in conn.execute(
                sa.select(*(TRANSIT_SERVICES.c[f] for f in ServiceRow._fields)))]
            dates = [ServiceDateRow(*r) for r in conn.execute(
                sa.select(*(TRANSIT_SERVICE_DATES.c[f] for f in ServiceDateRow._fields)))]
        return services, dates

    def lines_at_stops(self, stop_ids: Sequence[int] | None = None) -> dict[int, list[str]]:
        """``{stop id: sorted line names}`` of the trips that board at each stop (all stops
        when ``stop_ids`` is None)."""
        st, t, r = TRANSIT_STOP_TIMES, TRANSIT_TRIPS, TRANSIT_ROUTES
        query = (sa.select(st.c.stop_id, r.c.short_name, r.c.long_name).distinct()
                 .select_from(st.join(t, t.c.id == st.c.trip_id).join(r, r.c.id == t.c.route_id))
                 .where(st.c.boards))
        if stop_ids is not None:
            query = query.where(st.c.stop_id.in_(list(stop_ids)))
        out: dict[int, set[str]] = {}
        with self.engine.connect() as conn:
            for stop_id, short, long_ in conn.execute(query):
                out.setdefault(stop_id, set()).add(short or long_)
        return {k: sorted(v) for k, v in out.items()}

    def boarding_times(self) -> list[tuple[int, int, int, int]]:
        """``(stop id, departure_s, trip id, seq)`` of every boardable stop time, by stop and
        time (the order of the stop-and-departure index): the departures index's rows."""
        st = TRANSIT_STOP_TIMES
        query = (sa.select(st.c.stop_id, st.c.departure_s, st.c.trip_id, st.c.seq)
                 .where(st.c.boards).order_by(st.c.stop_id, st.c.departure_s))
        with self.engine.connect() as conn:
            return [(a, b, c, d) for a, b, c, d in conn.execute(query)]

    def trip_infos(self) -> list[TripInfo]:
        """Every trip with what its departures say of it and of its line."""
        t, r = TRANSIT_TRIPS, TRANSIT_ROUTES
        query = sa.select(t.c.id, t.c.service_id, t.c.gtfs_id, t.c.headsign, t.c.wheelchair,
                          _LINE, r.c.route_type, r.c.gtfs_id).select_from(
            t.join(r, r.c.id == t.c.route_id))
        with self.engine.connect() as conn:
            return [TripInfo(*row) for row in conn.execute(query)]

    def lines_towards(self, stop_ids: Sequence[int]) -> list[tuple[int, str, str]]:
        """``(stop id, line, headsign)`` of every line and direction boarding at the stops."""
        st, t, r = TRANSIT_STOP_TIMES, TRANSIT_TRIPS, TRANSIT_ROUTES
        query = (sa.select(st.c.stop_id, _LINE, t.c.headsign).distinct()
                 .select_from(st.join(t, t.c.id == st.c.trip_id).join(r, r.c.id == t.c.route_id))
                 .where(st.c.stop_id.in_(list(stop_ids)), st.c.boards))
        with self.engine.connect() as conn:
            return [(a, b, c) for a, b, c in conn.execute(query)]

    def departure_rows(self, stop_ids: Sequence[int], windows: Sequence[tuple[int, int]]
                       ) -> list[list[DepartureRow]]:
        """Per window ``(from_s, to_s)`` of service-day seconds, the boardable departures at
        the stops in it (every service; which run that day is the caller's business). One
        statement for all windows: each statement costs more than its rows do."""
        params: dict[str, Any] = {f"s{j}": stop for j, stop in enumerate(stop_ids)}
        for i, (lo, hi) in enumerate(windows):
            params |= {f"lo{i}": lo, f"hi{i}": hi}
        out: list[list[DepartureRow]] = [[] for _ in windows]
        query = _departures_query(len(windows), len(stop_ids))
        with self.engine.connect() as conn:
            rows = conn.execute(query, params).fetchall()  # not row by row: a third cheaper
        for window, *row in rows:
            out[window].append(DepartureRow._make(row))
        return out


@functools.lru_cache(maxsize=64)
def _departures_query(windows: int, stops: int) -> sa.CompoundSelect:
    """Built once per number of windows (always two: yesterday's and today's service day) and
    of stops (one, or a station's few): one index range per window, told apart by the first
    column. Building a statement, or expanding a list parameter, costs more than running it."""
    st, t, r, s = TRANSIT_STOP_TIMES, TRANSIT_TRIPS, TRANSIT_ROUTES, TRANSIT_STOPS
    stop_ids: list[sa.BindParameter[Any]] = [sa.bindparam(f"s{j}") for j in range(stops)]
    return sa.union_all(*(
        sa.select(sa.literal(i).label("w"), st.c.departure_s, t.c.service_id, t.c.gtfs_id,
                  t.c.headsign, t.c.wheelchair, _LINE, r.c.route_type, s.c.gtfs_id,
                  s.c.platform_code, s.c.wheelchair, st.c.seq, r.c.gtfs_id)
        .select_from(st.join(t, t.c.id == st.c.trip_id).join(r, r.c.id == t.c.route_id)
                     .join(s, s.c.id == st.c.stop_id))
        .where(st.c.stop_id.in_(stop_ids), st.c.boards,
               st.c.departure_s.between(sa.bindparam(f"lo{i}"), sa.bindparam(f"hi{i}")))
        for i in range(windows)
    )).order_by(sa.literal_column("departure_s"))


#: A line's name as said: its short name, else its long one.
_LINE = sa.func.coalesce(sa.func.nullif(TRANSIT_ROUTES.c.short_name, ""),
                         TRANSIT_ROUTES.c.long_name)
_FEED_INFO = sa.select(TRANSIT_FEEDS.c.source, TRANSIT_FEEDS.c.timezone,
                       TRANSIT_FEEDS.c.imported_ts, TRANSIT_FEEDS.c.stop_times)


def _insert_rows(conn: Connection, table: sa.Table, rows: Sequence[Any],
                 tick: Callable[[int], None]) -> None:
    """Named-tuple rows in chunks through SQLAlchemy core (no ORM objects)."""
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start:start + _CHUNK]
        conn.execute(sa.insert(table), [r._asdict() for r in chunk])
        tick(len(chunk))
