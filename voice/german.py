"""German street names with their article in the case a sentence needs ("in den Mühlweg",
"auf der Marktstraße").

A street name is the one noun a German phrase cannot carry ready-declined in its phrasebook: the
gender comes from the name's last word ("-straße" f, "-weg" m, "-ufer" n). A name that takes no
article ("Am Altenhof", "Fruchthallstr.") is said as "die Straße Am Altenhof". Names of places
(landmarks, destinations) have no such rule, so the phrasebook puts them where German needs no
article ("Sie haben Ihr Ziel erreicht: Rathaus").
"""

from __future__ import annotations

from typing import Literal

Case = Literal["acc", "dat"]
Gender = Literal["f", "m", "n"]

_ARTICLES: dict[Case, dict[Gender, str]] = {
    "acc": {"f": "die", "m": "den", "n": "das"},
    "dat": {"f": "der", "m": "dem", "n": "dem"},
}
_SUFFIX_GENDER: tuple[tuple[Gender, tuple[str, ...]], ...] = (  # "steige" (f) before "steig" (m)
    ("f", ("straße", "strasse", "gasse", "allee", "promenade", "brücke", "chaussee", "steige")),
    ("m", ("weg", "platz", "ring", "damm", "steig", "pfad", "markt", "graben", "wall", "hof")),
    ("n", ("ufer",)),
)
_LEADING_PREPOSITIONS = frozenset(
    {"am", "an", "auf", "bei", "beim", "hinter", "im", "in", "über", "unter", "vor", "zum", "zur"}
)


def _gender(name: str) -> Gender | None:
    """Grammatical gender of a street name, or None when it cannot take an article ("Am Hof")."""
    words = name.lower().split()
    if not words or words[0] in _LEADING_PREPOSITIONS:
        return None
    for gender, suffixes in _SUFFIX_GENDER:
        if words[-1].endswith(suffixes):
            return gender
    return None


def _with_article(name: str, case: Case) -> str:
    """``name`` with its article in ``case``; an article-less name becomes "Straße <name>"."""
    gender = _gender(name)
    if gender is None:
        gender, name = "f", f"Straße {name}"
    return f"{_ARTICLES[case][gender]} {name}"


def street_forms(name: str) -> dict[str, str]:
    """The street slots a German phrase may ask for: accusative and dative with article."""
    return {
        "street_acc": _with_article(name, "acc"),
        "street_dat": _with_article(name, "dat"),
    }
