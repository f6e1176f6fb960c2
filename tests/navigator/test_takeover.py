"""A walk taken over by a connection that reached another process (hardening issue #19, item 14).

A second connection with the session's token takes the walk over: the first is told in words and
closed with 4000. Within one process that is the socket it replaces (test_live). Behind a proxy or
with ``serve --workers`` the second connection may reach another process, which resumes the walk
from its descriptor; the first process then finds the descriptor claimed by a newer connection on
its next claim check and tells its walker.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import time
from pathlib import Path

import aiohttp
import pytest

from navigator.handover import release_taken_walks
from navigator.keys import MAP, STORAGE
from navigator.livesessions import SESSIONS
from navigator.routeplan import plan_between
from navigator.settings import Settings
from navigator.simulation import SimulatedWalker, WalkOptions
from tests.navigator.conftest import ClientFactory
from tests.navigator.test_crash_safety import Server, client_of_worker
from tests.navigator.test_live import (
    END,
    START,
    create_session,
    open_session,
    scan_json,
    send_and_collect,
    walk_a_few_steps,
)

#: Longest a walker may go on talking to a process that lost the walk (claim check: 1 s).
TOLD_WITHIN_S = 2.5


async def told_and_closed(ws: aiohttp.ClientWebSocketResponse, lang: str) -> float:
    """Wait for the words and the 4000 close; seconds it took."""
    t0 = time.monotonic()
    told = await ws.receive_json(timeout=10)
    assert told["type"] == "replaced" and told["lang"] == lang and told["text"], told
    closed = await ws.receive(timeout=10)
    assert closed.type == aiohttp.WSMsgType.CLOSE and closed.data == 4000, closed
    return time.monotonic() - t0


async def test_a_takeover_in_another_process_tells_the_first_walker_and_closes_it(
    make_client: ClientFactory, settings: Settings
) -> None:
    fast = settings.with_(session_claim_check_s=0.1)
    a, b = await make_client(fast), await make_client(fast)  # two processes on one database
    walk, first, walker = await walk_a_few_steps(a, seed=1, steps=3, lang="de")
    second = await b.ws_connect(walk.ws_url)  # resumed there from the descriptor
    hello = await second.receive_json(timeout=10)
    assert hello["type"] == "session" and hello["session_id"] == walk.id
    assert await told_and_closed(first, "de") < TOLD_WITHIN_S
    assert walk.id not in a.app[SESSIONS].sessions  # the walk goes on in b only
    said = await send_and_collect(second, scan_json(walker.scan(3.0)))
    assert said[-1]["type"] == "fix"
    third = await a.ws_connect(walk.ws_url)  # and back again: now b's walker is told
    assert (await third.receive_json(timeout=10))["type"] == "session"
    assert await told_and_closed(second, "de") < TOLD_WITHIN_S
    said = await send_and_collect(third, scan_json(walker.scan(4.0)))
    assert said[-1]["type"] == "fix"
    await asyncio.sleep(0.3)  # claim checks of both go by: nobody else is closed
    assert not third.closed
    await third.close()


async def test_a_walk_nobody_took_is_left_alone_by_the_claim_check(
    make_client: ClientFactory, settings: Settings
) -> None:
    a = await make_client(settings.with_(session_claim_check_s=0.05))
    walk, ws = await open_session(a)
    await asyncio.sleep(0.3)
    assert not ws.closed and walk.id in a.app[SESSIONS].sessions
    await ws.close()


#: A request to the socket's URL with the right token whose WebSocket handshake fails: no
#: upgrade at all (a plain GET), and an upgrade in a WebSocket version the server does not speak.
FAILED_HANDSHAKES = [
    {},
    {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "99",
     "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="},
]


@pytest.mark.parametrize("elsewhere", [False, True], ids=["same_process", "other_process"])
@pytest.mark.parametrize("headers", FAILED_HANDSHAKES, ids=["no_upgrade", "bad_version"])
async def test_a_failed_handshake_takes_no_claim_and_leaves_the_walker_alone(
    make_client: ClientFactory, settings: Settings, headers: dict[str, str], elsewhere: bool
) -> None:
    """Issue 19: a connection claimed the walk before its handshake, so a handshake that then
    failed still counted as a takeover, and the claim check cut the walker off (in another
    process within a check; in its own, too: its claim was no longer the newest)."""
    fast = settings.with_(session_claim_check_s=0.05)
    a = await make_client(fast)
    b = await make_client(fast) if elsewhere else a
    walk, ws = await open_session(a)
    r = await b.get(walk.ws_url, headers=headers)
    assert r.status == 400, await r.text()
    await asyncio.sleep(0.3)  # claim checks of both go by
    assert not ws.closed and walk.id in a.app[SESSIONS].sessions
    assert a.app[STORAGE].session_claims([walk.id]) == {walk.id: 1}
    said = await send_and_collect(ws, scan_json(SimulatedWalker(
        a.app[MAP], plan_between(a.app[MAP], START, END, "blind_cane"),
        WalkOptions(seed=1)).scan(0.0)))
    assert said[-1]["type"] == "fix"
    await ws.close()


async def test_a_claim_that_fails_closes_the_new_socket_and_leaves_the_walker_alone(
    make_client: ClientFactory, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The claim is taken after the handshake now, so its failure (the database away) can no
    longer be a JSON error: the new socket is closed with 1011, the walker's goes on."""
    a = await make_client(settings.with_(session_claim_check_s=0.05))
    walk, ws = await open_session(a)

    def database_away(session_id: str) -> int | None:
        raise OSError("database away")

    monkeypatch.setattr(a.app[STORAGE], "claim_session", database_away)
    second = await a.ws_connect(walk.ws_url)
    closed = await second.receive(timeout=10)
    assert closed.type == aiohttp.WSMsgType.CLOSE and closed.data == 1011, closed
    await asyncio.sleep(0.3)
    assert not ws.closed and walk.id in a.app[SESSIONS].sessions
    await ws.close()


# --------------------------------------------------------------------------- two real workers


@pytest.mark.slow
def test_a_takeover_on_another_worker_of_serve_tells_the_first_walker(
    city_db_template: Path, tmp_path: Path
) -> None:
    db = tmp_path / "city.db"
    shutil.copy(city_db_template, db)
    env = {**os.environ, "BLINDPILOT_SPEECH": "0", "BLINDPILOT_BLUETOOTH_PROBE": "0",
           "BLINDPILOT_AUDIO_DIR": str(tmp_path / "audio")}
    env.pop("BLINDPILOT_DATABASE_URL", None)
    srv = Server(f"sqlite:///{db}", tmp_path, env=env, workers=2)
    srv.start()
    try:
        took_s = asyncio.run(_take_over_across_workers(srv.base))
    finally:
        srv.kill()
    assert took_s < TOLD_WITHIN_S, srv.log()


async def _take_over_across_workers(base: str) -> float:
    async with client_of_worker(base, 0) as zero, client_of_worker(base, 1) as one:
        async with zero.post(f"{base}/v1/sessions", json={
                "from": {"lat": START[0], "lon": START[1]}, "to": {"lat": END[0], "lon": END[1]},
                "lang": "en"}) as r:
            assert r.status == 201, await r.text()
            created = await r.json()
        ws_url = base + created["ws_url"]
        first = await zero.ws_connect(ws_url)
        assert (await first.receive_json(timeout=10))["type"] == "session"
        second = await one.ws_connect(ws_url)
        hello = await second.receive_json(timeout=30)
        assert hello["type"] == "session" and hello["session_id"] == created["session_id"]
        took_s = await told_and_closed(first, "en")
        assert not second.closed
        await second.close()
        return took_s


async def test_a_replaced_socket_is_closed_with_the_close_handshake(
    make_client: ClientFactory, settings: Settings
) -> None:
    """The replaced socket's connection stays up until the client answers the 4000 close frame
    (RFC 6455's close handshake). aiohttp closing it from the new connection's task dropped
    the TCP connection right after the frame: a browser busy at that moment saw the drop first,
    reported 1006 and reconnected to fight over the walk (the flaky browser test)."""
    a = await make_client(settings)
    walk = await create_session(a)
    first = await a.ws_connect(walk.ws_url, autoclose=False)
    assert (await first.receive_json(timeout=10))["type"] == "session"
    second = await a.ws_connect(walk.ws_url)
    assert (await first.receive_json(timeout=10))["type"] == "replaced"
    closing = await first.receive(timeout=10)
    assert closing.type == aiohttp.WSMsgType.CLOSE and closing.data == 4000
    await asyncio.sleep(0.3)
    connection = first._response.connection  # noqa: SLF001 - the TCP connection under it
    assert connection is not None and connection.transport is not None, "dropped unanswered"
    await first.close()  # the answer: now the server ends the connection
    assert (await second.receive_json(timeout=10))["type"] == "session"
    await second.close()


async def test_the_claim_check_leaves_a_walk_to_the_connection_claiming_it_here(
    make_client: ClientFactory, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A claim check that read the claim of a connection here before that connection swapped
    sockets took the walk as taken elsewhere: it dropped the session from this process (whose
    walk then went on unlisted: never touched, expired by others) and the new connection was
    told it took over nothing."""
    a = await make_client(settings)
    walk, first = await open_session(a)
    storage, written = a.app[STORAGE], threading.Event()
    go_on = threading.Event()
    claim = storage.claim_session

    def slow_claim(session_id: str) -> int | None:
        mine = claim(session_id)
        written.set()
        go_on.wait(10)
        return mine

    monkeypatch.setattr(storage, "claim_session", slow_claim)
    connecting = asyncio.ensure_future(a.ws_connect(walk.ws_url))
    await asyncio.to_thread(written.wait, 10)  # claimed in storage, not yet swapped in
    assert await release_taken_walks(a.app) == 0
    go_on.set()
    second = await connecting
    hello = await second.receive_json(timeout=10)
    assert hello["type"] == "session" and hello["took_over"] is True
    assert (await first.receive_json(timeout=10))["type"] == "replaced"
    assert walk.id in a.app[SESSIONS].sessions
    await second.close()
