"""Reading what clients send: body limits while reading, slow bodies, nesting depth of JSON."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient

from navigator import api
from navigator.routes import route_tables
from navigator.settings import Settings
from tests.navigator.conftest import auth
from tests.navigator.test_live import open_session
from tests.navigator.test_server import leave_mid_body

DEEP = "[" * 1000 + "]" * 1000
JSON_ENDPOINTS = [(ep.method, ep.path) for t in route_tables() for ep in t.endpoints
                  if ep.body is not None]


@pytest.mark.parametrize(("text", "depth"), [
    ("{}", 1), ('{"a": [1, {"b": []}]}', 4), ('"[[[[{{"', 0), ('["\\"[[[", [[]]]', 3),
    ("", 0), ("1", 0)])
def test_nesting_depth_leaves_strings_out(text: str, depth: int) -> None:
    assert api._nesting_depth(text.encode()) == depth


def test_decode_json_refuses_deep_nesting_before_parsing() -> None:
    with pytest.raises(ValueError, match="nested 1000 levels deep; at most 32"):
        api.decode_json(DEEP)
    assert api.decode_json("[" * 32 + "]" * 32) == json.loads("[" * 32 + "]" * 32)
    with pytest.raises(ValueError, match="not valid JSON"):
        api.decode_json(b'{"a": NaN}')


def test_depth_of_a_megabyte_of_brackets_or_quotes_is_quick() -> None:
    for body in (b"[" * api.MAX_BODY_BYTES, b'"\\' * (api.MAX_BODY_BYTES // 2),
                 b'"' + b"a" * api.MAX_BODY_BYTES, b'"a' * (api.MAX_BODY_BYTES // 2)):
        t = time.perf_counter()
        api._nesting_depth(body)
        assert time.perf_counter() - t < 0.5


async def test_deep_json_is_400_on_every_json_endpoint(client: TestClient,
                                                       api_keys: dict[str, str]) -> None:
    """Reported: a 500 with a RecursionError traceback."""
    assert len(JSON_ENDPOINTS) > 10
    for method, path in JSON_ENDPOINTS:
        r = await client.request(method, path.replace("{id}", "1"), data=DEEP,
                                 headers={**auth(api_keys["admin"]),
                                          "Content-Type": "application/json"})
        assert r.status == 400, (method, path, r.status)
        error = (await r.json())["error"]
        assert error["code"] == "invalid_json" and "nested 1000 levels" in error["message"]


async def test_deep_json_over_the_websocket_is_an_error_and_the_session_goes_on(
    client: TestClient,
) -> None:
    """Reported: the socket died with close code 1002."""
    _, ws = await open_session(client)
    await ws.send_str(DEEP)
    error = await ws.receive_json(timeout=10)
    assert error["type"] == "error" and error["code"] == "invalid_message"
    assert "nested 1000 levels" in error["message"]
    await ws.send_json({"type": "where_am_i"})
    assert (await ws.receive_json(timeout=10))["type"] == "instruction"
    await ws.close()


async def chunks(total: int, size: int = 256 * 1024) -> AsyncIterator[bytes]:
    """``total`` bytes of a JSON-looking body, sent chunked (no Content-Length)."""
    sent = 0
    piece = b" " * size
    while sent < total:
        yield piece[: total - sent]
        sent += size


@pytest.mark.parametrize("total", [api.MAX_BODY_BYTES + 1, 63 * 1024 * 1024])
async def test_a_chunked_body_over_the_limit_is_413_while_it_is_read(client: TestClient,
                                                                     total: int) -> None:
    """Reported: an anonymous chunked POST /v1/routes of 63 MB was read whole (RSS 1.57 GB)."""
    r = await client.post("/v1/routes", data=chunks(total),
                          headers={"Content-Type": "application/json"})
    assert r.status == 413, await r.text()
    assert (await r.json())["error"]["code"] == "body_too_large"


async def test_a_body_of_exactly_the_limit_is_read(client: TestClient) -> None:
    body = b'{"from": {"lat": 49.43666, "lon": 7.76797}, "to": {"lat": 49.4432, "lon": 7.7717}}'
    padded = body + b" " * (api.MAX_BODY_BYTES - len(body))

    async def one_chunk() -> AsyncIterator[bytes]:
        yield padded

    r = await client.post("/v1/routes", data=one_chunk(),
                          headers={"Content-Type": "application/json"})
    assert r.status == 200, await r.text()


async def test_a_body_that_stops_arriving_is_408(make_client, settings: Settings) -> None:
    client = await make_client(settings.with_(body_timeout_s=0.5))
    assert client.server.port is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", client.server.port)
    writer.write(b"POST /v1/routes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 100\r\n\r\n{\"from\":")
    await writer.drain()
    t = time.perf_counter()
    status_line = await asyncio.wait_for(reader.readline(), timeout=10)
    assert status_line.startswith(b"HTTP/1.1 408"), status_line
    assert 0.4 < time.perf_counter() - t < 5
    writer.close()




async def test_a_client_leaving_mid_body_is_counted_499_when_its_handler_is_cancelled(
    client: TestClient,
) -> None:
    """The test server cancels the handler of a client that left (serve does not: see
    tests/navigator/test_server.py); counted as 499 either way."""
    assert client.server.port is not None
    assert await leave_mid_body(client.server.port) == ["499"]
