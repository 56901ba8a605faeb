"""An empty result still has its columns, so a CSV of nothing is a header, not a blank file."""

from __future__ import annotations

from thematica.cli.main import run


def test_empty_listings_keep_their_header(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    db = str(tmp_path / "e.db")
    assert run(["init", "--db", db, "-q"]) == 0
    capsys.readouterr()
    assert run(["documents", "list", "--db", db, "-f", "csv"]) == 0
    assert capsys.readouterr().out == "name,case,format,characters,turns,codings,imported_at\n"
    assert run(["memo", "list", "--db", db, "-f", "csv"]) == 0
    assert capsys.readouterr().out.startswith("id,target_type,target,author,text,created_at")
