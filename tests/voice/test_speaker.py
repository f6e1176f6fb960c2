"""Real espeak-ng synthesis through pyttsx3, the worker thread, and the text-only fallback."""

from __future__ import annotations

import ctypes.util
from concurrent.futures import ThreadPoolExecutor

import pytest

import voice.speaker as speaker_module
from voice.earcon import earcon_wav, with_earcon
from voice.phrasebook import UnsupportedLanguage
from voice.speaker import Pyttsx3Speaker, SpeechUnavailable, TextOnlySpeaker, load_speaker


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("de", "In 10 Metern überqueren Sie die Fackelstraße an der Ampel mit Signalton."),
        ("en", "In 10 metres, cross Fackelstraße at the traffic light with sound signal."),
    ],
)
def test_synthesizes_a_wav(speaker, lang, text, capfd, wav_params):
    channels, width, rate, frames = wav_params(speaker.synthesize(text, lang))
    assert (channels, width, rate) == (1, 2, 22050)
    assert frames > rate  # more than a second of speech
    assert "Audio saved" not in capfd.readouterr().out


async def test_synthesize_async_runs_on_the_worker(speaker):
    wav = await speaker.synthesize_async("Biegen Sie links ab.", "de")
    assert wav[:4] == b"RIFF"


def test_identity(speaker):
    assert speaker.name == "pyttsx3" and speaker.available
    assert speaker.engine_version.startswith("pyttsx3-") and "espeak-ng" in speaker.engine_version
    assert (speaker.voice_for("de"), speaker.voice_for("en")) == ("de", "en")
    with pytest.raises(UnsupportedLanguage):
        speaker.voice_for("fr")


def test_two_speakers_share_one_engine_safely(speaker, wav_params):
    """A second instance has its own worker; the process-wide lock keeps espeak-ng single."""
    other = Pyttsx3Speaker()
    try:
        assert wav_params(other.synthesize("Test", "en"))[3] > 0
    finally:
        other.close()


def test_cannot_switch_backend_after_loading(speaker):
    with pytest.raises(RuntimeError, match="cannot switch"):
        Pyttsx3Speaker(backend="system")


async def test_text_only_speaker_refuses():
    s = TextOnlySpeaker("no engine here")
    assert (s.name, s.available) == ("text-only", False)
    with pytest.raises(SpeechUnavailable, match="no engine here"):
        s.synthesize("Hallo", "de")
    with pytest.raises(SpeechUnavailable):
        await s.synthesize_async("Hallo", "de")


def test_load_speaker_uses_the_loaded_engine(speaker):
    loaded = load_speaker()
    try:
        assert loaded.name == "pyttsx3" and loaded.available
    finally:
        loaded.close()


def test_load_speaker_falls_back_to_text_only(monkeypatch):
    monkeypatch.setattr(speaker_module, "_prepared", None)
    monkeypatch.setattr(speaker_module, "probe_backend", lambda backend: False)
    loaded = load_speaker()
    assert isinstance(loaded, TextOnlySpeaker)
    assert "espeakng-loader: probe failed" in loaded.reason


def test_probe_accepts_the_bundled_engine():
    assert speaker_module.probe_backend("espeakng-loader") is True


@pytest.mark.skipif(ctypes.util.find_library("espeak-ng") is not None, reason="system espeak")
def test_probe_reports_a_backend_that_cannot_load():
    """No system libespeak-ng here: the child fails and this process lives on."""
    assert speaker_module.probe_backend("system") is False


def test_earcon_is_a_short_chime(wav_params):
    channels, width, rate, frames = wav_params(earcon_wav())
    assert (channels, width, rate) == (1, 2, 22050)
    assert 0.2 < frames / rate < 0.5


@pytest.mark.parametrize("rate", [16000, 22050])
def test_with_earcon_matches_the_speech_format(rate, wav_params):
    speech = earcon_wav(rate)  # any 16-bit mono WAV will do as "speech"
    combined = with_earcon(speech)
    assert wav_params(combined)[:3] == (1, 2, rate)
    assert wav_params(combined)[3] == 2 * wav_params(speech)[3]
    assert combined.endswith(speech[44:])


def test_threads_calling_at_once_are_serialised(speaker, wav_params):
    """Unsynchronised, this hangs or raises "run loop already started" (or segfaults)."""
    texts = [f"Satz Nummer {n}." for n in range(12)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        wavs = list(pool.map(lambda t: speaker.synthesize(t, "de"), texts))
    assert all(wav_params(w)[3] > 0 for w in wavs)


def test_no_sentence_comes_back_empty(speaker, wav_params):
    """pyttsx3's driver cancelled about 1 in 150 sentences when espeak-ng was still busy."""
    for n in range(200):
        assert wav_params(speaker.synthesize(f"Kehren Sie um {n}.", ("de", "en")[n % 2]))[3] > 0
