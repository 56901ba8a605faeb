"""Speech to timestamped text with faster-whisper, on this machine.

The model is loaded once per process and device (loading tiny.en takes ~0.4 s, base longer),
Silero VAD skips silence (which also keeps Whisper from inventing words in long pauses), and
segments are handed to the caller as they are decoded, so a service can store them as it goes
and resume after an interruption with ``start_at``.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from thematica.core.errors import InputError
from thematica.intake.audio import SAMPLE_RATE
from thematica.intake.speech_models import (
    DEFAULT_MODEL,
    MODELS,
    check_language,
    model_dir,
    require_speech,
)

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

#: Whisper gains little from more threads than this on a CPU, and the machine is shared
MAX_CPU_THREADS = 8


@dataclass(frozen=True, slots=True)
class Segment:
    #: seconds from the start of the file
    start: float
    end: float
    text: str
    #: the model's mean log-probability of the segment's tokens (0 is certain; English
    #: speech heard by tiny.en measured -0.2, Spanish -1.1, German -2.1)
    avg_logprob: float = 0.0


@dataclass(frozen=True, slots=True)
class TranscriptionInfo:
    language: str
    language_probability: float
    #: seconds of audio in the whole file (not only the part transcribed after ``start_at``)
    duration: float
    #: where the model ran and how ("cpu", "int8"), after any fallback
    device: str = ""
    compute_type: str = ""
    #: one-line notes for the person (a GPU that failed and the CPU used instead)
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Loaded:
    """A loaded model and where it ended up running."""

    model: Any
    device: str
    compute_type: str
    warning: str = ""


def choose_device(device: str = "auto") -> tuple[str, str]:
    """(device, compute type): float16 on a CUDA GPU when there is one, int8 on the CPU."""
    import ctranslate2

    wanted = device.strip().lower()
    if wanted not in {"auto", "cpu", "cuda"}:
        raise InputError(f"unknown device {device!r} (use auto, cpu or cuda)", device=device)
    if wanted == "cpu":
        return ("cpu", "int8")
    gpus = int(ctranslate2.get_cuda_device_count())
    if gpus > 0:
        return ("cuda", "float16")
    if wanted == "cuda":
        raise InputError(
            "no CUDA GPU is available to CTranslate2 here; use --device cpu (or auto)",
            device=device,
        )
    return ("cpu", "int8")


def cpu_threads() -> int:
    return max(1, min(os.cpu_count() or 1, MAX_CPU_THREADS))


def load_model(name: str = DEFAULT_MODEL, device: str = "auto") -> Any:
    """A faster-whisper ``WhisperModel``, loaded once per (name, device) in this process."""
    return loaded(name, device).model


@functools.lru_cache(maxsize=4)
def loaded(name: str = DEFAULT_MODEL, device: str = "auto") -> Loaded:
    """The model of ``name`` on ``device``, loaded once per process (see :func:`open_model`)."""
    return open_model(name, device)


def open_model(name: str, device: str = "auto") -> Loaded:
    """Load a model. Under ``auto`` a GPU is tried with one second of silence first: a
    missing CUDA library or a card without float16 fails there, and the CPU is used instead
    (with a warning) rather than failing at the first segment of an hour-long file."""
    require_speech()
    folder = model_dir(name)
    where, compute_type = choose_device(device)
    if where == "cuda" and device.strip().lower() == "auto":
        try:
            model = _whisper(folder, where, compute_type)
            _trial(model)
        except (RuntimeError, ValueError, OSError) as exc:
            warning = (
                f"the GPU could not run the speech model ({_first(exc)}); "
                "transcribed on the CPU instead (slower)"
            )
            where, compute_type = "cpu", "int8"
        else:
            return Loaded(model, where, compute_type)
    else:
        warning = ""
    try:
        model = _whisper(folder, where, compute_type)
    except (RuntimeError, ValueError, OSError) as exc:
        raise InputError(f"the speech model {name} could not be loaded: {_first(exc)}") from None
    return Loaded(model, where, compute_type, warning)


def _whisper(folder: Any, where: str, compute_type: str) -> Any:
    from faster_whisper import WhisperModel

    return WhisperModel(
        str(folder),
        device=where,
        compute_type=compute_type,
        cpu_threads=cpu_threads(),
        local_files_only=True,
    )


def _trial(model: Any) -> None:
    """Decode one second of silence: the first real use of the GPU's kernels."""
    import numpy as np

    segments, _ = model.transcribe(
        np.zeros(SAMPLE_RATE, dtype=np.float32), language="en", beam_size=1
    )
    for _segment in segments:
        pass


def _first(exc: BaseException) -> str:
    """The first line of an error, or its type when it says nothing."""
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def transcribe(
    samples: npt.NDArray[np.float32],
    model_name: str = DEFAULT_MODEL,
    *,
    language: str | None = None,
    start_at: float = 0.0,
    device: str = "auto",
    on_segment: Callable[[Segment], bool | None] | None = None,
    progress: Callable[[float, float], None] | None = None,
    on_info: Callable[[TranscriptionInfo], None] | None = None,
) -> tuple[list[Segment], TranscriptionInfo]:
    """Segments of ``samples`` (mono float32 at 16 kHz) with times from the file's start.

    ``start_at`` skips the audio before that second (resuming an interrupted run); the
    segments' times still count from the start of the file. ``on_segment`` sees each segment
    as it is decoded and stops the run by returning False. ``progress(done, total)`` gets
    seconds of the file covered so far. ``on_info`` hears the language as soon as the model
    has detected it, before the first segment. Empty segments are dropped. An error of the
    model while decoding is a one-line InputError (what was handed over stays handed over).
    """
    check_language(model_name, language)
    code = language.strip().lower() if language else None
    total = len(samples) / SAMPLE_RATE
    start_at = max(0.0, float(start_at))
    ready = loaded(model_name, device)
    notes = (ready.warning,) if ready.warning else ()

    def described(lang: str, probability: float) -> TranscriptionInfo:
        return TranscriptionInfo(lang, probability, total, ready.device, ready.compute_type, notes)

    if start_at >= total:
        # nothing left to hear: the language is the one asked for, or the model's only one
        only = MODELS[model_name].languages
        known = code or (only[0] if only and len(only) == 1 else "")
        return [], described(known, 1.0 if known else 0.0)
    offset = round(start_at * SAMPLE_RATE)
    part = samples[offset:]
    try:
        generator, raw_info = ready.model.transcribe(
            part,
            language=code,
            vad_filter=True,
            word_timestamps=False,
            # each segment is decoded without the previous text as a prompt: slightly less
            # context, but no runaway repetition loops on long interviews
            condition_on_previous_text=False,
        )
    except (RuntimeError, ValueError) as exc:
        raise _failed(model_name, start_at, exc) from None
    info = described(str(raw_info.language), float(raw_info.language_probability))
    if on_info is not None:
        on_info(info)
    onsets = _speech_spans(part)
    onset_ends = [end for _, end in onsets]
    found: list[Segment] = []
    stopped = False
    reached = start_at
    try:
        while True:
            try:
                raw = next(generator)
            except StopIteration:
                break
            except (RuntimeError, ValueError) as exc:
                raise _failed(model_name, reached, exc) from None
            text = raw.text.strip()
            if not text:
                continue
            begin = _first_speech(float(raw.start), float(raw.end), onsets, onset_ends)
            segment = Segment(
                start=round(start_at + begin, 3),
                end=round(start_at + min(float(raw.end), len(part) / SAMPLE_RATE), 3),
                text=text,
                avg_logprob=round(float(getattr(raw, "avg_logprob", 0.0) or 0.0), 3),
            )
            found.append(segment)
            reached = segment.end
            if progress is not None:
                progress(segment.end, total)
            if on_segment is not None and on_segment(segment) is False:
                stopped = True
                break
    finally:
        close = getattr(generator, "close", None)
        if close is not None:
            close()
    if progress is not None and not stopped:
        progress(total, total)
    return found, info


def _failed(model_name: str, at: float, exc: BaseException) -> InputError:
    from thematica.intake.audio import _clock

    return InputError(
        f"the speech model {model_name} failed at {_clock(at)} of the recording "
        f"({_first(exc)}); run the same command again to carry on, or use --device cpu",
        at=round(at, 3),
    )


def _speech_spans(samples: npt.NDArray[np.float32]) -> list[tuple[float, float]]:
    """Where the voice activity detector hears speech, in seconds (a little padding)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(speech_pad_ms=100, min_silence_duration_ms=300)
    spans = get_speech_timestamps(samples, options, sampling_rate=SAMPLE_RATE)
    return [(int(x["start"]) / SAMPLE_RATE, int(x["end"]) / SAMPLE_RATE) for x in spans]


def _first_speech(
    start: float, end: float, spans: list[tuple[float, float]], ends: list[float]
) -> float:
    """A segment's start moved to the first speech inside it: Whisper's segments follow each
    other without gaps, so a turn would otherwise begin in the pause before it."""
    from bisect import bisect_right

    i = bisect_right(ends, start)
    if i < len(spans):
        onset = spans[i][0]
        if start < onset < end:
            return onset
    return start
