"""Helpers for the CLI tests: checking a command's outcome the way a user would see it."""

from __future__ import annotations

import subprocess

ENTRY = "from thematica.cli.main import main; main()"
ESC = "\x1b["


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    """Exit 0, no traceback, and no terminal escape codes (the output is piped)."""
    assert result.returncode == 0, (result.args[3:], result.stderr)
    assert "Traceback" not in result.stderr
    assert ESC not in result.stdout and ESC not in result.stderr, result.args[3:]
    return result


def user_error(result: subprocess.CompletedProcess[str], *fragments: str) -> str:
    """Exit 2, exactly one stderr line starting with 'error:', no traceback; returns the line."""
    where = result.args[3:]
    assert result.returncode == 2, (where, result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, where
    lines = result.stderr.splitlines()
    assert len(lines) == 1, (where, result.stderr)
    assert lines[0].startswith("error: "), (where, lines[0])
    for fragment in fragments:
        assert fragment in lines[0], (where, fragment, lines[0])
    assert result.stdout == "", (where, result.stdout)
    return lines[0]
