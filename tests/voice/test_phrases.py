"""Exact wording of every phrase, in German and English."""

from __future__ import annotations

import itertools

import pytest

from routing.model import Maneuver, ManeuverKind
from voice.phrasebook import SUPPORTED_LANGS, UnsupportedLanguage
from voice.phrases import (
    PhraseOptions,
    format_distance,
    format_in_distance,
    phrase_approaching,
    phrase_around_me,
    phrase_arrived,
    phrase_location_regained,
    phrase_location_still_unavailable,
    phrase_location_unavailable,
    phrase_maneuver,
    phrase_off_route,
    phrase_position_uncertain,
    phrase_reassurance,
    phrase_rerouted,
    phrase_route_closed,
    phrase_where_am_i,
    round_distance_m,
)

K = ManeuverKind


def m(kind: ManeuverKind, distance_m: float = 40.0, **attributes: object) -> Maneuver:
    return Maneuver(kind, 1, 49.44, 7.77, distance_m, 100.0, attributes=attributes)


DEPART = m(K.DEPART, 0.0, heading_deg=10, street="Marktstraße")
DEPART_BARE = m(K.DEPART, 0.0)
CONTINUE = m(K.CONTINUE, street="Marktstraße", length_m=123)
CONTINUE_AM = m(K.CONTINUE, street="Am Altenhof", length_m=18.4)
CONTINUE_BARE = m(K.CONTINUE)
TURN = m(K.TURN, direction="left", severity="normal", clock=9, street="Mühlweg")
TURN_SLIGHT = m(K.TURN, direction="right", severity="slight", clock=2, street="Pirmasenser Straße")
TURN_SHARP = m(K.TURN, direction="left", severity="sharp", clock=7, street=None)
UTURN = m(K.TURN, direction="right", severity="uturn", clock=6, street="Mühlweg")
CROSS = m(
    K.CROSS,
    street="Fackelstraße",
    signal="acoustic",
    island=True,
    tactile_paving=True,
    kerb="lowered",
    length_m=12,
)
CROSS_BARE = m(K.CROSS, street=None, signal="unknown")
STEPS_UP = m(K.STEPS, direction="up", count=12, handrail=True)
STEPS_DOWN = m(K.STEPS, direction="down", count=1, handrail=False)
STEPS_UNKNOWN = m(K.STEPS, direction="unknown", count=None, handrail=None)
LANDMARK = m(K.LANDMARK, name="Bäckerei Müller", landmark_kind="shop", side="left")
LANDMARK_PASS = m(K.LANDMARK, name="Stiftskirche", landmark_kind="tourism", side=None)
ARRIVE = m(K.ARRIVE, name="Rathaus", side="right")
ARRIVE_BARE = m(K.ARRIVE, name=None, side=None)

BRIEF = PhraseOptions(verbosity="brief")
NORMAL = PhraseOptions()
DETAILED = PhraseOptions(verbosity="detailed")
CLOCK = PhraseOptions(clock_face=True)
MOVE = PhraseOptions(verb="move")

ALL_MANEUVERS = [
    DEPART,
    DEPART_BARE,
    CONTINUE,
    CONTINUE_AM,
    CONTINUE_BARE,
    TURN,
    TURN_SLIGHT,
    TURN_SHARP,
    UTURN,
    CROSS,
    CROSS_BARE,
    STEPS_UP,
    STEPS_DOWN,
    STEPS_UNKNOWN,
    LANDMARK,
    LANDMARK_PASS,
    ARRIVE,
    ARRIVE_BARE,
]

# (maneuver, options, distance ahead, English, German)
MANEUVER_CASES = [
    # depart
    (
        DEPART,
        NORMAL,
        None,
        "Walk north along Marktstraße.",
        "Gehen Sie Richtung Norden auf der Marktstraße.",
    ),
    (DEPART, BRIEF, None, "Walk north.", "Gehen Sie Richtung Norden."),
    (
        DEPART,
        MOVE,
        None,
        "Move north along Marktstraße.",
        "Bewegen Sie sich Richtung Norden auf der Marktstraße.",
    ),
    (DEPART_BARE, NORMAL, None, "Walk straight ahead.", "Gehen Sie geradeaus."),
    (
        m(K.DEPART, 0.0, heading_deg=225),
        NORMAL,
        None,
        "Walk southwest.",
        "Gehen Sie Richtung Südwesten.",
    ),
    (
        m(K.DEPART, 0.0, street="Marktstraße"),
        NORMAL,
        None,
        "Walk along Marktstraße.",
        "Gehen Sie auf der Marktstraße.",
    ),
    # continue
    (
        CONTINUE,
        NORMAL,
        None,
        "Walk straight ahead along Marktstraße for 125 metres.",
        "Gehen Sie auf der Marktstraße 125 Meter geradeaus.",
    ),
    (
        CONTINUE,
        DETAILED,
        None,
        "Walk straight ahead along Marktstraße for 125 metres.",
        "Gehen Sie auf der Marktstraße 125 Meter geradeaus.",
    ),
    (CONTINUE, BRIEF, None, "Walk straight ahead.", "Gehen Sie geradeaus."),
    (
        CONTINUE,
        MOVE,
        None,
        "Move straight ahead along Marktstraße for 125 metres.",
        "Bewegen Sie sich auf der Marktstraße 125 Meter geradeaus.",
    ),
    (
        CONTINUE_AM,
        NORMAL,
        None,
        "Walk straight ahead along Am Altenhof for 18 metres.",
        "Gehen Sie auf der Straße Am Altenhof 18 Meter geradeaus.",
    ),
    (CONTINUE_BARE, NORMAL, None, "Walk straight ahead.", "Gehen Sie geradeaus."),
    # turn
    (TURN, NORMAL, None, "Turn left onto Mühlweg.", "Biegen Sie links in den Mühlweg ab."),
    (TURN, DETAILED, None, "Turn left onto Mühlweg.", "Biegen Sie links in den Mühlweg ab."),
    (TURN, BRIEF, None, "Turn left.", "Biegen Sie links ab."),
    (
        TURN,
        CLOCK,
        None,
        "Turn to your 9 o'clock onto Mühlweg.",
        "Biegen Sie Richtung 9 Uhr in den Mühlweg ab.",
    ),
    (
        TURN,
        NORMAL,
        9.6,
        "In 10 metres, turn left onto Mühlweg.",
        "In 10 Metern biegen Sie links in den Mühlweg ab.",
    ),
    (
        TURN_SLIGHT,
        NORMAL,
        None,
        "Turn slightly right onto Pirmasenser Straße.",
        "Biegen Sie leicht rechts in die Pirmasenser Straße ab.",
    ),
    (TURN_SHARP, NORMAL, None, "Turn sharp left.", "Biegen Sie scharf links ab."),
    (TURN_SHARP, CLOCK, None, "Turn to your 7 o'clock.", "Biegen Sie Richtung 7 Uhr ab."),
    (UTURN, NORMAL, None, "Turn around.", "Kehren Sie um."),
    (UTURN, CLOCK, None, "Turn around.", "Kehren Sie um."),
    (UTURN, NORMAL, 25, "In 25 metres, turn around.", "In 25 Metern kehren Sie um."),
    # cross
    (
        CROSS,
        BRIEF,
        None,
        "Cross Fackelstraße at the traffic light with sound signal.",
        "Überqueren Sie die Fackelstraße an der Ampel mit Signalton.",
    ),
    (
        CROSS,
        NORMAL,
        None,
        "Cross Fackelstraße at the traffic light with sound signal. "
        "Tactile paving leads to the crossing. There is a traffic island halfway.",
        "Überqueren Sie die Fackelstraße an der Ampel mit Signalton. "
        "Ein Bodenleitsystem führt zum Überweg. In der Mitte ist eine Verkehrsinsel.",
    ),
    (
        CROSS,
        DETAILED,
        None,
        "Cross Fackelstraße at the traffic light with sound signal. "
        "Tactile paving leads to the crossing. There is a traffic island halfway. "
        "The crossing is 12 metres long. The kerb is lowered.",
        "Überqueren Sie die Fackelstraße an der Ampel mit Signalton. "
        "Ein Bodenleitsystem führt zum Überweg. In der Mitte ist eine Verkehrsinsel. "
        "Der Überweg ist 12 Meter lang. Der Bordstein ist abgesenkt.",
    ),
    (
        CROSS,
        BRIEF,
        1.2,
        "In 1 metre, cross Fackelstraße at the traffic light with sound signal.",
        "In einem Meter überqueren Sie die Fackelstraße an der Ampel mit Signalton.",
    ),
    (CROSS_BARE, DETAILED, None, "Cross the street.", "Überqueren Sie die Straße."),
    # steps
    (STEPS_UP, NORMAL, None, "Go up 12 steps.", "Gehen Sie 12 Stufen hinauf."),
    (
        STEPS_UP,
        DETAILED,
        None,
        "Go up 12 steps. There is a handrail.",
        "Gehen Sie 12 Stufen hinauf. Es gibt einen Handlauf.",
    ),
    (
        STEPS_UP,
        NORMAL,
        42.5,
        "In 45 metres, go up 12 steps.",
        "In 45 Metern gehen Sie 12 Stufen hinauf.",
    ),
    (STEPS_DOWN, NORMAL, None, "Go down 1 step.", "Gehen Sie eine Stufe hinunter."),
    (
        STEPS_DOWN,
        DETAILED,
        None,
        "Go down 1 step. There is no handrail.",
        "Gehen Sie eine Stufe hinunter. Es gibt keinen Handlauf.",
    ),
    (STEPS_UNKNOWN, DETAILED, None, "Take the stairs.", "Nehmen Sie die Treppe."),
    (
        m(K.STEPS, direction="unknown", count=3),
        NORMAL,
        None,
        "Take the stairs, 3 steps.",
        "Nehmen Sie die Treppe, 3 Stufen.",
    ),
    (
        m(K.STEPS, direction="up", count=None),
        NORMAL,
        None,
        "Go up the stairs.",
        "Gehen Sie die Treppe hinauf.",
    ),
    # landmark
    (
        LANDMARK,
        NORMAL,
        None,
        "Keep walking. Bäckerei Müller is on your left.",
        "Gehen Sie weiter. Bäckerei Müller ist links von Ihnen.",
    ),
    (
        LANDMARK,
        MOVE,
        None,
        "Keep moving. Bäckerei Müller is on your left.",
        "Bewegen Sie sich weiter. Bäckerei Müller ist links von Ihnen.",
    ),
    (
        m(K.LANDMARK, name="Rathaus", side="right"),
        NORMAL,
        None,
        "Keep walking. Rathaus is on your right.",
        "Gehen Sie weiter. Rathaus ist rechts von Ihnen.",
    ),
    (
        LANDMARK,
        NORMAL,
        20,
        "In 20 metres, Bäckerei Müller will be on your left.",
        "In 20 Metern ist Bäckerei Müller links von Ihnen.",
    ),
    (
        LANDMARK_PASS,
        NORMAL,
        None,
        "Keep walking, passing Stiftskirche.",
        "Gehen Sie weiter, vorbei an Stiftskirche.",
    ),
    (
        LANDMARK_PASS,
        NORMAL,
        20,
        "In 20 metres, you pass Stiftskirche.",
        "In 20 Metern passieren Sie Stiftskirche.",
    ),
    # arrive
    (
        ARRIVE,
        NORMAL,
        None,
        "You have arrived at Rathaus. It is on your right.",
        "Sie haben Ihr Ziel erreicht: Rathaus. Es ist rechts von Ihnen.",
    ),
    (
        ARRIVE,
        NORMAL,
        30,
        "In 30 metres, you will arrive at Rathaus. It is on your right.",
        "In 30 Metern erreichen Sie Ihr Ziel, Rathaus. Es ist rechts von Ihnen.",
    ),
    (ARRIVE_BARE, NORMAL, None, "You have arrived.", "Sie haben Ihr Ziel erreicht."),
    (
        ARRIVE_BARE,
        NORMAL,
        30,
        "In 30 metres, you will arrive at your destination.",
        "In 30 Metern erreichen Sie Ihr Ziel.",
    ),
]


@pytest.mark.parametrize(("maneuver", "opts", "distance_m", "en", "de"), MANEUVER_CASES)
def test_phrase_maneuver(maneuver, opts, distance_m, en, de):
    assert phrase_maneuver(maneuver, "en", opts, distance_m) == en
    assert phrase_maneuver(maneuver, "de", opts, distance_m) == de


@pytest.mark.parametrize(
    ("signal", "en", "de"),
    [
        (
            "vibrating",
            "Cross Fackelstraße at the traffic light with vibration signal.",
            "Überqueren Sie die Fackelstraße an der Ampel mit Vibrationssignal.",
        ),
        (
            "acoustic_vibrating",
            "Cross Fackelstraße at the traffic light with sound and vibration signal.",
            "Überqueren Sie die Fackelstraße an der Ampel mit Signalton und Vibrationssignal.",
        ),
        (
            "visual",
            "Cross Fackelstraße at a silent traffic light.",
            "Überqueren Sie die Fackelstraße an der Ampel ohne Signalton.",
        ),
        (
            "none",
            "Cross Fackelstraße. There is no traffic light; listen for traffic.",
            "Überqueren Sie die Fackelstraße. Es gibt keine Ampel, achten Sie auf den Verkehr.",
        ),
        ("unknown", "Cross Fackelstraße.", "Überqueren Sie die Fackelstraße."),
    ],
)
def test_crossing_signal_types(signal, en, de):
    crossing = m(K.CROSS, street="Fackelstraße", signal=signal)
    assert phrase_maneuver(crossing, "en", BRIEF) == en
    assert phrase_maneuver(crossing, "de", BRIEF) == de


@pytest.mark.parametrize(
    ("kerb", "en", "de"),
    [
        ("raised", "The kerb is raised.", "Der Bordstein ist hoch."),
        ("flush", "There is no kerb edge.", "Es gibt keine Bordsteinkante."),
        ("no", "There is no kerb edge.", "Es gibt keine Bordsteinkante."),
        ("rolled", "The kerb is rounded.", "Der Bordstein ist abgerundet."),
    ],
)
def test_crossing_kerb_when_detailed(kerb, en, de):
    crossing = m(K.CROSS, street=None, signal="unknown", kerb=kerb)
    assert phrase_maneuver(crossing, "en", DETAILED) == f"Cross the street. {en}"
    assert phrase_maneuver(crossing, "de", DETAILED) == f"Überqueren Sie die Straße. {de}"
    assert phrase_maneuver(crossing, "en", NORMAL) == "Cross the street."


@pytest.mark.parametrize(
    ("street", "de"),
    [
        ("Marktstraße", "auf der Marktstraße"),
        ("Kaiserslauterer Strasse", "auf der Kaiserslauterer Strasse"),
        ("Steinstraßengasse", "auf der Steinstraßengasse"),
        ("Schillerplatz", "auf dem Schillerplatz"),
        ("Lauterufer", "auf dem Lauterufer"),
        ("Kerststeige", "auf der Kerststeige"),
        ("Burgsteig", "auf dem Burgsteig"),
        ("Am Altenhof", "auf der Straße Am Altenhof"),
        ("Fruchthallstr.", "auf der Straße Fruchthallstr."),
    ],
)
def test_german_street_articles(street, de):
    assert phrase_reassurance(street, 50, "de") == f"Gehen Sie weiter {de}. Noch 50 Meter."


@pytest.mark.parametrize(
    ("distance_m", "rounded"),
    [
        (0, 1),
        (0.4, 1),
        (1.5, 2),
        (12.4, 12),
        (19.4, 19),
        (19.6, 20),
        (20, 20),
        (22.4, 20),
        (22.5, 25),
        (27.6, 30),
        (123, 125),
        (1001, 1000),
        (1003, 1005),
    ],
)
def test_round_distance(distance_m, rounded):
    assert round_distance_m(distance_m) == rounded


@pytest.mark.parametrize(
    ("distance_m", "rounded"),
    [(0, 0), (2.4, 0), (2.5, 5), (6.3, 5), (7.5, 10), (19.9, 20), (20, 20), (24.9, 20),
     (25, 30), (96, 100), (997, 1000)],
)
def test_round_distance_hedged_is_coarser(distance_m, rounded):
    """5 m steps below 20 m, 10 m from 20 m; 0 is "a few metres"."""
    assert round_distance_m(distance_m, hedged=True) == rounded


def test_round_distance_rejects_nan():
    with pytest.raises(ValueError):
        round_distance_m(float("nan"))


@pytest.mark.parametrize(
    ("distance_m", "en", "de", "en_in", "de_in"),
    [
        (1, "1 metre", "ein Meter", "In 1 metre", "In einem Meter"),
        (10, "10 metres", "10 Meter", "In 10 metres", "In 10 Metern"),
        (23, "25 metres", "25 Meter", "In 25 metres", "In 25 Metern"),
        (997, "995 metres", "995 Meter", "In 995 metres", "In 995 Metern"),
        (998, "1 kilometre", "ein Kilometer", "In 1 kilometre", "In einem Kilometer"),
        (1049, "1 kilometre", "ein Kilometer", "In 1 kilometre", "In einem Kilometer"),
        (1460, "1.5 kilometres", "1,5 Kilometer", "In 1.5 kilometres", "In 1,5 Kilometern"),
        (12_030, "12 kilometres", "12 Kilometer", "In 12 kilometres", "In 12 Kilometern"),
    ],
)
def test_format_distance(distance_m, en, de, en_in, de_in):
    assert format_distance(distance_m, "en") == en
    assert format_distance(distance_m, "de") == de
    assert format_in_distance(distance_m, "en") == en_in
    assert format_in_distance(distance_m, "de") == de_in


@pytest.mark.parametrize(
    ("distance_m", "en", "de", "en_in", "de_in"),
    [
        (1, "a few metres", "wenige Meter", "In a few metres", "In wenigen Metern"),
        (6.3, "about 5 metres", "etwa 5 Meter", "In about 5 metres", "In etwa 5 Metern"),
        (18, "about 20 metres", "etwa 20 Meter", "In about 20 metres", "In etwa 20 Metern"),
        (123, "about 120 metres", "etwa 120 Meter", "In about 120 metres", "In etwa 120 Metern"),
        (997, "about 1 kilometre", "etwa ein Kilometer", "In about 1 kilometre",
         "In etwa einem Kilometer"),
        (1460, "about 1.5 kilometres", "etwa 1,5 Kilometer", "In about 1.5 kilometres",
         "In etwa 1,5 Kilometern"),
    ],
)
def test_format_distance_hedged(distance_m, en, de, en_in, de_in):
    assert format_distance(distance_m, "en", hedged=True) == en
    assert format_distance(distance_m, "de", hedged=True) == de
    assert format_in_distance(distance_m, "en", hedged=True) == en_in
    assert format_in_distance(distance_m, "de", hedged=True) == de_in


@pytest.mark.parametrize(
    ("maneuver", "distance_m", "en", "de"),
    [
        (TURN, 18, "In about 20 metres, turn left onto Mühlweg.",
         "In etwa 20 Metern biegen Sie links in den Mühlweg ab."),
        (CROSS, 6.3, "In about 5 metres, cross Fackelstraße at the traffic light with sound "
         "signal. Tactile paving leads to the crossing. There is a traffic island halfway.",
         "In etwa 5 Metern überqueren Sie die Fackelstraße an der Ampel mit Signalton. Ein "
         "Bodenleitsystem führt zum Überweg. In der Mitte ist eine Verkehrsinsel."),
        (STEPS_UP, 2, "In a few metres, go up 12 steps.",
         "In wenigen Metern gehen Sie 12 Stufen hinauf."),
        (LANDMARK, 9, "In about 10 metres, Bäckerei Müller will be on your left.",
         "In etwa 10 Metern ist Bäckerei Müller links von Ihnen."),
        (ARRIVE, 31, "In about 30 metres, you will arrive at Rathaus. It is on your right.",
         "In etwa 30 Metern erreichen Sie Ihr Ziel, Rathaus. Es ist rechts von Ihnen."),
    ],
)
def test_hedged_announcement_ahead(maneuver, distance_m, en, de):
    assert phrase_maneuver(maneuver, "en", NORMAL, distance_m, hedged=True) == en
    assert phrase_maneuver(maneuver, "de", NORMAL, distance_m, hedged=True) == de


def test_hedged_reassurance_is_a_sentence_of_its_own():
    assert phrase_reassurance("Marktstraße", 41, "en", hedged=True) == (
        "Keep walking along Marktstraße. About 40 metres to go.")
    assert phrase_reassurance("Marktstraße", 41, "de", hedged=True) == (
        "Gehen Sie weiter auf der Marktstraße. Noch etwa 40 Meter.")
    assert phrase_reassurance(None, 2, "en", MOVE, hedged=True) == (
        "Keep moving. A few metres to go.")
    assert phrase_reassurance(None, 2, "de", MOVE, hedged=True) == (
        "Bewegen Sie sich weiter. Noch wenige Meter.")


@pytest.mark.parametrize(
    ("maneuver", "opts", "en", "de"),
    [
        (TURN, NORMAL, "Location uncertain. Slow down, you are approaching the turn onto Mühlweg.",
         "Standort ungenau. Gehen Sie langsamer, Sie nähern sich der Abzweigung in den Mühlweg."),
        (CROSS, MOVE, "Location uncertain. Slow down, you are approaching the crossing of "
         "Fackelstraße.", "Standort ungenau. Bewegen Sie sich langsamer, Sie nähern sich dem "
         "Überweg über die Fackelstraße."),
        (STEPS_UP, NORMAL, "Location uncertain. Slow down, you are approaching the steps.",
         "Standort ungenau. Gehen Sie langsamer, Sie nähern sich der Treppe."),
    ],
)
def test_position_uncertain(maneuver, opts, en, de):
    assert phrase_position_uncertain(maneuver, "en", opts) == en
    assert phrase_position_uncertain(maneuver, "de", opts) == de


def test_approaching_says_the_action_when_the_walker_has_not_heard_it():
    assert phrase_approaching(TURN, "en", with_action=True) == (
        "You are approaching the turn onto Mühlweg. Turn left onto Mühlweg."
    )
    assert phrase_approaching(CROSS, "de", BRIEF, with_action=True) == (
        "Sie nähern sich dem Überweg über die Fackelstraße. Überqueren Sie die Fackelstraße an "
        "der Ampel mit Signalton."
    )
    assert phrase_approaching(LANDMARK, "en", with_action=True) == (
        "You are approaching Bäckerei Müller.")


# (maneuver, English target, German dative target)
TARGETS = [
    (
        TURN,
        "the turn onto Mühlweg",
        "der Abzweigung in den Mühlweg",
    ),
    (TURN_SHARP, "the turn", "der Abzweigung"),
    (
        CROSS,
        "the crossing of Fackelstraße",
        "dem Überweg über die Fackelstraße",
    ),
    (CROSS_BARE, "the crossing", "dem Überweg"),
    (STEPS_UP, "the steps", "der Treppe"),
    (LANDMARK, "Bäckerei Müller", "Bäckerei Müller"),
    (ARRIVE, "your destination, Rathaus", "Ihrem Ziel, Rathaus"),
    (ARRIVE_BARE, "your destination", "Ihrem Ziel"),
    (CONTINUE, "Marktstraße", "der Marktstraße"),
    (CONTINUE_AM, "Am Altenhof", "der Straße Am Altenhof"),
    (CONTINUE_BARE, "the next waypoint", "dem nächsten Wegpunkt"),
    (DEPART, "the starting point", "dem Startpunkt"),
]


@pytest.mark.parametrize(("maneuver", "en", "de_dat"), TARGETS)
def test_approaching(maneuver, en, de_dat):
    assert phrase_approaching(maneuver, "en") == f"You are approaching {en}."
    assert phrase_approaching(maneuver, "de") == f"Sie nähern sich {de_dat}."


def test_approaching_detailed_adds_the_action():
    assert phrase_approaching(TURN, "en", DETAILED) == (
        "You are approaching the turn onto Mühlweg. Turn left onto Mühlweg."
    )
    assert phrase_approaching(TURN, "de", DETAILED) == (
        "Sie nähern sich der Abzweigung in den Mühlweg. Biegen Sie links in den Mühlweg ab."
    )
    assert phrase_approaching(LANDMARK, "en", DETAILED) == "You are approaching Bäckerei Müller."


@pytest.mark.parametrize(
    ("street", "remaining_m", "opts", "en", "de"),
    [
        (
            "Marktstraße",
            152,
            NORMAL,
            "Keep walking along Marktstraße. 150 metres to go.",
            "Gehen Sie weiter auf der Marktstraße. Noch 150 Meter.",
        ),
        (
            "Marktstraße",
            152,
            DETAILED,
            "Keep walking along Marktstraße. 150 metres to go.",
            "Gehen Sie weiter auf der Marktstraße. Noch 150 Meter.",
        ),
        ("Marktstraße", 152, BRIEF, "Keep walking.", "Gehen Sie weiter."),
        (
            None,
            1,
            MOVE,
            "Keep moving. 1 metre to go.",
            "Bewegen Sie sich weiter. Noch ein Meter.",
        ),
    ],
)
def test_reassurance(street, remaining_m, opts, en, de):
    assert phrase_reassurance(street, remaining_m, "en", opts) == en
    assert phrase_reassurance(street, remaining_m, "de", opts) == de


def test_status_phrases():
    assert phrase_off_route("en") == (
        "You have left the route. Please stop while a new route is found."
    )
    assert phrase_off_route("de") == (
        "Sie haben die Route verlassen. Bitte bleiben Sie stehen, eine neue Route wird berechnet."
    )
    assert phrase_location_unavailable("en") == "Location unavailable. Please wait where you are."
    assert phrase_location_unavailable("de") == (
        "Standort nicht verfügbar. Bitte warten Sie, wo Sie sind."
    )
    assert phrase_location_regained("en") == "Location found again. Guidance continues."
    assert phrase_location_regained("de") == "Standort wieder verfügbar. Die Führung geht weiter."
    assert phrase_route_closed("en") == "The way ahead is closed."
    assert phrase_route_closed("de") == "Der Weg vor Ihnen ist gesperrt."


def test_still_unavailable_says_to_walk_on_slowly_to_the_next_corner_never_to_turn():
    """Said once a wait brought no position (#12): walk on along the same path and stop at the
    next corner or kerb (so never across a street or round a corner)."""
    assert phrase_location_still_unavailable("en") == (
        "Location still unknown. Walk on slowly along this path to the next corner or kerb, if "
        "it is safe. Guidance continues as soon as the location is found.")
    assert phrase_location_still_unavailable("de", PhraseOptions(verb="move")) == (
        "Standort weiterhin unbekannt. Bewegen Sie sich langsam auf diesem Weg bis zur nächsten "
        "Ecke oder Bordsteinkante weiter, wenn es sicher ist. Sobald der Standort gefunden ist, "
        "geht die Führung weiter.")
    for lang in ("en", "de"):
        text = phrase_location_still_unavailable(lang).lower()
        assert not any(w in text for w in ("turn", "cross ", "links", "rechts", "left", "right",
                                           "überqueren"))


def test_rerouted_says_the_first_instruction():
    assert phrase_rerouted(DEPART, "en") == "New route. Walk north along Marktstraße."
    assert phrase_rerouted(DEPART, "de") == (
        "Neue Route. Gehen Sie Richtung Norden auf der Marktstraße."
    )
    assert phrase_rerouted(TURN, "en", BRIEF) == "New route. Turn left."


@pytest.mark.parametrize(
    ("name", "side", "en", "de"),
    [
        (
            "Rathaus",
            "left",
            "You have arrived at Rathaus. It is on your left.",
            "Sie haben Ihr Ziel erreicht: Rathaus. Es ist links von Ihnen.",
        ),
        (
            None,
            "ahead",
            "You have arrived. It is straight ahead of you.",
            "Sie haben Ihr Ziel erreicht. Es ist direkt vor Ihnen.",
        ),
        ("Rathaus", None, "You have arrived at Rathaus.", "Sie haben Ihr Ziel erreicht: Rathaus."),
    ],
)
def test_arrived(name, side, en, de):
    assert phrase_arrived(name, side, "en") == en
    assert phrase_arrived(name, side, "de") == de


@pytest.mark.parametrize(
    ("street", "landmark", "ahead", "en", "de"),
    [
        (
            "Mühlweg",
            "Rathaus",
            TURN_SLIGHT,
            "You are on Mühlweg, near Rathaus. Next, turn slightly right onto Pirmasenser Straße.",
            "Sie sind auf dem Mühlweg, in der Nähe von Rathaus. "
            "Als Nächstes biegen Sie leicht rechts in die Pirmasenser Straße ab.",
        ),
        ("Marktstraße", None, None, "You are on Marktstraße.", "Sie sind auf der Marktstraße."),
        (None, "Rathaus", None, "You are near Rathaus.", "Sie sind in der Nähe von Rathaus."),
        (
            None,
            None,
            ARRIVE,
            "You are on your route. Next, you will arrive at Rathaus. It is on your right.",
            "Sie sind auf Ihrer Route. Als Nächstes erreichen Sie Ihr Ziel, Rathaus. "
            "Es ist rechts von Ihnen.",
        ),
    ],
)
def test_where_am_i(street, landmark, ahead, en, de):
    assert phrase_where_am_i(street, landmark, ahead, "en") == en
    assert phrase_where_am_i(street, landmark, ahead, "de") == de


@pytest.mark.parametrize(
    ("quadrants", "en", "de"),
    [
        (
            {"ahead": ["Rathaus", "Stiftskirche", "Bäckerei Müller"], "left": ["Bushalt"]},
            "Ahead: Rathaus, Stiftskirche and Bäckerei Müller. On your left: Bushalt.",
            "Vor Ihnen: Rathaus, Stiftskirche und Bäckerei Müller. Links von Ihnen: Bushalt.",
        ),
        (
            {"behind": ["Kiosk"], "right": ["Apotheke", "Post"], "ahead": []},
            "On your right: Apotheke and Post. Behind you: Kiosk.",
            "Rechts von Ihnen: Apotheke und Post. Hinter Ihnen: Kiosk.",
        ),
        ({}, "Nothing is mapped nearby.", "In der Nähe ist nichts verzeichnet."),
    ],
)
def test_around_me(quadrants, en, de):
    assert phrase_around_me(quadrants, "en") == en
    assert phrase_around_me(quadrants, "de") == de


def test_around_me_rejects_unknown_quadrant():
    with pytest.raises(ValueError, match="up"):
        phrase_around_me({"up": ["Balkon"]}, "en")


@pytest.mark.parametrize(
    "call",
    [
        lambda lang: phrase_maneuver(TURN, lang),
        lambda lang: phrase_approaching(TURN, lang),
        lambda lang: phrase_reassurance(None, 10, lang),
        lambda lang: phrase_off_route(lang),
        lambda lang: phrase_position_uncertain(TURN, lang),
        lambda lang: phrase_rerouted(DEPART, lang),
        lambda lang: phrase_location_unavailable(lang),
        lambda lang: phrase_location_regained(lang),
        lambda lang: phrase_location_still_unavailable(lang),
        lambda lang: phrase_route_closed(lang),
        lambda lang: phrase_arrived(None, None, lang),
        lambda lang: phrase_where_am_i(None, None, None, lang),
        lambda lang: phrase_around_me({}, lang),
        lambda lang: format_distance(10, lang),
        lambda lang: format_distance(10, lang, hedged=True),
    ],
)
def test_unknown_language_lists_supported(call):
    with pytest.raises(UnsupportedLanguage, match="supported: de, en"):
        call("fr")


def test_every_phrase_is_a_clean_sentence():
    """All kinds x options x languages: capitalised, full stop, no leaked None or blanks."""
    options = [
        PhraseOptions(verbosity=v, clock_face=c, verb=w)
        for v, c, w in itertools.product(("brief", "normal", "detailed"), (0, 1), ("walk", "move"))
    ]
    for man, opts, lang, ahead, hedged in itertools.product(
        ALL_MANEUVERS, options, SUPPORTED_LANGS, (None, 7.0, 1.0), (False, True)
    ):
        for text in (phrase_maneuver(man, lang, opts, ahead, hedged),
                     phrase_approaching(man, lang, opts, with_action=hedged),
                     phrase_position_uncertain(man, lang, opts)):
            assert text[0].isupper() and text.endswith("."), text
            assert "None" not in text and "  " not in text and " ." not in text, text
            assert "{" not in text, text
