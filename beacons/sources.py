"""Where scans come from: one async interface; radio, simulator and replay implement it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Protocol, runtime_checkable

from beacons.model import Scan


@runtime_checkable
class ReadingSource(Protocol):
    """``async for scan in source.scans()``; a source ends when it has nothing more to say."""

    def scans(self) -> AsyncIterator[Scan]: ...


class RecordedSource:
    """Replays scans recorded earlier (tests, bug reports), as fast as they are consumed."""

    def __init__(self, scans: Iterable[Scan]) -> None:
        self._scans = tuple(scans)

    async def scans(self) -> AsyncIterator[Scan]:
        for scan in self._scans:
            yield scan
