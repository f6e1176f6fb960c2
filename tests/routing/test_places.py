"""Place search: forgiving spelling, prefix matches first, a limit."""

from __future__ import annotations

from routing.model import PlaceRecord
from routing.places import fold_name, search_places

PLACES = [PlaceRecord(i, name, "shop", 49.44, 7.77) for i, name in enumerate(
    ["Bäckerei Müller", "Mueller Apotheke", "Hauptbahnhof", "Großer  Markt", "Café Müller"]
)]


def test_fold_name_forgives_case_umlauts_accents_and_spaces():
    assert fold_name("Müller") == fold_name("MUELLER") == fold_name("muller") == "muller"
    assert fold_name("Großer  Markt") == "grosser markt" and fold_name("Café") == "cafe"


def test_prefix_matches_come_first_then_by_name():
    found = [p.name for p in search_places(PLACES, "muller")]
    assert found == ["Mueller Apotheke", "Bäckerei Müller", "Café Müller"]
    assert [p.name for p in search_places(PLACES, "MÜLLER", limit=1)] == ["Mueller Apotheke"]


def test_an_empty_query_finds_nothing():
    assert search_places(PLACES, "  ") == [] and search_places(PLACES, "zoo") == []
