"""What a busy process answers first, and which scans are too old to guide anyone.

A walker covers about 1.3 m a second: a fix made from a scan that waited a second in a queue
puts the walker where they were, and an instruction made from it comes too late for the corner
it is about. So no scan older than :attr:`ScanBudget.max_age_s` (since this process received it)
is used for guidance: it is answered with an honest ``fix`` status (``available: false``,
``reason: "late"``), and if a walker's scans keep coming late, the session tells the walker once
that the position is unavailable, as it does when the beacons fall silent.

While there is no queue, messages are answered in the order they came. When one forms (the oldest
has waited :attr:`ScanBudget.queue_forming_s`), the freshest sessions are answered first and a
session's older scans give way to its newest, so what is answered is answered in time and what
cannot be is dropped at once instead of making everything late (adaptive LIFO, as in busy RPC
servers). A session's own messages always keep their order. Pure: the clock is passed in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ScanBudget:
    """How long a scan may wait in a busy process before it is no use to the walker."""

    #: A scan that waited longer than this since the process received it guides nobody.
    max_age_s: float = 1.0
    #: The oldest waiting message has waited this long: a queue is forming.
    queue_forming_s: float = 0.05
    #: A round of answers is cut to take about this long, so the sockets are read (and scans
    #: stamped with the time they came) at least this often.
    round_s: float = 0.02
    #: A walker whose scans came late for this long (on the phone's clock) is told once that the
    #: position is unavailable; shorter gaps only show in the ``fix`` status.
    silent_after_s: float = 3.0


@dataclass(frozen=True, slots=True)
class Waiting(Generic[T]):
    """A message waiting for its answer: whose, when it came, and whether it is a scan."""

    session_id: str
    received_s: float
    is_scan: bool
    item: T


@dataclass(frozen=True, slots=True)
class Round(Generic[T]):
    """One round of answers: ``answer`` now (in this order, at most one message per session),
    ``late`` scans (answered as late, not used), and what waits ``later`` (in order)."""

    answer: list[Waiting[T]] = field(default_factory=list)
    late: list[Waiting[T]] = field(default_factory=list)
    later: list[Waiting[T]] = field(default_factory=list)


def next_round(waiting: Sequence[Waiting[T]], now_s: float, cost_s: float,
               budget: ScanBudget) -> Round[T]:
    """Split what waits (in arrival order) into one round of answers, the late scans and the
    rest. ``cost_s`` is what answering one message costs lately: a round holds as many as fit in
    ``budget.round_s``, so no scan passes its age while its round runs."""
    if not waiting:
        return Round()
    forming = now_s - min(w.received_s for w in waiting) > budget.queue_forming_s
    newest_scan = {w.session_id: w for w in waiting if w.is_scan} if forming else {}
    late: list[Waiting[T]] = []
    kept: list[Waiting[T]] = []
    for w in waiting:
        too_old = now_s - w.received_s + budget.round_s > budget.max_age_s
        superseded = forming and w.is_scan and newest_scan[w.session_id] is not w
        (late if w.is_scan and (too_old or superseded) else kept).append(w)
    firsts: list[Waiting[T]] = []
    later: list[Waiting[T]] = []
    seen: set[str] = set()
    for w in kept:
        (later if w.session_id in seen else firsts).append(w)
        seen.add(w.session_id)
    if forming:
        firsts.sort(key=lambda w: w.received_s, reverse=True)
    size = len(firsts) if cost_s <= 0 else max(1, int(budget.round_s / cost_s))
    return Round(firsts[:size], late, firsts[size:] + later)


def too_old(received_s: float, now_s: float, budget: ScanBudget) -> bool:
    """The last check before a fix is used for guidance: the scan has waited too long."""
    return now_s - received_s > budget.max_age_s


def tell_unavailable(late_since_t: float, t: float, budget: ScanBudget) -> bool:
    """A late scan at phone time ``t``, the walker's scans late since ``late_since_t``: time to
    say the position is unavailable (the session says it once)."""
    return t - late_since_t >= budget.silent_after_s
