"""The team's server as a backend: ``chat`` (a chat model scores the units) and ``server`` (its
embeddings). The server is a small OpenAI-compatible stand-in on loopback (standard library
only): its chat model applies a code when the code's name occurs in the unit, and its
embeddings are hashed bags of words, so the expected suggestions follow by hand. A server that
cannot be reached is one line of error with nothing stored."""

from __future__ import annotations

import json
import re
import socket
import threading
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from ai_suggest_helpers import footprint, layer_codings
from sqlalchemy import select

from thematica.core.errors import InputError
from thematica.store import schema as t

MODEL = "tiny-chat"
EMBED_MODEL = "tiny-embed"
DIMS = 1024
TEXT = "Parking was a nightmare. The food was cold. My pain was ignored for hours."
CODES = {
    "Parking": "car parking",
    "Food": "meals and drinks",
    "Care": "the care patients received",
    "Care/Pain": "pain relief",
}


class _Handler(BaseHTTPRequestHandler):
    chats: ClassVar[list[dict[str, Any]]] = []

    def log_message(self, *args: Any) -> None:  # quiet
        return None

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path.endswith("/models"):
            served = [{"id": m, "object": "model"} for m in (MODEL, EMBED_MODEL)]
            self._send(200, {"object": "list", "data": served})
        else:
            self._send(404, {"error": {"message": "not found"}})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path.endswith("/embeddings"):
            data = [{"index": i, "embedding": _bag(text)} for i, text in enumerate(body["input"])]
            self._send(200, {"object": "list", "data": data, "model": body["model"]})
            return
        type(self).chats.append(body)
        prompt = body["messages"][-1]["content"]
        # the numbered codes ("3. Name: definition") and units ("[2] text") of the prompt
        names = {int(n): name for n, name in re.findall(r"^(\d+)\. ([^:\n]+):", prompt, re.M)}
        units = {int(n): text for n, text in re.findall(r"^\[(\d+)\] (.*)$", prompt, re.M)}
        answer = {
            "units": [
                {
                    "unit": u,
                    "codes": [
                        {"code": n, "confidence": 0.9}
                        for n, name in names.items()
                        if name.lower() in text.lower()
                    ],
                }
                for u, text in units.items()
            ]
        }
        message = {"role": "assistant", "content": json.dumps(answer)}
        self._send(200, {"choices": [{"index": 0, "message": message}], "model": MODEL})


def _bag(text: str) -> list[float]:
    """A bag of words: +1 at ``crc32(word) % DIMS`` for every lower-case word."""
    vector = [0.0] * DIMS
    for word in re.findall(r"[a-z]+", text.lower()):
        vector[zlib.crc32(word.encode()) % DIMS] += 1.0
    return vector


@pytest.fixture
def chat_server() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    _Handler.chats = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Handler.chats
    server.shutdown()
    server.server_close()


def _study(p: Any, folder: Path) -> None:
    folder.mkdir()
    (folder / "w.txt").write_text(TEXT, encoding="utf-8")
    p.documents.import_files([folder / "w.txt"])
    for path, definition in CODES.items():
        parent, _, name = path.rpartition("/")
        p.codebook.add(name, parent=parent or None, definition=definition)


def test_a_chat_model_suggests_codes(
    owner_project: Any, tmp_path: Path, chat_server: tuple[str, list[dict[str, Any]]]
) -> None:
    url, chats = chat_server
    p = owner_project
    _study(p, tmp_path / "in")
    p.configure(ai_url=url, ai_model=MODEL)
    run = p.suggestions.suggest(backend="chat")
    # by hand: each sentence names one code; "pain" is Care/Pain's name (Care itself scores
    # what Pain does, so the subcode is suggested); nothing else is named anywhere
    s1, s2, s3 = "Parking was a nightmare.", "The food was cold.", "My pain was ignored for hours."
    want = {
        ("w", TEXT.index(s1), TEXT.index(s1) + len(s1), "Parking"),
        ("w", TEXT.index(s2), TEXT.index(s2) + len(s2), "Food"),
        ("w", TEXT.index(s3), TEXT.index(s3) + len(s3), "Care/Pain"),
    }
    assert {(r.document, r.start, r.end, r.code) for r in run.rows} == want
    assert (run.backend, run.model, run.layer) == ("chat", MODEL, f"ai:{MODEL}")
    assert run.calibration == "default:chat"
    assert layer_codings(p, f"ai:{MODEL}") == want
    # the model saw the "name: definition" labels and the three sentences
    assert chats and all(c["model"] == MODEL for c in chats)
    prompt = chats[0]["messages"][-1]["content"]
    assert "Parking: car parking" in prompt and "[3] My pain was ignored for hours." in prompt
    with p.db.read() as conn:
        meta = conn.scalar(
            select(t.coder.c.meta).where(t.coder.c.project_id == p.id, t.coder.c.name == run.layer)
        )
    assert meta["backend"] == "chat" and meta["model"] == MODEL
    assert meta["parameters"]["url"] == url


def test_an_unreachable_server_changes_nothing(owner_project: Any, tmp_path: Path) -> None:
    p = owner_project
    _study(p, tmp_path / "in")
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    p.configure(ai_url=f"http://127.0.0.1:{port}", ai_model=MODEL)
    before = footprint(p)
    with pytest.raises(InputError) as exc:
        p.suggestions.suggest(backend="chat")
    assert "unreachable" in str(exc.value) and "\n" not in str(exc.value)
    assert footprint(p) == before


def test_the_servers_embeddings_suggest_codes(
    owner_project: Any, tmp_path: Path, chat_server: tuple[str, list[dict[str, Any]]]
) -> None:
    url, chats = chat_server
    p = owner_project
    _study(p, tmp_path / "in")
    p.configure(ai_url=url, ai_model=MODEL, ai_embedding_model=EMBED_MODEL)
    run = p.suggestions.suggest(backend="server", top=1, min_score=0.0)
    # by hand, cosines of word counts: "Parking was a nightmare." shares "parking" with
    # "Parking: car parking" (2/(2*sqrt5) = 0.45) and nothing with the others; "The food was
    # cold." shares "food" with "Food: meals and drinks" (1/4) and only "the" with "Care: the
    # care patients received" (1/(2*sqrt7) = 0.19); "My pain was ignored for hours." shares
    # "pain" twice with "Pain: pain relief" (2/(sqrt6*sqrt5) = 0.37), which Care takes as its
    # subcode's score, so the subcode is suggested
    s1, s2, s3 = "Parking was a nightmare.", "The food was cold.", "My pain was ignored for hours."
    assert {(r.start, r.end, r.code) for r in run.rows} == {
        (TEXT.index(s1), TEXT.index(s1) + len(s1), "Parking"),
        (TEXT.index(s2), TEXT.index(s2) + len(s2), "Food"),
        (TEXT.index(s3), TEXT.index(s3) + len(s3), "Care/Pain"),
    }
    assert (run.backend, run.model, run.layer) == ("server", EMBED_MODEL, f"ai:{EMBED_MODEL}")
    assert chats == []  # embeddings only
