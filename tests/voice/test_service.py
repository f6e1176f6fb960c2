"""The voice service over the real engine: validation, cache, re-synthesis, concurrency."""

from __future__ import annotations

import asyncio

import pytest

from voice.cache import AudioCache
from voice.earcon import earcon_wav
from voice.service import InvalidSpeechRequest, VoiceService, build_voice_service
from voice.speaker import SpeechUnavailable, TextOnlySpeaker


@pytest.fixture
def service(speaker, tmp_path):
    return VoiceService(speaker, AudioCache(tmp_path, 50_000_000))


@pytest.mark.parametrize(
    ("text", "lang", "code", "message"),
    [
        ("", "de", "empty_text", "empty"),
        ("   \n ", "de", "empty_text", "empty"),
        ("x" * 2000, "de", "text_too_long", "2000 characters; at most 500"),
        ("Hallo", "fr", "unsupported_language", "supported: de, en"),
        ("\u0002", "de", "invalid_text", "control character \\(U\\+0002\\)"),
        ("Links\u0007 abbiegen", "de", "invalid_text", "U\\+0007"),
        ("?! ...", "en", "nothing_to_speak", "no letter, digit or symbol"),
    ],
)
async def test_rejects_bad_requests(service, text, lang, code, message):
    with pytest.raises(InvalidSpeechRequest, match=message) as caught:
        await service.audio_key(text, lang)
    assert caught.value.code == code


async def test_symbols_digits_and_any_script_are_spoken(service):
    for text in ("+", "5", "€", "Müller-Straße", "Ελλάδα"):
        assert await service.audio_key(text, "de")


async def test_same_text_same_key_and_whitespace_does_not_matter(service):
    first = await service.audio_key("Biegen Sie links ab.", "de")
    assert await service.audio_key("  Biegen Sie   links ab. ", "de") == first
    assert await service.audio_key("Biegen Sie links ab.", "en") != first


async def test_audio_starts_with_the_earcon(service, wav_params):
    wav = await service.audio(await service.audio_key("Turn left.", "en"))
    channels, width, rate, frames = wav_params(wav)
    assert (channels, width, rate) == (1, 2, 22050)
    chime = earcon_wav(rate)
    assert wav[44 : 44 + len(chime) - 44] == chime[44:]
    assert frames > wav_params(chime)[3]


async def test_fifty_concurrent_distinct_phrases(service, wav_params):
    """pyttsx3 crashes when two threads call it: all 50 must come through the one worker."""
    texts = [f"In {n} Metern biegen Sie links in die Marktstraße ab." for n in range(50)]
    keys = await asyncio.gather(*(service.audio_key(t, "de") for t in texts))
    assert len(set(keys)) == 50
    wavs = await asyncio.gather(*(service.audio(k) for k in keys))
    assert all(wav_params(w)[3] > 0 for w in wavs)


async def test_concurrent_requests_for_one_phrase_synthesise_once(service, monkeypatch):
    calls = []
    real = service.speaker.synthesize_async

    async def counting(text, lang):
        calls.append(text)
        return await real(text, lang)

    monkeypatch.setattr(service.speaker, "synthesize_async", counting)
    keys = await asyncio.gather(*(service.audio_key("Gehen Sie weiter.", "de") for _ in range(5)))
    assert len(set(keys)) == 1 and calls == ["Gehen Sie weiter."]


async def test_a_missing_file_is_synthesised_again(service, tmp_path, wav_params):
    key = await service.audio_key("Kehren Sie um.", "de")
    frames = wav_params(await service.audio(key))[3]
    (tmp_path / f"{key}.wav").unlink()
    rebuilt = await service.audio(key)
    assert abs(wav_params(rebuilt)[3] - frames) < 0.05 * frames  # espeak-ng varies a little
    assert (tmp_path / f"{key}.wav").read_bytes() == rebuilt


async def test_a_missing_file_is_rebuilt_after_a_restart(service, speaker, tmp_path):
    key = await service.audio_key("Kehren Sie um.", "de")
    (tmp_path / f"{key}.wav").unlink()
    restarted = VoiceService(speaker, AudioCache(tmp_path, 50_000_000))
    assert (await restarted.audio(key))[:4] == b"RIFF"


@pytest.mark.parametrize("key", ["0" * 64, "../secret", "not-a-key"])
async def test_unknown_key_is_a_key_error(service, key):
    with pytest.raises(KeyError):
        await service.audio(key)


async def test_prewarm_fills_the_cache_in_order(service):
    phrases = [("Gehen Sie geradeaus.", "de"), ("Turn right.", "en")]
    keys = await service.prewarm(phrases)
    assert len(keys) == 2 and all(k in service.cache for k in keys)
    assert keys[0] == await service.audio_key(*phrases[0])


async def test_text_only_engine(tmp_path):
    service = VoiceService(TextOnlySpeaker(), AudioCache(tmp_path, 1000))
    assert service.tts == "text-only"
    with pytest.raises(SpeechUnavailable):
        await service.audio_key("Hallo", "de")
    assert await service.prewarm([("Hallo", "de")]) == []
    with pytest.raises(InvalidSpeechRequest):  # bad input is still bad input
        await service.audio_key("", "de")


async def test_speak_and_response_headers(service):
    wav = await service.speak("Turn left.", "en")
    key = await service.audio_key("Turn left.", "en")
    assert wav[:4] == b"RIFF" and wav == await service.audio(key)
    assert service.etag(key) == f'"{key}"'
    assert service.response_headers(key) == {
        "Content-Type": "audio/wav",
        "ETag": f'"{key}"',
        "Cache-Control": "public, max-age=31536000, immutable",
    }
    assert service.tts == "pyttsx3"


def test_build_voice_service(speaker, tmp_path):
    spoken = build_voice_service(tmp_path / "a", 1000)
    silent = build_voice_service(tmp_path / "b", 1000, speech=False)
    try:
        assert (spoken.tts, silent.tts) == ("pyttsx3", "text-only")
        assert (tmp_path / "a").is_dir() and spoken.cache.max_bytes == 1000
    finally:
        spoken.close()
