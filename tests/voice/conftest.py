"""One real pyttsx3 speaker for the whole voice suite: espeak-ng is one state per process."""

from __future__ import annotations

import io
import wave

import pytest

from voice.speaker import Pyttsx3Speaker


@pytest.fixture(scope="session")
def speaker():
    s = Pyttsx3Speaker()
    yield s
    s.close()


def _wav_params(data: bytes) -> tuple[int, int, int, int]:
    with wave.open(io.BytesIO(data), "rb") as w:
        return w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()


@pytest.fixture
def wav_params():
    """(channels, sample width, rate, frames) of a WAV, failing on anything else."""
    return _wav_params
