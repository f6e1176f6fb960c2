"""Spoken audio over HTTP with the real engine: URLs in routes, WAV bytes, caching headers."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

from navigator.keys import VOICE
from navigator.settings import Settings

ROUTE = {"from": {"lat": 49.43666, "lon": 7.76797}, "to": {"lat": 49.4432, "lon": 7.7717}}


@pytest.fixture
async def speaking(make_client, settings: Settings) -> TestClient:
    client = await make_client(settings.with_(speech=True))
    if (await (await client.get("/health")).json())["tts"] == "text-only":
        pytest.skip("no speech engine could be loaded on this machine")
    return client


async def test_route_maneuvers_carry_audio_urls_that_serve_wav(speaking: TestClient) -> None:
    body = await (await speaking.post("/v1/routes", json={**ROUTE, "lang": "de"})).json()
    urls = [m["audio_url"] for m in body["maneuvers"]]
    assert all(u and u.startswith("/v1/audio/") and u.endswith(".wav") for u in urls)
    r = await speaking.get(urls[0])
    assert r.status == 200 and r.content_type == "audio/wav"
    assert (await r.read())[:4] == b"RIFF"
    etag = r.headers["ETag"]
    assert "max-age" in r.headers["Cache-Control"]
    again = await speaking.get(urls[0], headers={"If-None-Match": etag})
    assert again.status == 304


async def test_speech_endpoint_and_its_bad_input(speaking: TestClient) -> None:
    r = await speaking.post("/v1/speech", json={"text": "Hallo Kaiserslautern", "lang": "de"})
    assert r.status == 200
    assert (await (await speaking.get((await r.json())["audio_url"])).read())[:4] == b"RIFF"
    for body, code in (({"text": "", "lang": "de"}, "empty_text"),
                       ({"text": "x" * 2000, "lang": "en"}, "text_too_long"),
                       ({"text": "Bonjour", "lang": "fr"}, "unsupported_language"),
                       # reported: 503 speech_unavailable, as if there were no engine
                       ({"text": "\u0002", "lang": "de"}, "invalid_text"),
                       ({"text": "...", "lang": "de"}, "nothing_to_speak")):
        r = await speaking.post("/v1/speech", json=body)
        assert r.status == 422
        err = (await r.json())["error"]
        assert err["code"] == code
        if code == "unsupported_language":
            assert "de, en" in err["message"]


async def test_a_missing_cache_file_is_resynthesised_not_a_500(speaking: TestClient) -> None:
    r = await speaking.post("/v1/speech", json={"text": "Die Ampel hat einen Signalton.",
                                                "lang": "de"})
    key = (await r.json())["key"]
    cache = speaking.app[VOICE].cache
    for path in cache.directory.glob(f"**/{key}*.wav"):
        path.unlink()
    r = await speaking.get(f"/v1/audio/{key}.wav")
    assert r.status == 200 and (await r.read())[:4] == b"RIFF"


async def test_unknown_audio_key_is_404(speaking: TestClient) -> None:
    assert (await speaking.get(f"/v1/audio/{'0' * 64}.wav")).status == 404
    assert (await speaking.get("/v1/audio/..%2F..%2Fetc.wav")).status == 404


async def test_text_only_server_says_so(client: TestClient) -> None:
    assert (await (await client.get("/health")).json())["tts"] == "text-only"
    r = await client.post("/v1/speech", json={"text": "Hallo", "lang": "de"})
    assert r.status == 503
