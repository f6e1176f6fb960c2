"""Disk cache: content keys, LRU eviction by bytes, atomic writes, restart, lost files."""

from __future__ import annotations

import os

import pytest

from voice.cache import AudioCache


def key(n: int) -> str:
    return AudioCache.key_for(f"phrase {n}", "de", "de", 175, "test")


def test_key_is_content_addressed_and_url_safe():
    k = AudioCache.key_for("Biegen Sie links ab.", "de", "de", 175, "v1")
    assert len(k) == 64 and AudioCache.is_key(k)
    assert k == AudioCache.key_for("Biegen Sie links ab.", "de", "de", 175, "v1")
    variants = [
        ("Biegen Sie rechts ab.", "de", "de", 175, "v1"),
        ("Biegen Sie links ab.", "en", "de", 175, "v1"),
        ("Biegen Sie links ab.", "de", "en", 175, "v1"),
        ("Biegen Sie links ab.", "de", "de", 200, "v1"),
        ("Biegen Sie links ab.", "de", "de", 175, "v2"),
    ]
    assert k not in {AudioCache.key_for(*v) for v in variants}


def test_put_get_and_meta(tmp_path):
    cache = AudioCache(tmp_path, 10_000)
    cache.put(key(1), b"RIFF-one", {"text": "phrase 1", "lang": "de"})
    assert cache.get(key(1)) == b"RIFF-one"
    assert cache.meta(key(1)) == {"text": "phrase 1", "lang": "de"}
    assert key(1) in cache and key(2) not in cache
    assert cache.get(key(2)) is None and cache.meta(key(2)) is None


def test_evicts_least_recently_used(tmp_path):
    cache = AudioCache(tmp_path, 3 * 100)
    for n in range(3):
        cache.put(key(n), b"x" * 100)
    assert cache.get(key(0)) is not None  # now 1 is the least recently used
    cache.put(key(3), b"x" * 100)
    assert [key(n) in cache for n in range(4)] == [True, False, True, True]
    assert cache.total_bytes == 300 and len(cache) == 3


def test_sidecars_count_towards_the_budget(tmp_path):
    cache = AudioCache(tmp_path, 250)
    cache.put(key(0), b"x" * 100, {"text": "t" * 50, "lang": "de"})
    cache.put(key(1), b"x" * 100, {"text": "t" * 50, "lang": "de"})
    assert key(0) not in cache and cache.meta(key(0)) is None
    assert cache.total_bytes <= 250


def test_an_entry_larger_than_the_budget_is_kept_alone(tmp_path):
    cache = AudioCache(tmp_path, 50)
    cache.put(key(0), b"x" * 40)
    cache.put(key(1), b"x" * 100)
    assert key(1) in cache and key(0) not in cache


def test_recency_and_size_survive_a_restart(tmp_path):
    cache = AudioCache(tmp_path, 300)
    for n in range(3):
        cache.put(key(n), b"x" * 100)
        os.utime(tmp_path / f"{key(n)}.wav", ns=(n * 10**9, n * 10**9))
    (tmp_path / "leftover.tmp").write_bytes(b"half")
    reopened = AudioCache(tmp_path, 200)  # smaller budget: the oldest goes at once
    assert key(0) not in reopened and key(1) in reopened and key(2) in reopened
    assert not list(tmp_path.glob("*.tmp"))


def test_write_is_atomic(tmp_path, monkeypatch):
    cache = AudioCache(tmp_path, 10_000)
    cache.put(key(0), b"old")

    def crash(src, dst):
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        cache.put(key(0), b"new and longer")
    assert cache.get(key(0)) == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{key(0)}.wav"]


def test_a_deleted_file_is_a_miss_but_keeps_its_sidecar(tmp_path):
    cache = AudioCache(tmp_path, 10_000)
    cache.put(key(0), b"RIFF", {"text": "phrase 0", "lang": "de"})
    (tmp_path / f"{key(0)}.wav").unlink()
    assert cache.get(key(0)) is None
    assert cache.total_bytes == 0
    assert cache.meta(key(0)) == {"text": "phrase 0", "lang": "de"}


@pytest.mark.parametrize("bad", ["../../etc/passwd", "abc", "A" * 64, ""])
def test_rejects_keys_that_are_not_digests(tmp_path, bad):
    cache = AudioCache(tmp_path, 10_000)
    with pytest.raises(ValueError):
        cache.get(bad)
