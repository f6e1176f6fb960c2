"""A crossing's push button (#16, #18): every verbosity that says the crossing says to press the
button, in German and English, right after the crossing's own sentence."""

from __future__ import annotations

import pytest

from routing.model import Maneuver, ManeuverKind
from voice.phrases import (
    PhraseOptions,
    Verbosity,
    phrase_approaching,
    phrase_chained,
    phrase_maneuver,
    phrase_then,
)

EN_CROSS = "Cross Fackelstraße at the traffic light with sound signal."
DE_CROSS = "Überqueren Sie die Fackelstraße an der Ampel mit Signalton."
EN_BUTTON = "Press the button for green."
DE_BUTTON = "Drücken Sie den Taster für Grün."


def crossing(signal: str = "acoustic", button: bool | None = True, **more: object) -> Maneuver:
    return Maneuver(ManeuverKind.CROSS, 1, 49.44, 7.77, 40.0, 100.0, attributes={
        "street": "Fackelstraße", "signal": signal, "button": button, **more})


@pytest.mark.parametrize("verbosity", ["brief", "normal", "detailed", "decision_points"])
def test_every_verbosity_says_to_press_the_button(verbosity: Verbosity) -> None:
    opts = PhraseOptions(verbosity=verbosity)
    assert phrase_maneuver(crossing(), "en", opts) == f"{EN_CROSS} {EN_BUTTON}"
    assert phrase_maneuver(crossing(), "de", opts) == f"{DE_CROSS} {DE_BUTTON}"


def test_the_button_comes_before_the_crossings_other_facts_and_in_every_phase() -> None:
    full = crossing(tactile_paving=True, island=True, kerb="lowered", length_m=12)
    detailed = PhraseOptions(verbosity="detailed")
    assert phrase_maneuver(full, "en", detailed, 6.0) == (
        "In 6 metres, cross Fackelstraße at the traffic light with sound signal. "
        "Press the button for green. Tactile paving leads to the crossing. "
        "There is a traffic island halfway. The crossing is 12 metres long. "
        "The kerb is lowered.")
    assert phrase_maneuver(full, "de", detailed, 6.0) == (
        "In 6 Metern überqueren Sie die Fackelstraße an der Ampel mit Signalton. "
        "Drücken Sie den Taster für Grün. Ein Bodenleitsystem führt zum Überweg. "
        "In der Mitte ist eine Verkehrsinsel. Der Überweg ist 12 Meter lang. "
        "Der Bordstein ist abgesenkt.")
    assert phrase_then(crossing(), "en") == (
        "Then cross Fackelstraße at the traffic light with sound signal. "
        "Press the button for green.")
    assert phrase_then(crossing(), "de") == (
        "Danach überqueren Sie die Fackelstraße an der Ampel mit Signalton. "
        "Drücken Sie den Taster für Grün.")
    assert phrase_chained(crossing(), 4.0, "en") == (
        "After another 4 metres, cross Fackelstraße at the traffic light with sound signal. "
        "Press the button for green.")
    assert phrase_approaching(crossing(), "de", with_action=True) == (
        f"Sie nähern sich dem Überweg über die Fackelstraße. {DE_CROSS} {DE_BUTTON}")


@pytest.mark.parametrize(("signal", "en", "de"), [
    ("visual", "Cross Fackelstraße at a silent traffic light.",
     "Überqueren Sie die Fackelstraße an der Ampel ohne Signalton."),
    ("unknown", "Cross Fackelstraße.", "Überqueren Sie die Fackelstraße."),
])
def test_a_button_at_any_traffic_light_is_said(signal: str, en: str, de: str) -> None:
    assert phrase_maneuver(crossing(signal), "en") == f"{en} {EN_BUTTON}"
    assert phrase_maneuver(crossing(signal), "de") == f"{de} {DE_BUTTON}"


def test_no_button_or_no_light_says_nothing_of_a_button() -> None:
    for button in (False, None):
        assert phrase_maneuver(crossing(button=button), "en") == EN_CROSS
        assert phrase_maneuver(crossing(button=button), "de") == DE_CROSS
    # a button tagged where there is no traffic light: the walker listens for traffic instead
    assert phrase_maneuver(crossing("none"), "en") == (
        "Cross Fackelstraße. There is no traffic light; listen for traffic.")
