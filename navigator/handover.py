"""Which connection holds a walk: a newer connection with the session's token takes it over,
in this process or in another one behind the same database (the claim is stored), and the one
it was taken from is told in words and closed with :data:`REPLACED`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from navigator.keys import SETTINGS, STORAGE
from navigator.livesessions import SESSIONS, LiveSession, save_track_part
from navigator.logs import short_id
from navigator.speech import with_audio
from voice.phrases import phrase_session_replaced

log = logging.getLogger(__name__)
#: Close code of a connection another one with the session's token took the walk over from.
REPLACED = 4000

#: What :func:`hand_over` cancels the task reading a replaced socket with.
HANDED_OVER = "handed over to a newer connection"


async def hand_over(app: web.Application, live: LiveSession, previous: web.WebSocketResponse,
                     reader: asyncio.Task[Any] | None) -> None:
    """A newer connection with the token resumes the walk: the older one is told in words
    (the walker hears it: if it was not them, someone else holds the walk) and closed.

    Closed by ``reader``, the task reading it (when there is one), not here: aiohttp closes a
    socket from another task than its reader's by dropping the TCP connection right after its
    close frame, without the client's answer; a browser busy at that moment saw the drop
    before the frame, reported 1006 instead of 4000, and reconnected to take the walk back.
    """
    text = phrase_session_replaced(live.nav.lang)
    try:
        await previous.send_json(with_audio(app, {"type": "replaced", "text": text,
                                                   "lang": live.nav.lang}))
    except (ConnectionError, RuntimeError):  # it was already going away: nobody to tell
        pass
    if reader is not None and not reader.done():
        reader.cancel(HANDED_OVER)
    else:
        await close_replaced(previous)


async def close_replaced(ws: web.WebSocketResponse) -> None:
    """Close with 4000 and wait for the client's close frame (up to aiohttp's close timeout)."""
    await ws.close(code=REPLACED, message=b"replaced by a newer connection")


async def claims_ctx(app: web.Application) -> AsyncIterator[None]:
    """Look every ``session_claim_check_s`` for walks a connection in another process took
    over from this one."""

    async def watch() -> None:
        while True:
            await asyncio.sleep(app[SETTINGS].session_claim_check_s)
            try:
                await release_taken_walks(app)
            except Exception:  # noqa: BLE001 - e.g. the database is briefly away: next round
                log.exception("claim check failed", extra={"event": "claim_check_failed"})

    task = asyncio.create_task(watch())
    yield
    task.cancel()


async def release_taken_walks(app: web.Application) -> int:
    """Tell and disconnect every walker here whose walk a newer connection claimed in another
    process (the walk goes on there; this process forgets it and keeps its part of an opted-in
    track); how many. One query for all of this process's connected walks."""
    registry = app[SESSIONS]
    held = [s.id for s in registry.sessions.values() if s.ws is not None and s.claim is not None]
    if not held:
        return 0
    claims = await asyncio.to_thread(app[STORAGE].session_claims, held)
    # a connection here claiming the walk meanwhile may hold the newest claim: its swap decides
    taken = [live for live in map(registry.sessions.get, held)
             if live is not None and live.ws is not None and live.claim is not None
             and not live.claiming and claims.get(live.id, 0) > live.claim]
    for live in taken:
        ws, reader = live.ws, live.reader
        live.ws = live.reader = None
        registry.sessions.pop(live.id, None)
        log.info("session taken over elsewhere",
                 extra={"event": "session_taken_over", "session": short_id(live.id)})
        assert ws is not None
        await hand_over(app, live, ws, reader)
        await save_track_part(app, live)
    return len(taken)
