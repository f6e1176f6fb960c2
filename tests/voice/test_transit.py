"""Departures said in German and English, sentence for sentence."""

from __future__ import annotations

import pytest

from voice.transit import (
    SpokenAlert,
    SpokenDeparture,
    SpokenStopAlert,
    phrase_departures,
    phrase_no_timetable,
    phrase_stop_alert,
)

LATE = SpokenDeparture("105", "Hauptbahnhof", None, 3, 2, False, "8:05")
ON_TIME = SpokenDeparture("101", "Stiftsplatz", "A", 1, 0, False, "8:04")
NOW = SpokenDeparture("105", "Rathaus", None, 0, None, False, "8:03")
EARLY = SpokenDeparture("101", "Stiftsplatz", None, 12, -1, False, "8:15")
CANCELLED = SpokenDeparture("105", "Hauptbahnhof", "B", 20, None, True, "8:25")


@pytest.mark.parametrize(("departures", "lang", "text"), [
    ([LATE], "en", "Departures from Rathaus. Line 105 to Hauptbahnhof in 3 minutes, 2 minutes "
                   "late."),
    ([LATE], "de", "Abfahrten ab Rathaus. Linie 105 nach Hauptbahnhof in 3 Minuten, 2 Minuten "
                   "verspätet."),
    ([ON_TIME, NOW], "en", "Departures from Rathaus. Line 101 to Stiftsplatz, platform A, in 1 "
                          "minute, on time. Line 105 to Rathaus now."),
    ([ON_TIME, NOW], "de", "Abfahrten ab Rathaus. Linie 101 nach Stiftsplatz, Steig A, in 1 "
                          "Minute, pünktlich. Linie 105 nach Rathaus jetzt."),
    ([EARLY, CANCELLED], "en", "Departures from Rathaus. Line 101 to Stiftsplatz in 12 minutes, "
                               "1 minute early. Line 105 to Hauptbahnhof at 8:25 is cancelled."),
    ([EARLY, CANCELLED], "de", "Abfahrten ab Rathaus. Linie 101 nach Stiftsplatz in 12 Minuten, "
                               "1 Minute früher. Linie 105 nach Hauptbahnhof um 8:25 Uhr fällt "
                               "aus."),
    ([], "en", "Departures from Rathaus. No departures in the next 60 minutes."),
    ([], "de", "Abfahrten ab Rathaus. In den nächsten 60 Minuten fährt hier nichts ab."),
])
def test_departures_are_said_exactly(departures: list[SpokenDeparture], lang: str,
                                     text: str) -> None:
    assert phrase_departures("Rathaus", departures, 60, lang) == text


def test_at_most_three_departures_are_said() -> None:
    text = phrase_departures(None, [NOW] * 5, 60, "en")
    assert text == " ".join(["Line 105 to Rathaus now."] * 3)


def test_no_timetable_is_said_plainly() -> None:
    assert phrase_no_timetable("en") == "There is no timetable for this stop."
    assert phrase_no_timetable("de") == "Für diese Haltestelle gibt es keinen Fahrplan."


def test_the_boarding_point_is_said_with_platform_direction_and_what_to_listen_for() -> None:
    from voice.transit import phrase_boarding

    assert phrase_boarding("Hauptbahnhof", "A", "105", "Rathaus", "en") == (
        "This is the stop Hauptbahnhof, platform A, for line 105 towards Rathaus. Wait at the "
        "stop pole. Listen for a vehicle stopping and its doors opening, and ask the driver "
        "whether it is line 105 to Rathaus.")
    assert phrase_boarding("Post", None, "105", "Rathaus", "de") == (
        "Dies ist die Haltestelle Post für Linie 105 Richtung Rathaus. Warten Sie am "
        "Haltestellenmast. Achten Sie auf ein haltendes Fahrzeug und das Öffnen der Türen, und "
        "fragen Sie den Fahrer, ob es die Linie 105 nach Rathaus ist.")


@pytest.mark.parametrize(("lang", "text"), [
    ("en", "Stop Hauptbahnhof (platform A), 30 metres away: line 105. Stop Post, 50 metres away: "
           "lines 101 and 105."),
    ("de", "Haltestelle Hauptbahnhof (Steig A), 30 Meter entfernt: Linie 105. Haltestelle Post, "
           "50 Meter entfernt: Linien 101 und 105."),
])
def test_nearby_stops_are_named_with_distance_and_lines(lang: str, text: str) -> None:
    from voice.transit import NearbyStop, phrase_nearby_stops

    stops = [NearbyStop("Hauptbahnhof", "A", 30.2, ("105",)),
             NearbyStop("Post", None, 48.0, ("101", "105"))]
    assert phrase_nearby_stops(stops, lang) == text


WORKS_DE = SpokenAlert("works", "Baustelle in der Marktstraße, Umleitung über die Fackelstraße")
WORKS_EN = SpokenAlert("works", "Roadworks in Marktstraße, diverted via Fackelstraße.")
UNTRANSLATED = SpokenAlert("works", None)
TRIP = SpokenAlert("trip", None, trip=True)
TRIP_WHY = SpokenAlert("trip", "Fahrzeugstörung", trip=True)


def with_alerts(d: SpokenDeparture, *alerts: SpokenAlert) -> SpokenDeparture:
    return SpokenDeparture(d.line, d.headsign, d.platform, d.minutes, d.delay_min, d.cancelled,
                           d.clock, alerts)


@pytest.mark.parametrize(("departures", "lang", "text"), [
    ([with_alerts(LATE, WORKS_EN), ON_TIME], "en",
     "Departures from Rathaus. Line 105 to Hauptbahnhof in 3 minutes, 2 minutes late. Line 105: "
     "Roadworks in Marktstraße, diverted via Fackelstraße. Line 101 to Stiftsplatz, platform A, "
     "in 1 minute, on time."),
    ([with_alerts(LATE, WORKS_DE)], "de",
     "Abfahrten ab Rathaus. Linie 105 nach Hauptbahnhof in 3 Minuten, 2 Minuten verspätet. "
     "Linie 105: Baustelle in der Marktstraße, Umleitung über die Fackelstraße."),
    # the feed has no header in the walker's language: a generic sentence
    ([with_alerts(LATE, UNTRANSLATED)], "en",
     "Departures from Rathaus. Line 105 to Hauptbahnhof in 3 minutes, 2 minutes late. Line 105: "
     "disruption, departures may differ from the timetable."),
    ([with_alerts(LATE, UNTRANSLATED)], "de",
     "Abfahrten ab Rathaus. Linie 105 nach Hauptbahnhof in 3 Minuten, 2 Minuten verspätet. "
     "Linie 105: Störung, Abweichungen vom Fahrplan möglich."),
    # one alert about two departures of the line is said once, after the first
    ([with_alerts(NOW, WORKS_EN), with_alerts(LATE, WORKS_EN)], "en",
     "Departures from Rathaus. Line 105 to Rathaus now. Line 105: Roadworks in Marktstraße, "
     "diverted via Fackelstraße. Line 105 to Hauptbahnhof in 3 minutes, 2 minutes late."),
    ([with_alerts(LATE, TRIP)], "en",
     "Departures from Rathaus. Line 105 to Hauptbahnhof in 3 minutes, 2 minutes late. Line 105 "
     "to Hauptbahnhof at 8:05: disruption, departures may differ from the timetable."),
    ([with_alerts(LATE, TRIP)], "de",
     "Abfahrten ab Rathaus. Linie 105 nach Hauptbahnhof in 3 Minuten, 2 Minuten verspätet. "
     "Linie 105 nach Hauptbahnhof um 8:05 Uhr: Störung, Abweichungen vom Fahrplan möglich."),
    # a cancelled trip: its cancellation is said once; the header says why
    ([with_alerts(CANCELLED, TRIP)], "en",
     "Departures from Rathaus. Line 105 to Hauptbahnhof at 8:25 is cancelled."),
    ([with_alerts(CANCELLED, TRIP_WHY)], "de",
     "Abfahrten ab Rathaus. Linie 105 nach Hauptbahnhof um 8:25 Uhr fällt aus. Linie 105 nach "
     "Hauptbahnhof um 8:25 Uhr: Fahrzeugstörung."),
])
def test_line_and_trip_alerts_are_said_with_their_departures(
    departures: list[SpokenDeparture], lang: str, text: str,
) -> None:
    assert phrase_departures("Rathaus", departures, 60, lang) == text


@pytest.mark.parametrize(("effect", "en", "de"), [
    ("stop_moved", "Stop Post: the stop has moved, the stop pole may not be where it was.",
     "Haltestelle Post: die Haltestelle ist verlegt, der Haltestellenmast steht womöglich nicht "
     "mehr am alten Ort."),
    ("accessibility_issue", "Stop Post: an elevator or ramp is out of order.",
     "Haltestelle Post: ein Aufzug oder eine Rampe ist außer Betrieb."),
    ("reduced_service", "Stop Post: reduced service.",
     "Haltestelle Post: eingeschränkter Betrieb."),
    ("significant_delays", "Stop Post: significant delays.",
     "Haltestelle Post: erhebliche Verspätungen."),
    ("no_service", "Stop Post: the stop is closed.",
     "Haltestelle Post: die Haltestelle ist gesperrt."),
    ("other_effect", "Stop Post: disruption, departures may differ from the timetable.",
     "Haltestelle Post: Störung, Abweichungen vom Fahrplan möglich."),
])
def test_a_stop_alert_without_a_header_in_the_language_is_said_for_its_effect(
    effect: str, en: str, de: str,
) -> None:
    assert phrase_stop_alert("Post", SpokenStopAlert(effect, None), "en") == en
    assert phrase_stop_alert("Post", SpokenStopAlert(effect, "  "), "de") == de


def test_a_stop_alert_is_said_in_its_own_words_first_after_the_stop() -> None:
    alert = SpokenStopAlert("stop_moved", " Pole moved\n50 m north ")
    assert phrase_stop_alert("Post", alert, "en") == "Stop Post: Pole moved 50 m north."
    assert phrase_departures("Post", [NOW], 60, "de", [alert]) == (
        "Abfahrten ab Post. Haltestelle Post: Pole moved 50 m north. Linie 105 nach Rathaus "
        "jetzt.")
    assert phrase_departures("Post", [], 60, "en", [SpokenStopAlert("detour", "Go round!")]) == (
        "Departures from Post. Stop Post: Go round! No departures in the next 60 minutes.")
