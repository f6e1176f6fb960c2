"""Text to WAV: the ``Speaker`` interface, pyttsx3 over espeak-ng, and the text-only fallback.

espeak-ng is one global state per process and pyttsx3 crashes (segfault, double free) when two
threads drive it at once, so every call goes to one dedicated worker thread and holds one
process-wide lock. espeak-ng calls ``exit()`` when its data is missing, so :func:`load_speaker`
first tries a backend in a child process and only then loads it here.
"""

from __future__ import annotations

import asyncio
import ctypes
import io
import logging
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path
from typing import Any, Literal, Protocol

from voice.phrasebook import SUPPORTED_LANGS, UnsupportedLanguage

log = logging.getLogger(__name__)

Backend = Literal["espeakng-loader", "system"]
BACKENDS: tuple[Backend, ...] = ("espeakng-loader", "system")
DEFAULT_RATE = 175  # words per minute; espeak's 200 is hurried for street use
PROBE_TIMEOUT_S = 30.0
SYNTH_TIMEOUT_S = 20.0  # a 500-character sentence takes well under a second
_WAV_HEADER_BYTES = 44


class SpeechUnavailable(RuntimeError):
    """No speech engine: callers send the text alone (``audio_url`` null)."""


class Speaker(Protocol):
    """Anything that turns a sentence into WAV bytes."""

    name: str
    available: bool
    engine_version: str
    rate: int

    def voice_for(self, lang: str) -> str: ...

    def synthesize(self, text: str, lang: str) -> bytes: ...

    async def synthesize_async(self, text: str, lang: str) -> bytes: ...

    def close(self) -> None: ...


class TextOnlySpeaker:
    """The fallback when no engine loads: guidance still works, as text on the device."""

    name = "text-only"
    available = False
    engine_version = "none"
    rate = 0

    def __init__(self, reason: str = "no speech engine installed") -> None:
        self.reason = reason

    def voice_for(self, lang: str) -> str:
        return ""

    def synthesize(self, text: str, lang: str) -> bytes:
        raise SpeechUnavailable(self.reason)

    async def synthesize_async(self, text: str, lang: str) -> bytes:
        raise SpeechUnavailable(self.reason)

    def close(self) -> None:
        pass


_ESPEAK_LOCK = threading.Lock()  # one espeak-ng per process, whichever Speaker drives it
_espeak_settings: dict[str, tuple[str, int]] = {}  # its voice and rate now; guarded by the lock
_prepared: Backend | None = None


def prepare_backend(backend: Backend) -> None:
    """Make ``backend``'s libespeak-ng the one pyttsx3 finds; must run before pyttsx3 loads it.

    espeakng-loader: load its library globally so pyttsx3's ``libespeak-ng.so.1`` resolves to
    it, and point ``ESPEAK_DATA_PATH`` at its data (without it espeak-ng exits the process).
    """
    global _prepared
    if _prepared is not None:
        if _prepared != backend:
            raise RuntimeError(f"espeak-ng already loaded from {_prepared}, cannot switch")
        return
    if backend == "espeakng-loader":
        import espeakng_loader

        ctypes.CDLL(espeakng_loader.get_library_path(), mode=ctypes.RTLD_GLOBAL)
        os.environ["ESPEAK_DATA_PATH"] = str(Path(espeakng_loader.get_data_path()).parent)
    _prepared = backend


def _driver_print(*args: Any, **_: Any) -> None:
    """Stands in for ``print`` in pyttsx3's espeak driver, which announces every saved file."""
    log.debug(" ".join(map(str, args)))


class Pyttsx3Speaker:
    """pyttsx3's espeak driver, owned by one worker thread (see the module docstring)."""

    name = "pyttsx3"
    available = True

    def __init__(self, backend: Backend = "espeakng-loader", rate: int = DEFAULT_RATE) -> None:
        prepare_backend(backend)
        self.backend = backend
        self.rate = rate
        self._engine: Any = None
        self._finished = threading.Event()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tts")
        try:
            self.engine_version: str = self._worker.submit(self._start).result()
        except BaseException:
            self._worker.shutdown(wait=False)
            raise

    def _start(self) -> str:
        import pyttsx3
        from pyttsx3.drivers import _espeak
        from pyttsx3.drivers import espeak as driver

        driver.print = _driver_print  # keep "Audio saved to ..." out of stdout and logs
        with _ESPEAK_LOCK:
            self._engine = pyttsx3.init("espeak")
            self._engine.connect("finished-utterance", self._on_finished)
            espeak_version = _espeak.Info().decode()
        return f"pyttsx3-{metadata.version('pyttsx3')}+espeak-ng-{espeak_version}"

    def _on_finished(self, completed: bool = True, **_: Any) -> None:
        """pyttsx3 callback; a cancelled sentence still gets espeak-ng's own end later."""
        if completed:
            self._finished.set()

    def voice_for(self, lang: str) -> str:
        """espeak-ng names its voices by language code ("en" is British English), so a language
        with a phrasebook needs nothing more here."""
        if lang not in SUPPORTED_LANGS:
            raise UnsupportedLanguage(lang)
        return lang

    def _synthesize_here(self, text: str, lang: str) -> bytes:
        """Synthesise on the worker, working around two races in pyttsx3's espeak driver.

        espeak-ng runs every command (voice, rate, text) on its own thread. The driver cancels
        the new sentence when espeak-ng is still busy as ``runAndWait`` starts (seen as empty
        audio about once in 150 calls), and it returns before the audio has arrived. So voice
        and rate are set directly and only when they change, espeak-ng is let go idle before the
        sentence, and the end-of-message callback is awaited after it.
        """
        from pyttsx3.drivers.espeak import EspeakDriver

        out = io.BytesIO()  # the driver hands the path to wave.open, which takes a file object
        with _ESPEAK_LOCK:
            settings = (self.voice_for(lang), self.rate)
            if _espeak_settings.get("current") != settings:
                EspeakDriver.setProperty("voice", settings[0])
                EspeakDriver.setProperty("rate", settings[1])
                _espeak_settings["current"] = settings
            self._wait_idle()
            self._finished.clear()
            self._engine.save_to_file(text, out)
            self._engine.runAndWait()
            if not self._finished.wait(SYNTH_TIMEOUT_S):
                raise SpeechUnavailable(f"espeak-ng did not finish within {SYNTH_TIMEOUT_S:g} s")
        wav = out.getvalue()
        if len(wav) <= _WAV_HEADER_BYTES:
            raise SpeechUnavailable(f"espeak-ng produced no audio for {text[:40]!r}")
        return wav

    @staticmethod
    def _wait_idle() -> None:
        from pyttsx3.drivers import _espeak

        deadline = time.monotonic() + SYNTH_TIMEOUT_S
        while _espeak.IsPlaying() and time.monotonic() < deadline:
            time.sleep(0.0005)

    def synthesize(self, text: str, lang: str) -> bytes:
        """WAV bytes (16-bit mono 22.05 kHz), made on the worker thread."""
        return self._worker.submit(self._synthesize_here, text, lang).result()

    async def synthesize_async(self, text: str, lang: str) -> bytes:
        """As :meth:`synthesize`, without blocking the event loop; calls queue on the worker."""
        return await asyncio.wrap_future(self._worker.submit(self._synthesize_here, text, lang))

    def close(self) -> None:
        self._worker.shutdown(wait=True)


def probe_backend(backend: Backend, timeout_s: float = PROBE_TIMEOUT_S) -> bool:
    """Whether ``backend`` synthesises a word in a child process (which espeak-ng may kill)."""
    root = str(Path(__file__).resolve().parents[1])
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [root, os.getenv("PYTHONPATH")])),
    }
    try:
        done = subprocess.run(
            [sys.executable, "-m", "voice.speaker", backend],
            capture_output=True,
            timeout=timeout_s,
            env=env,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.warning("speech probe %s failed: %s", backend, exc)
        return False
    if done.returncode != 0:
        log.warning("speech probe %s exited %s: %s", backend, done.returncode, done.stderr[-300:])
    return done.returncode == 0


def load_speaker(*, probe: bool = True, rate: int = DEFAULT_RATE) -> Speaker:
    """The first backend that works (espeakng-loader, then system libespeak-ng), else text-only.

    Never raises and never lets espeak-ng take the process down: each backend is probed in a
    child process before it is loaded here (unless one is already loaded in this process).
    """
    reasons = []
    for backend in BACKENDS:
        if _prepared not in (None, backend):
            continue
        if probe and _prepared is None and not probe_backend(backend):
            reasons.append(f"{backend}: probe failed")
            continue
        try:
            return Pyttsx3Speaker(backend=backend, rate=rate)
        except Exception as exc:  # ImportError, OSError or espeak init failure: try the next one
            log.warning("speech backend %s unavailable: %s", backend, exc)
            reasons.append(f"{backend}: {exc}")
    return TextOnlySpeaker("; ".join(reasons) or "no speech backend")


def _probe_main(backend: Backend) -> int:
    speaker = Pyttsx3Speaker(backend=backend)
    wav = speaker.synthesize("Test", "de")
    speaker.close()
    return 0 if wav[:4] == b"RIFF" and len(wav) > _WAV_HEADER_BYTES else 1


if __name__ == "__main__":
    sys.exit(_probe_main(sys.argv[1]))  # type: ignore[arg-type]
