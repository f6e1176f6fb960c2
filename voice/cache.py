"""Content-addressed audio cache on disk, bounded in bytes, least recently used out first.

A key is the sha256 of everything that changes the sound (text, language, voice, rate, engine
version), so a key never goes stale and its file can be served as immutable. Each ``KEY.wav`` has
a ``KEY.json`` sidecar with what produced it, so a deleted WAV can be synthesised again. Writes
go to a temporary file first and are renamed into place: readers see a whole file or none.
Recency is the file's mtime, so the order survives restarts.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

_KEY = re.compile(r"[0-9a-f]{64}")


class AudioCache:
    """WAV files under ``directory``, at most ``max_bytes`` of them (sidecars included)."""

    def __init__(self, directory: Path, max_bytes: int) -> None:
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._sizes: OrderedDict[str, int] = OrderedDict()  # key -> bytes, oldest first
        self._total = 0
        self._load()

    @staticmethod
    def key_for(text: str, lang: str, voice: str, rate: int, engine_version: str) -> str:
        """The sha256 hex digest (URL-safe) naming this exact rendering."""
        material = json.dumps([text, lang, voice, rate, engine_version], ensure_ascii=False)
        return hashlib.sha256(material.encode()).hexdigest()

    @staticmethod
    def is_key(key: str) -> bool:
        """Whether ``key`` looks like :meth:`key_for` output (and so cannot leave the folder)."""
        return _KEY.fullmatch(key) is not None

    def _wav(self, key: str) -> Path:
        if not self.is_key(key):
            raise ValueError(f"not an audio key: {key!r}")
        return self.directory / f"{key}.wav"

    def _meta(self, key: str) -> Path:
        return self._wav(key).with_suffix(".json")

    def _entry_bytes(self, key: str) -> int:
        return sum(p.stat().st_size for p in (self._wav(key), self._meta(key)) if p.exists())

    def _load(self) -> None:
        """Index what an earlier run left, oldest first; drop half-written temporary files."""
        for tmp in self.directory.glob("*.tmp"):
            tmp.unlink(missing_ok=True)
        wavs = sorted(self.directory.glob("*.wav"), key=lambda p: p.stat().st_mtime_ns)
        for path in filter(lambda p: self.is_key(p.stem), wavs):
            self._sizes[path.stem] = self._entry_bytes(path.stem)
        self._total = sum(self._sizes.values())
        with self._lock:
            self._evict()

    def get(self, key: str) -> bytes | None:
        """The WAV for ``key``, marking it recently used; None when absent."""
        path = self._wav(key)
        try:
            data = path.read_bytes()
            os.utime(path)
        except FileNotFoundError:
            with self._lock:
                self._total -= self._sizes.pop(key, 0)
            return None
        with self._lock:
            if key in self._sizes:
                self._sizes.move_to_end(key)
            else:  # written by another process sharing the directory
                self._sizes[key] = self._entry_bytes(key)
                self._total += self._sizes[key]
        return data

    def __contains__(self, key: str) -> bool:
        return self._wav(key).exists()

    def meta(self, key: str) -> dict[str, Any] | None:
        """What :meth:`put` was told produced ``key``; outlives a deleted WAV, not an eviction."""
        try:
            return json.loads(self._meta(key).read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return None

    def put(self, key: str, data: bytes, meta: dict[str, Any] | None = None) -> None:
        """Store ``data`` (and ``meta``) atomically, then evict least recently used entries."""
        if meta is not None:
            self._write(self._meta(key), json.dumps(meta, ensure_ascii=False).encode())
        self._write(self._wav(key), data)
        with self._lock:
            self._total -= self._sizes.pop(key, 0)
            self._sizes[key] = self._entry_bytes(key)
            self._total += self._sizes[key]
            self._evict()

    def _write(self, path: Path, data: bytes) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _evict(self) -> None:
        """Remove oldest entries until within budget; the newest always stays. Caller locks."""
        while self._total > self.max_bytes and len(self._sizes) > 1:
            key, size = self._sizes.popitem(last=False)
            self._wav(key).unlink(missing_ok=True)
            self._meta(key).unlink(missing_ok=True)
            self._total -= size

    @property
    def total_bytes(self) -> int:
        return self._total

    def __len__(self) -> int:
        return len(self._sizes)
