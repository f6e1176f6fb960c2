"""Speech for the HTTP side: the app's voice service, audio URLs of sentences, pre-warming."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from navigator.keys import BACKGROUND, SETTINGS, VOICE
from voice.service import VoiceService, build_voice_service
from voice.speaker import SpeechUnavailable


async def voice_ctx(app: web.Application) -> AsyncIterator[None]:
    """Own the voice service (and the background tasks that pre-warm its cache)."""
    settings = app[SETTINGS]
    service = await asyncio.to_thread(build_voice_service, settings.audio_dir,
                                      settings.audio_cache_bytes, speech=settings.speech)
    app[VOICE] = service
    app[BACKGROUND] = set()
    yield
    pending: set[asyncio.Task[Any]] = app[BACKGROUND]
    for task in list(pending):
        task.cancel()
    await asyncio.to_thread(service.close)


def voice_of(app: web.Application) -> VoiceService | None:
    """The voice service when it can speak; None means text-only (no audio URLs)."""
    voice = app[VOICE]
    return voice if voice.speaker.available else None


def speech_engine_name(app: web.Application) -> str:
    return app[VOICE].tts


def audio_url(voice: VoiceService, text: str, lang: str) -> str | None:
    """Where a sentence's audio will be (synthesised on first fetch if not pre-warmed)."""
    try:
        return f"/v1/audio/{voice.key_of(text, lang)}.wav"
    except (SpeechUnavailable, ValueError):
        return None


def with_audio(app: web.Application, out: dict[str, Any]) -> dict[str, Any]:
    """A message with a ``text`` in ``lang``, with the ``audio_url`` of that sentence (None when
    the service speaks no audio)."""
    voice = voice_of(app)
    return {**out, "audio_url": audio_url(voice, out["text"], out["lang"]) if voice else None}


def prewarm(app: web.Application, texts: list[tuple[str, str]]) -> None:
    """Synthesise a planned route's sentences in the background, first one first."""
    voice = voice_of(app)
    if voice is None or not texts:
        return
    task = asyncio.create_task(voice.prewarm(texts))
    app[BACKGROUND].add(task)
    task.add_done_callback(app[BACKGROUND].discard)
