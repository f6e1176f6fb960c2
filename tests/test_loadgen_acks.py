"""The load generator sends each walk's scans as text frames and counts a scan the server leaves
unanswered for ``ACK_TIMEOUT_S`` as an error that drops its session (issue #14: the timeout is
checked by one watchdog, not by a timer per answer)."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import WSMsgType, web

from benchmarks import loadgen
from benchmarks.loadgen import LoadGenerator, Walk


def _server(received: list[str], answer_first: int) -> web.Application:
    """A server that answers the first ``answer_first`` scans with a fix and then falls
    silent."""

    async def create(request: web.Request) -> web.Response:
        return web.json_response({"ws_url": "/v1/sessions/s/ws"}, status=201)

    async def socket_(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str('{"type":"session"}')
        async for msg in ws:
            assert msg.type == WSMsgType.TEXT
            received.append(msg.data)
            if len(received) <= answer_first:
                await ws.send_str('{"type":"fix","available":true}')
        return ws

    app = web.Application()
    app.router.add_post("/v1/sessions", create)
    app.router.add_get("/v1/sessions/{id}/ws", socket_)
    return app


async def test_a_scan_left_unanswered_times_its_session_out(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loadgen, "ACK_TIMEOUT_S", 0.3)
    monkeypatch.setattr(loadgen, "ACK_CHECK_S", 0.05)
    received: list[str] = []
    runner = web.AppRunner(_server(received, answer_first=2))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]  # noqa: SLF001
    messages = tuple(f'{{"type":"scan","t":{t}}}' for t in range(5))
    gen = LoadGenerator(f"http://127.0.0.1:{port}", [Walk((0.0, 0.0), (0.0, 0.0), messages)])
    gen.rate = 10.0
    try:
        await gen.grow_to(1, timeout_s=5.0)
        for _ in range(100):  # the two answered scans, then the third times out
            if gen.stats.dropped_sessions:
                break
            await asyncio.sleep(0.05)
    finally:
        await gen.close()
        await runner.cleanup()
    assert received[:3] == list(messages[:3])  # sent as text, in order
    assert len(gen.stats.latencies_ms) == 2
    assert (gen.stats.errors, gen.stats.dropped_sessions) == (1, 1)
