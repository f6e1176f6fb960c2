"""Start-up warm-ups leave what they made out of later collections (the first full collection
after start scanned the warm-ups' ~47k objects: 45-110 ms of a held loop)."""

from __future__ import annotations

import gc

import pytest

from navigator.collector import (
    FULL_AFTER_MIDDLE,
    collect_fully_less_often,
    collector_paused,
    warm_then_freeze,
)


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


def _full_collections_while_keeping(count: int) -> int:
    """Full collections that ``count`` new long-lived objects set off (each survives the
    younger generations, as a walker's state does)."""
    full = 0

    def on_gc(phase: str, info: dict[str, int]) -> None:
        nonlocal full
        full += phase == "stop" and info["generation"] == 2

    kept: list[list[int]] = []
    gc.collect()
    gc.callbacks.append(on_gc)
    try:
        for i in range(count):
            kept.append([i])
    finally:
        gc.callbacks.remove(on_gc)
    return full


def test_a_serving_worker_collects_fully_only_after_many_younger_collections() -> None:
    before = gc.get_threshold()
    # CPython collects fully once objects kept since the last one are a quarter of all: as
    # many as live now (the suite's own), and fewer than 700 x 100 x 10 (the tuned limit)
    count = min(600_000, max(200_000, len(gc.get_objects())))
    try:
        gc.set_threshold(700, 10, 10)
        assert _full_collections_while_keeping(count) >= 1  # CPython's defaults
        collect_fully_less_often()
        assert gc.get_threshold() == (700, 10, FULL_AFTER_MIDDLE)
        # under 600,000 objects: under 860 young and 86 middle collections, fewer than 100
        assert _full_collections_while_keeping(count) == 0
    finally:
        gc.set_threshold(*before)


def test_collections_pause_for_a_burst_and_resume_as_they_were() -> None:
    """``serve``'s imports run with the collector paused; afterwards it is as it was, also when
    the burst fails, and a collector that was off stays off."""
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ImportError), collector_paused():
        raise ImportError("a missing module")
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
