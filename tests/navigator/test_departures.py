"""Departures as pure logic: service days (also across midnight and the clock change), the
calendar with its exceptions, real-time delays and cancellations. Time is always passed in."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from navigator.departures import (
    ServiceCalendar,
    StopDelay,
    TripRealtime,
    next_departures,
    service_days,
    windows,
)
from navigator.transitfeed import DepartureRow, ServiceDateRow, ServiceRow

BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS = 0b0011111
CAL = ServiceCalendar.from_rows(
    [ServiceRow(1, "WD", WEEKDAYS, 20260101, 20261231), ServiceRow(2, "XMAS", 0, None, None)],
    [ServiceDateRow(1, 20261225, False), ServiceDateRow(2, 20261225, True)])


def ts(*args: int) -> float:
    return datetime(*args, tzinfo=BERLIN).timestamp()


def row(departure_s: int, trip: str, service: int = 1, line: str = "105",
        headsign: str = "Hauptbahnhof") -> DepartureRow:
    return DepartureRow(departure_s, service, trip, headsign, 1, line, 3, "S1", "A", 0)


def test_the_calendar_honours_weekdays_its_date_range_and_exceptions() -> None:
    assert CAL.runs(1, date(2026, 12, 1))  # a Tuesday
    assert not CAL.runs(1, date(2026, 12, 5))  # a Saturday
    assert not CAL.runs(1, date(2026, 12, 25)) and CAL.runs(2, date(2026, 12, 25))
    assert not CAL.runs(1, date(2027, 1, 4))  # after end_date
    assert not CAL.runs(99, date(2026, 12, 1))  # unknown service


def test_service_days_start_at_noon_minus_twelve_hours_also_on_the_day_the_clocks_change() -> None:
    yesterday, today = service_days(ts(2026, 12, 1, 8, 3), "Europe/Berlin")
    assert (yesterday.day, today.day) == (date(2026, 11, 30), date(2026, 12, 1))
    assert today.start_ts == ts(2026, 12, 1, 0, 0)
    # 29 March 2026: clocks go forward at 02:00; noon minus 12 h is 23:00 of the day before
    _, spring = service_days(ts(2026, 3, 29, 12, 0), "Europe/Berlin")
    assert spring.start_ts == ts(2026, 3, 29, 12, 0) - 12 * 3600 == ts(2026, 3, 28, 23, 0)


def test_a_trip_past_24_00_leaves_from_yesterdays_service_day() -> None:
    now = ts(2026, 12, 2, 0, 30)  # Wednesday 00:30
    days = service_days(now, "Europe/Berlin")
    assert windows(days, now, now + 3600) == [(24 * 3600 + 30 * 60, 25 * 3600 + 30 * 60),
                                               (30 * 60, 90 * 60)]
    rows_by_day = [[row(24 * 3600 + 40 * 60, "night")], [row(60 * 60, "early")]]
    found = next_departures(rows_by_day, days, CAL, now, horizon_s=3600, limit=10)
    assert [(d.trip_id, d.scheduled_ts) for d in found] == [
        ("night", ts(2026, 12, 2, 0, 40)), ("early", ts(2026, 12, 2, 1, 0))]


def test_services_that_do_not_run_that_day_are_left_out() -> None:
    now = ts(2026, 12, 25, 8, 0)  # Christmas, a Friday: the weekday service is removed
    days = service_days(now, "Europe/Berlin")
    rows_by_day = [[], [row(8 * 3600 + 600, "wd"), row(8 * 3600 + 900, "xmas", service=2)]]
    found = next_departures(rows_by_day, days, CAL, now, horizon_s=3600, limit=10)
    assert [d.trip_id for d in found] == ["xmas"]


def test_real_time_delays_reorder_and_a_late_bus_scheduled_before_now_is_still_coming() -> None:
    now = ts(2026, 12, 1, 8, 3)
    days = service_days(now, "Europe/Berlin")
    rows_by_day = [[], [row(8 * 3600, "late"), row(8 * 3600 + 300, "on_time", line="101"),
                        row(8 * 3600 + 60, "gone")]]
    realtime = {"late": TripRealtime(delay_s=420), "on_time": TripRealtime(delay_s=0)}
    found = next_departures(rows_by_day, days, CAL, now, horizon_s=3600, limit=10,
                            realtime=realtime)
    assert [d.trip_id for d in found] == ["on_time", "late"]
    late = found[1].to_json(now)
    assert (late["scheduled_min"], late["realtime_min"], late["delay_min"]) == (0, 4, 7)
    assert found[0].to_json(now)["delay_min"] == 0


def test_a_cancelled_trip_is_kept_and_marked_and_limit_and_horizon_hold() -> None:
    now = ts(2026, 12, 1, 8, 0)
    days = service_days(now, "Europe/Berlin")
    rows_by_day = [[], [row(8 * 3600 + m * 60, f"t{m}") for m in (5, 10, 15, 90)]]
    found = next_departures(rows_by_day, days, CAL, now, horizon_s=3600, limit=2,
                            realtime={"t5": TripRealtime(cancelled=True)})
    assert [(d.trip_id, d.cancelled) for d in found] == [("t5", True), ("t10", False)]
    assert len(next_departures(rows_by_day, days, CAL, now, horizon_s=3600, limit=10)) == 3


def test_a_stop_delay_holds_for_the_following_stops_until_the_next_prediction() -> None:
    update = TripRealtime(delay_s=60, stops=(StopDelay(3, "S3", 180), StopDelay(6, None, 30),
                                             StopDelay(None, "S9", -60)))
    assert [update.delay_at(f"S{seq}", seq) for seq in (1, 3, 4, 5, 6, 7)] == [
        60, 180, 180, 180, 30, 30]
    assert update.delay_at("S9", 12) == -60  # named by id: its own prediction
    assert TripRealtime().delay_at("S1", 1) is None


def test_alerts_go_with_the_departures_of_their_line_or_trip_while_in_effect() -> None:
    from navigator.realtime import InformedEntity, ServiceAlert

    now = ts(2026, 12, 1, 8, 0)
    days = service_days(now, "Europe/Berlin")
    rows_by_day = [[], [
        DepartureRow(8 * 3600 + 300, 1, "t5", "Rathaus", 1, "105", 3, "S1", "A", 0, 1, "R105"),
        DepartureRow(8 * 3600 + 600, 1, "t10", "Rathaus", 1, "105", 3, "S1", "A", 0, 1, "R105"),
        DepartureRow(8 * 3600 + 900, 1, "u15", "Stiftsplatz", 1, "101", 3, "S1", "A", 0, 1,
                     "R101"),
    ]]
    line = ServiceAlert("works", "detour", (InformedEntity(route_id="R105"),),
                        ((None, now + 480),))  # over before t10 leaves
    trip = ServiceAlert("t10-off", "no_service", (InformedEntity(trip_id="t10"),), ())
    elsewhere = ServiceAlert("s2", "detour", (InformedEntity("R101", None, "S2"),), ())
    found = next_departures(rows_by_day, days, CAL, now, horizon_s=3600, limit=10,
                            alerts=[line, trip, elsewhere])
    assert [(d.trip_id, d.route_id, [(a.alert.alert_id, a.scope) for a in d.alerts],
             d.cancelled) for d in found] == [
        ("t5", "R105", [("works", "line")], False),
        ("t10", "R105", [("t10-off", "trip")], True),  # no service on the trip: cancelled
        ("u15", "R101", [], False),  # about line 101 at another stop only
    ]
    assert found[1].to_json(now, "en")["alerts"] == [
        {"id": "t10-off", "effect": "no_service", "scope": "trip", "header": None}]
