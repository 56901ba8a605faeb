"""Build only the part of the command tree that a command line uses.

Typer turns every command function into a Click command by reading its signature and
evaluating its annotations; for ~100 commands that costs more CPU than the rest of start-up
together. A command line only ever runs one command, and ``--help`` only needs the names and
first help lines of the others, so every command the line does not name becomes a *stub*: same
name and help, no parameters. Should Click still pick a stub (an option value that looked like
a command name), the stub raises :class:`NeedsFullTree` and the caller builds the whole tree.
"""

from __future__ import annotations

import copy
import inspect
from typing import Any, NoReturn

import typer
from typer.models import CommandInfo, TyperInfo

__all__ = ["NeedsFullTree", "build"]

_STUB_SETTINGS = {"ignore_unknown_options": True, "allow_extra_args": True}


class NeedsFullTree(Exception):
    """A stub was invoked: the command line needs the real command."""


def build(app: typer.Typer, argv: list[str] | None) -> Any:
    """The Click command for ``app``; with ``argv``, everything it does not name is a stub."""
    return typer.main.get_command(app if argv is None else _pruned(app, argv))


def _command_name(info: CommandInfo) -> str:
    assert info.callback is not None
    return info.name or typer.main.get_command_name(info.callback.__name__)


def _chosen(app: typer.Typer, args: list[str]) -> tuple[str | None, list[str]]:
    """The subcommand named by the first word of ``args``, and the words after it. A group
    whose class names a ``default_command`` (``deid DOC…`` = ``deid run DOC…``) chooses that
    one when the first word is not a command."""
    names = {_command_name(c) for c in app.registered_commands}
    names |= {g.name for g in app.registered_groups if isinstance(g.name, str)}
    default = getattr(app.info.cls, "default_command", None)
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg.startswith("-"):
            continue
        if arg in names:
            return arg, args[i + 1 :]
        return (default, []) if isinstance(default, str) else (None, [])
    return None, []


def _pruned(app: typer.Typer, args: list[str]) -> typer.Typer:
    name, rest = _chosen(app, args)
    out = copy.copy(app)
    out.registered_commands = [
        c if _command_name(c) == name else _stub(c) for c in app.registered_commands
    ]
    out.registered_groups = [
        _pruned_group(g, rest if g.name == name else []) for g in app.registered_groups
    ]
    return out


def _pruned_group(info: TyperInfo, args: list[str]) -> TyperInfo:
    """A group keeps its own options (a group callback has few); its commands are pruned."""
    if not isinstance(info.name, str) or info.typer_instance is None:
        return info  # an unnamed group merges its commands into the parent: keep it whole
    out = copy.copy(info)
    out.typer_instance = _pruned(info.typer_instance, args)
    return out


def _stub(info: CommandInfo) -> CommandInfo:
    original = info.callback
    assert original is not None

    def stub() -> NoReturn:
        raise NeedsFullTree(_command_name(info))

    stub.__name__ = original.__name__
    out = copy.copy(info)
    out.callback = stub
    out.help = inspect.cleandoc(info.help) if info.help is not None else inspect.getdoc(original)
    out.name = _command_name(info)
    out.context_settings = {**(info.context_settings or {}), **_STUB_SETTINGS}
    out.add_help_option = False
    out.no_args_is_help = False
    return out
