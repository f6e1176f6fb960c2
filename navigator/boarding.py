"""Where to board "line L towards H at stop X" (pure).

A stop's name usually stands for several poles or platforms: one per direction on either side of
the street, several at a bus station. The walker needs the one where line L leaves towards H,
not the one across the street, so the destination is that pole: among the stops named X (or
the platforms of station X), the ones where a trip of L with headsign H boards. Names are
compared folded (case, umlauts), a headsign also by its beginning ("Hauptbahnhof" finds
"Hauptbahnhof/Bussteig B").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from navigator.transitfeed import StopRow
from routing.places import fold_name


class BoardingError(ValueError):
    """No such stop, or the line does not leave there in that direction; ``code`` for the API."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class Boarding:
    """The pole or platform to walk to, and what the walker is waiting for there."""

    stop: StopRow
    line: str
    headsign: str


def stops_named(stops: Mapping[str, StopRow], children: Mapping[int, Sequence[StopRow]],
                query: str) -> list[StopRow]:
    """Boarding stops for ``query``: a GTFS stop id, or a stop or station name (folded)."""
    exact = stops.get(query)
    named = [exact] if exact is not None else [
        s for s in stops.values() if fold_name(s.name) == fold_name(query)]
    out: dict[int, StopRow] = {}
    for s in named:
        for pole in (children.get(s.id, ()) if s.location_type == 1 else (s,)):
            out[pole.id] = pole
    return sorted(out.values(), key=lambda s: s.id)


def _towards(headsign: str, towards: str) -> bool:
    h, t = fold_name(headsign), fold_name(towards)
    return h == t or h.startswith(t)


def choose_boarding(candidates: Sequence[StopRow], served: Iterable[tuple[int, str, str]],
                    query: str, line: str, towards: str) -> Boarding:
    """The candidate where ``line`` boards towards ``towards`` (``served``: (stop id, line,
    headsign) rows); :class:`BoardingError` naming what does leave there otherwise."""
    if not candidates:
        raise BoardingError("unknown_stop", f"no stop named {query!r} in the timetable")
    by_id = {s.id: s for s in candidates}
    served = sorted(served)
    for stop_id, served_line, headsign in served:
        if (stop_id in by_id and fold_name(served_line) == fold_name(line)
                and _towards(headsign, towards)):
            return Boarding(by_id[stop_id], served_line, headsign)
    offered = sorted({f"{ln} towards {h}" for sid, ln, h in served if sid in by_id})
    raise BoardingError("no_such_line",
                        f"line {line} towards {towards} does not leave from {query}; "
                        f"there: {', '.join(offered) or 'nothing'}")
