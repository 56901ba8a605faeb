"""Reading recordings: what a file holds (``probe``), its samples for Whisper (``decode``), and
how much of it is speech (``speech_seconds``).

Everything goes through PyAV (FFmpeg), which faster-whisper already depends on, so no system
``ffmpeg`` is needed. A file that is not audio, is corrupt, has no audio stream or is empty is
refused here with a one-line :class:`InputError`, before any model is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from thematica.core.errors import InputError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

#: the suffixes ``thematica transcribe`` accepts, with their dot (compare with ``Path.suffix``)
AUDIO_SUFFIXES: tuple[str, ...] = (".wav", ".mp3", ".m4a", ".ogg", ".flac", ".webm")
#: longer recordings are refused unless the caller raises the limit (a 10-hour file is more
#: likely a mistake than an interview, and would hold ~2.3 GB of samples in memory)
MAX_HOURS_DEFAULT = 4.0
#: Whisper's input rate
SAMPLE_RATE = 16_000
#: decoded audio may fall this much short of the probed length (seconds, or share of it,
#: whichever is more) before the file counts as damaged: encoders pad and headers round
DECODE_SLACK = 1.0
DECODE_SLACK_SHARE = 0.01
#: probe decodes this many frames to tell a real recording from bytes FFmpeg merely tolerates
_PROBE_FRAMES = 8


@dataclass(frozen=True, slots=True)
class AudioInfo:
    duration: float
    sample_rate: int
    channels: int
    codec: str
    container: str


def check_suffix(path: str | Path) -> Path:
    """``path`` as a Path; InputError if its suffix is not one we read."""
    path = Path(path)
    if path.suffix.lower() not in AUDIO_SUFFIXES:
        shown = path.suffix or "no suffix"
        accepted = ", ".join(s.lstrip(".") for s in AUDIO_SUFFIXES)
        raise InputError(
            f"{path.name}: {shown} is not a supported audio format (use {accepted})",
            path=str(path),
            suffix=path.suffix,
        )
    return path


def _check_file(path: str | Path) -> Path:
    path = check_suffix(path)
    if not path.is_file():
        raise InputError(f"{path.name}: no such file", path=str(path))
    if path.stat().st_size == 0:
        raise InputError(f"{path.name}: the file is empty", path=str(path))
    return path


def _corrupt(path: Path, exc: BaseException | None = None) -> InputError:
    why = f" ({_first_line(exc)})" if exc is not None and _first_line(exc) else ""
    return InputError(
        f"{path.name}: not a readable audio file (corrupt or another format){why}",
        path=str(path),
    )


def _first_line(exc: BaseException) -> str:
    """FFmpeg's reason without the path and error number it adds."""
    text = str(getattr(exc, "strerror", None) or exc).strip()
    return text.splitlines()[0][:120] if text else ""


def probe(path: str | Path) -> AudioInfo:
    """Duration, rate, channels, codec and container of a recording, after checking that its
    first frames decode."""
    import av

    path = _check_file(path)
    try:
        container = av.open(str(path))
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise _corrupt(path, exc) from None
    with container:
        if not container.streams.audio:
            raise InputError(f"{path.name}: the file holds no audio stream", path=str(path))
        stream = container.streams.audio[0]
        context = stream.codec_context
        # the codec's canonical name ("mp3"), not the decoder's ("mp3float")
        codec = context.codec.canonical_name
        sample_rate = int(context.sample_rate or 0)
        channels = int(context.layout.nb_channels if context.layout else 0)
        frames = 0
        try:
            for frame in container.decode(stream):
                sample_rate = sample_rate or int(frame.sample_rate)
                channels = channels or len(frame.layout.channels)
                frames += 1
                if frames >= _PROBE_FRAMES:
                    break
        except (av.FFmpegError, ValueError) as exc:
            raise _corrupt(path, exc) from None
        if frames == 0:
            raise InputError(f"{path.name}: the audio stream is empty", path=str(path))
        duration = _duration(container, stream)
        if duration is None:
            container.seek(0)
            duration = _duration_by_packets(container, stream)
        container_name = container.format.name
    if duration <= 0 or sample_rate <= 0:
        raise InputError(f"{path.name}: the audio stream is empty", path=str(path))
    return AudioInfo(
        duration=float(duration),
        sample_rate=sample_rate,
        channels=channels,
        codec=str(codec),
        container=str(container_name),
    )


def _duration(container: Any, stream: Any) -> float | None:
    """Duration from the headers, when the format records it."""
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        import av

        return float(container.duration / av.time_base)
    return None


def _duration_by_packets(container: Any, stream: Any) -> float:
    """Duration as the end of the last packet (formats without a duration header; reads the
    packets but decodes nothing)."""
    end = 0.0
    for packet in container.demux(stream):
        if packet.pts is None or packet.time_base is None:
            continue
        finish = float((packet.pts + (packet.duration or 0)) * packet.time_base)
        end = max(end, finish)
    return end


def decode(path: str | Path) -> npt.NDArray[np.float32]:
    """The recording as mono float32 samples at 16 kHz (what Whisper and the VAD take)."""
    import av
    import numpy as np
    from faster_whisper.audio import decode_audio

    path = _check_file(path)
    # faster-whisper's decoder skips frames it cannot read, so random bytes would come back as
    # "no samples": probe first for a precise one-line reason
    info = probe(path)
    try:
        samples = decode_audio(str(path), sampling_rate=SAMPLE_RATE)
    except (av.FFmpegError, UnicodeDecodeError, ValueError, IndexError) as exc:
        raise _corrupt(path, exc) from None
    if samples.size == 0:
        raise InputError(f"{path.name}: the audio stream is empty", path=str(path))
    check_decoded(path, len(samples) / SAMPLE_RATE, info.duration)
    return np.asarray(samples, dtype=np.float32)


def check_decoded(path: Path, decoded: float, duration: float) -> None:
    """InputError when the decoder dropped part of a damaged or cut-off file: every time after
    the gap would be early, so turn times and codings against the audio would be wrong."""
    if decoded < duration - max(DECODE_SLACK, DECODE_SLACK_SHARE * duration):
        raise InputError(
            f"{path.name}: could not be decoded after {_clock(decoded)} of {_clock(duration)} "
            "(damaged or cut off); times would be wrong: repair or re-export the recording",
            path=str(path),
            decoded=round(decoded, 3),
            duration=round(duration, 3),
        )


def _clock(seconds: float) -> str:
    """``m:ss`` (``h:mm:ss`` from an hour on)."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def speech_seconds(samples: npt.NDArray[np.float32]) -> float:
    """Seconds of speech that Silero VAD (bundled with faster-whisper) finds, without padding,
    so a silent or noise-only recording can be warned about or skipped before transcribing."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    if len(samples) == 0:
        return 0.0
    options = VadOptions(speech_pad_ms=0, min_silence_duration_ms=300)
    spans = get_speech_timestamps(samples, options, sampling_rate=SAMPLE_RATE)
    return sum(int(s["end"]) - int(s["start"]) for s in spans) / SAMPLE_RATE
