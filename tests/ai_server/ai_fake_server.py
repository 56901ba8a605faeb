"""A small OpenAI-compatible server for the tests: the three endpoints Thematica uses, served by
FastAPI + uvicorn on 127.0.0.1, answering deterministically so expected values can be worked
out by hand, with switchable failure modes. It records every request it receives.

Answers (mode "ok"):

* ``GET /v1/models``: ``SERVED`` (a 404 in OpenAI's error shape for a model not served);
* ``POST /v1/chat/completions``: a coding prompt ("Codes (number. name: definition)") gets, per
  unit, every code whose name occurs in the unit's text (case-insensitive) with confidence 0.9;
  a summary prompt (numbered excerpts "[k] ...") gets
  ``Summary: The N excerpts mention <first word of [1]> [1]`` plus `` and [N].`` when N > 1;
  anything else gets ``echo: <first user message>``;
* ``POST /v1/embeddings``: a hashed bag of words: for every lower-case word, +1 at
  ``crc32(word) % DIMS`` (not normalised: the client normalises).
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import time
import zlib
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

DIMS = 16
SERVED = ("fake-chat", "fake-embed")
MODES = (
    "ok",
    "invalid_json",  # 200, a chat message whose content is not JSON (every time)
    "invalid_json_once",  # the first chat answer is not JSON, later ones are
    "wrong_shape",  # 200 JSON without choices[0].message.content
    "body_not_json",  # 200 with an HTML body
    "http500",  # every request answers 500
    "http500_once",  # the first request answers 500, later ones are fine
    "slow",  # sleeps ``delay`` seconds before answering
    "no_response_format",  # 400 for a request that asks for response_format
    "bad_embeddings",  # fewer embeddings than texts
    "empty_reply",  # a chat message with empty content
)


@dataclass
class FakeState:
    mode: str = "ok"
    delay: float = 2.0
    requests: list[dict[str, Any]] = field(default_factory=list)

    def reset(self) -> None:
        self.mode, self.delay = "ok", 2.0
        self.requests.clear()

    def chats(self) -> list[dict[str, Any]]:
        return [r["body"] for r in self.requests if r["path"].endswith("/chat/completions")]


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def hashed_vector(text: str) -> list[float]:
    vector = [0.0] * DIMS
    for word in words(text):
        vector[zlib.crc32(word.encode()) % DIMS] += 1.0
    return vector


def coding_answer(prompt: str) -> dict[str, Any]:
    codes = re.findall(r"^(\d+)\. ([^:\n]+):", prompt, re.M)
    units = re.findall(r"^\[(\d+)\] (.*)$", prompt, re.M)
    return {
        "units": [
            {
                "unit": int(u),
                "codes": [
                    {"code": int(c), "confidence": 0.9}
                    for c, name in codes
                    if name.strip().lower() in text.lower()
                ],
            }
            for u, text in units
        ]
    }


def summary_answer(prompt: str) -> str:
    excerpts = re.findall(r"^\[(\d+)\] (?:\([^)]*\) )?(.*)$", prompt, re.M)
    n = len(excerpts)
    first = (words(excerpts[0][1]) or ["nothing"])[0]
    return f"Summary: The {n} excerpts mention {first} [1]" + (f" and [{n}]." if n > 1 else ".")


def build_app(state: FakeState) -> FastAPI:
    app = FastAPI()

    def error(status: int, message: str, code: str = "error") -> Response:
        body = {"error": {"message": message, "type": "invalid_request_error", "code": code}}
        return JSONResponse(body, status_code=status)

    async def common(request: Request, body: Any) -> Response | None:
        state.requests.append(
            {
                "path": request.url.path,
                "body": body,
                "authorization": request.headers.get("authorization"),
            }
        )
        first = len(state.requests) == 1
        if state.mode == "slow":
            await asyncio.sleep(state.delay)
        if state.mode == "http500" or (state.mode == "http500_once" and first):
            return error(500, "the fake server broke", "internal")
        if state.mode == "body_not_json":
            return PlainTextResponse("<html>gateway error</html>", status_code=200)
        return None

    @app.get("/v1/models")
    async def models(request: Request) -> Response:
        failed = await common(request, None)
        if failed is not None:
            return failed
        data = [{"id": m, "object": "model", "created": 0, "owned_by": "tests"} for m in SERVED]
        return JSONResponse({"object": "list", "data": data})

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> Response:
        body = await request.json()
        failed = await common(request, body)
        if failed is not None:
            return failed
        if body.get("model") not in SERVED:
            return error(404, f"The model `{body.get('model')}` does not exist.", "model_not_found")
        if state.mode == "no_response_format" and "response_format" in body:
            return error(400, "response_format is not supported")
        if state.mode == "wrong_shape":
            return JSONResponse({"id": "x", "choices": []})
        # the question is the first user message (a retry appends the answer and a reminder)
        prompt = next(m["content"] for m in body["messages"] if m["role"] == "user")
        chats = len(state.chats())
        if "Codes (number. name: definition)" in prompt:
            content = json.dumps(coding_answer(prompt))
            if state.mode == "invalid_json" or (state.mode == "invalid_json_once" and chats == 1):
                content = "Sure! Here are the codes: unit 1 is about staffing."
        elif re.search(r"^\[1\] ", prompt, re.M):
            content = summary_answer(prompt)
        else:
            content = f"echo: {prompt}"
        if state.mode == "invalid_json" and "response_format" in body:
            content = "not json {"
        if state.mode == "empty_reply":
            content = "   "
        return JSONResponse(
            {
                "id": f"chatcmpl-{len(state.requests)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
        )

    @app.post("/v1/embeddings")
    async def embeddings(request: Request) -> Response:
        body = await request.json()
        failed = await common(request, body)
        if failed is not None:
            return failed
        if body.get("model") not in SERVED:
            return error(404, f"The model `{body.get('model')}` does not exist.", "model_not_found")
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        if state.mode == "bad_embeddings":
            texts = texts[:-1]
        data = [
            {"object": "embedding", "index": i, "embedding": hashed_vector(text)}
            for i, text in enumerate(texts)
        ]
        return JSONResponse({"object": "list", "data": data, "model": body["model"]})

    return app


class FakeServer:
    """The fake server running in a thread on a free loopback port."""

    def __init__(self) -> None:
        import uvicorn

        self.state = FakeState()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            build_app(self.state),
            log_level="warning",
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def start(self) -> FakeServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the fake AI server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
