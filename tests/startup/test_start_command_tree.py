"""The CLI builds only the command a line names; everything a user sees must be the same as
with the whole command tree built (help texts, errors, the command that runs)."""

from __future__ import annotations

import contextlib
import io
from typing import Any

import pytest
import typer

from thematica.cli import command_tree
from thematica.cli.main import app, run


def _help(command: Any, argv: list[str]) -> str:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.suppress(typer.Exit):
        command.main(args=argv, prog_name="thematica", standalone_mode=False)
    return buf.getvalue()


def _groups() -> list[str]:
    return [g.name for g in app.registered_groups if isinstance(g.name, str)]


def _commands(group: str | None) -> list[list[str]]:
    if group is None:
        return [[command_tree._command_name(c)] for c in app.registered_commands]
    info = next(g for g in app.registered_groups if g.name == group)
    assert info.typer_instance is not None
    return [[group, command_tree._command_name(c)] for c in info.typer_instance.registered_commands]


def test_root_and_group_help_is_the_same_as_with_the_full_tree() -> None:
    full = command_tree.build(app, None)
    for argv in [["--help"], *[[g, "--help"] for g in _groups()]]:
        pruned = command_tree.build(app, argv)
        assert _help(pruned, argv) == _help(full, argv), argv
        assert "Commands:" in _help(pruned, argv) or argv[0] in ("report", "themes"), argv


def test_every_command_help_is_the_same_as_with_the_full_tree() -> None:
    full = command_tree.build(app, None)
    paths = _commands(None) + [p for g in _groups() for p in _commands(g)]
    assert len(paths) > 60  # the whole CLI, not an empty list
    for path in paths:
        argv = [*path, "--help"]
        assert _help(command_tree.build(app, argv), argv) == _help(full, argv), argv


def test_only_the_named_command_is_built() -> None:
    tree = command_tree.build(app, ["codebook", "add", "Staffing"])
    codebook = tree.commands["codebook"]
    assert [p.name for p in codebook.commands["add"].params if p.name == "name"] == ["name"]
    # a command the line does not name is a stub: no options of its own
    assert codebook.commands["list"].params == []
    assert tree.commands["query"].params == []


def test_chosen_command_skips_options_and_stops_at_an_unknown_word() -> None:
    assert command_tree._chosen(app, ["--help"]) == (None, [])
    assert command_tree._chosen(app, ["codebook", "add", "x"]) == ("codebook", ["add", "x"])
    assert command_tree._chosen(app, ["--version", "query", "A"]) == ("query", ["A"])
    assert command_tree._chosen(app, ["nosuch", "query"]) == (None, [])
    assert command_tree._chosen(app, ["--", "query"]) == (None, [])


def test_a_stub_that_click_chooses_falls_back_to_the_full_tree(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``themes --format list figure``: the pruner takes the option value 'list' for the
    command and builds it, Click runs 'figure', a stub; the line is run again on the full tree,
    so the user sees figure's real help with its options."""
    stub = command_tree._stub(app.registered_commands[0])
    assert stub.callback is not None
    with pytest.raises(command_tree.NeedsFullTree):
        stub.callback()
    argv = ["themes", "--format", "list", "figure", "--help"]
    themes = next(g.typer_instance for g in app.registered_groups if g.name == "themes")
    assert themes is not None
    assert command_tree._chosen(themes, argv[1:]) == ("list", ["figure", "--help"])
    assert run(argv) == 0
    shown = capsys.readouterr().out
    assert shown.startswith("Usage: thematica themes figure [OPTIONS]")
    assert shown == _help(command_tree.build(app, None), argv)
    assert "--output" in shown  # a real option, which a stub does not have
    # an unknown command is refused as before, with Click's one-line message
    assert run(["nosuch"]) == 2
    assert capsys.readouterr().err.startswith("error: No such command 'nosuch'")


def test_a_typo_suggests_the_command_as_before(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["codebok"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: No such command 'codebok'. Did you mean 'codebook'")


def test_a_group_with_a_default_command_builds_it_for_a_bare_word() -> None:
    """``deid P09 --accept-all`` means ``deid run P09 --accept-all``: the pruner builds ``run``
    for it (not every deid command, not the whole tree)."""
    deid = next(g.typer_instance for g in app.registered_groups if g.name == "deid")
    assert deid is not None
    assert command_tree._chosen(deid, ["P09-interview", "--accept-all"]) == ("run", [])
    assert command_tree._chosen(deid, ["list", "--document", "P09"]) == (
        "list",
        ["--document", "P09"],
    )
    tree = command_tree.build(app, ["deid", "P09-interview", "--accept-all"])
    group = tree.commands["deid"]
    assert any(p.name == "accept_all" for p in group.commands["run"].params)
    assert group.commands["list"].params == []
    # a group without a default still stops at an unknown word
    assert command_tree._chosen(app, ["nosuch"]) == (None, [])
