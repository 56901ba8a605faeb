"""The README is a user guide whose examples must work: run every console example in order.

Output shown under a command must appear in what the command prints, line by line and in order
(``...`` stands for lines left out). The files the "Your own study" section uses are the ones
its first command, ``thematica demo --files my-study``, writes — exactly as a new user gets them.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def console_examples() -> list[tuple[str, list[str]]]:
    """(command, expected output lines) for every ``$ thematica`` line in console blocks."""
    examples: list[tuple[str, list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", README.read_text("utf-8"), re.S):
        for line in block.splitlines():
            if line.startswith("$ "):
                examples.append((line[2:], []))
            elif examples:
                examples[-1][1].append(line)
    return examples


def python_example() -> str:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text("utf-8"), re.S)
    assert len(blocks) == 1
    return blocks[0]


def _assert_shows(expected: list[str], output: str, command: str) -> None:
    lines = output.splitlines()
    pos = 0
    for want in expected:
        if not want.strip() or want.strip() == "...":
            continue
        while pos < len(lines) and lines[pos].rstrip() != want.rstrip():
            pos += 1
        assert pos < len(lines), f"README shows {want!r} for `{command}`, but it printed:\n{output}"
        pos += 1


def test_readme_starts_with_the_two_commands() -> None:
    first_block = re.search(r"```bash\n(.*?)```", README.read_text("utf-8"), re.S)
    assert first_block is not None
    commands = first_block.group(1).strip().splitlines()
    assert commands[0].endswith(".venv/bin/thematica demo")
    assert commands[1].endswith(".venv/bin/pytest")
    ci = (README.parent / ".ci" / "run").read_text("utf-8")
    assert commands[1] in ci


def test_every_console_example_runs_as_documented(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from thematica.cli.main import run

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("THEMATICA_DB", raising=False)
    examples = console_examples()
    assert len(examples) >= 15
    for command, expected in examples:
        argv = shlex.split(command)
        assert argv[0] == "thematica"
        code = run(argv[1:])
        out, err = capsys.readouterr()
        assert code == 0, f"`{command}` failed: {err}"
        _assert_shows(expected, out, command)


def test_first_command_runs_as_a_real_process(tmp_path: Path) -> None:
    """The README's first command ends in `thematica demo`: run it as a process, as users do."""
    env = {k: v for k, v in os.environ.items() if k != "THEMATICA_DB"}
    result = subprocess.run(
        [sys.executable, "-m", "thematica", "demo"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "thematica-demo.db").exists()
    assert "Where to look next" in result.stderr
    assert "thematica query" in result.stderr


def test_python_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import thematica

    monkeypatch.chdir(tmp_path)
    thematica.build_demo("thematica-demo.db")[0].close()
    namespace: dict[str, object] = {}
    exec(compile(python_example(), "README.md", "exec"), namespace)
    frame = namespace["frame"]
    assert list(frame["attribution"]) == ["– Participant 1", "– Participant 7", "– Participant 7"]
    assert set(namespace["table1"].columns) == {"attribute", "value", "n", "percent"}
    assert all("harm reduction" in h.match.lower() for h in namespace["hits"])
    staffing = namespace["project"].query("Staffing", coder="sam")
    assert "Fill the other position." in [e.text for e in staffing]
