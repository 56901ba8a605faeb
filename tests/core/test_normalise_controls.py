"""Control characters never reach stored text: a browser drops NUL (and the like) from a page,
so a stored NUL would shift every offset after it between what a coder selects and what is
stored. Page breaks become line breaks."""

from __future__ import annotations

from pathlib import Path

from thematica.core.text import normalise


def test_controls_are_dropped_and_breaks_become_newlines() -> None:
    assert normalise("A\x00B\x07C\x1bD\x7fE") == "ABCDE"
    assert normalise("page one\x0cpage two\x0bline\u2028next") == "page one\npage two\nline\nnext"
    assert normalise("tab\tand\r\nnewline\r") == "tab\tand\nnewline\n"


def test_an_rtf_nul_escape_is_not_stored(tmp_path: Path) -> None:
    import thematica

    path = tmp_path / "nul.rtf"
    path.write_text(r"{\rtf1\ansi Respondent: A\'00B\'00C then the important part here.}")
    project = thematica.init_project(str(tmp_path / "s.db"), "s", actor="pi")
    try:
        project.documents.import_files([path])
        text = project.documents.get("nul").text
        assert "\x00" not in text
        assert "ABC then the important part" in text
    finally:
        project.close()
