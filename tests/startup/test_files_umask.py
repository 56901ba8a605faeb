"""Output files follow the user's umask, as any file a program creates (an atomic write used to
leave them 0600, the mode of ``tempfile.mkstemp``); a replaced file keeps its mode."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from thematica.exporters.atomic import write_atomic, write_csv_rows


@pytest.fixture
def umask() -> Iterator[Any]:
    """Set the process umask for one test (``umask(0o022)``), restoring it afterwards."""
    old = os.umask(0o022)
    os.umask(old)
    try:
        yield os.umask
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_new_file_gets_0666_less_the_umask(
    umask: Any, tmp_path: Path, mask: int, expected: int
) -> None:
    umask(mask)
    out = write_atomic(tmp_path / "table.csv", "a,b\n1,2\n")
    assert _mode(out) == expected
    assert out.read_text("utf-8") == "a,b\n1,2\n"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]  # no temporary file left


def test_a_replaced_file_keeps_its_mode(umask: Any, tmp_path: Path) -> None:
    umask(0o022)
    target = tmp_path / "report.md"
    target.write_text("old", "utf-8")
    target.chmod(0o640)
    write_atomic(target, "new")
    assert (target.read_text("utf-8"), _mode(target)) == ("new", 0o640)


def test_a_failed_streamed_write_leaves_nothing(umask: Any, tmp_path: Path) -> None:
    umask(0o022)

    def rows() -> Iterator[list[str]]:
        yield ["1", "x"]
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        write_csv_rows(tmp_path / "out.csv", ["id", "v"], rows())
    assert list(tmp_path.iterdir()) == []


def test_streamed_csv_follows_the_umask_and_quotes_like_pandas(umask: Any, tmp_path: Path) -> None:
    umask(0o027)
    rows = [["1", 'say "hi"', ""], ["2", "a,b", "line\nbreak"]]
    n = write_csv_rows(tmp_path / "out.csv", ["id", "text", "memo"], iter(rows))
    assert n == 2
    assert _mode(tmp_path / "out.csv") == 0o640
    # worked by hand: RFC 4180 minimal quoting, LF line ends, empty cell for an empty value
    assert (tmp_path / "out.csv").read_bytes() == (
        b'id,text,memo\n1,"say ""hi""",\n2,"a,b","line\nbreak"\n'
    )


def test_exports_follow_the_umask(umask: Any, demo: Any, tmp_path: Path) -> None:
    from thematica.exporters.project_files import write_export

    umask(0o022)
    write_export(demo, "codings", tmp_path / "codings.csv", coder="alex")
    write_export(demo, "cases", tmp_path / "cases.xlsx")
    written = sorted(tmp_path.iterdir())
    assert written and {_mode(p) for p in written} == {0o644}, [
        (p.name, oct(_mode(p))) for p in written
    ]


def test_a_refi_codebook_follows_the_umask(umask: Any, tmp_path: Path) -> None:
    from thematica.interop.refi_export import write_qdc
    from thematica.interop.refi_model import RefiCode

    umask(0o077)
    code = RefiCode(guid="6f8a3c2e-0000-4000-8000-000000000001", name="Staffing")
    out = write_qdc([code], [], tmp_path / "codebook.qdc", origin="test")
    assert _mode(out) == 0o600
    assert b"Staffing" in out.read_bytes()
    umask(0o022)
    out.chmod(0o644)
    write_qdc([code], [], out, origin="test")
    assert _mode(out) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["codebook.qdc"]
