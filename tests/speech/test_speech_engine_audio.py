"""Reading recordings: probe and decode every accepted format, refuse bad files in one line,
and tell silence from speech."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from speech_clips import PARTICIPANT, RATE, silence, speak, synthesize, write_audio

from thematica.core.errors import InputError
from thematica.intake.audio import AUDIO_SUFFIXES, MAX_HOURS_DEFAULT, decode, probe, speech_seconds

SENTENCE = [(PARTICIPANT, "About six years now. I started at the needle exchange.")]
LEAD, PAUSE = 0.5, 1.2
#: (expected codec from the decoder, container name FFmpeg reports, sample rate written)
FORMATS = {
    "wav": ("pcm_s16le", "wav", 16_000),
    "mp3": ("mp3", "mp3", 16_000),
    "m4a": ("aac", "mov,mp4,m4a,3gp,3g2,mj2", 16_000),
    "ogg": ("opus", "ogg", 48_000),  # Ogg Opus, as phones' voice notes are
    "flac": ("flac", "flac", 16_000),
    "webm": ("opus", "matroska,webm", 48_000),
}


@pytest.fixture(scope="module")
def spoken() -> np.ndarray:
    return speak(SENTENCE[0][1], SENTENCE[0][0])


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("formats")
    return {
        fmt: synthesize(folder, SENTENCE, name="one", fmt=fmt, pause=PAUSE, lead=LEAD).path
        for fmt in FORMATS
    }


def test_the_accepted_suffixes() -> None:
    assert AUDIO_SUFFIXES == (".wav", ".mp3", ".m4a", ".ogg", ".flac", ".webm")
    assert MAX_HOURS_DEFAULT == 4.0


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_probe_each_format(fmt: str, clips: dict[str, Path], spoken: np.ndarray) -> None:
    expected_seconds = LEAD + len(spoken) / RATE + PAUSE
    info = probe(clips[fmt])
    codec, container, rate = FORMATS[fmt]
    assert info.codec == codec
    assert info.container == container
    assert info.sample_rate == rate
    assert info.channels == 1
    # lossy encoders pad the start and the last frame: up to ~0.1 s
    assert info.duration == pytest.approx(expected_seconds, abs=0.15)


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_decode_each_format(fmt: str, clips: dict[str, Path], spoken: np.ndarray) -> None:
    samples = decode(clips[fmt])
    assert samples.dtype == np.float32
    assert samples.ndim == 1
    expected_seconds = LEAD + len(spoken) / RATE + PAUSE
    assert len(samples) / 16_000 == pytest.approx(expected_seconds, abs=0.15)
    # the speech is there: its loudness survives the codec within a few dB
    rms_in = float(np.sqrt(np.mean(spoken**2)))
    body = samples[int(LEAD * RATE) : int(LEAD * RATE) + len(spoken)]
    rms_out = float(np.sqrt(np.mean(body**2)))
    assert 0.5 * rms_in < rms_out < 2.0 * rms_in


def _one_line_error(path: Path, call: object) -> str:
    with pytest.raises(InputError) as caught:
        call(path)  # type: ignore[operator]
    message = str(caught.value)
    assert "\n" not in message
    assert path.name in message
    return message


@pytest.mark.parametrize("call", [probe, decode])
def test_random_bytes_named_mp3(tmp_path: Path, call: object) -> None:
    path = tmp_path / "noise.mp3"
    path.write_bytes(np.random.default_rng(3).bytes(40_000))
    assert "not a readable audio file" in _one_line_error(path, call)


@pytest.mark.parametrize("call", [probe, decode])
def test_text_renamed_wav(tmp_path: Path, call: object) -> None:
    path = tmp_path / "notes.wav"
    path.write_text("Interview notes, not a recording.\n" * 200, encoding="utf-8")
    assert "not a readable audio file" in _one_line_error(path, call)


@pytest.mark.parametrize("call", [probe, decode])
def test_unsupported_suffix(tmp_path: Path, call: object) -> None:
    path = tmp_path / "interview.aiff"
    path.write_bytes(b"FORM0000AIFF")
    message = _one_line_error(path, call)
    assert ".aiff is not a supported audio format" in message
    assert "wav, mp3, m4a, ogg, flac, webm" in message


@pytest.mark.parametrize("call", [probe, decode])
def test_empty_file(tmp_path: Path, call: object) -> None:
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    assert "empty" in _one_line_error(path, call)


def test_missing_file(tmp_path: Path) -> None:
    assert "no such file" in _one_line_error(tmp_path / "gone.flac", probe)


def test_wav_with_no_samples(tmp_path: Path) -> None:
    path = write_audio(tmp_path / "nothing.wav", np.zeros(0, dtype=np.float32))
    assert os.path.getsize(path) > 0
    assert "empty" in _one_line_error(path, probe)


def test_video_without_audio(tmp_path: Path) -> None:
    import av

    path = tmp_path / "screen.webm"
    with av.open(str(path), "w", format="webm") as container:
        stream = container.add_stream("libvpx", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"  # type: ignore[union-attr]
        for i in range(5):
            image = np.full((48, 64, 3), i * 40, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            for packet in stream.encode(frame):  # type: ignore[union-attr]
                container.mux(packet)
        for packet in stream.encode(None):  # type: ignore[union-attr]
            container.mux(packet)
    assert "no audio stream" in _one_line_error(path, probe)


def test_silence_has_no_speech(tmp_path: Path) -> None:
    samples = decode(silence(tmp_path, 5.0))
    assert len(samples) == 5 * RATE
    assert speech_seconds(samples) < 0.5


def test_speech_is_found(spoken: np.ndarray) -> None:
    padded = np.concatenate([np.zeros(RATE, np.float32), spoken, np.zeros(RATE, np.float32)])
    found = speech_seconds(padded)
    # the VAD drops the gaps between words; most of the spoken sentence remains
    assert 0.6 * len(spoken) / RATE < found <= len(spoken) / RATE + 0.1


def test_speech_seconds_of_nothing() -> None:
    assert speech_seconds(np.zeros(0, dtype=np.float32)) == 0.0


@pytest.mark.parametrize("fmt", ["mp3", "flac"])
def test_a_file_damaged_in_the_middle_is_refused(tmp_path: Path, fmt: str) -> None:
    """20 s of tone with a quarter of the bytes overwritten from a third of the way in: the
    decoder drops the frames it cannot read (about 5 s for flac, 13 s for mp3 measured), so
    every later time would be early; refused, naming where decoding stopped."""
    rng = np.random.default_rng(7)
    t = np.arange(20 * RATE) / RATE
    tone = (0.3 * np.sin(2 * np.pi * 220 * t) + 0.05 * rng.standard_normal(t.size)).astype(
        np.float32
    )
    whole = write_audio(tmp_path / f"whole.{fmt}", tone)
    assert len(decode(whole)) / RATE == pytest.approx(20.0, abs=0.2)  # intact: accepted
    raw = bytearray(whole.read_bytes())
    n = len(raw)
    raw[n // 3 : n // 3 + n // 4] = rng.integers(0, 256, n // 4, dtype=np.uint8).tobytes()
    damaged = tmp_path / f"damaged.{fmt}"
    damaged.write_bytes(bytes(raw))
    assert probe(damaged).duration == pytest.approx(20.0, abs=0.2)  # the header still says 20 s
    message = _one_line_error(damaged, decode)
    assert "could not be decoded after 0:" in message and "of 0:20" in message
    assert "times would be wrong" in message


def test_decoded_length_slack() -> None:
    """Short by up to 1 s (or 1 % of a long file) passes: encoders pad, headers round."""
    from thematica.intake.audio import check_decoded

    path = Path("talk.wav")
    check_decoded(path, 19.05, 20.0)
    check_decoded(path, 3600 - 35.0, 3600.0)  # 1 % of an hour is 36 s
    with pytest.raises(InputError, match=r"talk.wav: could not be decoded after 0:18 of 0:20"):
        check_decoded(path, 18.9, 20.0)
    with pytest.raises(InputError, match=r"after 59:23 of 1:00:00"):
        check_decoded(path, 3600 - 37.0, 3600.0)
