"""The team-server settings (service and ``thematica settings``) and the ``thematica draft``
commands, in-process, on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import io
import json
import os
from typing import Any

import pytest
from ai_fake_server import FakeServer
from ai_server_helpers import configure_ai, footprint

from thematica.core.errors import InputError

ENV = "Individual/Navigating the variability of the physical environment"
AI_KEYS = ("ai_url", "ai_model", "ai_embedding_model", "ai_api_key_env")


def run(*args: object) -> tuple[int, str, str]:
    """``thematica ARGS`` in this process: (exit code, stdout, stderr)."""
    from thematica.cli.main import run as run_cli

    out, err = io.StringIO(), io.StringIO()
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("THEMATICA_")}
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = run_cli([str(a) for a in args])
    finally:
        os.environ.update(saved)
    return code, out.getvalue(), err.getvalue()


def error_line(result: tuple[int, str, str]) -> str:
    code, out, err = result
    lines = err.splitlines()
    assert code == 2 and out == "" and len(lines) == 1 and lines[0].startswith("error: "), result
    assert "Traceback" not in err
    return lines[0]


def test_ai_server_settings_validated_and_cleared(project: Any) -> None:
    assert {k: project.settings[k] for k in AI_KEYS} == dict.fromkeys(AI_KEYS)  # off by default
    current = project.configure(
        ai_url=" http://gpu.lab:8000/v1/ ",
        ai_model=" llama3.1:8b ",
        ai_embedding_model="nomic-embed-text",
        ai_api_key_env="LAB_AI_KEY",
    )
    assert {k: current[k] for k in AI_KEYS} == {
        "ai_url": "http://gpu.lab:8000/v1",
        "ai_model": "llama3.1:8b",
        "ai_embedding_model": "nomic-embed-text",
        "ai_api_key_env": "LAB_AI_KEY",
    }
    before = footprint(project)
    for kwargs, text in [
        ({"ai_url": "gpu.lab:8000"}, "must look like http://host:port"),
        ({"ai_url": "http://me:secret@gpu.lab"}, "must not hold credentials"),
        ({"ai_model": "   "}, "ai_model must not be blank"),
        ({"ai_embedding_model": "x" * 201}, "at most 200 characters"),
        ({"ai_api_key_env": "sk-live-123"}, "must name an environment variable"),
        # a bad value refuses the whole call: the good one beside it is not stored either
        ({"ai_model": "other", "ai_url": "ftp://x"}, "must look like"),
    ]:
        with pytest.raises(InputError, match=text):
            project.configure(**kwargs)
    assert footprint(project) == before
    assert project.settings["ai_model"] == "llama3.1:8b"
    current = project.configure(ai_url="", ai_api_key_env="")
    assert current["ai_url"] is None and current["ai_api_key_env"] is None
    assert current["ai_model"] == "llama3.1:8b"  # untouched
    logged = project.audit_log(action="settings", limit=1).rows[0].detail["changes"]
    assert logged == {
        "ai_url": ["http://gpu.lab:8000/v1", None],
        "ai_api_key_env": ["LAB_AI_KEY", None],
    }


def test_ai_server_settings_command(tmp_path: Any) -> None:
    db = tmp_path / "study.db"
    assert run("init", "--db", db)[0] == 0
    code, out, _ = run(
        "settings", "--db", db, "--ai-url", "http://127.0.0.1:8080", "--ai-model", "qwen",
        "--ai-api-key-env", "TEAM_KEY", "--format", "json",
    )  # fmt: skip
    assert code == 0
    shown = {r["setting"]: r["value"] for r in json.loads(out)}
    assert shown["ai_url"] == "http://127.0.0.1:8080" and shown["ai_model"] == "qwen"
    assert shown["ai_api_key_env"] == "TEAM_KEY" and shown["ai_embedding_model"] is None
    line = error_line(run("settings", "--db", db, "--ai-url", "localhost:8080"))
    assert "AI server URL must look like http://host:port" in line
    code, out, _ = run("settings", "--db", db, "--ai-url", "", "--format", "json")
    assert code == 0 and {r["setting"]: r["value"] for r in json.loads(out)}["ai_url"] is None


def test_ai_drafts_commands(demo: Any, db_url: str, fake_ai: FakeServer) -> None:
    demo.matrices.create("chart", rows="cases", columns="codes", coder="alex")
    demo.matrices.set_cell("chart", "P01", ENV, summary="Mud and long drives.")
    # no server configured: one line saying how to configure one, nothing sent
    line = error_line(run("draft", "matrix", "chart", "--db", db_url))
    assert "no AI server is configured" in line
    assert "thematica settings --ai-url URL --ai-model NAME" in line
    assert fake_ai.state.requests == []
    configure_ai(demo, fake_ai.url)
    code, out, err = run(
        "draft", "matrix", "chart", "--row", "P01", "--row", "P03", "--column", ENV,
        "--db", db_url, "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    drafts = json.loads(out)
    assert sorted(d["row"] for d in drafts) == ["P01", "P03"]
    assert all(d["model"] == "fake-chat" and d["server"] == fake_ai.url for d in drafts)
    assert f"with model fake-chat on {fake_ai.url}" in err
    by_row = {d["row"]: d for d in drafts}
    code, out, _ = run("draft", "list", "--db", db_url, "--format", "json")
    assert code == 0 and sorted(d["id"] for d in json.loads(out)) == sorted(
        by_row[r]["id"] for r in by_row
    )
    code, out, _ = run("draft", "list", "--db", db_url)
    assert code == 0 and "fake-chat" in out and "chart: P01" in out
    code, out, err = run("draft", "show", by_row["P01"]["id"], "--db", db_url)
    assert code == 0 and out.strip() == by_row["P01"]["text"]
    assert "by fake-chat on " + fake_ai.url in err
    line = error_line(run("draft", "adopt", by_row["P01"]["id"], "--db", db_url))
    assert "already has the analyst's summary" in line and line.endswith("(--replace)")
    code, _, err = run("draft", "adopt", by_row["P01"]["id"], "--replace", "--db", db_url)
    assert code == 0 and "Adopted draft" in err and "fake-chat" in err
    assert demo.matrices.get("chart").cell("P01", ENV).summary == by_row["P01"]["text"]
    code, _, err = run("draft", "discard", by_row["P03"]["id"], "--db", db_url)
    assert code == 0 and "Discarded draft" in err
    line = error_line(run("draft", "discard", by_row["P03"]["id"], "--db", db_url))
    assert "already discarded" in line
    code, out, _ = run("draft", "list", "--status", "all", "--db", db_url, "--format", "json")
    assert sorted(d["status"] for d in json.loads(out)) == ["adopted", "discarded"]
    line = error_line(run("draft", "theme", "Nope", "--coder", "alex", "--db", db_url))
    assert "no theme 'Nope'" in line
