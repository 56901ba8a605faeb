from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from thematica.core.errors import ConflictError, InputError, NotFoundError
from thematica.exporters import project_files as files


def test_ana_demo_theme_table(demo: Any, tmp_path: Path) -> None:
    table = demo.themes.table()
    assert [r.level for r in table.rows] == ["individual"] * 2 + ["interpersonal"] * 2 + [
        "organizational"
    ] * 2 + ["community"] * 2
    assert [r.theme.split(" ")[0] for r in table.rows] == [str(n) for n in range(1, 9)]
    assert table.rows[1].subthemes == ["2.1 Feelings of guilt", "2.2 Impact of lived experiences"]
    assert "Staffing" in table.rows[5].codes
    path = files.write_themes_docx(demo, tmp_path / "themes.docx")
    from docx import Document

    grid = Document(str(path)).tables[0]
    cells = [[c.text for c in row.cells] for row in grid.rows]
    assert cells[0] == ["level", "theme", "subthemes", "codes"]
    assert cells[6][1] == "6 Receiving resources and benefits from the organization"
    assert cells[6][2].startswith("6.1 Training and shadowing; 6.2 Staffing")
    assert len(cells) == 9


def test_ana_theme_crud(demo: Any) -> None:
    themes = demo.themes
    themes.add("Secondary trauma", sem_level="individual", codes=["Feelings of guilt"])
    assert [r.theme for r in themes.table().rows][2] == "3 Secondary trauma"
    themes.move("Secondary trauma", position=1)
    assert themes.table().rows[0].theme == "1 Secondary trauma"
    themes.link("Secondary trauma", ["Staffing"])
    assert themes.get("Secondary trauma").codes[-1].endswith("Staffing")
    themes.unlink("Secondary trauma", ["Staffing"])
    themes.update("Secondary trauma", name="Vicarious trauma", memo="check P04")
    row = themes.get("1")
    assert (row.name, row.memo) == ("Vicarious trauma", "check P04")
    themes.move(
        "Vicarious trauma",
        parent="Navigating boundary setting and self-care",
    )
    assert themes.get("Vicarious trauma").number == "2.3"
    themes.update("1", sem_level="community")  # theme 1 is now "Navigating the variability..."
    moved = [r for r in themes.table().rows if "physical environment" in r.theme]
    assert moved[0].level == "community"
    before = len(themes.list())
    assert themes.remove("Navigating boundary setting and self-care") == 4
    assert len(themes.list()) == before - 4
    actions = [r.action for r in demo.audit_log(20)]
    assert {"theme_add", "theme_move", "theme_link", "theme_unlink", "theme_remove"} <= set(actions)
    with pytest.raises(NotFoundError):
        themes.add("X", sem_level="galaxy")
    with pytest.raises(NotFoundError):
        themes.add("X", codes=["No such code"])
    with pytest.raises(NotFoundError):
        themes.link("No such theme", ["Staffing"])
    with pytest.raises(ConflictError):
        themes.add("Staffing")
    with pytest.raises(InputError):
        themes.add("Deep", parent="Staffing")  # Staffing is a subtheme
    assert "X" not in [r.name for r in themes.list()]


def test_ana_sem_figure(demo: Any, tmp_path: Path) -> None:
    svg = files.write_sem_figure(demo, tmp_path / "sem.svg")
    root = etree.parse(str(svg))
    text = " ".join(t.strip() for t in root.getroot().itertext())
    for level in ("Individual", "Interpersonal", "Organizational", "Community"):
        assert level in text
    for row in demo.themes.table().rows:
        first_words = row.theme.split(" ")[1:3]
        assert " ".join(first_words) in text, row.theme
    png = files.write_sem_figure(demo, tmp_path / "sem.png")
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    import struct

    width, height = struct.unpack(">II", data[16:24])
    assert 800 <= width <= 1400 and 800 <= height <= 1500
    with pytest.raises(InputError):
        files.write_sem_figure(demo, tmp_path / "sem.jpg")


def test_ana_heatmap(demo: Any, tmp_path: Path) -> None:
    png = files.write_heatmap(demo, tmp_path / "h.png", "turn", coder="alex")
    assert png.read_bytes()[:4] == b"\x89PNG"
    svg = files.write_heatmap(demo, tmp_path / "h.svg", "turn", coder="alex", levels=True)
    text = " ".join(etree.parse(str(svg)).getroot().itertext())
    assert "organizational" in text and "community" in text
