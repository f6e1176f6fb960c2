"""The live messages of this process, and the one task that answers them in rounds.

A WebSocket handler only reads: it stamps each message with the time it came and leaves it here.
One task takes what waits, picks a round (:func:`navigator.backpressure.next_round`: at most one
message per walker, the freshest first when a queue forms, scans too old to guide anyone set
aside), has it answered in one call (so the scans of a round can be positioned together) and
sends the answers. Between rounds the sockets are read, so a scan's stamp is never more than a
round behind its arrival.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import WSMsgType, web

from navigator.backpressure import ScanBudget, Waiting, next_round, too_old
from navigator.liveschemas import ClientMessageRead, CommandMessage, ScanIn
from navigator.livesessions import LiveSession

log = logging.getLogger(__name__)

#: A message as the handler read it: decoded, or the error to send back instead.
Incoming = ClientMessageRead | dict[str, Any]
Replies = list[dict[str, Any]]
INTERNAL_ERROR = {"type": "error", "code": "internal_error",
                  "message": "this message could not be answered (logged)"}


def dumps(message: dict[str, Any]) -> bytes:
    """A message as a frame's UTF-8 JSON (orjson: several times faster than json.dumps; the
    positioner's numpy numbers included)."""
    return orjson.dumps(message, option=orjson.OPT_SERIALIZE_NUMPY)


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message of one walker, and the socket its answers go back on."""

    live: LiveSession
    ws: web.WebSocketResponse
    message: Incoming


#: Answers one message of each of several walkers; ``fresh(i)``, asked after their scans were
#: positioned, says whether message ``i`` may still guide anyone.
Answer = Callable[[Sequence[Delivery], Callable[[int], bool]], list[Replies]]
#: Answers a scan that came too late to be used.
AnswerLate = Callable[[Delivery], Replies]
#: Forgets a stopped session everywhere (storage too), before the walker hears "stopped".
End = Callable[[LiveSession], Awaitable[None]]


class Inbox:
    """What waits for an answer in this process; :meth:`run` answers it."""

    def __init__(self, budget: ScanBudget, answer: Answer, answer_late: AnswerLate,
                 end: End) -> None:
        self.budget = budget
        self._answer, self._answer_late, self._end = answer, answer_late, end
        self._waiting: list[Waiting[Delivery]] = []
        self._wake = asyncio.Event()
        #: Seconds one answer took lately (a moving average), to size the rounds.
        self.cost_s = 0.0
        #: Sends that wait (a reader behind, a session ending), so they hold up nobody else.
        self._tasks: set[asyncio.Task[None]] = set()
        #: The last waiting send to each socket whose reader is behind: later ones queue after it.
        self._behind: dict[web.WebSocketResponse, asyncio.Task[None]] = {}

    def put(self, live: LiveSession, ws: web.WebSocketResponse, message: Incoming,
            received_s: float) -> None:
        """Leave a message (``received_s`` on the event loop's clock) to be answered."""
        self._waiting.append(Waiting(live.id, received_s, isinstance(message, ScanIn),
                                     Delivery(live, ws, message)))
        self._wake.set()

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    async def run(self) -> None:
        """Answer rounds until cancelled; read the sockets between rounds."""
        loop = asyncio.get_running_loop()
        while True:
            if not self._waiting:
                self._wake.clear()
                await self._wake.wait()
            now = loop.time()
            round_ = next_round(self._waiting, now, self.cost_s, self.budget)
            self._waiting = round_.later
            for w in round_.late:
                await self._send(w.item.ws, self._answer_late(w.item))
            if round_.answer:
                await self._answer_in_slices(round_.answer, loop)
            if self._waiting:  # else waiting for the next message lets the sockets be read
                await asyncio.sleep(0)

    async def _answer_in_slices(self, answer: list[Waiting[Delivery]],
                                loop: asyncio.AbstractEventLoop) -> None:
        """Answer a round slice by slice until it is done or has held the loop for
        ``budget.round_s``; what is left waits, first in line, for the next round.

        The round's size is only an estimate (:attr:`cost_s`, a moving average): a walker's
        first scans and re-localisations cost several times the mean, and before the first
        answer there is no estimate at all (a worker that starts with 1,000 walkers waiting
        answered them all in one round, seconds without reading a socket). So the first slice
        is what the estimate says fits (one message without one) and the clock, not the
        estimate, ends the round.
        """
        start = time.perf_counter()
        deadline = start + self.budget.round_s
        done = 0
        while done < len(answer):
            left_s = deadline - time.perf_counter()
            size = 1 if self.cost_s <= 0 else max(1, int(left_s / self.cost_s))
            piece = answer[done:done + size]
            t0 = time.perf_counter()
            try:
                replies = self._answer([w.item for w in piece], self._freshness(piece, loop))
            except Exception:  # noqa: BLE001 - a bug must not silence every walker
                log.exception("live round failed", extra={"event": "live_round_failed"})
                replies = [[INTERNAL_ERROR]] * len(piece)
            for w, out in zip(piece, replies, strict=True):
                if _is_stop(w.item.message):
                    self._spawn(self._stop(w.item, out))
                else:
                    await self._send(w.item.ws, out)
            # what one answer holds the loop for: positioning, guidance and writing it
            per = (time.perf_counter() - t0) / len(piece)
            self.cost_s = per if self.cost_s == 0 else 0.8 * self.cost_s + 0.2 * per
            done += len(piece)
            if time.perf_counter() >= deadline:
                break
        if done < len(answer):
            self._waiting = answer[done:] + self._waiting

    def _freshness(self, answer: list[Waiting[Delivery]], loop: asyncio.AbstractEventLoop
                   ) -> Callable[[int], bool]:
        """Whether message ``i`` of a round may still guide anyone, asked when it is used."""
        received = [w.received_s for w in answer]
        return lambda i: not too_old(received[i], loop.time(), self.budget)

    async def _send(self, ws: web.WebSocketResponse, replies: Replies) -> None:
        """Write the answers now (an empty buffer never makes aiohttp wait for the reader); to a
        socket whose reader is behind, from a task of its own, in order, so it holds up nobody
        else (a reader that never catches up is closed by the heartbeat)."""
        if not replies or ws.closed:
            return
        frames = [dumps(out) for out in replies]
        previous = self._behind.get(ws)
        if previous is None and _write_buffer_size(ws) == 0:
            await _write(ws, frames)
            return

        async def write_after_previous() -> None:
            if previous is not None:
                await asyncio.wait([previous])
            await _write(ws, frames)

        task = self._spawn(write_after_previous())
        self._behind[ws] = task
        task.add_done_callback(
            lambda t: self._behind.pop(ws) if self._behind.get(ws) is t else None)

    async def _stop(self, delivery: Delivery, replies: Replies) -> None:
        await self._end(delivery.live)
        await _write(delivery.ws, [dumps(out) for out in replies])
        await delivery.ws.close(code=1000, message=b"session ended")

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def close(self) -> None:
        """Cancel the sends still waiting (at shutdown)."""
        for task in list(self._tasks):
            task.cancel()


def _is_stop(message: Incoming) -> bool:
    return isinstance(message, CommandMessage) and message.type == "stop"


def _write_buffer_size(ws: web.WebSocketResponse) -> int:
    writer = ws._writer  # noqa: SLF001 - aiohttp has no public view of the socket's buffer
    transport = writer.transport if writer is not None else None
    return transport.get_write_buffer_size() if transport is not None else 0


async def _write(ws: web.WebSocketResponse, frames: list[bytes]) -> None:
    try:
        for frame in frames:
            await ws.send_frame(frame, WSMsgType.TEXT)
    except ConnectionError:
        pass  # the walker's phone went away; a reconnect resumes the session


INBOX = web.AppKey("inbox", Inbox)
