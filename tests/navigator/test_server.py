"""The served socket: connections that never finish a request head are closed in time."""

from __future__ import annotations

import asyncio
import io
import logging
import re
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from navigator.app import create_app
from navigator.server import make_runner, print_banner
from navigator.settings import Settings

TIMEOUT_S = 1.0


@pytest.fixture
async def port(settings: Settings) -> AsyncIterator[int]:
    """A port served as ``blindpilot serve`` serves, with a 1 s header timeout."""
    quick = settings.with_(header_timeout_s=TIMEOUT_S)
    runner = make_runner(create_app(quick), quick)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield int(runner.addresses[0][1])
    finally:
        await runner.cleanup()


async def closed_after(reader: asyncio.StreamReader) -> float:
    """Seconds until the server closes the connection (reading whatever it sends)."""
    t = time.perf_counter()
    await asyncio.wait_for(reader.read(), timeout=10 * TIMEOUT_S)
    return time.perf_counter() - t


async def test_half_a_header_is_closed_within_the_timeout(port: int) -> None:
    """Reported: 2,000 silent or half-header sockets stayed open for 100 s and more."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Half:")
    await writer.drain()
    assert await closed_after(reader) < 3 * TIMEOUT_S
    writer.close()


async def test_silent_sockets_are_closed_within_the_timeout(port: int) -> None:
    conns = [await asyncio.open_connection("127.0.0.1", port) for _ in range(200)]
    t = time.perf_counter()
    await asyncio.gather(*(asyncio.wait_for(r.read(), timeout=10 * TIMEOUT_S) for r, _ in conns))
    assert time.perf_counter() - t < 3 * TIMEOUT_S
    for _, writer in conns:
        writer.close()


async def test_a_header_trickled_byte_by_byte_is_still_closed_in_time(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)

    async def trickle() -> None:
        for byte in b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100:
            writer.write(bytes([byte]))
            await asyncio.sleep(0.05)

    sender = asyncio.create_task(trickle())
    assert await closed_after(reader) < 3 * TIMEOUT_S
    sender.cancel()
    writer.close()


async def test_a_prompt_request_is_answered_on_such_a_server(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    answer = await asyncio.wait_for(reader.read(), timeout=10)
    assert answer.startswith(b"HTTP/1.1 200")
    writer.close()


async def leave_mid_body(port: int) -> list[str]:
    """Send half a POST /v1/routes body and close; the statuses /metrics then counts for it."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"POST /v1/routes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 1000\r\n\r\n{\"from\":")
    await writer.drain()
    await asyncio.sleep(0.2)
    writer.close()
    async with aiohttp.ClientSession() as http:
        for _ in range(100):  # the server notices the close on a later turn of its loop
            async with http.get(f"http://127.0.0.1:{port}/metrics") as r:
                found = re.findall(r'requests_total\{method="POST",route="/v1/routes",'
                                   r'status="(\d+)"\}', await r.text())
            if found:
                return found
            await asyncio.sleep(0.05)
    return []


async def test_a_client_leaving_mid_body_is_a_499_logged_as_info(
    port: int, caplog: pytest.LogCaptureFixture
) -> None:
    """Reported: logged as an unhandled error and counted as a 500 in /metrics."""
    with caplog.at_level(logging.INFO, logger="navigator.api"):
        assert await leave_mid_body(port) == ["499"]
    records = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "navigator.api"]
    assert records == [("INFO", "client disconnected")]


class _Writes(io.StringIO):
    """A stdout that keeps each write apart, as an unbuffered one hands each to the OS."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def write(self, s: str) -> int:
        self.writes.append(s)
        return super().write(s)


def test_the_banner_is_one_write_so_another_process_cannot_land_inside_its_lines() -> None:
    """A worker's stdout is the supervisor's log file too: with the banner's line end written
    apart, the supervisor's "worker_died" JSON line was once found on the banner's line."""
    out = _Writes()
    print_banner("http://127.0.0.1:8080", None, out)
    (text,) = out.writes
    first, curl = text.splitlines()
    assert first.startswith("Blind Pilot is serving on http://127.0.0.1:8080")
    assert curl.startswith("curl -s -X POST http://127.0.0.1:8080/v1/routes")
    assert text.endswith("\n")
