"""ServerClient against a protocol-faithful OpenAI-compatible server on loopback: answers,
batching, the API key, and every failure as one line naming the server."""

from __future__ import annotations

import math
import zlib

import numpy as np
import pytest
from ai_fake_server import FakeServer, closed_port

from thematica.ai.chat_coding import SCHEMA_HINT, build_messages
from thematica.ai.server import (
    BackendError,
    ServerClient,
    ServerEmbedder,
    check_api_key_env,
    check_url,
    client_from_settings,
    parse_json_reply,
)
from thematica.core.errors import InputError


def one_line(exc: pytest.ExceptionInfo[BaseException]) -> str:
    text = str(exc.value)
    assert "\n" not in text and text.startswith("AI server "), text
    return text


def test_ai_server_chat_models_and_url_forms(fake_ai: FakeServer) -> None:
    for url in (fake_ai.url, fake_ai.url + "/", fake_ai.url + "/v1", fake_ai.url + "/v1/"):
        with ServerClient(url, "fake-chat") as client:
            assert client.chat_text([{"role": "user", "content": "hello"}]) == "echo: hello"
            assert client.models() == ["fake-chat", "fake-embed"]
            client.check_model()
    paths = [r["path"] for r in fake_ai.state.requests]
    assert paths == ["/v1/chat/completions", "/v1/models", "/v1/models"] * 4
    body = fake_ai.state.chats()[0]
    assert body["model"] == "fake-chat" and body["temperature"] == 0
    assert body["max_tokens"] == 1024  # the client's default cap on an answer
    assert body["messages"] == [{"role": "user", "content": "hello"}]
    assert "response_format" not in body  # plain text asked for


def test_ai_server_chat_json_parses_the_coding_answer(fake_ai: FakeServer) -> None:
    labels = ["Staffing: not enough staff", "Guilt: feeling guilty"]
    units = ["We lack staffing.", "I feel guilt about staffing.", "The weather."]
    with ServerClient(fake_ai.url, "fake-chat") as client:
        answer = client.chat_json(build_messages(labels, units), schema_hint=SCHEMA_HINT)
    # worked out by hand: names occurring in each unit, confidence 0.9
    assert answer == {
        "units": [
            {"unit": 1, "codes": [{"code": 1, "confidence": 0.9}]},
            {"unit": 2, "codes": [{"code": 1, "confidence": 0.9}, {"code": 2, "confidence": 0.9}]},
            {"unit": 3, "codes": []},
        ]
    }
    assert fake_ai.state.chats()[0]["response_format"] == {"type": "json_object"}


def test_ai_server_embeddings_batched_normalised_blank_rows_zero(fake_ai: FakeServer) -> None:
    texts = ["staffing staffing", "", "  ", "guilt"] + [f"word{i}" for i in range(66)]
    with ServerClient(fake_ai.url, "fake-chat", embedding_model="fake-embed") as client:
        out = client.embed(texts)
    assert out.shape == (70, 16) and out.dtype == np.float32
    # 68 non-blank texts, 64 per request: two requests, blanks never sent
    bodies = [r["body"] for r in fake_ai.state.requests]
    assert [len(b["input"]) for b in bodies] == [64, 4]
    assert all(b["model"] == "fake-embed" for b in bodies)
    assert "" not in bodies[0]["input"] and "  " not in bodies[0]["input"]
    expected = np.zeros(16)
    expected[zlib.crc32(b"staffing") % 16] = 1.0  # 2 counts, normalised to 1
    assert np.allclose(out[0], expected)
    assert not out[1].any() and not out[2].any()
    assert np.allclose(np.linalg.norm(out[3:], axis=1), 1.0)


def test_ai_server_api_key_from_the_environment(
    fake_ai: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = {"ai_url": fake_ai.url, "ai_model": "fake-chat", "ai_api_key_env": "TEST_AI_KEY"}
    monkeypatch.delenv("TEST_AI_KEY", raising=False)
    with pytest.raises(InputError, match=r"TEST_AI_KEY .* holds no API key"):
        client_from_settings(settings)
    assert fake_ai.state.requests == []
    monkeypatch.setenv("TEST_AI_KEY", "sekret-123")
    client = client_from_settings(settings)
    assert client is not None
    with client:
        client.chat_text([{"role": "user", "content": "x"}])
    assert fake_ai.state.requests[0]["authorization"] == "Bearer sekret-123"
    with ServerClient(fake_ai.url, "fake-chat") as anonymous:
        anonymous.models()
    assert fake_ai.state.requests[1]["authorization"] is None


def test_ai_server_nothing_sent_without_a_url(fake_ai: FakeServer) -> None:
    assert client_from_settings({}) is None
    assert client_from_settings({"ai_url": None, "ai_model": "fake-chat"}) is None
    with pytest.raises(InputError, match="no model: set ai_model"):
        client_from_settings({"ai_url": fake_ai.url})
    assert fake_ai.state.requests == []


def test_ai_server_unreachable_is_one_line() -> None:
    port = closed_port()
    client = ServerClient(f"http://127.0.0.1:{port}", "m")
    with client, pytest.raises(BackendError) as exc:
        client.chat_text([{"role": "user", "content": "x"}])
    assert one_line(exc) == f"AI server http://127.0.0.1:{port} is unreachable: connection refused"
    assert isinstance(exc.value, InputError)


@pytest.mark.parametrize(
    ("mode", "message", "requests"),
    [
        ("http500", "answered HTTP 500 for a chat completion: the fake server broke", 2),
        ("body_not_json", "returned invalid JSON for a chat completion: '<html>gateway", 1),
        ("wrong_shape", "returned invalid JSON for a chat completion: no choices", 1),
        ("empty_reply", "(model fake-chat) returned an empty reply", 1),
    ],
)
def test_ai_server_failures_are_one_line(
    fake_ai: FakeServer, mode: str, message: str, requests: int
) -> None:
    fake_ai.state.mode = mode
    with ServerClient(fake_ai.url, "fake-chat") as client, pytest.raises(BackendError) as exc:
        client.chat_text([{"role": "user", "content": "x"}])
    text = one_line(exc)
    assert text.startswith(f"AI server {fake_ai.url} ") and message in text
    assert len(fake_ai.state.requests) == requests  # a 5xx is retried once, nothing else


def test_ai_server_timeout_retried_once_then_one_line(fake_ai: FakeServer) -> None:
    fake_ai.state.mode, fake_ai.state.delay = "slow", 1.5
    client = ServerClient(fake_ai.url, "fake-chat", timeout=0.3)
    with client, pytest.raises(BackendError) as exc:
        client.chat_text([{"role": "user", "content": "x"}])
    assert one_line(exc) == (
        f"AI server {fake_ai.url} did not answer a chat completion within 0.3 s (tried twice)"
    )
    assert len(fake_ai.state.requests) == 2


def test_ai_server_one_5xx_then_success(fake_ai: FakeServer) -> None:
    fake_ai.state.mode = "http500_once"
    with ServerClient(fake_ai.url, "fake-chat") as client:
        assert client.chat_text([{"role": "user", "content": "hi"}]) == "echo: hi"
    assert len(fake_ai.state.requests) == 2


def test_ai_server_model_not_served(fake_ai: FakeServer) -> None:
    with ServerClient(fake_ai.url, "llama-9000") as client:
        with pytest.raises(BackendError) as exc:
            client.chat_text([{"role": "user", "content": "x"}])
        assert one_line(exc) == (
            f"AI server {fake_ai.url} does not serve model 'llama-9000' "
            "(models: fake-chat, fake-embed)"
        )
        with pytest.raises(BackendError, match="does not serve model 'llama-9000'"):
            client.check_model()
    client = ServerClient(fake_ai.url, "fake-chat", embedding_model="nope")
    with client, pytest.raises(BackendError, match="does not serve model 'nope'"):
        client.embed(["x"])


def test_ai_server_invalid_json_asked_again_once(fake_ai: FakeServer) -> None:
    messages = build_messages(["Staffing: x"], ["staffing is short"])
    fake_ai.state.mode = "invalid_json_once"
    with ServerClient(fake_ai.url, "fake-chat") as client:
        answer = client.chat_json(messages, schema_hint=SCHEMA_HINT)
    assert answer == {"units": [{"unit": 1, "codes": [{"code": 1, "confidence": 0.9}]}]}
    second = fake_ai.state.chats()[1]["messages"]
    assert [m["role"] for m in second] == ["system", "user", "assistant", "user"]
    assert second[2]["content"].startswith("Sure!") and "JSON only" in second[3]["content"]
    fake_ai.state.reset()
    fake_ai.state.mode = "invalid_json"
    with ServerClient(fake_ai.url, "fake-chat") as client, pytest.raises(BackendError) as exc:
        client.chat_json(messages, schema_hint=SCHEMA_HINT)
    assert "(model fake-chat) returned invalid JSON for the " in one_line(exc)
    assert len(fake_ai.state.chats()) == 2


def test_ai_server_without_response_format_support(fake_ai: FakeServer) -> None:
    fake_ai.state.mode = "no_response_format"
    messages = build_messages(["Guilt: x"], ["guilt"])
    with ServerClient(fake_ai.url, "fake-chat") as client:
        first = client.chat_json(messages)
        again = client.chat_json(messages)
    assert first == again == {"units": [{"unit": 1, "codes": [{"code": 1, "confidence": 0.9}]}]}
    asked = ["response_format" in body for body in fake_ai.state.chats()]
    assert asked == [True, False, False]  # refused once, then never asked again


def test_ai_server_embedding_count_mismatch(fake_ai: FakeServer) -> None:
    fake_ai.state.mode = "bad_embeddings"
    with ServerClient(fake_ai.url, "fake-embed") as client, pytest.raises(BackendError) as exc:
        client.embed(["a", "b"])
    assert one_line(exc).endswith("returned 1 embeddings for 2 texts")


def test_ai_server_embedder_contract(fake_ai: FakeServer) -> None:
    settings = {"ai_url": fake_ai.url, "ai_model": "fake-chat", "ai_embedding_model": "fake-embed"}
    embedder = ServerEmbedder.from_settings(settings)
    assert (embedder.info.backend, embedder.info.model, embedder.info.dims) == (
        "server",
        "fake-embed",
        0,
    )
    seen: list[tuple[int, int]] = []
    out = embedder.embed(["guilt", ""], progress=lambda d, n: seen.append((d, n)))
    assert out.shape == (2, 16) and embedder.info.dims == 16 and seen == [(2, 2)]
    assert math.isclose(float(np.linalg.norm(out[0])), 1.0, rel_tol=1e-6) and not out[1].any()
    with pytest.raises(InputError, match="no AI server is configured"):
        ServerEmbedder.from_settings({})


def test_ai_server_embedder_through_contract_1(fake_ai: FakeServer) -> None:
    embedders = pytest.importorskip("thematica.ai.embedders")
    settings = {"ai_url": fake_ai.url, "ai_model": "fake-chat", "ai_embedding_model": "fake-embed"}
    embedder = embedders.load("server", settings=settings)
    assert embedder.info.backend == "server"
    assert embedder.embed(["staffing"]).shape == (1, 16)


def test_ai_server_url_and_key_name_checks() -> None:
    assert check_url(" http://gpu.lab:8000/v1/ ") == "http://gpu.lab:8000/v1"
    assert check_url("https://ai.example.org") == "https://ai.example.org"
    for bad, why in [
        ("gpu.lab:8000", "must look like"),
        ("ftp://gpu.lab", "must look like"),
        ("http://", "must look like"),
        ("http://user:pw@gpu.lab", "must not hold credentials"),
        ("http://gpu.lab:port", "is not valid"),
        ("http://gpu.lab/?key=1", "query or fragment"),
    ]:
        with pytest.raises(InputError, match=why):
            check_url(bad)
    assert check_api_key_env(" LAB_KEY ") == "LAB_KEY"
    for bad in ("1KEY", "MY-KEY", "sk-abc123 secret"):
        with pytest.raises(InputError, match="must name an environment variable"):
            check_api_key_env(bad)


def test_ai_server_json_in_prose_and_fences() -> None:
    assert parse_json_reply('```json\n{"units": []}\n```') == {"units": []}
    assert parse_json_reply('Here you go: {"a": 1} hope it helps') == {"a": 1}
    assert parse_json_reply("[1, 2]") == [1, 2]
    with pytest.raises(ValueError):
        parse_json_reply("no json here")
