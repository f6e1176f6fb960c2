"""Place search forgiving case, umlauts and their ASCII spellings (Müller = Mueller = muller)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from functools import lru_cache

from routing.model import PlaceRecord

_DIGRAPHS = (("ae", "a"), ("oe", "o"), ("ue", "u"))


@lru_cache(maxsize=65_536)  # every search folds every place name: fold each name once
def fold_name(text: str) -> str:
    """A search key: casefolded, ß -> ss, accents dropped, ae/oe/ue -> a/o/u, spaces squeezed."""
    text = unicodedata.normalize("NFKD", text.casefold().replace("ß", "ss"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    for digraph, vowel in _DIGRAPHS:
        text = text.replace(digraph, vowel)
    return " ".join(text.split())


def search_places(places: Sequence[PlaceRecord], query: str, limit: int = 20) -> list[PlaceRecord]:
    """Places whose folded name contains the folded query; prefix matches first, then by name."""
    key = fold_name(query)
    if not key:
        return []
    hits = [(fold_name(p.name), p) for p in places]
    found = [(not name.startswith(key), p.name, p) for name, p in hits if key in name]
    found.sort(key=lambda t: (t[0], t[1]))
    return [p for _, _, p in found[:limit]]
