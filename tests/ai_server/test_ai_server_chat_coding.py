"""Chat-based coding scores: the units × codes matrix from a chat model's JSON answers, the
strict reading of those answers, batching, and failures."""

from __future__ import annotations

import numpy as np
import pytest
from ai_fake_server import FakeServer

from thematica.ai.chat_coding import read_answer, score_units
from thematica.ai.server import BackendError, ServerClient
from thematica.core.errors import InputError

LABELS = [
    "Staffing: too few staff for the work",
    "Guilt: feeling guilty about setting limits",
    "Weather: the physical environment of outreach",
]


def test_ai_server_score_units_matrix(fake_ai: FakeServer) -> None:
    units = [
        "Staffing is short again.",
        "",
        "I felt guilt when the weather turned and staffing fell.",
        "Nothing to report.",
    ]
    with ServerClient(fake_ai.url, "fake-chat") as client:
        scores = score_units(client, LABELS, units)
    # by hand: the fake applies each code whose name occurs in the unit, confidence 0.9
    expected = np.array(
        [[0.9, 0, 0], [0, 0, 0], [0.9, 0.9, 0.9], [0, 0, 0]],
        dtype=np.float32,
    )
    assert scores.shape == (4, 3) and scores.dtype == np.float32
    assert np.allclose(scores, expected)
    prompts = [b["messages"][-1]["content"] for b in fake_ai.state.chats()]
    assert len(prompts) == 1  # 3 non-blank units fit one prompt; the blank one is not sent
    assert "[1] Staffing is short again." in prompts[0]
    assert "[3] Nothing to report." in prompts[0] and "[4]" not in prompts[0]
    assert "1. Staffing: too few staff for the work" in prompts[0]


def test_ai_server_score_units_batches(fake_ai: FakeServer) -> None:
    units = [f"unit {i} about staffing" if i % 2 else f"unit {i}" for i in range(10)]
    seen: list[tuple[int, int]] = []
    with ServerClient(fake_ai.url, "fake-chat") as client:
        scores = score_units(
            client, LABELS, units, batch=4, progress=lambda d, n: seen.append((d, n))
        )
    assert len(fake_ai.state.chats()) == 3  # 4 + 4 + 2 units
    assert seen == [(4, 10), (8, 10), (10, 10)]
    assert scores[:, 0].tolist() == pytest.approx([0.0, 0.9] * 5)
    assert not scores[:, 1:].any()


def test_ai_server_score_units_invalid_json_is_backend_error(fake_ai: FakeServer) -> None:
    fake_ai.state.mode = "invalid_json"
    with ServerClient(fake_ai.url, "fake-chat") as client, pytest.raises(BackendError) as exc:
        score_units(client, LABELS, ["staffing"])
    assert "\n" not in str(exc.value) and "returned invalid JSON" in str(exc.value)
    assert len(fake_ai.state.chats()) == 2  # asked once more, then gave up


def test_ai_server_score_units_nothing_to_do(fake_ai: FakeServer) -> None:
    with ServerClient(fake_ai.url, "fake-chat") as client:
        assert score_units(client, LABELS, []).shape == (0, 3)
        assert not score_units(client, LABELS, [" ", ""]).any()
        with pytest.raises(InputError, match="no code labels"):
            score_units(client, [], ["x"])
    assert fake_ai.state.requests == []


def test_ai_server_read_answer_is_strict() -> None:
    answer = {
        "units": [
            {"unit": 1, "codes": [{"code": 2, "confidence": 1.7}, {"code": 9, "confidence": 0.5}]},
            {"unit": "2", "codes": [3, {"code": "1", "confidence": "0.25"}]},
            {"unit": 7, "codes": [{"code": 1, "confidence": 0.5}]},  # no unit 7: dropped
            {"unit": 3, "codes": [{"code": 1, "confidence": -2}, {"code": 2}]},
            {"unit": 3, "codes": [{"code": 1, "confidence": 0.4}]},  # the larger of two wins
            {"unit": 1, "codes": [{"code": True, "confidence": 0.5}]},  # a boolean is no number
            {"unit": 2, "codes": [{"code": 2, "confidence": "high"}]},  # not a number: dropped
            {"unit": 2, "codes": [{"code": 2, "confidence": float("nan")}]},
            "junk",
            {"unit": 1.5, "codes": [{"code": 1}]},
        ]
    }
    assert read_answer(answer, 3, 3) == [
        {1: 1.0},
        {2: 1.0, 0: 0.25},
        {0: 0.4, 1: 1.0},
    ]
    for bad in ([], {"unit": 1}, {"units": {"1": []}}, "x", None):
        with pytest.raises(ValueError, match='"units" list'):
            read_answer(bad, 1, 1)
