"""Speech for the API: validate, look up or synthesise, cache, and rebuild lost files.

The aiohttp layer stays thin: it maps :class:`InvalidSpeechRequest` to 422 (``code`` is the
error code), :class:`SpeechUnavailable` to "text only" and ``KeyError`` from :meth:`audio` to 404,
and serves bytes with :meth:`response_headers` (:meth:`etag` alone answers a 304).
"""

from __future__ import annotations

import asyncio
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path

from voice.cache import AudioCache
from voice.earcon import with_earcon
from voice.phrasebook import SUPPORTED_LANGS, UnsupportedLanguage
from voice.speaker import Speaker, SpeechUnavailable, TextOnlySpeaker, load_speaker

AUDIO_CONTENT_TYPE = "audio/wav"
CACHE_CONTROL = "public, max-age=31536000, immutable"  # a key names one rendering forever
DEFAULT_CACHE_BYTES = 256 * 1024 * 1024
EARCON_VERSION = "earcon-1"  # part of every key: changing the chime must not serve old files
RECENT_KEYS = 4096  # keys rebuildable from memory even after their files were evicted


class InvalidSpeechRequest(ValueError):
    """Text or language the service will not speak; ``code`` is the API error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class VoiceService:
    """Speech by content key over a :class:`Speaker` and an :class:`AudioCache`."""

    def __init__(self, speaker: Speaker, cache: AudioCache, max_text_len: int = 500) -> None:
        self.speaker = speaker
        self.cache = cache
        self.max_text_len = max_text_len
        self._recent: OrderedDict[str, tuple[str, str]] = OrderedDict()
        self._inflight: dict[str, asyncio.Future[bytes]] = {}

    @property
    def tts(self) -> str:
        """What ``/health`` reports: the engine name, or "text-only"."""
        return self.speaker.name if self.speaker.available else "text-only"

    def validate(self, text: str, lang: str) -> str:
        """``text`` with whitespace normalised, or :class:`InvalidSpeechRequest`."""
        if lang not in SUPPORTED_LANGS:
            raise InvalidSpeechRequest("unsupported_language", str(UnsupportedLanguage(lang)))
        text = " ".join(text.split())
        if not text:
            raise InvalidSpeechRequest("empty_text", "text must not be empty")
        control = next((c for c in text if unicodedata.category(c) == "Cc"), None)
        if control is not None:  # espeak-ng speaks "\x02" as nothing: it looked like no engine
            raise InvalidSpeechRequest(
                "invalid_text", f"text contains a control character (U+{ord(control):04X})")
        if not any(unicodedata.category(c)[0] in "LNS" for c in text):
            raise InvalidSpeechRequest("nothing_to_speak",
                                       "text has no letter, digit or symbol to speak")
        if len(text) > self.max_text_len:
            raise InvalidSpeechRequest(
                "text_too_long",
                f"text has {len(text)} characters; at most {self.max_text_len} are allowed",
            )
        return text

    def key_of(self, text: str, lang: str) -> str:
        """The cache key ``text`` in ``lang`` has (or will have), without synthesising it.

        The key is remembered, so ``audio(key)`` can render it on first fetch: an API can hand
        out audio URLs at once and pre-warm them in the background.
        """
        text = self.validate(text, lang)
        if not self.speaker.available:
            raise SpeechUnavailable(f"no speech engine ({self.speaker.name})")
        key = self.cache.key_for(
            text,
            lang,
            self.speaker.voice_for(lang),
            self.speaker.rate,
            f"{self.speaker.engine_version}+{EARCON_VERSION}",
        )
        self._recent[key] = (text, lang)
        self._recent.move_to_end(key)
        if len(self._recent) > RECENT_KEYS:
            self._recent.popitem(last=False)
        return key

    async def audio_key(self, text: str, lang: str) -> str:
        """The cache key of ``text`` spoken in ``lang``, synthesising it first if needed."""
        key = self.key_of(text, lang)
        if key not in self.cache:
            text, lang = self._recent[key]
            await self._render(key, text, lang)
        return key

    async def audio(self, key: str) -> bytes:
        """The WAV for ``key``; a lost file is synthesised again. Unknown key: ``KeyError``."""
        if not self.cache.is_key(key):
            raise KeyError(key)
        data = self.cache.get(key)
        if data is not None:
            return data
        text, lang = self._source(key)
        return await self._render(key, text, lang)

    def _source(self, key: str) -> tuple[str, str]:
        if key in self._recent:
            return self._recent[key]
        meta = self.cache.meta(key)
        if meta is None:
            raise KeyError(key)
        return meta["text"], meta["lang"]

    async def _render(self, key: str, text: str, lang: str) -> bytes:
        """Synthesise ``key`` once, however many requests ask for it at the same time."""
        future = self._inflight.get(key)
        if future is None:
            future = asyncio.ensure_future(self._synthesize_and_store(key, text, lang))
            self._inflight[key] = future
            future.add_done_callback(lambda _: self._inflight.pop(key, None))
        return await asyncio.shield(future)

    async def _synthesize_and_store(self, key: str, text: str, lang: str) -> bytes:
        wav = with_earcon(await self.speaker.synthesize_async(text, lang))
        self.cache.put(key, wav, {"text": text, "lang": lang})
        return wav

    async def prewarm(self, texts: Iterable[tuple[str, str]]) -> list[str]:
        """Synthesise a planned route's phrases in order, so the first one is ready first."""
        if not self.speaker.available:
            return []
        return [await self.audio_key(text, lang) for text, lang in texts]

    async def speak(self, text: str, lang: str) -> bytes:
        """The WAV for ``text`` (for ``blindpilot speak``): same pipeline, same cache."""
        return await self.audio(await self.audio_key(text, lang))

    @staticmethod
    def etag(key: str) -> str:
        """A strong ETag: the content key already names the exact bytes."""
        return f'"{key}"'

    @classmethod
    def response_headers(cls, key: str) -> dict[str, str]:
        """Headers for ``GET /v1/audio/{key}.wav`` (a 304 on a matching If-None-Match)."""
        return {
            "Content-Type": AUDIO_CONTENT_TYPE,
            "ETag": cls.etag(key),
            "Cache-Control": CACHE_CONTROL,
        }

    def close(self) -> None:
        self.speaker.close()


def build_voice_service(
    cache_dir: Path,
    max_bytes: int = DEFAULT_CACHE_BYTES,
    *,
    speech: bool = True,
    probe: bool = True,
) -> VoiceService:
    """The production wiring: the best speaker available (text-only when ``speech`` is off)
    and a disk cache under ``cache_dir``."""
    speaker = load_speaker(probe=probe) if speech else TextOnlySpeaker("speech disabled")
    return VoiceService(speaker, AudioCache(cache_dir, max_bytes))


