"""Which pole for "line L towards H at stop X": never the one across the street."""

from __future__ import annotations

import pytest

from navigator.boarding import BoardingError, choose_boarding, stops_named
from navigator.transitfeed import StopRow


def stop(id_: int, name: str, location_type: int = 0, parent: int | None = None) -> StopRow:
    return StopRow(id_, f"S{id_}", name, 49.0, 7.0, location_type, parent, None, 0, None)


EAST, WEST = stop(1, "Post"), stop(2, "Post")
STATION = stop(3, "Hauptbahnhof", location_type=1)
BAY_A, BAY_B = stop(4, "Hauptbahnhof Bussteig A", parent=3), stop(5, "Hbf B", parent=3)
STOPS = {s.gtfs_id: s for s in (EAST, WEST, STATION, BAY_A, BAY_B)}
CHILDREN = {3: (BAY_A, BAY_B)}
SERVED = [(1, "105", "Rathaus"), (2, "105", "Hauptbahnhof/Bussteig B"), (4, "101", "Stiftsplatz"),
          (5, "105", "Rathaus")]


def test_stops_are_found_by_id_by_folded_name_and_a_station_by_its_platforms() -> None:
    assert stops_named(STOPS, CHILDREN, "S2") == [WEST]
    assert stops_named(STOPS, CHILDREN, "post") == [EAST, WEST]
    assert stops_named(STOPS, CHILDREN, "HAUPTBAHNHOF") == [BAY_A, BAY_B]
    assert stops_named(STOPS, CHILDREN, "Nirgendwo") == []


@pytest.mark.parametrize(("query", "line", "towards", "expected"), [
    ("Post", "105", "Rathaus", EAST),
    ("Post", "105", "hauptbahnhof", WEST),  # the headsign's beginning, folded
    ("Hauptbahnhof", "105", "Rathaus", BAY_B),
    ("Hauptbahnhof", "101", "Stiftsplatz", BAY_A),
])
def test_the_pole_is_the_one_where_the_line_leaves_in_that_direction(
    query: str, line: str, towards: str, expected: StopRow,
) -> None:
    boarding = choose_boarding(stops_named(STOPS, CHILDREN, query), SERVED, query, line, towards)
    assert boarding.stop == expected and boarding.line == line


def test_a_line_not_leaving_there_names_what_does() -> None:
    with pytest.raises(BoardingError) as err:
        choose_boarding([EAST, WEST], SERVED, "Post", "101", "Stiftsplatz")
    assert err.value.code == "no_such_line"
    assert str(err.value) == ("line 101 towards Stiftsplatz does not leave from Post; there: 105 "
                              "towards Hauptbahnhof/Bussteig B, 105 towards Rathaus")
    with pytest.raises(BoardingError) as err:
        choose_boarding([], SERVED, "Nirgendwo", "105", "Rathaus")
    assert err.value.code == "unknown_stop"
