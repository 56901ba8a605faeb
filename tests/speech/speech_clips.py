"""Speech for the transcription tests, made by Debian's espeak-ng from a known script.

A script is a list of ``(voice, sentence)`` turns; each is spoken by ``espeak-ng`` (two clearly
different voices stand for interviewer and participant), joined with a pause, and written as a
16-bit mono WAV at 16 kHz, or converted with PyAV to another container. Because the words are
known, a test can bound the word error rate and check each turn's speaker and times.
"""

from __future__ import annotations

import shutil
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

RATE = 16_000
#: two voices a listener (and a simple diarizer) tells apart: a low male and a high female
INTERVIEWER = "en-us+m3"
PARTICIPANT = "en-us+f4"

#: an interview excerpt in plain words, four turns
SCRIPT: list[tuple[str, str]] = [
    (INTERVIEWER, "Thank you for talking with me today. How long have you worked in outreach?"),
    (
        PARTICIPANT,
        "About six years now. I started at the needle exchange and then moved to the mobile van.",
    ),
    (INTERVIEWER, "What makes the work hard for you on a bad day?"),
    (
        PARTICIPANT,
        "Losing people is the hardest part. When someone overdoses we still open the next "
        "morning and keep going.",
    ),
]


@dataclass(frozen=True, slots=True)
class Clip:
    path: Path
    #: (voice, text, start seconds, end seconds) of each turn as placed in the file
    turns: list[tuple[str, str, float, float]]

    @property
    def text(self) -> str:
        return " ".join(t for _, t, _, _ in self.turns)

    @property
    def duration(self) -> float:
        return self.turns[-1][3] if self.turns else 0.0


def require_espeak() -> str:
    exe = shutil.which("espeak-ng")
    if exe is None:
        pytest.fail("espeak-ng is not installed (the README's test command installs it)")
    return exe


def speak(text: str, voice: str = PARTICIPANT, *, speed: int = 150) -> np.ndarray:
    """``text`` spoken by espeak-ng, as float32 samples at 16 kHz."""
    exe = require_espeak()
    raw = subprocess.run(
        [exe, "-v", voice, "-s", str(speed), "--stdout", text],
        check=True,
        capture_output=True,
    ).stdout
    samples, rate = _read_wav_bytes(raw)
    return _resample(samples, rate, RATE)


def synthesize(
    directory: Path,
    script: list[tuple[str, str]] | None = None,
    *,
    name: str = "interview",
    fmt: str = "wav",
    pause: float = 1.2,
    lead: float = 0.5,
) -> Clip:
    """The script spoken turn by turn with ``pause`` seconds of silence between turns."""
    script = SCRIPT if script is None else script
    parts: list[np.ndarray] = [np.zeros(int(lead * RATE), dtype=np.float32)]
    at = lead
    turns: list[tuple[str, str, float, float]] = []
    for voice, sentence in script:
        audio = speak(sentence, voice)
        turns.append((voice, sentence, at, at + len(audio) / RATE))
        parts += [audio, np.zeros(int(pause * RATE), dtype=np.float32)]
        at += len(audio) / RATE + pause
    samples = np.concatenate(parts)
    return Clip(write_audio(directory / f"{name}.{fmt}", samples), turns)


def silence(directory: Path, seconds: float = 5.0, *, name: str = "silence") -> Path:
    """Seconds of near silence (a little noise, as a real quiet room has)."""
    rng = np.random.default_rng(7)
    samples = (rng.standard_normal(int(seconds * RATE)) * 1e-4).astype(np.float32)
    return write_audio(directory / f"{name}.wav", samples)


def write_audio(path: Path, samples: np.ndarray) -> Path:
    """WAV by the standard library; mp3, m4a, ogg, flac and webm through PyAV's encoders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    if path.suffix == ".wav":
        with wave.open(str(path), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(RATE)
            out.writeframes(pcm.tobytes())
        return path
    import av

    codec, container_format, rate = {
        ".mp3": ("libmp3lame", "mp3", 16_000),
        ".m4a": ("aac", "mp4", 16_000),
        ".ogg": ("libopus", "ogg", 48_000),  # Ogg Opus: this PyAV build has no libvorbis
        ".flac": ("flac", "flac", 16_000),
        ".webm": ("libopus", "webm", 48_000),
    }[path.suffix]
    data = pcm if rate == RATE else _resample_pcm(pcm, rate)
    with av.open(str(path), "w", format=container_format) as container:
        stream = container.add_stream(codec, rate=rate)
        stream.layout = "mono"  # type: ignore[union-attr]
        frame_size = 960 if codec == "libopus" else 1024
        for i in range(0, len(data), frame_size):
            chunk = data[i : i + frame_size]
            frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="s16", layout="mono")
            frame.sample_rate = rate
            for packet in stream.encode(frame):  # type: ignore[union-attr]
                container.mux(packet)
        for packet in stream.encode(None):  # type: ignore[union-attr]
            container.mux(packet)
    return path


def _read_wav_bytes(raw: bytes) -> tuple[np.ndarray, int]:
    import io

    with wave.open(io.BytesIO(_fix_stream_header(raw)), "rb") as wav:
        rate = wav.getframerate()
        frames = wav.readframes(wav.getnframes())
    return np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0, rate


def _fix_stream_header(raw: bytes) -> bytes:
    """espeak-ng --stdout writes 0xFFFFFFFF sizes (it streams); put the real ones in."""
    data_at = raw.find(b"data") + 8
    size = len(raw) - data_at
    return (
        raw[:4]
        + (len(raw) - 8).to_bytes(4, "little")
        + raw[8 : data_at - 4]
        + size.to_bytes(4, "little")
        + raw[data_at:]
    )


def _resample(samples: np.ndarray, rate: int, target: int) -> np.ndarray:
    if rate == target:
        return samples.astype(np.float32)
    n = round(len(samples) * target / rate)
    x_new = np.linspace(0, len(samples) - 1, n)
    return np.interp(x_new, np.arange(len(samples)), samples).astype(np.float32)


def _resample_pcm(pcm: np.ndarray, target: int) -> np.ndarray:
    out = _resample(pcm.astype(np.float32) / 32768.0, RATE, target)
    return (np.clip(out, -1.0, 1.0) * 32767).astype("<i2")
