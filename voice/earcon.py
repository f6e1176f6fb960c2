"""The short notification chime played before every instruction (Wayfindr: an earcon tells the
listener that guidance is about to speak, so the first word is not lost in street noise).

Generated with numpy, never downloaded, and matched to the speech WAV's format so the two can be
concatenated into one file.
"""

from __future__ import annotations

import io
import wave
from functools import lru_cache

import numpy as np

_TONES_HZ = (880.0, 1318.5)  # A5 then E6: a rising fifth reads as "attention", not "error"
_TONE_S = 0.09
_GAP_S = 0.03
_PAUSE_S = 0.12  # silence between the chime and the speech
_AMPLITUDE = 0.35  # of full scale: audible over speech level without clipping


def _chime(sample_rate: int) -> np.ndarray:
    """The chime as float samples in [-1, 1], each tone with a fast attack and smooth decay."""
    t = np.arange(int(_TONE_S * sample_rate)) / sample_rate
    envelope = np.minimum(1.0, t / 0.005) * np.exp(-t / (_TONE_S / 3))
    gap = np.zeros(int(_GAP_S * sample_rate))
    parts = []
    for hz in _TONES_HZ:
        parts += [_AMPLITUDE * envelope * np.sin(2 * np.pi * hz * t), gap]
    parts[-1] = np.zeros(int(_PAUSE_S * sample_rate))
    return np.concatenate(parts)


@lru_cache(maxsize=8)
def _chime_pcm16(sample_rate: int, channels: int) -> bytes:
    """The chime as little-endian 16-bit frames (cached: it is prepended to every phrase)."""
    pcm = np.round(_chime(sample_rate) * 32767).astype("<i2")
    return np.repeat(pcm, channels).tobytes()


def _wav(frames: bytes, sample_rate: int, channels: int) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(frames)
    return out.getvalue()


def earcon_wav(sample_rate: int = 22050) -> bytes:
    """The chime alone as a 16-bit mono WAV."""
    return _wav(_chime_pcm16(sample_rate, 1), sample_rate, 1)


def with_earcon(wav: bytes) -> bytes:
    """``wav`` (16-bit PCM) with the chime in front, at the speech's rate and channel count."""
    with wave.open(io.BytesIO(wav), "rb") as r:
        if r.getsampwidth() != 2:
            raise ValueError(f"expected 16-bit PCM speech, got {8 * r.getsampwidth()}-bit")
        rate, channels = r.getframerate(), r.getnchannels()
        speech = r.readframes(r.getnframes())
    return _wav(_chime_pcm16(rate, channels) + speech, rate, channels)
