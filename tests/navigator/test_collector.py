"""Start-up warm-ups leave what they made out of later collections (the first full collection
after start scanned the warm-ups' ~47k objects: 45-110 ms of a held loop)."""

from __future__ import annotations

import gc

from navigator.collector import warm_then_freeze


def test_what_a_warm_up_made_is_frozen_out_of_collections() -> None:
    made: list[list[int]] = []

    def warm() -> None:
        made.extend([i] for i in range(1000))

    try:
        warm_then_freeze(warm)
        assert gc.get_freeze_count() >= len(made)
        collected = {id(o) for o in gc.get_objects()}  # what a collection would scan
        assert all(gc.is_tracked(m) and id(m) not in collected for m in made)
    finally:
        gc.unfreeze()
