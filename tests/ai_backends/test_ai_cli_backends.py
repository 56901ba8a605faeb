"""``thematica ai backends`` and ``thematica ai prepare``, run in this process."""

from __future__ import annotations

import contextlib
import io
import json

from thematica.cli.main import run


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_backends_as_json() -> None:
    code, out, err = _cli("ai", "backends", "--format", "json")
    assert code == 0, err
    rows = json.loads(out)
    assert [r["name"] for r in rows] == ["minilm", "mpnet", "static", "tfidf", "server"]
    assert {"model", "installed", "default", "speed", "quality", "detail"} <= set(rows[0])
    assert sum(r["default"] for r in rows) == 1
    tfidf = next(r for r in rows if r["name"] == "tfidf")
    assert tfidf["installed"] is True and tfidf["model"] == "tfidf"


def test_backends_table_names_the_install_command() -> None:
    code, out, _ = _cli("ai", "backends")
    assert code == 0
    assert "all-mpnet-base-v2" in out and "tfidf" in out


def test_prepare_tfidf_has_nothing_to_do() -> None:
    code, out, _ = _cli("ai", "prepare", "tfidf")
    assert code == 0
    assert out.startswith("tfidf: nothing to prepare")


def test_prepare_unknown_backend_is_one_line() -> None:
    code, out, err = _cli("ai", "prepare", "gpt-7")
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: unknown AI backend 'gpt-7'")
