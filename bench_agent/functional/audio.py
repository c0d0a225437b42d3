"""Speakers and microphone: the commands the host runs and the level of a recording."""

from __future__ import annotations

import array
import io
import math
import struct
import sys
import wave

from bench_agent.functional.catalogue import Outcome
from bench_agent.i18n import _t

SAMPLE_RATE = 16_000


def tone_argv() -> list[str]:
    """One 440 Hz sine through every channel (alsa-utils)."""
    return ["speaker-test", "-t", "sine", "-f", "440", "-l", "1"]


def record_argv(seconds: int) -> list[str]:
    """A mono 16-bit WAV of ``seconds`` on stdout (alsa-utils)."""
    return [
        "arecord",
        "-q",
        "-d",
        str(seconds),
        "-f",
        "S16_LE",
        "-r",
        str(SAMPLE_RATE),
        "-c",
        "1",
        "-t",
        "wav",
    ]


class WavError(ValueError):
    """The recording is not a 16-bit PCM WAV."""


def level_dbfs(wav_bytes: bytes) -> float:
    """RMS level of a 16-bit PCM WAV in dBFS (0 = full scale; silence is -inf)."""
    try:
        with wave.open(io.BytesIO(wav_bytes), "rb") as wav:
            if wav.getsampwidth() != 2:
                raise WavError(f"{8 * wav.getsampwidth()}-bit samples, expected 16-bit")
            # arecord writing to a pipe cannot seek back to fix the sizes in the header:
            # read every frame there is rather than trusting nframes.
            frames = wav.readframes(wav.getnframes() or 1 << 31)
    except (wave.Error, EOFError, struct.error) as exc:
        raise WavError(f"not a WAV recording ({exc})") from exc
    samples = array.array("h")
    samples.frombytes(frames[: len(frames) - len(frames) % 2])
    if sys.byteorder == "big":
        samples.byteswap()
    if not samples:
        return -math.inf
    rms = math.sqrt(sum(s * s for s in samples) / len(samples))
    return 20 * math.log10(rms / 32768) if rms > 0 else -math.inf


def judge_recording(wav_bytes: bytes, min_level_dbfs: float) -> Outcome:
    """pass when the recording is louder than the profile's threshold."""
    try:
        level = level_dbfs(wav_bytes)
    except WavError as exc:
        return Outcome(
            "microphone",
            "fail",
            _t("enregistrement illisible : {exc}", exc=exc),
        )
    shown = "-inf" if level == -math.inf else f"{level:.1f}"
    data: dict[str, str | int | float | bool | None] = {
        "level_dbfs": None if level == -math.inf else round(level, 1),
        "min_level_dbfs": min_level_dbfs,
    }
    if level >= min_level_dbfs:
        return Outcome("microphone", "pass", _t("niveau {shown} dBFS", shown=shown), data)
    return Outcome(
        "microphone",
        "fail",
        _t(
            "niveau {shown} dBFS < {min_level_dbfs:g} dBFS : micro muet ou coupé ?",
            shown=shown,
            min_level_dbfs=min_level_dbfs,
        ),
        data,
    )


def make_wav(samples: list[int], rate: int = SAMPLE_RATE) -> bytes:
    """A mono 16-bit WAV of ``samples`` (tests and the documentation's examples)."""
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        data = array.array("h", samples)
        if sys.byteorder == "big":
            data.byteswap()
        wav.writeframes(data.tobytes())
    return out.getvalue()


def sine(
    frequency_hz: float, seconds: float, amplitude: float, rate: int = SAMPLE_RATE
) -> list[int]:
    """Samples of a sine of ``amplitude`` (0..1 of full scale)."""
    count = int(seconds * rate)
    return [
        round(amplitude * 32767 * math.sin(2 * math.pi * frequency_hz * i / rate))
        for i in range(count)
    ]
