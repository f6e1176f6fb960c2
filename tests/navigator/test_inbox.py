"""The process's inbox: rounds, late scans set aside unpositioned, the last check before use,
stop answered only once the session is ended (fake sockets and answers; the real pipeline is in
test_live.py)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from beacons.model import Scan
from navigator.backpressure import ScanBudget
from navigator.inbox import Delivery, Inbox
from navigator.liveschemas import CommandMessage, ScanIn


@dataclass(eq=False)
class FakeWs:
    frames: list[dict[str, Any]] = field(default_factory=list)
    closed: bool = False
    _writer: None = None  # no transport: nothing buffered

    async def send_frame(self, data: bytes, opcode: object) -> None:
        self.frames.append(json.loads(data))

    async def close(self, code: int, message: bytes) -> bool:
        self.closed = True
        return True


@dataclass
class FakeLive:
    id: str


def scan(t: float) -> ScanIn:
    return ScanIn(Scan((), t))


def command(kind: str) -> CommandMessage:
    return CommandMessage(type=kind)


def _kind(message: Any) -> str:
    return "scan" if isinstance(message, ScanIn) else message.type


class Recorder:
    """Answers as the live module would, and records who was answered how."""

    def __init__(self, work_s: float = 0.0) -> None:
        self.work_s = work_s
        self.answered: list[str] = []
        self.late: list[str] = []
        self.stale_at_use: list[str] = []
        self.ended: list[str] = []

    def answer(self, batch: Sequence[Delivery], fresh: Callable[[int], bool]
               ) -> list[list[dict[str, Any]]]:
        time.sleep(self.work_s)  # positioning the round's scans
        out = []
        for i, d in enumerate(batch):
            if not isinstance(d.message, ScanIn) or fresh(i):
                self.answered.append(d.live.id)
                out.append([{"type": "fix", "available": True, "for": _kind(d.message)}])
            else:
                self.stale_at_use.append(d.live.id)
                out.append([{"type": "fix", "available": False, "reason": "late"}])
        return out

    def answer_late(self, d: Delivery) -> list[dict[str, Any]]:
        self.late.append(d.live.id)
        return [{"type": "fix", "available": False, "reason": "late"}]

    async def end(self, live: Any) -> None:
        await asyncio.sleep(0.01)
        self.ended.append(live.id)


async def run_inbox(recorder: Recorder, puts: list[tuple[str, Any, float]]) -> dict[str, FakeWs]:
    """Put (session, message, seconds already waited) into a running inbox; each session's
    socket once everything was answered."""
    inbox = Inbox(ScanBudget(), recorder.answer, recorder.answer_late, recorder.end)
    task = asyncio.create_task(inbox.run())
    loop = asyncio.get_running_loop()
    sockets: dict[str, FakeWs] = {}
    for session, message, waited_s in puts:
        ws = sockets.setdefault(session, FakeWs())
        inbox.put(FakeLive(session), ws, message, loop.time() - waited_s)  # type: ignore[arg-type]
    for _ in range(200):
        await asyncio.sleep(0.01)
        if not inbox.waiting and not recorder.work_s:
            break
    await asyncio.sleep(0.05 + recorder.work_s * 3)
    task.cancel()
    await inbox.close()
    return sockets


async def test_a_scan_that_already_waited_too_long_is_answered_late_without_positioning(
) -> None:
    recorder = Recorder()
    sockets = await run_inbox(recorder, [("a", scan(1.0), 2.0), ("b", scan(1.0), 0.0),
                                         ("a", command("repeat"), 2.0)])
    assert recorder.late == ["a"] and sorted(recorder.answered) == ["a", "b"]
    assert [f.get("reason") for f in sockets["a"].frames] == ["late", None]
    assert sockets["b"].frames == [{"type": "fix", "available": True, "for": "scan"}]


async def test_a_scan_that_grew_too_old_while_its_round_ran_is_not_used() -> None:
    recorder = Recorder(work_s=0.3)
    sockets = await run_inbox(recorder, [("a", scan(1.0), 0.8)])  # 0.8 s + 0.3 s of work
    assert recorder.late == [] and recorder.stale_at_use == ["a"]
    assert sockets["a"].frames == [{"type": "fix", "available": False, "reason": "late"}]


async def test_stop_is_answered_after_the_session_ended_and_closes_the_socket() -> None:
    recorder = Recorder()
    sockets = await run_inbox(recorder, [("a", command("stop"), 0.0)])
    assert recorder.ended == ["a"]
    assert sockets["a"].frames == [{"type": "fix", "available": True, "for": "stop"}]
    assert sockets["a"].closed


@dataclass
class SlowTransport:
    def get_write_buffer_size(self) -> int:
        return 4096  # the reader is behind: the kernel's buffer is full


@dataclass
class SlowWriter:
    transport: SlowTransport = field(default_factory=SlowTransport)


@dataclass(eq=False)
class SlowWs(FakeWs):
    """A socket whose reader is behind: each frame waits until the test lets it through."""

    _writer: SlowWriter = field(default_factory=SlowWriter)  # type: ignore[assignment]
    drained: asyncio.Event = field(default_factory=asyncio.Event)

    async def send_frame(self, data: bytes, opcode: object) -> None:
        await self.drained.wait()
        self.frames.append(json.loads(data))


async def test_a_reader_that_is_behind_holds_up_nobody_and_keeps_its_order() -> None:
    recorder = Recorder()
    inbox = Inbox(ScanBudget(), recorder.answer, recorder.answer_late, recorder.end)
    task = asyncio.create_task(inbox.run())
    loop = asyncio.get_running_loop()
    slow, fast = SlowWs(), FakeWs()
    inbox.put(FakeLive("a"), slow, scan(1.0), loop.time())  # type: ignore[arg-type]
    inbox.put(FakeLive("b"), fast, scan(1.0), loop.time())  # type: ignore[arg-type]
    inbox.put(FakeLive("a"), slow, command("repeat"), loop.time())  # type: ignore[arg-type]
    for _ in range(100):
        await asyncio.sleep(0.01)
        if fast.frames and not inbox.waiting:
            break
    assert fast.frames == [{"type": "fix", "available": True, "for": "scan"}]
    assert slow.frames == []
    slow.drained.set()
    await asyncio.sleep(0.05)
    assert [f["for"] for f in slow.frames] == ["scan", "repeat"], "in their order"
    task.cancel()
    await inbox.close()


class PerMessage(Recorder):
    """Answers cost ``work_s`` per message, as positioning does."""

    count = 0  #: messages answered so far

    def answer(self, batch: Sequence[Delivery], fresh: Callable[[int], bool]
               ) -> list[list[dict[str, Any]]]:
        time.sleep(self.work_s * len(batch))
        self.count += len(batch)
        return super().answer([], fresh) + [
            [{"type": "fix", "available": True, "for": _kind(d.message)}] for d in batch]


async def test_a_round_of_a_thousand_queued_scans_never_holds_the_loop_long() -> None:
    """1,000 walkers' scans waiting when the worker starts (no cost estimate yet) at 1 ms each:
    the rounds are cut by the clock, so the sockets are read every round (20 ms) and not once
    a second. Counted in answers between two turns of the loop, not in wall time: on a busy
    machine a 1 ms answer can take longer, which only shortens a round (the wall-time check
    failed once at load 5: 54 ms)."""
    recorder, budget = PerMessage(work_s=0.001), ScanBudget()
    inbox = Inbox(budget, recorder.answer, recorder.answer_late, recorder.end)
    loop = asyncio.get_running_loop()
    sockets = [FakeWs() for _ in range(1000)]
    for i, ws in enumerate(sockets):
        inbox.put(FakeLive(f"w{i}"), ws, scan(1.0), loop.time())  # type: ignore[arg-type]
    answered_per_turn: list[int] = []

    async def heartbeat() -> None:
        last = 0
        while True:
            await asyncio.sleep(0)
            now = recorder.count
            answered_per_turn.append(now - last)
            last = now

    beat = asyncio.create_task(heartbeat())
    task = asyncio.create_task(inbox.run())
    for _ in range(500):
        await asyncio.sleep(0.01)
        if not inbox.waiting:
            break
    task.cancel()
    beat.cancel()
    await inbox.close()
    assert all(len(ws.frames) == 1 for ws in sockets), "every scan answered once"
    # one round: what fits in 20 ms at >= 1 ms each, and the message that crossed it
    most = round(budget.round_s / 0.001) + 1
    assert max(answered_per_turn) <= most, f"one round answered {max(answered_per_turn)}"
