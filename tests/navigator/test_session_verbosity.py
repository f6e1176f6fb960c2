"""What each verbosity says on a straight run (#15): "normal" says a landmark once, as the walker
passes it, and "keep walking" only on a long run (the next decision point at least
``long_run_m`` ahead, every ``normal_reassurance_every_m``), counting down to that decision
point; "brief" reassures half as often; "detailed" keeps announcing landmarks ahead and
reassuring every 10 m."""

from __future__ import annotations

import re

from navigator.session import GuidanceSettings, NavigationSession
from tests.navigator.test_session import (
    instructions,
    l_route,
    no_replan,
    walk_east,
    with_landmark,
)
from voice.phrases import PhraseOptions

S = GuidanceSettings()


def heard(verbosity: str, east_m: float, landmark_at_m: float | None = None, lang: str = "en"
          ) -> list[tuple[float, dict]]:
    """(x, instruction) along the first leg of an L route ``east_m`` long, walked to its turn."""
    route = l_route(east_m=east_m)
    if landmark_at_m is not None:
        route = with_landmark(route, landmark_at_m)
    s = NavigationSession(route, no_replan, lang=lang, opts=PhraseOptions(verbosity=verbosity))
    return instructions(walk_east(s, east_m))


def test_normal_says_a_landmark_once_as_the_walker_passes_it() -> None:
    for lang, text in (("en", "Keep walking. Efendi is on your right."),
                       ("de", "Gehen Sie weiter. Efendi ist rechts von Ihnen.")):
        said = [(x, d) for x, d in heard("normal", 80.0, 30.0, lang) if d["kind"] == "landmark"]
        assert [(d["phase"], d["text"]) for _, d in said] == [("approaching", text)], lang
        assert abs(said[0][0] - 30.0) <= S.approached_m


def test_brief_too_says_a_landmark_once_and_detailed_announces_it_ahead_as_well() -> None:
    brief = [d for _, d in heard("brief", 80.0, 30.0) if d["kind"] == "landmark"]
    assert [d["phase"] for d in brief] == ["approaching"]
    detailed = [(x, d) for x, d in heard("detailed", 80.0, 30.0)
                if d["kind"] == "landmark" and d["phase"] != "reassurance"]
    assert [d["text"] for _, d in detailed] == [
        "In 6 metres, Efendi will be on your right.", "Keep walking. Efendi is on your right."]
    assert 30.0 - detailed[0][0] >= S.announce_ahead_m - S.announce_tolerance_m


def test_normal_reassures_only_while_the_next_decision_point_is_far() -> None:
    said = heard("normal", 150.0, 30.0)
    reassure = [(x, d) for x, d in said if d["phase"] == "reassurance"]
    assert len(reassure) == 2, "a 120 m run after the landmark is long"
    for x, d in reassure:
        assert 150.0 - x >= S.long_run_m
        assert d["kind"] == "turn", "it counts down to the turn, not to a landmark"
        to_go = int(re.search(r"(\d+) metres to go", d["text"]).group(1))  # type: ignore[union-attr]
        assert abs(to_go - (150.0 - x)) <= 2.5
    xs = [30.0] + [x for x, _ in reassure]  # the landmark said at 30 m counts as said
    gaps = [b - a for a, b in zip(xs, xs[1:], strict=False)]
    assert min(gaps) >= S.normal_reassurance_every_m - 1e-9


def test_normal_keeps_quiet_on_a_short_run_where_detailed_reassures() -> None:
    for east_m in (40.0, 60.0):  # the turn always less than ~long_run_m + every ahead
        assert [d for _, d in heard("normal", east_m) if d["phase"] == "reassurance"] == []
        assert [d for _, d in heard("detailed", east_m) if d["phase"] == "reassurance"]


def test_brief_reassures_a_long_run_half_as_often_as_normal() -> None:
    def count(verbosity: str) -> int:
        return sum(d["phase"] == "reassurance" for _, d in heard(verbosity, 200.0))
    assert count("brief") >= 1
    assert count("normal") >= 2 * count("brief")


def test_every_level_says_the_same_decision_points_at_the_same_places() -> None:
    def decisions(verbosity: str) -> list[tuple[float, str, str]]:
        return [(x, d["kind"], d["phase"]) for x, d in heard(verbosity, 150.0, 30.0)
                if d["kind"] != "landmark" and d["phase"] != "reassurance"]
    normal = decisions("normal")
    assert [k for _, k, _ in normal] == ["depart", "turn", "turn"]
    for verbosity in ("brief", "detailed", "decision_points"):
        assert decisions(verbosity) == normal, verbosity
