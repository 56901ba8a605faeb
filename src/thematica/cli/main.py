"""The ``thematica`` command line: every command module, and the entry point.

Each command parses its arguments, calls one service, and renders the result; user errors
become one line on stderr and exit code 2.
"""

from __future__ import annotations

import importlib
import os
import sys

import typer

from thematica.cli import command_tree
from thematica.cli.app import app
from thematica.cli.hints import cli_message
from thematica.cli.stats_cmd import stats
from thematica.core.errors import InputError, ThematicaError

#: Importing a command module registers its commands; this order is the order of ``--help``.
COMMAND_MODULES = (
    "projects_cmd",
    "members_cmd",
    "documents_cmd",
    "speakers_cmd",
    "cases_cmd",
    "codebook_cmd",
    "coding_cmd",
    "batches_cmd",
    "coders_cmd",
    "retrieval_cmd",
    "memos_cmd",
    "agreement_cmd",
    "consensus_cmd",
    "themes_cmd",
    "analysis_cmd",
    "saturation_cmd",
    "matrix_cmd",
    "qdpx_cmd",
    "export_cmd",
    "report_cmd",
    "suggest_cmd",
    "suggestions_cmd",
    "clusters_cmd",
    "draft_cmd",
    "ai_cmd",
    "transcribe_cmd",
    "deid_cmd",
    "server_cmd",
)
for _module in COMMAND_MODULES:
    importlib.import_module(f"thematica.cli.{_module}")
app.command("stats")(stats)

__all__ = ["app", "main", "run"]


def run(argv: list[str] | None = None) -> int:
    """Run the CLI: user errors become one line on stderr and exit code 2, never a traceback."""
    debug = bool(os.environ.get("THEMATICA_DEBUG"))
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        argv = _take_acting_as(argv)
    except ThematicaError as exc:
        sys.stderr.write(f"error: {cli_message(exc)}\n")
        return exc.exit_code
    try:
        try:  # build only the command the line names (start-up stays fast)
            command = command_tree.build(app, argv)
            result = command.main(args=argv, prog_name="thematica", standalone_mode=False)
        except command_tree.NeedsFullTree:
            command = command_tree.build(app, None)
            result = command.main(args=argv, prog_name="thematica", standalone_mode=False)
    except ThematicaError as exc:
        sys.stderr.write(f"error: {cli_message(exc)}\n")
        return exc.exit_code
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        sys.stderr.write("aborted\n")
        return 130
    except KeyboardInterrupt:
        sys.stderr.write("interrupted; nothing half-written was kept\n")
        return 130
    except (PermissionError, IsADirectoryError, FileNotFoundError) as exc:
        sys.stderr.write(f"error: {exc.strerror}: {exc.filename}\n")
        return 2
    except Exception as exc:
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):  # usage errors from the parser
            if type(exc).__name__ == "NoArgsIsHelpError":  # a bare group: show its help
                exc.show()
                return 2
            # one line, like every other user error: "error: <what>; see 'thematica X --help'"
            message = " ".join(str(exc.format_message()).split())  # type: ignore[attr-defined]
            ctx = getattr(exc, "ctx", None)
            hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
            sys.stderr.write(f"error: {message}{hint}\n")
            return 2
        if debug:
            raise
        sys.stderr.write(
            f"internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in Thematica; set THEMATICA_DEBUG=1 for details and please report it.\n"
        )
        return 1
    return int(result) if isinstance(result, int) else 0


def _take_acting_as(argv: list[str]) -> list[str]:
    """Accept ``--as NAME`` after the command as well as before it (``thematica code … --as
    sam`` reads naturally): it is taken out of the line and sets who acts."""
    from thematica.cli.app import acting_as

    acting_as["name"] = None
    out: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            out += argv[i:]
            break
        if arg == "--as" or arg.startswith("--as="):
            value = arg[5:] if arg.startswith("--as=") else None
            if value is None:
                if i + 1 >= len(argv) or argv[i + 1].startswith("-"):
                    raise InputError("--as needs a user name")
                value = argv[i + 1]
                i += 1
            if not value.strip():
                raise InputError("--as needs a user name")
            acting_as["name"] = value.strip()
        else:
            out.append(arg)
        i += 1
    return out


def main() -> None:
    sys.exit(run())
