"""parse_file dispatch, size limits and collect_files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from thematica.core.errors import InputError
from thematica.importers import SUPPORTED_SUFFIXES, ImportOptions, collect_files, parse_file

WriteBytes = Callable[[str, bytes], Path]


def test_supported_suffixes() -> None:
    assert {".txt", ".md", ".docx", ".odt", ".pdf", ".rtf", ".vtt", ".srt", ".csv"} == set(
        SUPPORTED_SUFFIXES
    )


def test_suffix_is_case_insensitive(write_bytes: WriteBytes) -> None:
    doc = parse_file(write_bytes("LOUD.TXT", b"R: hi"))[0]
    assert (doc.name, doc.source_format) == ("LOUD", "txt")


@pytest.mark.parametrize(
    ("name", "kind"), [("slides.pptx", "'.pptx'"), ("README", "(no extension)")]
)
def test_unsupported_suffix(write_bytes: WriteBytes, name: str, kind: str) -> None:
    path = write_bytes(name, b"hello")
    with pytest.raises(InputError) as info:
        parse_file(path)
    message = str(info.value)
    assert message.startswith(f"{name}: unsupported file type {kind}")
    for suffix in (".csv", ".docx", ".txt", ".vtt"):
        assert suffix in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"^gone\.txt: no such file$"):
        parse_file(tmp_path / "gone.txt")


def test_folder_with_supported_suffix(tmp_path: Path) -> None:
    (tmp_path / "odd.txt").mkdir()
    with pytest.raises(InputError, match=r"^odd\.txt: is a folder, not a file$"):
        parse_file(tmp_path / "odd.txt")


@pytest.mark.parametrize("name", ["big.txt", "big.docx", "big.pdf", "big.csv", "big.vtt"])
def test_oversize_refused_before_reading(write_bytes: WriteBytes, name: str) -> None:
    # Content is invalid for every format: only the size check can produce this message.
    path = write_bytes(name, b"\x00" * 3000)
    with pytest.raises(InputError) as info:
        parse_file(path, ImportOptions(max_bytes=1024))
    assert str(info.value) == (
        f"{name}: file is 2.9 KB, over the 1.0 KB limit; the limit can be raised"
    )
    assert info.value.detail["hint"] == "max_size" and info.value.detail["limit"] == 1024


def test_oversize_message_in_megabytes(write_bytes: WriteBytes) -> None:
    path = write_bytes("interview.docx", b"x" * (3 * 1024 * 1024 + 200 * 1024))
    with pytest.raises(InputError) as info:
        parse_file(path, ImportOptions(max_bytes=2 * 1024 * 1024))
    assert str(info.value) == (
        "interview.docx: file is 3.2 MB, over the 2.0 MB limit; the limit can be raised"
    )


def test_file_at_the_limit_is_accepted(write_bytes: WriteBytes) -> None:
    path = write_bytes("edge.txt", b"I: " + b"a" * 97)
    assert parse_file(path, ImportOptions(max_bytes=100))[0].text.startswith("I: aaa")


# --- collect_files -----------------------------------------------------------------------


def test_collect_files_expands_folders(write_bytes: WriteBytes, tmp_path: Path) -> None:
    for name in [
        "data/b.txt",
        "data/A.DOCX",
        "data/sub/c.vtt",
        "data/sub/deeper/d.md",
        "data/notes.xlsx",
        "data/.hidden.txt",
        "data/.git/config.txt",
        "data/sub/.cache/e.txt",
        "single.pptx",
    ]:
        write_bytes(name, b"x")
    found = collect_files([tmp_path / "data", tmp_path / "single.pptx"])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "data/A.DOCX",
        "data/b.txt",
        "data/sub/c.vtt",
        "data/sub/deeper/d.md",
        "single.pptx",  # named explicitly: kept, so parse_file can explain the refusal
    ]


def test_collect_files_keeps_given_order_and_drops_duplicates(
    write_bytes: WriteBytes, tmp_path: Path
) -> None:
    second = write_bytes("z/2.txt", b"x")
    first = write_bytes("z/1.txt", b"x")
    found = collect_files([second, tmp_path / "z", first])
    assert found == [second, first]


def test_collect_files_missing_path(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        collect_files([tmp_path / "nowhere"])
    message = str(info.value)
    assert message.startswith(str(tmp_path / "nowhere"))
    assert message.endswith("no such file or folder")


def test_collect_then_parse_all(write_bytes: WriteBytes, tmp_path: Path) -> None:
    write_bytes("in/1.txt", b"I: one")
    write_bytes("in/2.md", b"R: two")
    documents = [d for p in collect_files([tmp_path / "in"]) for d in parse_file(p)]
    assert [(d.name, d.turns[0].speaker) for d in documents] == [("1", "I"), ("2", "R")]
