"""A route's trade-off against the recommended one in plain words ("80 m longer, 3 fewer
turns, only signalled crossings"), from the ``alternatives.*`` phrases of each language."""

from __future__ import annotations

from routing.alternatives import Tradeoff
from voice.phrasebook import Phrasebook, phrasebook

#: Length differences under this many metres are "about as long"; others are rounded to 10 m.
SAME_LENGTH_M = 10.0


def phrase_tradeoff(t: Tradeoff, lang: str, recommended: bool = False) -> str:
    """The trade-off in words; the recommended route says what it is instead of differences."""
    book = phrasebook(lang)
    if recommended:
        parts = [book.say("alternatives.recommended")]
    else:
        parts = [_length(book, t.length_diff_m), _turns(book, t.turn_diff)]
    return ", ".join([*parts, _crossings(book, t)])


def _length(book: Phrasebook, diff_m: float) -> str:
    if abs(diff_m) < SAME_LENGTH_M:
        return book.say("alternatives.same_length")
    n = int(round(abs(diff_m), -1))
    return book.say("alternatives.longer" if diff_m > 0 else "alternatives.shorter", n=n)


def _turns(book: Phrasebook, diff: int) -> str:
    if diff == 0:
        return book.say("alternatives.same_turns")
    key = "alternatives.more_turns" if diff > 0 else "alternatives.fewer_turns"
    return book.say(key + (".one" if abs(diff) == 1 else ""), count=abs(diff))


def _crossings(book: Phrasebook, t: Tradeoff) -> str:
    if t.crossings == 0:
        return book.say("alternatives.no_crossings")
    if t.unsignalled_crossings == 0:
        return book.say("alternatives.signalled_only")
    one = ".one" if t.unsignalled_crossings == 1 else ""
    return book.say("alternatives.unsignalled" + one, count=t.unsignalled_crossings)
