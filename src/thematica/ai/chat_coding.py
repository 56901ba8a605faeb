"""Scores of codes for units of text from a chat model on the team's server, shaped like the
similarities of an embedding backend (units × codes, in [0, 1]) so the suggestions service can
use a chat model as it uses an embedder.

The model sees the numbered code labels ("name: definition") and a few numbered units, and
answers ``{"units": [{"unit": 1, "codes": [{"code": 3, "confidence": 0.8}]}]}``. The answer is
checked strictly: unit and code numbers that were not asked about are dropped, confidences are
clamped to [0, 1], a unit the model leaves out scores 0 for every code. A reply that is not
JSON of that shape is asked for once more, then it is a :class:`~thematica.ai.server.BackendError`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from thematica.core.errors import InputError

if TYPE_CHECKING:
    import numpy as np

    from thematica.ai.server import ServerClient

__all__ = ["SCHEMA_HINT", "build_messages", "read_answer", "score_units"]

#: units per chat request (small prompts keep a small model's answers well-formed)
UNITS_PER_PROMPT = 8
#: a unit longer than this is cut (characters) before it is sent
MAX_UNIT_CHARS = 1500
SCHEMA_HINT = '{"units":[{"unit":1,"codes":[{"code":3,"confidence":0.8}]}]}'

SYSTEM = (
    "You are a careful qualitative research assistant applying a codebook to interview text. "
    "You answer with JSON only."
)


def build_messages(labels: Sequence[str], units: Sequence[str]) -> list[dict[str, str]]:
    """The chat messages asking which of the numbered codes apply to each numbered unit."""
    codes = "\n".join(f"{i}. {' '.join(label.split())}" for i, label in enumerate(labels, 1))
    texts = "\n".join(
        f"[{i}] {' '.join(unit.split())[:MAX_UNIT_CHARS]}" for i, unit in enumerate(units, 1)
    )
    prompt = (
        f"Codes (number. name: definition):\n{codes}\n\n"
        f"Units of text:\n{texts}\n\n"
        "For each unit, list the codes that apply to it, each with your confidence between 0 "
        "and 1. Use only the code and unit numbers above; give a unit an empty list of codes "
        f"when none applies. Answer with JSON only, shaped like {SCHEMA_HINT}"
    )
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt}]


def _number(value: Any) -> int | None:
    """An integer the model may have written as 3, 3.0 or "3"; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _confidence(value: Any) -> float | None:
    if value is None:
        return 1.0  # listed without a confidence: the model says it applies
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if math.isnan(number):
        return None
    return min(1.0, max(0.0, number))


def read_answer(answer: Any, n_units: int, n_labels: int) -> list[dict[int, float]]:
    """Per unit (0-based), code index (0-based) -> confidence, from a parsed answer.
    ValueError when the answer is not ``{"units": [...]}``; stray entries are dropped."""
    if not isinstance(answer, dict) or not isinstance(answer.get("units"), list):
        raise ValueError('the answer is not an object with a "units" list')
    out: list[dict[int, float]] = [{} for _ in range(n_units)]
    for entry in answer["units"]:
        if not isinstance(entry, dict):
            continue
        unit = _number(entry.get("unit"))
        codes = entry.get("codes")
        if unit is None or not 1 <= unit <= n_units or not isinstance(codes, list):
            continue
        for item in codes:
            if isinstance(item, dict):
                code, confidence = _number(item.get("code")), _confidence(item.get("confidence"))
            else:  # a bare code number
                code, confidence = _number(item), 1.0
            if code is None or confidence is None or not 1 <= code <= n_labels:
                continue
            scores = out[unit - 1]
            scores[code - 1] = max(confidence, scores.get(code - 1, 0.0))
    return out


def score_units(
    client: ServerClient,
    labels: Sequence[str],
    units: Sequence[str],
    *,
    batch: int = UNITS_PER_PROMPT,
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """(len(units), len(labels)) float32 scores in [0, 1] from the client's chat model.

    Units go ``batch`` to a prompt; a blank unit is not sent and scores 0.
    """
    import numpy as np

    if not labels:
        raise InputError("no code labels to score units against")
    if batch < 1:
        raise InputError(f"batch must be at least 1, not {batch}")
    out = np.zeros((len(units), len(labels)), dtype=np.float32)
    wanted = [i for i, unit in enumerate(units) if unit and unit.strip()]
    for at in range(0, len(wanted), batch):
        chunk = wanted[at : at + batch]
        n = len(chunk)
        rows = client.chat_json(
            build_messages(labels, [units[i] for i in chunk]),
            schema_hint=SCHEMA_HINT,
            check=partial(read_answer, n_units=n, n_labels=len(labels)),
        )
        for i, scores in zip(chunk, rows, strict=True):
            for code, confidence in scores.items():
                out[i, code] = confidence
        if progress is not None:
            progress(min(at + batch, len(wanted)), len(wanted))
    return out
