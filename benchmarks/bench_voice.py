"""Voice: cached fetch, uncached synthesis, and 50 concurrent phrases through the one worker.

Baselines are measured in the same run: re-synthesising instead of reading the cache; a fresh
process and engine per sentence (what a naive CLI call would do); and pyttsx3 driven from many
threads without the worker, in a child process because it hangs, raises or segfaults.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from benchmarks.common import BenchResult, median_ms, ratio_lower_better
from voice.cache import AudioCache
from voice.earcon import with_earcon
from voice.service import VoiceService
from voice.speaker import Pyttsx3Speaker, probe_backend

ROOT = Path(__file__).resolve().parents[1]
SENTENCE = "In {n} Metern überqueren Sie die Fackelstraße an der Ampel mit Signalton."  # 10 words
CONCURRENT = 50

# pyttsx3 from many threads at once, no worker and no lock: prints one line per finished phrase.
_UNSYNCHRONISED = """
import io, sys, threading
from voice.speaker import prepare_backend
prepare_backend("espeakng-loader")
import pyttsx3
from pyttsx3.drivers import espeak
espeak.print = lambda *a, **k: None
engine = pyttsx3.init("espeak")
def one(n):
    try:
        out = io.BytesIO()
        engine.save_to_file(f"Satz Nummer {n} ist fertig.", out)
        engine.runAndWait()
        if len(out.getvalue()) > 44:
            print("ok", flush=True)
    except Exception:
        pass
threads = [threading.Thread(target=one, args=(n,)) for n in range(int(sys.argv[1]))]
for t in threads: t.start()
for t in threads: t.join()
"""


async def _median_ms_async(fn: Callable[[], Awaitable[object]], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - t0) * 1000.0)
    return statistics.median(samples)


def _unsynchronised_completed(count: int, timeout_s: float) -> tuple[int, str]:
    """Phrases a child finished when threads drive pyttsx3 directly, and how the child ended."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-c", _UNSYNCHRONISED, str(count)]
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=timeout_s, env=env, check=False)
        out, outcome = done.stdout, f"exit {done.returncode}"
    except subprocess.TimeoutExpired as exc:
        out, outcome = exc.stdout or b"", f"hung > {timeout_s:g} s"
    return out.count(b"ok"), outcome


async def _run(quick: bool, speaker: Pyttsx3Speaker, cache_dir: Path) -> list[BenchResult]:
    service = VoiceService(speaker, AudioCache(cache_dir, 512 * 1024 * 1024))
    counter = iter(range(10**9))

    key = await service.audio_key(SENTENCE.format(n=10), "de")
    cached = await _median_ms_async(lambda: service.audio(key), 50 if quick else 300)
    resynth = median_ms(
        lambda: with_earcon(speaker.synthesize(SENTENCE.format(n=10), "de")), 3 if quick else 15
    )

    async def fresh_sentence() -> bytes:
        return await service.audio(await service.audio_key(SENTENCE.format(n=next(counter)), "de"))

    uncached = await _median_ms_async(fresh_sentence, 5 if quick else 30)
    per_process = median_ms(lambda: probe_backend("espeakng-loader"), 1 if quick else 3)

    texts = [SENTENCE.format(n=1000 + n) for n in range(CONCURRENT)]
    t0 = time.perf_counter()
    results = await asyncio.gather(
        *(service.audio_key(t, "de") for t in texts), return_exceptions=True
    )
    wall_ms = (time.perf_counter() - t0) * 1000.0
    wavs = [await service.audio(k) for k in results if isinstance(k, str)]
    completed = sum(1 for w in wavs if w[:4] == b"RIFF" and len(w) > 44)
    naive, outcome = _unsynchronised_completed(CONCURRENT, 5.0 if quick else 10.0)

    return [
        BenchResult(
            "voice cached audio fetch",
            cached,
            "ms",
            baseline="re-synthesise each time",
            baseline_value=resynth,
            ratio=ratio_lower_better(cached, resynth),
            goal="<= 5 ms",
            met=cached <= 5.0,
        ),
        BenchResult(
            "voice uncached 10-word sentence (synth+earcon+cache)",
            uncached,
            "ms",
            baseline="fresh process + engine per sentence",
            baseline_value=per_process,
            ratio=ratio_lower_better(uncached, per_process),
            goal="<= 150 ms",
            met=uncached <= 150.0,
        ),
        BenchResult(
            f"voice {CONCURRENT} concurrent distinct phrases completed",
            completed,
            "phrases",
            baseline=f"threads calling pyttsx3 directly ({outcome})",
            baseline_value=naive,
            goal=f"{CONCURRENT}/{CONCURRENT}, no crash",
            met=completed == CONCURRENT,
        ),
        BenchResult(
            f"voice {CONCURRENT} concurrent distinct phrases wall time",
            wall_ms,
            "ms",
        ),
    ]


def run(quick: bool) -> list[BenchResult]:
    speaker = Pyttsx3Speaker()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-voice-") as cache_dir:
            return asyncio.run(_run(quick, speaker, Path(cache_dir)))
    finally:
        speaker.close()
