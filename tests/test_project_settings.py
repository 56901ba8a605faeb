"""Project settings and hostile codebook files."""

from __future__ import annotations

from pathlib import Path

import pytest

import thematica


def test_speaker_pattern_setting_drives_later_imports(
    project: thematica.Project, tmp_path: Path
) -> None:
    doc = tmp_path / "fg.txt"
    doc.write_text("MOD> Welcome everyone.\nNURSE> Thanks for having us.\n", encoding="utf-8")
    project.configure(speaker_pattern=r"^(?P<speaker>[A-Z]+)> ")
    project.documents.import_files([doc])
    turns = project.documents.get("fg").turns
    assert [t.speaker for t in turns] == ["MOD", "NURSE"]
    reopened = thematica.open_project(project.db.url)
    assert reopened.settings["speaker_pattern"] == r"^(?P<speaker>[A-Z]+)> "
    reopened.close()


def test_bad_settings_are_refused_and_nothing_changes(project: thematica.Project) -> None:
    before = dict(project.settings)
    with pytest.raises(thematica.InputError, match="speaker"):
        project.configure(speaker_pattern="no group here")
    with pytest.raises(thematica.InputError, match="not valid"):
        project.configure(case_pattern="(unclosed")
    project.codebook.add("Policy context", sem_level="policy")
    with pytest.raises(thematica.InputError, match="policy"):
        project.configure(sem_levels=["individual", "community"])
    assert project.settings == before
    assert thematica.open_project(project.db.url).settings == before


def test_yaml_alias_bomb_is_refused_without_expanding(
    project: thematica.Project, tmp_path: Path
) -> None:
    bomb = tmp_path / "bomb.yaml"
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{', '.join(['*' + prev] * 9)}]")
    lines.append("codes: [*i, *i, *i, *i, *i, *i, *i, *i, *i]")
    bomb.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(thematica.InputError, match="aliases"):
        project.codebook.import_file(bomb)
    assert len(project.codebook.tree()) == 0
