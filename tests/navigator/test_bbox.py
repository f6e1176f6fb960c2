"""The bbox parser every map endpoint uses: good boxes parse, bad ones say why."""
import pytest

from navigator.bbox import BBox, parse_bbox


def test_a_box_over_kaiserslautern_parses_and_contains_its_centre() -> None:
    box = parse_bbox("7.76,49.43,7.78,49.45")
    assert box == BBox(7.76, 49.43, 7.78, 49.45)
    assert box.contains(49.44, 7.77)
    assert not box.contains(49.46, 7.77)


@pytest.mark.parametrize("text, words", [
    ("1,2,3", "four numbers"),
    ("a,b,c,d", "four numbers"),
    ("nan,0,1,1", "finite"),
    ("0,-91,1,1", "latitudes"),
    ("-181,0,1,1", "longitudes"),
    ("2,0,1,1", "minimum"),
])
def test_bad_boxes_are_refused_with_a_reason(text: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_bbox(text)
